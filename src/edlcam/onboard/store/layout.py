"""The store's on-disk layout: segment headers, records, seals and checkpoints, packed and parsed.

The layout itself is documented field by field in the package docstring (``edlcam.onboard.store``).
Everything here is pure byte packing on ``struct`` and zlib's CRC-32; no file is opened except by
:func:`read_checkpoint` and :func:`fsync_dir`.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from edlcam.errors import StoreError

__all__ = [
    "FORMAT_RAW",
    "FORMAT_BAYER_RGGB8",
    "FORMAT_PNG",
    "FORMAT_PCM_F32LE",
    "FORMAT_BAYER_PNG",
    "FORMAT_SEAL",
    "FORMAT_NAMES",
    "STORE_VERSION",
    "SEGMENT_HEADER",
    "RECORD_HEADER",
    "RECORD_TRAILER",
    "RECORD_OVERHEAD_BYTES",
    "CHECKPOINT",
    "SEAL_ROTATION",
    "SEAL_CLOSE",
    "Record",
    "RecordInfo",
    "Drop",
    "TornTail",
    "Checkpoint",
    "pack_record",
    "pack_segment_header",
    "pack_checkpoint",
    "parse_checkpoint",
    "read_checkpoint",
    "segment_path",
    "checkpoint_path",
    "fsync_dir",
]

FORMAT_RAW = 1  # uint8 height × width × channels, row-major
FORMAT_BAYER_RGGB8 = 2  # uint8 height × width colour mosaic, RGGB, as the sensor delivers it
FORMAT_PNG = 3  # a PNG file (lossless compression on the fly)
FORMAT_PCM_F32LE = 4  # float32 little-endian, interleaved channels
FORMAT_BAYER_PNG = 5  # a one-channel PNG holding an RGGB Bayer mosaic
FORMAT_SEAL = 0xFFFF  # end-of-segment marker: at rotation, and at clean close
FORMAT_NAMES = {
    FORMAT_RAW: "raw",
    FORMAT_BAYER_RGGB8: "bayer",
    FORMAT_PNG: "png",
    FORMAT_PCM_F32LE: "pcm_f32le",
    FORMAT_BAYER_PNG: "bayer_png",
    FORMAT_SEAL: "seal",
}
SEAL_ROTATION = 0  # a seal's ``width`` field: the segment was full, the next one follows
SEAL_CLOSE = 1  # the writer closed the store cleanly; nothing follows until it is reopened

STORE_VERSION = 2  # 1: no checkpoints, no close seal (refused: its lost tail cannot be detected)
SEGMENT_MAGIC = b"EDLSEG01"
SEGMENT_HEADER = struct.Struct("<8sHHIQ4sI")
RECORD_MAGIC = b"EDLR"
RECORD_HEADER = struct.Struct("<4sIQ16sQdHHIII")
TRAILER_MAGIC = b"EDLE"
RECORD_TRAILER = struct.Struct("<4sI")
RECORD_OVERHEAD_BYTES = RECORD_HEADER.size + RECORD_TRAILER.size
CHECKPOINT_MAGIC = b"EDLCKPT1"
CHECKPOINT = struct.Struct("<8sHHBBHQ4sIQQQQQII12sI")
SEGMENT_GLOB = "seg-*.edls"
CHECKPOINT_GLOB = "checkpoint-*.edlc"


def segment_path(store_dir: str | Path, index: int) -> Path:
    """File of segment ``index`` in ``store_dir``."""
    return Path(store_dir) / f"seg-{index:08d}.edls"


def checkpoint_path(store_dir: str | Path, copy: int) -> Path:
    """File of checkpoint copy ``copy`` (0 or 1) in ``store_dir``."""
    return Path(store_dir) / f"checkpoint-{copy}.edlc"


def fsync_dir(path: Path) -> None:
    """Make the names in directory ``path`` durable (fsync(2) of the directory)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Record:
    """One stored frame or audio block, as written and as read back."""

    source: str
    frame_index: int
    sclk_s: float
    format: int
    payload: bytes
    channels: int = 0
    width: int = 0
    height: int = 0
    seq: int = -1  # assigned by the writer


@dataclass(frozen=True)
class RecordInfo:
    """Where a record lies on disk, without its payload."""

    seq: int
    source: str
    frame_index: int
    sclk_s: float
    format: int
    channels: int
    width: int
    height: int
    payload_len: int
    segment: int
    offset: int  # of the record header in its segment file

    @property
    def size_bytes(self) -> int:
        """Bytes the record occupies on disk (header, payload, trailer)."""
        return RECORD_OVERHEAD_BYTES + self.payload_len


@dataclass(frozen=True)
class Drop:
    """A record refused by the overflow policy (never partly written)."""

    source: str
    frame_index: int
    size_bytes: int
    reason: str


