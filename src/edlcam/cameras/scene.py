"""What a camera sees at a time: posed bodies, terrain rings, rocks, dust, the Sun — as plain arrays.

No OpenGL here: :class:`SceneBuilder` turns the flight's body table, the terrain and the hardware
meshes into a :class:`SceneState` that :mod:`edlcam.cameras.renderer` draws. Poses between the
flight's output steps are interpolated (position linearly, attitude by quaternion slerp —
Shoemake 1985, "Animating rotation with quaternion curves", SIGGRAPH) through scipy.

Terrain level of detail: nested square rings ("geometry clipmaps", Losasso & Hoppe 2004, SIGGRAPH)
around the nadir, each twice the size of the one inside it, all with the same number of vertices,
so ground detail follows the altitude from 11 km down to the last metre. Ring centres snap to the
lattice of the next coarser ring, so a ring's data is reused from frame to frame and the inner
ring's edge falls on the outer ring's grid lines (no cracks after stitching its odd edge vertices).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from edlcam.runfolder import BodyPose, BodyTracks  # the run folder's one pose interpolation

__all__ = [
    "BodyPose",
    "BodyTracks",
    "TerrainRing",
    "ViewCone",
    "SceneObject",
    "SceneState",
    "SceneBuilder",
    "terrain_ring_plan",
    "dust_particles",
    "dust_sources_m",
    "MARS_RADIUS_M",
]

log = logging.getLogger(__name__)

MARS_RADIUS_M = 3396.19e3  # MOLA reference radius (Smith et al. 2001), for the horizon distance
# est.: the height at which the plumes of a 0.3-throttle sky crane lift a fully opaque cloud
# (dust_particles); ≈ 9–10 m, the stage's height at touchdown, × √(1/0.3)
BROWNOUT_REFERENCE_HEIGHT_M = 17.0
BROWNOUT_PUFF_OPACITY = 1.0  # est.: a fresh puff's peak opacity at full strength
BODY_NAMES = ("heatshield", "backshell", "parachute", "descent_stage", "rover")


@dataclass(frozen=True)
class TerrainRing:
    """One square terrain ring: centre (east, north) [m], side [m], vertices per side, the child's hole."""

    center_en_m: tuple[float, float]
    size_m: float
    samples: int
    hole_en_m: tuple[float, float, float, float] | None  # (east_min, east_max, north_min, north_max)

    @property
    def spacing_m(self) -> float:
        return self.size_m / (self.samples - 1)


def terrain_ring_plan(
    camera_en_m: tuple[float, float],
    height_m: float,
    *,
    footprint_half_angle_rad: float,
    samples: int,
    min_size_m: float = 16.0,
    horizon_margin_m: float = 20_000.0,
    coverage: float = 3.0,
) -> list[TerrainRing]:
    """Nested rings (finest first) covering the view from ``height_m`` above the ground to the horizon.

    The finest ring spans ``coverage``× the nadir footprint ``2 h tan(half angle)`` (rounded up to
    a power of two metres); rings double until one reaches past the horizon distance
    sqrt(2 R h) plus a margin.
    """
    if (samples - 1) % 4:
        raise ValueError(f"terrain samples {samples} must be 4k+1 so ring edges fall on grid lines")
    h = max(height_m, 0.5)
    footprint = 2.0 * h * np.tan(min(footprint_half_angle_rad, np.radians(80.0)))
    s0 = 2.0 ** np.ceil(np.log2(max(coverage * footprint, min_size_m)))
    reach = np.sqrt(2.0 * MARS_RADIUS_M * h + h * h) + horizon_margin_m
    sizes = [s0]
    while sizes[-1] / 2.0 < reach:
        sizes.append(sizes[-1] * 2.0)
    rings: list[TerrainRing] = []
    for i, size in enumerate(sizes):
        spacing = size / (samples - 1)
        # On the next coarser ring's lattice (2 spacings) so edges meet; 4 spacings, a multiple of
        # it, halves how often a ring moves (its heights and textures are rebuilt when it does).
        snap = 4.0 * spacing
        ce = float(np.round(camera_en_m[0] / snap) * snap)
        cn = float(np.round(camera_en_m[1] / snap) * snap)
        hole = None
        if i > 0:
            inner = rings[-1]
            half = inner.size_m / 2.0
            hole = (inner.center_en_m[0] - half, inner.center_en_m[0] + half, inner.center_en_m[1] - half, inner.center_en_m[1] + half)
        rings.append(TerrainRing((ce, cn), float(size), samples, hole))
    return rings


