"""Store ingest against the disk and against the cameras.

Measures, in one run on the same directory:
  raw   sequential write(2) of the same frames with the same fsync cadence (the disk's ceiling
        at this durability);
  store StoreWriter ingest: headers, CRC-32 of every payload, segment rotation, group commit;
and compares both with the aggregate sensor rate of the Mars 2020 schedule at full quality
(default mission, NASA's nominal landing timeline). Prints the figures and ratios.

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


def _frames(n: int, rng: np.random.Generator) -> list[bytes]:
    # a few distinct random frames reused: content does not change write(2) or CRC-32 speed
    pool = [rng.integers(0, 256, FRAME_W * FRAME_H, dtype=np.uint8).tobytes() for _ in range(8)]
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


def bench_store(directory: Path, frames: list[bytes], onboard) -> float:
    """MB/s of payload through StoreWriter with the mission's segment and commit settings."""
    store = directory / "store"
    t0 = time.perf_counter()
    with StoreWriter(store, segment_bytes=onboard.segment_bytes, commit_bytes=onboard.commit_bytes,
                     commit_records=onboard.commit_records) as w:
        for i, f in enumerate(frames):
            w.append(Record("rdc", i, 666952000.0 + i / 30, FORMAT_BAYER_RGGB8, f, 1, FRAME_W, FRAME_H))
    dt = time.perf_counter() - t0
    shutil.rmtree(store)
    return sum(map(len, frames)) / dt / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="directory on the disk to test (default: a temp dir)")
    ap.add_argument("--gib", type=float, default=1.0, help="data written per trial [GiB]")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    mission = load_mission()
    onboard = mission.onboard
    n = max(8, int(args.gib * 2**30 / (FRAME_W * FRAME_H)))
    frames = _frames(n, np.random.default_rng(2021))
    directory = Path(tempfile.mkdtemp(prefix="edlcam-bench-", dir=args.dir))
    raw, store = [], []
    try:
        for k in range(args.repeats):  # interleaved, order alternating, so both see the same disk weather
            for which in (("raw", "store") if k % 2 == 0 else ("store", "raw")):
                if which == "raw":
                    raw.append(bench_raw(directory, frames, onboard.commit_bytes, onboard.commit_records))
                else:
                    store.append(bench_store(directory, frames, onboard))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    sched = build_schedule(mission, NASA_EVENTS, quality="full")
    peak, t_peak = sched.peak_rate()
    peak_ds, _ = sched.peak_rate("descent_stage")
    peak_rv, _ = sched.peak_rate("rover")
    r_raw, r_store = statistics.median(raw), statistics.median(store)
    print(f"frames: {n} × {FRAME_W}×{FRAME_H} Bayer ({n * FRAME_W * FRAME_H / 2**30:.2f} GiB per trial), "
          f"fsync every {onboard.commit_bytes >> 20} MiB or {onboard.commit_records} records, "
          f"segments of {onboard.segment_bytes >> 20} MiB; median of {args.repeats}")
    print(f"raw sequential write + fsync : {r_raw:8.1f} MB/s   (trials {', '.join(f'{x:.0f}' for x in raw)})")
    print(f"store ingest (commit rule on): {r_store:8.1f} MB/s   (trials {', '.join(f'{x:.0f}' for x in store)})")
    print(f"store / raw                  : {r_store / r_raw:8.1%}   (goal ≥ 80 %)")
    print(f"Mars 2020 schedule, full quality, sensor bytes: peak {peak / 1e6:.1f} MB/s at E+{t_peak:.0f} s "
          f"(descent-stage DSU {peak_ds / 1e6:.1f} MB/s, rover DSU {peak_rv / 1e6:.1f} MB/s), "
          f"{sched.total_bytes / 1e9:.1f} GB in all")
    print(f"store / schedule peak        : {r_store / (peak / 1e6):8.2f}×  (one disk taking both units' peak)")
    print(f"store / descent-stage peak   : {r_store / (peak_ds / 1e6):8.2f}×  (each DSU has its own disk)")


if __name__ == "__main__":
    main()
