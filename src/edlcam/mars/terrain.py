"""The ground: Jezero, real where data exists and procedural around it, for the flight and the cameras.

One :class:`Terrain` serves fast point queries (height above ground, radar, touchdown) and
rendering meshes with level of detail. Under the landing point the ground is the real one — the
HiRISE 1 m terrain model and 25 cm orthomosaic (:mod:`edlcam.mars.hirise`), set in by
:mod:`edlcam.mars.site_ground` as a finer level of the base raster
(:mod:`edlcam.mars.terrain_levels`), with the procedural detail below its resolution. Around it
the ground is a sum of layers, each from a published model:

* **Host crater and plains** — a ≈45 km crater (Jezero) with a flat floor, a wall rising to a raised
  rim and an ejecta apron falling off as (r/R)^-3 (McGetchin, Settle & Head 1973), a fan-shaped
  delta on its western side (without a unit map; with one, the mapped delta of
  :mod:`edlcam.mars.landforms`), and a gently tilted regional plain. Values in the mission file.
* **Superposed craters** — drawn from the Ivanov (2001) Mars production function scaled by the
  Hartmann & Neukum (2001) chronology for the surface age, capped at an equilibrium density of
  ``equilibrium_fraction`` × the geometric saturation 1.54 D^-2 (Gault 1970). Fresh simple-crater
  shape: depth 0.2 D and rim height 0.04 D (Pike 1977), parabolic bowl, ejecta (r/R)^-3 to 2 R;
  above the simple-to-complex transition the depth follows Garvin, Sakimoto & Frawley (2003),
  d = 0.36 D^0.49 km.
* **Roughness** — a fractional Brownian surface of Hurst exponent H by spectral synthesis
  (Saupe 1988, "The Science of Fractal Images", ch. 2), RMS ∝ wavelength^H, down to millimetres.
* **Geologic units** — around the landing point each unit of the shipped unit map
  (:mod:`edlcam.mars.geology`: the western delta, Séítah's bedrock and ripple fields, the smooth
  mantles, Máaz) has its own albedo, mottling, bedforms, roughness and crater retention
  (``[terrain.units]`` in the mission file); the delta stands on the floor behind its scarp, in a
  25 m level of the base raster (:mod:`edlcam.mars.landforms`).
* **Rocks** — the Golombek & Rapp (1997) model: cumulative fractional area covered by rocks of
  diameter ≥ D is F_k(D) = k exp(-q D), q = 1.79 + 0.152/k.

How it is evaluated, and why. Everything coarser than ≈1 km (host crater, delta, craters ≥ 2 km,
roughness wavelengths ≥ 1 km) is rasterised once at construction on a 200 m grid over the modelled
region and read back with a cubic spline. Finer layers must cost O(1) per point for millions of
flight queries, so each crater diameter octave and each roughness band is a periodic 1024² texture
(made once from the seed) sampled at its own scale, rotation and offset; the periods (128 D for
craters, 16 λ for roughness) and the rotations differ from layer to layer, so the sum never
visibly repeats. A point query is then one spline read plus one quadratic B-spline read per layer, shared
by :meth:`Terrain.altitude_m` and :meth:`Terrain.heightmap`, so the rendered ground is the ground
the flight touched. Rocks are generated per tile (one numpy Generator seeded per tile from the
mission seed) so a tile is the same whichever order it is asked for.

Coordinates: ``east_m``, ``north_m`` in the target's ENU tangent plane (docs/run-folder.md);
altitudes above the MOLA areoid (the reference ellipsoid, as in :mod:`edlcam.mars.frames`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import map_coordinates, spline_filter
from scipy.spatial import cKDTree

from edlcam.config.terrain import TerrainConfig
from edlcam.mars.frames import Ellipsoid, enu_basis, geodetic_to_cartesian, great_circle_range_m
from edlcam.mars.terrain_levels import RasterLevel

__all__ = [
    "Terrain",
    "ivanov_production_log10",
    "hartmann_neukum_n1_per_km2",
    "crater_cumulative_density_per_m2",
    "simple_crater_profile",
    "crater_depth_m",
    "rock_fractional_area",
    "rock_q",
    "rock_cumulative_number_per_m2",
    "MAX_ROCKS",
]

log = logging.getLogger(__name__)

MAX_ROCKS = 200_000  # rocks() refuses a box expected to hold more

# Ivanov (2001), "Mars/Moon cratering rate ratio estimates", Space Sci. Rev. 96, Table 3 (Mars PF):
# log10 N(>D) = a0 + Σ a_n (log10 D)^n, N per km², D in km, valid for 15 m ≤ D ≤ 362 km.
_IVANOV_A = (
    -3.384, -3.197, 1.257, 0.7915, -0.4861, -0.3630,
    0.1016, 6.756e-2, -1.181e-2, -4.753e-3, 6.233e-4, 5.805e-5,
)  # fmt: skip
_IVANOV_D_MIN_KM = 0.015  # lower validity limit of the polynomial
_GEOMETRIC_SATURATION = 1.54  # N_s(>D) = 1.54 D^-2 (Gault 1970), any consistent units
_SIMPLE_COMPLEX_D_M = 7000.0  # simple-to-complex transition on Mars (Garvin et al. 2003: ≈ 7 km)

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

# Tags that separate the random streams of the layers.
_TAG_LARGE, _TAG_CRATER, _TAG_NOISE, _TAG_BAND, _TAG_ROCK = 11, 12, 13, 14, 15
_TILE_OFFSET = 1 << 40  # keeps tile indices non-negative for SeedSequence

# Mars colours (linear 0..1 albedo tints, est. from Mars Pathfinder / Mastcam true-colour images).
_DUST_RGB = np.array([0.70, 0.50, 0.32], dtype=np.float32)  # butterscotch dust
_BASALT_RGB = np.array([0.40, 0.30, 0.24], dtype=np.float32)  # darker basaltic crater floor
_DELTA_RGB = np.array([0.68, 0.56, 0.45], dtype=np.float32)  # lighter delta sediments
_ALBEDO_SHARED_M = 10.0  # albedo patches of features ≥ this (λ ≥ 40 m) also modulate the real albedo
_ALBEDO_BELOW_DATA_M = 0.2  # … and those below the orthomosaic's 25 cm pixels add to it


# ----------------------------------------------------------------------------------------------
# Published models (pure functions)


def ivanov_production_log10(diameter_km):
    """log10 of the Mars production function N(>D) [km^-2] normalised to N(1 km) = 10^a0.

    Ivanov (2001) 11th-degree polynomial; below its 15 m limit it is continued as the power law
    of its own slope at 15 m (≈ D^-3.0), an extrapolation (est.).
    """
    d = np.maximum(np.asarray(diameter_km, dtype=float), 1e-12)
    x = np.log10(np.maximum(d, _IVANOV_D_MIN_KM))
    poly = np.polynomial.polynomial.polyval(x, _IVANOV_A)
    x0 = math.log10(_IVANOV_D_MIN_KM)
    slope = np.polynomial.polynomial.polyval(x0, np.polynomial.polynomial.polyder(_IVANOV_A))
    below = np.polynomial.polynomial.polyval(x0, _IVANOV_A) + slope * (np.log10(d) - x0)
    return np.where(d < _IVANOV_D_MIN_KM, below, poly)


def hartmann_neukum_n1_per_km2(age_gyr: float) -> float:
    """Cumulative density of craters ≥ 1 km [km^-2] on a surface of ``age_gyr``.

    Hartmann & Neukum (2001), Space Sci. Rev. 96: N(1) = 2.68e-14 (exp(6.93 T) - 1) + 4.13e-4 T.
    """
    return 2.68e-14 * (math.exp(6.93 * age_gyr) - 1.0) + 4.13e-4 * age_gyr


def crater_cumulative_density_per_m2(diameter_m, *, age_gyr: float, equilibrium_fraction: float):
    """Cumulative density N(>D) [m^-2] of craters: production at ``age_gyr``, capped at equilibrium.

    The cap is ``equilibrium_fraction`` × 1.54 D^-2 (Gault 1970 geometric saturation); small
    craters on old Martian surfaces sit at a few per cent of it (Hartmann 1984; Xiao & Werner 2015).
    """
    d_m = np.asarray(diameter_m, dtype=float)
    scale = hartmann_neukum_n1_per_km2(age_gyr) / 10.0 ** _IVANOV_A[0]
    production = scale * 10.0 ** ivanov_production_log10(d_m / 1000.0) * 1e-6
    return np.minimum(production, equilibrium_fraction * _GEOMETRIC_SATURATION / d_m**2)


def crater_depth_m(diameter_m, depth_ratio: float):
    """Rim-to-floor depth [m]: ``depth_ratio`` D for simple craters (Pike 1977), Garvin et al. (2003)
    d = 0.36 D^0.49 (km) above the 7 km simple-to-complex transition."""
    d = np.asarray(diameter_m, dtype=float)
    complex_depth = 360.0 * (d / 1000.0) ** 0.49
    return np.where(d > _SIMPLE_COMPLEX_D_M, np.minimum(depth_ratio * d, complex_depth), depth_ratio * d)


def simple_crater_profile(r_over_radius, depth_m, rim_height_m):
    """Relief [m] of a fresh crater at distance r/R from its centre, relative to the ground before.

    Parabolic bowl whose floor is ``depth_m`` below the rim crest, rim crest ``rim_height_m`` above
    the ground (Pike 1977), ejecta thickness ∝ (r/R)^-3 (McGetchin et al. 1973) tapered to zero at
    2 R. Not volume-conserving: the shape is what a camera and a radar see.
    """
    rho = np.asarray(r_over_radius, dtype=float)
    inside = rim_height_m - depth_m * (1.0 - rho**2)
    rho_out = np.maximum(rho, 1.0)
    outside = rim_height_m * (rho_out**-3 - 0.125) / 0.875
    return np.where(rho < 1.0, inside, np.where(rho < 2.0, outside, 0.0))


def rock_q(k: float) -> float:
    """Golombek & Rapp (1997) decay constant q(k) = 1.79 + 0.152/k [m^-1] for rock abundance k."""
    return 1.79 + 0.152 / k


def rock_fractional_area(diameter_m, k: float):
    """Cumulative fractional area F_k(D) = k exp(-q D) covered by rocks of diameter ≥ D (Golombek & Rapp 1997)."""
    return k * np.exp(-rock_q(k) * np.asarray(diameter_m, dtype=float))


def _rock_number_density(diameter_m, k: float):
    """Differential number density n(D) [m^-2 m^-1]: -dF/dD divided by one rock's area πD²/4."""
    d = np.asarray(diameter_m, dtype=float)
    q = rock_q(k)
    return 4.0 * q * k * np.exp(-q * d) / (math.pi * d**2)


