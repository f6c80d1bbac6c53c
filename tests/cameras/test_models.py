"""Tests of the hardware meshes: sizes against published figures, orientation, the parachute code.

The parachute test reads the gore colours back off the mesh with its own decoder (nothing from
the encoder) and must find "DARE MIGHTY THINGS" and JPL's coordinates, as NASA announced them
on 2021-02-22.
"""

from __future__ import annotations

import numpy as np
import pytest

from edlcam.cameras import models
from edlcam.cameras.models import (
    BRIDLE_BOTTOM_POINTS_M,
    BRIDLE_TOP_POINTS_M,
    Mesh,
    backshell_mesh,
    bridles_mesh,
    descent_stage_mesh,
    engine_exhaust_directions,
    engine_exit_points_m,
    heatshield_mesh,
    parachute_mesh,
    plume_meshes,
    preview_png,
    rover_mesh,
)
from edlcam.cameras.models.mesh import box, rotation_about, sphere, strut
from edlcam.cameras.models.parachute import encode_ring
from edlcam.cameras.models.rover import ROVER_STOWED_TOP_M

ONE_CM = 0.01

RIGID = {
    "heatshield": heatshield_mesh,
    "backshell": backshell_mesh,
    "descent_stage": descent_stage_mesh,
    "rover": rover_mesh,
    "rover_stowed": lambda: rover_mesh(wheels_deployed=False),
    "rover_mast_up": lambda: rover_mesh(mast_deployed=True),
}
ALL = {
    **RIGID,
    "parachute": lambda: parachute_mesh(1.0, t_s=0.4),
    "parachute_half": lambda: parachute_mesh(0.5),
    "parachute_packed": lambda: parachute_mesh(0.0),
    "plumes": lambda: plume_meshes(0.8, t_s=1.3),
    "bridles": lambda: bridles_mesh(BRIDLE_TOP_POINTS_M, BRIDLE_BOTTOM_POINTS_M + [0.0, 0.0, -8.0]),
}


def _face_normals(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    tri = mesh.positions_m[mesh.indices].astype(np.float64)
    return tri, np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])


def _signed_volume_m3(mesh: Mesh) -> float:
    """Divergence theorem: positive for a closed surface wound counter-clockwise from outside."""
    tri = mesh.positions_m[mesh.indices].astype(np.float64)
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)


def test_public_api_is_pinned():
    assert sorted(models.__all__) == sorted([
        "Mesh", "heatshield_mesh", "backshell_mesh", "parachute_mesh", "parachute_gore_bits",
        "descent_stage_mesh", "plume_meshes", "engine_exit_points_m", "engine_exhaust_directions",
        "rover_mesh", "bridles_mesh", "BRIDLE_TOP_POINTS_M", "BRIDLE_BOTTOM_POINTS_M", "preview_png",
    ])


@pytest.mark.parametrize("name", sorted(ALL))
def test_mesh_arrays_are_well_formed(name):
    mesh = ALL[name]()
    assert mesh.positions_m.dtype == np.float32 and mesh.normals.dtype == np.float32
    assert mesh.colors_rgb.dtype == np.float32 and mesh.indices.dtype == np.uint32
    assert mesh.positions_m.shape == mesh.normals.shape == mesh.colors_rgb.shape
    assert mesh.indices.shape[1] == 3 and mesh.triangle_count > 0
    assert int(mesh.indices.max()) < mesh.vertex_count
    np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-5)
    assert mesh.colors_rgb.min() >= 0.0 and mesh.colors_rgb.max() <= 1.0
    assert np.isfinite(mesh.positions_m).all()
    with pytest.raises(ValueError):
        mesh.positions_m[0, 0] = 1.0  # read-only: meshes are cached and shared


@pytest.mark.parametrize("name", sorted(ALL))
def test_winding_agrees_with_normals(name):
    """Every triangle is counter-clockwise seen from the side its normals point to."""
    mesh = ALL[name]()
    _, face = _face_normals(mesh)
    vertex_side = mesh.normals[mesh.indices].astype(np.float64).sum(axis=1)
    assert (np.einsum("ij,ij->i", face, vertex_side) > 0).all()


