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
    check_store,
    checkpoint_path,
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
    # segment header, field by field (edlcam.onboard.store docstring)
    seg = b"EDLSEG01" + struct.pack("<H", 2) + struct.pack("<H", 32) + struct.pack("<I", 0)
    seg += struct.pack("<Q", 0) + b"ROVR"
    seg += struct.pack("<I", zlib.crc32(seg))
    head = b"EDLR" + struct.pack("<I", 5) + struct.pack("<Q", 0) + b"rdc" + b"\0" * 13
    head += struct.pack("<Q", 7) + struct.pack("<d", 666952262.5) + struct.pack("<H", 1) + struct.pack("<H", 3)
    head += struct.pack("<I", 1280) + struct.pack("<I", 1024)
    head += struct.pack("<I", zlib.crc32(head))
    trailer = b"EDLE" + struct.pack("<I", zlib.crc32(payload))
    # the close seal: record_seq 1, no source, frame_index = 1 data record, format 0xFFFF, width 1 = close
    seal = b"EDLR" + struct.pack("<I", 0) + struct.pack("<Q", 1) + b"\0" * 16
    seal += struct.pack("<Q", 1) + struct.pack("<d", 0.0) + struct.pack("<H", 0xFFFF) + struct.pack("<H", 0)
    seal += struct.pack("<I", 1) + struct.pack("<I", 0)
    seal += struct.pack("<I", zlib.crc32(seal))
    seal_trailer = b"EDLE" + struct.pack("<I", zlib.crc32(b""))
    assert data == seg + head + payload + trailer + seal + seal_trailer
    assert len(seg) == 32 and len(head) == 64 and RECORD_OVERHEAD_BYTES == 72
    # the closing checkpoint, in both copies (generations 2 and 3 after the two written at creation)
    for copy, generation in ((0, 2), (1, 3)):
        ck = b"EDLCKPT1" + struct.pack("<H", 2) + struct.pack("<H", 96) + bytes([copy, 1]) + b"\0\0"
        ck += struct.pack("<Q", generation) + b"ROVR" + struct.pack("<I", 1)  # 1 segment holds committed records
        ck += struct.pack("<QQQQ", 0, 2, 1, 5)  # first_seq, seq_end (after the seal), records, payload bytes
        ck += struct.pack("<Q", len(data)) + seal[-4:] + seal_trailer[-4:]  # end offset, the last record's CRCs
        ck += b"\0" * 12
        ck += struct.pack("<I", zlib.crc32(ck))
        assert checkpoint_path(tmp_path, copy).read_bytes() == ck


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
        f"{first.size_bytes} bytes skipped to the next intact record; 1 of 40 committed records missing or damaged "
        "(record_seq 3)"
    )
    # the reader yields the intact records before the damage, never the damaged one
    got = []
    with pytest.raises(StoreCorruptError):
        for r in iter_records(tmp_path):
            got.append(r.frame_index)
    assert got == [0, 1, 2]
    # verify reads past the damage: only record 3 is missing, every other one is intact
    scan = check_store(tmp_path)
    assert [r.frame_index for r in scan.records] == [i for i in range(40) if i != 3]
    assert (scan.missing_records, scan.missing_seqs, scan.readable) == (1, ((3, 3),), False)


def test_bit_flip_mid_last_segment_is_corruption_not_a_torn_tail(tmp_path):
    with StoreWriter(tmp_path) as w:
        for i in range(10):
            w.append(_rec(i))
    rec = scan_store(tmp_path).records[4]
    _flip(segment_path(tmp_path, 0), rec.offset + 20)  # a header byte
    with pytest.raises(StoreCorruptError, match=f"corrupt at byte {rec.offset}: record header CRC mismatch"):
        scan_store(tmp_path)


