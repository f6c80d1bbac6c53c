"""Frames of a run's cameras: ``frames(run_dir, camera)`` yields what each camera recorded.

A camera runs at its frame rate over its active window (event names in the mission file). Each
frame: pose the camera on its mount body, render the scene's radiance (averaging sub-frames
across the exposure when the image moves by more than a pixel: motion blur), then expose through
the sensor with the auto-exposure state carried from the previous frame. Frame ``index`` counts
the camera's native frames from the window start; ``t_s`` is the exposure start.

Preview quality renders at 1/``preview_scale`` of the resolution (half; a third for the DDC and the PUC insets; a quarter for the LCAM)
through the renderer's cheap path (no MSAA, no log depth, one shadow tap, per-vertex haze), with
coarser terrain rings, a coarser canopy, 20-face small boulders and thinned dust, and keeps every
``preview_rate_divisor``-th frame (PUC A 75 → 10.7 fps, PUC B and C, the film's insets, 5.4 fps,
the others 30 → 10 fps), so that the whole preview schedule renders in ≈ 2.5 minutes on two cores
(benchmarks/RESULTS.md).
``frames(..., workers=K)`` renders ahead in K processes with the same bytes as in one: previews
on the multiprocessing pool (:mod:`edlcam.cameras.pool`), full quality on a dask.distributed
LocalCluster of K workers, or on an existing cluster given by ``scheduler`` (:mod:`edlcam.cameras.dask_render`).

Noise is seeded by (mission seed, camera, frame index), so a frame's pixels do not depend on where
an iteration started; the auto-exposure, which has memory, settles on the first frame yielded.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

import numpy as np

from edlcam.cameras.camera import Camera, ExposureState, metered_signal, next_exposure, sensor_image, settle_exposure
from edlcam import runfolder
from edlcam.cameras.scene import SceneBuilder, ViewCone
from edlcam.errors import RenderError
from edlcam.runfolder import CaptureRate

__all__ = ["Frame", "FilmRun", "frames", "camera_window", "open_run", "render_backend", "Quality", "Backend"]

log = logging.getLogger(__name__)

Quality = Literal["preview", "full"]
Backend = Literal["auto", "pool", "dask"]
# Previews: the finest terrain ring spans 1.5–3 footprints (not 3–6) with half the texels per
# vertex spacing — the same texels per pixel at a quarter of the heightmap work, which dominated
# the sky-crane frames as the rings follow the height (measured: 3.7 s of 4.2 s for 21 DDC frames).
PREVIEW_RING_COVERAGE = 1.5
# Full quality: the finest ring spans 3 footprints, but 0.75 for a fish-eye (the LCAM), whose
# footprint is sized on the edge midpoints (45°, h out on flat ground): the texels under the
# frame's centre are a quarter of 3 footprints' (64 → 16 m at 8 km, 16 → 4 m at 2.5 km against
# LCAM pixels of 12 and 3.8 m), so the terrain's 10–50 m relief (craters, the delta's remnants)
# reaches the pixels: at 1.5 footprints the spectrum of the central crop fell 1.4–1.6× too steeply
# against the real frames at 5.1–2.5 km, at 0.75 1.1–1.2× (benchmarks/RESULTS.md, "The terrain's
# mid-scale structure"), for ≈ 22 % more render CPU a full-quality LCAM frame. The outer part of
# the frame falls on coarser rings, where a pixel already spans 2.2–5× its nadir footprint.
FULL_RING_COVERAGE, FISHEYE_RING_COVERAGE = 3.0, 0.75
PREVIEW_DUST_THINNING = 8  # previews blend an eighth of the dust sprites, each more opaque (measured: 4 → 8 took a DDC frame of the flyaway from 481 to 122 ms on the AVX2 EPYC, the same to the eye)


@dataclass(frozen=True)
class Frame:
    """One recorded frame: camera name, native frame index, exposure start [s after EI], uint8 image."""

    camera: str
    index: int
    t_s: float
    image: np.ndarray  # (H, W, 3) uint8 colour, or (H, W) uint8 mono
    exposure_s: float = 0.0
    gain: float = 1.0


def camera_window(cfg, events: dict[str, float], *, name: str = "?") -> tuple[float, float]:
    """The camera's active window (t_start_s, t_end_s) from its start/end events and offsets."""
    for field in ("start_event", "end_event"):
        ev = getattr(cfg, field)
        if ev not in events:
            known = ", ".join(sorted(events))
            raise RenderError(
                f"[cameras.views.{name}] {field} is {ev!r}, which is not an event of this flight; use one of: {known}"
            )
    return events[cfg.start_event] + cfg.start_offset_s, events[cfg.end_event] + cfg.end_offset_s


