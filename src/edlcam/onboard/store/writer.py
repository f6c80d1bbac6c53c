"""Writing a store: append, group commit with checkpoints, rotation, the seal at close, recovery.

The commit rule, the checkpoint protocol and the overflow policy are stated in the package
docstring (``edlcam.onboard.store``).
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edlcam.errors import StoreCorruptError, StoreError, StoreFullError
from edlcam.onboard.store.layout import (
    CHECKPOINT,
    FORMAT_SEAL,
    RECORD_OVERHEAD_BYTES,
    SEAL_CLOSE,
    SEAL_ROTATION,
    SEGMENT_HEADER,
    Checkpoint,
    Drop,
    Record,
    TornTail,
    checkpoint_path,
    fsync_dir,
    pack_checkpoint,
    pack_record,
    pack_segment_header,
    segment_path,
)
from edlcam.onboard.store.reader import check_store, folder_kind

__all__ = ["StoreWriter"]

log = logging.getLogger(__name__)

_FULL = (errno.ENOSPC, errno.EDQUOT)


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes} bytes"


@dataclass
class _Active:
    index: int
    fd: int
    size: int
    data_records: int


@dataclass
class _Tip:
    """The last record written (data or seal): what a checkpoint records about it."""

    seq: int = -1
    segment: int = 0
    end_offset: int = 0
    header_crc: int = 0
    payload_crc: int = 0


@dataclass
class StoreWriter:
    """Append records to a store directory; recover and continue after a crash.

    ``capacity_bytes`` bounds the bytes on disk; ``priorities`` maps a source to its priority
    (0 most important; unknown sources get the last level) and ``admit_fraction[p]`` is the
    fraction of capacity up to which priority ``p`` is still written. ``commit_bytes`` /
    ``commit_records`` set the group-commit cadence (0 = commit after every record).
    ``on_commit(seq)`` is called after each commit (segment fsync, then checkpoint) with the
    highest committed data record's seq. A full disk (ENOSPC) stops the writer: what was
    written is committed and sealed, and :class:`StoreError` says where and how much.
    """

    store_dir: Path
    unit_tag: str = "UNIT"
    segment_bytes: int = 256 << 20
    capacity_bytes: int = 1 << 40
    priorities: dict[str, int] = field(default_factory=dict)
    admit_fraction: tuple[float, ...] = (1.0,)
    commit_bytes: int = 32 << 20
    commit_records: int = 64
    on_commit: Callable[[int], None] | None = None
    write: Callable[[int, list], int] = os.writev  # seam for fault injection (ENOSPC) in tests
    drops: list[Drop] = field(default_factory=list)
    committed_seq: int = -1
    used_bytes: int = 0
    torn_tail_discarded: TornTail | None = None
    _next_seq: int = 0
    _active: _Active | None = None
    _pending_bytes: int = 0
    _pending_records: int = 0
    _records: int = 0  # data records written (committed or pending)
    _payload_bytes: int = 0
    _first_seq: int = 0
    _tip: _Tip = field(default_factory=_Tip)
    _generation: int = -1
    _ck_fds: tuple[int, int] | None = None
    _last_data_seq: int = -1

    def __post_init__(self) -> None:
        self.store_dir = Path(self.store_dir)
        if self.segment_bytes < SEGMENT_HEADER.size + 2 * RECORD_OVERHEAD_BYTES:
            raise StoreError(f"segment_bytes is {self.segment_bytes}; it must be at least "
                             f"{SEGMENT_HEADER.size + 2 * RECORD_OVERHEAD_BYTES}")
        if not self.admit_fraction or any(not 0 < f <= 1 for f in self.admit_fraction):
            raise StoreError(f"admit_fraction is {self.admit_fraction}; give fractions in (0, 1], one per priority")
        self.unit_tag = self.unit_tag.encode("ascii")[:4].ljust(4, b"_").decode("ascii")
        try:
            self.store_dir.mkdir(parents=True, exist_ok=True)
            kind = folder_kind(self.store_dir)
            if kind == "store":
                self._recover()
            elif any(self.store_dir.iterdir()):
                raise StoreError(f"{self.store_dir}: not empty and not a store; give an empty or new folder")
            else:
                self._create()
        except OSError as exc:
            if exc.errno in _FULL:
                raise StoreFullError(f"{exc.filename or self.store_dir}: disk full (ENOSPC) while opening the store "
                                     f"{self.store_dir}; free space on that disk and run again",
                                     exc.filename or self.store_dir) from None
            raise

    # -- opening

    def _create(self) -> None:
        """A new store: both checkpoint copies (nothing committed), then segment 0."""
        for copy in (0, 1):
            fd = os.open(checkpoint_path(self.store_dir, copy), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            os.close(fd)
        self._open_checkpoints()
        self._checkpoint(closed=False)
        self._checkpoint(closed=False)
        fsync_dir(self.store_dir)  # the checkpoints exist before any record can count as committed
        self._open_segment(0, 0)

    def _open_checkpoints(self) -> None:
        fds = []
        for copy in (0, 1):
            fd = os.open(checkpoint_path(self.store_dir, copy), os.O_RDWR | os.O_CREAT, 0o644)
            if os.fstat(fd).st_size != CHECKPOINT.size:  # new, or a damaged copy about to be rewritten
                os.ftruncate(fd, CHECKPOINT.size)
            fds.append(fd)
        self._ck_fds = (fds[0], fds[1])

    def _recover(self) -> None:
        """Continue an existing store: drop its torn tail (ftruncate + fsync), resume numbering.

        Refuses a store that lost committed records or holds damaged ones: appending would bury
        the damage under new records.
        """
        scan = check_store(self.store_dir)
        if not scan.readable:
            raise StoreCorruptError(f"{scan.summary()}; the writer does not append to a damaged store")
        if scan.checkpoint is None and scan.segments:
            raise StoreCorruptError(scan.summary())
        for p in scan.problems:
            if p.level != "note" and "torn tail" not in p.line:
                log.warning("%s (repaired: both checkpoint copies are rewritten)", p.line)
        self._open_checkpoints()
        ck = scan.checkpoint
        self._generation = ck.generation if ck else -1
        self._first_seq = ck.first_seq if ck else 0
        self.used_bytes = scan.bytes_on_disk
        self._records = len(scan.records)
        self._payload_bytes = sum(r.payload_len for r in scan.records)
        self._last_data_seq = scan.records[-1].seq if scan.records else -1
        if scan.tip is not None:
            t = scan.tip
            self._tip = _Tip(t.seq, t.segment, t.end_offset, t.header_crc, t.payload_crc)
        if scan.segments == 0:  # the writer stopped while creating the store
            self._checkpoint(closed=False)
            self._checkpoint(closed=False)
            fsync_dir(self.store_dir)
            self._open_segment(0, self._first_seq)
            return
        last = scan.segments - 1
        path = segment_path(self.store_dir, last)
        if scan.torn_tail is not None:
            tear = scan.torn_tail
            log.warning("%s: discarding a torn tail of %d bytes at byte %d (a write cut by a crash)",
                        path, tear.length, tear.offset)
            self.torn_tail_discarded = tear
            self.used_bytes -= tear.length
            if tear.offset == 0:  # the segment header itself was torn: start the segment afresh
                path.unlink()
                fsync_dir(self.store_dir)
                self._open_segment(last, self._tip.seq + 1 if scan.tip else self._first_seq)
                self._commit_recovered()
                return
            with open(path, "r+b") as f:
                f.truncate(tear.offset)
                os.fsync(f.fileno())
        self._next_seq = self._tip.seq + 1 if scan.tip else self._first_seq
        if scan.last_sealed:  # sealed at rotation or at close: numbering goes on in a new segment
            self._open_segment(last + 1, self._next_seq)
        else:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            in_last = sum(1 for r in scan.records if r.segment == last)
            self._active = _Active(last, fd, path.stat().st_size, in_last)
        self._commit_recovered()

    def _commit_recovered(self) -> None:
        """Records that survived the crash are committed now, and both checkpoint copies are whole again."""
        if self._active is not None:
            os.fsync(self._active.fd)
        self._checkpoint(closed=False)
        self._checkpoint(closed=False)
        self.committed_seq = self._last_data_seq

    def _open_segment(self, index: int, first_seq: int) -> None:
        path = segment_path(self.store_dir, index)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        head = pack_segment_header(index, first_seq, self.unit_tag)
        try:
            os.write(fd, head)
            os.fsync(fd)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        fsync_dir(self.store_dir)  # the new name must be durable before records in it count
        self._active = _Active(index, fd, len(head), 0)
        self._next_seq = first_seq
        self.used_bytes += len(head)

    # -- checkpoints

    def _checkpoint(self, *, closed: bool) -> None:
        """Write the next checkpoint generation in place over the older copy, and make it durable.

        The two copies alternate, so a write cut by a crash tears only the older one; both are
        fixed-size files rewritten in place, so a checkpoint never needs disk space.
        """
        gen = self._generation + 1
        t = self._tip
        cp = Checkpoint(gen, closed, self.unit_tag, t.segment + 1 if t.seq >= 0 else 0, self._first_seq,
                        t.seq + 1 if t.seq >= 0 else self._first_seq, self._records, self._payload_bytes,
                        t.end_offset, t.header_crc, t.payload_crc)
        fd = self._ck_fds[cp.copy]
        data = pack_checkpoint(cp)
        if os.pwrite(fd, data, 0) != CHECKPOINT.size:
            raise StoreError(f"{checkpoint_path(self.store_dir, cp.copy)}: short write of a checkpoint")
        os.fdatasync(fd)
        self._generation = gen

    # -- writing

    def priority_of(self, source: str) -> int:
        """Priority level of ``source`` (unknown sources: the lowest level)."""
        return min(self.priorities.get(source, len(self.admit_fraction) - 1), len(self.admit_fraction) - 1)

    def append(self, record: Record) -> int | None:
        """Write ``record``; return its seq, or None when the overflow policy dropped it.

        The record is durable only after the next commit (see :meth:`commit`, :attr:`committed_seq`).
        """
        if self._active is None:
            raise StoreError(f"{self.store_dir}: the store writer is closed")
        size = RECORD_OVERHEAD_BYTES + len(record.payload)
        # room for the record and the seal that closes its segment (at rotation or at close)
        rotate = self._active.size + size + RECORD_OVERHEAD_BYTES > self.segment_bytes and self._active.data_records
        extra = (RECORD_OVERHEAD_BYTES + SEGMENT_HEADER.size) if rotate else 0
        limit = self.capacity_bytes * self.admit_fraction[self.priority_of(record.source)]
        if self.used_bytes + size + extra + RECORD_OVERHEAD_BYTES > limit:  # the close seal must fit too
            return self._drop(record, size, f"store at {self.used_bytes} of {self.capacity_bytes} bytes; "
                                            f"priority {self.priority_of(record.source)} admitted up to {limit:.0f}")
        try:
            if rotate:
                self._rotate()
            head, trailer = pack_record(record, self._next_seq)
            start = self._active.size
            try:
                self._write_all([head, record.payload, trailer])
            except OSError:
                os.ftruncate(self._active.fd, start)  # no half record stays behind
                raise
        except OSError as exc:
            if exc.errno not in _FULL:
                raise
            self._stop_full()
        seq = self._next_seq
        self._next_seq += 1
        self._active.size += size
        self._active.data_records += 1
        self.used_bytes += size
        self._records += 1
        self._payload_bytes += len(record.payload)
        self._last_data_seq = seq
        self._tip = _Tip(seq, self._active.index, self._active.size, int.from_bytes(head[-4:], "little"),
                         int.from_bytes(trailer[-4:], "little"))
        self._pending_bytes += size
        self._pending_records += 1
        if self._pending_bytes >= self.commit_bytes or self._pending_records >= self.commit_records:
            self.commit()
        return seq

    def _stop_full(self) -> None:
        """The disk is full: commit and seal what was written, close, and say so."""
        where = segment_path(self.store_dir, self._active.index) if self._active else self.store_dir
        try:
            self.close()
        except OSError as exc:  # even the commit failed: what the last checkpoint holds stays committed
            self.abandon()
            raise StoreFullError(f"{where}: disk full ({errno.errorcode.get(exc.errno, exc.errno)}) while committing; "
                                 f"the store {self.store_dir} keeps the {self.committed_seq + 1} records committed "
                                 f"before; free space on that disk and run again", where) from None
        raise StoreFullError(
            f"{where}: disk full (ENOSPC); the store {self.store_dir} is closed with {self._records} records "
            f"({_size(self._payload_bytes)}) committed and readable; free space on that disk and run again", where
        ) from None

    def _write_all(self, parts: list[bytes]) -> None:
        views = [memoryview(p) for p in parts if len(p)]
        while views:
            n = self.write(self._active.fd, views)
            while views and n >= len(views[0]):
                n -= len(views[0])
                views.pop(0)
            if views and n:
                views[0] = views[0][n:]

    def _drop(self, record: Record, size: int, reason: str) -> None:
        drop = Drop(record.source, record.frame_index, size, reason)
        # every drop is listed in self.drops; the log warns once per source and says the rest quietly
        first = not any(d.source == record.source for d in self.drops)
        self.drops.append(drop)
        log.log(logging.WARNING if first else logging.DEBUG, "%s: dropped %s frame %d (%d bytes): %s",
                self.store_dir, record.source, record.frame_index, size, reason)
        return None

    def _seal(self, kind: int) -> None:
        """Append the seal that ends the active segment (``kind``: SEAL_ROTATION or SEAL_CLOSE) and fsync."""
        act = self._active
        head, trailer = pack_record(Record("", act.data_records, 0.0, FORMAT_SEAL, b"", 0, kind, 0), self._next_seq)
        try:
            self._write_all([head, trailer])
        except OSError:
            os.ftruncate(act.fd, act.size)
            raise
        act.size += RECORD_OVERHEAD_BYTES
        self._tip = _Tip(self._next_seq, act.index, act.size, int.from_bytes(head[-4:], "little"),
                         int.from_bytes(trailer[-4:], "little"))
        self._next_seq += 1
        self.used_bytes += RECORD_OVERHEAD_BYTES
        os.fsync(act.fd)

    def _rotate(self) -> None:
        act = self._active
        self._seal(SEAL_ROTATION)
        self._checkpoint(closed=False)  # the seal and every record before it are committed
        os.close(act.fd)
        self._active = None
        self._report_commit()
        self._open_segment(act.index + 1, self._next_seq)

    def commit(self) -> int:
        """fsync the active segment, then write a checkpoint; return the highest committed seq (-1 if none)."""
        if self._active is not None and self._pending_records:
            os.fsync(self._active.fd)
            self._checkpoint(closed=False)
            self._report_commit()
        return self.committed_seq

    def _report_commit(self) -> None:
        self._pending_bytes = 0
        self._pending_records = 0
        if self._last_data_seq > self.committed_seq:
            self.committed_seq = self._last_data_seq
            if self.on_commit is not None:
                self.on_commit(self.committed_seq)

    def close(self) -> None:
        """Commit, seal the last segment, write the closing checkpoint to both copies, close the files.

        On a full disk the seal may not fit: the closing checkpoints (rewritten in place) still
        record every committed record.
        """
        if self._ck_fds is None:
            return
        if self._active is not None:
            try:
                self._seal(SEAL_CLOSE)  # its fsync makes the pending records durable too
            except OSError as exc:
                if exc.errno not in _FULL:
                    raise
                log.warning("%s: no room for the close seal (disk full); the closing checkpoints record the store",
                            self.store_dir)
                os.fsync(self._active.fd)
            os.close(self._active.fd)
            self._active = None
        self._checkpoint(closed=True)
        self._checkpoint(closed=True)  # both copies: a closed store never depends on one file
        self._report_commit()
        for fd in self._ck_fds:
            os.close(fd)
        self._ck_fds = None

    def abandon(self) -> None:
        """Close the files without committing or sealing, as a crash would leave them (fault injection)."""
        if self._active is not None:
            os.close(self._active.fd)
            self._active = None
        if self._ck_fds is not None:
            for fd in self._ck_fds:
                os.close(fd)
            self._ck_fds = None

    def __enter__(self) -> "StoreWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
