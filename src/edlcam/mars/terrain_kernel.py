"""Compiled point query of the ground's altitude, for the numba flight kernel.

The flight asks for the ground under the vehicle at every integration step, one point at a time,
from inside a numba-compiled trajectory kernel. :class:`edlcam.mars.terrain.Terrain` answers with
numpy and :func:`scipy.ndimage.map_coordinates`: one Python call per batch. That costs tens of
microseconds even for one point, and a numba kernel cannot call it at all. No library evaluates
these spline reads from inside a numba kernel, so this module does them by hand for one scalar
point. It mirrors, operation for operation, what ``Terrain.altitude_m`` / ``Terrain.surface_up_m``
compute at full detail (spacing 0) without rocks:

* the base raster: ``map_coordinates(order=3, prefilter=False, mode="nearest")``, a cubic B-spline
  on the prefiltered coefficients. At the edges SciPy (≥ 1.6) leaves the coordinate alone and
  clamps each of the 4 taps per axis into the array, so a point beyond the edge reads the edge
  coefficients (checked against SciPy in tests/mars/test_terrain_kernel.py);
* the roughness factor ``_aux[0]``: ``map_coordinates(order=1, mode="nearest")``, bilinear with
  the taps clamped the same way;
* the model weight ``1 − smoothstep((r − model_radius) / blend_width)``; where it is 0 the ground
  is the plain and nothing else is read (the entry flies hundreds of km from the target);
* the crater and roughness layers (``_Layers.sample``): quadratic B-spline, 9 taps of periodic
  float32 textures, with the fractional offsets, the weights and the 9-tap sum in float32 exactly
  as numpy computes them (a crater texture holds hundreds of metres, where float32 and float64
  differ by more than a micrometre).

Terrain's numpy code stays the reference: the cameras and the radar use it, and the tests require
the two to agree within 1 µm. :meth:`Terrain.kernel_tables` packs the terrain into the tuple
these functions take (:func:`pack_tables` defines its layout).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "pack_tables",
    "ground_altitude_m",
    "ground_up_m",
    "curvature_drop_m",
    "max_altitude_bound_m",
    "ground_upper_bound_m",
    "ground_bound_tiles",
    "base_altitude_m",
    "LEVEL_SLOTS",
    "cubic_bspline_read",
    "linear_read",
]

# Float32 constants: numba would promote float32 ⊕ Python float to float64, numpy (NEP 50) does not.
_F32_HALF = np.float32(0.5)
_F32_THREE_QUARTERS = np.float32(0.75)

# Column order of the per-layer float parameters in the tables.
_INV_CELL, _COS, _SIN, _OFF_X, _OFF_Y, _AMPLITUDE = range(6)

# Relative slack of the altitude bound for the float32 layer reads: their weights are rounded to
# float32 (Σw = 1 within a few 2^-24) and the 9-tap sum adds a rounding per operation, together
# well below 1e-6 of the largest texture value; 1e-5 covers that tenfold.
_BOUND_SLACK = 1e-5


def _read_only(array, dtype) -> np.ndarray:
    """A C-contiguous read-only view (a copy only if the dtype or layout differ)."""
    view = np.ascontiguousarray(array, dtype=dtype).view()
    view.flags.writeable = False
    return view


def _layer_table(layers):
    """(texture index int64 (L,), parameters float64 (L, 6)) of a ``_Layers`` at full detail."""
    params = np.column_stack(
        [1.0 / layers.cell_m, layers.cos_t, layers.sin_t, layers.offset_x, layers.offset_y, layers.amplitude]
    )
    return _read_only(layers.layer_texture, np.int64), _read_only(params, np.float64)


# Finer levels of the base raster (edlcam.mars.terrain_levels) the tables hold, finest first: a
# slot without a level holds a 4 × 4 zero grid and a box no point is in.
LEVEL_SLOTS = 2
_EMPTY_BOX = (math.inf, -math.inf, math.inf, -math.inf)


def _level_slots(levels) -> list:
    """[coefficients, parameters] × LEVEL_SLOTS for the tables (parameters: origin east, origin
    north, cell [m], then the box east_lo, east_hi, north_lo, north_hi [m])."""
    levels = tuple(levels)
    if len(levels) > LEVEL_SLOTS:
        raise ValueError(f"the compiled ground query reads at most {LEVEL_SLOTS} finer levels, got {len(levels)}")
    out = []
    for k in range(LEVEL_SLOTS):
        if k < len(levels):
            out += [_read_only(levels[k].coef, np.float64), _read_only(levels[k].params(), np.float64)]
        else:
            out += [_read_only(np.zeros((4, 4)), np.float64), _read_only(np.array([0.0, 0.0, 1.0, *_EMPTY_BOX]), np.float64)]
    return out


def _levels_of(tables) -> list:
    """(coefficients, parameters) of the finer levels in use in ``tables`` (none in the 14-item form)."""
    if len(tables) <= _LEVELS_AT:
        return []
    pairs = [(tables[_LEVELS_AT + 2 * k], tables[_LEVELS_AT + 2 * k + 1]) for k in range(LEVEL_SLOTS)]
    return [(coef, params) for coef, params in pairs if params[3] <= params[4]]


_LEVELS_AT = 18  # index of the first level's coefficients in the tables


def pack_tables(*, raster, roughness, origin_m, cell_m, model_radius_m, blend_width_m, plain_altitude_m,
                curvature_radius_m, craters, noise, levels=()) -> tuple:  # fmt: skip
    """The tuple the compiled functions take (one numba argument).

    Layout: (raster coefficients float64 (ny, nx), roughness factor float64 (ny, nx), raster origin
    [m], raster cell [m], model radius [m], blend width [m], plain altitude [m], curvature radius
    [m], crater textures float32 (T, S, S), crater layer texture index int64 (L,), crater layer
    parameters float64 (L, 6), noise textures, noise layer index, noise layer parameters, the
    upper-bound map of the ground (:func:`ground_bound_tiles`) and its tile size [cells], the
    ground's slope bound and its rounding margin [m] (:func:`ground_slope_bound`), then for each
    of the LEVEL_SLOTS finer levels of the base raster (``levels``, finest first,
    :class:`edlcam.mars.terrain_levels.RasterLevel`) its coefficients float64 and its parameters
    float64 (7,): origin east, origin north, cell [m], box east_lo, east_hi, north_lo, north_hi [m]).
    The layer parameters are 1/cell [1/m], cos and sin of the rotation, x and y offsets [cells] and
    the amplitude (× the level-of-detail weight, 1 at full detail). ``craters`` and ``noise`` are
    Terrain's ``_Layers``. The arrays are read-only views, not copies, where dtype and layout allow.
    """
    crater_index, crater_params = _layer_table(craters)
    noise_index, noise_params = _layer_table(noise)
    slots = _level_slots(levels)
    tables = (
        _read_only(raster, np.float64),
        _read_only(roughness, np.float64),
        float(origin_m),
        float(cell_m),
        float(model_radius_m),
        float(blend_width_m),
        float(plain_altitude_m),
        float(curvature_radius_m),
        _read_only(craters.textures, np.float32),
        crater_index,
        crater_params,
        _read_only(noise.textures, np.float32),
        noise_index,
        noise_params,
    )
    probe = (*tables, None, BOUND_TILE_CELLS, 0.0, 0.0, *slots)  # the layout, for the bounds' helpers
    tiles = ground_bound_tiles(tables[0], _detail_max_m(tables), levels=_levels_of(probe), origin_m=origin_m, cell_m=cell_m)
    return (*tables, _read_only(tiles, np.float64), BOUND_TILE_CELLS, *ground_slope_bound(probe), *slots)


@numba.njit(cache=True, inline="always")
def map_arrays(tables, fn):
    """``tables`` (the layout of :func:`pack_tables`) with ``fn`` applied to each of its arrays,
    its floats as they are: for a caller that needs another view of the arrays (the flight kernel
    flies on views without reference counts) without restating the layout."""
    t = tables
    return (
        fn(t[0]), fn(t[1]), t[2], t[3], t[4], t[5], t[6], t[7], fn(t[8]), fn(t[9]), fn(t[10]), fn(t[11]), fn(t[12]),
        fn(t[13]), fn(t[14]), t[15], t[16], t[17], fn(t[18]), fn(t[19]), fn(t[20]), fn(t[21]),
    )  # fmt: skip


@numba.njit(cache=True, inline="always")
def _clamp(i, n):
    return 0 if i < 0 else (n - 1 if i > n - 1 else i)


@numba.njit(cache=True, inline="always")
def _cubic_weights(t):
    """Uniform cubic B-spline weights of the taps at floor−1 … floor+2 for a fraction ``t`` in [0, 1),
    written as SciPy's ni_splines.c does (the last weight is 1 − the others)."""
    z = 1.0 - t
    w0 = z * z * z / 6.0
    w1 = (t * t * (t - 2.0) * 3.0 + 4.0) / 6.0
    w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
    return (w0, w1, w2, 1.0 - w0 - w1 - w2)


