"""The aeroshell: the 70° sphere-cone heat shield and the conical backshell.

Frame (docs/run-folder.md): origin at the centre of the aeroshell's widest section (the 4.5 m
circle at the heat shield's shoulder), +z along the symmetry axis from the heat shield toward
the backshell apex (the parachute side).

Geometry: MSL heritage, which Mars 2020 reused (Edquist et al., "Aerothermodynamic Design of the
Mars Science Laboratory Heatshield", AIAA 2009-4075: 4.5 m, 70° sphere-cone, nose radius
1.125 m; the backshell's 40° cone: Mahzari et al. / MSL aerodatabase, Dyakonov et al. AIAA
2012). Thicknesses, shoulder radius, tile pattern, ribs and backshell fittings are estimates
("est.") sized from published photographs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from edlcam.cameras.models.mesh import Mesh, box, lathe, rotation_about, strut

__all__ = [
    "AEROSHELL_DIAMETER_M",
    "HEATSHIELD_CONE_HALF_ANGLE_DEG",
    "HEATSHIELD_NOSE_RADIUS_M",
    "BACKSHELL_CONE_HALF_ANGLE_DEG",
    "heatshield_profile_rz",
    "heatshield_mesh",
    "backshell_mesh",
]

AEROSHELL_DIAMETER_M = 4.5  # NASA / Lockheed Martin (MSL and Mars 2020)
HEATSHIELD_CONE_HALF_ANGLE_DEG = 70.0  # Edquist et al. AIAA 2009-4075
HEATSHIELD_NOSE_RADIUS_M = 1.125  # Edquist et al. AIAA 2009-4075 (0.25 D)
HEATSHIELD_SHOULDER_RADIUS_M = 0.10  # est. (MSL drawings show a small rounded shoulder)
HEATSHIELD_THICKNESS_M = 0.08  # est.: ≈ 3 cm PICA on a ≈ 5 cm carbon honeycomb sandwich
BACKSHELL_CONE_HALF_ANGLE_DEG = 40.0  # MSL backshell (Dyakonov et al. 2012)
BACKSHELL_THICKNESS_M = 0.05  # est.
BACKSHELL_CONE_TOP_RADIUS_M = 0.95  # est. from MSL photographs
PARACHUTE_CONE_BASE_RADIUS_M = 0.78  # est.: parachute closeout cone
PARACHUTE_CONE_TOP_RADIUS_M = 0.55  # est.
PARACHUTE_CONE_HEIGHT_M = 0.85  # est.; total backshell height ≈ 2.5 m

_N_AROUND = 64  # 22 cm of rim per quad edge: a smooth silhouette even when the shell fills the frame

# Linear albedos (est. from flight and pre-launch photographs).
_PICA = np.array([0.045, 0.032, 0.024])  # dark brown-black charred PICA
_FILLER = np.array([0.09, 0.07, 0.05])  # gap filler between tiles, a little lighter
_INNER = np.array([0.55, 0.50, 0.42])  # inner face: light tan composite/insulation
_RIB = np.array([0.30, 0.30, 0.30])  # structural ribs and rings
_BACKSHELL = np.array([0.72, 0.72, 0.70])  # white/light grey thermal protection
_CHUTE_CONE = np.array([0.62, 0.60, 0.56])
_BACKSHELL_INSIDE = np.array([0.05, 0.05, 0.055])
_DARK = np.array([0.08, 0.08, 0.09])


def _arc(centre_rz, radius_m: float, a0_rad: float, a1_rad: float, n: int) -> np.ndarray:
    a = np.linspace(a0_rad, a1_rad, n + 1)
    return np.stack([centre_rz[0] + radius_m * np.cos(a), centre_rz[1] + radius_m * np.sin(a)], axis=1)


def heatshield_profile_rz(
    *,
    diameter_m: float = AEROSHELL_DIAMETER_M,
    nose_radius_m: float = HEATSHIELD_NOSE_RADIUS_M,
    cone_half_angle_deg: float = HEATSHIELD_CONE_HALF_ANGLE_DEG,
    shoulder_radius_m: float = HEATSHIELD_SHOULDER_RADIUS_M,
    n_nose: int = 6,
    n_cone: int = 8,
    n_shoulder: int = 4,
) -> dict[str, np.ndarray]:
    """The outer mould line of a sphere-cone as (radius [m], z [m]) polylines in the aeroshell frame.

    Nose sphere tangent to the cone at polar angle 90° − θc, cone, shoulder torus tangent to the
    cone up to the widest point, which sits at z = 0. Returns ``{"nose", "cone", "shoulder"}``,
    each walked outward from the axis. The classic construction (e.g. Edquist et al. 2009).
    """
    theta = np.radians(cone_half_angle_deg)
    rb, rn, rs = 0.5 * diameter_m, nose_radius_m, shoulder_radius_m
    # nose tip at z = 0 for the construction; shifted at the end
    tangent = np.array([rn * np.cos(theta), rn * (1.0 - np.sin(theta))])
    direction = np.array([np.sin(theta), np.cos(theta)])
    outward = np.array([np.cos(theta), -np.sin(theta)])
    s = (rb - rs + rs * np.cos(theta) - tangent[0]) / np.sin(theta)
    shoulder_start = tangent + s * direction
    centre = shoulder_start - rs * outward
    polar = np.linspace(0.0, np.pi / 2 - theta, n_nose + 1)  # angle from the −z axis
    nose = np.stack([rn * np.sin(polar), rn * (1.0 - np.cos(polar))], axis=1)
    cone = tangent + np.linspace(0.0, s, n_cone + 1)[:, None] * direction
    shoulder = _arc(centre, rs, -theta, 0.0, n_shoulder)
    z0 = centre[1]
    return {k: v - [0.0, z0] for k, v in (("nose", nose), ("cone", cone), ("shoulder", shoulder))}


def _split_at_radii(profile: np.ndarray, radii_m: np.ndarray, *, gap_m: float) -> tuple[list, list]:
    """Cut an outward-walked (r, z) profile at ``radii_m``, leaving ``gap_m`` seams between pieces."""
    rows, seams, rest = [], [], profile
    for r_cut in radii_m:
        k = int(np.searchsorted(rest[:, 0], r_cut))
        a, b = rest[k - 1], rest[k]
        point = a + (b - a) * (r_cut - a[0]) / (b[0] - a[0])
        half = 0.5 * gap_m * (b - a) / np.linalg.norm(b - a)
        rows.append(np.vstack([rest[:k], point - half]))
        seams.append(np.vstack([point - half, point + half]))
        rest = np.vstack([point + half, rest[k:]])
    return rows + [rest], seams


def _tile_colors(radius_mid_m: np.ndarray, phi_mid: np.ndarray, ring_edges_m: np.ndarray) -> np.ndarray:
    """PICA tiles: rings of tiles ≈ 0.7 m wide, each tile a slightly different char shade (est.)."""
    ring = np.clip(np.searchsorted(ring_edges_m, radius_mid_m) - 1, 0, len(ring_edges_m) - 2)
    r_mid = 0.5 * (ring_edges_m[ring] + ring_edges_m[ring + 1])
    n_tiles = np.maximum(1, np.round(2 * np.pi * r_mid / 0.7)).astype(int)
    tile = np.floor((phi_mid % (2 * np.pi)) / (2 * np.pi) * n_tiles).astype(int)
    # a fixed, deterministic shade per tile: fabricated lots differ slightly in char colour
    shade = 0.7 + 0.6 * np.modf(np.sin(ring * 12.9898 + tile * 78.233) * 43758.5453)[0] ** 2
    return _PICA * shade[..., None]


@lru_cache(maxsize=1)
def heatshield_mesh() -> Mesh:
    """The heat shield: dark PICA-tiled 70° sphere-cone outside (−z), light ribbed inner face (+z).

    A closed shell (outer face, rim, inner face) 4.5 m across. About 6 400 triangles.
    """
    theta = np.radians(HEATSHIELD_CONE_HALF_ANGLE_DEG)
    prof = heatshield_profile_rz()
    outer = np.concatenate([prof["nose"], prof["cone"][1:]])
    ring_edges = np.array([0.0, 0.55, 1.15, 1.7, 2.25 + 1e-6])  # est. tile rows [m of radius]
    rows, seams = _split_at_radii(outer, ring_edges[1:-1], gap_m=0.015)
    rows[-1] = np.vstack([rows[-1], prof["shoulder"][1:]])
    parts = []
    for row in rows:
        r_mid = 0.5 * (row[:-1, 0] + row[1:, 0])

        def colors(i, phi, r_mid=r_mid):
            return _tile_colors(r_mid[i[:, 0]][:, None], phi, ring_edges)

        parts.append(lathe(row, n_around=_N_AROUND, color=colors))
    parts += [lathe(seam, n_around=_N_AROUND, color=_FILLER) for seam in seams]
    # rim: from the shoulder's widest point back to the inner face
    t = HEATSHIELD_THICKNESS_M
    inner_edge_r = 0.5 * AEROSHELL_DIAMETER_M - HEATSHIELD_SHOULDER_RADIUS_M - t * np.cos(theta)
    cone = prof["cone"]
    inner_cone = cone + t * np.array([-np.cos(theta), np.sin(theta)])
    inner_cone = inner_cone[inner_cone[:, 0] <= inner_edge_r]
    nose_centre = np.array([0.0, prof["nose"][0, 1] + HEATSHIELD_NOSE_RADIUS_M])
    nose_inner = prof["nose"] + t * (nose_centre - prof["nose"]) / HEATSHIELD_NOSE_RADIUS_M  # concentric
    inner = np.vstack([nose_inner, inner_cone[1:]])[::-1]  # walked inward: the cavity (+z) on the right
    edge = prof["shoulder"][-1]
    rim = np.array([edge, edge + [0.0, 0.03], [inner[0, 0], edge[1] + 0.03], inner[0]])
    parts.append(lathe(rim, n_around=_N_AROUND, color=_RIB, smooth=False))
    parts.append(lathe(inner, n_around=_N_AROUND, color=_INNER))
    parts.extend(_heatshield_structure(inner, theta))
    return Mesh.merge(parts)


def _heatshield_structure(inner: np.ndarray, theta: float) -> list[Mesh]:
    """Ribs and rings on the inner face (est.: what the RDC sees as the heat shield falls away)."""
    slant = np.array([np.sin(theta), np.cos(theta)])
    up = np.array([-np.cos(theta), np.sin(theta)])  # inner-face normal, into the cavity

    def on_face(r):
        return np.array([r, np.interp(r, inner[::-1, 0], inner[::-1, 1])])

    parts = []
    for r_ring, width, height in ((0.75, 0.10, 0.08), (1.55, 0.10, 0.08), (2.05, 0.06, 0.12)):
        a = on_face(r_ring - width / 2) - 0.01 * up
        b = on_face(r_ring + width / 2) - 0.01 * up
        section = np.array([a, b, b + height * up, a + height * up])
        parts.append(lathe(np.vstack([section, section[:1]]), n_around=48, color=_RIB, smooth=False))
    r0, r1 = 0.75, 2.05
    mid = on_face(0.5 * (r0 + r1))
    length = (r1 - r0) / np.sin(theta)
    for k in range(12):  # radial ribs between the rings, every 30°
        phi = k * np.pi / 6
        rot = rotation_about([0, 0, 1], phi)
        x_axis = rot @ [slant[0], 0.0, slant[1]]
        z_axis = rot @ [up[0], 0.0, up[1]]
        frame = np.column_stack([x_axis, np.cross(z_axis, x_axis), z_axis])
        centre = rot @ [mid[0], 0.0, mid[1]] + 0.03 * z_axis
        parts.append(box((length, 0.05, 0.06), centre, color=_RIB, rotation=frame))
    # central fitting where the separation push-off springs bear (est.)
    c = on_face(0.0)
    parts.append(strut([0, 0, c[1] - 0.01], [0, 0, c[1] + 0.12], 0.22, color=_RIB, n_sides=24))
    return parts


@lru_cache(maxsize=1)
def backshell_mesh() -> Mesh:
    """The backshell: 40° light-grey cone, parachute closeout cone on top, dark inside.

    Open at the bottom (the heat-shield interface at z = 0), closed on top; ≈ 2.5 m tall.
    """
    theta = np.radians(BACKSHELL_CONE_HALF_ANGLE_DEG)
    rb, t = 0.5 * AEROSHELL_DIAMETER_M, BACKSHELL_THICKNESS_M
    z_base = 0.02  # sits just behind the heat shield's widest circle (est.)
    z_cone_top = z_base + (rb - BACKSHELL_CONE_TOP_RADIUS_M) / np.tan(theta)
    z_top = z_cone_top + PARACHUTE_CONE_HEIGHT_M
    outer = [
        (np.array([[rb, z_base], [BACKSHELL_CONE_TOP_RADIUS_M, z_cone_top]]), _BACKSHELL),
        (np.array([[BACKSHELL_CONE_TOP_RADIUS_M, z_cone_top], [PARACHUTE_CONE_BASE_RADIUS_M, z_cone_top]]), _BACKSHELL),
        (np.array([[PARACHUTE_CONE_BASE_RADIUS_M, z_cone_top], [PARACHUTE_CONE_TOP_RADIUS_M, z_top]]), _CHUTE_CONE),
        (_arc((0.0, z_top - 0.9), np.hypot(PARACHUTE_CONE_TOP_RADIUS_M, 0.9),
              np.arctan2(0.9, PARACHUTE_CONE_TOP_RADIUS_M), np.pi / 2, 4), _CHUTE_CONE),
    ]
    outer[3][0][-1, 0] = 0.0
    parts = [lathe(p, n_around=_N_AROUND, color=c, max_step_m=0.3) for p, c in outer]
    # the inside: a parallel cone, dark; walked from the axis outward and down (cavity on the right)
    inner_top = z_cone_top - t / np.sin(theta)
    inner = np.array(
        [[0.0, inner_top], [BACKSHELL_CONE_TOP_RADIUS_M - 0.02, inner_top], [rb - t / np.cos(theta), z_base]]
    )
    parts.append(lathe(inner[:2], n_around=_N_AROUND, color=_BACKSHELL_INSIDE))
    parts.append(lathe(inner[1:], n_around=_N_AROUND, color=_BACKSHELL_INSIDE, max_step_m=0.3))
    parts.append(lathe(np.array([inner[2], [rb, z_base]]), n_around=_N_AROUND, color=_DARK))
    parts.extend(_backshell_fittings(rb, theta, z_base))
    return Mesh.merge(parts)


def _backshell_fittings(rb: float, theta: float, z_base: float) -> list[Mesh]:
    """Reaction-control thruster pods, an antenna and the interface band (est. from MSL photos)."""
    band = np.array([[rb + 0.005, z_base], [rb + 0.005 - 0.12 * np.sin(theta), z_base + 0.12 * np.cos(theta)]])
    parts = [lathe(band, n_around=_N_AROUND, color=_DARK)]  # the interface band at the base
    slope = np.array([-np.sin(theta), 0.0, np.cos(theta)])
    normal = np.array([np.cos(theta), 0.0, np.sin(theta)])
    frame = np.column_stack([slope, np.cross(normal, slope), normal])
    for k in range(4):  # four RCS thruster pods at 45°, 135°, ...
        rot = rotation_about([0, 0, 1], np.pi / 4 + k * np.pi / 2)
        foot = np.array([rb - 0.55 * np.sin(theta), 0.0, z_base + 0.55 * np.cos(theta)])
        parts.append(box((0.35, 0.30, 0.12), rot @ (foot + 0.06 * normal), color=_DARK, rotation=rot @ frame))
    # parachute low-gain antenna on the closeout cone (est.)
    z = z_base + (rb - BACKSHELL_CONE_TOP_RADIUS_M) / np.tan(theta) + 0.4
    taper = (PARACHUTE_CONE_BASE_RADIUS_M - PARACHUTE_CONE_TOP_RADIUS_M) / PARACHUTE_CONE_HEIGHT_M
    r = PARACHUTE_CONE_BASE_RADIUS_M - 0.4 * taper
    parts.append(strut([r - 0.02, 0.0, z], [r + 0.12, 0.0, z + 0.03], 0.09, color=_BACKSHELL, n_sides=12))
    return parts