class FilmRun:
    """A run folder opened for filming: mission, events, body tracks, terrain, Sun, renderer.

    ``terrain``, ``models`` and ``sun_enu`` default to the project's modules; tests may pass doubles.
    """

    def __init__(self, run_dir: str | Path, *, terrain=None, models=None, sun_enu=None, mission=None, renderers=None):
        self.run_dir = Path(run_dir)
        terrain_given, models_given, sun_given, mission_given = terrain, models, sun_enu, mission
        if mission is None:
            mission = runfolder.load_run_mission(self.run_dir)
        self.mission = mission
        self.tracks = runfolder.read_bodies(self.run_dir)
        self.events = runfolder.read_events(self.run_dir).times()
        if terrain is None:
            from edlcam.mars.terrain import Terrain

            terrain = Terrain.from_mission(mission)
        if models is None:
            from edlcam.cameras import models as models_mod

            models = models_mod
        if sun_enu is None:
            sun_enu = _mission_sun(mission)
        self.terrain = terrain
        cc = mission.cameras
        self.builder = SceneBuilder(
            self.tracks, terrain=terrain, models=models, sun_enu=sun_enu, seed=mission.mission.seed,
            events=self.events, dust_particles_count=cc.dust_particles, dust_height_m=cc.dust_height_m,
        )
        # ``renderers``: a dict (quality → Renderer) kept by the caller and shared by the runs it opens
        # over the same terrain: one GL context, its compiled shaders and its terrain rings (a ring is
        # the same whichever run asks; the Monte Carlo of edlcam.gnc opens a run per case).
        self._renderers: dict[str, object] = {} if renderers is None else renderers
        self._cams: dict[tuple, tuple] = {}
        from edlcam.cameras.pool import FilmSpec

        # What a render worker needs to open this same run (the seams as given; None = default).
        self.spec = FilmSpec(str(self.run_dir), type(self), terrain=None if terrain_given is None else terrain,
                             models=models_given, sun_enu=sun_given, mission=mission_given)

    # ---------------------------------------------------------------------------------- cameras

    @property
    def camera_names(self) -> tuple[str, ...]:
        return tuple(self.mission.cameras.views)

    def camera(self, name: str) -> Camera:
        """The named camera, or RenderError listing the known ones."""
        views = self.mission.cameras.views
        if name not in views:
            raise RenderError(f"unknown camera {name!r}; the mission's cameras are: {', '.join(views)}")
        cam = self._cams.get(name)
        if cam is None or cam.config is not views[name]:
            cam = self._cams[name] = Camera(name, views[name])
        return cam

    def window(self, name: str) -> tuple[float, float]:
        """Active window of the named camera [s], clipped to the flight's time range."""
        t0, t1 = camera_window(self.camera(name).config, self.events, name=name)
        f0, f1 = self.tracks.t_range_s
        return max(t0, f0), min(t1, f1)

    def check_time(self, t_s: float) -> None:
        """RenderError unless ``t_s`` lies within the flight."""
        f0, f1 = self.tracks.t_range_s
        if not (f0 <= t_s <= f1):
            raise RenderError(
                f"--t {t_s:g} s is outside the flight in {self.run_dir} ({f0:g} … {f1:g} s after entry); give a time in that range"
            )

    def camera_pose(self, cam: Camera, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Camera centre in ENU [m] and rotation camera→ENU at ``t_s``."""
        body = self.tracks.pose(cam.config.mount, t_s)
        if body is None:
            raise RenderError(
                f"camera {cam.name} is mounted on the {cam.config.mount}, which does not exist at t = {t_s:g} s; "
                "choose a time when it flies"
            )
        position = body.position_m + body.R @ np.asarray(cam.config.position_m, float)
        return position, body.R @ cam.R_body_cam

    # ---------------------------------------------------------------------------------- render

    def _renderer(self, quality: str):
        if quality not in self._renderers:
            from edlcam.cameras.renderer import Renderer

            cc = self.mission.cameras
            self._renderers[quality] = Renderer(
                terrain=self.terrain, msaa_samples=cc.msaa_samples if quality == "full" else 0,
                shadow_map_px=cc.shadow_map_px if quality == "full" else cc.shadow_map_px // 2,
                haze_distance_m=cc.haze_distance_m, preview=quality == "preview",
            )
        return self._renderers[quality]

    def _render_camera(self, cam: Camera, quality: str):
        # Cached per camera and quality: a Camera caches its distortion maps (undistortPoints
        # over every pixel, ≈ 10 ms for the LCAM), which a fresh copy per frame would redo.
        key = (cam.name, quality, id(cam.config))
        hit = self._cams.get(key)
        if hit is None or hit[0] is not cam.config:
            hit = self._cams[key] = (cam.config, cam.scaled(cam.config.preview_scale) if quality == "preview" else cam)
        return hit[1]

    def radiance(self, cam: Camera, t_s: float, *, quality: str = "preview", exposure_s: float = 0.0):
        """Linear radiance (H, W, 3) seen by ``cam`` (already scaled) over an exposure starting at ``t_s``.

        Sub-frames at evenly spaced times in the exposure are averaged when the camera's motion
        would move the image by more than a pixel (motion blur).
        """
        n = self._blur_subframes(cam, t_s, exposure_s)
        times = [t_s + (k + 0.5) / n * exposure_s for k in range(n)] if n > 1 else [t_s]
        acc = None
        stats = None
        for t in times:
            img, stats = self._render_once(cam, t, quality)
            acc = img if acc is None else acc + img
        return acc / len(times), stats

    def _blur_subframes(self, cam: Camera, t_s: float, exposure_s: float) -> int:
        if exposure_s <= 0.0 or cam.config.max_blur_subframes <= 1:
            return 1
        p0, r0 = self.camera_pose(cam, t_s)
        t1 = min(t_s + exposure_s, self.tracks.t_range_s[1])
        p1, r1 = self.camera_pose(cam, t1)
        angle = np.arccos(np.clip((np.trace(r0.T @ r1) - 1.0) / 2.0, -1.0, 1.0))
        # Image motion: rotation sweeps f·angle pixels; translation moves the ground f·|Δp|/h —
        # for a camera that sees the ground. One looking above the horizon (PUCs, RUC) films the
        # sky and hardware riding with it, which translation hardly moves across the image.
        f = max(cam.focal_px)
        motion_px = f * angle
        if _sees_ground(_corner_rays(cam, r0)):
            height = max(p0[2] - float(self.terrain.surface_up_m(p0[0], p0[1])), 1.0)
            motion_px += f * np.linalg.norm(p1 - p0) / height
        return int(np.clip(np.ceil(motion_px), 1, cam.config.max_blur_subframes))

    def _full_ring_coverage(self, cam: Camera) -> float:
        """The finest ring's coverage at full quality. A fish-eye rendered at a fraction of its
        native width (the LVS images: ``[lvs] image_px``) has pixels that much larger, so its ring
        widens by the same factor: the texels per pixel stay those of the native frame."""
        if not cam.fisheye:
            return FULL_RING_COVERAGE
        return FISHEYE_RING_COVERAGE * max(self.camera(cam.name).width_px / cam.width_px, 1.0)

    def _render_once(self, cam: Camera, t_s: float, quality: str):
        cc = self.mission.cameras
        position, R = self.camera_pose(cam, t_s)
        samples = cc.terrain_samples if quality == "full" else cc.preview_terrain_samples
        fx, fy = cam.focal_px
        half_diag = _half_diagonal_rad(cam)
        ground = float(self.terrain.surface_up_m(position[0], position[1]))
        pixel_m = max(position[2] - ground, 0.1) / fx
        world = _corner_rays(cam, R)
        sees_ground = _sees_ground(world)
        # A fish-eye's corners reach 63.6° but see the ground there coarsely: its finest ring is
        # sized on the edge midpoints' angle (3 footprints of it reach 72° on flat ground), not
        # the corners', which would double the ring and halve the texels under the centre.
        ring_half = np.radians(max(cam.config.hfov_deg, cam.config.vfov_deg) / 2.0) if cam.fisheye else half_diag
        state = self.builder.state(
            t_s, position, footprint_half_angle_rad=ring_half, ring_samples=samples, rock_pixel_m=pixel_m,
            max_rocks=cc.max_rocks if quality == "full" else cc.preview_max_rocks,
            view=ViewCone(position, R[:, 2], half_diag), rock_box_en_m=_ground_box(position, world, ground),
            ground=sees_ground, dust_thinning=1 if quality == "full" else PREVIEW_DUST_THINNING, coarse=quality != "full",
            ring_coverage=self._full_ring_coverage(cam) if quality == "full" else PREVIEW_RING_COVERAGE,
        )
        cull = _ground_box(position, world, ground, scale=2.0, margin_m=20.0)
        if cull is not None and state.rings:
            # Rings whose hole holds all the ground in view (a camera looking down from low) add
            # only vertex work: leave them out. The box is twice the flat-ground footprint plus
            # 20 m, for relief and the lens's distortion.
            from dataclasses import replace

            state = replace(state, rings=[r for r in state.rings if not _hole_holds(r, cull)])
        w, h, (cx, cy), ox, oy = _canvas(cam)
        image, stats = self._renderer(quality).render(
            state, size=(w, h), intrinsics=(fx, fy, cx + ox, cy + oy), position_m=position, R_world_cam=R
        )
        if cam.distortion_maps is not None:
            image = cam.distort(image, offset_px=(ox, oy))
        return image, stats

    def still(self, name: str, t_s: float, *, quality: str = "preview") -> np.ndarray:
        """One uint8 image of the named camera at ``t_s`` with a settled auto-exposure."""
        self.check_time(t_s)
        cam = self.camera(name)
        rcam = self._render_camera(cam, quality)
        first, _ = self.radiance(rcam, t_s, quality=quality)
        state = settle_exposure(first, rcam.config)
        radiance, _ = self.radiance(rcam, t_s, quality=quality, exposure_s=state.exposure_s)
        return sensor_image(radiance, state, rcam.config, _frame_rng(self.mission.mission.seed, name, 0, t_s))

    def frame_plan(self, name: str, *, quality: Quality = "preview", t_start_s: float | None = None,
                   t_end_s: float | None = None, rate: CaptureRate | None = None) -> tuple[int, list[tuple[int, float]]]:
        """(step, [(sensor frame index, exposure start t_s), ...]) of the frames ``frames`` yields.

        ``rate``: the camera's capture rate (default :func:`edlcam.runfolder.capture_rates` of the
        run's mission at ``quality``); the sensor runs at ``rate.sensor_hz`` and every
        ``rate.keep_every``-th frame is kept.
        """
        if quality not in ("preview", "full"):
            raise RenderError(f"quality is {quality!r}; use 'preview' or 'full'")
        cam = self.camera(name)
        if rate is None:
            rate = runfolder.capture_rates(self.mission, quality)[name]
        w0, w1 = camera_window(cam.config, self.events, name=name)
        f0, f1 = self.tracks.t_range_s
        lo = max(w0, f0, t_start_s if t_start_s is not None else -np.inf)
        hi = min(w1, f1, t_end_s if t_end_s is not None else np.inf)
        fps, step = rate.sensor_hz, rate.keep_every
        first = int(np.ceil((lo - w0) * fps - 1e-9))
        first = int(np.ceil(first / step) * step)
        plan = []
        index = first
        while w0 + index / fps <= hi + 1e-9:
            plan.append((index, float(w0 + index / fps)))
            index += step
        return step, plan

    def render_chunk(self, name: str, quality: str, plan: list[tuple[int, float]]) -> list[tuple[int, float, np.ndarray]]:
        """Unblurred radiance of each planned frame: the part of a frame that needs no AE state."""
        rcam = self._render_camera(self.camera(name), quality)
        return [(index, t, self.radiance(rcam, t, quality=quality)[0]) for index, t in plan]

    def expose_chunk(self, name: str, quality: str, step: int, rendered: list, state: ExposureState | None,
                     mosaic: bool = False):
        """Frames of a rendered chunk through blur, sensor and AE, in order; and the AE state after it.

        ``state`` None settles the auto-exposure on the chunk's first frame (a window's first).
        ``mosaic``: a colour camera's frames as its RGGB mosaic (:func:`edlcam.cameras.camera.sensor_image`).
        """
        rcam = self._render_camera(self.camera(name), quality)
        cfg = rcam.config
        seed = self.mission.mission.seed
        out = []
        for index, t, probe in rendered:
            if state is None:
                state = settle_exposure(probe, cfg)
            n = self._blur_subframes(rcam, t, state.exposure_s)
            radiance = probe if n == 1 else self.radiance(rcam, t, quality=quality, exposure_s=state.exposure_s)[0]
            image = sensor_image(radiance, state, cfg, _frame_rng(seed, name, index, t), mosaic=mosaic)
            out.append(Frame(name, index, float(t), image, state.exposure_s, state.gain))
            # The AE reads this frame and sets the next one's exposure (one frame of latency, as in hardware).
            state = next_exposure(state, metered_signal(radiance, state, cfg), cfg, speed=min(1.0, cfg.ae_speed * step))
        return out, state

    def frames(self, name: str, *, quality: Quality = "preview", t_start_s: float | None = None,
               t_end_s: float | None = None, rate: CaptureRate | None = None, workers: int = 0,
               scheduler: str | None = None, backend: Backend = "auto", mosaic: bool = False) -> Iterator[Frame]:
        """Frames of the named camera over its window (or the part within [t_start_s, t_end_s]).

        ``rate``: the capture rate to record at (see :meth:`frame_plan`). ``workers`` > 0 renders
        ahead in that many processes, ``scheduler`` on the Dask cluster there; :func:`render_backend`
        says which backend. The frames are byte-identical to those rendered here (``workers=0``).
        ``mosaic``: a colour camera's images as its 8-bit RGGB mosaic (H, W), as the camera delivers them.
        """
        step, plan = self.frame_plan(name, quality=quality, t_start_s=t_start_s, t_end_s=t_end_s, rate=rate)
        chosen = render_backend(quality, workers, scheduler, backend)
        if chosen == "dask":
            from edlcam.cameras.dask_render import get_dask

            yield from get_dask(scheduler, workers).iterate(self.spec, name, quality, step, plan, mosaic=mosaic)
            return
        if chosen == "pool":
            from edlcam.cameras.pool import get_pool

            yield from get_pool(self.spec, workers).iterate(name, quality, step, plan, mosaic=mosaic)
            return
        state: ExposureState | None = None
        for item in plan:
            frames, state = self.expose_chunk(name, quality, step, self.render_chunk(name, quality, [item]), state,
                                              mosaic)
            yield frames[0]


def render_backend(quality: str, workers: int, scheduler: str | None = None, backend: str = "auto") -> str:
    """Where frames render: "here" (this process), "pool" (multiprocessing) or "dask".

    ``scheduler`` given: "dask" (that cluster). ``workers`` 0: "here". Otherwise ``backend``
    "auto" picks "dask" for full quality, which scales out to a cluster and whose per-task cost
    is lost in a full frame's 0.2–1 s, and "pool" for previews, whose 20–100 ms frames the tuned
    pool interleaves frame by frame with the AE chain (benchmarks/RESULTS.md, rendering).
    """
    if backend not in ("auto", "pool", "dask"):
        raise RenderError(f"render backend is {backend!r}; use 'auto', 'pool' or 'dask'")
    if workers < 0:
        raise RenderError(f"workers is {workers}; give 0 (render in this process) or a positive number of processes")
    if scheduler:
        if backend == "pool":
            raise RenderError(f"--scheduler {scheduler} needs the Dask backend; the multiprocessing pool is local")
        return "dask"
    if workers == 0:
        return "here"
    if backend == "auto":
        return "dask" if quality == "full" else "pool"
    return backend


def _frame_rng(seed: int, camera: str, index: int, t_s: float) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(camera.encode()), index])


def _corner_rays(cam: Camera, R_world_cam: np.ndarray) -> np.ndarray:
    """(4, 3) world directions (not unit) through the image corners (through the lens: a fish-eye's reach further)."""
    if not cam.fisheye:
        fx, fy = cam.focal_px
        corners = np.array([[-1, -1], [1, -1], [-1, 1], [1, 1]], float)
        rays = np.column_stack([corners[:, 0] * cam.width_px / (2 * fx), corners[:, 1] * cam.height_px / (2 * fy), np.ones(4)])
        return rays @ R_world_cam.T
    w, h = cam.width_px, cam.height_px
    corners = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [-0.5, h - 0.5], [w - 0.5, h - 0.5]])
    return cam.pixel_rays(corners) @ R_world_cam.T


