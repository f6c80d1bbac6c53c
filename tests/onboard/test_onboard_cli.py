"""`edlcam film`, `edlcam store verify` and `edlcam store export` through the CLI entry point."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from onboard_fixtures import SyntheticCameras, small_mission, synthetic_audio, write_events

from edlcam.cli import main
from edlcam.mission import write_mission
from edlcam.onboard.film import store_dir
from edlcam.onboard.store import scan_store, segment_path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import edlcam.onboard.film as film_mod

    run = tmp_path_factory.mktemp("clirun")
    write_events(run)
    mission = small_mission()
    write_mission(mission, run / "mission.toml")
    mp = pytest.MonkeyPatch()
    mp.setattr(film_mod, "_default_frame_source", lambda: SyntheticCameras(mission))
    mp.setattr(film_mod, "_default_audio_source", lambda: synthetic_audio)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            assert main(["film", str(run), "--quality", "full"]) == 0
    finally:
        mp.undo()
    (run / "film-output.txt").write_text(out.getvalue())
    return run


def test_film_prints_schedule_losses_and_compression(run, capsys):
    out = (run / "film-output.txt").read_text()
    report = json.loads((run / "onboard" / "report.json").read_text())
    lines = out.splitlines()
    assert lines[0] == "capture schedule"
    assert lines[1].split()[:2] == ["source", "unit"]
    assert any(line.split()[:2] == ["rdc", "rover"] for line in lines[2:12])
    lost = report["umbilical"]["lost"]["ddc"]
    assert (f"lost ddc: {lost['records']} records, {lost['bytes'] / 1e6:.1f} MB, frames {json.dumps(lost['frames'])} "
            f"(recorded after cut: {lost['reasons']['recorded after cut']})") in out
    ratio = report["products"]["video"]["compression_ratio"]
    assert f"compression {ratio:.1f}:1" in out
    assert f"report: {run / 'onboard' / 'report.json'}" in out.replace("\n", "")


def test_verify_lists_records_per_camera(run, capsys):
    path = store_dir(run, "rover")
    scan = scan_store(path)
    assert main(["store", "verify", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"{path}: consistent — {len(scan.records)} records in {scan.segments} segments, "
                      f"{scan.bytes_on_disk} bytes on disk")
    rdc = next(line for line in out if line.split()[0] == "rdc")
    n, b = scan.per_source()["rdc"]
    assert rdc.split() == ["rdc", str(n), str(b)]


def test_verify_reports_a_torn_tail_and_exits_0(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store_dir(run, "rover"), copy)
    last = sorted(copy.glob("seg-*.edls"))[-1]
    size = last.stat().st_size
    with open(last, "ab") as f:
        f.write(b"EDLR\x00\x10")
    assert main(["store", "verify", str(copy)]) == 0
    out = capsys.readouterr().out
    assert (f"torn tail discarded: segment {len(list(copy.glob('seg-*')))-1} ({last.name}), 6 bytes from byte "
            f"{size} (a write cut by a crash; nothing committed)") in out


def test_verify_exits_1_on_corruption_naming_segment_and_byte(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store_dir(run, "rover"), copy)
    rec = scan_store(copy).records[2]
    path = segment_path(copy, rec.segment)
    data = bytearray(path.read_bytes())
    data[rec.offset + 70] ^= 1
    path.write_bytes(bytes(data))
    assert main(["store", "verify", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}: corrupt at byte {rec.offset}: record payload CRC or trailer mismatch" in err.replace("\n", "")


def test_export_frames_as_png_and_audio_as_flac(run, tmp_path, capsys):
    import cv2
    import soundfile

    from edlcam.onboard.products import decode_image
    from edlcam.onboard.store import iter_records

    path = store_dir(run, "rover")
    assert main(["store", "export", str(path), "--camera", "rdc", "--out", str(tmp_path / "rdc")]) == 0
    records = [r for r in iter_records(path) if r.source == "rdc"]
    assert capsys.readouterr().out.strip() == f"{len(records)} files written to {tmp_path / 'rdc'}"
    png = cv2.cvtColor(cv2.imread(str(tmp_path / "rdc" / "000004.png")), cv2.COLOR_BGR2RGB)
    assert np.array_equal(png, decode_image(records[4]))
    assert main(["store", "export", str(path), "--camera", "microphone", "--out", str(tmp_path / "mic")]) == 0
    samples, rate = soundfile.read(tmp_path / "mic" / "microphone.flac")
    assert rate == 8000 and len(samples) == sum(r.height for r in iter_records(path) if r.source == "microphone")


def test_export_of_an_unknown_camera_names_what_the_store_holds(run, tmp_path, capsys):
    path = store_dir(run, "rover")
    assert main(["store", "export", str(path), "--camera", "navcam", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert f"error: {path}: no records of camera 'navcam'; this store holds: ddc, lcam, microphone, puc_a, puc_b, puc_c, rdc, ruc" in err


def test_film_errors(tmp_path, capsys):
    assert main(["film", str(tmp_path), "--quality", "best"]) == 1
    assert "error: --quality is 'best'; use 'preview' or 'full'" in capsys.readouterr().err
    assert main(["film", str(tmp_path)]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert f"error: {tmp_path / 'mission.toml'}: missing; run `edlcam simulate {tmp_path}` first" in err
    assert main(["store", "verify", str(tmp_path / "nope")]) == 1
    assert "no such store directory; give RUN/onboard/store/<unit>" in capsys.readouterr().err
