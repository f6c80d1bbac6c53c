"""The store's on-disk format byte for byte, its corruption detection, and its overflow policy."""

from __future__ import annotations

import errno
import os
import struct
import zlib

import pytest

from edlcam.errors import StoreCorruptError, StoreError
from edlcam.onboard.store import (
    FORMAT_BAYER_RGGB8,
    FORMAT_PCM_F32LE,
    FORMAT_RAW,
    FORMAT_SEAL,
    RECORD_OVERHEAD_BYTES,
    SEGMENT_HEADER,
    Record,
    StoreWriter,
    iter_records,
    scan_store,
    segment_path,
)

SCLK0 = 666_952_000.0


def _rec(i: int, size: int = 100, source: str = "rdc") -> Record:
    return Record(source, i, SCLK0 + i / 30, FORMAT_BAYER_RGGB8, bytes((i + k) % 256 for k in range(size)), 1, 10, 10)


def test_segment_and_record_bytes_match_the_documented_layout(tmp_path):
    payload = b"\x01\x02\x03\x04\x05"
    with StoreWriter(tmp_path, unit_tag="ROVR") as w:
        w.append(Record("rdc", 7, 666952262.5, FORMAT_RAW, payload, 3, 1280, 1024))
    data = segment_path(tmp_path, 0).read_bytes()
    # segment header, field by field (store.py docstring)
    seg = b"EDLSEG01" + struct.pack("<H", 1) + struct.pack("<H", 32) + struct.pack("<I", 0)
    seg += struct.pack("<Q", 0) + b"ROVR"
    seg += struct.pack("<I", zlib.crc32(seg))
    head = b"EDLR" + struct.pack("<I", 5) + struct.pack("<Q", 0) + b"rdc" + b"\0" * 13
    head += struct.pack("<Q", 7) + struct.pack("<d", 666952262.5) + struct.pack("<H", 1) + struct.pack("<H", 3)
    head += struct.pack("<I", 1280) + struct.pack("<I", 1024)
    head += struct.pack("<I", zlib.crc32(head))
    trailer = b"EDLE" + struct.pack("<I", zlib.crc32(payload))
    assert data == seg + head + payload + trailer
    assert len(seg) == 32 and len(head) == 64 and RECORD_OVERHEAD_BYTES == 72


def test_rotation_seals_segments_and_round_trips(tmp_path):
    recs = [_rec(i, 50 + 13 * i, ("rdc", "ruc", "microphone")[i % 3]) for i in range(60)]
    with StoreWriter(tmp_path, segment_bytes=2048) as w:
        seqs = [w.append(r) for r in recs]
    scan = scan_store(tmp_path)
    assert scan.segments > 3 and scan.torn_tail is None
    # seals take a seq of their own: data seqs skip one at each rotation
    assert seqs == [r.seq for r in scan.records]
    got = list(iter_records(tmp_path))
    assert [(g.source, g.frame_index, g.sclk_s, g.payload) for g in got] == [
        (r.source, r.frame_index, r.sclk_s, r.payload) for r in recs
    ]
    # a sealed segment ends with a seal counting its data records
    data = segment_path(tmp_path, 0).read_bytes()
    seal_head = data[-RECORD_OVERHEAD_BYTES:-8]
    assert struct.unpack("<H", seal_head[48:50])[0] == FORMAT_SEAL
    assert struct.unpack("<Q", seal_head[32:40])[0] == sum(1 for r in scan.records if r.segment == 0)
    assert scan.per_source()["rdc"] == (20, sum(len(r.payload) for r in recs[0::3]))