def rock_cumulative_number_per_m2(d_min_m: float, d_max_m: float, k: float) -> float:
    """Number of rocks per m² with d_min ≤ D < d_max under the Golombek & Rapp model (quadrature)."""
    if d_max_m <= d_min_m:
        return 0.0
    x = np.geomspace(d_min_m, d_max_m, 257)
    y = _rock_number_density(x, k)
    return float(np.trapezoid(y * x, np.log(x)))


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _lod_weight(feature_m, spacing_m: float):
    """1 for features ≥ 4 samples, 0 below 2 samples: what a grid of ``spacing_m`` can show."""
    if spacing_m <= 0.0:
        return np.ones_like(np.asarray(feature_m, dtype=float))
    return np.clip((np.asarray(feature_m, dtype=float) / spacing_m - 2.0) / 2.0, 0.0, 1.0)


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


def _stamp_craters(tex: np.ndarray, x_cells, y_cells, diameter_m, cell_m: float, depth_ratio: float, rim_ratio: float):
    """Add crater relief to a periodic texture (craters wrap around its edges)."""
    if len(x_cells) == 0:
        return
    radius_cells = int(math.ceil(float(np.max(diameter_m)) / cell_m)) + 1  # 2 R in cells, +1
    offs = np.arange(-radius_cells, radius_cells + 1)
    size = tex.shape[0]
    flat = tex.reshape(-1)
    for start in range(0, len(x_cells), 2048):  # bounded memory
        sl = slice(start, start + 2048)
        cx, cy, d = x_cells[sl], y_cells[sl], diameter_m[sl]
        ix = np.floor(cx).astype(np.int64)[:, None, None] + offs[None, None, :]
        iy = np.floor(cy).astype(np.int64)[:, None, None] + offs[None, :, None]
        r_m = np.hypot(ix - cx[:, None, None], iy - cy[:, None, None]) * cell_m
        rho = r_m / (0.5 * d[:, None, None])
        z = simple_crater_profile(rho, depth_ratio * d[:, None, None], rim_ratio * d[:, None, None])
        idx = (iy & (size - 1)) * size + (ix & (size - 1))
        flat += np.bincount(idx.reshape(-1), weights=z.reshape(-1), minlength=size * size).astype(np.float32)


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


