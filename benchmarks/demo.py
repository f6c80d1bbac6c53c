"""Benchmark of `edlcam demo`: wall time per stage, and the film's assembly overhead over encoding alone.

    .venv/bin/python benchmarks/demo.py [--mission FILE] [--quality preview] [--frames 300]
    .venv/bin/python benchmarks/demo.py --reuse RUN [--presets veryfast,superfast]
    .venv/bin/python benchmarks/demo.py --cpu [--avx2-width] [--keep RUN]

0. ``--cpu`` runs the demo once and prints each stage's wall and CPU seconds (user + system of this
   process and every process under it: render workers, encoder threads), nothing else. The demo's
   CPU is the load-independent figure on a shared machine; wall ≥ CPU ÷ 2 on two cores.
   ``--avx2-width`` runs it (re-executed with these variables set, so that every library and every
   render worker reads them at start) as an AVX2-only machine would, on an AVX-512 host:
   llvmpipe without AVX-512 (``GALLIUM_OVERRIDE_CPU_CAPS=avx``: Mesa's util_cpu_detect clears the
   avx512 caps, so gallivm neither targets them nor picks 512-bit vectors) at 256-bit vectors
   (``LP_NATIVE_VECTOR_WIDTH=256``); numba compiling for Haswell (``NUMBA_CPU_NAME=haswell`` and
   the host's features with every avx512 one removed, ``NUMBA_CPU_FEATURES``: numba otherwise
   passes the host's features with any CPU name); numpy's and OpenCV's AVX-512 kernels switched
   off (``NPY_DISABLE_CPU_FEATURES``, ``OPENCV_CPU_DISABLE``). What it does not model: the
   AVX2 EPYC's slower cores (its pure-Python relay took 1.6× this machine's, RESULTS.md), and
   libx264/FFmpeg's own AVX-512 paths (no variable switches those).

1. Runs the demo's library call (simulate → film → relay → assemble → report) into a temporary
   run folder and prints each stage's wall time (goal: the whole preview demo ≤ 5 min on 2 cores).
   With ``--reuse RUN`` it skips that and times the ground stage's parts on RUN instead: catalog,
   per-camera MP4s, the whole film, the report.
2. Re-assembles ``--frames`` film frames keeping every composed frame (I420, exactly what the
   assembly hands its encoder), then encodes those same frames alone with PyAV (same codec,
   preset, CRF, no audio) and prints both speeds (goal: assembly overhead ≤ 20 %: catalog open,
   decode, compose, overlays, audio). The two runs alternate ``--repeat`` times and the medians
   are compared, so a burst of load from other users hits both alike; CPU seconds (all threads)
   are printed beside wall time, as on a shared machine they show the work itself.
3. ``--presets`` encodes the same frames with other libx264 presets: speed, size and PSNR (Y)
   against the composed frames.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path


# numpy 2.4's dispatch groups (np.show_runtime(): X86_V4 is the AVX-512 level) and OpenCV's names
# (cv2.getCPUFeaturesLine()), as the locked versions spell them
AVX512_NUMPY = "X86_V4 AVX512_ICL AVX512_SPR"
AVX512_OPENCV = "AVX512F,AVX512-COMMON,AVX512-SKX,AVX512-CNL,AVX512-CLX,AVX512-ICL"
AVX2_SHOWN = ("GALLIUM_OVERRIDE_CPU_CAPS", "LP_NATIVE_VECTOR_WIDTH", "NUMBA_CPU_NAME", "NPY_DISABLE_CPU_FEATURES")


def avx2_width_env() -> dict[str, str]:
    """Environment that makes this AVX-512 host run the demo's SIMD code as an AVX2-only one would."""
    import llvmlite.binding as ll

    host = ll.get_host_cpu_features()
    features = ",".join(("-" if name.startswith("avx512") else ("+" if on else "-")) + name
                        for name, on in sorted(host.items()))
    return {
        "GALLIUM_OVERRIDE_CPU_CAPS": "avx",
        "LP_NATIVE_VECTOR_WIDTH": "256",
        "NUMBA_CPU_NAME": "haswell",
        "NUMBA_CPU_FEATURES": features,
        "NPY_DISABLE_CPU_FEATURES": AVX512_NUMPY,
        "OPENCV_CPU_DISABLE": AVX512_OPENCV,
    }