def _half_diagonal_rad(cam: Camera) -> float:
    """Angle [rad] between the axis and the image corners' rays."""
    rays = _corner_rays(cam, np.eye(3))
    return float(np.max(np.arccos(rays[:, 2] / np.linalg.norm(rays, axis=1))))


def _sees_ground(corner_rays: np.ndarray) -> bool:
    """False when the whole view lies above 2° elevation: the camera cannot see the ground below it."""
    return bool(np.min(corner_rays[:, 2] / np.linalg.norm(corner_rays, axis=1)) <= np.sin(np.radians(2.0)))


def _hole_holds(ring, box: tuple[float, float, float, float]) -> bool:
    """True when the ring's hole (its inner ring) covers the whole (east, north) box."""
    if ring.hole_en_m is None:
        return False
    e0, e1, n0, n1 = ring.hole_en_m
    return e0 <= box[0] and box[1] <= e1 and n0 <= box[2] and box[3] <= n1


def _ground_box(position_m: np.ndarray, corner_rays: np.ndarray, ground_up_m: float,
                margin_m: float = 5.0, scale: float = 1.2) -> tuple[float, float, float, float] | None:
    """(east_min, east_max, north_min, north_max) [m] of the ground the image corners' rays reach.

    None when a corner ray misses the ground (an oblique view: the rocks then fill the finest
    ring). The margin covers the largest boulders standing half outside.
    """
    down = -corner_rays[:, 2]
    if np.any(down <= 1e-3):
        return None
    height = max(position_m[2] - ground_up_m, 0.1)
    # scale > 1: a distorted lens's canvas reaches past the pinhole corners, and slopes shift the hits.
    hits = position_m[:2] + scale * corner_rays[:, :2] * (height / down)[:, None]
    return (float(hits[:, 0].min() - margin_m), float(hits[:, 0].max() + margin_m),
            float(hits[:, 1].min() - margin_m), float(hits[:, 1].max() + margin_m))