# ----------------------------------------------------------------------------------------------
# The terrain


@dataclass(frozen=True, eq=False)
class Terrain:
    """A seeded Jezero-like ground; build with :meth:`from_mission` (or :meth:`build`)."""

    config: TerrainConfig
    seed: int
    target_latitude_deg: float
    target_longitude_deg: float
    ellipsoid: Ellipsoid
    curvature_radius_m: float
    crater_center_m: tuple[float, float]
    target_altitude_m: float
    _raster: np.ndarray = field(repr=False)  # spline coefficients of the base altitude
    _aux: np.ndarray = field(repr=False)  # (3, ny, nx): roughness factor, floor weight, delta weight
    _raster_origin_m: float = field(repr=False)
    _craters: _Layers = field(repr=False)
    _noise: _Layers = field(repr=False)
    _albedo: _Layers = field(repr=False)
    _crater_catalog: tuple = field(repr=False)  # per texture level: (d_lo_m, period_m, diameters_m)
    _levels: tuple = field(default=(), repr=False)  # finer RasterLevels of the base, finest first
    _site: object = field(default=None, repr=False)  # hirise.SiteData under the target, or None
    _site_uv: np.ndarray | None = field(default=None, repr=False)  # (2, 3): ENU [m] → site grid (u, v) [cells]
    _units: object = field(default=None, repr=False)  # geology.UnitRaster around the target, or None
    _unit_look: object = field(default=None, repr=False)  # geology.UnitField: albedo r, g, b, mottling, bedforms
    _rock_cache: dict = field(default_factory=dict, repr=False)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_mission(cls, mission) -> "Terrain":
        """The terrain of a :class:`edlcam.mission.Mission` (target, planet, [terrain], seed)."""
        return cls.build(
            mission.terrain,
            seed=mission.mission.seed,
            target_latitude_deg=mission.target.latitude_deg,
            target_longitude_deg=mission.target.longitude_deg,
            equatorial_radius_m=mission.planet.equatorial_radius_m,
            polar_radius_m=mission.planet.polar_radius_m,
        )

    @classmethod
    def build(
        cls,
        config: TerrainConfig | None = None,
        *,
        seed: int = 2021,
        target_latitude_deg: float = 18.4447,
        target_longitude_deg: float = 77.4508,
        equatorial_radius_m: float = 3396.19e3,
        polar_radius_m: float = 3376.20e3,
    ) -> "Terrain":
        """Build the terrain around a target from a [terrain] config and a seed."""
        cfg = config or TerrainConfig()
        ell = Ellipsoid(equatorial_radius_m, polar_radius_m)
        lat = math.radians(target_latitude_deg)
        w = math.sqrt(1.0 - ell.e2 * math.sin(lat) ** 2)
        # Gaussian radius of curvature √(M N) at the target: the sphere that best fits the ground
        # around it, for the curvature drop of the flat ENU frame.
        curvature_radius_m = math.sqrt(ell.a * (1.0 - ell.e2) / w**3 * ell.a / w)
        center = _latlon_to_en(
            cfg.crater_center_latitude_deg, cfg.crater_center_longitude_deg, target_latitude_deg, target_longitude_deg, ell
        )
        center_m = (float(center[0]), float(center[1]))
        noise_tex = _noise_texture(_rng(seed, _TAG_NOISE))

        def to_en(lat, lon):
            return _latlon_to_en(lat, lon, target_latitude_deg, target_longitude_deg, ell)

        units = unit_look = None
        if cfg.unit_map != "none":
            from edlcam.mars.geology import BACKGROUND_UNIT, load_unit_map, unit_raster

            names = (BACKGROUND_UNIT, *sorted(k for k in cfg.units if k != BACKGROUND_UNIT))
            units = unit_raster(load_unit_map(), to_en, seed=seed, unit_names=names)
            unit_look = units.field([[*cfg.units[k].albedo_rgb, cfg.units[k].mottling, cfg.units[k].bedform_contrast]
                                     for k in names])  # fmt: skip
        mound_m = tuple(float(x) for x in to_en(cfg.mound_latitude_deg, cfg.mound_longitude_deg)) if cfg.mound_height_m > 0 else None
        raster, aux, origin = _build_raster(cfg, seed, center_m, noise_tex, units, mound_m)
        craters, catalog = _build_crater_layers(cfg, seed)
        noise = _build_noise_layers(cfg, seed, noise_tex)
        albedo = _build_albedo_layers(seed, noise_tex)
        levels, site, site_uv = (), None, None
        if units is not None or cfg.site_data != "none":
            from edlcam.mars.landforms import ground_level

            ground = ground_level(cfg, raster, origin, _RASTER_CELL_M, units=units, craters=craters, center_m=center_m)
            levels = (ground,)
            if cfg.site_data != "none":
                from edlcam.mars.site_ground import site_level

                got = site_level(cfg, ground, aux, origin, _RASTER_CELL_M, craters, noise, to_en)
                if got is not None:
                    ground, patch, site, site_uv = got
                    levels = (patch, ground)
        terrain = cls(
            config=cfg,
            seed=seed,
            target_latitude_deg=target_latitude_deg,
            target_longitude_deg=target_longitude_deg,
            ellipsoid=ell,
            curvature_radius_m=curvature_radius_m,
            crater_center_m=center_m,
            target_altitude_m=float("nan"),
            _raster=raster,
            _aux=aux,
            _raster_origin_m=origin,
            _craters=craters,
            _noise=noise,
            _albedo=albedo,
            _crater_catalog=catalog,
            _levels=levels,
            _site=site,
            _site_uv=site_uv,
            _units=units,
            _unit_look=unit_look,
        )
        object.__setattr__(terrain, "target_altitude_m", float(terrain.altitude_m(0.0, 0.0)))
        log.info("terrain built: seed %d, ground at the target %.1f m MOLA", seed, terrain.target_altitude_m)
        return terrain

    # -- point queries --------------------------------------------------------------------------

    def altitude_m(self, east_m, north_m, *, include_rocks: bool = False):
        """MOLA altitude [m] of the ground at ENU tangent-plane coordinates (any array shapes, broadcast)."""
        e, n = np.broadcast_arrays(np.asarray(east_m, dtype=float), np.asarray(north_m, dtype=float))
        shape = e.shape
        e, n = e.reshape(-1), n.reshape(-1)
        z = self._altitude_flat(e, n, spacing_m=0.0)
        if include_rocks:
            z = z + self._rock_relief(e, n)
        return z.reshape(shape) if shape else float(z[0])

    def surface_up_m(self, east_m, north_m, *, include_rocks: bool = False):
        """The ground's up coordinate in the flat ENU frame: altitude − curvature drop (e²+n²)/(2R)."""
        z = self.altitude_m(east_m, north_m, include_rocks=include_rocks)
        return z - self._drop_m(east_m, north_m)

    def altitude_at_latlon_m(self, lat_deg, lon_deg):
        """MOLA altitude [m] of the ground at geodetic lat/lon (far outside the modelled region: the regional plain)."""
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float))
        shape = lat.shape
        lat, lon = lat.reshape(-1), lon.reshape(-1)
        out = np.full(lat.shape, self.config.plain_altitude_m)
        rng_m = great_circle_range_m(self.target_latitude_deg, self.target_longitude_deg, lat, lon)
        near = rng_m < self.config.model_radius_m + self.config.blend_width_m + 10_000.0
        if np.any(near):
            e, n = _latlon_to_en(lat[near], lon[near], self.target_latitude_deg, self.target_longitude_deg, self.ellipsoid)
            out[near] = self._altitude_flat(e, n, spacing_m=0.0)
        return out.reshape(shape) if shape else float(out[0])

    def _drop_m(self, east_m, north_m):
        e, n = np.asarray(east_m, dtype=float), np.asarray(north_m, dtype=float)
        return (e * e + n * n) / (2.0 * self.curvature_radius_m)

    def _model_weight(self, e, n):
        d = np.hypot(e, n)
        return 1.0 - _smoothstep((d - self.config.model_radius_m) / self.config.blend_width_m)

    def _raster_read(self, e, n, *, aux: bool):
        x = (e - self._raster_origin_m) / _RASTER_CELL_M
        y = (n - self._raster_origin_m) / _RASTER_CELL_M
        # The finest level whose box holds a point is read there (terrain_levels); the compiled
        # query tests the boxes in the same order.
        todo = np.ones(e.shape, dtype=bool)
        base = np.empty(e.shape)
        for level in self._levels:
            inside = todo & level.contains(e, n)
            if np.any(inside):
                base[inside] = level.read(e[inside], n[inside])
                todo &= ~inside
        if np.all(todo):
            base = map_coordinates(self._raster, [y, x], order=3, mode="nearest", prefilter=False)
        elif np.any(todo):
            base[todo] = map_coordinates(self._raster, [y[todo], x[todo]], order=3, mode="nearest", prefilter=False)
        if not aux:
            return base, None
        fields = np.stack([map_coordinates(a, [y, x], order=1, mode="nearest") for a in self._aux])
        return base, fields

    def _altitude_flat(self, e, n, *, spacing_m: float, with_fields: bool = False):
        """Altitude of flat arrays with detail finer than ``spacing_m`` left out (0: everything)."""
        chunk = 1 << 16
        if e.size > chunk:  # bounded temporaries for large grids
            parts = [self._altitude_flat(e[i : i + chunk], n[i : i + chunk], spacing_m=spacing_m, with_fields=with_fields)
                     for i in range(0, e.size, chunk)]  # fmt: skip
            if with_fields:
                return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)
            return np.concatenate(parts)
        base, fields = self._raster_read(e, n, aux=True)
        weight = self._model_weight(e, n)
        craters = self._craters.sample(e, n, _lod_weight(self._craters.feature_m, spacing_m))
        rough = self._noise.sample(e, n, _lod_weight(self._noise.feature_m, spacing_m))
        # Exactly the plain where the model has faded out (the spline rings near the raster edge).
        z = np.where(weight > 0.0, base + weight * (craters + fields[0] * rough), self.config.plain_altitude_m)
        return (z, fields) if with_fields else z

    def kernel_tables(self) -> tuple:
        """This terrain as one tuple of plain arrays and floats for the compiled point query.

        For :func:`edlcam.mars.terrain_kernel.ground_altitude_m` / ``ground_up_m`` inside numba
        code (layout: :func:`edlcam.mars.terrain_kernel.pack_tables`). Built once per terrain and
        cached on it; the arrays are read-only views of the terrain's own (≈ 70 MB, not copied).
        """
        tables = self.__dict__.get("_kernel_tables")
        if tables is None:
            from edlcam.mars.terrain_kernel import pack_tables  # imports numba: only its users pay for it

            tables = pack_tables(
                raster=self._raster,
                roughness=self._aux[0],
                origin_m=self._raster_origin_m,
                cell_m=_RASTER_CELL_M,
                model_radius_m=self.config.model_radius_m,
                blend_width_m=self.config.blend_width_m,
                plain_altitude_m=self.config.plain_altitude_m,
                curvature_radius_m=self.curvature_radius_m,
                craters=self._craters,
                noise=self._noise,
                levels=self._levels,
            )
            object.__setattr__(self, "_kernel_tables", tables)  # frozen dataclass: cache beside the fields
        return tables

    # -- rendering ------------------------------------------------------------------------------

    def heightmap(self, *, center_east_m, center_north_m, size_m, samples: int):
        """A square grid for rendering: returns (east_m[s,s], north_m[s,s], up_m[s,s] (surface_up_m), rgb[s,s,3] float32 0..1).

        Rows run north, columns east; nodes span centre ± size/2. Detail finer than about two grid
        spacings is left out (it would alias); coarser detail is exactly :meth:`altitude_m`'s.
        """
        samples = int(samples)
        if samples < 2 or size_m <= 0:
            raise ValueError(f"heightmap needs samples ≥ 2 and size_m > 0 (got samples={samples}, size_m={size_m})")
        axis = np.linspace(-0.5 * size_m, 0.5 * size_m, samples)
        east, north = np.meshgrid(center_east_m + axis, center_north_m + axis)
        spacing = size_m / (samples - 1)
        z, fields = self._altitude_flat(east.reshape(-1), north.reshape(-1), spacing_m=spacing, with_fields=True)
        z = z.reshape(samples, samples)
        up = z - self._drop_m(east, north)
        rgb = self._colour(east, north, z, fields.reshape(3, samples, samples), spacing)
        return east, north, up, rgb

    def _colour(self, east, north, z, fields, spacing_m: float):
        """Albedo in Mars colours: dust on the plains; on the crater floor each geologic unit's own
        albedo and mottling (:mod:`edlcam.mars.geology`, [terrain.units]), or without a unit map
        darker basalt with a lighter delta; over the landing site's orthomosaic, its real albedo
        (:mod:`edlcam.mars.site_ground`)."""
        floor_w, delta_w = fields[1][..., None], fields[2][..., None]
        e, n = east.reshape(-1), north.reshape(-1)
        if self._unit_look is not None:
            look = self._unit_look.sample(e, n)  # (N, 5): albedo r, g, b, mottling, bedform contrast
            floor_rgb = look[:, :3].reshape(east.shape + (3,))
            mottle = look[:, 3].reshape(east.shape)
            base = _DUST_RGB * (1.0 - floor_w) + floor_rgb * floor_w
            base = base * self._bedforms(e, n, look[:, 4], spacing_m).reshape(east.shape + (1,))
        else:
            mottle = np.ones(east.shape, dtype=np.float32)
            base = _DUST_RGB * (1.0 - floor_w) + _BASALT_RGB * floor_w
            base = base * (1.0 - delta_w) + _DELTA_RGB * delta_w
        lod = _lod_weight(self._albedo.feature_m, spacing_m)
        coarse = self._albedo.feature_m >= _ALBEDO_SHARED_M  # patches the data keeps: no step in mean
        patches = self._albedo.sample(e, n, lod).reshape(east.shape)
        rgb = base * (1.0 + mottle * patches)[..., None]
        # Dust slides off steep slopes and exposes darker rock (est.: up to 25 % darker above 30°).
        gy, gx = np.gradient(z, spacing_m)
        slope = np.hypot(gx, gy)
        rgb = rgb * (1.0 - 0.25 * _smoothstep((slope - 0.2) / 0.4))[..., None]
        if self._site is not None:
            uv = self._site_uv @ np.vstack([e, n, np.ones_like(e)])
            ny, nx = self._site.shape
            near = (uv[0] > 0.0) & (uv[0] < nx) & (uv[1] > 0.0) & (uv[1] < ny)
            if np.any(near):
                m_per_cell = 1.0 / np.hypot(*self._site_uv[:, 0])
                rel, w = self._site.albedo_at_uv(uv[0][near], uv[1][near], pixel_cells=spacing_m / m_per_cell,
                                                 feather_cells=self.config.site_albedo_blend_width_m / m_per_cell)  # fmt: skip
                en, nn = e[near], n[near]
                m_near = mottle.reshape(-1)[near]
                shared = self._albedo.sample(en, nn, lod * coarse) * m_near
                fine = self._albedo.sample(en, nn, lod * (self._albedo.feature_m < _ALBEDO_BELOW_DATA_M)) * m_near
                real = base.reshape(-1, 3)[near] * ((1.0 + shared) * (1.0 + fine))[:, None] * rel
                flat = rgb.reshape(-1, 3)
                flat[near] = flat[near] * (1.0 - w[:, None]) + real * w[:, None]
                rgb = flat.reshape(rgb.shape)
        return np.clip(rgb, 0.0, 1.0).astype(np.float32)

    def _bedforms(self, e, n, contrast, spacing_m: float):
        """Albedo factor (N,) of the bedform fields: 1 ± contrast × the crest pattern
        (:func:`edlcam.mars.geology.bedform_pattern`), faded out where the grid cannot show the
        crests (as the other detail); its phase bent by the albedo patches of 400 m and 40 m."""
        cfg = self.config
        out = np.ones(e.shape, dtype=np.float32)
        amp = contrast * float(_lod_weight(cfg.bedform_wavelength_m, spacing_m))
        on = amp > 0.0
        if not np.any(on):
            return out
        from edlcam.mars.geology import bedform_pattern

        warp = self._albedo.sample(e[on], n[on], np.array([4.0, 1.0, 0.0, 0.0]))  # ≈ 0.3 cycles RMS over 100s of m
        pattern = bedform_pattern(e[on], n[on], wavelength_m=cfg.bedform_wavelength_m, azimuth_deg=cfg.bedform_azimuth_deg,
                                  phase_cycles=warp)  # fmt: skip
        out[on] = 1.0 + amp[on] * pattern
        return out

    # -- rocks ----------------------------------------------------------------------------------

    def _rock_classes(self):
        """Diameter octaves [d, 2d) from 5 cm to the largest rock, with their tile sides."""
        out = []
        d = _ROCK_MIN_D_M
        while d < self.config.rock_max_diameter_m:
            hi = min(2.0 * d, self.config.rock_max_diameter_m)
            out.append((len(out), d, hi, _ROCK_TILE_PER_D * d))
            d *= 2.0
        return out

    def _rock_tile(self, cls_idx: int, d_lo: float, d_hi: float, tile_m: float, ix: int, iy: int):
        key = (cls_idx, ix, iy)
        hit = self._rock_cache.get(key)
        if hit is not None:
            return hit
        k = self.config.rock_abundance_k
        rng = _rng(self.seed, _TAG_ROCK, cls_idx, ix + _TILE_OFFSET, iy + _TILE_OFFSET)
        count = rng.poisson(rock_cumulative_number_per_m2(d_lo, d_hi, k) * tile_m * tile_m)
        east = (ix + rng.random(count)) * tile_m
        north = (iy + rng.random(count)) * tile_m
        grid = np.geomspace(d_lo, d_hi, 65)
        cdf = np.concatenate([[0.0], np.cumsum(np.diff(grid) * 0.5 * (_rock_number_density(grid[1:], k) + _rock_number_density(grid[:-1], k)))])
        diameter = np.interp(rng.random(count) * cdf[-1], cdf, grid)
        # Rock heights scatter ±30 % about rock_height_ratio × D (est.).
        height = self.config.rock_height_ratio * diameter * rng.uniform(0.7, 1.3, count)
        tile = (east, north, diameter, height)
        if len(self._rock_cache) > 4096:  # bounded memory for long flights
            self._rock_cache.clear()
        self._rock_cache[key] = tile
        return tile

    def rocks(self, *, east_min_m, east_max_m, north_min_m, north_max_m, min_diameter_m=0.05):
        """Rocks in the box: dict of arrays east_m, north_m, up_m (ground), diameter_m, height_m.

        Golombek & Rapp (1997) sizes from 5 cm to ``rock_max_diameter_m``. Raises ValueError for a
        box expected to hold more than 200,000 rocks.
        """
        if east_max_m < east_min_m or north_max_m < north_min_m:
            raise ValueError(f"rocks(): empty box east {east_min_m}..{east_max_m} m, north {north_min_m}..{north_max_m} m")
        min_d = max(float(min_diameter_m), _ROCK_MIN_D_M)
        area = (east_max_m - east_min_m) * (north_max_m - north_min_m)
        expected = area * rock_cumulative_number_per_m2(min_d, self.config.rock_max_diameter_m, self.config.rock_abundance_k)
        if expected > MAX_ROCKS:
            raise ValueError(
                f"rocks(): the box {east_max_m - east_min_m:.0f} m × {north_max_m - north_min_m:.0f} m holds ≈ "
                f"{expected:,.0f} rocks of diameter ≥ {min_d:g} m, above the limit of {MAX_ROCKS:,}; "
                "shrink the box or raise min_diameter_m"
            )
        parts = []
        for cls_idx, d_lo, d_hi, tile_m in self._rock_classes():
            if d_hi <= min_d:
                continue
            for ix in range(math.floor(east_min_m / tile_m), math.floor(east_max_m / tile_m) + 1):
                for iy in range(math.floor(north_min_m / tile_m), math.floor(north_max_m / tile_m) + 1):
                    e, n, d, h = self._rock_tile(cls_idx, d_lo, d_hi, tile_m, ix, iy)
                    keep = (e >= east_min_m) & (e < east_max_m) & (n >= north_min_m) & (n < north_max_m) & (d >= min_d)
                    parts.append((e[keep], n[keep], d[keep], h[keep]))
        e, n, d, h = (np.concatenate([p[i] for p in parts]) if parts else np.zeros(0) for i in range(4))
        return {"east_m": e, "north_m": n, "up_m": self.surface_up_m(e, n) if e.size else np.zeros(0),
                "diameter_m": d, "height_m": h}  # fmt: skip

    def _rock_relief(self, e, n):
        """Height [m] of the rocks above the ground at flat points (0 between rocks).

        Each rock is a half-ellipsoid of its diameter and height standing on the ground.
        """
        out = np.zeros_like(e)
        inside = self._model_weight(e, n) > 0.0
        if not np.any(inside):
            return out
        pts = np.column_stack([e[inside], n[inside]])
        best = np.zeros(len(pts))
        for cls_idx, d_lo, d_hi, tile_m in self._rock_classes():
            ix = np.floor(pts[:, 0] / tile_m).astype(np.int64)
            iy = np.floor(pts[:, 1] / tile_m).astype(np.int64)
            tiles = {(a + dx, b + dy) for a, b in set(zip(ix.tolist(), iy.tolist())) for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
            got = [self._rock_tile(cls_idx, d_lo, d_hi, tile_m, a, b) for a, b in sorted(tiles)]
            re = np.concatenate([g[0] for g in got])
            if re.size == 0:
                continue
            rn = np.concatenate([g[1] for g in got])
            rd = np.concatenate([g[2] for g in got])
            rh = np.concatenate([g[3] for g in got])
            k = min(8, re.size)
            dist, idx = cKDTree(np.column_stack([re, rn])).query(pts, k=k, distance_upper_bound=0.5 * d_hi)
            dist, idx = dist.reshape(len(pts), k), idx.reshape(len(pts), k)
            valid = idx < re.size
            idx = np.where(valid, idx, 0)
            rho2 = (dist / (0.5 * rd[idx])) ** 2
            hgt = np.where(valid & (rho2 < 1.0), rh[idx] * np.sqrt(np.clip(1.0 - rho2, 0.0, 1.0)), 0.0)
            best = np.maximum(best, hgt.max(axis=1))
        out[inside] = best
        return out


# ----------------------------------------------------------------------------------------------
# Builders


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
    return east[keep], north[keep], diameter[keep]


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
    ce, cn, cd = _large_craters(cfg, seed, center_m, half)
    for e0, n0, d in zip(ce, cn, cd):
        reach = d  # 2 R
        i0, i1 = np.searchsorted(axis, [e0 - reach, e0 + reach])
        j0, j1 = np.searchsorted(axis, [n0 - reach, n0 + reach])
        sub_e, sub_n = east[j0:j1, i0:i1], north[j0:j1, i0:i1]
        rho = np.hypot(sub_e - e0, sub_n - n0) / (0.5 * d)
        relief[j0:j1, i0:i1] += simple_crater_profile(rho, crater_depth_m(d, cfg.crater_depth_ratio), _rim_height(cfg, d))
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
        _stamp_craters(textures[k], x, y, diameter, cell_m, cfg.crater_depth_ratio, cfg.crater_rim_height_ratio)
        cell.append(cell_m), cos_t.append(math.cos(theta)), sin_t.append(math.sin(theta))
        ox.append(offset[0]), oy.append(offset[1]), feat.append(d_lo)
        catalog.append((d_lo, period, diameter))
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
    """Albedo patches: ±8 % at hundreds of metres, ±5 % at metres (est.)."""
    lam = np.array([400.0, 40.0, 4.0, 0.4])
    amp = np.array([0.08, 0.06, 0.05, 0.04])
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
