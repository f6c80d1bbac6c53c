"""The crash-safe store of a data storage unit: an append-only log of records in segment files,
with checkpoints and a seal so that it knows what it committed.

No library offers a crash-safe append log with this exact contract (per-record CRCs, a stated
commit point, a reader that never returns a torn record and tells a crash's torn tail from lost
committed data, per-source capacity priorities), so it is written here on ``os.writev`` /
``os.fsync`` and ``struct``; the CRC is zlib's CRC-32 (ISO-HDLC, the one in PNG and Ethernet),
chosen over CRC-32C because zlib's is ~10x faster here (≈ 6 GB/s). Modules: :mod:`.layout` (the
bytes), :mod:`.writer` (:class:`StoreWriter`), :mod:`.reader` (:func:`check_store` and the readers).

Commit rule
-----------
A record is **committed** once its header, payload and trailer have been written, a later
``fsync(2)`` of its segment file has returned (for a segment's first record, after the fsync of
the store directory that made the segment's file name durable as well), and a checkpoint
counting it has been written and ``fdatasync``-ed. The writer batches records between commits
(group commit: ``commit_bytes``/``commit_records``) and reports a commit (``on_commit``) only
after the checkpoint is durable. After any crash the reader returns every committed record
byte-identical, plus possibly intact records written after the last commit (they are whole and
CRC-checked), in write order, and never a torn or corrupt one. A committed record that is gone
or damaged (a deleted or truncated segment, a flipped byte) is reported by number, never
silently left out: the checkpoints say how many records were committed and which was last.

On-disk format (little-endian; version 2)
-----------------------------------------
::

    <store>/checkpoint-0.edlc, checkpoint-1.edlc   96 bytes each: the two checkpoint copies
    <store>/seg-00000000.edls, seg-00000001.edls …  segments, numbered from 0 without gaps

Segment header, 32 bytes::

    offset size field
    0      8    magic          b"EDLSEG01"
    8      2    version        u16 = 2 (1: before checkpoints and the close seal; refused)
    10     2    header_size    u16 = 32
    12     4    segment_index  u32 (equals the number in the file name)
    16     8    first_seq      u64 (record_seq of the segment's first record)
    24     4    unit_tag       4 ASCII bytes (e.g. b"DESC", b"ROVR")
    28     4    header_crc     u32 CRC-32 of bytes 0..28

Record = header (64 bytes) + payload (payload_len bytes) + trailer (8 bytes)::

    0      4    magic          b"EDLR"
    4      4    payload_len    u32
    8      8    record_seq     u64, +1 per record (seals included) across the whole store
    16     16   source         ASCII camera name ("rdc", "microphone"), NUL-padded
    32     8    frame_index    u64
    40     8    sclk_s         f64 spacecraft clock seconds at the frame (first sample for audio)
    48     2    format         u16 (FORMAT_* in .layout)
    50     2    channels       u16 image channels (1 or 3) / audio channels
    52     4    width          u32 image width px / audio sample rate Hz
    56     4    height         u32 image height px / audio samples per channel
    60     4    header_crc     u32 CRC-32 of bytes 0..60
    trailer:
    0      4    magic          b"EDLE"
    4      4    payload_crc    u32 CRC-32 of the payload

A **seal** is a record of format ``FORMAT_SEAL`` (0xFFFF), source ``""``, frame_index = the number
of data records in its segment, ``width`` = 0 (rotation) or 1 (close), empty payload. Rotation:
when a record would carry the segment past ``segment_bytes``, the writer appends a rotation
seal, commits, and opens the next segment. Clean close: the writer commits, appends a close seal
to the last segment, and writes a *closed* checkpoint to both copies (on a full disk the close
seal may not fit; the closed checkpoints still count every record). Reopening a store opens a
new segment after the seal.

Checkpoint copy, 96 bytes, ``checkpoint-<generation % 2>.edlc``::

    0      8    magic          b"EDLCKPT1"
    8      2    version        u16 = 2
    10     2    size           u16 = 96
    12     1    copy           u8 0 or 1 (equals the number in the file name)
    13     1    closed         u8 1 = written by a clean close (the store is sealed), else 0
    14     2    reserved       0
    16     8    generation     u64 +1 per checkpoint; 0 and 1 are written at creation
    24     4    unit_tag       4 ASCII bytes
    28     4    segments       u32 segments holding committed records (0 before any)
    32     8    first_seq      u64 record_seq of the store's first record
    40     8    seq_end        u64 record_seq after the last committed record (data or seal)
    48     8    records        u64 committed data records (seals excluded)
    56     8    payload_bytes  u64 their payload bytes
    64     8    end_offset     u64 byte after the last committed record, in segment ``segments-1``
    72     4    last_header_crc  u32 that record's header_crc
    76     4    last_payload_crc u32 that record's payload_crc
    80     12   reserved       0
    92     4    crc            u32 CRC-32 of bytes 0..92

Checkpoints are crash-safe by alternation (the scheme of LMDB's two meta pages): generation *g*
is written in place (``pwrite`` at offset 0, then ``fdatasync``) over copy *g % 2*, which holds
generation *g − 2*, so a write cut by a crash tears only that copy and the other one, one
commit older, stays valid. The copies are created (and their names made durable) before the
first segment, and are never resized, so a rewrite never needs disk space. The reader uses the
valid copy with the highest generation.

Reading (``edlcam store verify``: :func:`check_store`; the readers refuse on any ``loss``):

- every segment but the last must end with a valid seal exactly at its end of file; a segment
  file missing from the numbering, a damaged region, bytes after a seal, or a record_seq that
  does not rise by one are corruption, reported with the segment and byte offset; the reader
  skips to the next intact record (both CRCs valid) or segment and goes on, so every problem
  is listed;
- in the last segment, a damaged region that runs to end of file with no intact record after it
  is a *torn tail* (a write cut by a crash): discarded, never returned, and legitimate only if it
  begins after the last committed record;
- every record_seq from the checkpoint's ``first_seq`` to ``seq_end − 1`` must be read back
  intact, the last with the checkpoint's CRCs: otherwise the missing committed records are
  named (record_seq ranges, how many, which segment is gone or short);
- a checkpoint copy torn in place (right size, bad CRC) is what a crash can leave: noted; a
  copy missing or resized cannot come from a crash: the store is reported damaged (exit 1), but
  readers still read when the other copy proves every committed record intact. With no valid
  copy, what was committed cannot be told: readers refuse.

Overflow policy: a record whose source has priority ``p`` (0 = most important) is written only
while the store, with the seal that will close it, stays within ``capacity_bytes ×
admit_fraction[p]``; otherwise it is dropped whole, logged, and listed in
:attr:`StoreWriter.drops`. A full disk (ENOSPC) is not part of the simulation: the write is cut
back to the last record boundary (ftruncate), everything before it is committed and sealed, and
:class:`~edlcam.errors.StoreError` stops the writer, naming the segment and how much was committed.
"""