@numba.njit(cache=True, inline="always")
def cubic_bspline_read(coef, x, y):
    """Cubic B-spline value at column ``x``, row ``y`` [cells] of prefiltered coefficients.

    Equals ``map_coordinates(coef, [[y], [x]], order=3, mode="nearest", prefilter=False)``: taps
    beyond the array are clamped to its edge, the coordinate itself is not.
    """
    ny, nx = coef.shape
    fx, fy = math.floor(x), math.floor(y)
    tx, ty = x - fx, y - fy
    ix, iy = int(fx) - 1, int(fy) - 1
    wx = _cubic_weights(tx)
    wy = _cubic_weights(ty)
    c0, c1, c2, c3 = _clamp(ix, nx), _clamp(ix + 1, nx), _clamp(ix + 2, nx), _clamp(ix + 3, nx)
    total = 0.0
    for b in range(4):
        r = _clamp(iy + b, ny)
        total += wy[b] * (wx[0] * coef[r, c0] + wx[1] * coef[r, c1] + wx[2] * coef[r, c2] + wx[3] * coef[r, c3])
    return total


@numba.njit(cache=True, inline="always")
def linear_read(grid, x, y):
    """Bilinear value at column ``x``, row ``y`` [cells]: ``map_coordinates(order=1, mode="nearest")``."""
    ny, nx = grid.shape
    fx, fy = math.floor(x), math.floor(y)
    tx, ty = x - fx, y - fy
    ix, iy = int(fx), int(fy)
    c0, c1 = _clamp(ix, nx), _clamp(ix + 1, nx)
    r0, r1 = _clamp(iy, ny), _clamp(iy + 1, ny)
    top = (1.0 - tx) * grid[r0, c0] + tx * grid[r0, c1]
    bottom = (1.0 - tx) * grid[r1, c0] + tx * grid[r1, c1]
    return (1.0 - ty) * top + ty * bottom


