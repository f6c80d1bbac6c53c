"""The Jezero-like terrain: placement, published models, consistency and determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edlcam.config.terrain import TerrainConfig
from edlcam.mars import terrain as tm
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission

MARS_RADIUS_M = 3389.5e3  # NSSDC mean radius, for the curvature drop


@pytest.fixture(scope="module")
def terrain() -> Terrain:
    return Terrain.from_mission(load_mission())


def test_target_lies_on_the_crater_floor(terrain):
    cfg = terrain.config
    # REFERENCE.md: landed at 18.4447 N 77.4508 E on Jezero's floor, ≈ −2.5 km MOLA (−2.57 km);
    # local relief from small craters and roughness stays within a few tens of metres.
    assert terrain.target_altitude_m == pytest.approx(-2570.0, abs=60.0)
    dist = math.hypot(*terrain.crater_center_m)
    assert dist < cfg.floor_radius_fraction * 0.5 * cfg.crater_diameter_m  # on the floor…
    assert terrain.crater_center_m[0] > 0.0  # …in its western part (the centre lies east)


def test_crater_rim_rises_above_plains_and_floor(terrain):
    cfg = terrain.config
    ce, cn = terrain.crater_center_m
    az = np.radians(np.arange(0.0, 360.0, 5.0))
    radius = 0.5 * cfg.crater_diameter_m

    def ring(r):
        return terrain.altitude_m(ce + r * np.sin(az), cn + r * np.cos(az))

    rim, floor, plain = np.median(ring(radius)), np.median(ring(0.4 * radius)), np.median(ring(3.5 * radius))
    assert 200.0 < rim - plain < 800.0  # rim a few hundred m above the surroundings
    assert floor == pytest.approx(cfg.floor_altitude_m, abs=50.0)
    assert rim - floor > 500.0


def test_delta_is_higher_than_the_floor_and_west_of_the_target(terrain):
    # The delta front lies ≈ 2 km west-northwest of the landing site (NASA); on the delta the
    # ground stands a few tens of metres above the floor at the target.
    ce, cn = terrain.crater_center_m
    daz = math.radians(terrain.config.delta_azimuth_deg)
    inward = np.array([-math.sin(daz), -math.cos(daz)])  # from the apex toward the centre
    on_delta = np.array([ce, cn]) - inward * (0.5 * terrain.config.crater_diameter_m - 6000.0)
    assert on_delta[0] < -2000.0
    grid = on_delta[:, None] + np.stack(np.meshgrid(np.linspace(-300, 300, 7), np.linspace(-300, 300, 7))).reshape(2, -1)
    lift = np.median(terrain.altitude_m(grid[0], grid[1])) - terrain.config.floor_altitude_m
    assert 20.0 < lift < 150.0


def test_far_field_is_the_regional_plain(terrain):
    cfg = terrain.config
    far = cfg.model_radius_m + cfg.blend_width_m + 1.0
    z = terrain.altitude_m(np.array([far, -far, 3 * far]), np.array([0.0, 5.0, -far]))
    assert np.all(z == cfg.plain_altitude_m)
    assert terrain.altitude_at_latlon_m(0.0, 0.0) == cfg.plain_altitude_m  # ≈ 4,700 km away
    assert terrain.altitude_at_latlon_m(-18.4447, 257.4508) == cfg.plain_altitude_m  # the antipode


def test_altitude_at_latlon_matches_the_enu_query(terrain):
    assert terrain.altitude_at_latlon_m(18.4447, 77.4508) == pytest.approx(terrain.target_altitude_m, abs=1e-6)
    lat = np.array([18.40, 18.50, 18.80])
    lon = np.array([77.40, 77.60, 77.90])
    e, n = tm._latlon_to_en(lat, lon, 18.4447, 77.4508, terrain.ellipsoid)
    assert np.allclose(terrain.altitude_at_latlon_m(lat, lon), terrain.altitude_m(e, n), atol=1e-9)
    # 0.1° of latitude ≈ 5.9 km north on a 3390 km sphere
    _, n1 = tm._latlon_to_en(18.5447, 77.4508, 18.4447, 77.4508, terrain.ellipsoid)
    assert n1 == pytest.approx(math.radians(0.1) * MARS_RADIUS_M, rel=0.01)


def test_surface_up_is_altitude_minus_curvature_drop(terrain):
    e, n = np.array([0.0, 10_000.0, -30_000.0]), np.array([0.0, 0.0, 40_000.0])
    drop = terrain.altitude_m(e, n) - terrain.surface_up_m(e, n)
    # d²/2R: 14.7 m at 10 km, 369 m at 50 km on Mars (mean radius, NSSDC); R varies < 0.6 %.
    assert drop == pytest.approx((e**2 + n**2) / (2.0 * MARS_RADIUS_M), rel=0.006)
    assert drop[0] == 0.0


def test_scalar_and_batch_inputs(terrain):
    z0 = terrain.altitude_m(12.5, -40.0)
    assert isinstance(z0, float)
    e = np.array([[12.5, 100.0, -3000.0], [7.0, 8.0, 9.0]])
    n = np.array([-40.0, 5.0, 2500.0])  # broadcasts against e
    z = terrain.altitude_m(e, n)
    assert z.shape == (2, 3)
    assert z[0, 0] == z0
    assert z[1, 2] == terrain.altitude_m(9.0, 2500.0)
    assert terrain.surface_up_m(e, n, include_rocks=True).shape == (2, 3)
    assert np.isscalar(terrain.altitude_at_latlon_m(18.4, 77.4))


def test_rendered_ground_is_the_ground_the_flight_touched(terrain):
    # A rover at the touchdown point sits on the heightmap's ground: a 2.56 m patch at 1 cm
    # spacing leaves out only millimetre roughness (≈ 1.5 mm RMS at 3 cm wavelength, H = 0.8).
    ce, cn = 3.7, -2.1
    east, north, up, rgb = terrain.heightmap(center_east_m=ce, center_north_m=cn, size_m=2.56, samples=257)
    assert up.shape == east.shape == north.shape == (257, 257) and rgb.shape == (257, 257, 3)
    assert rgb.dtype == np.float32 and 0.0 <= rgb.min() and rgb.max() <= 1.0
    assert east[0, 1] > east[0, 0] and north[1, 0] > north[0, 0]  # rows north, columns east
    flight = terrain.surface_up_m(east, north)
    assert np.max(np.abs(up - flight)) < 0.005
    assert up[128, 128] == pytest.approx(terrain.surface_up_m(ce, cn), abs=0.005)


def test_coarse_heightmap_leaves_out_only_fine_detail(terrain):
    # From 11 km up, a 22 km tile at 43 m spacing: craters < 86 m and roughness < 86 m go, which
    # moves the ground by metres (omitted craters are < 17 m deep, omitted roughness ≈ 1 m RMS),
    # not by the tens of metres of the relief kept.
    east, north, up, _ = terrain.heightmap(center_east_m=0.0, center_north_m=0.0, size_m=22_000.0, samples=513)
    full = terrain.surface_up_m(east, north)
    diff = up - full
    assert np.sqrt(np.mean(diff**2)) < 5.0
    assert np.std(up) > 10.0  # the crater floor, delta and large craters are all there


def test_altitude_is_continuous_across_texture_wraps_and_rock_tiles(terrain):
    # A 300 m line sampled every millimetre crosses wrap edges of the 0.5–2 m crater textures
    # (periods 64–256 m) and many rock tiles; a cut crater would jump by up to 0.16 D.
    s = np.arange(0.0, 300.0, 0.001)
    e, n = -120.0 + s * 0.8, 40.0 + s * 0.6
    z = terrain.altitude_m(e, n)
    # 1 mm steps on slopes < 79° (mm-scale roughness is steep); a cut 0.5 m crater would jump 8 cm.
    assert np.max(np.abs(np.diff(z))) < 0.005
    # Rock tiles: both sides of a tile border, 0.1 µm apart.
    tile = tm._ROCK_TILE_PER_D * tm._ROCK_MIN_D_M
    xb = np.array([5 * tile - 1e-7, 5 * tile + 1e-7])
    for y in np.linspace(0.0, tile, 41):
        zb = terrain.altitude_m(xb, np.full(2, y), include_rocks=True)
        assert abs(zb[1] - zb[0]) < 1e-3


def test_deterministic_from_seed_and_tile_order_free():
    cfg = load_mission()
    a = Terrain.from_mission(cfg)
    b = Terrain.from_mission(cfg)
    c = Terrain.from_mission(cfg.with_seed(7))
    e, n = np.linspace(-5000, 5000, 101), np.linspace(3000, -2000, 101)
    assert np.array_equal(a.altitude_m(e, n), b.altitude_m(e, n))
    assert not np.allclose(a.altitude_m(e, n), c.altitude_m(e, n))
    box1 = dict(east_min_m=0.0, east_max_m=30.0, north_min_m=0.0, north_max_m=30.0)
    box2 = dict(east_min_m=-200.0, east_max_m=-150.0, north_min_m=10.0, north_max_m=60.0, min_diameter_m=0.2)
    r1a, r2a = a.rocks(**box1), a.rocks(**box2)
    r2b, r1b = b.rocks(**box2), b.rocks(**box1)  # other order
    for key in r1a:
        assert np.array_equal(r1a[key], r1b[key]) and np.array_equal(r2a[key], r2b[key])


def test_crater_counts_follow_the_size_frequency_distribution(terrain):
    cfg = terrain.config
    for d_lo, period_m, diameters, _ in terrain._crater_catalog:
        cum = lambda d: tm.crater_cumulative_density_per_m2(d, age_gyr=cfg.floor_age_gyr, equilibrium_fraction=cfg.equilibrium_fraction)  # noqa: E731
        expected = (cum(d_lo) - cum(2 * d_lo)) * period_m**2
        assert abs(len(diameters) - expected) < 4.0 * math.sqrt(expected) + 1, d_lo  # 4σ Poisson
        assert np.all((diameters >= d_lo) & (diameters < 2 * d_lo))
        if expected > 200:
            below = (cum(d_lo) - cum(math.sqrt(2) * d_lo)) / (cum(d_lo) - cum(2 * d_lo))
            p = np.mean(diameters < math.sqrt(2) * d_lo)
            assert abs(p - below) < 4.0 * math.sqrt(below * (1 - below) / len(diameters)), d_lo


def test_production_function_and_chronology_agree_with_published_values():
    # Ivanov (2001) PF is normalised to the Hartmann & Neukum (2001) chronology's linear term:
    # N(>1 km) = 4.13e-4 km^-2 per Gyr for young surfaces.
    assert 10.0 ** tm.ivanov_production_log10(1.0) == pytest.approx(4.13e-4, rel=1e-3)
    assert tm.hartmann_neukum_n1_per_km2(1.0) == pytest.approx(4.13e-4, rel=0.01)
    # Before ≈ 3 Gyr the exponential (late heavy bombardment) term takes over: at 4 Gyr it is
    # 2.68e-14 e^27.72 ≈ 0.029 km^-2, some 18 times the linear 4.13e-4 × 4.
    assert tm.hartmann_neukum_n1_per_km2(4.0) == pytest.approx(2.68e-14 * math.expm1(27.72) + 4.13e-4 * 4.0, rel=1e-12)
    assert tm.hartmann_neukum_n1_per_km2(2.0) < 1.5 * 4.13e-4 * 2.0
    # The PF is steep (≈ D^-3) at 15–100 m and flattens toward D^-2 at a few km.
    slope_small = (tm.ivanov_production_log10(0.1) - tm.ivanov_production_log10(0.015)) / math.log10(0.1 / 0.015)
    slope_km = (tm.ivanov_production_log10(5.0) - tm.ivanov_production_log10(2.0)) / math.log10(2.5)
    assert -3.6 < slope_small < -2.8
    assert -2.3 < slope_km < -0.8
    # The equilibrium cap is a few % of geometric saturation 1.54 D^-2 (Gault 1970).
    n10 = tm.crater_cumulative_density_per_m2(10.0, age_gyr=3.5, equilibrium_fraction=0.05)
    assert n10 == pytest.approx(0.05 * 1.54 / 100.0, rel=1e-12)


def test_fresh_crater_shape(terrain):
    # Pike (1977): depth 0.2 D below the rim, rim 0.04 D above the ground; ejecta ∝ (r/R)^-3.
    d = 10.0
    prof = tm.simple_crater_profile(np.array([0.0, 1.0, 1.5, 2.0, 3.0]), 0.2 * d, 0.04 * d)
    assert prof[1] - prof[0] == pytest.approx(0.2 * d)
    assert prof[1] == pytest.approx(0.04 * d)
    assert prof[2] == pytest.approx(0.4 * (1.5**-3 - 0.125) / 0.875)
    assert prof[3] == 0.0 and prof[4] == 0.0
    # Complex craters are shallower: Garvin et al. (2003) d = 0.36 D^0.49 km ⇒ 1.1 km at 10 km.
    assert tm.crater_depth_m(10_000.0, 0.2) == pytest.approx(360.0 * 10.0**0.49, rel=1e-12)


def test_rock_cumulative_area_follows_golombek_and_rapp(terrain):
    k = terrain.config.rock_abundance_k
    q = tm.rock_q(k)
    assert q == pytest.approx(1.79 + 0.152 / k)
    d_max = terrain.config.rock_max_diameter_m
    area = 120.0 * 120.0
    r = terrain.rocks(east_min_m=-60.0, east_max_m=60.0, north_min_m=-60.0, north_max_m=60.0, min_diameter_m=0.1)
    for d in (0.1, 0.2, 0.4, 0.8):
        sel = r["diameter_m"] >= d
        observed = np.sum(math.pi * r["diameter_m"][sel] ** 2 / 4.0) / area
        expected = tm.rock_fractional_area(d, k) - tm.rock_fractional_area(d_max, k)
        # Poisson variance of the covered area: ∫ n(D) (πD²/4)² dD over the box.
        x = np.geomspace(d, d_max, 400)
        var = np.trapezoid(tm._rock_number_density(x, k) * (math.pi * x**2 / 4.0) ** 2, x) / area
        assert abs(observed - expected) < 4.0 * math.sqrt(var), d
    # Rocks stand on the ground and have heights ≈ 0.5 D (Golombek et al. 2008).
    assert np.allclose(r["up_m"], terrain.surface_up_m(r["east_m"], r["north_m"]))
    assert np.median(r["height_m"] / r["diameter_m"]) == pytest.approx(0.5, abs=0.05)


def test_rocks_raise_the_ground_only_where_they_stand(terrain):
    r = terrain.rocks(east_min_m=0.0, east_max_m=20.0, north_min_m=0.0, north_max_m=20.0, min_diameter_m=0.3)
    i = int(np.argmax(r["diameter_m"]))
    e0, n0 = r["east_m"][i], r["north_m"][i]
    top = terrain.altitude_m(e0, n0, include_rocks=True) - terrain.altitude_m(e0, n0)
    assert top == pytest.approx(r["height_m"][i], rel=1e-9) or top > r["height_m"][i]  # another rock may overlap
    e, n = np.array([e0 + 2.0 * r["diameter_m"][i]]), np.array([n0])
    bare = terrain.altitude_m(np.array([-3000.0]), np.array([-3000.0]))
    assert terrain.altitude_m(e, n, include_rocks=True) >= terrain.altitude_m(e, n)
    assert np.isfinite(bare).all()


def test_rocks_refuse_a_box_with_too_many():
    t = Terrain.from_mission(load_mission())
    with pytest.raises(ValueError) as err:
        t.rocks(east_min_m=0.0, east_max_m=1000.0, north_min_m=0.0, north_max_m=1000.0)
    assert str(err.value).startswith("rocks(): the box 1000 m × 1000 m holds ≈ ")
    assert str(err.value).endswith(
        "rocks of diameter ≥ 0.05 m, above the limit of 200,000; shrink the box or raise min_diameter_m"
    )
    # The same box with metre-sized rocks only is fine.
    assert len(t.rocks(east_min_m=0.0, east_max_m=1000.0, north_min_m=0.0, north_max_m=1000.0, min_diameter_m=1.0)["east_m"]) > 0


def test_config_defaults_match_the_mission_file():
    assert load_mission().terrain == TerrainConfig()


def test_equilibrium_diameter_is_where_production_meets_the_cap():
    # Shahrzad et al. (2019): the floor's model age 2.6 Ga (Hartmann). Below D_eq the count is the
    # equilibrium cap (a few % of geometric saturation), above it the production function.
    d_eq = tm.crater_equilibrium_diameter_m(age_gyr=2.6, equilibrium_fraction=0.05)
    assert 30.0 < d_eq < 120.0
    prod = lambda d: tm.crater_cumulative_density_per_m2(d, age_gyr=2.6, equilibrium_fraction=1.0)  # noqa: E731
    cap = lambda d: 0.05 * 1.54 / d**2  # noqa: E731
    assert prod(0.9 * d_eq) > cap(0.9 * d_eq) and prod(1.1 * d_eq) < cap(1.1 * d_eq)  # one grid step is 3.7 %
    # An ancient, saturated surface has no such diameter below 100 km.
    assert tm.crater_equilibrium_diameter_m(age_gyr=4.4, equilibrium_fraction=1e-4) == math.inf


def test_crater_degradation_follows_steady_diffusion():
    # Ages uniform over the visible lifetime, depth ∝ 1 / (1 + t/t0) (Fassett & Thomson 2014):
    # fresh at u = 0, the visibility limit f_v at u → 1, and in equilibrium a share
    # (1/0.5 − 1) / (1/f_v − 1) = 1/9 of the craters keep more than half their fresh depth.
    u = (np.arange(100_000) + 0.5) / 100_000
    f = tm.crater_degradation(np.full(u.size, 10.0), u, equilibrium_diameter_m=60.0, visible_depth_fraction=0.1)
    assert f.max() == pytest.approx(1.0, abs=1e-4) and f.min() == pytest.approx(0.1, rel=1e-3)
    assert np.mean(f > 0.5) == pytest.approx(1.0 / 9.0, abs=1e-4)
    # Above D_eq the surface is younger than a crater's visible life, which grows as D²:
    # at 10 D_eq even the oldest keep 1 / (1 + 9/100) of their depth.
    big = tm.crater_degradation(np.full(u.size, 600.0), u, equilibrium_diameter_m=60.0, visible_depth_fraction=0.1)
    assert big.min() == pytest.approx(1.0 / 1.09, rel=1e-3)


def test_texture_craters_are_mostly_degraded_below_the_equilibrium_diameter(terrain):
    cfg = terrain.config
    d_eq = tm.crater_equilibrium_diameter_m(age_gyr=cfg.floor_age_gyr, equilibrium_fraction=cfg.equilibrium_fraction)
    fresh_share = (0.5**-1 - 1.0) / (1.0 / cfg.crater_visible_depth_fraction - 1.0)
    small = np.concatenate([f for d_lo, _, d, f in terrain._crater_catalog if 2 * d_lo <= d_eq])
    p = np.mean(small > 0.5)
    assert abs(p - fresh_share) < 4.0 * math.sqrt(fresh_share * (1 - fresh_share) / small.size)
    # The largest texture craters (≥ 16 D_eq) stay crisp: every one keeps ≥ 0.9 of its depth.
    large = np.concatenate([f for d_lo, _, d, f in terrain._crater_catalog if d_lo >= 16 * d_eq])
    assert large.size > 0 and large.min() >= 1.0 / (1.0 + 9.0 / 256.0) - 1e-9


def test_albedo_patches_vary_at_every_scale_of_the_floor(terrain):
    # The shipped HiRISE orthomosaic shows about equal brightness variance in each factor-4 band
    # from 1.6 to 400 m (terrain_layers._build_albedo_layers): the rendered floor's albedo must too,
    # not blobs of a few sizes. Floor 3 km north of the landing point (Máaz, outside the HiRISE
    # patch), 2 m spacing; RMS of the relative albedo per band within a factor 1.6 of each other.
    n = 1025
    _, _, _, rgb = terrain.heightmap(center_east_m=0.0, center_north_m=3000.0, size_m=2.0 * (n - 1), samples=n)
    grey = rgb.mean(axis=2).astype(np.float64)
    rel = grey / grey.mean() - 1.0
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(n, d=2.0), np.fft.fftfreq(n, d=2.0)))
    spec = np.abs(np.fft.fft2(rel)) ** 2
    rms = [math.sqrt(spec[(k > 1.0 / lam) & (k <= 4.0 / lam)].sum()) / n**2 for lam in (400.0, 100.0, 25.0)]  # Parseval
    assert max(rms) / min(rms) < 1.6, rms


def test_a_grid_keeps_every_noise_band_it_can_show_without_aliasing(terrain):
    # The albedo bands are band-limited: at 8 m spacing (the LCAM's finest ring texels at 2.5 km)
    # the 25–100 m band (shortest wavelength 3 samples, above Nyquist) is kept whole, as a 2 m
    # grid shows it: its RMS within 10 % of the fine grid's (the old 4-to-2-sample fade kept 56 %).
    def band_rms(spacing_m, samples):
        _, _, _, rgb = terrain.heightmap(center_east_m=0.0, center_north_m=3000.0, size_m=spacing_m * (samples - 1), samples=samples)
        rel = rgb.mean(axis=2) / rgb.mean() - 1.0
        k = np.hypot(*np.meshgrid(np.fft.fftfreq(samples, d=spacing_m), np.fft.fftfreq(samples, d=spacing_m)))
        spec = np.abs(np.fft.fft2(rel)) ** 2
        return math.sqrt(spec[(k > 1.0 / 100.0) & (k <= 1.0 / 25.0)].sum()) / samples**2

    fine, coarse = band_rms(2.0, 1025), band_rms(8.0, 257)
    assert coarse == pytest.approx(fine, rel=0.10)
