"""Reading a store: every record's CRCs, what the checkpoints say was committed, and what is missing.

:func:`check_store` never raises for damage: it reads past it (to the next intact record, or the
next segment) and returns a :class:`StoreScan` listing every problem and every committed record
that is missing, so ``edlcam store verify`` can name them all. The readers (:func:`scan_store`,
:func:`iter_records`, and through them ``edlcam store export`` and the products step) refuse,
with the first problem and the count of committed records lost, whenever a committed record
is missing or any record is damaged: they return every committed record byte-identical, or
nothing. A torn tail after the last commit is the one defect a crash leaves; it is discarded.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from edlcam.errors import StoreCorruptError, StoreError
from edlcam.onboard.store.layout import (
    CHECKPOINT,
    CHECKPOINT_GLOB,
    FORMAT_SEAL,
    RECORD_HEADER,
    RECORD_MAGIC,
    RECORD_OVERHEAD_BYTES,
    RECORD_TRAILER,
    SEGMENT_GLOB,
    SEGMENT_HEADER,
    SEGMENT_MAGIC,
    STORE_VERSION,
    TRAILER_MAGIC,
    Checkpoint,
    Record,
    RecordInfo,
    TornTail,
    checkpoint_path,
    read_checkpoint,
    segment_path,
)

__all__ = ["Problem", "Tip", "StoreScan", "check_store", "scan_store", "iter_records", "read_record",
           "folder_kind", "describe_folder", "unit_stores"]

NOTE, DAMAGE, LOSS = "note", "damage", "loss"  # Problem.level, mildest first
_SEG_NAME = re.compile(r"seg-(\d{8})\.edls")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a store, as one line.

    ``level``: ``note`` — what a crash alone leaves (verify exits 0); ``damage`` — the store's
    files were changed but every committed record is proven intact (verify exits 1, readers read);
    ``loss`` — records are missing or damaged (verify exits 1, readers refuse).
    """

    line: str
    level: str = LOSS


@dataclass(frozen=True)
class Tip:
    """The last intact record (data or seal) of a store: where it ends and its CRCs."""

    seq: int
    segment: int
    end_offset: int
    header_crc: int
    payload_crc: int
    is_seal: bool


@dataclass(frozen=True)
class StoreScan:
    """What a full read of a store found: its intact records, and what is wrong or missing."""

    records: tuple[RecordInfo, ...]  # intact data records, in write order
    segments: int  # segment files present
    torn_tail: TornTail | None
    bytes_on_disk: int  # of the segment files
    last_sealed: bool = False  # the last segment ends with a seal (rotation or close)
    checkpoint: Checkpoint | None = None  # the newest readable one
    problems: tuple[Problem, ...] = ()
    missing_records: int = 0  # committed data records not read back intact
    missing_seqs: tuple[tuple[int, int], ...] = ()  # committed record_seq ranges (first, last) not read
    tip: Tip | None = None
    path: Path = field(default=Path("."))

    @property
    def committed_records(self) -> int:
        """Data records the newest readable checkpoint counts as committed."""
        return self.checkpoint.records if self.checkpoint else 0

    @property
    def closed(self) -> bool:
        """The writer closed the store cleanly (its seal and a closing checkpoint are there)."""
        return bool(self.checkpoint and self.checkpoint.closed)

    @property
    def readable(self) -> bool:
        """Every committed record is here and intact, and no record is damaged: readers may read."""
        return not any(p.level == LOSS for p in self.problems)

    @property
    def ok(self) -> bool:
        """Nothing but what a crash leaves behind (verify exits 0)."""
        return all(p.level == NOTE for p in self.problems)

    def summary(self) -> str:
        """One line: the first problem, how many committed records are lost, how many other problems."""
        lost = f"{self.path}: {self.missing_records} of "
        worst = [p for p in self.problems if p.level == LOSS] or [p for p in self.problems if p.level == DAMAGE]
        if not worst:
            return f"{self.path}: consistent — {len(self.records)} records"
        line = worst[0].line
        others = [p for p in worst[1:] if not p.line.startswith(lost)]
        if self.missing_records and not line.startswith(lost):
            line += (f"; {self.missing_records} of {self.committed_records} committed records missing or damaged "
                     f"({_ranges_text(self.missing_seqs)})")
        n = len(others)
        return line + (f" (and {n} more problem{'s' if n > 1 else ''}: `edlcam store verify {self.path}`)" if n else "")

    def per_source(self) -> dict[str, tuple[int, int]]:
        """``{source: (records, payload bytes)}``, seals excluded."""
        out: dict[str, tuple[int, int]] = {}
        for r in self.records:
            n, b = out.get(r.source, (0, 0))
            out[r.source] = (n + 1, b + r.payload_len)
        return out


