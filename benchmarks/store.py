"""Store ingest against the disk, against the store without checkpoints, and against the cameras.

Measures, in one run on the same directory, interleaved:
  raw     sequential write(2) of the same records with the same fsync cadence (the disk's ceiling
          at this durability);
  no-ckpt StoreWriter with its checkpoint writes switched off (the version-1 behaviour: headers,
          CRC-32 of every payload, rotation seals, group commit);
  store   StoreWriter as it ships: the above plus a checkpoint (pwrite + fdatasync of a 96-byte
          copy) at every commit and the close seal with its two closing checkpoints;
for two workloads: the mission's 1280×1024 Bayer frames at its group-commit cadence, and small
4 KiB records committed every 64 records (the checkpoint's worst realistic share). It also
times every checkpoint write, and compares the frame ingest with the aggregate sensor rate of
the Mars 2020 schedule at full quality (default mission, NASA's nominal landing timeline).

    .venv/bin/python benchmarks/store.py [--dir DIR] [--gib 1.0] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from edlcam.mission import load_mission
from edlcam.onboard.schedule import build_schedule
from edlcam.onboard.store import FORMAT_BAYER_RGGB8, Record, StoreWriter

# NASA landing timeline as published before landing (REFERENCE.md), E+ seconds; minor events est.
NASA_EVENTS = {"entry_interface": 0.0, "peak_heating": 80.0, "peak_deceleration": 90.0, "parachute_deploy": 240.0,
               "heatshield_separation": 260.0, "radar_lock": 290.0, "backshell_separation": 345.0,
               "powered_descent_start": 346.0, "skycrane_start": 390.0, "touchdown": 410.0, "bridle_cut": 410.5}
FRAME_W, FRAME_H = 1280, 1024  # RDC/PUC/RUC Bayer frame, 1 byte per pixel (REFERENCE.md)


def _frames(n: int, rng: np.random.Generator, size: int) -> list[bytes]:
    # a few distinct random records reused: content does not change write(2) or CRC-32 speed
    pool = [rng.integers(0, 256, size, dtype=np.uint8).tobytes() for _ in range(8)]
    return [pool[i % len(pool)] for i in range(n)]


def bench_raw(directory: Path, frames: list[bytes], commit_bytes: int, commit_records: int) -> float:
    """MB/s of plain appends with fsync at the store's cadence."""
    path = directory / "raw.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    t0 = time.perf_counter()
    pending_b = pending_n = 0
    for f in frames:
        os.write(fd, f)
        pending_b += len(f)
        pending_n += 1
        if pending_b >= commit_bytes or pending_n >= commit_records:
            os.fsync(fd)
            pending_b = pending_n = 0
    os.fsync(fd)
    dt = time.perf_counter() - t0
    os.close(fd)
    path.unlink()
    return sum(map(len, frames)) / dt / 1e6


class _NoCheckpoints(StoreWriter):
    """The store with its checkpoint writes switched off: the version-1 behaviour, as a peer."""

    def _checkpoint(self, *, closed: bool) -> None:
        return None


class _TimedCheckpoints(StoreWriter):
    """The store as it ships, timing each checkpoint write."""

    seconds = 0.0
    count = 0

    def _checkpoint(self, *, closed: bool) -> None:
        t0 = time.perf_counter()
        super()._checkpoint(closed=closed)
        type(self).seconds += time.perf_counter() - t0
        type(self).count += 1


