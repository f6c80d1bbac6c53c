"""The landforms of the mapped units: the delta and its scarp, the units' crater retention.

:mod:`edlcam.mars.geology` says where each unit lies; this module turns that into heights, as a
finer level of the base raster (:class:`edlcam.mars.terrain_levels.RasterLevel`, 25 m = 200 m / 2³
knots) over the unit map's grid, so the flight's radar and touchdown and the cameras' meshes read
the same ground (the compiled query reads a level for the cost of a box test):

* **The delta** stands on the floor where the map puts it, as a layer of sediment: the ground
  under it raised by a thickness that grows from ``delta_front_thickness_m`` at the front to
  ``delta_apex_thickness_m`` toward the inlet (linearly along the fan's axis, as the procedural fan
  did), its edge a scarp — the mapped outline smoothed over ``delta_scarp_width_m``, so the front
  is as steep as the published scarp's slopes, its lobes the map's.
* **The delta top's erosional relief**: wind has cut the delta's upper strata into mesas, knobs
  and ridges, a layer package high (``delta_relief_m``) and ``delta_relief_scale_m`` across —
  the rugged relief of the real LCAM frames, where a smooth plateau read as a flat bright patch.
  On the level's 25 m knots the remnants' sides reach 25–35° (99 % of the delta top under 35°),
  below the landing's 40° Sun: they shade (the sides away from the Sun dark) but cast few shadows
  of their own; the front's scarp casts the black ones. A seeded smooth random field (white noise smoothed by a Gaussian of
  ``delta_relief_scale_m``) is cut at its 70th percentile into flat-topped remnants with steep
  edges (:func:`_delta_relief`).
* **Crater retention**: a unit erodes or buries its craters at its own rate. The relief of the
  crater layers of diameter ≥ :data:`RETENTION_MIN_D_M` (those a 25 m grid holds) is scaled by the
  unit's ``crater_retention`` (1 on the crater-retaining floor); smaller craters stay everywhere.

Without a unit map the level holds no landform, only what the landing site sets into it
(:mod:`edlcam.mars.site_ground`). Its correction is zero within ``MARGIN_CELLS`` of its box, so at
the box's edge it is its parent's spline (no step).
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates

from edlcam.mars.terrain_levels import MARGIN_CELLS, RasterLevel

__all__ = ["ground_level", "GROUND_HALVINGS", "RETENTION_MIN_D_M"]

log = logging.getLogger(__name__)

GROUND_HALVINGS = 3  # 200 m / 2³ = 25 m knots: a scarp of ≈ 100 m width is 4 knots
RETENTION_MIN_D_M = 100.0  # craters of ≥ 4 knots' diameter: the level can scale their relief


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _window(level: RasterLevel, e, n, width_m: float):
    """1 well inside the level's box, 0 within MARGIN_CELLS + 2 knots of its edge (smoothstep over width_m)."""
    e_lo, e_hi, n_lo, n_hi = level.box
    pad = (MARGIN_CELLS + 2) * level.cell_m
    inset = np.minimum(np.minimum(e - e_lo, e_hi - e), np.minimum(n - n_lo, n_hi - n)) - pad
    return _smoothstep(inset / width_m)


_TAG_DELTA_RELIEF = 16  # random stream of the delta top's relief (terrain_layers' tags are 11–15)
_RELIEF_CUT_SIGMA = 0.5  # the field's level where the remnants' edges lie [its RMS]: ≈ 30 % of the area stands up
_RELIEF_EDGE_SIGMA = 0.4  # the edges' rise spans this much of the field [its RMS]: ≈ the smoothing length / 3


def _delta_relief(cfg, seed: int, shape, knot_m: float) -> np.ndarray:
    """Erosional relief [m] on the level's knots: ``delta_relief_m``-high flat-topped remnants.

    A unit-RMS random field with correlation length ``delta_relief_scale_m`` (white noise smoothed
    by a Gaussian of that σ on the level's ``knot_m`` knots) is turned into mesas by a smoothstep about
    its level _RELIEF_CUT_SIGMA over _RELIEF_EDGE_SIGMA: flat tops, steep sides (est.: the delta's
    upper strata eroded back in packages, its remnants knobs and buttes as Kodiak is at a larger
    scale — Mangold et al. 2021, Science 374:711).
    """
    if cfg.delta_relief_m <= 0.0:
        return np.zeros(shape)
    from edlcam.mars.terrain_layers import _rng

    rng = _rng(seed, _TAG_DELTA_RELIEF)
    field = gaussian_filter(rng.standard_normal(shape), cfg.delta_relief_scale_m / knot_m, mode="wrap")
    field /= max(float(field.std()), 1e-12)
    return cfg.delta_relief_m * _smoothstep((field - _RELIEF_CUT_SIGMA) / _RELIEF_EDGE_SIGMA + 0.5)


