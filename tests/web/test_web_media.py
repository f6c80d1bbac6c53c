"""Byte ranges (RFC 9110 §14) and path containment, as pure functions."""

from __future__ import annotations

import os

import pytest

from edlcam.ground.web.media import ByteRange, parse_range, resolve_inside

SIZE = 10_000  # RFC 9110 §14.1.2's examples use a 10000-byte representation


@pytest.mark.parametrize(
    "header, expected",
    [
        # RFC 9110 §14.1.2 examples, with a representation length of 10000:
        ("bytes=0-499", ByteRange(0, 499, SIZE)),  # "The first 500 bytes"
        ("bytes=500-999", ByteRange(500, 999, SIZE)),  # "The second 500 bytes"
        ("bytes=-500", ByteRange(9500, 9999, SIZE)),  # "The final 500 bytes" (suffix form)
        ("bytes=9500-", ByteRange(9500, 9999, SIZE)),  # the same, open-ended
        ("bytes=0-0", ByteRange(0, 0, SIZE)),  # "The first byte"
        ("bytes=-1", ByteRange(9999, 9999, SIZE)),  # "The last byte"
        ("bytes=0-", ByteRange(0, 9999, SIZE)),  # what browsers send first for <video>
        ("bytes=9000-20000", ByteRange(9000, 9999, SIZE)),  # §14.1.2: last-pos past the end is clamped
        ("bytes=-20000", ByteRange(0, 9999, SIZE)),  # a suffix longer than the file: all of it
        ("BYTES = 10-19", ByteRange(10, 19, SIZE)),  # unit is case-insensitive; optional whitespace
    ],
)
def test_satisfiable_ranges(header, expected):
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize("header", ["bytes=10000-", "bytes=10000-10005", "bytes=-0", "bytes=123456789-"])
def test_unsatisfiable_ranges(header):
    # §14.1.2: first-pos ≥ length, or a zero suffix, selects nothing → 416
    assert parse_range(header, SIZE) == "unsatisfiable"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "items=0-5",  # §14.2: an unknown range unit MUST be ignored
        "bytes=500-400",  # §14.1.1: last < first is invalid: ignored
        "bytes=abc",
        "bytes=--5",
        "bytes=1-2-3",
        "bytes=",
        "bytes=-",
        "bytes 0-5",
        "bytes=0x10-0x20",
        "bytes=0-499,1000-1499",  # several ranges: the whole file (§14.2 permits ignoring)
        "bytes=+5-9",
    ],
)
def test_ignored_range_headers_mean_the_whole_file(header):
    assert parse_range(header, SIZE) is None


def test_content_range_text():
    # §14.4: "bytes 42-1233/1234"
    assert ByteRange(42, 1233, 1234).content_range == "bytes 42-1233/1234"
    assert ByteRange(42, 1233, 1234).length == 1192


def test_empty_file_has_no_satisfiable_range():
    assert parse_range("bytes=0-", 0) == "unsatisfiable"
    assert parse_range("bytes=-5", 0) == "unsatisfiable"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "run" / "ground"
    (root / "received" / "rdc").mkdir(parents=True)
    (root / "landing.mp4").write_bytes(b"film")
    (root / "received" / "rdc" / "1.jpg").write_bytes(b"jpg")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    (tmp_path / "run" / "flight").mkdir()
    (tmp_path / "run" / "flight" / "events.json").write_text("{}")
    os.symlink(secret, root / "escape.txt")
    os.symlink(tmp_path, root / "escape_dir")
    os.symlink(root / "landing.mp4", root / "alias.mp4")  # a link that stays inside is fine
    return root


@pytest.mark.parametrize("rel", ["landing.mp4", "received/rdc/1.jpg", "alias.mp4"])
def test_files_inside_resolve(tree, rel):
    found = resolve_inside(tree, rel)
    assert found is not None and found.is_relative_to(tree.resolve())


@pytest.mark.parametrize(
    "rel",
    [
        "", ".", "..", "../flight/events.json", "received/../../flight/events.json", "received/./rdc/1.jpg",
        "/etc/passwd", "//etc/passwd", "received//rdc/1.jpg", "..\\flight\\events.json", "landing.mp4\x00.jpg",
        "C:/Windows/win.ini", "escape.txt", "escape_dir/secret.txt", "received", "missing.mp4",
        "received/rdc/1.jpg/..",
    ],
)  # fmt: skip
def test_paths_leaving_the_folder_or_not_files_resolve_to_none(tree, rel):
    assert resolve_inside(tree, rel) is None