@pytest.mark.parametrize("name", sorted(RIGID))
def test_closed_bodies_face_outward(name):
    """Signed volume > 0: the surfaces enclose their material with normals outward."""
    assert _signed_volume_m3(RIGID[name]()) > 0.0


@pytest.mark.parametrize("name", sorted(RIGID))
def test_triangle_budget(name):
    assert 500 < RIGID[name]().triangle_count <= 8000  # brief: "a few thousand per body"


def test_primitives_point_away_from_their_centre():
    """Convex primitives: normal · (vertex − centre) > 0 at every vertex; volumes match closed forms."""
    centre = np.array([1.0, -2.0, 0.5])
    for mesh, volume in (
        (sphere(0.7, centre, n_lat=24, n_around=48), 4 / 3 * np.pi * 0.7**3),
        (box((0.4, 1.0, 2.0), centre, rotation=rotation_about([1, 1, 0], 0.3)), 0.8),
        (strut(centre - [0, 0, 1], centre + [0, 0, 1], 0.2, n_sides=64), np.pi * 0.2**2 * 2.0),
    ):
        offset = mesh.positions_m - centre
        assert (np.einsum("ij,ij->i", offset, mesh.normals) > 0).all()
        assert _signed_volume_m3(mesh) == pytest.approx(volume, rel=0.01)  # facets: < 1 %


def test_heatshield_matches_the_published_sphere_cone():
    """4.5 m, 70° sphere-cone, nose radius 1.125 m (Edquist et al., AIAA 2009-4075)."""
    mesh = heatshield_mesh()
    lo, hi = mesh.bounds_m()
    assert hi[0] - lo[0] == pytest.approx(4.5, abs=ONE_CM)
    assert hi[1] - lo[1] == pytest.approx(4.5, abs=ONE_CM)
    # the outer face: dark (PICA) vertices with normals pointing forward (−z)
    outer = (mesh.normals[:, 2] < -0.3) & (mesh.colors_rgb.max(axis=1) < 0.15)
    p = mesh.positions_m[outer].astype(np.float64)
    r, z = np.hypot(p[:, 0], p[:, 1]), p[:, 2]
    tip = z.min()
    nose = r < 0.3
    # points on the nose lie on a sphere of radius 1.125 m centred on the axis
    centre_z = tip + 1.125
    assert np.hypot(r[nose], z[nose] - centre_z) == pytest.approx(1.125, abs=ONE_CM)
    cone = (r > 0.6) & (r < 1.9)
    slope = np.polyfit(r[cone], z[cone], 1)[0]
    assert np.degrees(np.arctan(1.0 / slope)) == pytest.approx(70.0, abs=0.5)  # half-angle
    assert tip == pytest.approx(-0.80, abs=0.05)  # nose to the widest circle: geometry of the above
    # the PICA outside faces forward; the inside seen by the RDC is light
    assert (mesh.normals[mesh.positions_m[:, 2] < tip + 0.05, 2] < -0.9).all()
    inner = mesh.normals[:, 2] > 0.9
    assert np.median(mesh.colors_rgb[inner].mean(axis=1)) > 0.3


def test_backshell_is_a_40_degree_cone_about_2_5_m_tall():
    mesh = backshell_mesh()
    lo, hi = mesh.bounds_m()
    assert hi[0] - lo[0] == pytest.approx(4.5, abs=2 * ONE_CM)  # mates with the 4.5 m heat shield
    assert 2.4 <= hi[2] - lo[2] <= 3.0  # brief: ≈ 2.5–3 m
    p, n = mesh.positions_m.astype(np.float64), mesh.normals.astype(np.float64)
    side = (n[:, 2] > 0.5) & (n[:, 2] < 0.9) & (np.hypot(p[:, 0], p[:, 1]) > 1.2)
    r, z = np.hypot(p[side, 0], p[side, 1]), p[side, 2]
    slope = np.polyfit(z, r, 1)[0]
    assert np.degrees(np.arctan(-slope)) == pytest.approx(40.0, abs=1.0)  # MSL heritage
    assert np.median(mesh.colors_rgb[side].mean(axis=1)) > 0.5  # light outside
    inside = n[:, 2] < -0.5
    assert np.median(mesh.colors_rgb[inside].mean(axis=1)) < 0.1  # dark inside