def ground_level(cfg, raster_coef, origin_m: float, cell_m: float, *, units, craters, center_m, seed: int):
    """The 25 m level of the base raster over the unit map's grid, with the delta plateau and the
    units' crater retention as its correction; without a unit map, a level without landforms over
    the target's surroundings (for the landing site's data: ±(site_level_taper_m + 2 km))."""
    if units is not None:
        e_lo, e_hi, n_lo, n_hi = units.extent_m
    else:
        half = cfg.site_level_taper_m + 2000.0
        e_lo, e_hi, n_lo, n_hi = -half, half, -half, half
    level = RasterLevel.refined(raster_coef, origin_m, cell_m, halvings=GROUND_HALVINGS,
                                east_m=(e_lo, e_hi), north_m=(n_lo, n_hi))  # fmt: skip
    if units is None:
        return level
    ke, kn = level.node_grid()
    shape = ke.shape
    ke, kn = ke.ravel(), kn.ravel()
    window = _window(level, ke, kn, 1000.0)
    live = window > 0.0
    correction = np.zeros(ke.size)
    # The delta: the mapped outline, smoothed to the scarp's width, lifts the ground to its top.
    k = units.index("delta") if "delta" in units.names else None
    if k is not None:
        sigma = cfg.delta_scarp_width_m / (2.0 * units.cell_m)  # the smoothstep-like 10–90 % rise ≈ 2.5 σ
        mask_grid = gaussian_filter(units.weights[k].astype(np.float64), sigma, mode="nearest")
        x = (ke[live] - units.origin_e_m) / units.cell_m
        y = (kn[live] - units.origin_n_m) / units.cell_m
        mask = np.clip(map_coordinates(mask_grid, [y, x], order=1, mode="constant", cval=0.0), 0.0, 1.0)
        relief = _delta_relief(cfg, seed, shape, level.cell_m).ravel()[live]
        correction[live] += mask * (_delta_thickness(cfg, ke[live], kn[live], center_m) + relief)
    # Crater retention: the relief of the craters the level resolves, scaled per unit.
    retention = units.field([[cfg.units[name].crater_retention] for name in units.names]).sample(ke[live], kn[live])[:, 0]
    scale = retention.astype(np.float64) - 1.0
    big = craters.feature_m >= RETENTION_MIN_D_M
    if np.any(big) and np.any(scale != 0.0):
        todo = np.flatnonzero(scale != 0.0)
        relief = craters.sample(ke[live][todo], kn[live][todo], big.astype(float))
        add = np.zeros(scale.size)
        add[todo] = scale[todo] * relief
        correction[live] += add
    correction[live] *= window[live]
    log.info("ground level: %d × %d knots of %.0f m, delta plateau up to %.0f m, crater retention %s",
             shape[1], shape[0], level.cell_m, float(correction.max()),
             {n: cfg.units[n].crater_retention for n in units.names})  # fmt: skip
    return level.with_correction(correction.reshape(shape))


def _delta_thickness(cfg, e, n, center_m):
    """Thickness [m] of the delta above the floor: front thickness at the front, rising linearly to
    the apex thickness at the fan's apex on the rim (the procedural fan's axis: delta_azimuth_deg)."""
    radius = 0.5 * cfg.crater_diameter_m
    daz = math.radians(cfg.delta_azimuth_deg)
    apex = (center_m[0] + radius * math.sin(daz), center_m[1] + radius * math.cos(daz))
    dist = np.hypot(e - apex[0], n - apex[1])
    frac = np.clip(dist / cfg.delta_radius_m, 0.0, 1.0)
    return cfg.delta_apex_thickness_m + (cfg.delta_front_thickness_m - cfg.delta_apex_thickness_m) * frac
