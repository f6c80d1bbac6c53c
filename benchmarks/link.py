"""Link benchmark: CFDP goodput under loss, and days to bring Mars 2020's footage home.

1. Goodput: synthetic products (2 kB – 400 kB, seeded) sent with CFDP class 2 over Space Packets
   through a LossyChannel (loss in both directions) at 500 kbit/s, pass after pass until all
   arrive. goodput = file bits delivered / (rate × link time used × (1 − loss)); link time used
   ends at the last delivery, so a half-sent file at the end of a pass is not counted against it.
   Goal: ≥ 0.9 at 10 % loss.
2. Days: how long the default pass schedule (mission [[link.passes]]) needs for NASA's 30 GB of
   EDL camera data (REFERENCE.md: on the ground by 2021-02-22, four days after landing), at the
   measured goodput; and for the thumbnails alone (est. 23 000 frames × 4 kB, 1/8-size JPEG at
   quality 75).

Run: .venv/bin/python benchmarks/link.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from edlcam.config.link import CfdpConfig, LinkConfig
from edlcam.link.channel import LossyChannel
from edlcam.link.passes import Pass, build_schedule
from edlcam.link.transfer import FileJob, TransferEngine, sha256_file

RATE_BPS = 500_000.0
PASS_S = 600.0
NASA_BYTES = 30e9  # REFERENCE.md: 30 GB in 4 days
THUMB_BYTES = 23_000 * 4_000  # est.: 23 000 frames (NASA) × ≈ 4 kB thumbnails


def goodput(loss: float, *, n_files: int = 150, seed: int = 1) -> tuple[float, int, float]:
    root = Path(tempfile.mkdtemp(prefix="edlcam-bench-link-"))
    try:
        rng = np.random.default_rng(seed)
        (root / "src").mkdir()
        jobs = []
        for i in range(n_files):
            p = root / "src" / f"{i}.bin"
            p.write_bytes(rng.bytes(int(rng.integers(2_000, 400_000))))
            jobs.append(FileJob(str(i), p, f"x/{i}.bin", p.stat().st_size, sha256_file(p)))
        engine = TransferEngine(
            cfg=CfdpConfig(),
            staging_dir=root / "st",
            received_dir=root / "rx",
            forward=LossyChannel(loss=loss, seed=seed),
            back=LossyChannel(loss=loss, seed=seed + 1),
        )

        def next_job(_t):
            for j in jobs:
                if j.product_id not in engine.in_flight and not engine.done(j.product_id):
                    return j
            return None

        t0 = time.perf_counter()
        k = 0
        while len(engine.delivered) < n_files and k < 100:
            engine.run_pass(Pass(k, "MRO", k * 10_000.0, PASS_S, RATE_BPS), next_job)
            k += 1
        wall = time.perf_counter() - t0
        last = max(d.scet_s for d in engine.delivered.values())
        used_s = (last // 10_000.0) * PASS_S + (last % 10_000.0)
        bits = 8 * sum(j.size_bytes for j in jobs if j.product_id in engine.delivered)
        return bits / (RATE_BPS * used_s * (1 - loss)), len(engine.delivered), wall
    finally:
        shutil.rmtree(root, ignore_errors=True)


def days_for(volume_bytes: float, fraction: float) -> float:
    """Earth days after touchdown until the default schedule has carried ``volume_bytes``."""
    passes = build_schedule(LinkConfig().passes, days=400)
    carried = 0.0
    for p in passes:
        if carried + p.capacity_bits * fraction >= 8 * volume_bytes:
            need = 8 * volume_bytes - carried
            return (p.start_s + need / (p.rate_bps * fraction)) / 86_400.0
        carried += p.capacity_bits * fraction
    return float("inf")


def main() -> int:
    print(f"CFDP class 2 goodput at {RATE_BPS / 1e3:.0f} kbit/s, {PASS_S:.0f} s passes, 150 files of 2–400 kB")
    print(f"{'loss':>6} {'goodput/(cap×(1−loss))':>24} {'files':>6} {'wall s':>7}")
    results = {}
    for loss in (0.0, 0.01, 0.10, 0.30):
        g, n, wall = goodput(loss)
        results[loss] = g
        print(f"{loss:6.2f} {g:24.3f} {n:6d} {wall:7.1f}")
    print(f"goal ≥ 0.9 at 10 % loss: {'met' if results[0.10] >= 0.9 else 'NOT met'} ({results[0.10]:.3f})")
    per_sol_bits = sum(p.duration_s * p.rate_bps for p in LinkConfig().passes)
    print(f"\ndefault schedule: {len(LinkConfig().passes)} passes per sol, {per_sol_bits / 1e9:.2f} Gbit per sol")
    for label, volume in (("NASA's 30 GB", NASA_BYTES), ("thumbnails (est. 92 MB)", THUMB_BYTES)):
        d0 = days_for(volume, results[0.0])
        d10 = days_for(volume, results[0.10] * 0.9)
        print(f"{label:26s}: {d0:7.1f} days at 0 % loss, {d10:7.1f} days at 10 % loss (NASA: 4 days for 30 GB)")
    need_bps = 8 * NASA_BYTES / (4 * 86_400.0)
    print(f"30 GB in 4 days needs a continuous {need_bps / 1e6:.2f} Mbit/s, "
          f"{need_bps / (per_sol_bits / 88_775.244):.0f}× the default schedule's mean rate")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
