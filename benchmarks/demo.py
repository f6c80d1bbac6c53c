"""Benchmark of `edlcam demo`: wall time per stage, and the film's assembly overhead over encoding alone.

    .venv/bin/python benchmarks/demo.py [--mission FILE] [--quality preview] [--frames 120]

1. Runs the demo's library call (simulate → film → relay → assemble → report) into a temporary
   run folder and prints each stage's wall time (goal: the whole preview demo ≤ 5 min on 2 cores).
2. Re-assembles ``--frames`` film frames from the middle of the film keeping every composed
   frame, then encodes those same frames alone with PyAV (same codec, preset, CRF, no audio)
   and prints both speeds (goal: assembly overhead ≤ 20 %: decode + compose + overlays + audio).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from fractions import Fraction
from pathlib import Path


def _encode_alone(frames, path: Path, fps: int) -> float:
    import av

    from edlcam.ground.video import h264_stream

    t = time.perf_counter()
    with av.open(str(path), mode="w") as c:
        s = h264_stream(c, width=frames[0].width, height=frames[0].height, rate=Fraction(fps))
        for k, pil in enumerate(frames):
            vf = av.VideoFrame.from_image(pil)
            vf.pts = k
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mission", type=Path, default=None, help="mission file (default: the shipped Mars 2020)")
    ap.add_argument("--quality", default="preview")
    ap.add_argument("--frames", type=int, default=120, help="film frames for the encode comparison")
    ap.add_argument("--at", type=float, default=None, help="centre [E+ s] of the compared frames (default: mid-film)")
    ap.add_argument("--reuse", type=Path, default=None, help="skip the demo; compare the encode on this run folder")
    ap.add_argument("--keep", type=Path, default=None, help="keep the run folder here")
    args = ap.parse_args()

    from edlcam.ground.assemble import FILM_FPS, assemble_film
    from edlcam.ground.demo import run_demo
    from edlcam.mission import load_mission

    root = Path(tempfile.mkdtemp(prefix="edlcam-bench-demo-"))
    run = args.keep or root / "run"
    try:
        if args.reuse is not None:
            run = args.reuse
        else:
            mission = load_mission(args.mission)
            t0 = time.perf_counter()
            result = run_demo(run, quality=args.quality, mission=mission)
            total = time.perf_counter() - t0
            print(f"edlcam demo ({args.quality}, mission {args.mission or 'mars2020'}) on this machine:")
            for stage, s in result.stage_s.items():
                print(f"  {stage:<9} {s:8.1f} s")
            print(f"  {'total':<9} {total:8.1f} s   (goal ≤ 300 s for the full preview demo)")
            print(f"  relay window {result.relay_days:g} days, film frames home as video or better: "
                  f"{100 * result.coverage:.1f} %, requested: {result.requested}")

        import json

        film = json.loads((run / "ground" / "assembly.json").read_text())["film"]
        mid = args.at if args.at is not None else 0.5 * (film["t_start_s"] + film["t_end_s"])
        span = args.frames / FILM_FPS
        kept, stamps = [], []

        def sink(pil):
            kept.append(pil)
            stamps.append(time.perf_counter())

        t = time.perf_counter()
        assemble_film(run, t_start_s=mid - span / 2, t_end_s=mid + span / 2, out=root / "part.mp4", frame_sink=sink)
        t_assemble = time.perf_counter() - t
        # steady state: from the first composed frame to the last (setup — mission, catalog, FLAC — excluded)
        t_steady = (stamps[-1] - stamps[0]) * len(stamps) / max(len(stamps) - 1, 1)
        t_alone = _encode_alone(kept, root / "alone.mp4", FILM_FPS)
        n = len(kept)
        print(f"film assembly: {n} frames 1280×720 in {t_assemble:.2f} s = {n / t_assemble:.1f} fps "
              f"(catalog open, decode, compose, overlays, audio, encode)")
        print(f"PyAV encoding the same frames alone: {t_alone:.2f} s = {n / t_alone:.1f} fps")
        print(f"assembly steady state (setup excluded): {n / t_steady:.1f} fps")
        print(f"assembly overhead over encoding alone: {100 * (t_steady / t_alone - 1):.0f} % steady state, "
              f"{100 * (t_assemble / t_alone - 1):.0f} % with setup (goal ≤ 20 %)")
        print(f"whole film: {film['frames']} frames; at the assembly rate above ≈ {film['frames'] / (n / t_assemble):.0f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