def test_rover_matches_the_press_kit():
    """3 m long (without the arm), 2.7 m wide, 2.2 m tall, 52.5 cm wheels (NASA press kit)."""
    lo, hi = rover_mesh(mast_deployed=True).bounds_m()
    assert hi[1] - lo[1] == pytest.approx(2.7, abs=ONE_CM)
    assert hi[2] == pytest.approx(2.2, abs=5 * ONE_CM)
    assert lo[2] == pytest.approx(0.0, abs=0.1 * ONE_CM)  # origin on the ground under the wheels
    assert 2.9 <= hi[0] - lo[0] <= 3.4  # 3 m body + MMRTG, plus the stowed arm's turret
    stowed_lo, stowed_hi = rover_mesh(wheels_deployed=False).bounds_m()
    assert stowed_lo[2] > 0.25  # the folded wheels hang above the ground plane
    assert ROVER_STOWED_TOP_M - 0.02 < stowed_hi[2] <= ROVER_STOWED_TOP_M  # mast lying on the deck
    # wheel: tread points at the front-left hub are 0.2625 m from the axle
    p = rover_mesh().positions_m.astype(np.float64)
    near = (np.abs(p[:, 0] - 1.05) < 0.35) & (p[:, 1] > 0.95) & (p[:, 2] < 0.6)
    d = np.hypot(p[near, 0] - 1.05, p[near, 2] - 0.2625)
    assert d.max() == pytest.approx(0.2625, abs=0.5 * ONE_CM)


def test_descent_stage_size_and_engines():
    lo, hi = descent_stage_mesh().bounds_m()
    assert 2.8 <= hi[0] - lo[0] <= 3.4  # brief: ≈ 3 m structure (est.)
    dirs = engine_exhaust_directions()
    assert dirs.shape == (8, 3)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=1), 1.0, atol=1e-12)
    cant = np.degrees(np.arccos(-dirs[:, 2]))
    np.testing.assert_allclose(cant, 15.0, atol=1e-9)  # mission [powered_descent] engine_cant_deg
    # symmetric cant: lateral components cancel, net thrust along +z is 8 cos(15°)
    np.testing.assert_allclose(dirs.sum(axis=0), [0.0, 0.0, -8 * np.cos(np.radians(15))], atol=1e-12)
    exits = engine_exit_points_m()
    assert (exits[:, 2] < 0).all()  # nozzles exhaust below the underside
    corners = {(np.sign(x), np.sign(y)) for x, y in exits[:, :2]}
    assert len(corners) == 4  # four pairs at the corners


def test_plumes_from_their_affine_basis_are_the_cones_built_from_their_profiles():
    # plume_meshes moves each vertex linearly with its engine's plume length (a basis built once)
    # instead of building sixteen lathes a frame; it must give the cones the lathes give, at any
    # throttle, flicker time and cant. Tolerance: float32 positions of ≤ 5 m, 1e-5 m.
    from edlcam.cameras.models.descent_stage import _plume_cones, _plume_lengths_m

    for throttle, t_s, cant in ((0.2, 0.0, None), (0.75, 1.37, None), (1.0, 12.05, 15.0)):
        fast = plume_meshes(throttle, t_s=t_s, cant_deg=cant)
        built = Mesh.merge(_plume_cones(_plume_lengths_m(throttle, t_s), 0.15 + 0.5 * throttle, cant))
        np.testing.assert_array_equal(fast.indices, built.indices)
        np.testing.assert_allclose(fast.positions_m, built.positions_m, atol=1e-5)
        np.testing.assert_allclose(fast.normals, built.normals, atol=1e-6)
        np.testing.assert_allclose(fast.colors_rgb, built.colors_rgb, rtol=1e-6)
        assert fast.emissive and fast.opacity == 0.5


