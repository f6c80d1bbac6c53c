"""The run folder's one owner (edlcam.runfolder): its index agrees with the docs, every file a run
holds is described, errors are one line naming the file and the command, and the capture rate
decided once reaches the stored frames and the MP4s."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from edlcam import runfolder
from edlcam.errors import MissionError, RunFolderError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent / "ground"))


def _table_patterns(doc: Path) -> list[str]:
    """The backticked first cells of the file table (the one headed ``| file … | written by …``)."""
    lines = doc.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| file") and "written by" in line)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows += re.findall(r"^\| `([^`]+)` \|", line)
    return rows


def test_the_docs_list_exactly_the_files_of_the_layout():
    patterns = [f.pattern for f in runfolder.LAYOUT]
    assert _table_patterns(ROOT / "docs" / "run-folder.md") == patterns
    assert _table_patterns(ROOT / "docs" / "architecture.md") == patterns
    table = (ROOT / "docs" / "run-folder.md").read_text()
    for f in runfolder.LAYOUT:  # and with the same writer and readers
        assert f"| `{f.pattern}` | {f.writer} | {', '.join(f.readers)} |" in table


def test_every_file_of_a_filmed_and_relayed_run_is_described():
    from ground_fixtures import synthetic_run

    run = synthetic_run()
    files = [p for p in run.rglob("*") if p.is_file()]
    assert len(files) > 100
    undescribed = sorted(str(p.relative_to(run)) for p in files if runfolder.describe(run, p) is None)
    assert undescribed == []
    assert runfolder.describe(run, run / "ground" / "received" / "rdc" / "thumb" / "000001.jpg").writer == "relay"
    assert runfolder.describe(run, run / "flight" / "stray.txt") is None


def test_no_module_but_the_run_folders_own_names_its_files():
    hits = []
    for path in (ROOT / "src" / "edlcam").rglob("*.py"):
        if path.parent == ROOT / "src" / "edlcam" / "runfolder":
            continue
        text = path.read_text()
        hits += [f"{path.relative_to(ROOT)}: {name}" for name in ("events.json", "manifest.json", "bodies.parquet")
                 if name in text]
    assert hits == []


# --------------------------------------------------------------------------------------- errors


def test_a_missing_or_damaged_file_is_one_line_naming_it_and_the_command(tmp_path):
    with pytest.raises(RunFolderError) as exc:
        runfolder.read_events(tmp_path)
    assert str(exc.value) == f"{tmp_path}/flight/events.json: missing; run `edlcam simulate --out {tmp_path}` to make it"
    (tmp_path / "flight").mkdir()
    (tmp_path / "flight" / "bodies.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(RunFolderError) as exc:
        runfolder.read_bodies(tmp_path)
    assert str(exc.value).startswith(f"{tmp_path}/flight/bodies.parquet: not a readable Parquet file (")
    assert str(exc.value).endswith(f"); run `edlcam simulate --out {tmp_path}` again to rewrite it")
    (tmp_path / "flight" / "events.json").write_text(json.dumps({"events": [{"name": "entry_interface", "t_s": 0}]}))
    with pytest.raises(RunFolderError) as exc:
        runfolder.read_events(tmp_path).require("touchdown", "the relay passes are timed from", field="utc")
    assert str(exc.value) == (f"{tmp_path}/flight/events.json: no 'touchdown' event with a 'utc', which the relay "
                              f"passes are timed from; run `edlcam simulate --out {tmp_path}` again to rewrite it")
    with pytest.raises(RunFolderError) as exc:
        runfolder.read_trajectory(tmp_path)
    assert "\n" not in str(exc.value) and "trajectory.parquet: missing; run `edlcam simulate" in str(exc.value)


def test_a_mission_an_older_edlcam_wrote_is_refused_naming_the_values_and_simulate(tmp_path, capsys):
    """A run's mission.toml holds every value (write_mission); one written before the LCAM's lens had a
    linearity would film a pinhole LCAM again: every stage refuses it in one line, not a traceback."""
    from edlcam.cli import main
    from edlcam.mission import load_mission, write_mission

    mission = load_mission()
    write_mission(mission, tmp_path / "mission.toml")
    assert runfolder.load_run_mission(tmp_path) == mission
    old = [line for line in (tmp_path / "mission.toml").read_text().splitlines()
           if not line.startswith(("linearity", "sample_rate_hz"))]
    (tmp_path / "mission.toml").write_text("\n".join(old) + "\n")
    expected = (f"{tmp_path / 'mission.toml'}: written by an older edlcam: 'cameras.views.lcam.linearity', "
                f"'microphone.sample_rate_hz' are missing; rerun `edlcam simulate --out {tmp_path}` to rewrite it "
                f"(and the stages after it)")
    with pytest.raises(RunFolderError) as exc:
        runfolder.load_run_mission(tmp_path)
    assert str(exc.value) == expected
    for command in (["film", str(tmp_path)], ["relay", str(tmp_path)], ["assemble", str(tmp_path)]):
        assert main(command) == 1
        assert capsys.readouterr().err.replace("\n", "") == f"error: {expected}"


def test_a_manifest_without_a_recorded_rate_is_refused_by_name(tmp_path):
    path = tmp_path / "onboard" / "products" / "manifest.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"products": []}))
    manifest = runfolder.read_manifest(tmp_path)
    with pytest.raises(RunFolderError) as exc:
        manifest.rate_hz("puc_a")
    assert str(exc.value) == (f"{path}: no recorded rate for 'puc_a' in 'rates_hz'; "
                              f"run `edlcam film {tmp_path}` again to rewrite it")


def test_events_keep_flight_order_and_give_their_times(tmp_path):
    doc = {"events": [{"name": "entry_interface", "t_s": 0.0, "utc": "2021-02-18T20:36:38.000Z"},
                      {"name": "touchdown", "t_s": 410.5, "vertical_speed_m_s": 0.75}],
           "minor_events": [{"name": "mortar_fire", "t_s": 240.0}], "status": "landed"}
    runfolder.write_events(tmp_path, doc["events"], doc["minor_events"], status="landed")
    events = runfolder.read_events(tmp_path)
    assert [e.name for e in events.all()] == ["entry_interface", "mortar_fire", "touchdown"]
    assert events.times() == {"entry_interface": 0.0, "mortar_fire": 240.0, "touchdown": 410.5}
    assert events.get("touchdown").get("vertical_speed_m_s") == 0.75 and events.extra == {"status": "landed"}
    assert json.loads((tmp_path / "flight" / "events.json").read_text()) == doc


# ---------------------------------------------------------------------------------------- poses


def test_one_pose_interpolation_slerps_the_attitude_and_clamps_the_arrays():
    turn = [np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)]  # +90° about up
    track = runfolder.BodyTrack("rover", [0.0, 1.0], [[0, 0, 0], [2, 0, 0]], [[0, 0, 0], [0, 0, 0]],
                                [[1, 0, 0, 0], turn], [0.0, 1.0])
    # Slerp: half way is +45° (normalised linear interpolation of the quaternions agrees only at the middle).
    assert np.allclose(track.attitude(0.5), [np.cos(np.pi / 8), 0, 0, np.sin(np.pi / 8)], atol=1e-12)
    quarter = track.attitude(0.25)
    assert np.isclose(2 * np.degrees(np.arctan2(quarter[3], quarter[0])), 22.5, atol=1e-9)
    assert np.allclose(track.point(1.0, [1.0, 0.0, 0.0]), [2.0, 1.0, 0.0], atol=1e-12)
    assert np.allclose(track.point([-1.0, 5.0], [0, 0, 0]), [[0, 0, 0], [2, 0, 0]])  # clamped at the ends
    assert track.pose(1.5) is None and np.allclose(track.pose(0.5).R, track.rotation(0.5).as_matrix())


# ----------------------------------------------------------------------------------------- rates


def test_the_capture_rate_is_decided_once_from_the_mission_and_the_quality():
    from edlcam.config.onboard import CaptureConfig
    from edlcam.mission import load_mission

    m = load_mission()
    rates = runfolder.capture_rates(m, "preview")
    assert rates["puc_a"].sensor_hz == 75.0 and rates["puc_a"].keep_every == 7  # [cameras.views.puc_a]
    assert rates["microphone"].rate_hz == 48_000.0  # [microphone] sample_rate_hz
    capture = {**m.onboard.capture, "puc_a": CaptureConfig(unit="descent_stage", fps=30.0)}
    m30 = m.model_copy(update={"onboard": m.onboard.model_copy(update={"capture": capture})})
    assert runfolder.capture_rates(m30, "full")["puc_a"].rate_hz == 30.0
    capture = {**m.onboard.capture, "rdc": CaptureConfig(unit="rover", fps=50.0)}  # RDC exposes up to 30 ms
    m50 = m.model_copy(update={"onboard": m.onboard.model_copy(update={"capture": capture})})
    with pytest.raises(MissionError, match=r"^onboard.capture.rdc.fps is 50, but \[cameras.views.rdc\] max_exposure_s"):
        runfolder.capture_rates(m50, "full")


def _puc_at_30_fps_mission():
    """The default mission with 96×64 px cameras and no MSAA, where only PUC A records: at 30 fps for
    1 s after parachute deploy (every other source's window ends before it starts: nothing)."""
    from edlcam.mission import load_mission

    m = load_mission()
    views = {name: v.model_copy(update={"width_px": 96, "height_px": 64, "preview_scale": 1, "max_blur_subframes": 1})
             for name, v in m.cameras.views.items()}
    cameras = m.cameras.model_copy(update={"views": views, "workers": 0, "msaa_samples": 0})
    empty = {"start_event": "touchdown", "start_offset_s": 0.0, "end_event": "entry_interface", "end_offset_s": 0.0}
    capture = {name: cap.model_copy(update=empty) for name, cap in m.onboard.capture.items()}
    capture["puc_a"] = capture["puc_a"].model_copy(update={"fps": 30.0, "start_event": "parachute_deploy",
                                                           "end_event": "parachute_deploy", "end_offset_s": 1.0})
    onboard = m.onboard.model_copy(update={"capture": capture})
    return m.model_copy(update={"cameras": cameras, "onboard": onboard})


def test_a_puc_captured_at_30_fps_stores_30_fps_frames_and_its_mp4_plays_at_30_fps(nominal_run, tmp_path):
    """``[onboard.capture.puc_a] fps = 30`` end to end: the real frame source renders 31 frames a
    30th of a second apart (PUC A's own rate is 75 fps), the store holds them, and both the onboard
    video segment and the ground's puc_a.mp4 play at 30 fps (probed with PyAV)."""
    import av

    from edlcam.ground.catalog import build_catalog, open_catalog
    from edlcam.ground.video import open_cameras, write_camera_mp4
    from edlcam.link.relay import run_relay
    from edlcam.mission import write_mission
    from edlcam.onboard.film import film
    from edlcam.onboard.store import scan_store

    run = tmp_path / "run"
    # the nominal flight under another mission: without its provenance record, which would refuse the mix
    shutil.copytree(nominal_run / "flight", run / "flight", ignore=shutil.ignore_patterns("*.png", runfolder.PROVENANCE))
    mission = _puc_at_30_fps_mission()
    write_mission(mission, run / "mission.toml")
    film(run, quality="full", mission=mission)

    sclk = np.array([r.sclk_s for r in scan_store(runfolder.store_dir(run, "descent_stage")).records])
    assert len(sclk) == 31 and np.allclose(np.diff(sclk), 1 / 30, atol=1e-6)
    manifest = runfolder.read_manifest(run)
    assert manifest.rate_hz("puc_a") == 30.0 and manifest.quality == "full"
    segment = next(p for p in manifest.products if p.kind == "video")
    with av.open(str(run / runfolder.PRODUCTS_DIR / segment.path)) as c:
        assert c.streams.video[0].average_rate == 30 and c.streams.video[0].frames == 31

    run_relay(run, mission=mission, days=1.0)
    build_catalog(run)
    con = open_catalog(run)
    try:
        video = write_camera_mp4(open_cameras(run, con, mission)["puc_a"], runfolder.camera_film(run, "puc_a"))
    finally:
        con.close()
    assert video.fps == 30.0
    with av.open(str(video.path)) as c:
        stream = c.streams.video[0]
        assert stream.average_rate == 30 and stream.frames == 31
