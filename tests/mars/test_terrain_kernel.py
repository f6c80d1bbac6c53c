"""The compiled ground query equals Terrain's numpy reference, and its altitude bound holds."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from edlcam.mars import terrain_kernel as tk
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission

MICROMETRE_M = 1e-6  # the brief's agreement: far below any sensor (radar ±0.1 m) or a time step's travel


@pytest.fixture(scope="module")
def terrain() -> Terrain:
    return Terrain.from_mission(load_mission())


@pytest.fixture(scope="module")
def tables(terrain):
    return terrain.kernel_tables()


@numba.njit(cache=True)
def _batch(tables, east_m, north_m, up):
    out = np.empty(east_m.size)
    for i in range(east_m.size):
        out[i] = tk.ground_up_m(tables, east_m[i], north_m[i]) if up else tk.ground_altitude_m(tables, east_m[i], north_m[i])
    return out


def _disc(rng, r_lo_m, r_hi_m, count):
    """``count`` points uniform in area in the ring r_lo ≤ r < r_hi around the target."""
    r = np.sqrt(rng.uniform(r_lo_m**2, r_hi_m**2, count))
    az = rng.uniform(0.0, 2.0 * np.pi, count)
    return r * np.sin(az), r * np.cos(az)


def _point_sets(terrain):
    cfg = terrain.config
    rng = np.random.default_rng(20210218)
    edge_m = -terrain._raster_origin_m  # the raster spans ±edge_m on both axes
    ring_lo, ring_hi = cfg.model_radius_m, cfg.model_radius_m + cfg.blend_width_m
    sets = {
        "inside": _disc(rng, 0.0, cfg.model_radius_m, 2000),
        "blend ring": _disc(rng, ring_lo, ring_hi, 500),
        # The spline's taps leave the raster within 2 cells of its edge, where the ring still has
        # weight > 0 near the axes: both sides of each edge, on and off the axes.
        "raster edge": (
            np.concatenate([np.linspace(edge_m - 800.0, edge_m + 800.0, 200), rng.uniform(-2000.0, 2000.0, 200),
                            np.linspace(-edge_m - 800.0, -edge_m + 800.0, 200), rng.uniform(-2000.0, 2000.0, 200)]),
            np.concatenate([rng.uniform(-2000.0, 2000.0, 200), np.linspace(-edge_m - 800.0, -edge_m + 800.0, 200),
                            rng.uniform(-2000.0, 2000.0, 200), np.linspace(edge_m - 800.0, edge_m + 800.0, 200)]),
        ),  # fmt: skip
        "beyond the raster": (rng.uniform(edge_m, 1.5 * edge_m, 200) * rng.choice([-1.0, 1.0], 200),
                              rng.uniform(edge_m, 1.5 * edge_m, 200) * rng.choice([-1.0, 1.0], 200)),  # fmt: skip
        "far away": _disc(rng, 200e3, 900e3, 300),
        "target": (np.zeros(1), np.zeros(1)),
    }
    # The real ground's finer level (site_ground): inside its box and across each of its edges.
    e_lo, e_hi, n_lo, n_hi = terrain._levels[0].box
    across = np.concatenate([np.full(100, e_lo), np.full(100, e_hi)]) + rng.uniform(-1.0, 1.0, 200)
    along = rng.uniform(n_lo - 20.0, n_hi + 20.0, 200)
    sets["site level"] = (
        np.concatenate([rng.uniform(e_lo - 30.0, e_hi + 30.0, 1000), across, rng.uniform(e_lo - 20.0, e_hi + 20.0, 200)]),
        np.concatenate([rng.uniform(n_lo - 30.0, n_hi + 30.0, 1000), along,
                        np.concatenate([np.full(100, n_lo), np.full(100, n_hi)]) + rng.uniform(-1.0, 1.0, 200)]),
    )  # fmt: skip
    return {k: (np.ascontiguousarray(e, dtype=float), np.ascontiguousarray(n, dtype=float)) for k, (e, n) in sets.items()}


@pytest.mark.parametrize("where", ["inside", "blend ring", "raster edge", "beyond the raster", "far away", "target", "site level"])
def test_kernel_equals_terrain_altitude_and_up(terrain, tables, where):
    east, north = _point_sets(terrain)[where]
    np.testing.assert_allclose(_batch(tables, east, north, False), terrain.altitude_m(east, north), rtol=0.0, atol=MICROMETRE_M)
    np.testing.assert_allclose(_batch(tables, east, north, True), terrain.surface_up_m(east, north), rtol=0.0, atol=MICROMETRE_M)


def test_kernel_scalar_calls_from_python(terrain, tables):
    # The dispatcher works from Python too (scalars in, float out), at the target and far away.
    assert tk.ground_altitude_m(tables, 0.0, 0.0) == pytest.approx(terrain.target_altitude_m, abs=MICROMETRE_M)
    assert tk.ground_altitude_m(tables, 5e5, -3e5) == terrain.config.plain_altitude_m
    assert tk.ground_up_m(tables, 1234.5, -678.9) == pytest.approx(terrain.surface_up_m(1234.5, -678.9), abs=MICROMETRE_M)


def test_outside_the_model_nothing_is_read(terrain, tables):
    # Every grid and texture replaced by NaN: points with model weight 0 still return the plain,
    # so the kernel returns before reading any of them; a point inside does read them.
    poisoned = list(tables)
    for i, item in enumerate(tables):
        if isinstance(item, np.ndarray) and item.dtype.kind == "f" and i not in (10, 13):  # keep layer params
            bad = np.full(item.shape, np.nan, dtype=item.dtype)
            bad.flags.writeable = False
            poisoned[i] = bad
    poisoned = tuple(poisoned)
    cfg = terrain.config
    edge_r = cfg.model_radius_m + cfg.blend_width_m
    assert tk.ground_altitude_m(poisoned, edge_r, 0.0) == cfg.plain_altitude_m
    assert tk.ground_altitude_m(poisoned, -3e5, 4e5) == cfg.plain_altitude_m
    assert np.isnan(tk.ground_altitude_m(poisoned, 0.0, 0.0))


def test_crater_and_noise_layers_mirror_the_float32_arithmetic(terrain, tables):
    # The layer reads equal _Layers.sample to 1 nm; evaluated in float64 instead they differ by
    # ≈ 7 µm (the crater textures hold up to hundreds of metres), so this pins the float32 path.
    rng = np.random.default_rng(7)
    east, north = rng.uniform(-8e4, 8e4, 1000), rng.uniform(-8e4, 8e4, 1000)
    for layers, (tex, index, params) in ((terrain._craters, tables[8:11]), (terrain._noise, tables[11:14])):
        ref = layers.sample(east, north, np.ones(layers.cell_m.size))
        got = np.array([tk._layers_sum(tex, index, params, e, n) for e, n in zip(east, north)])
        np.testing.assert_allclose(got, ref, rtol=0.0, atol=1e-9)


def _scipy_cubic(coef, x, y):
    return map_coordinates(coef, [y, x], order=3, mode="nearest", prefilter=False)


def _scipy_linear(grid, x, y):
    return map_coordinates(grid, [y, x], order=1, mode="nearest")


@pytest.mark.parametrize("shape", [(7, 9), (4, 4), (12, 5)])
def test_spline_reads_match_scipy_inside_near_and_beyond_edges(shape):
    rng = np.random.default_rng(sum(shape))
    grid = rng.standard_normal(shape)
    ny, nx = shape
    x = np.concatenate([rng.uniform(-4.0, nx + 3.0, 3000), [-1e6, 1e6, -0.5, nx - 0.5, 0.0, nx - 1.0]])
    y = np.concatenate([rng.uniform(-4.0, ny + 3.0, 3000), [1e6, -1e6, ny - 0.5, -0.5, ny - 1.0, 0.0]])
    cubic = np.array([tk.cubic_bspline_read(grid, a, b) for a, b in zip(x, y)])
    linear = np.array([tk.linear_read(grid, a, b) for a, b in zip(x, y)])
    np.testing.assert_allclose(cubic, _scipy_cubic(grid, x, y), rtol=0.0, atol=1e-12)
    np.testing.assert_allclose(linear, _scipy_linear(grid, x, y), rtol=0.0, atol=1e-12)


def test_raster_reads_match_scipy_at_the_terrain_raster_edges(terrain, tables):
    raster, rough = tables[0], tables[1]
    ny, nx = raster.shape
    rng = np.random.default_rng(11)
    near = np.concatenate([rng.uniform(-6.0, 3.0, 500), rng.uniform(nx - 4.0, nx + 5.0, 500)])
    across = rng.uniform(-6.0, nx + 5.0, 1000)
    for x, y in ((near, across), (across, near)):
        cubic = np.array([tk.cubic_bspline_read(raster, a, b) for a, b in zip(x, y)])
        linear = np.array([tk.linear_read(rough, a, b) for a, b in zip(x, y)])
        np.testing.assert_allclose(cubic, _scipy_cubic(terrain._raster, x, y), rtol=0.0, atol=1e-9)
        np.testing.assert_allclose(linear, _scipy_linear(terrain._aux[0], x, y), rtol=0.0, atol=1e-12)


def test_altitude_bound_holds_everywhere(terrain, tables):
    bound = tk.max_altitude_bound_m(tables)
    for east, north in _point_sets(terrain).values():
        assert np.all(_batch(tables, east, north, False) <= bound)
    # A dense grid over the whole model (125 m, off the raster nodes) and a finer one over the
    # host crater's rim, where the ground is highest.
    axis = np.arange(-100_000.0, 100_000.0, 125.0) + 37.0
    east, north = (g.reshape(-1).copy() for g in np.meshgrid(axis, axis))
    grid_max = _batch(tables, east, north, False).max()
    ce, cn = terrain.crater_center_m
    fine = np.arange(-30_000.0, 30_000.0, 40.0) + 3.0
    fe, fn = (g.reshape(-1).copy() for g in np.meshgrid(ce + fine, cn + fine))
    fine_max = _batch(tables, fe, fn, False).max()
    assert max(grid_max, fine_max) <= bound
    # …and it is a bound of the ground, not of something far above it: within a few hundred metres.
    assert bound - max(grid_max, fine_max) < 500.0


@numba.njit(cache=True)
def _upper_batch(tables, east_m, north_m):
    out = np.empty(east_m.size)
    for i in range(east_m.size):
        out[i] = tk.ground_upper_bound_m(tables, east_m[i], north_m[i])
    return out


def test_tile_bound_holds_everywhere_and_is_local(terrain, tables):
    # The flight skips the full ground read where this cheap bound says the ground is far below:
    # it must hold at every point — in every tile, at the raster's edges and beyond, in the blend
    # ring and outside the model — and be the plain wherever the plain is the ground.
    sets = _point_sets(terrain)
    axis = np.arange(-101_000.0, 101_000.0, 61.0) + 0.5  # every tile, several points each, past the raster edges
    east, north = (g.reshape(-1).copy() for g in np.meshgrid(axis, axis))
    sets["grid"] = (east, north)
    for where, (e, n) in sets.items():
        ground, upper = _batch(tables, e, n, False), _upper_batch(tables, e, n)
        assert np.all(ground <= upper), where
        outside = np.hypot(e, n) >= terrain.config.model_radius_m + terrain.config.blend_width_m
        assert np.all(upper[outside] == ground[outside]), where
    # Local, not global: over the model, the bound exceeds the ground by a few hundred metres
    # (the detail's largest excursion, ≈ 200 m, plus the spline's local range), far less than the
    # global bound does on the crater floor.
    inside = np.hypot(east, north) < terrain.config.model_radius_m
    slack = (_upper_batch(tables, east, north) - _batch(tables, east, north, False))[inside]
    assert np.median(slack) < 400.0
    assert np.median(tk.max_altitude_bound_m(tables) - _batch(tables, east, north, False)[inside]) > 800.0


def test_bound_is_a_bound_of_each_term():
    # Tiny synthetic tables where each term reaches its extreme: the bound must not fall below the
    # exact maximum of base + w (C + r N) over the extremes of its parts.
    tex = np.zeros((1, 4, 4), dtype=np.float32)
    tex[0, 0, 0], tex[0, 2, 2] = 3.0, -5.0
    index = np.zeros(1, dtype=np.int64)
    crater_params = np.array([[1.0, 1.0, 0.0, 0.0, 0.0, 2.0]])
    noise_params = np.array([[1.0, 1.0, 0.0, 0.0, 0.0, -1.5]])  # negative amplitude: min texture counts
    raster = np.full((3, 3), -100.0)
    raster[1, 1] = 40.0
    rough = np.array([[0.2, 0.9], [0.5, 0.3]])
    tables = (raster, rough, -1.0, 1.0, 10.0, 1.0, -300.0, 1e6, tex, index, crater_params, tex, index, noise_params)
    bound = tk.max_altitude_bound_m(tables)
    exact_parts = 40.0 + 2.0 * 3.0 + 0.9 * (-1.5 * -5.0)
    assert bound >= exact_parts
    assert bound == pytest.approx(exact_parts, rel=1e-4)


def test_tables_are_cached_read_only_and_leave_the_terrain_writable(terrain):
    first = terrain.kernel_tables()
    assert terrain.kernel_tables() is first
    arrays = [t for t in first if isinstance(t, np.ndarray)]
    assert arrays and all(a.flags.c_contiguous and not a.flags.writeable for a in arrays)
    assert first[0].dtype == np.float64 and first[8].dtype == np.float32 and first[9].dtype == np.int64
    assert np.shares_memory(first[0], terrain._raster)  # a view, not a copy (≈ 70 MB in all)
    assert terrain._raster.flags.writeable


def test_slope_bound_holds_between_nearby_and_distant_points(terrain, tables):
    # Under the sky crane the flight re-reads the ground only where this bound from its last full
    # read allows touchdown: |g(p) − g(q)| ≤ L |p − q| + ε must hold for any two points of the model,
    # at the finest noise texel (0.24 mm) and up to kilometres apart.
    slope, slack = tk.ground_slope_bound(tables)
    assert (slope, slack) == tuple(tables[16:18])
    assert slope < 100.0 and slack < 0.05  # useful: a few cm of drift cost a metre at most
    rng = np.random.default_rng(11)
    radius = terrain.config.model_radius_m + terrain.config.blend_width_m
    for near_m, far_m, count in ((0.0, 400.0, 20_000), (0.0, 5_000.0, 20_000), (0.0, radius, 20_000)):
        e, n = _disc(rng, near_m, far_m, count)
        for step_m in (1e-4, 3e-3, 0.05, 1.0, 30.0, 2_000.0):
            az = rng.uniform(0.0, 2.0 * np.pi, count)
            e2, n2 = e + step_m * np.sin(az), n + step_m * np.cos(az)
            keep = np.hypot(e2, n2) < radius
            g1 = _batch(tables, e[keep], n[keep], False)
            g2 = _batch(tables, e2[keep], n2[keep], False)
            dist = np.hypot(e2 - e, n2 - n)[keep]
            assert np.all(np.abs(g1 - g2) <= slope * dist + slack), (far_m, step_m)


@numba.njit(cache=True)
def _weights_both_ways(tables, east_m, north_m):
    """For each point: the model weight by the full formula (hypot), and the queries' answers."""
    out = np.empty((east_m.size, 3))
    for i in range(east_m.size):
        out[i, 0] = tk._blend_weight(east_m[i], north_m[i], tables[4], tables[5])
        out[i, 1] = tk.ground_altitude_m(tables, east_m[i], north_m[i])
        out[i, 2] = tk.ground_upper_bound_m(tables, east_m[i], north_m[i])
    return out