def _flip(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def test_bit_flip_in_a_sealed_segment_is_reported_with_segment_and_offset(tmp_path):
    with StoreWriter(tmp_path, segment_bytes=2048) as w:
        for i in range(40):
            w.append(_rec(i))
    first = scan_store(tmp_path).records[3]
    assert first.segment == 0
    _flip(segment_path(tmp_path, 0), first.offset + 64 + 10)  # a payload byte of the 4th record
    with pytest.raises(StoreCorruptError) as exc:
        scan_store(tmp_path)
    assert str(exc.value) == (
        f"{segment_path(tmp_path, 0)}: corrupt at byte {first.offset}: record payload CRC or trailer mismatch; "
        "the store cannot be trusted past it (records before it are intact)"
    )
    # the reader yields the intact records before the damage, never the damaged one
    got = []
    with pytest.raises(StoreCorruptError):
        for r in iter_records(tmp_path):
            got.append(r.frame_index)
    assert got == [0, 1, 2]


def test_bit_flip_mid_last_segment_is_corruption_not_a_torn_tail(tmp_path):
    with StoreWriter(tmp_path) as w:
        for i in range(10):
            w.append(_rec(i))
    rec = scan_store(tmp_path).records[4]
    _flip(segment_path(tmp_path, 0), rec.offset + 20)  # a header byte
    with pytest.raises(StoreCorruptError, match=f"corrupt at byte {rec.offset}: record header CRC mismatch"):
        scan_store(tmp_path)


def test_torn_tail_is_discarded_and_reported_and_the_writer_continues(tmp_path):
    with StoreWriter(tmp_path) as w:
        for i in range(5):
            w.append(_rec(i))
    path = segment_path(tmp_path, 0)
    intact = path.stat().st_size
    with open(path, "ab") as f:  # a record cut half-way by the crash
        f.write(b"EDLR" + struct.pack("<I", 100) + b"\x00" * 30)
    scan = scan_store(tmp_path)
    assert len(scan.records) == 5
    assert (scan.torn_tail.segment, scan.torn_tail.offset, scan.torn_tail.length) == (0, intact, 38)
    with StoreWriter(tmp_path) as w:  # recovery truncates the tail and numbers on
        assert w.torn_tail_discarded.offset == intact
        assert w.append(_rec(5)) == 5
    scan = scan_store(tmp_path)
    assert scan.torn_tail is None and [r.frame_index for r in scan.records] == list(range(6))


def test_truncated_sealed_segment_and_missing_segment_are_corruption(tmp_path):
    with StoreWriter(tmp_path, segment_bytes=1024) as w:
        for i in range(30):
            w.append(_rec(i))
    p1 = segment_path(tmp_path, 1)
    size = p1.stat().st_size
    os.truncate(p1, size - 40)
    with pytest.raises(StoreCorruptError, match="seg-00000001.edls: corrupt at byte"):
        scan_store(tmp_path)
    p1.unlink()
    with pytest.raises(StoreCorruptError, match=r"segment 1 is missing \(found seg-00000002.edls\)"):
        scan_store(tmp_path)


def test_crash_between_seal_and_next_segment_recovers(tmp_path):
    with StoreWriter(tmp_path, segment_bytes=1024) as w:
        for i in range(12):
            w.append(_rec(i))
    n = scan_store(tmp_path).segments
    last = segment_path(tmp_path, n - 1)
    last.unlink()  # the crash came after the seal of segment n-2, before segment n-1 existed
    os.truncate(segment_path(tmp_path, n - 2), segment_path(tmp_path, n - 2).stat().st_size)
    before = [r.frame_index for r in scan_store(tmp_path).records]
    with StoreWriter(tmp_path, segment_bytes=1024) as w:
        w.append(_rec(99))
    assert [r.frame_index for r in scan_store(tmp_path).records] == before + [99]


def test_overflow_policy_drops_lower_priorities_first_and_never_half_writes(tmp_path):
    size = 1000 + RECORD_OVERHEAD_BYTES
    capacity = SEGMENT_HEADER.size + 10 * size
    w = StoreWriter(tmp_path, capacity_bytes=capacity, priorities={"rdc": 0, "lcam": 1},
                    admit_fraction=(1.0, 0.5))
    kept = []
    for i in range(12):
        for src in ("lcam", "rdc"):
            if w.append(_rec(i, 1000, src)) is not None:
                kept.append((src, i))
    w.close()
    # lcam (priority 1) stops at half the capacity; rdc (priority 0) fills the rest, then is dropped
    assert kept == [("lcam", 0), ("rdc", 0), ("lcam", 1), ("rdc", 1), ("rdc", 2), ("rdc", 3), ("rdc", 4),
                    ("rdc", 5), ("rdc", 6), ("rdc", 7)]
    assert [(d.source, d.frame_index) for d in w.drops][:3] == [("lcam", 2), ("lcam", 3), ("lcam", 4)]
    assert len(w.drops) == 24 - len(kept)
    assert all(d.size_bytes == size for d in w.drops)
    scan = scan_store(tmp_path)
    assert scan.bytes_on_disk <= capacity and [(r.source, r.frame_index) for r in scan.records] == kept


def test_enospc_mid_record_is_cut_back_and_committed_records_survive(tmp_path):
    budget = {"left": SEGMENT_HEADER.size + 3 * (500 + RECORD_OVERHEAD_BYTES) + 200}

    def small_disk(fd, buffers):  # writes until the "disk" is full, then ENOSPC like write(2)
        want = sum(len(b) for b in buffers)
        if budget["left"] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = min(want, budget["left"])
        data = b"".join(bytes(b) for b in buffers)[:n]
        budget["left"] -= n
        return os.write(fd, data)

    w = StoreWriter(tmp_path, commit_records=1, write=small_disk)
    budget["left"] -= SEGMENT_HEADER.size  # the header went through os.write directly
    results = [w.append(_rec(i, 500)) for i in range(5)]
    assert results[:3] == [0, 1, 2] and results[3:] == [None, None]
    assert [d.reason for d in w.drops] == ["disk full (ENOSPC)"] * 2
    assert w.committed_seq == 2
    w.close()
    scan = scan_store(tmp_path)
    assert scan.torn_tail is None  # the partly written 4th record was cut back
    assert [r.payload for r in iter_records(tmp_path)] == [_rec(i, 500).payload for i in range(3)]


def test_errors_name_the_limit(tmp_path):
    with pytest.raises(StoreError, match=r"source name 'a_very_long_camera_name' is 23 bytes; the store's limit is 16"):
        with StoreWriter(tmp_path) as w:
            w.append(Record("a_very_long_camera_name", 0, 0.0, FORMAT_PCM_F32LE, b""))
    with pytest.raises(StoreError, match=r"no such store directory; give RUN/onboard/store/<unit>"):
        scan_store(tmp_path / "nope")
