"""Real ground of the Mars 2020 landing site: the HiRISE terrain model and orthomosaic around it.

The data (``src/edlcam/data/jezero/``, CC BY 4.0: PercyMAP by Andreas Plesch, from the HiRISE
DTM and orthomosaic, NASA/JPL/University of Arizona, and the Mars 2020 EDL descent imagery,
NASA/JPL-Caltech; made by ``tools/jezero_data.py``) covers the ≈ 430 m × 450 m around Octavia E.
Butler Landing:

* heights: 452 × 452 nodes of the 1 m HiRISE DTM, MOLA areoid, 1 cm steps;
* albedo: the 25 cm HiRISE mosaic (grey) on 4 pixels per DTM cell, and the ≈ 10 cm colour patch of
  the descent imagery over the touchdown area.

Georeference. PercyMAP places the grid on the Mars 2000 sphere (R = 3 396 190 m) in an
equirectangular projection with standard parallel 0: easting = R λ, northing = R φ (planetocentric,
east-positive), the grid's north-west corner at easting 4 590 641.917 m, northing 1 093 538.378 m
(77.446906° E, 18.448654° N), 1.000162 m of easting per column, 1.000775 m of northing per row.
Checked here (tools/jezero_data.py; tests/mars/test_hirise.py): the orthomosaic's burned-in
neatline ticks (every 0.001°) put its edges at 77.446902°/77.454540° E and 18.448657°/18.441027° N,
within 0.4 m of the 452 cells' edges; its 200 m scale bar spans 1912 px, the cells 1910 px
(0.1 %); a hillshade of the DTM correlates best with the mosaic under a Sun from azimuth 280°,
elevation 60°, shifted by less than 1 m (phase correlation in four windows). So node (i, j) is the
centre of cell (i, j), and the image covers the cells edge to edge. The landed point 18.4447° N,
77.4508° E falls at node row 233.7, column 230.3 — near the grid's centre — where the DTM reads
−2569.83 m, 0.17 m from the mission's floor altitude (−2570 m, MOLA).

Latitudes are used as the mission uses its target's: the same number goes through the same
:func:`edlcam.mars.terrain` tangent-plane mapping, so the data sits at the target exactly as the
published coordinates put it.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["SiteData", "load_jezero", "DATA_DIR", "srgb_to_linear"]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "jezero"


def srgb_to_linear(v):
    """IEC 61966-2-1 sRGB decoding of values in 0..1 (the colour patch is an sRGB JPEG)."""
    v = np.asarray(v, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """Area-averaged halvings of an (H, W[, C]) float32 image, the image first."""
    out = [image]
    for _ in range(levels):
        a = out[-1]
        h, w = (a.shape[0] // 2) * 2, (a.shape[1] // 2) * 2
        a = a[:h, :w]
        out.append(0.25 * (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]))
    return out


def _bilinear(image: np.ndarray, x, y):
    """Bilinear read of an (H, W[, C]) image at pixel coordinates (pixel centres at integers), clamped."""
    h, w = image.shape[:2]
    x = np.clip(x, 0.0, w - 1.0)
    y = np.clip(y, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2)
    tx, ty = (x - x0).astype(np.float32), (y - y0).astype(np.float32)
    if image.ndim == 3:
        tx, ty = tx[:, None], ty[:, None]
    top = image[y0, x0] * (1 - tx) + image[y0, x0 + 1] * tx
    bottom = image[y0 + 1, x0] * (1 - tx) + image[y0 + 1, x0 + 1] * tx
    return top * (1 - ty) + bottom * ty


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass(frozen=True, eq=False)
class SiteData:
    """The landing site's heights and albedo on their own grid (see the module docstring).

    Grid coordinates: ``u`` runs west → east and ``v`` north → south over the 452 cells, in cells
    (node (i, j) at v = i + 0.5, u = j + 0.5; the image covers u, v ∈ [0, 452]).
    """

    heights_m: np.ndarray  # (452, 452) float64, rows north → south
    west_lon_deg: float  # the cells' west edge
    north_lat_deg: float  # the cells' north edge
    cell_lon_deg: float
    cell_lat_deg: float
    grey_levels: tuple  # relative albedo of the grey mosaic (mean 1 over its imagery), pyramid
    grey_px_per_cell: float
    grey_valid: tuple  # (u0, v0, u1, v1) [cells]: where the mosaic holds imagery
    colour_levels: tuple  # linear relative colour (the grey's local mean, per channel), pyramid
    colour_alpha_levels: tuple  # the colour patch's weight 0..1, pyramid
    colour_origin_cells: tuple  # (u, v) of the colour crop's top-left pixel's corner [cells]
    colour_px_per_cell: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.heights_m.shape

    def uv_of_latlon(self, lat_deg, lon_deg):
        """Grid coordinates (u east, v south) [cells] of latitude/longitude [deg]."""
        u = (np.asarray(lon_deg, dtype=float) - self.west_lon_deg) / self.cell_lon_deg
        v = (self.north_lat_deg - np.asarray(lat_deg, dtype=float)) / self.cell_lat_deg
        return u, v

    def latlon_of_uv(self, u, v):
        """Latitude, longitude [deg] of grid coordinates (u, v) [cells]."""
        lat = self.north_lat_deg - np.asarray(v, dtype=float) * self.cell_lat_deg
        lon = self.west_lon_deg + np.asarray(u, dtype=float) * self.cell_lon_deg
        return lat, lon

    def height_at_uv(self, u, v, *, order: int = 3):
        """DTM height [m] at grid coordinates (a spline of ``order`` through the nodes; clamped at the edges)."""
        from scipy.ndimage import map_coordinates

        u, v = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(v, dtype=float))
        out = map_coordinates(self.heights_m, [v.ravel() - 0.5, u.ravel() - 0.5], order=order, mode="nearest")
        return out.reshape(u.shape) if u.shape else float(out[0])

    def albedo_at_uv(self, u, v, *, pixel_cells: float, feather_cells: float):
        """Relative linear colour (N, 3) of the ground at grid coordinates (flat arrays), and its
        weight (N,): 1 well inside the imagery, falling smoothly to 0 over ``feather_cells`` at its
        edge. ``pixel_cells`` is the footprint of one output sample [cells]: the read comes from the
        pyramid level that averages about that much, so a coarse grid does not alias."""
        u = np.asarray(u, dtype=float)
        v = np.asarray(v, dtype=float)
        u0, v0, u1, v1 = self.grey_valid
        inset = np.minimum(np.minimum(u - u0, u1 - u), np.minimum(v - v0, v1 - v))
        weight = _smoothstep(inset / feather_cells)
        rgb = np.zeros((u.size, 3), dtype=np.float32)
        inside = weight > 0.0
        if not np.any(inside):
            return rgb, weight
        ui, vi = u[inside], v[inside]
        grey = self._read(self.grey_levels, ui, vi, (0.0, 0.0), self.grey_px_per_cell, pixel_cells)
        out = np.repeat(grey[:, None], 3, axis=1)
        h, w = self.colour_alpha_levels[0].shape
        cu = (ui - self.colour_origin_cells[0]) * self.colour_px_per_cell
        cv = (vi - self.colour_origin_cells[1]) * self.colour_px_per_cell
        c = (cu > 0.0) & (cu < w) & (cv > 0.0) & (cv < h)
        if np.any(c):
            args = (ui[c], vi[c], self.colour_origin_cells, self.colour_px_per_cell, pixel_cells)
            alpha = self._read(self.colour_alpha_levels, *args)[:, None]
            out[c] = out[c] * (1.0 - alpha) + self._read(self.colour_levels, *args) * alpha
        rgb[inside] = out
        return rgb, weight

    @staticmethod
    def _read(levels, u, v, origin_cells, px_per_cell: float, pixel_cells: float):
        """Bilinear read from the pyramid level whose pixel is closest below ``pixel_cells``."""
        want = max(pixel_cells * px_per_cell, 1.0)  # source pixels per output sample
        k = min(int(math.floor(math.log2(want))), len(levels) - 1)
        scale = px_per_cell / 2.0**k
        x = (u - origin_cells[0]) * scale - 0.5
        y = (v - origin_cells[1]) * scale - 0.5
        return _bilinear(levels[k], x, y)


@functools.lru_cache(maxsize=2)
def load_jezero(data_dir: Path | str = DATA_DIR) -> SiteData:
    """The shipped Jezero landing-site data (read once per process)."""
    d = Path(data_dir)
    meta = np.load(d / "dtm.npz")
    n = meta["height_cm"].shape[0]
    heights = meta["height_cm"].astype(np.float64) / 100.0 + float(meta["offset_m"])
    r = float(meta["sphere_radius_m"])
    deg_per_m = 180.0 / (math.pi * r)
    per_cell = int(meta["ortho_per_cell"])
    grey = np.asarray(Image.open(d / "ortho.jpg"), dtype=np.float32)
    vx0, vy0, vx1, vy1 = (int(x) for x in meta["valid_px"])
    mean = float(grey[vy0:vy1, vx0:vx1].mean())
    grey /= mean
    map_px = int(meta["map_px"])
    colour_px_per_cell = map_px / n
    colour = srgb_to_linear(np.asarray(Image.open(d / "colour.jpg"), dtype=np.float32) / 255.0)
    alpha = np.asarray(Image.open(d / "colour_alpha.png"), dtype=np.float32) / 255.0
    origin = np.asarray(meta["colour_origin_px"], dtype=float) / colour_px_per_cell
    site = SiteData(
        heights_m=heights,
        west_lon_deg=float(meta["corner_easting_m"]) * deg_per_m,
        north_lat_deg=float(meta["corner_northing_m"]) * deg_per_m,
        cell_lon_deg=float(meta["spacing_east_m"]) * deg_per_m,
        cell_lat_deg=float(meta["spacing_north_m"]) * deg_per_m,
        grey_levels=tuple(_pyramid(grey, 8)),
        grey_px_per_cell=float(per_cell),
        grey_valid=(vx0 / per_cell, vy0 / per_cell, vx1 / per_cell, vy1 / per_cell),
        colour_levels=(),
        colour_alpha_levels=tuple(_pyramid(alpha, 8)),
        colour_origin_cells=(float(origin[0]), float(origin[1])),
        colour_px_per_cell=colour_px_per_cell,
    )
    # The colour patch keeps its own colour variations, scaled so each channel's mean over the
    # patch equals the grey mosaic's mean there: it carries hue contrast, not a brightness step.
    h, w = colour.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    inside = alpha.ravel() > 0.99
    cu = origin[0] + (xx.ravel()[inside] + 0.5) / colour_px_per_cell
    cv = origin[1] + (yy.ravel()[inside] + 0.5) / colour_px_per_cell
    grey_there = SiteData._read(site.grey_levels, cu, cv, (0.0, 0.0), site.grey_px_per_cell, 0.0)
    colour = colour * (float(grey_there.mean()) / colour.reshape(-1, 3)[inside].mean(axis=0))
    object.__setattr__(site, "colour_levels", tuple(_pyramid(colour.astype(np.float32), 8)))
    log.debug("Jezero site data: %d² DTM nodes, ortho %s, colour patch %s", n, grey.shape, colour.shape)
    return site
