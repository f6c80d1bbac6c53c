"""Benchmark: render the whole landing's microphone audio and compare with real time.

    .venv/bin/python benchmarks/audio.py [RUN] [--sample-rate 48000]

RUN is a folder written by `edlcam simulate --out RUN`; without one, the synthetic run of the
microphone tests (tests/cameras/test_microphone.py, the NASA timeline E+0 → touchdown + 60 s) is
written to a temporary folder. Prints the wall-clock time of each source and of the whole render,
and the real-time factor (audio seconds per wall-clock second; > 1 is faster than real time).
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

from edlcam.cameras import microphone as mic
from edlcam.mission import load_mission

REPO = Path(__file__).resolve().parents[1]


def synthetic_run(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("test_microphone", REPO / "tests" / "cameras" / "test_microphone.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_synthetic_run(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--sample-rate", type=int, default=48_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or synthetic_run(Path(tmp) / "run")
        resolved = run / "mission.toml"
        mission = load_mission(resolved if resolved.is_file() else None)
        t0 = time.perf_counter()
        record = mic.load_flight(run)
        t_load = time.perf_counter() - t0
        print(f"run: {run if args.run else 'synthetic (tests/cameras/test_microphone.py)'}; sample rate {args.sample_rate} Hz")
        print(f"{'load flight':<12} {t_load:7.2f} s")
        total_sources = 0.0
        for name in mic.SOURCES:
            t0 = time.perf_counter()
            mic.render_pressure(record, mission, sample_rate_hz=args.sample_rate, sources=[name])
            dt = time.perf_counter() - t0
            total_sources += dt
            print(f"{name:<12} {dt:7.2f} s")
        t0 = time.perf_counter()
        audio = mic.render_audio(run, sample_rate_hz=args.sample_rate, mission=mission)
        wall = time.perf_counter() - t0
    print(f"{'sum of parts':<12} {total_sources:7.2f} s (each includes building the scene)")
    print(f"whole render {wall:7.2f} s for {audio.duration_s:.1f} s of audio ({audio.samples.size:,} samples)")
    print(f"real-time factor {audio.duration_s / wall:.1f}x (goal: > 1x)")


if __name__ == "__main__":
    main()
