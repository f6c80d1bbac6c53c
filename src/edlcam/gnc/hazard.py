"""The safe-targets map: where the rover may touch down, from slopes and rocks.

Mars 2020's Safe Target Selection read an onboard map of the landing ellipse in which each
cell held whether a touchdown there was safe, made before launch from HiRISE hazard maps (slopes
from HiRISE terrain models, rocks counted in HiRISE images) (Johnson et al. 2022, AIAA
2022-1214; NASA PIA24167 shows it). Here it is made from the simulated ground at the resolution of
the hazard data: the ground sampled every ``hazard_sample_m`` (the terrain model), and every 1 m
over the ``dtm_size_m`` square around the landing point where the real 1 m HiRISE terrain model
is the ground. A point is hazardous where the slope over the rover's baseline exceeds
``max_slope_deg`` or a rock at least ``max_rock_height_m`` tall stands there (the terrain's
Golombek & Rapp rocks), and a touchdown is safe where none lies under the rover's footprint;
a cell of ``hazard_cell_m`` holds the safe fraction of the touchdowns centred in it, and the map
``probability`` the chance that a touchdown aimed at the cell's centre lands safe: the safe
fraction smoothed by the touchdown error (``touchdown_sigma_m``, a Gaussian).

:func:`touchdown_is_safe` judges one touchdown point on the full-resolution ground: the truth
against which the map and the selection are scored.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from edlcam.errors import RunFolderError

__all__ = ["HazardMap", "build_hazard_map", "touchdown_is_safe", "safe_samples"]

log = logging.getLogger(__name__)

_TILE_M = 1000.0  # ground per tile while building (bounds the heightmap's and the rocks' temporaries)
_ROCK_HEIGHT_SPREAD = 1.3  # the terrain's rock heights scatter up to +30 % about ratio × D
_TRUTH_SAMPLE_M = 0.5  # the ground sampling that judges a touchdown (finer than any hazard map's)


@dataclass(frozen=True, eq=False)
class HazardMap:
    """Per cell: safe fraction and the probability of a safe touchdown aimed there (rows north first)."""

    safe_fraction: np.ndarray  # (H, W) float32 0..1
    probability: np.ndarray  # (H, W) float32 0..1
    cell_m: float
    center_east_m: float
    center_north_m: float

    def en_to_cell(self, east_m, north_m):
        h, w = self.probability.shape
        col = (np.asarray(east_m) - self.center_east_m) / self.cell_m + (w - 1) / 2.0
        row = (self.center_north_m - np.asarray(north_m)) / self.cell_m + (h - 1) / 2.0
        return col, row

    def cell_to_en(self, col, row):
        h, w = self.probability.shape
        return (self.center_east_m + (np.asarray(col) - (w - 1) / 2.0) * self.cell_m,
                self.center_north_m - (np.asarray(row) - (h - 1) / 2.0) * self.cell_m)  # fmt: skip

    def probability_at(self, east_m, north_m) -> np.ndarray:
        """The map's safe-touchdown probability of the cells holding the points (0 off the map)."""
        col, row = self.en_to_cell(east_m, north_m)
        c, r = np.rint(col).astype(int), np.rint(row).astype(int)
        h, w = self.probability.shape
        ok = (c >= 0) & (c < w) & (r >= 0) & (r < h)
        out = np.zeros(np.shape(c), np.float32)
        out[ok] = self.probability[r[ok], c[ok]]
        return out

    def save(self, path) -> None:
        np.savez(path, safe_fraction=self.safe_fraction, probability=self.probability,
                 meta=np.array([self.cell_m, self.center_east_m, self.center_north_m]))  # fmt: skip

    @classmethod
    def load(cls, path) -> "HazardMap":
        try:
            with np.load(path) as z:
                sf, pr, meta = z["safe_fraction"], z["probability"], z["meta"]
        except (OSError, ValueError, KeyError) as exc:
            raise RunFolderError(f"{path}: not a hazard map ({exc}); run `edlcam lvs RUN` again") from None
        return cls(sf, pr, float(meta[0]), float(meta[1]), float(meta[2]))


def _rock_min_diameter_m(terrain, max_rock_height_m: float) -> float:
    return max_rock_height_m / (terrain.config.rock_height_ratio * _ROCK_HEIGHT_SPREAD)