@dataclass(frozen=True)
class ViewCone:
    """A camera's view for culling: centre [m] (ENU), unit optical axis, half-angle to the image corner [rad]."""

    position_m: np.ndarray
    axis: np.ndarray
    half_angle_rad: float

    def sees(self, centre_m: np.ndarray, radius_m: float) -> bool:
        """True when a sphere (ENU centre [m], radius [m]) reaches into the cone."""
        d = np.asarray(centre_m, float) - self.position_m
        dist = float(np.linalg.norm(d))
        if dist <= radius_m:
            return True
        off_axis = np.arccos(np.clip(d @ self.axis / dist, -1.0, 1.0))
        return bool(off_axis - np.arcsin(radius_m / dist) < self.half_angle_rad)


@dataclass(frozen=True)
class SceneObject:
    """A mesh to draw with rotation ``R`` (mesh frame → ENU) and translation ``t`` [m] (ENU)."""

    key: str
    mesh: Any
    R: np.ndarray
    t: np.ndarray
    static: bool = True  # the mesh is the same every frame (its GPU buffers may be cached)


@dataclass(frozen=True)
class SceneState:
    """Everything drawn in one frame, in ENU."""

    t_s: float
    sun_enu: np.ndarray
    objects: list[SceneObject]
    rings: list[TerrainRing]
    ground_up_m: float  # terrain height below the camera [m]
    rocks: dict[str, np.ndarray] | None = None
    dust: dict[str, np.ndarray] | None = None
    shadow_center_m: np.ndarray | None = None
    shadow_radius_m: float = 40.0
    extras: dict[str, Any] = field(default_factory=dict)


def dust_sources_m(stage_position_m, height_m: float, ground_up_m: float) -> np.ndarray:
    """(5,3) ENU points [m] where the descent stage's plumes lift dust, for :func:`dust_particles`.

    The engines are canted outward, so their plumes hit the ground ≈ 1.5 m + h·tan 25° out from
    the stage's centre under its four engine pairs (est.); the fifth point, under the stage, is
    the fountain where the four plumes' wall jets meet and turn up (multi-jet ground effect, est.),
    which puts dust under the rover as in the real DDC film.
    """
    e, n = float(stage_position_m[0]), float(stage_position_m[1])
    spread = 1.5 + height_m * np.tan(np.radians(25.0))
    ang = np.radians(np.arange(4) * 90.0 + 45.0)
    corners = np.stack([e + spread * np.cos(ang), n + spread * np.sin(ang), np.full(4, ground_up_m)], -1)
    return np.vstack([corners, [e, n, ground_up_m]])


def dust_particles(
    nozzle_points_m: np.ndarray,
    throttle: float,
    height_m: float,
    t_s: float,
    *,
    seed: int,
    count: int,
    height_limit_m: float,
    ground_up_m: float,
    thinning: int = 1,
) -> dict[str, np.ndarray] | None:
    """Dust thrown up by the engines' plumes where they hit the ground (seeded, smooth in time).

    Est. model (no published one fits a renderer): puffs are born at a steady rate at the plume
    impingement points, fly out radially with exponentially decaying speed (10–35 m/s, τ = 0.7 s),
    rise 0.3–3 m and grow over a 2.5 s life. Their opacity follows the plumes' pressure on the
    ground, throttle × (h_ref/h)² (a conical plume spreads its thrust over an area ∝ h²; capped at
    1), faded by (1 − h/h_limit) toward the height where lifting starts (est.: √(1 − h/h_limit) was
    fitted while the renderer let each puff hide the ones drawn after it; with the dust drawn whole,
    it took 38 % of the ground's contrast at 18 m, where lifting has just begun). h_ref =
    BROWNOUT_REFERENCE_HEIGHT_M makes the sky crane's last seconds (≈ 0.3 throttle, the stage
    ≈ 9–10 m up with the rover on the ground) a brown-out: the dust that hides the ground at the
    end of the real DDC and RUC films (NASA/JPL, 2021-02-22). A particle's random draws depend
    only on (seed, birth slot), so frames at any times agree with each other.

    ``thinning`` k > 1 (previews) keeps every k-th birth slot, each puff k times as opaque
    (1 − (1 − α)^k), so the cloud's cover stays while llvmpipe blends a k-th of the sprites.
    """
    if height_m >= height_limit_m or throttle <= 0.0 or count <= 0 or len(nozzle_points_m) == 0:
        return None
    life_s, tau_s = 2.5, 0.7
    rate = count / life_s  # births per second
    slot_dt = 1.0 / rate
    k_last = int(np.floor(t_s / slot_dt))
    slots = np.arange(k_last - count + 1, k_last + 1)
    if thinning > 1:
        slots = slots[slots % thinning == 0]
    age = t_s - slots * slot_dt
    rng_table = np.random.default_rng(seed).random((8192, 6))
    r = rng_table[np.mod(slots * 2654435761, 8192)]  # Knuth multiplicative hash spreads slots over the table
    src = nozzle_points_m[np.mod(slots, len(nozzle_points_m))]
    az = 2.0 * np.pi * r[:, 0]
    v0 = 10.0 + 25.0 * r[:, 1]
    dist = 0.5 + v0 * tau_s * (1.0 - np.exp(-age / tau_s))
    rise = (0.3 + 2.7 * r[:, 2] ** 2) * (1.0 - np.exp(-age / 0.9))
    pos = np.stack([src[:, 0] + dist * np.cos(az), src[:, 1] + dist * np.sin(az), ground_up_m + rise + 0.2], axis=-1)
    size = 0.4 + 1.6 * r[:, 3] + 1.2 * age
    pressure = float(np.clip(throttle, 0.0, 1.0)) * (BROWNOUT_REFERENCE_HEIGHT_M / max(height_m, 0.5)) ** 2
    strength = min(pressure, 1.0) * (1.0 - height_m / height_limit_m)
    alpha = strength * BROWNOUT_PUFF_OPACITY * (1.0 - age / life_s) * (0.5 + 0.5 * r[:, 4])
    if thinning > 1:
        alpha = 1.0 - (1.0 - alpha) ** thinning
    shade = 0.85 + 0.3 * r[:, 5]
    return {"position_m": pos, "size_m": size, "alpha": alpha, "shade": shade}