def test_plumes_grow_with_throttle_and_vanish_at_zero():
    assert plume_meshes(0.0).triangle_count == 0
    weak, strong = plume_meshes(0.2), plume_meshes(1.0)
    assert weak.emissive and strong.emissive and strong.opacity < 1.0
    assert strong.bounds_m()[0][2] < weak.bounds_m()[0][2] - 1.5  # ≈ 0.8 + 3.2·throttle m long
    exits = engine_exit_points_m()
    tilt_m = 0.11 * np.sin(np.radians(15.0))  # the exit circle is canted with the engine
    assert (strong.positions_m[:, 2] <= exits[:, 2].max() + tilt_m + 1e-4).all()  # plumes start at the nozzles
    assert not np.array_equal(plume_meshes(0.5, t_s=0.0).positions_m, plume_meshes(0.5, t_s=0.01).positions_m)
    np.testing.assert_array_equal(plume_meshes(0.5, t_s=0.3).positions_m, plume_meshes(0.5, t_s=0.3).positions_m)


def test_bridles_join_the_given_points():
    top = BRIDLE_TOP_POINTS_M
    bottom = BRIDLE_BOTTOM_POINTS_M + [0.0, 0.0, -7.6 - 1.4]
    mesh = bridles_mesh(top, bottom, radius_m=0.02)
    lo, hi = mesh.bounds_m()
    ends = np.vstack([top, bottom])
    assert (lo <= ends.min(axis=0) + 1e-5).all() and (hi >= ends.max(axis=0) - 1e-5).all()
    assert (lo >= ends.min(axis=0) - 0.031).all() and (hi <= ends.max(axis=0) + 0.031).all()
    # three light straps and one darker umbilical
    shades = np.unique(np.round(mesh.colors_rgb.mean(axis=1), 3))
    assert len(shades) == 2 and shades[0] < 0.2 < 0.6 < shades[1]


def test_transform_and_merge_preserve_counts_and_geometry():
    rover, ds = rover_mesh(), descent_stage_mesh()
    rot = rotation_about([0.3, -0.5, 1.0], 1.1)
    moved = rover.transformed(rot, [10.0, -3.0, 2.0])
    assert (moved.vertex_count, moved.triangle_count) == (rover.vertex_count, rover.triangle_count)
    np.testing.assert_allclose(moved.positions_m, rover.positions_m @ rot.T + [10.0, -3.0, 2.0], atol=1e-5)
    np.testing.assert_allclose(moved.normals, rover.normals @ rot.T, atol=1e-5)
    assert _signed_volume_m3(moved) == pytest.approx(_signed_volume_m3(rover), rel=1e-4)
    mirrored = rover.transformed(np.diag([1.0, -1.0, 1.0]))
    assert _signed_volume_m3(mirrored) == pytest.approx(_signed_volume_m3(rover), rel=1e-4)  # still outward
    both = Mesh.merge([rover, ds])
    assert both.vertex_count == rover.vertex_count + ds.vertex_count
    assert both.triangle_count == rover.triangle_count + ds.triangle_count
    np.testing.assert_array_equal(both.indices[rover.triangle_count :], ds.indices + rover.vertex_count)
    with pytest.raises(ValueError, match="drawn differently"):
        Mesh.merge([rover, plume_meshes(0.5)])
    with pytest.raises(ValueError, match="at least one"):
        Mesh.merge([])


# ------------------------------------------------------------------------------ the parachute


def test_parachute_dimensions():
    """21.5 m nominal DGB: projected ≈ 0.69 D0, lines to the capsule at z = −36 m (mission default)."""
    mesh = parachute_mesh(1.0)
    lo, hi = mesh.bounds_m()
    assert hi[0] - lo[0] == pytest.approx(0.69 * 21.5, abs=0.3)  # MSL reconstruction ratio (Cruz 2014)
    assert lo[2] == pytest.approx(-36.0, abs=0.05)  # [parachute] suspension_length_m
    assert hi[2] == pytest.approx(0.122 * 21.5, abs=0.1)  # crown height above the widest section
    assert parachute_mesh(1.0, suspension_length_m=30.0).bounds_m()[0][2] == pytest.approx(-30.0, abs=0.05)
    assert mesh.triangle_count <= 30_000