@numba.njit(cache=True, inline="always")
def _layers_sum(textures, index, params, e, n):
    """Σ_l amplitude_l · texture_l(e, n): ``_Layers.sample`` at full detail, its float32 included."""
    size = textures.shape[-1]
    mask = size - 1
    total = 0.0
    for k in range(index.shape[0]):
        inv, c, s = params[k, _INV_CELL], params[k, _COS], params[k, _SIN]
        u = (c * e - s * n) * inv + params[k, _OFF_X]
        v = (s * e + c * n) * inv + params[k, _OFF_Y]
        iu, iv = math.floor(u + 0.5), math.floor(v + 0.5)
        tu, tv = np.float32(u - iu), np.float32(v - iv)
        au, bu = _F32_HALF - tu, _F32_HALF + tu
        av, bv = _F32_HALF - tv, _F32_HALF + tv
        wu0, wu1, wu2 = _F32_HALF * (au * au), _F32_THREE_QUARTERS - tu * tu, _F32_HALF * (bu * bu)
        wv0, wv1, wv2 = _F32_HALF * (av * av), _F32_THREE_QUARTERS - tv * tv, _F32_HALF * (bv * bv)
        i0, j0 = int(iu) - 1, int(iv) - 1
        c0, c1, c2 = i0 & mask, (i0 + 1) & mask, (i0 + 2) & mask
        t = index[k]  # indexed in 3-D, not through a per-layer view: no reference counting in the loop
        r = j0 & mask
        val = wv0 * (wu0 * textures[t, r, c0] + wu1 * textures[t, r, c1] + wu2 * textures[t, r, c2])
        r = (j0 + 1) & mask
        val = val + wv1 * (wu0 * textures[t, r, c0] + wu1 * textures[t, r, c1] + wu2 * textures[t, r, c2])
        r = (j0 + 2) & mask
        val = val + wv2 * (wu0 * textures[t, r, c0] + wu1 * textures[t, r, c1] + wu2 * textures[t, r, c2])
        total += np.float64(val) * params[k, _AMPLITUDE]
    return total


