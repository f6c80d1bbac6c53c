"""Nested levels of the ground's base raster: finer cubic B-spline grids where finer ground exists.

The base altitude of :class:`edlcam.mars.terrain.Terrain` is a cubic B-spline on a 200 m raster over
the whole model. Where more is known — the real HiRISE terrain model under the landing point,
the mapped geology around it — a finer raster takes over inside its box. A query reads exactly one
level (the finest whose box holds the point), so a finer level costs the flight nothing but a box
test, and the ground stays one continuous function:

* A finer level starts as its parent's spline re-expressed on the finer knots by knot insertion
  (uniform cubic B-spline subdivision, Lane & Riesenfeld 1980: halving the knot spacing maps
  coefficients c_i to f_2i = (c_{i-1} + 6 c_i + c_{i+1}) / 8 and f_2i+1 = (c_i + c_{i+1}) / 2),
  which is exact: on the finer knots the parent's function is represented without any change.
* Its own content is added as a correction that is zero near the level's edges, converted to
  spline coefficients (SciPy's ``spline_filter``); the prefilter's response decays by 0.268 per
  cell, so 32 cells from the correction the coefficients are the parent's to ≈ 1e-18 of it.

At the edge of a level's box its read therefore equals its parent's to rounding (≈ 1e-12 m), so
there is no step, and bounds of the ground's height and slope follow from each level's own
coefficients (:mod:`edlcam.mars.terrain_kernel`). No library refines B-spline coefficients on a
regular grid (SciPy's ``insert`` works on 1-D FITPACK splines), so the four-line rule is here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import map_coordinates, spline_filter

__all__ = ["RasterLevel", "refine_coefficients", "EDGE_CELLS", "MARGIN_CELLS"]

EDGE_CELLS = 3  # a level is read only this many cells inside its array (the 4 taps stay inside)
MARGIN_CELLS = 32  # cells between a correction's support and the read box: 0.268^32 ≈ 5e-19


def _halve(c: np.ndarray, axis: int) -> np.ndarray:
    """Coefficients on knots of half the spacing along ``axis``: from n coarse, the 2n − 3 fine ones
    that the n coarse determine (fine index 1 … 2n − 3 of the coarse index 0 … n − 1's knots)."""
    c = np.moveaxis(c, axis, 0)
    n = c.shape[0]
    out = np.empty((2 * n - 3,) + c.shape[1:], dtype=np.float64)
    out[1::2] = (c[:-2] + 6.0 * c[1:-1] + c[2:]) / 8.0  # fine 2i at coarse i = 1 … n − 2
    out[0::2] = (c[:-1] + c[1:]) / 2.0  # fine 2i + 1 at coarse i = 0 … n − 2
    return np.moveaxis(out, 0, axis)


def refine_coefficients(coef: np.ndarray, halvings: int) -> tuple[np.ndarray, float]:
    """The spline of coarse coefficients ``coef`` (knots at integer indices) on knots 2^-halvings
    apart: (fine coefficients, the coarse index of the fine array's first knot). Exact; the fine
    array covers the coarse one less 1 − 2^-halvings of a cell at each end."""
    out = np.asarray(coef, dtype=np.float64)
    first = 0.0
    for k in range(halvings):
        out = _halve(_halve(out, 0), 1)
        first += 0.5 ** (k + 1)  # each halving drops the first coarse knot: fine index 1 is at +½ cell
    return out, first


@dataclass(frozen=True, eq=False)
class RasterLevel:
    """One finer level: cubic B-spline coefficients ``coef`` (rows north, columns east) whose
    coefficient [0, 0] sits at (``origin_e_m``, ``origin_n_m``), ``cell_m`` apart, read inside
    ``box`` = (east_lo, east_hi, north_lo, north_hi) [m]."""

    coef: np.ndarray
    origin_e_m: float
    origin_n_m: float
    cell_m: float
    box: tuple[float, float, float, float]

    def contains(self, e, n):
        e_lo, e_hi, n_lo, n_hi = self.box
        return (e >= e_lo) & (e <= e_hi) & (n >= n_lo) & (n <= n_hi)

    def read(self, e, n):
        """The spline at flat arrays of points (as the compiled read computes it)."""
        x = (e - self.origin_e_m) / self.cell_m
        y = (n - self.origin_n_m) / self.cell_m
        return map_coordinates(self.coef, [y, x], order=3, mode="nearest", prefilter=False)

    def params(self) -> np.ndarray:
        """(origin_e, origin_n, cell, east_lo, east_hi, north_lo, north_hi) for the compiled read."""
        return np.array([self.origin_e_m, self.origin_n_m, self.cell_m, *self.box], dtype=np.float64)

    def node_grid(self):
        """East and north [m] of every coefficient's knot, (ny, nx) each."""
        ny, nx = self.coef.shape
        return np.meshgrid(self.origin_e_m + self.cell_m * np.arange(nx), self.origin_n_m + self.cell_m * np.arange(ny))

    @classmethod
    def refined(cls, parent_coef: np.ndarray, parent_origin_m, parent_cell_m: float, *, halvings: int,
                east_m: tuple[float, float], north_m: tuple[float, float]) -> "RasterLevel":  # fmt: skip
        """The parent's spline (coefficient [0, 0] at ``parent_origin_m`` [m]: one number for both
        axes, or (east, north)) on knots ``parent_cell_m`` / 2^halvings apart, covering at least
        the given ranges plus :data:`MARGIN_CELLS` and the read margin. Its box is the given ranges
        plus the margin."""
        if np.ndim(parent_origin_m) == 0:
            origin_e_m = origin_n_m = float(parent_origin_m)
        else:
            origin_e_m, origin_n_m = (float(v) for v in parent_origin_m)
        cell = parent_cell_m / 2**halvings
        pad = (MARGIN_CELLS + EDGE_CELLS + 1) * cell
        lo_i = math.floor((east_m[0] - pad - origin_e_m) / parent_cell_m) - 2
        hi_i = math.ceil((east_m[1] + pad - origin_e_m) / parent_cell_m) + 2
        lo_j = math.floor((north_m[0] - pad - origin_n_m) / parent_cell_m) - 2
        hi_j = math.ceil((north_m[1] + pad - origin_n_m) / parent_cell_m) + 2
        ny, nx = parent_coef.shape
        if lo_i < 0 or lo_j < 0 or hi_i >= nx or hi_j >= ny:
            raise ValueError(f"a finer level over east {east_m}, north {north_m} m reaches past its parent raster")
        fine, first = refine_coefficients(parent_coef[lo_j : hi_j + 1, lo_i : hi_i + 1], halvings)
        origin_e = origin_e_m + (lo_i + first) * parent_cell_m
        origin_n = origin_n_m + (lo_j + first) * parent_cell_m
        # Keep only the knots the box's reads tap (the refinement covers whole parent cells).
        c0 = max(math.floor((east_m[0] - pad - origin_e) / cell), 0)
        r0 = max(math.floor((north_m[0] - pad - origin_n) / cell), 0)
        c1 = math.ceil((east_m[1] + pad - origin_e) / cell) + 1
        r1 = math.ceil((north_m[1] + pad - origin_n) / cell) + 1
        fine = np.ascontiguousarray(fine[r0:r1, c0:c1])
        origin_e, origin_n = origin_e + c0 * cell, origin_n + r0 * cell
        margin = MARGIN_CELLS * cell
        box = (east_m[0] - margin, east_m[1] + margin, north_m[0] - margin, north_m[1] + margin)
        level = cls(coef=fine, origin_e_m=origin_e, origin_n_m=origin_n, cell_m=cell, box=box)
        ny2, nx2 = fine.shape
        inner = (origin_e + EDGE_CELLS * cell, origin_e + (nx2 - 1 - EDGE_CELLS) * cell,
                 origin_n + EDGE_CELLS * cell, origin_n + (ny2 - 1 - EDGE_CELLS) * cell)  # fmt: skip
        assert inner[0] <= box[0] and box[1] <= inner[1] and inner[2] <= box[2] and box[3] <= inner[3]
        return level

    def refine(self, *, halvings: int, east_m: tuple[float, float], north_m: tuple[float, float]) -> "RasterLevel":
        """A finer level inside this one: :meth:`refined` with this level as the parent (the given
        ranges, margins included, must lie inside this level's box)."""
        m = (MARGIN_CELLS + EDGE_CELLS + 1) * self.cell_m / 2**halvings + 2.0 * self.cell_m
        e_lo, e_hi, n_lo, n_hi = self.box
        if east_m[0] - m < e_lo or east_m[1] + m > e_hi or north_m[0] - m < n_lo or north_m[1] + m > n_hi:
            raise ValueError(f"a finer level over east {east_m}, north {north_m} m reaches past its parent level's box {self.box}")
        return RasterLevel.refined(self.coef, (self.origin_e_m, self.origin_n_m), self.cell_m, halvings=halvings,
                                   east_m=east_m, north_m=north_m)  # fmt: skip

    def with_correction(self, values: np.ndarray) -> "RasterLevel":
        """This level plus a correction given at its knots (zero within :data:`MARGIN_CELLS` of its box's edge)."""
        coef = self.coef + spline_filter(np.asarray(values, dtype=np.float64), order=3, mode="nearest")
        return RasterLevel(coef=coef, origin_e_m=self.origin_e_m, origin_n_m=self.origin_n_m, cell_m=self.cell_m, box=self.box)