def test_parachute_cloth_area_matches_the_nominal_dgb():
    """Disk 52.7 % + band 35.1 % of S0 = π D0²/4 (Viking/MSL DGB proportions); one side of the cloth."""
    mesh = parachute_mesh(1.0)
    tri, face = _face_normals(mesh)
    cloth = _cloth_mask(mesh)
    area_m2 = 0.5 * np.linalg.norm(face[cloth], axis=1).sum() / 2  # two-sided cloth: count one side
    s0 = np.pi * 21.5**2 / 4
    assert area_m2 == pytest.approx((0.527 + 0.351) * s0, rel=0.05)


def test_parachute_inflation_is_plausible():
    fractions = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)
    widths = np.array([np.ptp(parachute_mesh(f).positions_m[:, 0]) for f in fractions])
    assert widths[0] < 1.0  # a narrow bundle at line stretch
    # projected area ∝ inflated fraction (what the flight stage's drag used), within the bulge
    np.testing.assert_allclose((widths[1:] / widths[-1]) ** 2, fractions[1:], atol=0.03)
    tops = [parachute_mesh(f).bounds_m()[1][2] for f in (0.0, 1.0)]
    assert tops[0] > tops[1] + 3.0  # the unfilled cloth is long and thin
    np.testing.assert_array_equal(parachute_mesh(1.4).positions_m, parachute_mesh(1.0).positions_m)  # clipped
    with pytest.raises(ValueError, match="inflation"):
        parachute_mesh(float("nan"))
    a, b = parachute_mesh(1.0, t_s=0.0), parachute_mesh(1.0, t_s=0.25)
    moved = np.linalg.norm(a.positions_m - b.positions_m, axis=1)
    assert 0.02 < moved.max() < 0.3  # the band flutters by centimetres, not metres


def _cloth_mask(mesh: Mesh) -> np.ndarray:
    col = mesh.colors_rgb[mesh.indices].mean(axis=1)
    orange = (col[:, 0] > 0.5) & (col[:, 1] < 0.3)
    white = col.min(axis=1) > 0.7
    return orange | white


def read_gore_bits(mesh: Mesh, n_gores: int = 80) -> np.ndarray:
    """Read the canopy's colours as bits: (4, n_gores), rings from the vent outward, gores by azimuth.

    Orange = 1. Gores are counted from +x toward +y (clockwise as seen from below). The band is
    the cloth below the gap (the largest step in height); disk rings are separated where colours
    change along the gores.
    """
    col = mesh.colors_rgb[mesh.indices].mean(axis=1)
    cloth = _cloth_mask(mesh)
    orange = ((col[:, 0] > 0.5) & (col[:, 1] < 0.3))[cloth]
    c = mesh.positions_m[mesh.indices][cloth].mean(axis=1).astype(np.float64)
    gore = np.floor((np.arctan2(c[:, 1], c[:, 0]) % (2 * np.pi)) / (2 * np.pi / n_gores)).astype(int)
    z = c[:, 2]
    zs = np.unique(np.round(z, 3))
    step = np.argmax(np.diff(zs))
    in_band = z < 0.5 * (zs[step] + zs[step + 1])
    # disk ring boundaries: heights where some gore changes colour
    changes = []
    for g in range(n_gores):
        sel = (~in_band) & (gore == g)
        order = np.argsort(z[sel])
        zz, bb = z[sel][order], orange[sel][order]
        flip = np.flatnonzero(bb[1:] != bb[:-1])
        changes.extend(0.5 * (zz[flip] + zz[flip + 1]))
    levels = np.unique(np.round(changes, 2))
    boundaries = [levels[0]] + [b for a, b in zip(levels, levels[1:]) if b - a > 0.05]
    assert len(boundaries) == 2, f"expected 3 disk rings, found boundaries at {boundaries}"
    ring = np.where(in_band, 3, sum((z < b).astype(int) for b in boundaries))  # 0 = innermost (highest)
    bits = np.zeros((4, n_gores), dtype=bool)
    for k in range(4):
        for g in range(n_gores):
            cell = orange[(ring == k) & (gore == g)]
            assert len(cell) and (cell == cell[0]).all(), f"ring {k} gore {g} is not one colour"
            bits[k, g] = cell[0]
    return bits