# Every compiled function here is inline="always": numba copies it into the caller's own code.
# A call proper would pass the 14-item tables and pay an atomic reference-count increment and
# decrement per array (≈ 75 ns a query, measured), which numba prunes only when the whole query
# sits in the caller. The price is compile time: ≈ 1.5 s per call site, once (cache=True).


@numba.njit(cache=True, inline="always")
def _level_read(coef, params, east_m, north_m):
    """The finer level's spline at a point inside its box (the box test is the caller's)."""
    return cubic_bspline_read(coef, (east_m - params[0]) / params[2], (north_m - params[1]) / params[2])


@numba.njit(cache=True, inline="always")
def _in_box(params, east_m, north_m):
    return params[3] <= east_m <= params[4] and params[5] <= north_m <= params[6]


@numba.njit(cache=True, inline="always")
def base_altitude_m(tables, east_m, north_m, col, row):
    """The base raster's spline at a point: the finest level whose box holds it, else the 200 m
    raster at column ``col``, row ``row`` [cells] (``Terrain._raster_read``, in the same order)."""
    if _in_box(tables[19], east_m, north_m):
        return _level_read(tables[18], tables[19], east_m, north_m)
    if _in_box(tables[21], east_m, north_m):
        return _level_read(tables[20], tables[21], east_m, north_m)
    return cubic_bspline_read(tables[0], col, row)


@numba.njit(cache=True, inline="always")
def _blend_weight(east_m, north_m, model_radius_m, blend_width_m):
    """The model's weight at a point: 1 within ``model_radius_m``, a smoothstep to 0 over
    ``blend_width_m`` beyond it (NaN for a NaN point)."""
    x = (math.hypot(east_m, north_m) - model_radius_m) / blend_width_m
    x = min(max(x, 0.0), 1.0)
    return 1.0 - x * x * (3.0 - 2.0 * x)


@numba.njit(cache=True, inline="always")
def _surely_inside(east_m, north_m, radius_m):
    """Whether the point lies inside ``radius_m`` by a margin that no rounding reaches, without
    glibc's hypot (a call of ≈ 30 ns, 5 % of the flight kernel's time when every step asked it).
    The callers pass a radius 1 m inside the edge that matters: 1 m inward the weight is exactly 1
    (x clips to 0) at the model's radius, and at its outer edge 1 − x²(3 − 2x) > 3·(1 m / blend)²,
    far above the rounding of 1 − ε, so both branches give :func:`_blend_weight`'s answer bit for
    bit. False for NaN (the caller then takes the exact path)."""
    return east_m * east_m + north_m * north_m < radius_m * radius_m


@numba.njit(cache=True, inline="always")
def ground_altitude_m(tables, east_m, north_m):
    """MOLA altitude [m] of the ground at one flat-ENU point [m]: ``Terrain.altitude_m`` (no rocks).

    ``tables`` is :meth:`Terrain.kernel_tables`. Where the model weight is 0 (beyond
    model_radius_m + blend_width_m) it returns the plain before reading any array.
    """
    model_radius_m, blend_width_m, plain_altitude_m = tables[4], tables[5], tables[6]
    weight = 1.0
    if not _surely_inside(east_m, north_m, model_radius_m - 1.0):  # else x ≤ 0, weight exactly 1
        weight = _blend_weight(east_m, north_m, model_radius_m, blend_width_m)
    if not weight > 0.0:  # outside the model (or NaN input): the plain, nothing else read
        return plain_altitude_m
    origin_m, cell_m = tables[2], tables[3]
    col = (east_m - origin_m) / cell_m
    row = (north_m - origin_m) / cell_m
    base = base_altitude_m(tables, east_m, north_m, col, row)
    rough_factor = linear_read(tables[1], col, row)
    craters = _layers_sum(tables[8], tables[9], tables[10], east_m, north_m)
    rough = _layers_sum(tables[11], tables[12], tables[13], east_m, north_m)
    return base + weight * (craters + rough_factor * rough)