# ------------------------------------------------------------------------------ what a folder is


def _segment_files(store_dir: Path) -> dict[int, Path]:
    out = {}
    for p in store_dir.glob(SEGMENT_GLOB):
        m = _SEG_NAME.fullmatch(p.name)
        if m:
            out[int(m.group(1))] = p
    return out


def folder_kind(path: str | Path) -> str:
    """``store`` (holds segments or checkpoints), ``units`` (holds stores), ``missing``, ``file`` or ``other``."""
    path = Path(path)
    if not path.exists():
        return "missing"
    if not path.is_dir():
        return "file"
    if any(path.glob(SEGMENT_GLOB)) or any(path.glob(CHECKPOINT_GLOB)):
        return "store"
    if unit_stores(path):
        return "units"
    return "other"


def unit_stores(path: str | Path) -> dict[str, Path]:
    """``{unit: store folder}`` for the sub-folders of ``path`` that are stores (RUN/onboard/store)."""
    path = Path(path)
    try:
        subs = sorted(p for p in path.iterdir() if p.is_dir())
    except OSError:
        return {}
    return {p.name: p for p in subs if any(p.glob(SEGMENT_GLOB)) or any(p.glob(CHECKPOINT_GLOB))}


def describe_folder(path: str | Path) -> str:
    """What a folder that is not a store holds, in a few words."""
    path = Path(path)
    try:
        entries = sorted(path.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        return f"it cannot be listed ({exc.strerror})"
    if not entries:
        return "the folder is empty"
    dirs = [p for p in entries if p.is_dir()]
    names = ", ".join(p.name + ("/" if p.is_dir() else "") for p in entries[:5]) + (", …" if len(entries) > 5 else "")
    hint = ""
    from edlcam.runfolder.files import STORE_DIR

    if (path / STORE_DIR).is_dir():
        hint = f"; it looks like a run folder: give {path / STORE_DIR}"
    elif (path / "store").is_dir():
        hint = f"; give {path / 'store'}"
    return (f"it holds {len(entries) - len(dirs)} file{'s' * (len(entries) - len(dirs) != 1)} and "
            f"{len(dirs)} folder{'s' * (len(dirs) != 1)} ({names}){hint}")


def _require_store(path: Path) -> None:
    kind = folder_kind(path)
    if kind == "store":
        return
    if kind == "missing":
        raise StoreError(f"{path}: no such store directory; give RUN/onboard/store/<unit>")
    if kind == "file":
        raise StoreError(f"{path}: a file, not a store folder; give RUN/onboard/store/<unit>")
    if kind == "units":
        units = unit_stores(path)
        raise StoreError(f"{path}: holds the stores of {len(units)} unit{'s' * (len(units) != 1)} "
                         f"({', '.join(units)}), not one store; give one of them, e.g. {next(iter(units.values()))}")
    raise StoreError(f"{path}: not a store (no {SEGMENT_GLOB} segments, no {CHECKPOINT_GLOB} checkpoints): "
                     f"{describe_folder(path)}")


# ---------------------------------------------------------------------------------- checkpoints


def _read_checkpoints(store_dir: Path, has_segments: bool) -> tuple[Checkpoint | None, list[Problem]]:
    """The newest readable checkpoint copy, and a problem per copy that is not readable."""
    found: dict[int, Checkpoint] = {}
    bad: dict[int, tuple[str, str]] = {}  # copy -> (level, why)
    for copy in (0, 1):
        path = checkpoint_path(store_dir, copy)
        try:
            found[copy] = read_checkpoint(store_dir, copy)
        except FileNotFoundError:
            bad[copy] = (DAMAGE, "missing (deleted?)")
        except ValueError as exc:
            size = path.stat().st_size
            # checkpoints are rewritten in place at a fixed size: a crash can tear one, never resize it
            level = NOTE if size == CHECKPOINT.size else DAMAGE
            what = str(exc) if size == CHECKPOINT.size else f"{size} bytes, expected {CHECKPOINT.size} (truncated?)"
            bad[copy] = (level, what + (" — a write cut by a crash, or damage" if level == NOTE else ""))
        except OSError as exc:
            bad[copy] = (DAMAGE, f"unreadable ({exc.strerror})")
    best = max(found.values(), key=lambda c: c.generation) if found else None
    problems = []
    if not has_segments:  # the store was being created when its writer stopped: nothing committed
        return best, problems
    for copy, (level, why) in bad.items():
        used = f"; {checkpoint_path(store_dir, best.copy).name} (generation {best.generation}) used" if best else ""
        problems.append(Problem(f"{checkpoint_path(store_dir, copy)}: {why}{used}", level))
    if len(found) == 2:
        older = min(found.values(), key=lambda c: c.generation)
        if best.generation - older.generation != 1 or older.seq_end > best.seq_end:
            problems.append(Problem(f"{store_dir}: the checkpoint copies disagree (generations {older.generation} "
                                    f"and {best.generation}; one is always the other's predecessor): they do not "
                                    f"belong to the same store", DAMAGE))
    return best, problems


# ------------------------------------------------------------------------------------- records


class _Damage(Exception):
    def __init__(self, offset: int, what: str):
        super().__init__(what)
        self.offset = offset
        self.what = what


def _parse_header(buf: bytes, offset: int) -> tuple:
    if len(buf) < RECORD_HEADER.size:
        raise _Damage(offset, f"{len(buf)} bytes where a {RECORD_HEADER.size}-byte record header belongs")
    fields = RECORD_HEADER.unpack(buf)
    if fields[0] != RECORD_MAGIC:
        raise _Damage(offset, f"record magic {fields[0]!r}, expected {RECORD_MAGIC!r}")
    if zlib.crc32(buf[:-4]) != fields[-1]:
        raise _Damage(offset, "record header CRC mismatch")
    return fields


def _next_intact(f, start: int, size: int, min_seq: int) -> int | None:
    """Offset of the first whole record (both CRCs valid) after ``start`` with seq ≥ ``min_seq``.

    Only called at damage, so a memory map and a byte search are cheap enough.
    """
    if size <= start + 1:
        return None
    with mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ) as mm:
        pos = mm.find(RECORD_MAGIC, start + 1)
        while pos != -1:
            head = mm[pos : pos + RECORD_HEADER.size]
            if len(head) == RECORD_HEADER.size and zlib.crc32(head[:-4]) == struct.unpack("<I", head[-4:])[0]:
                plen, seq = struct.unpack("<IQ", head[4:16])
                end = pos + RECORD_OVERHEAD_BYTES + plen
                if seq >= min_seq and end <= size:
                    tmagic, pcrc = RECORD_TRAILER.unpack(mm[end - RECORD_TRAILER.size : end])
                    if tmagic == TRAILER_MAGIC and zlib.crc32(mm[pos + RECORD_HEADER.size : end - 8]) == pcrc:
                        return pos
            pos = mm.find(RECORD_MAGIC, pos + 1)
    return None


