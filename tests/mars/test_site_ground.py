"""The real ground under the landing point: georeference, the seamless blend, and the levels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.ndimage import map_coordinates, spline_filter

from edlcam.mars.hirise import load_jezero
from edlcam.mars.terrain import Terrain
from edlcam.mars.terrain_levels import refine_coefficients
from edlcam.mission import load_mission

LANDED_LAT_DEG, LANDED_LON_DEG = 18.4447, 77.4508  # NASA / PDS (REFERENCE.md), the mission's target


@pytest.fixture(scope="module")
def terrain() -> Terrain:
    return Terrain.from_mission(load_mission())


@pytest.fixture(scope="module")
def site():
    return load_jezero()


def test_grid_edges_agree_with_the_orthomosaic_ticks(site):
    # Measured on Lookdown_Map_aligned_4k.jpg (tools/jezero_data.py): its neatline ticks every
    # 0.001° put the image's edges at these longitudes/latitudes; the image covers the DTM's 452
    # cells edge to edge, so the cells' edges must fall there, within 0.5 m (≈ 8.5e-6°).
    north, west = site.latlon_of_uv(0.0, 0.0)
    south, east = site.latlon_of_uv(452.0, 452.0)
    half_metre_deg = 0.5 / (math.pi / 180.0 * 3396.19e3)
    assert west == pytest.approx(77.446902, abs=half_metre_deg)
    assert east == pytest.approx(77.454540, abs=half_metre_deg / math.cos(math.radians(18.4447)) + 1e-6)
    assert north == pytest.approx(18.448657, abs=half_metre_deg)
    assert south == pytest.approx(18.441027, abs=half_metre_deg)


def test_landed_point_lies_inside_the_data_and_on_its_height(terrain, site):
    u, v = site.uv_of_latlon(LANDED_LAT_DEG, LANDED_LON_DEG)
    assert 200.0 < u < 252.0 and 200.0 < v < 252.0  # near the centre of the 452 cells
    dtm = site.height_at_uv(u, v)
    # The DTM at the landed point (−2569.83 m) against the mission's floor altitude (MOLA:
    # −2570 m, the [terrain] table): the two datasets agree within 0.3 m.
    assert dtm == pytest.approx(terrain.config.floor_altitude_m, abs=0.3)
    # The terrain is the DTM there, plus only the procedural detail below the DTM's resolution:
    # craters under 4 m (≤ 0.8 m deep, Pike 1977) and roughness under 4 m (≈ 5 cm RMS).
    assert terrain.target_altitude_m == pytest.approx(dtm, abs=0.8)
    # The tangent plane's origin maps to the same grid point, to the affine placement's 2 cm.
    uv0 = terrain._site_uv @ np.array([0.0, 0.0, 1.0])
    assert uv0 == pytest.approx([u, v], abs=0.02)


def test_data_is_placed_at_its_real_scale(terrain, site):
    # 452 cells of 1.000162 m of easting span 428.9 m of ground east–west at 18.44° N (the map's
    # 200 m scale bar agrees within 0.1 %) and 452.35 m north–south; the tangent plane's scale
    # differs from the sphere's by < 1.1 % (ellipsoid vs sphere radius of curvature).
    inv = np.linalg.inv(terrain._site_uv[:, :2])
    east_per_cell, north_per_cell = np.hypot(*inv[:, 0]), np.hypot(*inv[:, 1])
    assert 452 * east_per_cell == pytest.approx(428.9, rel=0.011)
    assert 452 * north_per_cell == pytest.approx(452.35, rel=0.011)
    assert abs(inv[1, 0]) < 1e-3 * east_per_cell  # columns run east, rows south: no rotation
    assert inv[1, 1] < 0.0


def test_heights_follow_the_dtm_inside_and_are_continuous_across_its_edge(terrain, site):
    # Well inside the data the ground is the DTM (its detail above 4 m) plus finer procedural
    # detail; along a line from inside to outside the data's east edge the ground has no step.
    u = np.linspace(100.0, 350.0, 400)
    v = np.full_like(u, 226.0)
    e, n = _en_of_uv(terrain, u, v)
    diff = terrain.altitude_m(e, n) - site.height_at_uv(u, v)
    assert np.sqrt(np.mean(diff**2)) < 0.3
    # Across the edge (east edge at u = 452, blend 40 m inside it), every millimetre.
    edge_e, edge_n = _en_of_uv(terrain, np.array([452.0]), np.array([226.0]))
    s = np.arange(-60.0, 40.0, 0.001)
    z = terrain.altitude_m(edge_e[0] + s, np.full_like(s, edge_n[0]))
    assert np.max(np.abs(np.diff(z))) < 0.005  # 5 mm per mm: mm-scale roughness, as elsewhere


def test_albedo_is_continuous_across_the_data_edge(terrain):
    # A 6 m × 6 m heightmap at 1 cm straddling the orthomosaic's west edge: neighbouring samples
    # differ no more, relative to the window's mean level (the albedo patches multiply the
    # ground's albedo, so brighter ground has proportionally larger steps), than they do well
    # inside or well outside, and the mean levels on the two sides of the blend agree within 15 %
    # (the real ground is not uniform).
    x0, _ = terrain._site.grey_valid[0], 0
    e0, n0 = _en_of_uv(terrain, np.array([x0]), np.array([226.0]))
    steps = []
    for offset in (-10.0, 0.0, 10.0, 20.0, 40.0):
        _, _, _, rgb = terrain.heightmap(center_east_m=e0[0] + offset, center_north_m=n0[0], size_m=6.0, samples=601)
        steps.append(np.max(np.abs(np.diff(rgb, axis=1))) / rgb.mean())
    assert max(steps[1:4]) <= 1.2 * max(steps[0], steps[4])  # the blend adds no jump of its own
    _, _, _, out_rgb = terrain.heightmap(center_east_m=e0[0] - 30.0, center_north_m=n0[0], size_m=30.0, samples=121)
    _, _, _, in_rgb = terrain.heightmap(center_east_m=e0[0] + 50.0, center_north_m=n0[0], size_m=30.0, samples=121)
    assert in_rgb.mean() == pytest.approx(out_rgb.mean(), rel=0.15)


def test_colour_patch_keeps_the_real_colour_variation(terrain, site):
    # Over the touchdown area the albedo is the descent imagery's colour: its channels vary
    # independently (the grey mosaic alone would keep their ratios fixed at the procedural tint).
    _, _, _, rgb = terrain.heightmap(center_east_m=0.0, center_north_m=0.0, size_m=20.0, samples=201)
    ratio = rgb[..., 0] / np.maximum(rgb[..., 2], 1e-6)
    assert np.std(ratio) > 0.05
    _, _, _, far = terrain.heightmap(center_east_m=0.0, center_north_m=-150.0, size_m=20.0, samples=201)
    assert np.std(far[..., 0] / far[..., 2]) < 0.5 * np.std(ratio)


def test_refinement_is_exact():
    # Knot insertion re-expresses a cubic spline on finer knots without changing it.
    rng = np.random.default_rng(3)
    coef = spline_filter(rng.standard_normal((12, 14)) * 10.0, order=3, mode="nearest")
    fine, first = refine_coefficients(coef, 3)
    assert first == pytest.approx(0.875)
    x = rng.uniform(3.0, 9.0, 500)
    y = rng.uniform(3.0, 8.0, 500)
    coarse_val = map_coordinates(coef, [y, x], order=3, prefilter=False)
    fine_val = map_coordinates(fine, [(y - first) * 8.0, (x - first) * 8.0], order=3, prefilter=False)
    np.testing.assert_allclose(fine_val, coarse_val, atol=1e-11)


def test_level_agrees_with_its_parent_at_its_box_edge(terrain):
    level = terrain._levels[0]
    assert level.cell_m < 1.0  # finer than the DTM's 1 m posts
    e_lo, e_hi, n_lo, n_hi = level.box
    t = np.linspace(0.0, 1.0, 300)
    e = np.concatenate([np.full_like(t, e_lo), np.full_like(t, e_hi), e_lo + t * (e_hi - e_lo), e_lo + t * (e_hi - e_lo)])
    n = np.concatenate([n_lo + t * (n_hi - n_lo), n_lo + t * (n_hi - n_lo), np.full_like(t, n_lo), np.full_like(t, n_hi)])
    parent = terrain._levels[1]  # the 25 m ground level round the target (edlcam.mars.landforms)
    assert parent.cell_m == pytest.approx(25.0)
    np.testing.assert_allclose(level.read(e, n), parent.read(e, n), rtol=0.0, atol=1e-9)


def test_without_site_data_the_ground_is_procedural():
    mission = load_mission()
    cfg = mission.terrain.model_copy(update={"site_data": "none"})
    bare = Terrain.build(cfg, seed=mission.mission.seed)
    assert bare._site is None and all(level.cell_m >= 25.0 for level in bare._levels)
    # …whose level at the target is the procedural floor's, a few metres from the DTM's.
    assert abs(bare.target_altitude_m - Terrain.from_mission(mission).target_altitude_m) > 0.5


def _en_of_uv(terrain, u, v):
    inv = np.linalg.inv(np.vstack([terrain._site_uv, [0.0, 0.0, 1.0]]))
    en = inv[:2] @ np.vstack([u, v, np.ones_like(u)])
    return en[0], en[1]