def bench_store(directory: Path, frames: list[bytes], onboard, cls=StoreWriter, *, commit_bytes=None,
                commit_records=None) -> float:
    """MB/s of payload through a StoreWriter (class ``cls``) with the mission's segment and commit settings."""
    store = directory / "store"
    t0 = time.perf_counter()
    with cls(store, segment_bytes=onboard.segment_bytes, commit_bytes=commit_bytes or onboard.commit_bytes,
             commit_records=commit_records or onboard.commit_records) as w:
        for i, f in enumerate(frames):
            w.append(Record("rdc", i, 666952000.0 + i / 30, FORMAT_BAYER_RGGB8, f, 1, FRAME_W, len(f) // FRAME_W))
    dt = time.perf_counter() - t0
    shutil.rmtree(store)
    return sum(map(len, frames)) / dt / 1e6


def _trials(directory: Path, frames: list[bytes], onboard, repeats: int, commit_bytes: int,
            commit_records: int) -> dict[str, list[float]]:
    """Interleaved trials, order rotating, so every peer sees the same disk weather."""
    peers = {
        "raw": lambda: bench_raw(directory, frames, commit_bytes, commit_records),
        "no-ckpt": lambda: bench_store(directory, frames, onboard, _NoCheckpoints, commit_bytes=commit_bytes,
                                       commit_records=commit_records),
        "store": lambda: bench_store(directory, frames, onboard, _TimedCheckpoints, commit_bytes=commit_bytes,
                                     commit_records=commit_records),
    }
    out: dict[str, list[float]] = {k: [] for k in peers}
    names = list(peers)
    for k in range(repeats):
        for name in names[k % 3:] + names[: k % 3]:
            out[name].append(peers[name]())
    return out


def _report(title: str, res: dict[str, list[float]], store_seconds_mb: float) -> float:
    med = {k: statistics.median(v) for k, v in res.items()}
    print(title)
    for k, label in (("raw", "raw sequential write + fsync"), ("no-ckpt", "store, checkpoints off (v1)"),
                     ("store", "store (seals + checkpoints)")):
        print(f"  {label:<30}: {med[k]:8.1f} MB/s   (trials {', '.join(f'{x:.0f}' for x in res[k])})")
    n = _TimedCheckpoints.count
    print(f"  store / raw                   : {med['store'] / med['raw']:8.1%}   (goal ≥ 80 %)")
    print(f"  store / checkpoints off       : {med['store'] / med['no-ckpt']:8.1%}")
    print(f"  checkpoint writes             : {n} in {_TimedCheckpoints.seconds * 1e3:.1f} ms "
          f"({_TimedCheckpoints.seconds / 1e-3 / max(n, 1):.2f} ms each), "
          f"{_TimedCheckpoints.seconds / store_seconds_mb:.1%} of the store trials' time")
    return med["store"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="directory on the disk to test (default: a temp dir)")
    ap.add_argument("--gib", type=float, default=1.0, help="data written per trial [GiB]")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    mission = load_mission()
    onboard = mission.onboard
    rng = np.random.default_rng(2021)
    n = max(8, int(args.gib * 2**30 / (FRAME_W * FRAME_H)))
    frames = _frames(n, rng, FRAME_W * FRAME_H)
    small = _frames(max(64, int(args.gib * 2**30 / 8 / 4096)), rng, 4096)  # an eighth of the volume
    directory = Path(tempfile.mkdtemp(prefix="edlcam-bench-", dir=args.dir))
    try:
        _TimedCheckpoints.seconds, _TimedCheckpoints.count = 0.0, 0
        big = _trials(directory, frames, onboard, args.repeats, onboard.commit_bytes, onboard.commit_records)
        store_s = sum(sum(map(len, frames)) / 1e6 / x for x in big["store"])
        print(f"frames: {n} × {FRAME_W}×{FRAME_H} Bayer ({n * FRAME_W * FRAME_H / 2**30:.2f} GiB per trial), "
              f"fsync every {onboard.commit_bytes >> 20} MiB or {onboard.commit_records} records, "
              f"segments of {onboard.segment_bytes >> 20} MiB; median of {args.repeats}")
        r_store = _report("mission frames", big, store_s)
        _TimedCheckpoints.seconds, _TimedCheckpoints.count = 0.0, 0
        tiny = _trials(directory, small, onboard, args.repeats, onboard.commit_bytes, 64)
        store_s = sum(sum(map(len, small)) / 1e6 / x for x in tiny["store"])
        _report(f"small records: {len(small)} × 4 KiB per trial, a commit every 64 records (256 KiB)", tiny, store_s)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    sched = build_schedule(mission, NASA_EVENTS, quality="full")
    peak, t_peak = sched.peak_rate()
    peak_ds, _ = sched.peak_rate("descent_stage")
    peak_rv, _ = sched.peak_rate("rover")
    print(f"Mars 2020 schedule, full quality, sensor bytes: peak {peak / 1e6:.1f} MB/s at E+{t_peak:.0f} s "
          f"(descent-stage DSU {peak_ds / 1e6:.1f} MB/s, rover DSU {peak_rv / 1e6:.1f} MB/s), "
          f"{sched.total_bytes / 1e9:.1f} GB in all")
    print(f"store / schedule peak        : {r_store / (peak / 1e6):8.2f}×  (one disk taking both units' peak)")
    print(f"store / descent-stage peak   : {r_store / (peak_ds / 1e6):8.2f}×  (each DSU has its own disk)")


if __name__ == "__main__":
    main()
