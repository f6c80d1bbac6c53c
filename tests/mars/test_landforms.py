"""Landforms of the mapped units: the delta's plateau and scarp, Kodiak, the units' crater retention."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from edlcam.mars.landforms import RETENTION_MIN_D_M
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission


@pytest.fixture(scope="module")
def terrain() -> Terrain:
    return Terrain.from_mission(load_mission())


def _median_altitude(terrain, east_m, north_m, half_m=100.0):
    """Median altitude [m] of the ground over a square (craters and roughness do not move it much)."""
    g = np.linspace(-half_m, half_m, 21)
    e, n = np.meshgrid(east_m + g, north_m + g)
    return float(np.median(terrain.altitude_m(e, n)))


def test_delta_stands_seventy_to_eighty_metres_above_the_floor_behind_a_scarp(terrain):
    # Mangold et al. (2021), Science 374:711: at Kodiak, a remnant of the delta front, the topset
    # bases lie at −2500 / −2490 m, 70–80 m above the floor (−2570 m); Mastcam-Z (sol 24): parts
    # of the front "more than 75 m" (Hawksbill Gap, the notch the rover climbed, ≈ 40 m). West of
    # the landing point, the floor 400 m in front of the mapped front against the top 400 m behind
    # it: 70–80 m, + up to 15 m where the median square holds the top's erosional remnants
    # (delta_relief_m), ± 5 m for the ground's craters and roughness.
    east = -np.arange(0.0, 5000.0, 10.0)
    front = east[np.argmax(terrain._units.sample(east, np.zeros_like(east))[terrain._units.index("delta")] > 0.5)]
    floor = _median_altitude(terrain, front + 400.0, 0.0)
    top = _median_altitude(terrain, front - 400.0, 0.0)
    assert 65.0 <= top - floor <= 100.0
    # The rise is a scarp, not a ramp: along the profile the ground climbs ≥ 25° somewhere
    # (est.: the front's upper cliffs steeper than the ≈ 30° Sun, mission file delta_scarp_width_m).
    east = np.arange(-3300.0, -1800.0, 5.0)
    profile = np.array([_median_altitude(terrain, e, 0.0, half_m=10.0) for e in east])
    steepest_deg = np.degrees(np.arctan(np.max(np.abs(np.diff(profile))) / 5.0))
    assert steepest_deg >= 25.0


def test_kodiak_is_a_butte_above_the_floor(terrain):
    # Kodiak, the delta remnant ≈ 2.2 km south-west of the landing point (Mangold et al. 2021,
    # Science 374:711), stands tens of metres above the floor round it.
    kodiak = _median_altitude(terrain, -2130.0, -750.0, half_m=40.0)
    floor = _median_altitude(terrain, -1500.0, -100.0)
    assert kodiak - floor >= 25.0


def test_crater_retention_scales_the_relief_of_large_craters_on_each_unit(terrain):
    # A unit's crater_retention multiplies the relief of craters ≥ 100 m: against the same ground
    # with every unit retaining all its craters, a point differs by (retention − 1) × that relief.
    cfg = load_mission().terrain
    keep_all = {k: v.model_copy(update={"crater_retention": 1.0}) for k, v in cfg.units.items()}
    full = Terrain.build(cfg.model_copy(update={"units": keep_all}), seed=load_mission().mission.seed)
    rng = np.random.default_rng(5)
    e, n = rng.uniform(-6000.0, -4000.0, 300), rng.uniform(1000.0, 3000.0, 300)  # the delta top
    w = terrain._units.sample(e, n)[terrain._units.index("delta")]
    e, n = e[w > 0.999], n[w > 0.999]
    big = (terrain._craters.feature_m >= RETENTION_MIN_D_M).astype(float)
    relief = terrain._craters.sample(e, n, big)
    retention = cfg.units["delta"].crater_retention
    got = terrain.altitude_m(e, n) - full.altitude_m(e, n)
    # The level holds the correction as a cubic spline on 25 m knots: it follows the relief of
    # ≥ 100 m craters within a few per cent of their depth (0.2 D ≥ 20 m): 1 m.
    np.testing.assert_allclose(got, (retention - 1.0) * relief, atol=1.0)
    assert np.std(relief) > 1.0  # the comparison has craters in it


def test_ground_level_agrees_with_the_raster_at_its_box_edge(terrain):
    level = terrain._levels[-1]
    assert level.cell_m == pytest.approx(25.0)
    e_lo, e_hi, n_lo, n_hi = level.box
    t = np.linspace(0.0, 1.0, 400)
    e = np.concatenate([np.full_like(t, e_lo), np.full_like(t, e_hi), e_lo + t * (e_hi - e_lo), e_lo + t * (e_hi - e_lo)])
    n = np.concatenate([n_lo + t * (n_hi - n_lo), n_lo + t * (n_hi - n_lo), np.full_like(t, n_lo), np.full_like(t, n_hi)])
    parent = map_coordinates(terrain._raster, [(n - terrain._raster_origin_m) / 200.0, (e - terrain._raster_origin_m) / 200.0],
                             order=3, mode="nearest", prefilter=False)  # fmt: skip
    np.testing.assert_allclose(level.read(e, n), parent, rtol=0.0, atol=1e-9)


def test_no_albedo_step_where_the_floor_meets_the_crater_wall(terrain):
    # The plains and the wall keep the unit map's background tone (mission file, est. from the TES
    # albedo map): the mean albedo of a 2 km patch on the floor just inside its edge and one on
    # the wall beyond it agree within 10 % (the wall's dust-free steep slopes darken by up to 25 %
    # only where steeper than 30°; the patches' mottling averages out over 2 km). The far side of
    # the crater from the landing point, where the LCAM sees the floor's edge from 8 km.
    cfg = terrain.config
    ce, cn = terrain.crater_center_m
    away = np.array([ce, cn]) / np.hypot(ce, cn)  # from the landing point through the centre
    radius = 0.5 * cfg.crater_diameter_m

    def mean_albedo(rho):
        e, n = np.array([ce, cn]) + away * rho * radius
        *_, rgb = terrain.heightmap(center_east_m=e, center_north_m=n, size_m=2000.0, samples=65)
        return float(np.asarray(rgb, float).mean())

    inside = mean_albedo(cfg.floor_radius_fraction - 0.05)
    wall = mean_albedo(cfg.floor_radius_fraction + 0.05)
    assert wall == pytest.approx(inside, rel=0.10)


def test_delta_top_is_cut_into_remnants_a_layer_package_high(terrain):
    # delta_relief_m (est.: one ≥ 10 m layer package, Mangold et al. 2021): over 2 km of the
    # delta top, the ground about its 500 m running median spans ≥ 0.8 × 15 m between its 5th and
    # 95th percentiles (flat tops and low ground between the remnants, steep sides); the crater
    # floor beside it, without remnants, spans less than half of that.
    from scipy.ndimage import median_filter

    east = -np.arange(0.0, 5000.0, 10.0)
    front = east[np.argmax(terrain._units.sample(east, np.zeros_like(east))[terrain._units.index("delta")] > 0.5)]

    def spread(center_east_m):
        _, _, up, _ = terrain.heightmap(center_east_m=center_east_m, center_north_m=0.0, size_m=2000.0, samples=401)
        p5, p95 = np.percentile(up - median_filter(up, size=101), [5.0, 95.0])
        return p95 - p5

    relief = terrain.config.delta_relief_m
    assert spread(front - 1500.0) >= 0.8 * relief
    assert spread(1500.0) < 0.5 * relief