class _Walk:
    """Reads every segment in order; yields (info, payload) per intact data record.

    Problems, the torn tail, seals and the tip are collected on the object as it goes.
    """

    def __init__(self, store_dir: Path, want_payload: bool, target_seq: int | None = None):
        self.dir = store_dir
        self.want_payload = want_payload
        self.target_seq = target_seq  # the last committed record: its CRCs are kept to check it
        self.target_crcs: tuple[int, int] | None = None
        self.files = _segment_files(store_dir)
        self.problems: list[Problem] = []
        self.torn: TornTail | None = None
        self.tip: Tip | None = None
        self.seqs: list[int] = []  # every intact record's seq (data and seals), rising
        self.bytes = 0
        self.first_seq: int | None = None  # from the first readable segment header
        self.tags: set[str] = set()
        self.last_sealed = False
        self._explained = False  # a problem was logged since the last intact record

    def _problem(self, line: str, level: str = LOSS) -> None:
        self.problems.append(Problem(line, level))
        self._explained = True

    def __iter__(self) -> Iterator[tuple[RecordInfo, bytes | None]]:
        if not self.files:
            return
        top = max(self.files)
        for i in range(top + 1):
            path = self.files.get(i)
            if path is None:
                self._problem(f"{segment_path(self.dir, i)}: missing (segments 0–{top} should all be here)")
                continue
            yield from self._segment(i, path, last=i == top)

    def _header(self, f, path: Path, index: int) -> None:
        head = f.read(SEGMENT_HEADER.size)
        if len(head) < SEGMENT_HEADER.size:
            raise _Damage(0, f"segment header is {len(head)} of {SEGMENT_HEADER.size} bytes")
        magic, version, hsize, seg_index, first_seq, tag, crc = SEGMENT_HEADER.unpack(head)
        if magic != SEGMENT_MAGIC or zlib.crc32(head[:-4]) != crc:
            raise _Damage(0, "segment header magic or CRC mismatch")
        if version == 1:
            raise StoreError(f"{path}: store format version 1, written by an older edlcam without seals and "
                             f"checkpoints (a lost tail cannot be told from a crash); rerun `edlcam film` to "
                             f"record it in version {STORE_VERSION}")
        if version != STORE_VERSION or hsize != SEGMENT_HEADER.size or seg_index != index:
            raise _Damage(0, f"segment header says version {version}, index {seg_index}; "
                             f"expected {STORE_VERSION}, {index}")
        if self.first_seq is None:
            self.first_seq = first_seq
        self.tags.add(tag.decode("ascii", "replace"))

    def _segment(self, index: int, path: Path, last: bool) -> Iterator[tuple[RecordInfo, bytes | None]]:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self.bytes += size
            offset = SEGMENT_HEADER.size
            damaged = False
            sealed_at: int | None = None
            data_records = 0
            try:
                self._header(f, path, index)
            except _Damage as dmg:
                nxt = _next_intact(f, 0, size, self._min_seq())
                if nxt is None and last:
                    self.torn = TornTail(index, 0, size)  # a crash while the segment was being created
                    return
                self._problem(f"{path}: corrupt at byte 0: {dmg.what}")
                if nxt is None:
                    return
                offset, damaged = nxt, True
            while offset < size:
                if sealed_at is not None:
                    # junk after a seal loses nothing by itself; a committed record in it is counted missing
                    self._problem(f"{path}: byte {offset}: {size - offset} bytes after the segment's seal", DAMAGE)
                    break
                try:
                    info, payload, hcrc, pcrc = self._record(f, index, offset, size)
                except _Damage as dmg:
                    nxt = _next_intact(f, dmg.offset, size, self._min_seq())
                    if nxt is None and last:
                        self.torn = TornTail(index, dmg.offset, size - dmg.offset)
                        return
                    damaged = True
                    if nxt is None:
                        self._problem(f"{path}: corrupt at byte {dmg.offset}: {dmg.what}; no intact record in "
                                      f"the segment's last {size - dmg.offset} bytes")
                        break
                    self._problem(f"{path}: corrupt at byte {dmg.offset}: {dmg.what}; {nxt - dmg.offset} bytes "
                                  f"skipped to the next intact record")
                    offset = nxt
                    continue
                end = offset + RECORD_OVERHEAD_BYTES + info.payload_len
                if self.seqs and info.seq <= self.seqs[-1]:
                    self._problem(f"{path}: byte {offset}: record_seq {info.seq} after {self.seqs[-1]} "
                                  f"(out of order: not this store's record)")
                    offset = end
                    continue
                expected = self.seqs[-1] + 1 if self.seqs else self.first_seq
                if expected is not None and info.seq != expected and not self._explained:
                    self._problem(f"{path}: byte {offset}: record_seq {info.seq}, expected {expected} "
                                  f"(records are missing before it)")
                self._explained = False
                self.seqs.append(info.seq)
                is_seal = info.format == FORMAT_SEAL
                self.tip = Tip(info.seq, index, end, hcrc, pcrc, is_seal)
                if info.seq == self.target_seq:
                    self.target_crcs = (hcrc, pcrc)
                offset = end
                if is_seal:
                    if info.frame_index != data_records and not damaged:
                        self._problem(f"{path}: byte {info.offset}: seal counts {info.frame_index} records, "
                                      f"the segment holds {data_records}")
                    sealed_at = info.offset
                    continue
                data_records += 1
                yield info, payload
            if not last and sealed_at is None and not (damaged and self._explained):
                self._problem(f"{path}: byte {size}: a segment before the last ends without its seal "
                              f"(the file was truncated)")
            self.last_sealed = last and sealed_at is not None

    def _min_seq(self) -> int:
        return self.seqs[-1] + 1 if self.seqs else 0

    def _record(self, f, index: int, offset: int, size: int) -> tuple[RecordInfo, bytes | None, int, int]:
        f.seek(offset)
        fields = _parse_header(f.read(RECORD_HEADER.size), offset)
        _, plen, seq, src, frame, sclk, fmt, ch, w, h, hcrc = fields
        end = offset + RECORD_OVERHEAD_BYTES + plen
        if end > size:
            raise _Damage(offset, f"record of {plen} payload bytes runs past end of file ({size} bytes)")
        payload = f.read(plen)
        tmagic, pcrc = RECORD_TRAILER.unpack(f.read(RECORD_TRAILER.size))
        if tmagic != TRAILER_MAGIC or zlib.crc32(payload) != pcrc:
            raise _Damage(offset, "record payload CRC or trailer mismatch")
        info = RecordInfo(seq, src.rstrip(b"\0").decode("ascii", "replace"), frame, sclk, fmt, ch, w, h, plen,
                          index, offset)
        return info, (payload if self.want_payload else None), hcrc, pcrc


