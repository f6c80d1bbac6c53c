"""The descent stage (sky crane), its eight engine plumes, and the bridles that lower the rover.

Frame (docs/run-folder.md): origin at the centre of the descent stage's underside, +z up its
thrust axis, +x forward. The rover hangs below it on three bridles and an umbilical paid out
from the bridle-umbilical device (BUD) at the centre of the underside.

Layout after NASA/JPL's descriptions and photographs of the Mars 2020 (and MSL) descent stage:
eight Mars Lander Engines in four canted pairs at the corners, three spherical propellant tanks
and two pressurant spheres, the Terminal Descent Sensor's six radar antennas on one side, the
BUD underneath; gold blankets and grey beams on the underside the rover's up-look camera films.
The engines are the eight throttleable Mars Lander Engines (≈ 3.1 kN each, est.; REFERENCE.md),
their cant the mission's [powered_descent] engine_cant_deg; the rover hangs on three bridles
≈ 7.6 m long (NASA/DLR, REFERENCE.md). Sizes are estimates (≈ 3 m across), noted "est." below.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from edlcam.cameras.models.mesh import Mesh, box, lathe, rotation_about, rotation_from_z, sphere, strut, struts

__all__ = [
    "BRIDLE_TOP_POINTS_M",
    "ENGINE_MOUNT_POINTS_M",
    "engine_exhaust_directions",
    "engine_exit_points_m",
    "descent_stage_mesh",
    "plume_meshes",
    "bridles_mesh",
]

DECK_HALF_WIDTH_M = 0.85  # est.: central octagonal deck, 1.7 m across the flats
DECK_HEIGHT_M = 0.35  # est.
POD_CENTRE_M = 1.2  # est.: engine pods at (±1.2, ±1.2): ≈ 3 m across the pods
NOZZLE_LENGTH_M = 0.32  # est.: MLE (Aerojet MR-80B class) nozzle
NOZZLE_EXIT_RADIUS_M = 0.11  # est.
ENGINE_SPACING_M = 0.32  # est.: the two engines of a pair
BUD_RADIUS_M = 0.22  # est.
_POD_SIZE_M = (0.55, 0.55, 0.30)  # est.

_STRUCTURE = np.array([0.05, 0.05, 0.055])  # black anodised / painted structure
_GOLD = np.array([0.55, 0.36, 0.09])  # gold-coloured multilayer insulation
_TANK = np.array([0.42, 0.42, 0.44])  # titanium tanks
_NOZZLE = np.array([0.20, 0.19, 0.18])  # niobium/steel nozzle, heat-darkened
_WHITE = np.array([0.7, 0.7, 0.68])
_BEAM = np.array([0.30, 0.30, 0.31])  # bare aluminium beams under the deck (est.)
_BRIDLE = np.array([0.78, 0.76, 0.70])  # nylon straps, light
_UMBILICAL = np.array([0.10, 0.10, 0.11])  # umbilical cable, darker

# Bridle attachment on the BUD: three points 0.12 m around the centre, just below the underside.
BRIDLE_TOP_POINTS_M = np.array(
    [[0.12 * np.cos(a), 0.12 * np.sin(a), -0.06] for a in np.radians([0.0, 120.0, 240.0])]
)
BRIDLE_TOP_POINTS_M.flags.writeable = False


def _default_cant_deg() -> float:
    from edlcam.config.flight import PoweredDescentConfig

    return float(PoweredDescentConfig.model_fields["engine_cant_deg"].default)


def _engine_layout() -> tuple[np.ndarray, np.ndarray]:
    """Mount points (8,3) [m] and outward radial unit vectors (8,3) of the engines."""
    mounts, radial = [], []
    for corner in range(4):
        a = np.radians(45.0 + 90.0 * corner)
        rad = np.array([np.cos(a), np.sin(a), 0.0])
        tangent = np.array([-np.sin(a), np.cos(a), 0.0])
        centre = np.array([POD_CENTRE_M * np.sqrt(2) * np.cos(a), POD_CENTRE_M * np.sqrt(2) * np.sin(a), -0.02])
        for side in (-0.5, 0.5):
            mounts.append(centre + side * ENGINE_SPACING_M * tangent)
            radial.append(rad)
    return np.array(mounts), np.array(radial)


ENGINE_MOUNT_POINTS_M, _ENGINE_RADIAL = _engine_layout()
ENGINE_MOUNT_POINTS_M.flags.writeable = False


def engine_exhaust_directions(cant_deg: float | None = None) -> np.ndarray:
    """(8,3) unit vectors along which the engines exhaust: down (−z), canted outward by ``cant_deg``."""
    c = np.radians(_default_cant_deg() if cant_deg is None else cant_deg)
    return -np.cos(c) * np.array([0.0, 0.0, 1.0]) + np.sin(c) * _ENGINE_RADIAL


def engine_exit_points_m(cant_deg: float | None = None) -> np.ndarray:
    """(8,3) centres of the nozzle exit planes [m] in the descent-stage frame."""
    return ENGINE_MOUNT_POINTS_M + NOZZLE_LENGTH_M * engine_exhaust_directions(cant_deg)


def _octagon_prism(half_width_m: float, z0: float, z1: float, color) -> Mesh:
    """A regular octagonal prism (flats at ±half_width_m on x and y)."""
    r = half_width_m / np.cos(np.pi / 8)
    prof = np.array([[0.0, z0], [r, z0], [r, z1], [0.0, z1]])
    return lathe(prof, n_around=8, color=color, smooth=False, phi_start_rad=np.pi / 8)


@lru_cache(maxsize=4)
def descent_stage_mesh(*, cant_deg: float | None = None) -> Mesh:
    """The descent stage: dark structure with gold insulation, tanks, 4 canted engine pairs, radar, BUD.

    About 3 m across the engine pods; ≈ 3 700 triangles.
    """
    parts = [
        _octagon_prism(DECK_HALF_WIDTH_M, 0.0, DECK_HEIGHT_M, _STRUCTURE),
        _octagon_prism(DECK_HALF_WIDTH_M - 0.04, DECK_HEIGHT_M, DECK_HEIGHT_M + 0.03, _GOLD),
    ]
    # propellant tanks (3) and pressurant spheres (2) on the deck
    for a in np.radians([90.0, 210.0, 330.0]):
        c = np.array([0.5 * np.cos(a), 0.5 * np.sin(a), DECK_HEIGHT_M + 0.45])
        parts.append(sphere(0.40, c, color=_TANK, n_lat=10, n_around=18))
        parts.append(strut([c[0], c[1], DECK_HEIGHT_M + 0.03], c - [0, 0, 0.30], 0.24, color=_STRUCTURE, n_sides=12))
    for a in np.radians([30.0, 150.0]):
        c = np.array([0.72 * np.cos(a), 0.72 * np.sin(a), DECK_HEIGHT_M + 0.20])
        parts.append(sphere(0.18, c, color=_GOLD, n_lat=8, n_around=14))
    # four engine pods on truss arms, each with two canted Mars Lander Engines
    directions = engine_exhaust_directions(cant_deg)
    for corner in range(4):
        a = np.radians(45.0 + 90.0 * corner)
        rad = np.array([np.cos(a), np.sin(a), 0.0])
        pod = np.array([POD_CENTRE_M * np.sqrt(2) * np.cos(a), POD_CENTRE_M * np.sqrt(2) * np.sin(a), 0.15])
        parts.append(box(_POD_SIZE_M, pod, color=_GOLD, rotation=rotation_about([0, 0, 1], a)))
        root = 0.75 * DECK_HALF_WIDTH_M * rad
        for dz in (0.05, 0.28):
            arm_end = pod - 0.2 * rad + [0, 0, dz - 0.1]
            parts.append(strut(root + [0, 0, dz], arm_end, 0.035, color=_STRUCTURE, n_sides=6))
    for mount, d in zip(ENGINE_MOUNT_POINTS_M, directions):
        top = mount - 0.12 * d
        parts.append(strut(top, mount, 0.06, color=_NOZZLE, n_sides=10))  # chamber
        bell = lathe([[0.035, 0.0], [0.07, 0.10], [0.10, 0.22], [NOZZLE_EXIT_RADIUS_M, NOZZLE_LENGTH_M]],
                     n_around=14, color=_NOZZLE)
        inner = lathe([[NOZZLE_EXIT_RADIUS_M - 0.008, NOZZLE_LENGTH_M], [0.06, 0.10], [0.03, 0.0]],
                      n_around=14, color=np.array([0.02, 0.02, 0.02]))
        parts.append(Mesh.merge([bell, inner]).transformed(rotation_from_z(d), mount))
    # Terminal Descent Sensor: six radar antennas on a bracket on the −y side, looking down/outward
    bracket = np.array([0.0, -DECK_HALF_WIDTH_M - 0.18, 0.12])
    parts.append(box((0.9, 0.3, 0.2), bracket, color=_STRUCTURE))
    for ax, tilt in [(-0.3, 0), (0.0, 0), (0.3, 0), (-0.2, 1), (0.2, 1), (0.0, 2)]:  # beams fan out (est.)
        look = np.array([1.2 * ax, -0.4 * tilt - 0.1, -1.0])
        p0 = bracket + [ax, 0.0, -0.10]
        parts.append(strut(p0, p0 + 0.08 * look / np.linalg.norm(look), 0.09, color=_WHITE, n_sides=12))
    # Underside, as the rover's up-look camera sees it: gold insulation blankets between four
    # grey beams that run from the BUD to the engine-pod arms (est. from the NASA/JPL RUC frames)
    for k in range(4):
        a = np.radians(45.0 + 90.0 * k)
        rot = rotation_about([0, 0, 1], a)
        beam_mid = rot @ np.array([0.5 * DECK_HALF_WIDTH_M, 0.0, -0.03])
        parts.append(box((DECK_HALF_WIDTH_M, 0.08, 0.06), beam_mid, color=_BEAM, rotation=rot))
        b = np.radians(90.0 * k)
        blanket_mid = np.array([0.5 * DECK_HALF_WIDTH_M * np.cos(b), 0.5 * DECK_HALF_WIDTH_M * np.sin(b), -0.01])
        parts.append(box((0.55, 0.55, 0.02), blanket_mid, color=_GOLD, rotation=rotation_about([0, 0, 1], b)))
    # BUD: the drum the bridles and umbilical pay out from, under the deck centre
    parts.append(strut([0, 0, 0.0], [0, 0, -0.06], BUD_RADIUS_M, color=_TANK, n_sides=16))
    return Mesh.merge(parts)


# The two cones of each engine's plume: (share of the plume's length, half-angle's tangent, brightness).
_PLUME_CONES = ((1.0, float(np.tan(np.radians(9.0))), 0.5), (0.55, float(np.tan(np.radians(4.0))), 1.0))
_PLUME_HUE = np.array([0.55, 0.68, 1.0])


def _plume_lengths_m(throttle: float, t_s: float) -> np.ndarray:
    """Each engine's plume length [m] at ``throttle`` (0..1] and ``t_s`` (plume_meshes)."""
    i = np.arange(len(ENGINE_MOUNT_POINTS_M))
    # two incommensurate tones per engine, phases differing between engines (est.)
    flicker = 1.0 + 0.04 * np.sin(2 * np.pi * 23.0 * t_s + 1.7 * i) + 0.03 * np.sin(2 * np.pi * 37.0 * t_s + 0.9 * i * i)
    return (0.8 + 3.2 * throttle) * flicker