@numba.njit(cache=True, inline="always")
def curvature_drop_m(tables, east_m, north_m):
    """How far the ground curves below the flat ENU plane [m]: (e² + n²) / (2 R), R the tables'
    curvature radius."""
    return (east_m * east_m + north_m * north_m) / (2.0 * tables[7])


@numba.njit(cache=True, inline="always")
def ground_up_m(tables, east_m, north_m):
    """The ground's up coordinate [m] in the flat ENU frame: ``Terrain.surface_up_m`` (no rocks):
    altitude − :func:`curvature_drop_m`."""
    return ground_altitude_m(tables, east_m, north_m) - curvature_drop_m(tables, east_m, north_m)


def _layers_range(textures, index, params):
    """(lower, upper) bounds of Σ_l amplitude_l · texture_l anywhere (each read is a convex
    combination), each widened by the float32 slack of the reads, and that slack."""
    lower = upper = total_slack = 0.0
    for k in range(index.shape[0]):
        tex = textures[index[k]]
        t_max, t_min = float(tex.max()), float(tex.min())
        amp = float(params[k, _AMPLITUDE])
        slack = _BOUND_SLACK * abs(amp) * max(abs(t_max), abs(t_min))
        upper += max(amp * t_max, amp * t_min) + slack
        lower += min(amp * t_max, amp * t_min) - slack
        total_slack += slack
    return lower, upper, total_slack


def _detail_max_m(tables) -> float:
    """An upper bound [m] of the detail w · (C + r · N) added to the base (:func:`max_altitude_bound_m`)."""
    (_raster, roughness, _origin, _cell, _radius, _blend, _plain, _curv,
     crater_tex, crater_index, crater_params, noise_tex, noise_index, noise_params) = tables[:14]  # fmt: skip
    r_min, r_max = float(roughness.min()), float(roughness.max())
    _, craters_max, _ = _layers_range(crater_tex, crater_index, crater_params)
    noise_min, noise_max, _ = _layers_range(noise_tex, noise_index, noise_params)
    rough_max = max(r_min * noise_min, r_min * noise_max, r_max * noise_min, r_max * noise_max)
    return max(0.0, craters_max + rough_max)


def max_altitude_bound_m(tables) -> float:
    """An upper bound [m] of :func:`ground_altitude_m` over the whole plane (rocks excluded).

    Why it is a bound. Outside the model the ground is the plain. Inside, it is
    ``base + w · (C + r · N)`` with the model weight 0 < w ≤ 1, and:

    * ``base`` is a cubic B-spline read: a combination of 16 coefficients with non-negative weights
      summing to 1 (clamped taps are still coefficients), so base ≤ the largest coefficient;
    * ``r``, the roughness factor, is a bilinear read, so it lies between the smallest and the
      largest grid value;
    * each layer is a quadratic B-spline read, again a convex combination of texture values, so
      amplitude × read lies between amplitude × min texture and amplitude × max texture; C and N,
      sums of layers, lie between the sums of those (widened by 1e-5 of each layer's largest
      |value| for the float32 arithmetic of the reads);
    * r · N is bilinear in (r, N), so at most its largest value at the corners of the two ranges;
      and w · (C + r N) ≤ max(0, C_max + max r N).

    The float64 rounding of the raster read (≈ 1e-16 relative) is covered by a 1e-9 relative margin.
    It is not tight: the spline coefficients overshoot the ground they describe, and the layer
    maxima rarely meet at one point. A finer level of the base is read the same way, so its largest
    coefficient bounds it too.
    """
    base_max = max([float(tables[0].max())] + [float(coef.max()) for coef, _ in _levels_of(tables)])
    detail_max = _detail_max_m(tables)
    plain_altitude_m = tables[6]
    model_max = base_max + detail_max + 1e-9 * (abs(base_max) + detail_max)
    return max(float(plain_altitude_m), model_max)


# Side length [raster cells] of the tiles of the ground's upper-bound map (800 m at 200 m cells).
BOUND_TILE_CELLS = 4


