"""How the procedural ground of :mod:`edlcam.mars.terrain` is built: periodic texture layers and the base raster.

The host crater, plains and delta (without a unit map), the craters too large for the textures
and the roughness bands longer than 4 raster cells go into the 200 m base raster; each crater
diameter octave and each finer roughness band is a periodic 1024² texture sampled at its own
scale, rotation and offset (:class:`_Layers`). The module docstring of :mod:`edlcam.mars.terrain`
gives the models and why it is evaluated this way; the published size–frequency functions are in
:mod:`edlcam.mars.crater_stats`. Split out of the terrain module (modules ≲ 600 lines) along this
line: construction here, queries there.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import spline_filter

from edlcam.config.terrain import TerrainConfig
from edlcam.mars.crater_stats import (
    crater_cumulative_density_per_m2,
    crater_degradation,
    crater_depth_m,
    crater_equilibrium_diameter_m,
    hartmann_neukum_n1_per_km2,
    simple_crater_profile,
)
from edlcam.mars.frames import Ellipsoid, enu_basis, geodetic_to_cartesian

log = logging.getLogger(__name__)

_RASTER_CELL_M = 200.0  # base raster spacing
_TEX = 1024  # texture size (power of two: wrap by bit mask)
_CELLS_PER_D = 8.0  # crater texture cell = D_k / 8 (period 128 D_k): rims stay round under bilinear reads
_NOISE_BAND_RATIO = 4.0  # each roughness band spans a factor 4 in wavelength
_NOISE_LAMBDA0_M = 64_000.0  # longest roughness wavelength
_NOISE_BANDS = 12  # 64 km down to ≈ 4 mm
_NOISE_MAX_CELLS = 64.0  # band wavelengths 16..64 texture cells
_RASTER_MIN_LAMBDA_M = 4 * _RASTER_CELL_M  # bands entirely above this go into the raster
_ROCK_MIN_D_M = 0.05  # smallest rock modelled
_ROCK_TILE_PER_D = 64.0  # rock tile side = 64 × the class's smallest diameter
_SCARP_M = 300.0  # width of the delta front scarp (est.)
# Albedo patch bands: longest wavelength of each (each spans a factor 4), and their RMS (_build_albedo_layers).
ALBEDO_LAMBDAS_M = 1600.0 / 4.0 ** np.arange(7)  # 1600 m … 0.39 m
ALBEDO_BAND_RMS = 0.05

# Tags that separate the random streams of the layers.
_TAG_LARGE, _TAG_CRATER, _TAG_NOISE, _TAG_BAND, _TAG_ROCK = 11, 12, 13, 14, 15
_TILE_OFFSET = 1 << 40  # keeps tile indices non-negative for SeedSequence


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _lod_weight(feature_m, spacing_m: float):
    """1 for features ≥ 4 samples, 0 below 2 samples: what a grid of ``spacing_m`` can show."""
    if spacing_m <= 0.0:
        return np.ones_like(np.asarray(feature_m, dtype=float))
    return np.clip((np.asarray(feature_m, dtype=float) / spacing_m - 2.0) / 2.0, 0.0, 1.0)


def _band_lod_weight(shortest_m, spacing_m: float):
    """1 for a noise band whose shortest wavelength spans ≥ 2 samples, 0 at ≤ 1 sample.

    The roughness and albedo bands are band-limited (:func:`_noise_texture`): from 2 samples per
    shortest wavelength they are at or above Nyquist and cannot alias, so a grid keeps them whole
    down to there. Craters, whose rims are far sharper than their diameter, keep the stricter
    :func:`_lod_weight`. (With that one the rendered LCAM lost every band a grid could show from 2
    to 4 samples — at 3.5 km, 16 m texels, all the ground's variation under 64 m while its pixels
    are ≈ 7 m: the realism sheets' missing fine detail.)
    """
    return _lod_weight(2.0 * np.asarray(shortest_m, dtype=float), spacing_m)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([int(k) for k in key])


# ----------------------------------------------------------------------------------------------
# Construction helpers


def _noise_texture(rng: np.random.Generator) -> np.ndarray:
    """Periodic band-limited noise (wavelengths 16..64 cells), unit RMS — spectral synthesis."""
    white = rng.standard_normal((_TEX, _TEX))
    spec = np.fft.rfft2(white)
    ky = np.fft.fftfreq(_TEX) * _TEX
    kx = np.fft.rfftfreq(_TEX) * _TEX
    k = np.hypot(ky[:, None], kx[None, :])
    k_lo, k_hi = _TEX / _NOISE_MAX_CELLS, _TEX / (_NOISE_MAX_CELLS / _NOISE_BAND_RATIO)
    # Soft band edges in log k keep the texture free of ringing; inside, amplitude ∝ k^-(H+1)
    # is applied per band by the caller, so here the band is flat.
    lk = np.log(np.maximum(k, 1e-9))
    w = _smoothstep((lk - math.log(k_lo) + 0.25) / 0.5) * _smoothstep((math.log(k_hi) + 0.25 - lk) / 0.5)
    tex = np.fft.irfft2(spec * w, s=(_TEX, _TEX))
    return (tex / tex.std()).astype(np.float32)


def _stamp_craters(tex: np.ndarray, x_cells, y_cells, diameter_m, cell_m: float, depth_ratio, rim_ratio):
    """Add crater relief to a periodic texture (craters wrap around its edges); ``depth_ratio`` and
    ``rim_ratio`` are per crater (arrays) or shared."""
    if len(x_cells) == 0:
        return
    radius_cells = int(math.ceil(float(np.max(diameter_m)) / cell_m)) + 1  # 2 R in cells, +1
    offs = np.arange(-radius_cells, radius_cells + 1)
    size = tex.shape[0]
    flat = tex.reshape(-1)
    for start in range(0, len(x_cells), 2048):  # bounded memory
        sl = slice(start, start + 2048)
        cx, cy, d = x_cells[sl], y_cells[sl], diameter_m[sl]
        dr = np.broadcast_to(depth_ratio, diameter_m.shape)[sl][:, None, None]
        rr = np.broadcast_to(rim_ratio, diameter_m.shape)[sl][:, None, None]
        ix = np.floor(cx).astype(np.int64)[:, None, None] + offs[None, None, :]
        iy = np.floor(cy).astype(np.int64)[:, None, None] + offs[None, :, None]
        r_m = np.hypot(ix - cx[:, None, None], iy - cy[:, None, None]) * cell_m
        rho = r_m / (0.5 * d[:, None, None])
        z = simple_crater_profile(rho, dr * d[:, None, None], rr * d[:, None, None])
        idx = (iy & (size - 1)) * size + (ix & (size - 1))
        flat += np.bincount(idx.reshape(-1), weights=z.reshape(-1), minlength=size * size).astype(np.float32)


def _degradation(cfg: TerrainConfig, rng, diameter_m) -> np.ndarray:
    """Depth fractions (0..1] of craters drawn at random from the floor's population
    (:func:`edlcam.mars.crater_stats.crater_degradation`): most small craters shallow, a few fresh.
    The rim, narrower than the bowl, flattens faster under diffusion: callers scale it by the
    square (est.)."""
    d_eq = crater_equilibrium_diameter_m(age_gyr=cfg.floor_age_gyr, equilibrium_fraction=cfg.equilibrium_fraction)
    return crater_degradation(diameter_m, rng.random(len(diameter_m)), equilibrium_diameter_m=d_eq,
                              visible_depth_fraction=cfg.crater_visible_depth_fraction)


def _sample_bin_diameters(rng, n: int, d_lo: float, d_hi: float, cumulative) -> np.ndarray:
    """Diameters in [d_lo, d_hi) distributed as the cumulative density ``cumulative`` (inverse CDF)."""
    grid = np.geomspace(d_lo, d_hi, 65)
    c = cumulative(grid)
    frac = (c[0] - c) / (c[0] - c[-1])  # 0 at d_lo .. 1 at d_hi, increasing
    return np.interp(rng.random(n), frac, grid)


@dataclass(frozen=True, eq=False)
class _Layers:
    """Stacked periodic textures with per-layer scale, rotation and offset."""

    textures: np.ndarray  # (T, S, S) float32
    layer_texture: np.ndarray  # (L,) index into textures
    cell_m: np.ndarray  # (L,)
    cos_t: np.ndarray  # (L,)
    sin_t: np.ndarray  # (L,)
    offset_x: np.ndarray  # (L,) texture cells
    offset_y: np.ndarray  # (L,)
    feature_m: np.ndarray  # (L,) the scale that decides level of detail
    amplitude: np.ndarray  # (L,) multiplier

    def sample(self, e, n, weights):
        """Σ_l weights_l · amplitude_l · texture_l(e, n); ``weights`` (L,), zero layers are skipped."""
        active = np.flatnonzero(weights > 0.0)
        if active.size == 0:
            return np.zeros_like(e)
        size = self.textures.shape[-1]
        mask = size - 1
        inv = (1.0 / self.cell_m[active])[:, None]
        c, s = self.cos_t[active][:, None], self.sin_t[active][:, None]
        u = (c * e - s * n) * inv + self.offset_x[active][:, None]
        v = (s * e + c * n) * inv + self.offset_y[active][:, None]
        # Quadratic B-spline read (9 taps): slopes are continuous, so shaded meshes show no
        # texture-cell facets; it smooths each layer by about one cell (D/8 for craters).
        iu, iv = np.floor(u + 0.5), np.floor(v + 0.5)
        tu, tv = (u - iu).astype(np.float32), (v - iv).astype(np.float32)  # textures are float32
        wu = (0.5 * (0.5 - tu) ** 2, 0.75 - tu * tu, 0.5 * (0.5 + tu) ** 2)
        wv = (0.5 * (0.5 - tv) ** 2, 0.75 - tv * tv, 0.5 * (0.5 + tv) ** 2)
        i0, j0 = iu.astype(np.int64) - 1, iv.astype(np.int64) - 1
        cols = [(i0 + a) & mask for a in range(3)]
        base = (self.layer_texture[active] * size * size)[:, None]
        flat = self.textures.reshape(-1)
        val = 0.0
        for b in range(3):
            row = base + ((j0 + b) & mask) * size
            val = val + wv[b] * (wu[0] * flat[row + cols[0]] + wu[1] * flat[row + cols[1]] + wu[2] * flat[row + cols[2]])
        scale = (weights[active] * self.amplitude[active])[:, None]
        return np.sum(val * scale, axis=0, dtype=np.float64)


def _latlon_to_en(lat_deg, lon_deg, lat0_deg, lon0_deg, ell: Ellipsoid):
    """East and north [m] in the tangent plane at (lat0, lon0) of ground points at altitude 0."""
    r = geodetic_to_cartesian(lat_deg, lon_deg, 0.0, ellipsoid=ell)
    r0 = geodetic_to_cartesian(lat0_deg, lon0_deg, 0.0, ellipsoid=ell)
    basis = enu_basis(lat0_deg, lon0_deg)
    d = r - r0
    return d @ basis[0], d @ basis[1]


def _host_crater(cfg: TerrainConfig, e, n, center_m, *, fan: bool = True, mound_m=None):
    """Altitude [m] of plain + host crater + central mound + delta, and the floor and delta
    weights (0..1).

    ``fan=False`` leaves the procedural fan out: the unit map's delta stands there instead
    (:mod:`edlcam.mars.landforms`). ``mound_m``: the central mound's centre (east, north) [m], or
    None for none — a cosine bell of ``mound_height_m`` over ``mound_radius_m`` (Gale's Aeolis Mons:
    a layered mound ≈ 5.5 km above the floor, its base ≈ 10 km from Curiosity's landing site); its
    slopes are not crater floor (the floor's weight falls to 0 where it stands 100 m proud)."""
    radius = 0.5 * cfg.crater_diameter_m
    az = math.radians(cfg.regional_slope_azimuth_deg)
    weight = 1.0 - _smoothstep((np.hypot(e, n) - cfg.model_radius_m) / cfg.blend_width_m)
    # Regional plain: tilted toward the Isidis basin, flat far away.
    plain = cfg.plain_altitude_m - weight * cfg.regional_slope_m_per_km * 1e-3 * (
        (e - center_m[0]) * math.sin(az) + (n - center_m[1]) * math.cos(az)
    )
    rho = np.hypot(e - center_m[0], n - center_m[1]) / radius
    rf = cfg.floor_radius_fraction
    t = np.clip((rho - rf) / (1.0 - rf), 0.0, 1.0)
    # Inside: floor, then a wall steepening toward the rim crest; outside: ejecta ∝ (r/R)^-3 to 3 R.
    crest = plain + cfg.rim_height_m
    inner = cfg.floor_altitude_m + (crest - cfg.floor_altitude_m) * t**2
    rho_out = np.maximum(rho, 1.0)
    apron = cfg.rim_height_m * np.clip((rho_out**-3 - 1.0 / 27.0) / (1.0 - 1.0 / 27.0), 0.0, 1.0)
    z = np.where(rho < 1.0, inner, plain + apron)
    floor_w = 1.0 - _smoothstep((rho - rf) / (1.0 - rf) * 2.0)
    if mound_m is not None:
        s_m = np.hypot(e - mound_m[0], n - mound_m[1]) / cfg.mound_radius_m
        bump = cfg.mound_height_m * 0.5 * (1.0 + np.cos(math.pi * np.minimum(s_m, 1.0)))
        z = z + bump
        floor_w = floor_w * (1.0 - np.clip(bump / 100.0, 0.0, 1.0))
    # Delta: a fan from the inlet on the rim toward the centre; its top slopes down from the apex.
    daz = math.radians(cfg.delta_azimuth_deg)
    apex = (center_m[0] + radius * math.sin(daz), center_m[1] + radius * math.cos(daz))
    ve, vn = e - apex[0], n - apex[1]
    dist = np.hypot(ve, vn)
    axis = daz + math.pi
    phi = np.angle(np.exp(1j * (np.arctan2(ve, vn) - axis)))
    half = math.radians(cfg.delta_half_angle_deg)
    # A lobate front (est.: five lobes), receding toward the fan's flanks.
    front = cfg.delta_radius_m * (1.0 - 0.3 * (phi / half) ** 2) * (1.0 + 0.04 * np.cos(5.0 * math.pi * phi / half))
    edge = np.minimum(front - dist, (half - np.abs(phi)) * dist)
    mask = _smoothstep(edge / _SCARP_M + 0.5) * (np.abs(phi) < half)
    thick = cfg.delta_apex_thickness_m + (cfg.delta_front_thickness_m - cfg.delta_apex_thickness_m) * dist / cfg.delta_radius_m
    top = cfg.floor_altitude_m + thick
    lift = mask * np.maximum(top - z, 0.0)
    delta_w = mask * (top > z)
    if not fan:
        return z, floor_w, np.zeros_like(z)
    return z + lift, floor_w, delta_w.astype(float)


def _large_craters(cfg: TerrainConfig, seed: int, center_m, half_m: float):
    """Craters ≥ the texture range over the raster square: (east, north, diameter) arrays."""
    rng = _rng(seed, _TAG_LARGE)
    d_min = cfg.crater_min_diameter_m * 2.0**_n_crater_levels(cfg)
    d_max = 0.25 * cfg.crater_diameter_m
    cum = lambda d: crater_cumulative_density_per_m2(d, age_gyr=cfg.plains_age_gyr, equilibrium_fraction=cfg.equilibrium_fraction)  # noqa: E731
    area = (2.0 * half_m) ** 2
    count = rng.poisson((cum(d_min) - cum(d_max)) * area)
    east = rng.uniform(-half_m, half_m, count)
    north = rng.uniform(-half_m, half_m, count)
    diameter = _sample_bin_diameters(rng, count, d_min, d_max, cum)
    # Inside the host crater the floor is younger: craters older than it were buried, so keep a
    # crater there with probability N(T_floor) / N(T_plains).
    keep_p = hartmann_neukum_n1_per_km2(cfg.floor_age_gyr) / hartmann_neukum_n1_per_km2(cfg.plains_age_gyr)
    inside = np.hypot(east - center_m[0], north - center_m[1]) < 0.5 * cfg.crater_diameter_m
    keep = ~inside | (rng.random(count) < keep_p)
    fraction = _degradation(cfg, rng, diameter)
    return east[keep], north[keep], diameter[keep], fraction[keep]


def _n_crater_levels(cfg: TerrainConfig) -> int:
    """Texture crater octaves: from the smallest crater up to ≈ 10 raster cells."""
    return max(1, int(math.ceil(math.log2(10.0 * _RASTER_CELL_M / cfg.crater_min_diameter_m))))


def _band_lambdas():
    lam_max = _NOISE_LAMBDA0_M / _NOISE_BAND_RATIO ** np.arange(_NOISE_BANDS)
    return lam_max, lam_max / _NOISE_BAND_RATIO


def _band_rms(cfg: TerrainConfig, lam_max):
    """fBm band RMS ∝ λ^H, normalised to roughness_rms_at_100m_m at a band centred on 100 m."""
    centre = lam_max / 2.0
    return cfg.roughness_rms_at_100m_m * (centre / 100.0) ** cfg.hurst_exponent


def _build_raster(cfg: TerrainConfig, seed: int, center_m, noise_tex: np.ndarray, units=None, mound_m=None):
    half = cfg.model_radius_m + cfg.blend_width_m
    n = int(math.ceil(2.0 * half / _RASTER_CELL_M)) + 1
    origin = -0.5 * (n - 1) * _RASTER_CELL_M
    axis = origin + np.arange(n) * _RASTER_CELL_M
    east, north = np.meshgrid(axis, axis)
    z, floor_w, delta_w = _host_crater(cfg, east, north, center_m, fan=units is None, mound_m=mound_m)
    weight = 1.0 - _smoothstep((np.hypot(east, north) - cfg.model_radius_m) / cfg.blend_width_m)
    rough = 1.0 + (cfg.floor_roughness_factor - 1.0) * np.maximum(floor_w, delta_w)
    e_flat, n_flat = east.reshape(-1), north.reshape(-1)
    # Each unit's own roughness scales the fine bands only (the factor the queries read, at the
    # raster's 200 m, bilinearly): a rugged delta top, not a delta lifted or sunk by km-scale bands.
    fine_rough = rough
    if units is not None:
        unit_rough = units.field([[cfg.units[k].roughness] for k in units.names]).sample(e_flat, n_flat)[:, 0]
        fine_rough = rough * unit_rough.reshape(rough.shape)
    # Craters too large for the textures.
    relief = np.zeros_like(z)
    ce, cn, cd, cf = _large_craters(cfg, seed, center_m, half)
    for e0, n0, d, f in zip(ce, cn, cd, cf):
        reach = d  # 2 R
        i0, i1 = np.searchsorted(axis, [e0 - reach, e0 + reach])
        j0, j1 = np.searchsorted(axis, [n0 - reach, n0 + reach])
        sub_e, sub_n = east[j0:j1, i0:i1], north[j0:j1, i0:i1]
        rho = np.hypot(sub_e - e0, sub_n - n0) / (0.5 * d)
        relief[j0:j1, i0:i1] += simple_crater_profile(rho, f * crater_depth_m(d, cfg.crater_depth_ratio), f * f * _rim_height(cfg, d))
    # Roughness bands too long for the textures.
    lam_max, lam_min = _band_lambdas()
    coarse = lam_min >= _RASTER_MIN_LAMBDA_M
    layers = _noise_layers_from(cfg, seed, noise_tex, np.flatnonzero(coarse))
    ones = np.ones(int(coarse.sum()))
    rough_z = np.concatenate(
        [layers.sample(e_flat[i : i + 65536], n_flat[i : i + 65536], ones) for i in range(0, e_flat.size, 65536)]
    ).reshape(z.shape)
    z = z + weight * (relief + rough * rough_z)
    log.debug("terrain raster %d² built, %d large craters", n, len(cd))
    return spline_filter(z, order=3, mode="nearest"), np.stack([fine_rough, floor_w, delta_w]), origin


def _rim_height(cfg: TerrainConfig, d):
    """Rim height [m]: rim_ratio × D for simple craters, scaled with depth for complex ones (est.)."""
    d = np.asarray(d, dtype=float)
    return cfg.crater_rim_height_ratio * d * crater_depth_m(d, cfg.crater_depth_ratio) / (cfg.crater_depth_ratio * d)


def _build_crater_layers(cfg: TerrainConfig, seed: int):
    levels = _n_crater_levels(cfg)
    textures = np.zeros((levels, _TEX, _TEX), dtype=np.float32)
    cum = lambda d: crater_cumulative_density_per_m2(d, age_gyr=cfg.floor_age_gyr, equilibrium_fraction=cfg.equilibrium_fraction)  # noqa: E731
    cell, cos_t, sin_t, ox, oy, feat, catalog = [], [], [], [], [], [], []
    for k in range(levels):
        d_lo = cfg.crater_min_diameter_m * 2.0**k
        d_hi = 2.0 * d_lo
        cell_m = d_lo / _CELLS_PER_D
        period = _TEX * cell_m
        rng = _rng(seed, _TAG_CRATER, k)
        theta = rng.uniform(0.0, 2.0 * math.pi)
        offset = rng.uniform(0.0, _TEX, 2)
        count = rng.poisson((cum(d_lo) - cum(d_hi)) * period**2)
        x = rng.uniform(0.0, _TEX, count)
        y = rng.uniform(0.0, _TEX, count)
        diameter = _sample_bin_diameters(rng, count, d_lo, d_hi, cum)
        fraction = _degradation(cfg, rng, diameter)
        _stamp_craters(textures[k], x, y, diameter, cell_m, cfg.crater_depth_ratio * fraction,
                       cfg.crater_rim_height_ratio * fraction**2)
        cell.append(cell_m), cos_t.append(math.cos(theta)), sin_t.append(math.sin(theta))
        ox.append(offset[0]), oy.append(offset[1]), feat.append(d_lo)
        catalog.append((d_lo, period, diameter, fraction))
    layers = _Layers(
        textures=textures,
        layer_texture=np.arange(levels),
        cell_m=np.array(cell),
        cos_t=np.array(cos_t),
        sin_t=np.array(sin_t),
        offset_x=np.array(ox),
        offset_y=np.array(oy),
        feature_m=np.array(feat),
        amplitude=np.ones(levels),
    )
    return layers, tuple(catalog)


def _noise_layers_from(cfg: TerrainConfig, seed: int, tex: np.ndarray, bands) -> _Layers:
    lam_max, lam_min = _band_lambdas()
    bands = np.asarray(bands, dtype=int)
    theta, ox, oy = [], [], []
    for b in bands:
        rng = _rng(seed, _TAG_BAND, int(b))
        theta.append(rng.uniform(0.0, 2.0 * math.pi))
        o = rng.uniform(0.0, _TEX, 2)
        ox.append(o[0]), oy.append(o[1])
    theta = np.array(theta)
    return _Layers(
        textures=tex[None],
        layer_texture=np.zeros(len(bands), dtype=np.int64),
        cell_m=lam_max[bands] / _NOISE_MAX_CELLS,
        cos_t=np.cos(theta),
        sin_t=np.sin(theta),
        offset_x=np.array(ox),
        offset_y=np.array(oy),
        feature_m=lam_min[bands],
        amplitude=_band_rms(cfg, lam_max[bands]),
    )


def _build_noise_layers(cfg: TerrainConfig, seed: int, tex: np.ndarray) -> _Layers:
    _, lam_min = _band_lambdas()
    return _noise_layers_from(cfg, seed, tex, np.flatnonzero(lam_min < _RASTER_MIN_LAMBDA_M))


def _build_albedo_layers(seed: int, tex: np.ndarray) -> _Layers:
    """Albedo patches: contiguous bands (each a factor 4 in wavelength) from 1.6 km down to 10 cm,
    of equal RMS (ALBEDO_BAND_RMS; the finest 0.04).

    Equal variance per band is a power spectrum ∝ k^-2, as natural images have (van der Schaaf &
    van Hateren 1996) and as the shipped HiRISE orthomosaic of the landing site shows: the RMS of
    its relative brightness in the bands 100–400, 25–100, 6–25 and 1.6–6 m is 0.27, 0.20, 0.25,
    0.29 (linear grey, within ±20 % of equal; its absolute level includes the relief's shading
    and the product's stretch, so the level here is est.: 0.05 per band keeps the total of the
    patches used before, ≈ 0.12). Four bands a decade apart (400, 40, 4, 0.4 m), as before, drew
    blobs of two sizes over the floor — the "bubbly" floor of the realism sheets — where the
    orbital image shows variation at every scale.
    """
    lam = ALBEDO_LAMBDAS_M
    amp = np.where(lam < 1.0, 0.04, ALBEDO_BAND_RMS)
    rng = _rng(seed, _TAG_BAND, 1000)
    theta = rng.uniform(0.0, 2.0 * math.pi, lam.size)
    off = rng.uniform(0.0, _TEX, (2, lam.size))
    return _Layers(
        textures=tex[None],
        layer_texture=np.zeros(lam.size, dtype=np.int64),
        cell_m=lam / _NOISE_MAX_CELLS,
        cos_t=np.cos(theta),
        sin_t=np.sin(theta),
        offset_x=off[0],
        offset_y=off[1],
        feature_m=lam / _NOISE_BAND_RATIO,
        amplitude=amp,
    )
