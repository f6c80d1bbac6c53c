"""The relay's two filestores as cfdp-py sees them: the rover reads products, the ground writes segments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def test_the_rover_reads_a_product_by_its_wire_name_at_any_offset(tmp_path):
    from edlcam.link.sender import _RoverFilestore

    data = bytes(range(256)) * 40  # 10 240 B
    (tmp_path / "p.png").write_bytes(data)
    fs = _RoverFilestore()
    wire = fs.register("rdc/lossless/000001.png", tmp_path / "p.png")
    assert wire == Path("rdc/lossless/000001.png")
    assert fs.read_data(wire, 0, 8192) == data[:8192]
    assert fs.read_data(wire, 8192, 8192) == data[8192:]  # short at the end, as a file read is
    assert fs.read_data(wire, None) == data
    assert fs.read_data(wire, 100) == data[100:]
    assert fs.file_size(wire) == len(data)
    fs.close()


def test_the_rover_opens_a_product_once_for_all_its_segments_and_closes_it(tmp_path, monkeypatch):
    import edlcam.link.sender as sender

    opened, closed = [], []
    real_open, real_close = os.open, os.close
    monkeypatch.setattr(sender.os, "open", lambda path, flags, *a: opened.append(path) or real_open(path, flags, *a))
    monkeypatch.setattr(sender.os, "close", lambda fd: closed.append(fd) or real_close(fd))
    fs = sender._RoverFilestore()
    names = []
    for k in range(fs.OPEN_FILES + 2):
        (tmp_path / f"{k}.bin").write_bytes(bytes([k]) * 20_000)
        names.append(fs.register(f"cam/{k}.bin", tmp_path / f"{k}.bin"))
    for offset in range(0, 20_000, 8192):
        assert fs.read_data(names[0], offset, 8192) == bytes([0]) * min(8192, 20_000 - offset)
    assert len(opened) == 1  # one open for three segments
    for name in names[1:]:
        fs.read_data(name, 0, 10)
    assert len(opened) == fs.OPEN_FILES + 2 and len(closed) == 2  # never more than OPEN_FILES held
    fs.close()
    assert len(closed) == len(opened)


def test_the_rover_reports_a_missing_product_as_cfdp_py_expects(tmp_path):
    from edlcam.link.sender import _RoverFilestore

    fs = _RoverFilestore()
    wire = fs.register("gone.png", tmp_path / "gone.png")
    with pytest.raises(FileNotFoundError):
        fs.read_data(wire, 0, 10)


def test_the_ground_writes_each_segment_at_its_offset_in_the_staging_folder(tmp_path):
    from cfdppy import RestrictedFilestore

    from edlcam.link.receiver import _staging_filestore

    fs = _staging_filestore(RestrictedFilestore)(tmp_path)
    part = Path("x.0.part")
    fs.create_file(part)
    fs.write_data(part, b"world", 6)
    fs.write_data(part, b"hello ", 0)
    fs.write_data(part, b"H", None)  # no offset: the start of the file, as cfdp-py's NativeFilestore does
    assert (tmp_path / "x.0.part").read_bytes() == b"Hello world"
    with pytest.raises(FileNotFoundError):
        fs.write_data(Path("never.part"), b"x", 0)