def test_torn_tail_is_discarded_and_reported_and_the_writer_continues(tmp_path):
    w = StoreWriter(tmp_path, commit_records=1)
    for i in range(5):
        w.append(_rec(i))
    w.abandon()  # killed: no seal, no closing checkpoint
    path = segment_path(tmp_path, 0)
    intact = path.stat().st_size
    with open(path, "ab") as f:  # a record cut half-way by the crash
        f.write(b"EDLR" + struct.pack("<I", 100) + b"\x00" * 30)
    scan = scan_store(tmp_path)
    assert len(scan.records) == 5 and scan.ok and not scan.closed
    assert (scan.torn_tail.segment, scan.torn_tail.offset, scan.torn_tail.length) == (0, intact, 38)
    with StoreWriter(tmp_path) as w:  # recovery truncates the tail and numbers on
        assert w.torn_tail_discarded.offset == intact
        assert w.append(_rec(5)) == 5
    scan = scan_store(tmp_path)
    assert scan.torn_tail is None and [r.frame_index for r in scan.records] == list(range(6)) and scan.closed


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
    in_seg_1 = sum(1 for r in check_store(tmp_path).records if r.segment == 1)
    assert in_seg_1 == 0
    with pytest.raises(StoreCorruptError) as exc:
        scan_store(tmp_path)
    assert str(exc.value) == (f"{p1}: missing (segments 0–5 should all be here); 5 of 30 committed records missing "
                              "or damaged (record_seq 6–11)")


def test_crash_between_seal_and_next_segment_recovers(tmp_path):
    w = StoreWriter(tmp_path, segment_bytes=1024, commit_records=1000, commit_bytes=1 << 30)
    for i in range(12):
        w.append(_rec(i))
    w.abandon()  # killed; only rotations committed
    n = scan_store(tmp_path).segments
    segment_path(tmp_path, n - 1).unlink()  # as if the kill came after the seal of segment n-2, before n-1 existed
    scan = check_store(tmp_path)
    assert scan.ok and scan.last_sealed and not scan.closed  # nothing committed is missing: a crash can do this
    before = [r.frame_index for r in scan.records]
    with StoreWriter(tmp_path, segment_bytes=1024) as w:
        w.append(_rec(99))
    assert [r.frame_index for r in scan_store(tmp_path).records] == before + [99]


def test_overflow_policy_drops_lower_priorities_first_and_never_half_writes(tmp_path):
    size = 1000 + RECORD_OVERHEAD_BYTES
    capacity = SEGMENT_HEADER.size + 10 * size + RECORD_OVERHEAD_BYTES  # room for the close seal
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


def test_enospc_mid_record_stops_the_writer_and_committed_records_survive(tmp_path):
    budget = {"left": 3 * (500 + RECORD_OVERHEAD_BYTES) + 200}

    def small_disk(fd, buffers):  # writes until the "disk" is full, then ENOSPC like write(2)
        want = sum(len(b) for b in buffers)
        if budget["left"] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = min(want, budget["left"])
        data = b"".join(bytes(b) for b in buffers)[:n]
        budget["left"] -= n
        return os.write(fd, data)

    w = StoreWriter(tmp_path, commit_records=2, write=small_disk)  # the header went through os.write directly
    assert [w.append(_rec(i, 500)) for i in range(3)] == [0, 1, 2]
    with pytest.raises(StoreError) as exc:
        w.append(_rec(3, 500))
    assert str(exc.value) == (f"{segment_path(tmp_path, 0)}: disk full (ENOSPC); the store {tmp_path} is closed "
                              "with 3 records (1500 bytes) committed and readable; free space on that disk and run again")
    assert w.committed_seq == 2 and not w.drops
    with pytest.raises(StoreError, match="the store writer is closed"):
        w.append(_rec(4, 500))
    scan = scan_store(tmp_path)
    # the partly written 4th record was cut back; the close seal did not fit, the closed checkpoints did
    assert scan.torn_tail is None and scan.closed and scan.ok and not scan.last_sealed
    assert [r.payload for r in iter_records(tmp_path)] == [_rec(i, 500).payload for i in range(3)]


def test_errors_name_the_limit(tmp_path):
    with pytest.raises(StoreError, match=r"source name 'a_very_long_camera_name' is 23 bytes; the store's limit is 16"):
        with StoreWriter(tmp_path) as w:
            w.append(Record("a_very_long_camera_name", 0, 0.0, FORMAT_PCM_F32LE, b""))
    with pytest.raises(StoreError, match=r"no such store directory; give RUN/onboard/store/<unit>"):
        scan_store(tmp_path / "nope")