def _plume_cones(lengths_m, glow: float, cant_deg: float | None) -> list[Mesh]:
    """The plume cones built from their profiles, in the descent-stage frame: two an engine."""
    parts = []
    for p, d, length in zip(engine_exit_points_m(cant_deg), engine_exhaust_directions(cant_deg), lengths_m):
        for scale_l, spread, bright in _PLUME_CONES:
            n = 6
            s = np.linspace(0.0, scale_l * length, n + 1)
            radius = NOZZLE_EXIT_RADIUS_M * (0.95 if bright == 1.0 else 1.0) + spread * s
            fade = (1.0 - s / s[-1]) ** 1.5
            colors = glow * bright * _PLUME_HUE[None, :] * 0.5 * (fade[:-1] + fade[1:])[:, None]
            cone = lathe(np.stack([radius, s], axis=1), n_around=12, color=colors)
            parts.append(cone.transformed(rotation_from_z(d), p))
    return parts


@lru_cache(maxsize=4)
def _plume_basis(cant_deg: float | None):
    """The plumes as affine functions of each engine's length: positions = A + B · length, colours ∝ glow.

    A cone's profile scales along its axis with the length (radius = exit radius + spread · s), so
    every vertex moves linearly with it, its normal does not change, and its colour is the glow
    times a fixed pattern. Built once from the cones at two lengths; ``plume_meshes`` then costs a
    few array operations a frame instead of sixteen lathes (≈ 20 ms of Python a frame).
    """
    n_engines = len(ENGINE_MOUNT_POINTS_M)
    one = Mesh.merge(_plume_cones(np.ones(n_engines), 1.0, cant_deg))
    two = Mesh.merge(_plume_cones(np.full(n_engines, 2.0), 1.0, cant_deg))
    if not np.array_equal(one.indices, two.indices):
        raise RuntimeError("the plume cones' triangles differ between lengths")  # _oriented dropped or flipped one
    per_cone = one.vertex_count // (n_engines * len(_PLUME_CONES))
    engine_of_vertex = np.repeat(np.arange(n_engines), per_cone * len(_PLUME_CONES))
    p1, p2 = one.positions_m.astype(np.float64), two.positions_m.astype(np.float64)
    return p1 - (p2 - p1), p2 - p1, engine_of_vertex, one.normals, one.colors_rgb, one.indices