def _canvas(cam: Camera) -> tuple[int, int, tuple[float, float], float, float]:
    """Render size and offset: a distorted camera needs a pinhole render reaching its corners' sources."""
    cx, cy = cam.principal_point_px
    if cam.distortion_maps is None:
        return cam.width_px, cam.height_px, (cx, cy), 0.0, 0.0
    mx, my = cam.distortion_maps
    ox = float(np.ceil(max(0.0, -mx.min(), mx.max() - (cam.width_px - 1)))) + 1.0
    oy = float(np.ceil(max(0.0, -my.min(), my.max() - (cam.height_px - 1)))) + 1.0
    return int(cam.width_px + 2 * ox), int(cam.height_px + 2 * oy), (cx, cy), ox, oy


def _mission_sun(mission):
    """The Sun's ENU direction at t_s after entry, from edlcam.mars.sun (Mars24 algorithm).

    Evaluated once per whole second: the Sun moves 0.004°/s in the sky, far below a pixel.
    """
    from datetime import datetime, timedelta
    from functools import lru_cache

    from edlcam.mars.sun import sun_position

    entry = datetime.fromisoformat(mission.entry.utc)  # ISO 8601 with Z (Python ≥ 3.11)
    lat, lon = mission.target.latitude_deg, mission.target.longitude_deg

    @lru_cache(maxsize=2048)
    def at_second(t_whole_s: int) -> np.ndarray:
        return sun_position(entry + timedelta(seconds=t_whole_s), lat, lon).direction_enu

    return lambda t_s: at_second(int(round(t_s)))