from __future__ import annotations

from edlcam.onboard.store.layout import (
    CHECKPOINT,
    FORMAT_BAYER_PNG,
    FORMAT_BAYER_RGGB8,
    FORMAT_NAMES,
    FORMAT_PCM_F32LE,
    FORMAT_PNG,
    FORMAT_RAW,
    FORMAT_SEAL,
    RECORD_HEADER,
    RECORD_OVERHEAD_BYTES,
    RECORD_TRAILER,
    SEAL_CLOSE,
    SEAL_ROTATION,
    SEGMENT_HEADER,
    STORE_VERSION,
    Checkpoint,
    Drop,
    Record,
    RecordInfo,
    TornTail,
    checkpoint_path,
    pack_record,
    read_checkpoint,
    segment_path,
)
from edlcam.onboard.store.reader import (
    Problem,
    StoreScan,
    check_store,
    describe_folder,
    folder_kind,
    iter_records,
    read_record,
    scan_store,
    unit_stores,
)
from edlcam.onboard.store.writer import StoreWriter

__all__ = [
    "FORMAT_RAW",
    "FORMAT_BAYER_RGGB8",
    "FORMAT_PNG",
    "FORMAT_PCM_F32LE",
    "FORMAT_BAYER_PNG",
    "FORMAT_SEAL",
    "FORMAT_NAMES",
    "SEAL_ROTATION",
    "SEAL_CLOSE",
    "STORE_VERSION",
    "SEGMENT_HEADER",
    "RECORD_HEADER",
    "RECORD_TRAILER",
    "RECORD_OVERHEAD_BYTES",
    "CHECKPOINT",
    "Record",
    "RecordInfo",
    "Drop",
    "TornTail",
    "Checkpoint",
    "Problem",
    "StoreScan",
    "StoreWriter",
    "pack_record",
    "check_store",
    "scan_store",
    "iter_records",
    "read_record",
    "read_checkpoint",
    "folder_kind",
    "describe_folder",
    "unit_stores",
    "segment_path",
    "checkpoint_path",
]