@dataclass(frozen=True)
class TornTail:
    """Bytes after the last valid record of the last segment, discarded as a cut write."""

    segment: int
    offset: int
    length: int


@dataclass(frozen=True)
class Checkpoint:
    """What the store had committed when the checkpoint was written.

    ``seq_end`` is the record_seq after the last committed record (``first_seq`` when none);
    ``records`` / ``payload_bytes`` count committed data records (seals excluded); the last
    committed record ends at byte ``end_offset`` of segment ``segments - 1`` and carries the CRCs
    ``last_header_crc`` / ``last_payload_crc``. ``closed``: written by a clean close (the seal).
    """

    generation: int
    closed: bool
    unit_tag: str
    segments: int
    first_seq: int
    seq_end: int
    records: int
    payload_bytes: int
    end_offset: int
    last_header_crc: int
    last_payload_crc: int

    @property
    def copy(self) -> int:
        """The checkpoint file this generation goes to (they alternate, so one stays whole)."""
        return self.generation % 2


def _encode_source(source: str) -> bytes:
    """A record's source as the 16 ASCII bytes of its header field."""
    raw = source.encode("ascii")
    if len(raw) > 16:
        raise StoreError(f"source name {source!r} is {len(raw)} bytes; the store's limit is 16 ASCII bytes")
    return raw


def pack_record(record: Record, seq: int) -> tuple[bytes, bytes]:
    """Header and trailer bytes of ``record`` with sequence number ``seq``."""
    head = RECORD_HEADER.pack(
        RECORD_MAGIC, len(record.payload), seq, _encode_source(record.source), record.frame_index,
        record.sclk_s, record.format, record.channels, record.width, record.height, 0,
    )
    head = head[:-4] + struct.pack("<I", zlib.crc32(head[:-4]))
    trailer = RECORD_TRAILER.pack(TRAILER_MAGIC, zlib.crc32(record.payload))
    return head, trailer


def pack_segment_header(index: int, first_seq: int, unit_tag: str) -> bytes:
    """The 32-byte header of segment ``index`` whose first record has ``first_seq``."""
    tag = unit_tag.encode("ascii")[:4].ljust(4, b"_")
    body = SEGMENT_HEADER.pack(SEGMENT_MAGIC, STORE_VERSION, SEGMENT_HEADER.size, index, first_seq, tag, 0)
    return body[:-4] + struct.pack("<I", zlib.crc32(body[:-4]))


def pack_checkpoint(cp: Checkpoint) -> bytes:
    """The 96 bytes of a checkpoint copy."""
    tag = cp.unit_tag.encode("ascii")[:4].ljust(4, b"_")
    body = CHECKPOINT.pack(
        CHECKPOINT_MAGIC, STORE_VERSION, CHECKPOINT.size, cp.copy, int(cp.closed), 0, cp.generation, tag,
        cp.segments, cp.first_seq, cp.seq_end, cp.records, cp.payload_bytes, cp.end_offset,
        cp.last_header_crc, cp.last_payload_crc, b"\0" * 12, 0,
    )
    return body[:-4] + struct.pack("<I", zlib.crc32(body[:-4]))


def parse_checkpoint(data: bytes, copy: int) -> Checkpoint:
    """The checkpoint in ``data`` read from copy ``copy``; ValueError saying what is wrong."""
    if len(data) != CHECKPOINT.size:
        raise ValueError(f"{len(data)} bytes, expected {CHECKPOINT.size}")
    (magic, version, size, copy_field, closed, _, generation, tag, segments, first_seq, seq_end, records,
     payload_bytes, end_offset, hcrc, pcrc, _, crc) = CHECKPOINT.unpack(data)
    if magic != CHECKPOINT_MAGIC:
        raise ValueError(f"magic {magic!r}, expected {CHECKPOINT_MAGIC!r}")
    if zlib.crc32(data[:-4]) != crc:
        raise ValueError("CRC mismatch")
    if version != STORE_VERSION or size != CHECKPOINT.size or copy_field != copy or closed > 1:
        raise ValueError(f"says version {version}, copy {copy_field}; expected {STORE_VERSION}, {copy}")
    if generation % 2 != copy:
        raise ValueError(f"generation {generation} does not belong in copy {copy}")
    return Checkpoint(generation, bool(closed), tag.decode("ascii", "replace"), segments, first_seq, seq_end,
                      records, payload_bytes, end_offset, hcrc, pcrc)


def read_checkpoint(store_dir: str | Path, copy: int) -> Checkpoint:
    """Checkpoint copy ``copy`` of a store; FileNotFoundError or ValueError saying what is wrong."""
    with open(checkpoint_path(store_dir, copy), "rb") as f:
        return parse_checkpoint(f.read(CHECKPOINT.size + 1), copy)