def test_the_queries_skip_hypot_only_where_it_cannot_change_their_answer(tables):
    """ground_altitude_m and ground_upper_bound_m skip glibc's hypot inside a radius 1 m short of
    the edge that matters (the model's radius; its outer blend edge): there the full formula gives
    weight exactly 1, and weight > 0. Points straddling both edges by micrometres to metres, NaN."""
    radius, blend = float(tables[4]), float(tables[5])
    offsets = np.concatenate([-np.logspace(-6, 1, 40), [0.0], np.logspace(-6, 1, 40)])
    az = np.linspace(0.1, 6.2, offsets.size)
    r = np.concatenate([radius + offsets, radius - 1.0 + offsets, radius + blend + offsets, radius + blend - 1.0 + offsets])
    azs = np.tile(az, 4)
    east, north = r * np.sin(azs), r * np.cos(azs)
    east, north = np.append(east, [np.nan, 0.0]), np.append(north, [0.0, np.nan])
    got = _weights_both_ways(tables, east, north)
    weight = got[:, 0]
    inner = east * east + north * north < (radius - 1.0) ** 2
    assert np.all(weight[inner] == 1.0)  # so ground_altitude_m's shortcut (weight 1) is exact there
    outer = east * east + north * north < (radius + blend - 1.0) ** 2
    assert np.all(weight[outer] > 0.0)  # so ground_upper_bound_m's shortcut (a tile's bound) is right there
    # Outside the model both return the plain; NaN points: altitude the plain, bound +inf (as before).
    plain = float(tables[6])
    gone = ~(weight > 0.0)
    assert np.all(got[gone & ~np.isnan(east) & ~np.isnan(north), 1] == plain)
    assert np.isinf(got[-1, 2]) and np.isinf(got[-2, 2]) and got[-1, 1] == plain
