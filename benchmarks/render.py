"""Rendering speed: frames/s per camera against its real-time rate, and the whole preview schedule.

Usage:
  python benchmarks/render.py RUN [--frames N]          per camera, preview and native resolution
  python benchmarks/render.py RUN --cpu [--frames N]    CPU per preview frame, and the preview schedule's render CPU
  python benchmarks/render.py RUN --schedule [--workers K ...] [--quality preview|full] [--from T0 --to T1]
                                  [--backend auto|pool|dask] [--scheduler ADDR]

RUN is a run folder from `edlcam simulate`. Per camera: N frames from the middle of its window
through ``FilmRun.frames`` in this process (render + sensor); the figure is wall-clock frames
per second, the triangle count that of a frame there. "x real time" = frames/s ÷ the rate kept
at that quality (preview keeps fps / preview_rate_divisor).

``--schedule`` renders every camera's whole window (or the slice ``--from``/``--to``) the way
``edlcam film`` pulls them: the descent-stage DSU's cameras merged by frame time, then the
rover's, each through ``edlcam.cameras.frames(..., workers=K)``; it prints the frames, the wall
time and the real-time factor = flight seconds filmed ÷ wall seconds, for each K in ``--workers``
in the same run, then the speed-up of each K over the first. The backend is the one ``frames``
picks (full quality: Dask; previews: the process pool) unless ``--backend`` says otherwise.
For Dask, starting the LocalCluster and opening the run on every worker is timed apart (it is
paid once per ``edlcam film``) and the workers' CPU-seconds are read on the workers; for the
pool, its start is in the wall time.
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


def _worker_cpu_s(client) -> float:
    """CPU-seconds used so far by the Dask worker processes (all their threads)."""
    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    return sum(client.run(cpu).values())


def schedule(run: str, workers: int, quality: str, t_from: float | None = None, t_to: float | None = None,
             backend: str = "auto", scheduler: str | None = None, raster_threads: int | None = None) -> dict:
    from edlcam.cameras.frames import render_backend

    film = open_run(run)
    groups: dict[str, list[str]] = {"descent_stage": [], "rover": []}
    planned = {}
    for name in film.camera_names:
        groups[DSU_OF_MOUNT.get(film.camera(name).config.mount, "descent_stage")].append(name)
        planned[name] = len(film.frame_plan(name, quality=quality, t_start_s=t_from, t_end_s=t_to)[1])
    t_lo = max(min(film.window(n)[0] for n in film.camera_names), t_from if t_from is not None else -1e9)
    t_hi = min(max(film.window(n)[1] for n in film.camera_names), t_to if t_to is not None else 1e9)
    chosen = render_backend(quality, workers, scheduler, backend)
    dask = None
    start_s = 0.0
    cpu0 = 0.0
    if chosen == "dask":
        from edlcam.cameras.dask_render import get_dask

        start = time.perf_counter()
        dask = get_dask(scheduler, workers, raster_threads=raster_threads)
        dask.open_run(film.spec)
        start_s = time.perf_counter() - start
        cpu0 = _worker_cpu_s(dask.client)
        workers = workers if not scheduler else dask.threads
    stream = None
    if dask is not None:
        from distributed import get_task_stream

        stream = get_task_stream(dask.client)  # what each worker did when: its idle time is the backend's loss
        stream.__enter__()
    start = time.perf_counter()
    here0 = resource.getrusage(resource.RUSAGE_SELF)
    counts = {n: 0 for n in film.camera_names}
    busy = {n: 0.0 for n in film.camera_names}
    for unit in ("descent_stage", "rover"):
        streams = [((f.t_s, f.camera, f) for f in frames(run, n, quality=quality, workers=workers, t_start_s=t_from,
                                                         t_end_s=t_to, backend=backend, scheduler=scheduler))
                   for n in groups[unit]]
        for _, name, _frame in heapq.merge(*streams, key=lambda x: (x[0], x[1])):
            counts[name] += 1
            busy[name] = time.perf_counter() - start
            if sum(counts.values()) % 500 == 0:
                print(f"  … {sum(counts.values())} frames, {busy[name]:.0f} s, {name} at E+{_:.1f} s", flush=True)
    wall = time.perf_counter() - start
    here1 = resource.getrusage(resource.RUSAGE_SELF)
    here_cpu = here1.ru_utime + here1.ru_stime - here0.ru_utime - here0.ru_stime
    if dask is not None:
        stream.__exit__(None, None, None)
        cpu = f"workers' CPU {_worker_cpu_s(dask.client) - cpu0:.0f} s, this process (client, scheduler) {here_cpu:.0f} s"
        computing: dict[str, float] = {}
        moving: dict[str, float] = {}
        for rec in stream.data:
            for ss in rec["startstops"]:
                into = computing if ss["action"] == "compute" else moving if ss["action"] == "transfer" else None
                if into is not None:
                    into[rec["worker"]] = into.get(rec["worker"], 0.0) + ss["stop"] - ss["start"]
        cpu += "; workers computing " + ", ".join(f"{v / wall:.0%}" for v in computing.values()) + " of the wall"
        cpu += ", fetching radiance " + ", ".join(f"{v / wall:.0%}" for v in moving.values())
        dask.close()
    else:
        from edlcam.cameras.pool import shutdown_pools

        shutdown_pools()
        workers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (f"workers' CPU {workers_cpu.ru_utime + workers_cpu.ru_stime:.0f} s (cumulative in this process), "
               f"this process {here_cpu:.0f} s")
    for name in film.camera_names:
        print(f"  {name:6} {counts[name]:6d} frames (planned {planned[name]})")
    total = sum(counts.values())
    started = f" (+ {start_s:.1f} s to start the cluster and open the run on its workers)" if dask is not None else ""
    print(f"schedule, {quality}, {chosen}, workers={workers}: {total} frames of E+{t_lo:.1f}…{t_hi:.1f} s "
          f"({t_hi - t_lo:.1f} s of flight) in {wall:.1f} s wall{started} = {total / wall:.2f} frames/s, "
          f"{(t_hi - t_lo) / wall:.4f}x real time; {cpu}", flush=True)
    return {"workers": workers, "wall_s": wall, "frames": total, "backend": chosen}


def cpu_estimate(run: str, n_frames: int) -> float:
    """CPU-seconds per preview frame of each camera (one process, one llvmpipe thread: load-independent),
    over ``n_frames`` after a warm-up at four places of its window (1/8, 3/8, 5/8, 7/8: a camera's cost
    changes along it, the DDC's fourfold with the dust of the flyaway); × the frames the
    preview schedule plans = the schedule's render CPU. Set LP_NUM_THREADS=1 before the first render."""
    film = open_run(run)
    total = 0.0
    for name in film.camera_names:
        cam = film.camera(name)
        w0, w1 = film.window(name)
        step, plan = film.frame_plan(name, quality="preview")
        rate = cam.config.fps / step
        spent, count = 0.0, 0
        for frac in (0.125, 0.375, 0.625, 0.875):
            t0 = w0 + frac * (w1 - w0)
            it = film.frames(name, quality="preview", t_start_s=t0, t_end_s=min(t0 + (n_frames + 0.5) / rate, w1), workers=0)
            next(it)  # rings, caches and the first exposure
            c0 = _cpu_s()
            count += sum(1 for _ in it)
            spent += _cpu_s() - c0
        per = spent / max(count, 1)
        total += per * len(plan)
        print(f"{name:6} {per * 1000:7.1f} ms CPU a frame × {len(plan):5d} frames = {per * len(plan):6.1f} s", flush=True)
    print(f"preview schedule: {total:.1f} s of render CPU (one raster thread a frame)")
    return total


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--schedule", action="store_true")
    ap.add_argument("--workers", type=int, nargs="+", default=[2])
    ap.add_argument("--quality", default="preview", choices=("preview", "full"))
    ap.add_argument("--from", dest="t_from", type=float, help="schedule from this time [s after entry]")
    ap.add_argument("--to", dest="t_to", type=float, help="schedule to this time [s after entry]")
    ap.add_argument("--backend", default="auto", choices=("auto", "pool", "dask"),
                    help="auto: Dask for full quality, the process pool for previews")
    ap.add_argument("--scheduler", help="a Dask scheduler's tcp://HOST:PORT (instead of a LocalCluster)")
    ap.add_argument("--raster-threads", type=int, default=None,
                    help="llvmpipe threads per local Dask worker (default: the cores shared out); 1 measures "
                         "scale-out with one core per worker")
    ap.add_argument("--cpu", action="store_true",
                    help="CPU per preview frame of each camera (one raster thread) and the whole schedule's estimate")
    args = ap.parse_args()
    if args.cpu:
        import os

        os.environ["LP_NUM_THREADS"] = "1"
        cpu_estimate(args.run, args.frames)
    elif args.schedule:
        runs = [schedule(args.run, k, args.quality, args.t_from, args.t_to, args.backend, args.scheduler,
                         args.raster_threads)
                for k in args.workers]
        base = runs[0]
        for r in runs[1:]:
            print(f"speed-up {base['backend']} workers {base['workers']} -> {r['workers']}: "
                  f"{base['wall_s'] / r['wall_s']:.2f}x (same frames: {r['frames'] == base['frames']})")
    else:
        per_camera(args.run, args.frames)


if __name__ == "__main__":
    main()