# ------------------------------------------------------------------------------------ verdicts


def _ranges(seqs: list[int], lo: int, hi: int) -> list[tuple[int, int]]:
    """The ranges of [lo, hi) not in the rising list ``seqs``."""
    out, nxt = [], lo
    for s in seqs:
        if s >= hi:
            break
        if s > nxt:
            out.append((nxt, s - 1))
        nxt = max(nxt, s + 1)
    if nxt < hi:
        out.append((nxt, hi - 1))
    return out


def _ranges_text(ranges) -> str:
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:4]]
    more = len(ranges) - 4
    return "record_seq " + ", ".join(parts) + (f" and {more} more ranges" if more > 0 else "")


def _tail_cause(store_dir: Path, walk: _Walk, ck: Checkpoint) -> str:
    """Where the committed records should end and what is there instead."""
    want = ck.segments - 1
    path = segment_path(store_dir, want)
    have = max(walk.files) if walk.files else -1
    if have < want:
        gone = (f"{path.name} is" if have == want - 1 else
                f"{segment_path(store_dir, have + 1).name} … {path.name} ({want - have} segments) are")
        return f"{gone} missing (the last checkpoint counts {ck.segments} segments)"
    if not path.exists():
        return f"{path.name}, which holds the last committed records, is missing"
    size = path.stat().st_size
    if size < ck.end_offset:
        return f"{path.name} is cut short: it ends at byte {size}, its committed records run to byte {ck.end_offset}"
    t = walk.torn
    start = f"from byte {t.offset} " if t is not None and t.segment == want and t.offset < ck.end_offset else ""
    return f"{path.name} is damaged {start}before byte {ck.end_offset}, where its committed records end"