def open_run(run_dir: str | Path, **kw) -> FilmRun:
    """Open a run folder for filming (see :class:`FilmRun`)."""
    return FilmRun(run_dir, **kw)


_SHARED_RUNS: dict[tuple, FilmRun] = {}


def _shared_run(run_dir: str | Path) -> FilmRun:
    """One opened run per folder and file versions: ``film`` calls ``frames`` once per camera."""
    run = Path(run_dir).resolve()
    stamp = []
    for rel in (runfolder.MISSION, runfolder.BODIES, runfolder.EVENTS):
        try:
            st = (run / rel).stat()
            stamp.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            stamp.append(None)
    key = (str(run), tuple(stamp))
    if key not in _SHARED_RUNS:
        _SHARED_RUNS.clear()  # keep one: a run holds its terrain and renderers
        _SHARED_RUNS[key] = open_run(run_dir)
    return _SHARED_RUNS[key]


def frames(run_dir: str | Path, camera: str, *, quality: Quality = "preview", t_start_s: float | None = None,
           t_end_s: float | None = None, rate: CaptureRate | None = None, workers: int | None = None,
           scheduler: str | None = None, backend: Backend = "auto", mosaic: bool = False) -> Iterator[Frame]:
    """Frames of one camera of a run, in time order: ``Frame(camera, index, t_s, image)``.

    ``quality`` "preview" renders at 1/``preview_scale`` of the resolution and keeps every
    ``preview_rate_divisor``-th frame; "full" renders every frame at the camera's rate. ``rate``
    (what ``edlcam film`` records at) defaults to :func:`edlcam.runfolder.capture_rates` of the
    run's mission, which honours ``[onboard.capture.<camera>] fps``.
    ``workers`` render processes (default: the mission's ``[cameras] workers``; 0 renders here):
    previews on the multiprocessing pool, full quality on a Dask LocalCluster of that many
    workers. ``scheduler`` ("tcp://HOST:PORT") renders on that Dask cluster instead; ``backend``
    overrides the choice ("pool" or "dask"; see :func:`render_backend`). ``mosaic``: a colour camera's
    images as its 8-bit RGGB mosaic (H, W), as it delivers them to the onboard store.
    Byte-identical for a mission and seed, whatever the backend and number of workers.
    """
    film = _shared_run(run_dir)
    k = film.mission.cameras.workers if workers is None else int(workers)
    yield from film.frames(camera, quality=quality, t_start_s=t_start_s, t_end_s=t_end_s, rate=rate, workers=k,
                           scheduler=scheduler, backend=backend, mosaic=mosaic)