def _tokens(bits: np.ndarray, start: int) -> list[int]:
    """Read "000" + 7-bit groups from ``start`` until the "000"+"1111111" padding or the ring's end."""
    b = np.roll(bits, -start)
    values = []
    for i in range(0, len(b) - 9, 10):
        if b[i : i + 3].any():
            break
        v = int("".join("1" if x else "0" for x in b[i + 3 : i + 10]), 2)
        if v == 127:
            break
        values.append(v)
    return values


def _after_padding(bits: np.ndarray) -> int:
    """Index just after the longest cyclic run of 1s (where a word begins)."""
    doubled = np.concatenate([bits, bits])
    best, run, end = 0, 0, 0
    for i, b in enumerate(doubled):
        run = run + 1 if b else 0
        if run > best:
            best, end = run, i
    return (end + 1) % len(bits)


def decode_parachute(bits: np.ndarray) -> tuple[str, str]:
    """The words of the three disk rings and the band's coordinates, as the 2021 decoders read them."""
    words = []
    for k in range(3):
        words.append("".join(chr(64 + v) for v in _tokens(bits[k], _after_padding(bits[k]))))
    d1, m1, s1, ns, d2, m2, s2, ew = _tokens(bits[3], _after_padding(bits[0]))
    coords = f"{d1}°{m1:02d}'{s1:02d}\" {chr(64 + ns)} {d2}°{m2:02d}'{s2:02d}\" {chr(64 + ew)}"
    return " ".join(words), coords


@pytest.mark.parametrize("inflation, t_s, coarse", [(1.0, 0.0, False), (0.93, 2.7, False), (0.6, 0.0, False),
                                                     (0.93, 2.7, True)])
def test_parachute_gores_spell_dare_mighty_things(inflation, t_s, coarse):
    """NASA/JPL 2021-02-22: the disk spells DARE MIGHTY THINGS, the band 34°11'58" N 118°10'31" W.

    The previews' coarse canopy must carry the same code."""
    bits = read_gore_bits(parachute_mesh(inflation, t_s=t_s, coarse=coarse))
    text, coords = decode_parachute(bits)
    assert text == "DARE MIGHTY THINGS"
    assert coords == "34°11'58\" N 118°10'31\" W"
    # read the wrong way round (counter-clockwise from below) the message is lost, as its solvers found
    assert decode_parachute(bits[:, ::-1])[0] != "DARE MIGHTY THINGS"
    np.testing.assert_array_equal(bits, models.parachute_gore_bits())


def test_parachute_ring_offsets_match_the_public_transcriptions():
    """From the reference gore (where DARE begins) MIGHTY's 'M' is 40 gores on and THINGS's 'T' 20.

    Transcriptions of the raw EDL images read ring 2 as "TY", padding, "MIGH" from the reference,
    and ring 3 as padding, "THINGS"; the band starts at the reference with 34.
    """
    bits = models.parachute_gore_bits()
    start = _after_padding(bits[0])
    assert _tokens(bits[1], start)[:2] == [20, 25]  # T, Y
    assert _tokens(bits[1], (start + 40) % 80)[:4] == [13, 9, 7, 8]  # M I G H
    assert _tokens(bits[2], (start + 20) % 80) == [20, 8, 9, 14, 7, 19]  # T H I N G S
    assert "".join("1" if b else "0" for b in encode_ring("DARE")[:20]) == "00000001000000000001"


def test_preview_png_draws_a_model(tmp_path):
    path = preview_png(rover_mesh(), tmp_path / "rover.png", size_px=300)
    from PIL import Image

    with Image.open(path) as im:
        assert im.size == (300, 300)
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
    light = (pixels.min(axis=1) > 150).mean()  # the white-beige body is drawn
    assert light > 0.01
