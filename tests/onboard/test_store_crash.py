"""Kill a real writing process with SIGKILL at random moments; the reader must return every
committed record byte-identical, in order, and nothing torn.

The writer reports each commit on its stdout pipe after ``fsync`` returns. After the kill the
reader may also return records written after the last reported commit (complete and CRC-checked,
their fsync or its report was cut off): the check is that what comes back is a prefix of what was
written, at least as long as what was reported committed. Half the runs reopen the store after
the crash (recovery), append more, and check again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from edlcam.errors import StoreCorruptError
from edlcam.onboard.store import iter_records, scan_store

WRITER = textwrap.dedent(
    """
    import os, sys, random, time
    from edlcam.onboard.store import Record, StoreWriter, FORMAT_RAW

    def record(i):
        rng = random.Random(i)
        size = rng.choice([0, 1, 17, 4096, rng.randrange(1, 300_000)])
        return Record(("rdc", "puc_a", "microphone")[i % 3], i, 666952000.0 + i / 75, FORMAT_RAW,
                      rng.randbytes(size), 1, size, 1)

    store, start, count, commit_records, segment_bytes, chunk = sys.argv[1], *map(int, sys.argv[2:])

    def chunked(fd, buffers):  # a slow device taking 4 KiB per write(2): kills land mid-record
        time.sleep(0.0005)
        return os.write(fd, bytes(buffers[0][:chunk]))

    out = sys.stdout
    w = StoreWriter(store, segment_bytes=segment_bytes, commit_records=commit_records, commit_bytes=1 << 20,
                    on_commit=lambda seq: (out.write(f"{seq}\\n"), out.flush()),
                    **({"write": chunked} if chunk else {}))
    out.write("go\\n"); out.flush()
    for i in range(start, start + count):
        w.append(record(i))
    w.close()
    """
)


def _record(i: int) -> bytes:
    rng = random.Random(i)
    size = rng.choice([0, 1, 17, 4096, rng.randrange(1, 300_000)])
    return rng.randbytes(size)


def _run_and_kill(store, start: int, rng: random.Random) -> int:
    """Start a writer, SIGKILL it at a random moment; return the number of records reported committed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store), str(start), "1000000", str(rng.choice([1, 2, 5, 16])),
         str(rng.choice([64 << 10, 1 << 20])), str(rng.choice([0, 4096]))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdout.readline()  # "go": the store is open (or the writer died: then the kill is a no-op)
    time.sleep(rng.uniform(0.0, 0.2))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()  # commits reported after "go"
    assert proc.returncode in (-signal.SIGKILL, 0), err.decode()
    committed = [int(x) for x in out.decode().split() if x.isdigit()]
    return committed[-1] if committed else -1


def _check(store, written_before: int, committed_seq: int) -> int:
    """Reader output is a prefix of the written sequence covering every reported commit."""
    scan = scan_store(store)
    records = list(iter_records(store))
    assert len(records) == len(scan.records)
    for k, rec in enumerate(records):
        assert rec.frame_index == k, "records come back in write order without gaps"
        assert rec.payload == _record(k), f"record {k} is not byte-identical"
    committed_index = max([k for k, r in enumerate(scan.records) if r.seq <= committed_seq], default=-1)
    assert committed_seq == -1 or scan.records[committed_index].seq == committed_seq
    assert len(records) >= committed_index + 1 and len(records) >= written_before
    return len(records)


def _crash_cycle(tmp_path, runs: int, seed: int) -> int:
    """Crash ``runs`` writers; return how many left a torn tail (the cases that matter most)."""
    rng = random.Random(seed)
    torn = 0
    for run in range(runs):
        store = tmp_path / f"store{run}"
        committed = _run_and_kill(store, 0, rng)
        if not store.exists() or not any(store.iterdir()):
            continue  # killed before the first segment existed
        torn += scan_store(store).torn_tail is not None
        n = _check(store, 0, committed)
        if run % 2:  # recover, append from where the store stands, crash again
            committed = _run_and_kill(store, n, rng)
            torn += scan_store(store).torn_tail is not None
            _check(store, n, committed)
    return torn


def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path):
    # half the writers split each record over 4 KiB writes, so kills land mid-record too
    assert _crash_cycle(tmp_path, 24, seed=20210218) >= 1


@pytest.mark.slow
def test_sigkill_hundreds_of_times(tmp_path):
    assert _crash_cycle(tmp_path, 300, seed=7) >= 10


def test_check_fails_on_a_lost_committed_record(tmp_path):
    """The crash check is not vacuous: a committed record missing from the store makes it fail."""
    from edlcam.onboard.store import FORMAT_RAW, Record, StoreWriter, segment_path

    with StoreWriter(tmp_path, segment_bytes=64 << 10, commit_records=1) as w:
        for i in range(6):
            w.append(Record(("rdc", "puc_a", "microphone")[i % 3], i, 666952000.0 + i / 75, FORMAT_RAW,
                            _record(i), 1, len(_record(i)), 1))
    committed = w.committed_seq
    assert _check(tmp_path, 0, committed) == 6
    last = scan_store(tmp_path).records[-1]
    os.truncate(segment_path(tmp_path, last.segment), last.offset)
    with pytest.raises((AssertionError, StoreCorruptError)):  # the store itself now refuses first
        _check(tmp_path, 0, committed)
    w = StoreWriter(tmp_path / "killed", segment_bytes=64 << 10, commit_records=1)
    for i in range(6):
        w.append(Record(("rdc", "puc_a", "microphone")[i % 3], i, 666952000.0 + i / 75, FORMAT_RAW,
                        _record(i), 1, len(_record(i)), 1))
    w.abandon()  # a kill: no seal; the last record is committed all the same
    last = scan_store(tmp_path / "killed").records[-1]
    os.truncate(segment_path(tmp_path / "killed", last.segment), last.offset + 70)
    with pytest.raises((AssertionError, StoreCorruptError)):
        _check(tmp_path / "killed", 0, w.committed_seq)
