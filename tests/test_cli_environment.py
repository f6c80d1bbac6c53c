"""Failures of the machine, not of edlcam (issue 21): a file where the run folder should be, a
read-only or full disk, a corrupt catalog. Each is one line naming the path, what went wrong and
what to do, never "internal error … (a bug in edlcam)".

Read-only and full disks are made by raising the errno where the stage writes (a chmod'ed folder
does not stop root, who may run the tests)."""

import errno
import os
import sqlite3

import pytest

from edlcam.cli import environment_message, main
from edlcam.errors import RunFolderError


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "internal error" not in err and "a bug in edlcam" not in err, err
    return lines[0]


def test_simulate_out_is_a_file(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    assert main(["simulate", "--out", str(afile)]) == 1
    line = _one_error_line(capsys)
    assert str(afile) in line and "is a file, not a folder" in line and "give a folder" in line


def test_demo_out_is_a_file(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    assert main(["demo", "--out", str(afile)]) == 1
    line = _one_error_line(capsys)
    assert str(afile) in line and "is a file, not a folder" in line


def _raise(code, filename=None):
    def fail(*_args, **_kwargs):
        raise OSError(code, os.strerror(code), *([filename] if filename else []))

    return fail


def test_simulate_read_only_run_folder(tmp_path, capsys, monkeypatch):
    import edlcam.flight.run as run

    out = tmp_path / "run"
    monkeypatch.setattr(run, "simulate", _raise(errno.EROFS, str(out / "flight")))
    assert main(["simulate", "--out", str(out)]) == 1
    line = _one_error_line(capsys)
    assert f"{out / 'flight'}: the file system is read-only (EROFS); give a folder on a writable disk" in line


@pytest.mark.parametrize("code, what", [(errno.EROFS, "read-only"), (errno.ENOSPC, "the disk is full")])
def test_film_disk_failure_names_the_run(tmp_path, capsys, monkeypatch, code, what):
    # A write that fails without a file name (e.g. a full disk in the middle of a product):
    # the line names the run folder given to the command.
    import edlcam.onboard.schedule as schedule

    run = tmp_path / "run"
    run.mkdir()
    (run / "mission.toml").write_text('extends = "mars2020"\n')
    monkeypatch.setattr(schedule, "load_events", _raise(code))
    assert main(["film", str(run), "--quality", "preview"]) == 1
    line = _one_error_line(capsys)
    assert line.startswith(f"error: {run}: ") and what in line and errno.errorcode[code] in line


@pytest.mark.parametrize("code, what", [(errno.EROFS, "read-only"), (errno.ENOSPC, "the disk is full")])
def test_relay_disk_failure_names_the_run(tmp_path, capsys, monkeypatch, code, what):
    import edlcam.link.relay as relay

    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setattr(relay, "run_relay", _raise(code))
    assert main(["relay", str(run)]) == 1
    line = _one_error_line(capsys)
    assert line.startswith(f"error: {run}: ") and what in line


def test_report_on_a_garbage_catalog(tmp_path):
    from edlcam.ground.catalog import open_catalog

    run = tmp_path / "run"
    (run / "ground").mkdir(parents=True)
    (run / "ground" / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(RunFolderError, match=r"catalog\.sqlite: not a readable catalog \(.*\); delete it and rebuild it with `edlcam assemble"):
        open_catalog(run)


def test_report_command_on_a_garbage_catalog(tmp_path, capsys, monkeypatch):
    # Wherever a corrupt database surfaces first, the command says so in one line.
    import edlcam.ground.report as report

    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setattr(report, "write_report", lambda *a, **k: (_ for _ in ()).throw(sqlite3.DatabaseError("file is not a database")))
    assert main(["report", str(run)]) == 1
    line = _one_error_line(capsys)
    assert str(run) in line and "corrupt or not SQLite" in line and "edlcam assemble" in line


def test_environment_message_leaves_bugs_alone():
    assert environment_message(ZeroDivisionError("x")) is None
    assert environment_message(OSError("no errno")) is None
    msg = environment_message(OSError(errno.EACCES, "Permission denied", "/x/y"))
    assert msg == "/x/y: permission denied (EACCES); make it readable and writable for you, or give another folder"