def _as_list(meshes) -> list:
    return list(meshes) if isinstance(meshes, (list, tuple)) else [meshes]


class SceneBuilder:
    """Builds :class:`SceneState` at any time from body tracks, a terrain, hardware meshes and the Sun.

    ``models`` is the hardware-mesh provider (:mod:`edlcam.cameras.models`), ``terrain`` an
    :class:`edlcam.mars.terrain.Terrain`, ``sun_enu(t_s)`` the Sun's unit vector in ENU. Tests
    substitute their own providers through these seams.
    """

    def __init__(
        self,
        tracks: BodyTracks,
        *,
        terrain,
        models,
        sun_enu: Callable[[float], np.ndarray],
        seed: int,
        events: dict[str, float] | None = None,
        dust_particles_count: int = 4000,
        dust_height_m: float = 20.0,
    ):
        self.tracks = tracks
        self.terrain = terrain
        self.models = models
        self.sun_enu = sun_enu
        self.seed = seed
        self.events = events or {}
        self.dust_count = dust_particles_count
        self.dust_height_m = dust_height_m
        self._static: dict[str, Any] = {}
        self._sphere_cache: dict[str, list[tuple[np.ndarray, float]]] = {}
        self._chute_cache: dict[tuple[float, float], Any] = {}
        self._rock_cache: dict[tuple, dict[str, np.ndarray] | None] = {}

    def _static_mesh(self, key: str, make: Callable[[], Any]):
        if key not in self._static:
            self._static[key] = make()
        return self._static[key]

    def _bridles_attached(self, t_s: float) -> bool:
        cut = self.events.get("bridle_cut", self.events.get("touchdown"))
        return cut is None or t_s < cut

    def _inside_aeroshell(self, t_s: float) -> bool:
        sep = self.events.get("backshell_separation")
        return sep is not None and t_s < sep

    def _spheres(self, key: str, make: Callable[[], list]) -> list[tuple[np.ndarray, float]]:
        """Bounding spheres (centres in the body frame [m], radius [m]) over a body's mesh variants.

        One sphere per eighth of the body's height: the parachute's lines and riser reach 30 m
        down to the backshell, and a single sphere round it all would hold every camera there.
        """
        if key not in self._sphere_cache:
            pts = np.concatenate([m.positions_m for m in make() if m.vertex_count]).astype(float)
            edges = np.linspace(pts[:, 2].min(), pts[:, 2].max(), 9)
            slab = np.clip(np.searchsorted(edges, pts[:, 2], side="right") - 1, 0, 7)
            spheres = []
            for k in range(8):
                p = pts[slab == k]
                if len(p):
                    lo, hi = p.min(axis=0), p.max(axis=0)
                    spheres.append((0.5 * (lo + hi), 0.5 * float(np.linalg.norm(hi - lo)) + 1.0))  # + flutter, breathing
            self._sphere_cache[key] = spheres
        return self._sphere_cache[key]

    def _visible(self, view, key: str, make, pose: BodyPose) -> bool:
        if view is None:
            return True
        return any(view.sees(pose.position_m + pose.R @ c, r) for c, r in self._spheres(key, make))

    def _parachute(self, inflation: float, t_s: float, coarse: bool):
        # The three PUCs film the same canopy at the same instants: build each shape once.
        key = (inflation, t_s, coarse)
        mesh = self._chute_cache.get(key)
        if mesh is None:
            kw = {"coarse": True} if coarse else {}
            mesh = self.models.parachute_mesh(inflation, t_s=t_s, **kw)
            self._chute_cache[key] = mesh
            while len(self._chute_cache) > 32:
                self._chute_cache.pop(next(iter(self._chute_cache)))
        return mesh

    def objects(self, t_s: float, poses: dict[str, BodyPose], view: ViewCone | None = None, *,
                coarse: bool = False) -> list[SceneObject]:
        """The posed hardware meshes at ``t_s``; with a ``view``, the parachute and plumes only where seen.

        ``coarse`` asks for the parachute's preview mesh (a third of the triangles).

        Until backshell separation the descent stage and the rover sit inside the aeroshell, where
        no camera looks at them (their own cameras still fly with them), so they are not drawn:
        their boxy meshes would poke through the backshell's cone.
        """
        m = self.models
        objs: list[SceneObject] = []
        stowed = self._inside_aeroshell(t_s)
        for name, pose in poses.items():
            if name == "heatshield":
                objs.append(SceneObject("heatshield", self._static_mesh("heatshield", m.heatshield_mesh), pose.R, pose.position_m))
            elif name == "backshell":
                objs.append(SceneObject("backshell", self._static_mesh("backshell", m.backshell_mesh), pose.R, pose.position_m))
            elif name == "parachute":
                if not self._visible(view, "parachute", lambda: [m.parachute_mesh(0.0), m.parachute_mesh(1.0)], pose):
                    continue
                inflation = float(np.clip(pose.aux, 0.0, 1.0))
                objs.append(SceneObject("parachute", self._parachute(inflation, t_s, coarse), pose.R, pose.position_m,
                                        static=False))
            elif name == "descent_stage" and not stowed:
                objs.append(SceneObject("descent_stage", self._static_mesh("descent_stage", m.descent_stage_mesh), pose.R, pose.position_m))
                throttle = float(np.clip(pose.aux, 0.0, 1.0))
                if throttle > 0.0 and self._visible(view, "plumes", lambda: _as_list(m.plume_meshes(1.0)), pose):
                    for i, pm in enumerate(_as_list(m.plume_meshes(throttle, t_s=t_s))):
                        objs.append(SceneObject(f"plume{i}", pm, pose.R, pose.position_m, static=False))
            elif name == "rover" and not stowed:
                deployed = pose.aux > 0.0 or t_s >= self.events.get("touchdown", np.inf)
                key = f"rover_{'deployed' if deployed else 'stowed'}"
                mesh = self._static_mesh(key, lambda d=deployed: m.rover_mesh(wheels_deployed=d))
                objs.append(SceneObject(key, mesh, pose.R, pose.position_m))
        ds, rover = poses.get("descent_stage"), poses.get("rover")
        if ds is not None and rover is not None and rover.aux > 0.05 and self._bridles_attached(t_s):
            top = np.asarray(m.BRIDLE_TOP_POINTS_M, float) @ ds.R.T + ds.position_m
            bottom = np.asarray(m.BRIDLE_BOTTOM_POINTS_M, float) @ rover.R.T + rover.position_m
            objs.append(SceneObject("bridles", m.bridles_mesh(top, bottom), np.eye(3), np.zeros(3), static=False))
        return objs

    def state(
        self,
        t_s: float,
        camera_position_m: np.ndarray,
        *,
        footprint_half_angle_rad: float,
        ring_samples: int,
        rock_pixel_m: float | None = None,
        max_rocks: int = 40_000,
        view: ViewCone | None = None,
        rock_box_en_m: tuple[float, float, float, float] | None = None,
        ground: bool = True,
        dust_thinning: int = 1,
        coarse: bool = False,
        ring_coverage: float = 3.0,
    ) -> SceneState:
        """The scene at ``t_s`` as seen from ``camera_position_m`` (ENU).

        ``view`` culls the parachute and the plumes outside the camera's cone (they are rebuilt
        every frame); ``rock_box_en_m`` (east_min, east_max, north_min, north_max) [m] limits the
        boulders to the part of the finest ring the camera sees; ``ground=False`` leaves out the
        terrain and rocks (a camera looking above the horizon); ``dust_thinning`` see
        :func:`dust_particles`; ``coarse`` the preview meshes (see :meth:`objects`);
        ``ring_coverage`` the finest terrain ring's size in nadir footprints.
        """
        poses = self.tracks.poses(t_s)
        objs = self.objects(t_s, poses, view, coarse=coarse)
        ce, cn = float(camera_position_m[0]), float(camera_position_m[1])
        ground_up = float(self.terrain.surface_up_m(ce, cn))
        height = float(camera_position_m[2]) - ground_up
        rings: list[TerrainRing] = []
        rocks = None
        if ground:
            rings = terrain_ring_plan((ce, cn), height, footprint_half_angle_rad=footprint_half_angle_rad, samples=ring_samples,
                                      coverage=ring_coverage)
            if rock_pixel_m is not None and max_rocks > 0:
                rocks = self._rocks(rings[0], rock_pixel_m, max_rocks, rock_box_en_m)
        dust = None
        ds = poses.get("descent_stage")
        if ds is not None and ds.aux > 0.0:
            ds_ground = float(self.terrain.surface_up_m(ds.position_m[0], ds.position_m[1]))
            ds_height = ds.position_m[2] - ds_ground
            if ds_height < self.dust_height_m:
                dust = dust_particles(
                    dust_sources_m(ds.position_m, ds_height, ds_ground), ds.aux, ds_height, t_s, seed=self.seed, count=self.dust_count,
                    height_limit_m=self.dust_height_m, ground_up_m=ds_ground, thinning=dust_thinning,
                )
        shadow_center = camera_position_m
        return SceneState(
            t_s=t_s,
            sun_enu=np.asarray(self.sun_enu(t_s), float),
            objects=objs,
            rings=rings,
            ground_up_m=ground_up,
            rocks=rocks,
            dust=dust,
            shadow_center_m=np.asarray(shadow_center, float),
            shadow_radius_m=45.0,
        )

    def _rocks(self, ring: TerrainRing, pixel_m: float, max_rocks: int,
               box_en_m: tuple[float, float, float, float] | None = None) -> dict[str, np.ndarray] | None:
        """Boulders of the finest ring (or of ``box_en_m`` within it) at least ~2 pixels across at nadir.

        Smaller ones are the texture's job. The size limit is rounded down to a step of √2 and the
        box out to 1/16 of the ring, so consecutive frames share one query (cached).
        """
        min_d = max(2.0 * pixel_m, 0.05)
        if min_d > 5.0:
            return None
        min_d = float(2.0 ** (np.floor(2.0 * np.log2(min_d)) / 2.0))
        half = ring.size_m / 2.0
        ce, cn = ring.center_en_m
        e0, e1, n0, n1 = ce - half, ce + half, cn - half, cn + half
        if box_en_m is not None:
            q = ring.size_m / 16.0
            e0 = max(e0, np.floor(box_en_m[0] / q) * q)
            e1 = min(e1, np.ceil(box_en_m[1] / q) * q)
            n0 = max(n0, np.floor(box_en_m[2] / q) * q)
            n1 = min(n1, np.ceil(box_en_m[3] / q) * q)
            if e1 <= e0 or n1 <= n0:
                return None
        key = (float(e0), float(e1), float(n0), float(n1), min_d, max_rocks)
        if key in self._rock_cache:
            return self._rock_cache[key]
        while True:
            try:
                r = self.terrain.rocks(east_min_m=e0, east_max_m=e1, north_min_m=n0, north_max_m=n1, min_diameter_m=min_d)
                break
            except ValueError:  # the box would hold too many rocks: keep only larger ones
                min_d *= 2.0
                if min_d > 5.0:
                    r = None
                    break
        out = None
        if r is not None and len(r["east_m"]):
            if len(r["east_m"]) > max_rocks:
                keep = np.argsort(-np.asarray(r["diameter_m"]), kind="stable")[:max_rocks]
                r = {k: np.asarray(v)[keep] for k, v in r.items()}
            out = {k: np.asarray(v, float) for k, v in r.items()}
        self._rock_cache[key] = out
        while len(self._rock_cache) > 8:
            self._rock_cache.pop(next(iter(self._rock_cache)))
        return out