def ground_bound_tiles(raster, detail_max_m, tile_cells=BOUND_TILE_CELLS, *, levels=(), origin_m=0.0, cell_m=1.0) -> np.ndarray:
    """Upper bounds [m] of :func:`ground_altitude_m` inside the model, one per tile of
    ``tile_cells`` × ``tile_cells`` raster cells: the tile (i, j) holds every point whose
    ``floor(row)``, ``floor(col)`` — clamped into the raster — fall in rows i·T … i·T + T − 1 and
    columns j·T … j·T + T − 1.

    Why each is a bound: such a point's cubic read taps rows and columns floor − 1 … floor + 2,
    clamped into the raster, so its base is at most the largest coefficient over rows
    i·T − 1 … i·T + T + 1 and the same columns (clamped); the detail adds at most
    ``detail_max_m`` (see :func:`max_altitude_bound_m`). Where a finer level (``levels``:
    (coefficients, parameters) pairs, the raster's origin and cell given) is read instead, the
    points of the tile inside its box tap its coefficients over the tile's extent ± 2 of its cells,
    and the tile takes the larger of the two maxima. Widened by 1e-9 relative, as there."""
    ny, nx = raster.shape
    padded = np.pad(raster, ((1, 2), (1, 2)), mode="edge")  # the taps of floor = −1 … n + 1, clamped
    taps = np.full((ny, nx), -np.inf)
    for dy in range(4):
        for dx in range(4):
            np.maximum(taps, padded[dy : dy + ny, dx : dx + nx], out=taps)  # taps[r, c]: max over floor = (r, c)
    ty, tx = -(-ny // tile_cells), -(-nx // tile_cells)
    full = np.full((ty * tile_cells, tx * tile_cells), -np.inf)
    full[:ny, :nx] = taps
    base = full.reshape(ty, tile_cells, tx, tile_cells).max(axis=(1, 3))
    span = tile_cells * cell_m
    for coef, params in levels:
        oe, on, cell, e_lo, e_hi, n_lo, n_hi = (float(p) for p in params)
        ly, lx = coef.shape
        for i in range(max(int((n_lo - origin_m) // span), 0), min(int((n_hi - origin_m) // span), ty - 1) + 1):
            for j in range(max(int((e_lo - origin_m) // span), 0), min(int((e_hi - origin_m) // span), tx - 1) + 1):
                te0, tn0 = max(origin_m + j * span, e_lo), max(origin_m + i * span, n_lo)
                te1, tn1 = min(origin_m + (j + 1) * span, e_hi), min(origin_m + (i + 1) * span, n_hi)
                if te0 > te1 or tn0 > tn1:
                    continue
                c0, c1 = max(math.floor((te0 - oe) / cell) - 1, 0), min(math.floor((te1 - oe) / cell) + 2, lx - 1)
                r0, r1 = max(math.floor((tn0 - on) / cell) - 1, 0), min(math.floor((tn1 - on) / cell) + 2, ly - 1)
                base[i, j] = max(base[i, j], float(coef[r0 : r1 + 1, c0 : c1 + 1].max()))
    return base + detail_max_m + 1e-9 * (np.abs(base) + detail_max_m)


@numba.njit(cache=True, inline="always")
def ground_upper_bound_m(tables, east_m, north_m):
    """An upper bound [m] of :func:`ground_altitude_m` at one flat-ENU point, for ≈ 10 ns instead
    of a full read: the plain outside the model, else the bound of the point's tile
    (:func:`ground_bound_tiles`); +∞ where the point is not a number."""
    model_radius_m, blend_width_m, plain_altitude_m = tables[4], tables[5], tables[6]
    if not _surely_inside(east_m, north_m, model_radius_m + blend_width_m - 1.0):  # else weight > 0 (see below)
        weight = _blend_weight(east_m, north_m, model_radius_m, blend_width_m)
        if not weight > 0.0:
            return plain_altitude_m if weight == weight else math.inf
    origin_m, cell_m, tiles, tile_cells = tables[2], tables[3], tables[14], tables[15]
    ny, nx = tables[0].shape
    col = min(max(math.floor((east_m - origin_m) / cell_m), 0.0), nx - 1.0)
    row = min(max(math.floor((north_m - origin_m) / cell_m), 0.0), ny - 1.0)
    return tiles[int(row) // tile_cells, int(col) // tile_cells]


def _max_step(values, axis, periodic=False) -> float:
    """The largest |difference| of neighbours along ``axis`` (wrapping round when ``periodic``)."""
    v = np.asarray(values, dtype=np.float64)
    d = np.abs(np.diff(v, axis=axis)).max()
    if periodic:
        first = np.take(v, [0], axis=axis)
        last = np.take(v, [-1], axis=axis)
        d = max(d, np.abs(first - last).max())
    return float(d)


def _layers_slope(textures, index, params) -> float:
    """A bound of |∇ Σ_l amplitude_l · texture_l| [per m]: a quadratic B-spline read changes along
    a texture axis by at most the largest step between neighbouring texels per texel, and each
    layer's texel is 1/inv_cell metres, turned (a rotation keeps the gradient's length)."""
    steps = {}
    total = 0.0
    for k in range(index.shape[0]):
        t = int(index[k])
        if t not in steps:
            tex = textures[t]
            steps[t] = math.hypot(_max_step(tex, -1, periodic=True), _max_step(tex, -2, periodic=True))
        total += abs(float(params[k, _AMPLITUDE])) * float(params[k, _INV_CELL]) * steps[t]
    return total


def ground_slope_bound(tables) -> tuple[float, float]:
    """(L, ε): within the model disk (radius model_radius_m + blend_width_m) the ground satisfies
    |g(p) − g(q)| ≤ L |p − q| + ε, so that one full read bounds the ground near it
    (:func:`edlcam.flight.kernel` reads the ground again only where touchdown may be near).

    Why. The ground is base + w (C + r N) (:func:`max_altitude_bound_m`). The derivative of a cubic
    B-spline read along an axis is a convex combination of neighbouring coefficient differences
    over the cell, and likewise for the bilinear roughness factor r; each layer of C and N is
    :func:`_layers_slope`; the model weight w = 1 − smoothstep over the blend width changes by at
    most 1.5 / width per metre. So |∇g| ≤ |∇base| + |∇w| max|C + r N| + |∇C| + |∇r| max|N| +
    max|r| |∇N| (w ≤ 1), widened by 1e-6 relative. The base is one spline per level, and at a
    finer level's box edge the two levels' reads agree to their rounding (the level is its
    parent's spline there, :mod:`edlcam.mars.terrain_levels`), so along any path the base changes
    no faster than the steepest level allows. ε covers the float32 arithmetic of the layer reads at
    both points (2 × 1e-5 of each layer's largest |value|, as the range bounds) and the levels'
    and the raster's float64 rounding (1e-9 of the largest |coefficient|)."""
    (raster, roughness, _origin, cell_m, _radius, blend_width_m, _plain, _curv,
     crater_tex, crater_index, crater_params, noise_tex, noise_index, noise_params) = tables[:14]  # fmt: skip
    base_slope = math.hypot(_max_step(raster, 1), _max_step(raster, 0)) / cell_m
    for coef, params in _levels_of(tables):  # a finer level's read is the same kind of spline
        base_slope = max(base_slope, math.hypot(_max_step(coef, 1), _max_step(coef, 0)) / float(params[2]))
    rough_slope = math.hypot(_max_step(roughness, 1), _max_step(roughness, 0)) / cell_m
    r_max = float(np.abs(roughness).max())
    c_lo, c_hi, c_slack = _layers_range(crater_tex, crater_index, crater_params)
    n_lo, n_hi, n_slack = _layers_range(noise_tex, noise_index, noise_params)
    c_max, n_max = max(abs(c_lo), abs(c_hi)), max(abs(n_lo), abs(n_hi))
    craters_slope = _layers_slope(crater_tex, crater_index, crater_params)
    noise_slope = _layers_slope(noise_tex, noise_index, noise_params)
    slope = (
        base_slope + 1.5 / blend_width_m * (c_max + r_max * n_max) + craters_slope + rough_slope * n_max
        + r_max * noise_slope
    )  # fmt: skip
    slack = 2.0 * (c_slack + r_max * n_slack)  # at both points
    largest = max([float(np.abs(raster).max())] + [float(np.abs(coef).max()) for coef, _ in _levels_of(tables)])
    return slope * (1.0 + 1e-6), slack + 1e-9 * largest
