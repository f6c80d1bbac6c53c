"""`edlcam film`, `edlcam store verify` and `edlcam store export` through the CLI entry point."""

from __future__ import annotations

import contextlib
import io
import json
import re

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
    mission = small_mission(segment_bytes=1 << 20)  # several segments per store
    write_mission(mission, run / "mission.toml")
    mp = pytest.MonkeyPatch()
    mp.setattr(film_mod, "_default_frame_source", lambda **_: SyntheticCameras(mission))
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


def test_verify_reports_a_torn_tail_and_exits_0(tmp_path, capsys):
    from edlcam.onboard.store import FORMAT_RAW, Record, StoreWriter

    copy = tmp_path / "store"
    w = StoreWriter(copy, segment_bytes=4096, commit_records=1)
    for i in range(20):
        w.append(Record("rdc", i, 666952000.0 + i, FORMAT_RAW, bytes(300), 1, 300, 1))
    w.abandon()  # the writer was killed: no seal, no closing checkpoint
    last = sorted(copy.glob("seg-*.edls"))[-1]
    size = last.stat().st_size
    with open(last, "ab") as f:  # and its last write was cut
        f.write(b"EDLR\x00\x10")
    assert main(["store", "verify", str(copy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  not closed (its writer was stopped: a crash or a kill): all 20 records committed at the last checkpoint intact"
    assert out[2] == (f"  torn tail discarded: segment {len(list(copy.glob('seg-*')))-1} ({last.name}), 6 bytes from "
                      f"byte {size} (a write cut by a crash; every committed record is intact)")


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
    assert f"error: {tmp_path / 'mission.toml'}: missing; run `edlcam simulate --out {tmp_path}` to make it" in err
    assert main(["store", "verify", str(tmp_path / "nope")]) == 1
    assert "no such store directory; give RUN/onboard/store/<unit>" in capsys.readouterr().err


# --- issue #20: a store knows what it committed; folders that are not a store -----------------------------


def _run_copy(run, tmp_path):
    """RUN/onboard/store and report.json copied, so verify cross-checks as in a run."""
    import shutil

    dst = tmp_path / "RUN" / "onboard"
    shutil.copytree(run / "onboard" / "store", dst / "store")
    shutil.copy(run / "onboard" / "report.json", dst / "report.json")
    return dst / "store"


def _cli(capsys, *args):
    code = main(["store", *map(str, args)])
    cap = capsys.readouterr()
    return code, cap.out.splitlines(), cap.err.replace("\n", "")


def test_verify_of_a_run_store_is_sealed_and_cross_checked(run, tmp_path, capsys):
    units = _run_copy(run, tmp_path)
    store = units / "rover"
    n = len(scan_store(store).records)
    code, out, _ = _cli(capsys, "verify", store)
    assert code == 0
    assert out[1:3] == [f"  sealed at a clean close: all {n} committed records intact",
                        f"  cross-checked with {units.parent / 'report.json'}: the same records and bytes per source"]


def test_deleting_the_last_segment_of_a_closed_store_is_reported_missing(run, tmp_path, capsys):
    store = _run_copy(run, tmp_path) / "rover"
    scan = scan_store(store)
    assert scan.segments >= 3
    last = segment_path(store, scan.segments - 1)
    in_last = [r for r in scan.records if r.segment == scan.segments - 1]
    left = scan.bytes_on_disk - last.stat().st_size
    last.unlink()
    code, out, err = _cli(capsys, "verify", store)
    assert code == 1
    assert out[0] == (f"{store}: {len(in_last)} of {len(scan.records)} committed records missing or damaged — "
                      f"{len(scan.records) - len(in_last)} intact records in {scan.segments - 1} segments, "
                      f"{left} bytes on disk")
    assert err == (f"error: {store}: {len(in_last)} of {len(scan.records)} committed records missing or damaged "
                   f"(record_seq {in_last[0].seq}–{in_last[-1].seq + 1}): {last.name} is missing (the last checkpoint "
                   f"counts {scan.segments} segments)")
    report_line = next(line for line in out if "report.json" in line)
    assert report_line.startswith(f"  {store.parent.parent / 'report.json'}: unit rover recorded {len(scan.records)} "
                                  f"records; the store holds {len(scan.records) - len(in_last)} intact")
    assert _cli(capsys, "export", store, "--camera", "rdc", "--out", tmp_path / "x")[0] == 1


def test_truncating_the_last_segment_is_reported_missing(run, tmp_path, capsys):
    import os

    store = _run_copy(run, tmp_path) / "rover"
    scan = scan_store(store)
    rec = scan.records[-1]
    path = segment_path(store, rec.segment)
    end = path.stat().st_size
    os.truncate(path, rec.offset + 100)  # inside the last record
    code, _, err = _cli(capsys, "verify", store)
    assert code == 1
    assert err.startswith(f"error: {store}: 1 of {len(scan.records)} committed records missing or damaged "
                          f"(record_seq {rec.seq}–{rec.seq + 1}): {path.name} is cut short: it ends at byte "
                          f"{rec.offset + 100}, its committed records run to byte {end}")


def test_flipping_a_byte_of_the_last_record_is_reported_damaged(run, tmp_path, capsys):
    store = _run_copy(run, tmp_path) / "rover"
    scan = scan_store(store)
    rec = scan.records[-1]
    path = segment_path(store, rec.segment)
    data = bytearray(path.read_bytes())
    data[rec.offset + rec.size_bytes - 20] ^= 4  # a payload byte
    path.write_bytes(bytes(data))
    code, out, err = _cli(capsys, "verify", store)
    assert code == 1
    assert err.startswith(f"error: {path}: corrupt at byte {rec.offset}: record payload CRC or trailer mismatch; "
                          f"{rec.size_bytes} bytes skipped to the next intact record; 1 of {len(scan.records)} "
                          f"committed records missing or damaged (record_seq {rec.seq})")
    code, _, err = _cli(capsys, "export", store, "--camera", rec.source, "--out", tmp_path / "x")
    assert code == 1 and "1 of" in err and not (tmp_path / "x").exists()


def test_deleting_every_segment_is_not_zero_records(run, tmp_path, capsys):
    store = _run_copy(run, tmp_path) / "rover"
    scan = scan_store(store)
    for p in store.glob("seg-*.edls"):
        p.unlink()
    code, out, err = _cli(capsys, "verify", store)
    assert code == 1
    n, k = len(scan.records), scan.segments
    assert out[0] == f"{store}: {n} of {n} committed records missing or damaged — 0 intact records in 0 segments, 0 bytes on disk"
    assert err.startswith(f"error: {store}: {n} of {n} committed records missing or damaged (record_seq 0–"
                          f"{scan.tip.seq}): seg-00000000.edls … {segment_path(store, k - 1).name} ({k} segments) "
                          f"are missing (the last checkpoint counts {k} segments)")


def test_checkpoints_and_a_cut_tail_are_caught_by_report_json(run, tmp_path, capsys):
    """Both checkpoint copies gone and the last record cut off cleanly: the run's report.json still knows."""
    import os

    from edlcam.onboard.store import checkpoint_path

    store = _run_copy(run, tmp_path) / "rover"
    scan = scan_store(store)
    rec = scan.records[-1]
    os.truncate(segment_path(store, rec.segment), rec.offset)
    for copy in (0, 1):
        checkpoint_path(store, copy).unlink()
    code, out, err = _cli(capsys, "verify", store)
    assert code == 1
    assert f"{store.parent.parent / 'report.json'}: unit rover recorded {len(scan.records)} records; the store " \
           f"holds {len(scan.records) - 1} intact (records per source, report → store: " in "".join(out)
    assert err.startswith(f"error: {store}: no readable checkpoint")


def test_folders_that_are_not_a_store_are_refused_with_what_they_hold(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _cli(capsys, "verify", empty) == (1, [], f"error: {empty}: not a store (no seg-*.edls segments, no "
                                                     f"checkpoint-*.edlc checkpoints): the folder is empty")
    code, out, err = _cli(capsys, "verify", "/etc")
    assert code == 1 and out == []
    assert err.startswith("error: /etc: not a store (no seg-*.edls segments, no checkpoint-*.edlc checkpoints): it "
                          "holds ")
    code, _, err = _cli(capsys, "export", "/etc", "--camera", "rdc", "--out", tmp_path / "x")
    assert code == 1 and err.startswith("error: /etc: not a store")
    (tmp_path / "notes.txt").write_text("x")
    code, _, err = _cli(capsys, "verify", tmp_path / "notes.txt")
    assert (code, err) == (1, f"error: {tmp_path / 'notes.txt'}: a file, not a store folder; give "
                              "RUN/onboard/store/<unit>")


def test_the_folder_of_units_is_verified_unit_by_unit(run, tmp_path, capsys):
    units = _run_copy(run, tmp_path)
    code, out, _ = _cli(capsys, "verify", units)
    assert code == 0
    firsts = [line for line in out if not line.startswith(" ")]
    assert [line.split(":")[0] for line in firsts] == [str(units / "descent_stage"), str(units / "rover")]
    assert all("consistent" in line for line in firsts)
    segment_path(units / "descent_stage", 0).unlink()
    code, out, err = _cli(capsys, "verify", units)
    assert code == 1 and err.startswith(f"error: {units / 'descent_stage'}/seg-00000000.edls: missing")
    assert any(line.startswith(f"{units / 'rover'}: consistent") for line in out)  # the other unit is still checked


def test_export_from_the_folder_of_units_finds_the_unit(run, tmp_path, capsys):
    units = _run_copy(run, tmp_path)
    code, out, _ = _cli(capsys, "export", units, "--camera", "rdc", "--out", tmp_path / "a")
    assert code == 0
    assert _cli(capsys, "export", units / "rover", "--camera", "rdc", "--out", tmp_path / "b")[0] == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert out == [f"{len(names)} files written to {tmp_path / 'a'}"] and len(names) > 10
    assert all((tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in names)
    ds = sum(1 for r in scan_store(units / "descent_stage").records if r.source == "ddc")
    rv = sum(1 for r in scan_store(units / "rover").records if r.source == "ddc")
    code, _, err = _cli(capsys, "export", units, "--camera", "ddc", "--out", tmp_path / "c")
    assert (code, err) == (1, f"error: {units}: camera 'ddc' is in more than one unit: descent_stage ({ds} records), "
                              f"rover ({rv} records); give the unit's store, e.g. {units / 'descent_stage'}")
    code, _, err = _cli(capsys, "export", units, "--camera", "navcam", "--out", tmp_path / "c")
    assert code == 1 and err.startswith(f"error: {units}: no unit holds records of camera 'navcam'; they hold "
                                        "descent_stage: ddc")


class _CountingCameras(SyntheticCameras):
    """Synthetic cameras that count the frames film pulled from them."""

    pulled = 0

    def __call__(self, *args, **kwargs):
        for frame in super().__call__(*args, **kwargs):
            type(self).pulled += 1
            yield frame


def _full_disk_after(n_bytes: int):
    """A write(2) seam that takes ``n_bytes`` in all, then fails with ENOSPC like a full disk."""
    import errno
    import os

    left = {"bytes": n_bytes}

    def write(fd, buffers):
        if left["bytes"] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        data = b"".join(bytes(b) for b in buffers)[: left["bytes"]]
        left["bytes"] -= len(data)
        return os.write(fd, data)

    return write


def test_a_full_disk_stops_film_early_with_one_line(tmp_path, monkeypatch, capsys):
    import edlcam.onboard.film as film_mod
    from edlcam.onboard.schedule import build_schedule, load_events

    write_events(tmp_path)
    mission = small_mission()
    write_mission(mission, tmp_path / "mission.toml")
    cams = _CountingCameras(mission)
    monkeypatch.setattr(film_mod, "_default_frame_source", lambda **_: cams)
    monkeypatch.setattr(film_mod, "_default_audio_source", lambda: synthetic_audio)
    real_writer = film_mod._writer

    def writer(run_dir, unit, onboard):  # the disk fills 200 kB into the descent stage's recording
        w = real_writer(run_dir, unit, onboard)
        w.write = _full_disk_after(200_000)
        return w

    monkeypatch.setattr(film_mod, "_writer", writer)
    assert main(["film", str(tmp_path)]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    ds = tmp_path / ".staging" / "onboard.new" / "onboard" / "store" / "descent_stage"  # where film built it
    assert err == (f"error: {segment_path(ds, 0)}: disk full (ENOSPC) while recording; nothing was replaced: "
                   f"{tmp_path / 'onboard'} is as it was before this run (the partial new recording was removed, "
                   f"freeing its space); free space on that disk and run `edlcam film` again")
    total = sum(w.frames for w in build_schedule(mission, load_events(tmp_path)).windows if not w.is_audio)
    assert 0 < cams.pulled < total / 4  # stopped at once: it did not go on rendering frames to drop
    assert not (tmp_path / "onboard").exists() and not ds.exists()


def test_a_full_disk_while_making_products_says_nothing_was_replaced(tmp_path, monkeypatch, capsys):
    import errno

    import edlcam.onboard.film as film_mod
    import edlcam.onboard.products as products_mod

    write_events(tmp_path)
    mission = small_mission()
    write_mission(mission, tmp_path / "mission.toml")
    monkeypatch.setattr(film_mod, "_default_frame_source", lambda **_: SyntheticCameras(mission))
    monkeypatch.setattr(film_mod, "_default_audio_source", lambda: synthetic_audio)
    full = tmp_path / "onboard" / "products" / "ddc" / "thumb" / "000000.jpg"

    def no_space(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(full))

    monkeypatch.setattr(products_mod, "_write", no_space)
    assert main(["film", str(tmp_path)]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert err.startswith(f"error: {full}: disk full (ENOSPC) while writing the products")  # not an internal error
    assert re.fullmatch(
        re.escape(f"error: {full}: disk full (ENOSPC) while writing the products and report (both new stores were "
                  f"complete: ") + r"descent_stage \d+ records, rover \d+ records" + re.escape(
                  f"); nothing was replaced: {tmp_path / 'onboard'} is as it was before this run (the partial new "
                  f"recording was removed, freeing its space); free space on that disk and run `edlcam film` again"),
        err)
    assert not (tmp_path / "onboard").exists() and not (tmp_path / ".staging" / "onboard.new").exists()