def _tree_cpu_s() -> float:
    """CPU seconds (user + system) of this process, its reaped children and every live descendant."""
    import os
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    parent: dict[int, int] = {}
    stat: dict[int, list[str]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(d)], stat[int(d)] = int(fields[1]), fields
    tick = os.sysconf("SC_CLK_TCK")
    mine = {os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parent.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    for pid in mine - {os.getpid()}:
        f = stat[pid]  # fields after the name: state ppid … utime(11) stime(12) cutime(13) cstime(14)
        total += sum(int(f[i]) for i in (11, 12, 13, 14)) / tick
    return total


def _cpu_by_stage(args) -> None:
    """Run the demo once; print each stage's wall and CPU (the process tree's)."""
    import os
    import subprocess

    import edlcam
    import edlcam.gnc.loop
    import edlcam.stages as stages
    from edlcam.mission import load_mission

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def wrap(module, name, stage):
        fn = getattr(module, name)

        def timed(*a, **k):
            t, c = time.perf_counter(), _tree_cpu_s()
            try:
                return fn(*a, **k)
            finally:
                wall[stage] = wall.get(stage, 0.0) + time.perf_counter() - t
                cpu[stage] = cpu.get(stage, 0.0) + _tree_cpu_s() - c

        setattr(module, name, timed)

    wrap(stages, "_simulate", "simulate")  # what demo calls (simulate() is its public face)
    for name in ("film", "relay", "assemble", "report"):
        wrap(stages, name, name)
    wrap(edlcam.gnc.loop, "run_lvs", "lvs")
    run = args.keep or Path(tempfile.mkdtemp(prefix="edlcam-bench-demo-")) / "run"
    load = os.getloadavg()
    t, c = time.perf_counter(), _tree_cpu_s()
    try:
        stages.demo(run, quality=args.quality, mission=load_mission(args.mission), overwrite=True)
    finally:
        total_wall, total_cpu = time.perf_counter() - t, _tree_cpu_s() - c
        if args.keep is None:
            shutil.rmtree(run.parent, ignore_errors=True)
    avx512 = subprocess.run(["grep", "-c", "avx512", "/proc/cpuinfo"], capture_output=True, text=True).stdout.strip()
    mode = ("AVX2-width (" + ", ".join(f"{k}={os.environ.get(k, '')}" for k in AVX2_SHOWN) + ")"
            if args.avx2_width else "native")
    print(f"edlcam demo ({args.quality}), {mode}; grep -c avx512 /proc/cpuinfo = {avx512}; "
          f"1-min load {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"  {'stage':<9} {'wall s':>8} {'CPU s':>8} {'CPU/wall':>8}")
    for stage in ("simulate", "lvs", "film", "relay", "assemble", "report"):
        if stage in wall:
            print(f"  {stage:<9} {wall[stage]:8.1f} {cpu[stage]:8.1f} {cpu[stage] / max(wall[stage], 1e-9):8.2f}")
    print(f"  {'total':<9} {total_wall:8.1f} {total_cpu:8.1f} {total_cpu / total_wall:8.2f}"
          f"   (goal: wall ≤ 300 s on 2 idle cores)")


def _cpu_s() -> float:
    """CPU seconds of this process so far, every thread (libx264's included)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _encode_alone(frames, path: Path, fps: int, **settings) -> float:
    """Wall time [s] to encode I420 ``frames`` into ``path`` with the film's encoder settings."""
    import av

    from edlcam.ground.video import h264_stream

    h, w = frames[0].shape[0] * 2 // 3, frames[0].shape[1]
    t = time.perf_counter()
    with av.open(str(path), mode="w") as c:
        s = h264_stream(c, width=w, height=h, rate=Fraction(fps), **settings)
        for k, i420 in enumerate(frames):
            vf = av.VideoFrame.from_numpy_buffer(i420, format="yuv420p")
            vf.pts = k
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return time.perf_counter() - t


def _psnr_y(frames, path: Path) -> float:
    """Mean PSNR [dB] of the luma of ``path``'s frames against the composed ``frames``."""
    import av
    import numpy as np

    h = frames[0].shape[0] * 2 // 3
    values = []
    with av.open(str(path)) as c:
        for k, f in enumerate(c.decode(video=0)):
            y = f.to_ndarray()[:h].astype(float)
            mse = float(np.mean((y - frames[k][:h]) ** 2))
            values.append(10 * np.log10(255 ** 2 / max(mse, 1e-6)))
    return float(np.mean(values))


def _ground_parts(run: Path, root: Path) -> None:
    """Time the ground stage's parts on ``run`` (writes into ``root``, not into RUN/ground)."""
    from edlcam.ground.assemble import assemble_film
    from edlcam.ground.catalog import build_catalog, open_catalog
    from edlcam.ground.report import write_report
    from edlcam.runfolder import load_run_mission
    from edlcam.ground.video import open_cameras, write_camera_mp4

    t = time.perf_counter()
    build_catalog(run)
    t_catalog = time.perf_counter() - t
    con = open_catalog(run)
    t = time.perf_counter()
    copied = 0
    try:
        for name, frames in open_cameras(run, con, load_run_mission(run)).items():
            copied += write_camera_mp4(frames, root / f"{name}.mp4").copied
    finally:
        con.close()
    t_cameras = time.perf_counter() - t
    t = time.perf_counter()
    film = assemble_film(run, out=root / "landing.mp4")
    t_film = time.perf_counter() - t
    t = time.perf_counter()
    write_report(run)
    t_report = time.perf_counter() - t
    print(f"ground stage on {run}:")
    print(f"  catalog          {t_catalog:8.1f} s")
    print(f"  per-camera MP4s  {t_cameras:8.1f} s   ({copied} copied from the received segments)")
    print(f"  film             {t_film:8.1f} s   ({film.frames} frames = {film.frames / t_film:.1f} fps)")
    print(f"  report           {t_report:8.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mission", type=Path, default=None, help="mission file (default: the shipped Mars 2020)")
    ap.add_argument("--quality", default="preview")
    ap.add_argument("--frames", type=int, default=300, help="film frames for the encode comparison")
    ap.add_argument("--at", type=float, default=None, help="centre [E+ s] of the compared frames (default: mid-film)")
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of assembly and encoding alone")
    ap.add_argument("--presets", default="", help="comma-separated libx264 presets to compare on the same frames")
    ap.add_argument("--reuse", type=Path, default=None, help="skip the demo; time the ground stage on this run folder")
    ap.add_argument("--keep", type=Path, default=None, help="keep the run folder here")
    ap.add_argument("--no-ground", action="store_true", help="with --reuse: only the encode comparison")
    ap.add_argument("--cpu", action="store_true", help="only the demo's wall and CPU per stage")
    ap.add_argument("--avx2-width", action="store_true",
                    help="with --cpu: run as an AVX2-only machine would (see the module's docstring)")
    args = ap.parse_args()
    if args.avx2_width:
        import os
        import sys

        if os.environ.get("EDLCAM_BENCH_AVX2_WIDTH") != "1":
            env = {**os.environ, **avx2_width_env(), "EDLCAM_BENCH_AVX2_WIDTH": "1"}
            os.execve(sys.executable, [sys.executable, *sys.argv], env)
    if args.cpu:
        _cpu_by_stage(args)
        return

    from edlcam.ground.assemble import FILM_FPS, assemble_film
    import edlcam
    from edlcam.ground.video import FILM_CRF, FILM_PRESET
    from edlcam.mission import load_mission

    root = Path(tempfile.mkdtemp(prefix="edlcam-bench-demo-"))
    run = args.keep or root / "run"
    try:
        if args.reuse is not None:
            run = args.reuse
            if not args.no_ground:
                _ground_parts(run, root)
        else:
            mission = load_mission(args.mission)
            t0 = time.perf_counter()
            result = edlcam.demo(run, quality=args.quality, mission=mission)
            total = time.perf_counter() - t0
            print(f"edlcam demo ({args.quality}, mission {args.mission or 'mars2020'}) on this machine:")
            for stage, s in result.stage_s.items():
                print(f"  {stage:<9} {s:8.1f} s")
            print(f"  {'total':<9} {total:8.1f} s   (goal ≤ 300 s for the full preview demo)")
            print(f"  relay window {result.relay_days:g} days, film frames home as video or better: "
                  f"{100 * result.coverage:.1f} %, requested: {result.requested}")

        film = json.loads((run / "ground" / "assembly.json").read_text())["film"]
        mid = args.at if args.at is not None else 0.5 * (film["t_start_s"] + film["t_end_s"])
        span = args.frames / FILM_FPS
        t_assemble, t_steady, t_alone, c_steady, c_alone = [], [], [], [], []
        kept: list = []
        assemble_film(run, t_start_s=mid - span / 2, t_end_s=mid + span / 2, out=root / "part.mp4",
                      frame_sink=kept.append)  # the composed frames, kept for the encoder alone
        n = len(kept)
        for r in range(args.repeat):
            stamps = []

            def tick(done, total):  # after each frame is sent to the encoder
                stamps.append((time.perf_counter(), _cpu_s()))

            t = time.perf_counter()
            assemble_film(run, t_start_s=mid - span / 2, t_end_s=mid + span / 2, out=root / "part.mp4",
                          progress=tick)
            t_assemble.append(time.perf_counter() - t)
            # steady state: first frame to last, scaled to n frames (setup — mission, catalog, FLAC — excluded)
            t_steady.append((stamps[-1][0] - stamps[0][0]) * n / max(n - 1, 1))
            c_steady.append((stamps[-1][1] - stamps[0][1]) * n / max(n - 1, 1))
            c = _cpu_s()
            t_alone.append(_encode_alone(kept, root / "alone.mp4", FILM_FPS))
            c_alone.append(_cpu_s() - c)
        a, s, e, cs, ce = (statistics.median(x) for x in (t_assemble, t_steady, t_alone, c_steady, c_alone))
        print(f"film frames E+{mid - span / 2:.1f}…{mid + span / 2:.1f} s, {n} frames 1280×720, "
              f"libx264 {FILM_PRESET} CRF {FILM_CRF}, median of {args.repeat}:")
        print(f"  assembly (catalog open, decode, compose, overlays, audio, encode): {a:.2f} s = {n / a:.1f} fps")
        print(f"  assembly steady state (setup excluded):                            {s:.2f} s = {n / s:.1f} fps, "
              f"CPU {cs:.2f} s")
        print(f"  PyAV encoding the same frames alone:                               {e:.2f} s = {n / e:.1f} fps, "
              f"CPU {ce:.2f} s")
        print(f"  assembly overhead over encoding alone: {100 * (s / e - 1):.0f} % steady state wall, "
              f"{100 * (cs / ce - 1):.0f} % steady state CPU, {100 * (a / e - 1):.0f} % wall with setup (goal ≤ 20 %)")
        print(f"  per frame: encoding {1e3 * ce / n:.2f} ms CPU, the rest of the assembly {1e3 * (cs - ce) / n:.2f} ms CPU")
        print(f"  runs (assembly / steady / alone, s): " + "; ".join(
            f"{x:.2f} / {y:.2f} / {z:.2f}" for x, y, z in zip(t_assemble, t_steady, t_alone)))
        print(f"whole film: {film['frames']} frames; at the assembly rate above ≈ {film['frames'] / (n / a):.0f} s")
        for preset in [p for p in args.presets.split(",") if p]:
            for crf in (FILM_CRF,):
                out = root / f"preset-{preset}.mp4"
                times = [_encode_alone(kept, out, FILM_FPS, preset=preset, crf=crf) for _ in range(args.repeat)]
                t = statistics.median(times)
                print(f"  {preset:<10} CRF {crf}: {n / t:6.1f} fps, {out.stat().st_size * 8 / (n / FILM_FPS) / 1e6:5.2f} "
                      f"Mbit/s, PSNR(Y) {_psnr_y(kept, out):.1f} dB")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