def _evaluate(store_dir: Path, walk: _Walk, records: list[RecordInfo], ck: Checkpoint | None,
              problems: list[Problem]) -> StoreScan:
    problems = problems + walk.problems
    missing, missing_seqs = 0, []
    if ck is None:
        if walk.files:
            problems.append(Problem(
                f"{store_dir}: no readable checkpoint (checkpoint-0.edlc and checkpoint-1.edlc are missing or "
                f"damaged), so what the store committed cannot be told; {len(records)} intact records were read"))
    else:
        lo, hi = ck.first_seq, ck.seq_end
        data_in = sum(1 for r in records if lo <= r.seq < hi)
        missing_seqs = _ranges(walk.seqs, lo, hi)
        missing = ck.records - data_in
        if missing < 0:
            problems.append(Problem(f"{store_dir}: {data_in} records where the checkpoint (generation "
                                    f"{ck.generation}) counts {ck.records}: the files do not belong together"))
            missing = 0
        if hi > lo and walk.target_crcs is not None and walk.target_crcs != (ck.last_header_crc,
                                                                          ck.last_payload_crc):
            problems.append(Problem(f"{store_dir}: record_seq {hi - 1} is not the record committed as the last "
                                    f"one (its CRCs differ from the checkpoint's)"))
        if walk.tags - {ck.unit_tag}:
            problems.append(Problem(f"{store_dir}: segments of units {sorted(walk.tags)} in the store of unit "
                                    f"{ck.unit_tag!r}: they do not belong together"))
        if missing_seqs:
            what = (f"{missing} of {ck.records} committed records missing or damaged ({_ranges_text(missing_seqs)})"
                    if missing else f"committed seal {_ranges_text(missing_seqs)} missing or damaged")
            if not walk.seqs or walk.seqs[-1] < hi - 1 and missing_seqs[-1][1] == hi - 1:
                what += f": {_tail_cause(store_dir, walk, ck)}"
            problems.append(Problem(f"{store_dir}: {what}"))
    if walk.torn is not None:
        t = walk.torn
        lost = bool(missing_seqs) and missing_seqs[-1][1] == ck.seq_end - 1
        if not lost:  # one that cut committed records is named in the missing-records line above
            name = segment_path(store_dir, t.segment).name
            problems.append(Problem(f"torn tail discarded: segment {t.segment} ({name}), {t.length} bytes from byte "
                                    f"{t.offset} (a write cut by a crash; every committed record is intact)", NOTE))
    return StoreScan(tuple(records), len(walk.files), walk.torn, walk.bytes, walk.last_sealed, ck, tuple(problems),
                     missing, tuple(missing_seqs), walk.tip, store_dir)


