"""Rendering speed per camera: frames/s at preview and native resolution against the real-time rate.

Usage: python benchmarks/render.py RUN [--frames N]
RUN is a run folder from `edlcam simulate`. Each camera renders N frames from the middle of its
window; the figure is wall-clock frames per second of ``FilmRun.frames`` (render + sensor), the
triangle count is that of the last frame. "x real time" = frames/s ÷ the rate kept at that quality
(preview keeps fps / preview_rate_divisor).
"""

from __future__ import annotations

import argparse
import time

from edlcam.cameras.frames import open_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--frames", type=int, default=6)
    args = ap.parse_args()
    film = open_run(args.run)
    print(f"{'camera':8} {'quality':8} {'size':>10} {'triangles':>10} {'fps':>7} {'needed':>7} {'x real time':>11}")
    total = {"preview": [0.0, 0.0], "full": [0.0, 0.0]}
    for name in film.camera_names:
        cam = film.camera(name)
        w0, w1 = film.window(name)
        for quality in ("preview", "full"):
            step = cam.config.preview_rate_divisor if quality == "preview" else 1
            rate = cam.config.fps / step
            t0 = 0.5 * (w0 + w1)
            span = (args.frames - 0.5) / rate
            it = film.frames(name, quality=quality, t_start_s=t0, t_end_s=min(t0 + span, w1))
            next(it)  # first frame pays for terrain rings and the auto-exposure probe
            start = time.perf_counter()
            n = sum(1 for _ in it)
            dt = time.perf_counter() - start
            fps = n / dt if dt > 0 else float("nan")
            rcam = film._render_camera(cam, quality)
            _, stats = film.radiance(rcam, t0, quality=quality)
            print(f"{name:8} {quality:8} {rcam.width_px:>4}×{rcam.height_px:<5} {stats.triangles:>10,} {fps:7.1f} {rate:7.1f} {fps / rate:11.2f}")
            total[quality][0] += rate  # frames needed per simulated second, all cameras together
            total[quality][1] += rate / fps
    for quality, (needed, seconds) in total.items():
        print(f"all cameras, {quality}: {needed:.0f} frames per flight second take {seconds:.2f} s -> {1.0 / seconds:.2f}x real time")


if __name__ == "__main__":
    main()
