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
from scipy.ndimage import map_coordinates
from scipy.spatial import cKDTree

from edlcam.config.terrain import TerrainConfig
from edlcam.mars.crater_stats import __all__ as _MODEL_NAMES  # re-exported: the published models
from edlcam.mars.crater_stats import (
    _rock_number_density,
    crater_cumulative_density_per_m2,
    crater_degradation,
    crater_depth_m,
    crater_equilibrium_diameter_m,
    hartmann_neukum_n1_per_km2,
    ivanov_production_log10,
    rock_cumulative_number_per_m2,
    rock_fractional_area,
    rock_q,
    simple_crater_profile,
)
from edlcam.mars.frames import Ellipsoid, great_circle_range_m
from edlcam.mars.terrain_layers import (
    ALBEDO_BAND_RMS,
    ALBEDO_LAMBDAS_M,
    _RASTER_CELL_M,
    _ROCK_MIN_D_M,
    _ROCK_TILE_PER_D,
    _TAG_NOISE,
    _TAG_ROCK,
    _TILE_OFFSET,
    _band_lod_weight,
    _build_albedo_layers,
    _build_crater_layers,
    _build_noise_layers,
    _build_raster,
    _latlon_to_en,
    _Layers,
    _lod_weight,
    _noise_texture,
    _rng,
    _smoothstep,
)

__all__ = ["Terrain", "MAX_ROCKS", *_MODEL_NAMES]

log = logging.getLogger(__name__)

MAX_ROCKS = 200_000  # rocks() refuses a box expected to hold more

# Mars colours (linear 0..1 albedo tints, est. from Mars Pathfinder / Mastcam true-colour images).
_DUST_RGB = np.array([0.70, 0.50, 0.32], dtype=np.float32)  # butterscotch dust
_BASALT_RGB = np.array([0.40, 0.30, 0.24], dtype=np.float32)  # darker basaltic crater floor
_DELTA_RGB = np.array([0.68, 0.56, 0.45], dtype=np.float32)  # lighter delta sediments
_ALBEDO_SHARED_M = 6.0  # albedo patches of features ≥ this (bands of λ ≥ 25 m) also modulate the real albedo: no step in mean level at the data's edge
_ALBEDO_BELOW_DATA_M = 0.2  # … and those below the orthomosaic's 25 cm pixels add to it
# Weights of the albedo bands (terrain_layers.ALBEDO_LAMBDAS_M) that bend the bedform crests.
_BEDFORM_WARP = np.select([ALBEDO_LAMBDAS_M == 400.0, ALBEDO_LAMBDAS_M == 100.0], [0.32 / ALBEDO_BAND_RMS, 0.06 / ALBEDO_BAND_RMS], 0.0)


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
    _crater_catalog: tuple = field(repr=False)  # per texture level: (d_lo_m, period_m, diameters_m, depth fractions)
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

            ground = ground_level(cfg, raster, origin, _RASTER_CELL_M, units=units, craters=craters, center_m=center_m,
                                  seed=seed)
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
        rough = self._noise.sample(e, n, _band_lod_weight(self._noise.feature_m, spacing_m))
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
        """Albedo in Mars colours: each geologic unit's own albedo and mottling (:mod:`edlcam.mars.geology`,
        [terrain.units]; beyond the map its background unit), or without a unit map dust on the
        plains and darker basalt with a lighter delta on the floor; over the landing site's
        orthomosaic, its real albedo (:mod:`edlcam.mars.site_ground`)."""
        floor_w, delta_w = fields[1][..., None], fields[2][..., None]
        e, n = east.reshape(-1), north.reshape(-1)
        if self._unit_look is not None:
            look = self._unit_look.sample(e, n)  # (N, 5): albedo r, g, b, mottling, bedform contrast
            floor_rgb = look[:, :3].reshape(east.shape + (3,))
            mottle = look[:, 3].reshape(east.shape)
            # Beyond the floor the plains keep the map's background tone: in orbital albedo maps
            # (TES, Christensen et al. 2001, JGR 106:23823) Jezero lies in the low-to-medium albedo
            # terrain west of Isidis with no bright dust mantle on its rim, so the wall and plains
            # read like the floor at kilometre scale (est.). The dust tint there drew a bright
            # ring at the floor's edge on the LCAM's horizon.
            base = floor_rgb
            base = base * self._bedforms(e, n, look[:, 4], spacing_m).reshape(east.shape + (1,))
        else:
            mottle = np.ones(east.shape, dtype=np.float32)
            base = _DUST_RGB * (1.0 - floor_w) + _BASALT_RGB * floor_w
            base = base * (1.0 - delta_w) + _DELTA_RGB * delta_w
        lod = _band_lod_weight(self._albedo.feature_m, spacing_m)
        coarse = self._albedo.feature_m >= _ALBEDO_SHARED_M  # patches the data keeps: no step in mean
        below = self._albedo.feature_m < _ALBEDO_BELOW_DATA_M
        # Each band read once, in the groups the data's blend below needs.
        shared_all = self._albedo.sample(e, n, lod * coarse)
        fine_all = self._albedo.sample(e, n, lod * below)
        patches = (shared_all + fine_all + self._albedo.sample(e, n, lod * ~(coarse | below))).reshape(east.shape)
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
                m_near = mottle.reshape(-1)[near]
                shared = shared_all[near] * m_near
                fine = fine_all[near] * m_near
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

        # ≈ 0.3 cycles RMS from the 100–400 m band, 0.06 from the 25–100 m one
        warp = self._albedo.sample(e[on], n[on], _BEDFORM_WARP)
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
