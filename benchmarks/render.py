"""Rendering speed: frames/s per camera against its real-time rate, and the whole preview schedule.

Usage:
  python benchmarks/render.py RUN [--frames N]          per camera, preview and native resolution
  python benchmarks/render.py RUN --schedule [--workers K ...] [--quality preview|full] [--from T0 --to T1]

RUN is a run folder from `edlcam simulate`. Per camera: N frames from the middle of its window
through ``FilmRun.frames`` in this process (render + sensor); the figure is wall-clock frames
per second, the triangle count that of a frame there. "x real time" = frames/s ÷ the rate kept
at that quality (preview keeps fps / preview_rate_divisor).

``--schedule`` renders every camera's whole window the way ``edlcam film`` pulls them: the
descent-stage DSU's cameras merged by frame time, then the rover's, each through
``edlcam.cameras.frames(..., workers=K)``; it prints the frames, the wall time (pool start
included) and the real-time factor = flight seconds filmed ÷ wall seconds.
"""

from __future__ import annotations

import argparse
import heapq
import resource
import time

from edlcam.cameras.frames import frames, open_run

DSU_OF_MOUNT = {"rover": "rover"}  # every other mount records to the descent-stage DSU (onboard schedule)


def per_camera(run: str, n_frames: int) -> None:
    film = open_run(run)
    print(f"{'camera':8} {'quality':8} {'size':>10} {'triangles':>10} {'fps':>7} {'needed':>7} {'x real time':>11}")
    total = {"preview": [0.0, 0.0], "full": [0.0, 0.0]}
    for name in film.camera_names:
        cam = film.camera(name)
        w0, w1 = film.window(name)
        for quality in ("preview", "full"):
            step = cam.config.preview_rate_divisor if quality == "preview" else 1
            rate = cam.config.fps / step
            t0 = 0.5 * (w0 + w1)
            span = (n_frames - 0.5) / rate
            it = film.frames(name, quality=quality, t_start_s=t0, t_end_s=min(t0 + span, w1))
            next(it)  # the first frame pays for terrain rings and the auto-exposure probe
            start = time.perf_counter()
            n = sum(1 for _ in it)
            dt = time.perf_counter() - start
            fps = n / dt if dt > 0 else float("nan")
            rcam = film._render_camera(cam, quality)
            _, stats = film.radiance(rcam, t0, quality=quality)
            print(f"{name:8} {quality:8} {rcam.width_px:>4}×{rcam.height_px:<5} {stats.triangles:>10,} {fps:7.1f} "
                  f"{rate:7.1f} {fps / rate:11.2f}", flush=True)
            total[quality][0] += rate  # frames needed per flight second, all cameras together
            total[quality][1] += rate / fps
    for quality, (needed, seconds) in total.items():
        print(f"all cameras, {quality}, one process: {needed:.0f} frames per flight second take {seconds:.2f} s "
              f"-> {1.0 / seconds:.3f}x real time")


def schedule(run: str, workers: int, quality: str, t_from: float | None = None, t_to: float | None = None) -> None:
    film = open_run(run)
    groups: dict[str, list[str]] = {"descent_stage": [], "rover": []}
    planned = {}
    for name in film.camera_names:
        groups[DSU_OF_MOUNT.get(film.camera(name).config.mount, "descent_stage")].append(name)
        planned[name] = len(film.frame_plan(name, quality=quality, t_start_s=t_from, t_end_s=t_to)[1])
    t_lo = max(min(film.window(n)[0] for n in film.camera_names), t_from if t_from is not None else -1e9)
    t_hi = min(max(film.window(n)[1] for n in film.camera_names), t_to if t_to is not None else 1e9)
    start = time.perf_counter()
    counts = {n: 0 for n in film.camera_names}
    busy = {n: 0.0 for n in film.camera_names}
    for unit in ("descent_stage", "rover"):
        streams = [((f.t_s, f.camera, f) for f in frames(run, n, quality=quality, workers=workers, t_start_s=t_from,
                                                         t_end_s=t_to)) for n in groups[unit]]
        for _, name, _frame in heapq.merge(*streams, key=lambda x: (x[0], x[1])):
            counts[name] += 1
            busy[name] = time.perf_counter() - start
            if sum(counts.values()) % 500 == 0:
                print(f"  … {sum(counts.values())} frames, {busy[name]:.0f} s, {name} at E+{_:.1f} s", flush=True)
    wall = time.perf_counter() - start
    from edlcam.cameras.pool import shutdown_pools

    shutdown_pools()
    workers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    for name in film.camera_names:
        print(f"  {name:6} {counts[name]:6d} frames (planned {planned[name]})")
    total = sum(counts.values())
    print(f"schedule, {quality}, workers={workers}: {total} frames of E+{t_lo:.1f}…{t_hi:.1f} s "
          f"({t_hi - t_lo:.1f} s of flight) in {wall:.1f} s wall = {total / wall:.1f} frames/s, "
          f"{(t_hi - t_lo) / wall:.3f}x real time; workers' CPU {workers_cpu.ru_utime + workers_cpu.ru_stime:.0f} s "
          f"(cumulative in this process)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--schedule", action="store_true")
    ap.add_argument("--workers", type=int, nargs="+", default=[2])
    ap.add_argument("--quality", default="preview", choices=("preview", "full"))
    ap.add_argument("--from", dest="t_from", type=float, help="schedule from this time [s after entry]")
    ap.add_argument("--to", dest="t_to", type=float, help="schedule to this time [s after entry]")
    args = ap.parse_args()
    if args.schedule:
        for k in args.workers:
            schedule(args.run, k, args.quality, args.t_from, args.t_to)
    else:
        per_camera(args.run, args.frames)


if __name__ == "__main__":
    main()
