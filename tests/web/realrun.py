"""A real run folder for the viewer's browser test: every stage the real one, on a cheap mission.

:func:`build_real_run` calls :func:`edlcam.demo` — the real ``simulate`` of the
Mars 2020 mission, the real cameras and microphone (no frame or audio fakes), ``film``, the relay,
``assemble`` and the report — on the default mission with tiny camera frames at low frame rates
(:func:`tiny_mission`). What stays full size is what the viewer shows as the product: the 1280×720
``ground/landing.mp4`` the assembler composes, and the flight itself.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CAMERA_FPS", "FRAME_SIZE_PX", "RELAY_DAYS", "build_real_run", "tiny_mission"]

FRAME_SIZE_PX = (128, 96)  # every camera's sensor, rendered at this size (preview_scale 1); thumbnails 16×12
# Low but distinct rates: PUCs 1 fps, RDC and the descent/rover cameras 2 fps, LCAM 1 fps.
CAMERA_FPS = {"puc_a": 1.0, "puc_b": 1.0, "puc_c": 1.0, "rdc": 2.0, "lcam": 1.0, "ddc": 2.0, "ruc": 2.0}
RELAY_DAYS = 4.0  # the demo's default window: the thumbnails and the film's frames come home


def tiny_mission():
    """The default mission (real flight, terrain, microphone, link) with 128×96 cameras at 1–2 fps."""
    from edlcam.mission import load_mission

    m = load_mission()
    width, height = FRAME_SIZE_PX
    views = {}
    for name, v in m.cameras.views.items():
        fps = CAMERA_FPS[name]
        views[name] = v.model_copy(update={
            "width_px": width, "height_px": height, "fps": fps, "preview_rate_divisor": 1, "preview_scale": 1,
            "max_exposure_s": min(v.max_exposure_s, 0.5 / fps)})  # fmt: skip
    cameras = m.cameras.model_copy(update={"views": views})
    return m.model_copy(update={"cameras": cameras})


def build_real_run(out: Path, *, days: float = RELAY_DAYS):
    """Run every stage into ``out``; returns the demo's :class:`~edlcam.stages.DemoResult`."""
    import edlcam

    return edlcam.demo(out, mission=tiny_mission(), days=days)


if __name__ == "__main__":  # build one by hand: python tests/web/realrun.py OUT
    import sys
    import time

    t = time.perf_counter()
    r = build_real_run(Path(sys.argv[1]))
    print({k: round(v, 1) for k, v in r.stage_s.items()}, f"total {time.perf_counter() - t:.1f} s",
          f"relay {r.relay_days} d, coverage {r.coverage:.3f}, requested {r.requested}")
