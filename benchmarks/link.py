"""Link benchmark: the relay under frame loss at the mission's own link settings.

1. Delivered volume (issue 21). A product set shaped like the demo's (counts, sizes and
   priorities of a `edlcam demo` run's manifest: 5352 thumbnails of 0.36–2.8 kB, a 19.6 MB audio
   track, 634 browse JPEGs of 0.9–26 kB, 65 video segments of 35–716 kB, then lossless frames of
   30–470 kB, cut to ≈ 110 MB, more than the passes carry) is relayed by ``run_relay`` — the
   planner's order, the mission's ``[link.cfdp]`` and ``[link.channel]`` (loss overridden) and the
   default schedule's first two passes (MRO 600 s + TGO 720 s at 500 kbit/s: 660 Mbit).
   fraction = delivered file bits / (capacity × (1 − loss)), every delivered file verified by
   SHA-256 (the relay reports nothing else received). Goal: ≥ 0.85 at 10 %, ≥ 0.7 at 30 %.
   ``--run RUN`` relays a run folder's own products instead (the run's flight and products,
   the shipped mission's link settings; outputs go to a scratch folder, RUN is not written).
2. Days: how long the default schedule needs for NASA's 30 GB of EDL camera data (REFERENCE.md:
   on the ground by 2021-02-22, four days after landing) and for the thumbnails alone (est.
   23 000 frames × 4 kB), at the fraction measured at 0 % and 10 % loss.

Run: .venv/bin/python benchmarks/link.py [--run RUN] [--loss 0,0.1,0.3,0.5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from edlcam.config.link import LinkConfig
from edlcam.link.passes import build_schedule
from edlcam.link.relay import run_relay
from edlcam.mission import load_mission
from edlcam.runfolder.flight import write_events
from edlcam.runfolder.onboard import CaptureRate, write_manifest

NASA_BYTES = 30e9  # REFERENCE.md: 30 GB in 4 days
THUMB_BYTES = 23_000 * 4_000  # est.: 23 000 frames (NASA) × ≈ 4 kB thumbnails
TWO_PASSES_DAYS = 0.21  # the default schedule's passes start at 7 200 s and 18 000 s, the third at 30 000 s
# (kind, count, min bytes, max bytes, priorities): the demo's manifest (edlcam demo, preview quality)
DEMO_SHAPE = (
    ("thumbnail", 5352, 360, 2_781, (1, 2, 3)),
    ("audio", 1, 19_569_078, 19_569_078, (2,)),
    ("browse", 634, 875, 26_188, (3, 4, 5)),
    ("video", 65, 34_500, 715_970, (5, 6, 7)),
    ("lossless", 300, 29_975, 472_534, (8, 9, 10)),  # of 5352: enough to outlast two passes
)


def synthetic_run(root: Path, seed: int = 1, shape=DEMO_SHAPE) -> Path:
    """A run folder with a touchdown event and demo-shaped onboard products (random bytes)."""
    rng = np.random.default_rng(seed)
    run = root / "run"
    # written by the run folder's own writers, so the set follows the contract (runfolder)
    write_events(run, [{"name": "touchdown", "t_s": 403.1, "utc": "2021-02-18T20:43:21.100Z"}], [])
    products = []
    for kind, count, lo, hi, priorities in shape:
        for i in range(count):
            size = int(rng.integers(lo, hi + 1))
            data = rng.bytes(size)
            rel = f"rdc/{kind}/{i:06d}.bin"
            (run / "onboard" / "products" / rel).parent.mkdir(parents=True, exist_ok=True)
            (run / "onboard" / "products" / rel).write_bytes(data)
            t = 260.0 + 0.03 * i
            products.append({"id": f"rdc-{kind}-{i:06d}", "kind": kind, "camera": "rdc", "path": rel, "size_bytes": size,
                             "sha256": hashlib.sha256(data).hexdigest(), "priority": priorities[i % len(priorities)],
                             "t_start_s": t, "t_end_s": t, "frame_first": i, "frame_last": i,
                             "sclk_start": 666_952_680.0 + t, "sclk_end": 666_952_680.0 + t})  # fmt: skip
    write_manifest(run, products, rates={"rdc": CaptureRate("rdc", 30.0)}, quality="preview")
    return run


def relay_once(source: Path, scratch: Path, loss: float, days: float) -> dict:
    """``run_relay`` on ``source``'s flight and products (linked), outputs in ``scratch``."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for name in ("flight", "onboard"):
        os.symlink(source.absolute() / name, scratch / name)
    return run_relay(scratch, mission=load_mission(None), loss=loss, days=days)


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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, help="relay this run folder's products instead of the synthetic set")
    ap.add_argument("--loss", default="0,0.1,0.3,0.5", help="frame loss values, comma-separated")
    ap.add_argument("--days", type=float, default=TWO_PASSES_DAYS, help="Earth days of passes (default: the first two)")
    args = ap.parse_args()
    losses = [float(x) for x in args.loss.split(",")]
    cfdp = load_mission(None).link.cfdp
    root = Path(tempfile.mkdtemp(prefix="edlcam-bench-link-"))
    try:
        source = args.run if args.run is not None else synthetic_run(root)
        print(f"products: {'the synthetic demo-shaped set' if args.run is None else source}; mission [link.cfdp]: "
              f"{cfdp.concurrent_transactions} transactions, {cfdp.segment_bytes} B segments, "
              f"ACK/NAK timers {cfdp.ack_timer_s:g}/{cfdp.nak_timer_s:g} s")  # fmt: skip
        print(f"{'loss':>5} {'passes':>6} {'capacity MB':>11} {'delivered MB':>12} {'files':>6} "
              f"{'fraction of capacity×(1−loss)':>30} {'wall s':>7}")  # fmt: skip
        results = {}
        for loss in losses:
            t0 = time.perf_counter()
            s = relay_once(source, root / "out", loss, args.days)
            wall = time.perf_counter() - t0
            frac = 8 * s["received_bytes"] / (s["capacity_bits"] * (1 - loss))
            results[loss] = frac
            print(f"{loss:5.2f} {s['passes']:6d} {s['capacity_bits'] / 8e6:11.1f} {s['received_bytes'] / 1e6:12.1f} "
                  f"{s['received']:6d} {frac:30.3f} {wall:7.0f}", flush=True)  # fmt: skip
        for loss, goal in ((0.10, 0.85), (0.30, 0.70)):
            if loss in results:
                print(f"goal ≥ {goal} at {loss:.0%} loss: {'met' if results[loss] >= goal else 'NOT met'} ({results[loss]:.3f})")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if 0.0 in results and 0.1 in results:
        per_sol_bits = sum(p.duration_s * p.rate_bps for p in LinkConfig().passes)
        print(f"\ndefault schedule: {len(LinkConfig().passes)} passes per sol, {per_sol_bits / 1e9:.2f} Gbit per sol")
        for label, volume in (("NASA's 30 GB", NASA_BYTES), ("thumbnails (est. 92 MB)", THUMB_BYTES)):
            d0, d10 = days_for(volume, results[0.0]), days_for(volume, results[0.1] * 0.9)
            print(f"{label:26s}: {d0:7.1f} days at 0 % loss, {d10:7.1f} days at 10 % loss (NASA: 4 days for 30 GB)")
        need_bps = 8 * NASA_BYTES / (4 * 86_400.0)
        print(f"30 GB in 4 days needs a continuous {need_bps / 1e6:.2f} Mbit/s, "
              f"{need_bps / (per_sol_bits / 88_775.244):.0f}× the default schedule's mean rate")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
