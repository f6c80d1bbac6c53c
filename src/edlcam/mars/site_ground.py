"""The real ground under the landing point, set into the procedural one without a seam.

:mod:`edlcam.mars.hirise` holds the HiRISE heights and albedo of the ≈ 450 m around the landing
point; this module places them, in the target's tangent plane, into the ground that
:class:`edlcam.mars.terrain.Terrain` builds around them:

* **Level.** The DTM's mean level differs from the procedural floor's by a few metres. That
  offset is added to the 25 m ground level round the target (:mod:`edlcam.mars.landforms`) as a
  smooth bump — 1 over the data, falling as cos² to 0 at ``site_level_taper_m`` — so that the
  data's edge needs to absorb only its local relief.
* **Heights.** A finer level inside the ground level (:class:`edlcam.mars.terrain_levels.RasterLevel`,
  0.78 m = 200 m / 2⁸ knots) over the data, holding the correction
  m · (DTM − procedural ground coarser than ``site_detail_cutoff_m``): the DTM replaces the base
  raster and the crater and roughness layers at and above the cutoff, and the finer procedural
  layers add the detail below the DTM's resolution. The weight m rises from 0 at the data's edge
  to 1 at ``site_blend_width_m`` inside it (smoothstep), so height and slope are continuous there.
* **Albedo** (:meth:`edlcam.mars.terrain.Terrain.heightmap`): the orthomosaic's relative albedo
  (mean 1) multiplies the procedural colour's large-scale part, weighted the same way over
  ``site_albedo_blend_width_m``; the mean level is the procedural one on both sides of the edge.

Coordinates: the site grid's (u east, v south) [cells] maps to the tangent plane through an
affine fit of three of its corners placed by the mission's own latitude/longitude → ENU mapping
(the meridians' convergence across 450 m moves a point by < 2 cm).
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy.ndimage import map_coordinates

from edlcam.mars.hirise import load_jezero
from edlcam.mars.landforms import GROUND_HALVINGS
from edlcam.mars.terrain_levels import MARGIN_CELLS

__all__ = ["site_level", "LEVEL_HALVINGS"]

log = logging.getLogger(__name__)

LEVEL_HALVINGS = 8  # 200 m / 2⁸ = 0.78 m knots (from the 200 m raster): finer than the DTM's 1 m posts


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def site_uv_affine(site, to_en):
    """(2, 3) matrix A with (u, v) = A @ (e, n, 1), and the (e, n) of grid (0, 0) and its columns."""
    corners_uv = np.array([[0.0, 0.0], [float(site.shape[1]), 0.0], [0.0, float(site.shape[0])]])
    lat, lon = site.latlon_of_uv(corners_uv[:, 0], corners_uv[:, 1])
    e, n = to_en(lat, lon)
    p0 = np.array([e[0], n[0]])
    cols = np.column_stack([[e[1] - e[0], n[1] - n[0]], [e[2] - e[0], n[2] - n[0]]]) / site.shape[0]
    inv = np.linalg.inv(cols)  # (e, n) − p0 = cols @ (u, v)
    return np.column_stack([inv, -inv @ p0])


def site_level(cfg, ground, aux, origin_m, cell_m, craters, noise, to_en):
    """(the ground level with the level bump, the data's RasterLevel, SiteData, ENU → uv affine), or
    None where the data lies outside the ground level (another landing site).

    ``ground`` is the 25 m level of the base raster round the target
    (:func:`edlcam.mars.landforms.ground_level`), the data's parent; ``aux``, ``origin_m`` and
    ``cell_m`` the 200 m raster's roughness factor and grid; ``to_en(lat, lon)`` the terrain's
    latitude/longitude → tangent-plane mapping; ``craters`` and ``noise`` its layers, whose coarse
    part the data replaces.
    """
    site = load_jezero()
    affine = site_uv_affine(site, to_en)
    uv_to_en = np.linalg.inv(np.vstack([affine, [0.0, 0.0, 1.0]]))[:2]
    ny, nx = site.shape
    hull_uv = np.array([[0.5, 0.5], [nx - 0.5, 0.5], [0.5, ny - 0.5], [nx - 0.5, ny - 0.5]])  # node centres
    hull_en = (uv_to_en @ np.column_stack([hull_uv, np.ones(4)]).T).T
    centre = hull_en.mean(axis=0)
    e_lo, e_hi, n_lo, n_hi = ground.box
    reach = cfg.site_level_taper_m + (MARGIN_CELLS + 8) * ground.cell_m
    if not (e_lo + reach <= centre[0] <= e_hi - reach and n_lo + reach <= centre[1] <= n_hi - reach):
        log.info("site data lies %.0f km from the target, outside the ground level: not used", np.hypot(*centre) / 1e3)
        return None
    m_per_cell = min(np.hypot(*uv_to_en[:, 0]), np.hypot(*uv_to_en[:, 1]))

    crater_on = craters.feature_m >= cfg.site_detail_cutoff_m
    noise_on = noise.feature_m >= cfg.site_detail_cutoff_m

    def coarse_ground(parent, e, n, *, craters_w=crater_on, noise_w=noise_on):
        """The procedural ground without the layers finer than the cutoff (model weight 1 here);
        ``parent``: the base level read under it, or None for the layers alone."""
        x, y = (e - origin_m) / cell_m, (n - origin_m) / cell_m
        rough = map_coordinates(aux[0], [y, x], order=1, mode="nearest")
        out = craters.sample(e, n, craters_w.astype(float)) + rough * noise.sample(e, n, noise_w.astype(float))
        if parent is not None:
            out = out + parent.read(e, n)
        return out

    def coarse_layers_on_knots(level, live):
        """The replaced layers at every knot where ``live``, each layer read on every 2^k-th knot
        with 2^k knots ≤ 1/8 of its feature size and brought to all knots by a cubic spline
        (< 1 % of its relief); the finest layers only where ``live``."""
        ke, kn = level.node_grid()
        ny_k, nx_k = ke.shape
        total = np.zeros(ke.shape)
        for step in (8, 4, 2, 1):
            lo = 8.0 * step * level.cell_m
            hi = np.inf if step == 8 else 16.0 * step * level.cell_m
            cw = crater_on & (craters.feature_m >= lo) & (craters.feature_m < hi)
            nw = noise_on & (noise.feature_m >= lo) & (noise.feature_m < hi)
            if step == 1:
                cw, nw = crater_on & (craters.feature_m < hi), noise_on & (noise.feature_m < hi)
            if not (cw.any() or nw.any()):
                continue
            if step == 1:
                total[live] += coarse_ground(None, ke[live], kn[live], craters_w=cw, noise_w=nw)
                continue
            rows = np.arange(0, ny_k + step - 1, step)
            cols = np.arange(0, nx_k + step - 1, step)
            ge, gn = np.meshgrid(level.origin_e_m + cols * level.cell_m, level.origin_n_m + rows * level.cell_m)
            vals = coarse_ground(None, ge.ravel(), gn.ravel(), craters_w=cw, noise_w=nw).reshape(ge.shape)
            yy, xx = np.mgrid[0:ny_k, 0:nx_k] / step
            total += map_coordinates(vals, [yy, xx], order=3, mode="nearest")
        return total

    def dtm_weight_and_height(e, n):
        uv = affine @ np.vstack([e, n, np.ones_like(e)])
        inset = np.minimum(np.minimum(uv[0] - 0.5, nx - 0.5 - uv[0]), np.minimum(uv[1] - 0.5, ny - 0.5 - uv[1]))
        weight = _smoothstep(inset * m_per_cell / cfg.site_blend_width_m)
        return weight, site.height_at_uv(uv[0], uv[1])

    # Level: the data's mean offset from the procedural ground, as a smooth bump of the ground level.
    sub = np.mgrid[0.5 : ny : 3.0, 0.5 : nx : 3.0].reshape(2, -1)
    se, sn = uv_to_en @ np.vstack([sub[1], sub[0], np.ones(sub.shape[1])])
    offset = float(np.mean(site.height_at_uv(sub[1], sub[0]) - coarse_ground(ground, se, sn)))
    r0 = 0.5 * float(np.max(np.hypot(*(hull_en - centre).T)))  # the data's half-size
    ge, gn = ground.node_grid()
    r = np.hypot(ge - centre[0], gn - centre[1])
    taper = np.cos(0.5 * math.pi * np.clip((r - r0) / (cfg.site_level_taper_m - r0), 0.0, 1.0)) ** 2
    ground = ground.with_correction(offset * taper)

    # Heights: the finer level over the data, with the blended correction at its knots.
    level = ground.refine(halvings=LEVEL_HALVINGS - GROUND_HALVINGS,
                          east_m=(hull_en[:, 0].min(), hull_en[:, 0].max()),
                          north_m=(hull_en[:, 1].min(), hull_en[:, 1].max()))  # fmt: skip
    ke, kn = (g.ravel() for g in level.node_grid())
    weight, height = dtm_weight_and_height(ke, kn)
    live = weight > 0.0
    # The parent's value at its own knots: the cubic B-spline's (1, 4, 1) / 6 along each axis.
    c = level.coef
    rows = (c[:-2] + 4.0 * c[1:-1] + c[2:]) / 6.0
    parent = np.zeros(c.shape)
    parent[1:-1, 1:-1] = (rows[:, :-2] + 4.0 * rows[:, 1:-1] + rows[:, 2:]) / 6.0  # edge knots are never live
    correction = np.zeros(ke.size)
    layers = coarse_layers_on_knots(level, live.reshape(c.shape)).ravel()
    correction[live] = weight[live] * (height[live] - parent.ravel()[live] - layers[live])
    level = level.with_correction(correction.reshape(c.shape))
    log.info("site data: DTM level %+.2f m against the procedural ground, blended over %.0f m; %d² knots of %.2f m",
             offset, cfg.site_blend_width_m, level.coef.shape[0], level.cell_m)  # fmt: skip
    return ground, level, site, affine