def plume_meshes(throttle: float, *, t_s: float = 0.0, cant_deg: float | None = None) -> Mesh:
    """The eight engine plumes: faint bluish-white emissive cones from the nozzle exits.

    Hydrazine monopropellant exhaust is nearly transparent; these cones stand in for the faint
    glow and shimmer. Length grows with ``throttle`` [0..1] (≈ 1 m at idle to 4 m at full,
    est.), with a small deterministic flicker in ``t_s`` [s]. Throttle 0 gives an empty mesh.
    Drawn additively and blended (emissive, opacity 0.5).
    """
    if not np.isfinite(throttle):
        raise ValueError(f"throttle is {throttle}; give a number in [0, 1]")
    thr = float(np.clip(throttle, 0.0, 1.0))
    if thr <= 0.0:
        return Mesh.empty(emissive=True, opacity=0.5)
    at_zero, per_metre, engine_of_vertex, normals, colors, indices = _plume_basis(cant_deg)
    lengths = _plume_lengths_m(thr, t_s)
    positions = at_zero + per_metre * lengths[engine_of_vertex][:, None]
    return Mesh(positions, normals, (0.15 + 0.5 * thr) * colors, indices, emissive=True, opacity=0.5)


def bridles_mesh(top_points_m: np.ndarray, bottom_points_m: np.ndarray, *, radius_m: float = 0.01) -> Mesh:
    """Three nylon bridles (light) and the umbilical (dark) as thin square prisms between points.

    ``top_points_m`` (3,3) and ``bottom_points_m`` (3,3) are the bridle ends [m], both in one
    frame (the caller transforms BRIDLE_TOP_POINTS_M and BRIDLE_BOTTOM_POINTS_M). The umbilical
    runs beside them from the top points' centroid to the bottom points' centroid. ``radius_m``
    is the strap's half width; the umbilical is 1.5× as thick.
    """
    top = np.asarray(top_points_m, dtype=float).reshape(3, 3)
    bottom = np.asarray(bottom_points_m, dtype=float).reshape(3, 3)
    parts = [
        struts(top, bottom, radius_m, color=_BRIDLE, n_sides=4),
        strut(top.mean(axis=0), bottom.mean(axis=0), 1.5 * radius_m, color=_UMBILICAL, n_sides=6),
    ]
    drawn = [p for p in parts if p.triangle_count]
    return Mesh.merge(drawn) if drawn else Mesh.empty()
