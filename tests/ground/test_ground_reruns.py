"""Reruns never destroy committed or received data silently, and never mix two runs (issue 20, items
2 and 3): refusals without --overwrite, a SIGKILLed rerun, a flight that fails late, a new flight
under an old recording."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ground_fixtures import copy_run

import edlcam
from edlcam.cli import main

HERE = Path(__file__).parent


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def run(tmp_path):
    return copy_run(tmp_path)  # filmed and relayed (synthetic cameras, made-up flight)


def test_film_and_relay_refuse_to_replace_committed_or_received_data(run, capsys):
    onboard, received = _tree(run / "onboard"), _tree(run / "ground" / "received")
    assert main(["film", str(run)]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert err == (f"error: {run / 'onboard' / 'store'}: holds the DSUs' committed stores from an earlier `edlcam "
                   f"film`; it is not replaced unless you say so: rerun with --overwrite (the new output is built "
                   f"beside it and swapped in only when complete)")
    assert main(["relay", str(run), "--days", "0.3"]) == 1
    assert "received: holds the products received on the ground from an earlier `edlcam relay`; it is not " \
           "replaced unless you say so: rerun with --overwrite" in capsys.readouterr().err.replace("\n", "")
    assert main(["demo", "--out", str(run)]) == 1
    assert "rerun with --overwrite" in capsys.readouterr().err
    assert _tree(run / "onboard") == onboard and _tree(run / "ground" / "received") == received


def test_relay_overwrite_takes_the_ground_outputs_of_the_old_products_with_them(run):
    edlcam.assemble(run, width=320, height=180, fps=10, t_start_s=12.0, t_end_s=13.0)
    assert (run / "ground" / "catalog.sqlite").exists() and (run / "ground" / "landing.mp4").exists()
    edlcam.relay(run, days=0.3, overwrite=True, telemetry=False)  # a shorter window (issue 20: --days 0.3)
    ground = run / "ground"
    assert not any(ground.glob("*.mp4")) and not (ground / "catalog.sqlite").exists()
    assert not (ground / "assembly.json").exists()  # nothing left that points at products no longer here
    made = edlcam.assemble(run, width=320, height=180, fps=10, t_start_s=12.0, t_end_s=13.0)
    from edlcam.ground.catalog import open_catalog

    con = open_catalog(run)
    try:
        received = [r[0] for r in con.execute("SELECT path FROM products WHERE status = 'received'")]
    finally:
        con.close()
    assert received and all((ground / "received" / p).is_file() for p in received)
    assert made.film.exists()


_KILLED_FILM = """
import sys, time
from pathlib import Path
sys.path.insert(0, {fixtures!r})
from ground_fixtures import SyntheticCameras, small_mission, synthetic_audio
from edlcam.onboard.film import film

run, marker = Path(sys.argv[1]), Path(sys.argv[2])
mission = small_mission()

class Stalling(SyntheticCameras):
    def __call__(self, *args, **kwargs):
        for i, frame in enumerate(super().__call__(*args, **kwargs)):
            if i == 30:
                marker.touch()  # the new stores are half written: kill me now
                time.sleep(600)
            yield frame

film(run, quality="preview", mission=mission, frame_source=Stalling(mission), audio_source=synthetic_audio,
     overwrite=True)
"""


def test_a_film_rerun_killed_midway_leaves_the_old_recording_whole(run, capsys):
    before = _tree(run / "onboard")
    marker = run.parent / "recording"
    log = run.parent / "film.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", _KILLED_FILM.format(fixtures=str(HERE)), str(run), str(marker)],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the film rerun never started recording"
            time.sleep(0.1)
        new = run / ".staging" / "onboard.new" / "onboard" / "store"  # the staging folder is shaped like the run
        assert any(new.rglob("seg-*.edls"))  # it was recording, beside the old stores
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _tree(run / "onboard") == before
    assert main(["store", "verify", str(run / "onboard" / "store")]) == 0
    capsys.readouterr()
    edlcam.assemble(run, cameras=False, width=320, height=180, fps=10, t_start_s=12.0, t_end_s=12.5)  # reads it
    from edlcam.staging import recover

    recover(run, "onboard")  # what the next `edlcam film` does first: drop the half-built recording
    assert not (run / ".staging" / "onboard.new").exists()


def test_a_simulate_that_fails_late_leaves_the_old_flight_and_mission(run, monkeypatch):
    import edlcam.flight.plots as plots

    before = {**_tree(run / "flight"), "mission.toml": _tree(run)["mission.toml"]}

    def fails(*args, **kwargs):
        raise RuntimeError("the plots failed")

    monkeypatch.setattr(plots, "plot_flight", fails)
    with pytest.raises(RuntimeError, match="the plots failed"):
        edlcam.simulate(run)  # the Mars 2020 mission: another flight, written after the flight is flown
    assert {**_tree(run / "flight"), "mission.toml": _tree(run)["mission.toml"]} == before
    assert not (run / ".staging" / "flight.new").exists()


def test_another_flight_under_an_old_recording_is_refused_naming_film(run, capsys):
    assert main(["simulate", "--out", str(run)]) == 0  # another mission: Mars 2020 instead of the run's small one
    capsys.readouterr()
    for command in (["assemble", str(run)], ["relay", str(run), "--overwrite"], ["report", str(run)]):
        assert main(command) == 1, command
        err = capsys.readouterr().err.replace("\n", "")
        assert err == (f"error: {run / 'onboard'}: made from another flight/ than the one in this run (`edlcam "
                       f"simulate` ran again after `edlcam film`); rerun `edlcam film {run} --overwrite` and the "
                       f"stages after it"), command