def _open(store_dir: str | Path, want_payload: bool) -> tuple[Path, Checkpoint | None, list[Problem], _Walk]:
    store_dir = Path(store_dir)
    _require_store(store_dir)
    ck, problems = _read_checkpoints(store_dir, bool(_segment_files(store_dir)))
    walk = _Walk(store_dir, want_payload, ck.seq_end - 1 if ck else None)
    return store_dir, ck, problems, walk


def check_store(store_dir: str | Path) -> StoreScan:
    """Read and check every record of a store against its checkpoints; never raises for damage.

    Raises :class:`StoreError` only when ``store_dir`` is not a store (missing, a file, empty,
    another folder, or the folder of units), or is in an older format.
    """
    store_dir, ck, problems, walk = _open(store_dir, False)
    records = [info for info, _ in walk]
    return _evaluate(store_dir, walk, records, ck, problems)


def scan_store(store_dir: str | Path) -> StoreScan:
    """The index of a store whose committed records are all intact; StoreCorruptError otherwise.

    A torn tail after the last commit (a crash) is discarded and reported in ``torn_tail``.
    """
    scan = check_store(store_dir)
    if not scan.readable:
        raise StoreCorruptError(scan.summary())
    return scan


def iter_records(store_dir: str | Path) -> Iterator[Record]:
    """Every intact data record of a store with its payload, in write order (torn tail skipped).

    Raises :class:`StoreCorruptError` at the first damaged record (after yielding those before it)
    and, at the end, when committed records are missing.
    """
    store_dir, ck, problems, walk = _open(store_dir, True)
    records = []
    for info, payload in walk:
        lost = [p for p in walk.problems if p.level == LOSS]
        if lost:
            raise StoreCorruptError(lost[0].line + "; the records before it are intact")
        records.append(info)
        yield Record(info.source, info.frame_index, info.sclk_s, info.format, payload, info.channels,
                     info.width, info.height, info.seq)
    scan = _evaluate(store_dir, walk, records, ck, problems)
    if not scan.readable:
        raise StoreCorruptError(scan.summary())


def read_record(store_dir: str | Path, info: RecordInfo) -> Record:
    """Read one record found by :func:`scan_store`, checking its CRCs again."""
    path = segment_path(Path(store_dir), info.segment)
    with open(path, "rb") as f:
        f.seek(info.offset)
        try:
            fields = _parse_header(f.read(RECORD_HEADER.size), info.offset)
        except _Damage as dmg:
            raise StoreCorruptError(f"{path}: corrupt at byte {dmg.offset}: {dmg.what}") from None
        payload = f.read(fields[1])
        tail = f.read(RECORD_TRAILER.size)
    if fields[2] != info.seq or len(tail) != RECORD_TRAILER.size or RECORD_TRAILER.unpack(tail) != (
        TRAILER_MAGIC, zlib.crc32(payload)
    ):
        raise StoreCorruptError(f"{path}: corrupt at byte {info.offset}: record changed since the store was scanned")
    return Record(info.source, info.frame_index, info.sclk_s, info.format, payload, info.channels,
                  info.width, info.height, info.seq)