def safe_samples(terrain, *, east0_m: float, north0_m: float, n: int, spacing_m: float, cfg) -> np.ndarray:
    """(n, n) bool: is a touchdown centred on each sample safe? Rows north first from (east0, north0),
    the north-west sample.

    A point is hazardous where the slope over the baseline exceeds ``max_slope_deg`` or a rock at
    least ``max_rock_height_m`` tall stands on it; a touchdown is safe where no hazardous point
    lies under the rover's footprint (a square of the baseline's side centred on it).
    """
    import cv2

    pad = int(math.ceil(0.5 * cfg.slope_baseline_m / spacing_m)) + 1  # the footprint reaches past the edge samples
    m = n + 2 * pad
    size = (m - 1) * spacing_m
    e_nw, n_nw = east0_m - pad * spacing_m, north0_m + pad * spacing_m
    _e, _n, up, _rgb = terrain.heightmap(center_east_m=e_nw + size / 2.0, center_north_m=n_nw - size / 2.0,
                                         size_m=size, samples=m)  # fmt: skip
    up = up[::-1].astype(np.float64)
    gy, gx = np.gradient(up, spacing_m)
    k = max(int(round(cfg.slope_baseline_m / spacing_m)), 1)
    if k > 1:  # the slope over the baseline: the gradient averaged over it
        gx, gy = cv2.blur(gx, (k, k)), cv2.blur(gy, (k, k))
    steep = np.degrees(np.arctan(np.hypot(gx, gy))) > cfg.max_slope_deg
    rocky = np.zeros_like(steep)
    rocks = terrain.rocks(east_min_m=e_nw - 5.0, east_max_m=e_nw + size + 5.0, north_min_m=n_nw - size - 5.0,
                          north_max_m=n_nw + 5.0, min_diameter_m=_rock_min_diameter_m(terrain, cfg.max_rock_height_m))  # fmt: skip
    tall = rocks["height_m"] >= cfg.max_rock_height_m
    for e, nn, d in zip(rocks["east_m"][tall], rocks["north_m"][tall], rocks["diameter_m"][tall]):
        c, r = (e - e_nw) / spacing_m, (n_nw - nn) / spacing_m
        # Under the footprint wherever its centre is within the rock's radius plus half the
        # footprint: marked here as an area, so that samples coarser than a rock still see it
        # (the footprint filter below then only widens the slope hazards).
        rad = max((0.5 * d + 0.5 * cfg.slope_baseline_m) / spacing_m, 0.5)
        c0, c1 = max(int(math.floor(c - rad)), 0), min(int(math.ceil(c + rad)), m - 1)
        r0, r1 = max(int(math.floor(r - rad)), 0), min(int(math.ceil(r + rad)), m - 1)
        if c0 > c1 or r0 > r1:
            continue
        cc, rr = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
        rocky[rr, cc] |= np.hypot(cc - c, rr - r) <= rad
    # The footprint: any steep point within it makes the touchdown unsafe (a max filter of its side).
    foot = max(int(round(cfg.slope_baseline_m / spacing_m)) | 1, 1)
    unsafe = cv2.dilate(steep.astype(np.uint8), np.ones((foot, foot), np.uint8)) > 0
    return ~(unsafe | rocky)[pad : pad + n, pad : pad + n]


def build_hazard_map(terrain, cfg, *, quality: str = "full", progress=None) -> HazardMap:
    """The safe-targets map around the target (``[lvs] hazard_size_m``), cell by cell."""
    from scipy.ndimage import gaussian_filter

    size = cfg.preview_hazard_size_m if quality == "preview" else cfg.hazard_size_m
    spacing = cfg.preview_hazard_sample_m if quality == "preview" else cfg.hazard_sample_m
    cell = cfg.hazard_cell_m
    per_cell = max(int(round(cell / spacing)), 1)
    spacing = cell / per_cell
    n_cells = int(round(size / cell))
    frac = np.empty((n_cells, n_cells), np.float32)
    tile_cells = max(int(_TILE_M // cell), 1)
    west, north = -0.5 * n_cells * cell, 0.5 * n_cells * cell
    tiles = [(r, c, tile_cells, tile_cells, per_cell) for r in range(0, n_cells, tile_cells) for c in range(0, n_cells, tile_cells)]
    # Over the 1 m DTM around the landing point the hazard data is 1 m: those cells again, finer.
    dtm = min(int(math.ceil(cfg.dtm_size_m / cell)), n_cells)
    if dtm > 0:
        d0 = (n_cells - dtm) // 2
        tiles.append((d0, d0, dtm, dtm, max(int(round(cell)), per_cell)))
    for k, (r0, c0, tr, tc, sub) in enumerate(tiles):
        rc, cc = min(tr, n_cells - r0), min(tc, n_cells - c0)
        m = max(rc, cc)
        e0, n0 = west + c0 * cell, north - r0 * cell
        s = cell / sub
        ok = safe_samples(terrain, east0_m=e0 + s / 2.0, north0_m=n0 - s / 2.0, n=m * sub, spacing_m=s, cfg=cfg)
        blocks = ok.reshape(m, sub, m, sub).mean(axis=(1, 3))
        frac[r0 : r0 + rc, c0 : c0 + cc] = blocks[:rc, :cc]
        if progress is not None:
            progress((k + 1) / len(tiles))
    prob = gaussian_filter(frac, sigma=cfg.touchdown_sigma_m / cell, mode="nearest").astype(np.float32)
    log.info("hazard map: %d² cells of %.0f m, %.1f %% safe", n_cells, cell, 100.0 * float(frac.mean()))
    return HazardMap(frac, prob, float(cell), 0.0, 0.0)


def touchdown_is_safe(terrain, east_m: float, north_m: float, cfg) -> bool:
    """Is the rover's touchdown at (east, north) safe? Judged on the ground sampled every 0.5 m."""
    ok = safe_samples(terrain, east0_m=east_m, north0_m=north_m, n=1, spacing_m=_TRUTH_SAMPLE_M, cfg=cfg)
    return bool(ok[0, 0])
