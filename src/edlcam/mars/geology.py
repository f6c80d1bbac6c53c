"""Geologic units around the landing point: where each lies, read from a shipped unit map.

The map (``src/edlcam/data/jezero/units.geojson``, made by ``tools/jezero_units.py``) holds one
polygon per mapped outcrop, in longitude/latitude, each tagged with a unit: the western delta, the
light-toned fractured floor (Séítah), Séítah's ripple fields, the smooth dark mantles. Ground the
map leaves out is the map's background unit (the crater floor's fractured rough unit, Máaz). What a
unit looks like — its albedo, its mottling, its crater retention — is the mission file's
``[terrain.units.<name>]``; where it lies is the map's. See the file's ``description`` for the
sources of the outlines.

:func:`unit_raster` turns the polygons into soft weights on a regular grid in the target's tangent
plane: each polygon is rasterised (:func:`skimage.draw.polygon`), its edge roughened by a smooth
random displacement of the grid (so a contact drawn with a few vertices has the irregular trace of
a real one; the warp is seeded, so the same mission gives the same map) and softened over about
one cell. :meth:`UnitRaster.sample` reads the weights of every unit at any points (bilinear; the
background unit outside the grid), one array per unit summing to 1.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates
from skimage.draw import polygon as draw_polygon

from edlcam.errors import MissionError

__all__ = ["UnitPolygon", "UnitRaster", "UnitField", "load_unit_map", "unit_raster", "UNIT_MAP_PATH", "BACKGROUND_UNIT", "bedform_pattern"]

log = logging.getLogger(__name__)

UNIT_MAP_PATH = Path(__file__).resolve().parent.parent / "data" / "jezero" / "units.geojson"
BACKGROUND_UNIT = "cf_fr"  # the crater floor where the map names nothing: Máaz (Stack et al. 2020, Cf-fr)

_CELL_M = 25.0  # grid spacing of the weights: contacts sharp to ≈ 50 m, as a 1:50 000 map draws them
_MARGIN_M = 2000.0  # grid beyond the polygons' extent, room for the warp and the taper
_WARP = ((400.0, 150.0), (100.0, 40.0))  # (correlation length, RMS) [m] of the contacts' roughening (est.)
_SOFT_CELLS = 0.8  # Gaussian softening of the contacts [cells]: anti-aliasing, not a transition zone


@dataclass(frozen=True)
class UnitPolygon:
    """One mapped outcrop: its unit's name and its outline (longitude east, latitude [deg])."""

    unit: str
    lon_deg: np.ndarray
    lat_deg: np.ndarray


def load_unit_map(path: Path | str = UNIT_MAP_PATH) -> tuple[UnitPolygon, ...]:
    """The polygons of a GeoJSON unit map (FeatureCollection of Polygons with a ``unit`` property).

    Raises :class:`MissionError` with one line naming the file, the feature and what was expected.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MissionError(f"{path}: cannot read the unit map ({exc}); expected a GeoJSON FeatureCollection") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise MissionError(f"{path}: 'features' must be a non-empty list of GeoJSON Polygon features")
    out = []
    for i, feat in enumerate(features):
        where = f"{path}: features[{i}]"
        unit = (feat.get("properties") or {}).get("unit") if isinstance(feat, dict) else None
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(unit, str) or not unit:
            raise MissionError(f"{where}.properties.unit: expected a unit name (string)")
        if not isinstance(geom, dict) or geom.get("type") != "Polygon":
            raise MissionError(f"{where}.geometry: expected a GeoJSON Polygon")
        try:
            ring = np.asarray(geom["coordinates"][0], dtype=float)
        except (KeyError, IndexError, TypeError, ValueError):
            raise MissionError(f"{where}.geometry.coordinates: expected [[[lon, lat], ...]]") from None
        if ring.ndim != 2 or ring.shape[1] != 2 or ring.shape[0] < 4 or not np.all(np.isfinite(ring)):
            raise MissionError(f"{where}.geometry.coordinates: expected a closed ring of ≥ 3 [lon, lat] pairs")
        if np.any(np.abs(ring[:, 1]) > 90.0):
            raise MissionError(f"{where}.geometry.coordinates: latitude outside −90…90°")
        out.append(UnitPolygon(unit=unit, lon_deg=ring[:, 0], lat_deg=ring[:, 1]))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class UnitRaster:
    """Soft weights of each unit on a grid in the target's tangent plane (``names[0]`` the background)."""

    names: tuple[str, ...]
    weights: np.ndarray  # (U, ny, nx) float32, Σ over units = 1
    origin_e_m: float  # east of column 0
    origin_n_m: float  # north of row 0
    cell_m: float

    @property
    def extent_m(self) -> tuple[float, float, float, float]:
        """(east_lo, east_hi, north_lo, north_hi) [m] of the grid."""
        _, ny, nx = self.weights.shape
        return (self.origin_e_m, self.origin_e_m + (nx - 1) * self.cell_m,
                self.origin_n_m, self.origin_n_m + (ny - 1) * self.cell_m)  # fmt: skip

    def index(self, name: str) -> int:
        return self.names.index(name)

    def field(self, values) -> "UnitField":
        """Per-unit values ``values`` (U, C) spread over the grid: a :class:`UnitField` to sample."""
        v = np.asarray(values, dtype=np.float32).reshape(len(self.names), -1)
        grid = np.tensordot(self.weights, v, axes=(0, 0))  # (ny, nx, C)
        return UnitField(grid=np.ascontiguousarray(grid, dtype=np.float32), outside=v[0].copy(),
                         origin_e_m=self.origin_e_m, origin_n_m=self.origin_n_m, cell_m=self.cell_m)

    def sample(self, east_m, north_m) -> np.ndarray:
        """Weights (U, N) of every unit at flat arrays of points [m] (bilinear; background outside)."""
        e = np.asarray(east_m, dtype=float).reshape(-1)
        n = np.asarray(north_m, dtype=float).reshape(-1)
        x = (e - self.origin_e_m) / self.cell_m
        y = (n - self.origin_n_m) / self.cell_m
        out = np.empty((len(self.names), e.size), dtype=np.float32)
        for k in range(len(self.names)):
            out[k] = map_coordinates(self.weights[k], [y, x], order=1, mode="constant", cval=1.0 if k == 0 else 0.0)
        return out


@dataclass(frozen=True, eq=False)
class UnitField:
    """Per-unit values blended by the units' weights on their grid: (ny, nx, C), and the
    background's values outside it. :meth:`sample` reads it bilinearly."""

    grid: np.ndarray  # (ny, nx, C) float32
    outside: np.ndarray  # (C,) float32: the background unit's values
    origin_e_m: float
    origin_n_m: float
    cell_m: float

    def sample(self, east_m, north_m) -> np.ndarray:
        """(N, C) float32 values at flat arrays of points [m]; the background's beyond the grid.

        One bilinear gather for all C channels at once, not one ``map_coordinates`` call per
        channel: the renderer reads this for every terrain texel, and per-channel spline set-up
        cost more than the reads (a 513² heightmap: 1.4× the time without units, measured)."""
        e = np.asarray(east_m, dtype=float).reshape(-1)
        n = np.asarray(north_m, dtype=float).reshape(-1)
        ny, nx, c = self.grid.shape
        x = (e - self.origin_e_m) / self.cell_m
        y = (n - self.origin_n_m) / self.cell_m
        out = np.empty((e.size, c), dtype=np.float32)
        out[:] = self.outside
        inside = (x >= 0.0) & (x <= nx - 1) & (y >= 0.0) & (y <= ny - 1)
        if not np.any(inside):
            return out
        xi, yi = x[inside], y[inside]
        i0 = np.minimum(xi.astype(np.int64), nx - 2)
        j0 = np.minimum(yi.astype(np.int64), ny - 2)
        tx = (xi - i0).astype(np.float32)[:, None]
        ty = (yi - j0).astype(np.float32)[:, None]
        g = self.grid
        top = g[j0, i0] * (1.0 - tx) + g[j0, i0 + 1] * tx
        bottom = g[j0 + 1, i0] * (1.0 - tx) + g[j0 + 1, i0 + 1] * tx
        out[inside] = top * (1.0 - ty) + bottom * ty
        return out


def bedform_pattern(east_m, north_m, *, wavelength_m: float, azimuth_deg: float, phase_cycles):
    """Albedo pattern of a field of parallel bedforms, −1 in the troughs … 1 on the crests.

    A sine across crests that trend ``azimuth_deg`` (clockwise from north), its phase bent by
    ``phase_cycles`` (a smooth field, in wavelengths): sinuous crests that merge and split, as
    ripple fields do. Pure function of its inputs (arrays broadcast)."""
    a = np.radians(azimuth_deg)
    across = np.asarray(east_m) * np.cos(a) - np.asarray(north_m) * np.sin(a)
    return np.sin(2.0 * np.pi * (across / wavelength_m + phase_cycles))


def _warp_field(rng: np.random.Generator, shape, cell_m: float) -> np.ndarray:
    """(2, ny, nx) smooth random displacement [cells]: Gaussian-filtered white noise per scale."""
    out = np.zeros((2, *shape))
    for length_m, rms_m in _WARP:
        sigma = length_m / cell_m
        for axis in range(2):
            f = gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
            out[axis] += f * (rms_m / cell_m / max(float(f.std()), 1e-12))
    return out


def unit_raster(polygons, to_en, *, seed: int, unit_names) -> UnitRaster:
    """Rasterise ``polygons`` (:func:`load_unit_map`) with ``to_en(lat, lon) -> (east, north)`` [m].

    ``unit_names``: the units the mission describes (``[terrain.units]``), the background first;
    a polygon of any other unit is a :class:`MissionError`. Later polygons overlie earlier ones.
    """
    names = tuple(unit_names)
    if not names or names[0] != BACKGROUND_UNIT:
        raise ValueError(f"unit_names must start with the background unit {BACKGROUND_UNIT!r}")
    rings = []
    for i, poly in enumerate(polygons):
        if poly.unit not in names:
            raise MissionError(
                f"{UNIT_MAP_PATH.name}: features[{i}] is unit {poly.unit!r}, which [terrain.units] does not describe; "
                f"add a [terrain.units.{poly.unit}] table (known: {', '.join(names)})"
            )
        e, n = to_en(poly.lat_deg, poly.lon_deg)
        rings.append((names.index(poly.unit), np.asarray(e, float), np.asarray(n, float)))
    all_e = np.concatenate([r[1] for r in rings])
    all_n = np.concatenate([r[2] for r in rings])
    e0 = np.floor((all_e.min() - _MARGIN_M) / _CELL_M) * _CELL_M
    n0 = np.floor((all_n.min() - _MARGIN_M) / _CELL_M) * _CELL_M
    nx = int(np.ceil((all_e.max() + _MARGIN_M - e0) / _CELL_M)) + 1
    ny = int(np.ceil((all_n.max() + _MARGIN_M - n0) / _CELL_M)) + 1
    labels = np.zeros((ny, nx), dtype=np.int16)
    for k, e, n in rings:
        rr, cc = draw_polygon((n - n0) / _CELL_M, (e - e0) / _CELL_M, shape=labels.shape)
        labels[rr, cc] = k
    # Roughen the contacts: read the labels at displaced points (nearest: labels are categories).
    rng = np.random.default_rng([int(seed), 0x6E01])
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    warp = _warp_field(rng, (ny, nx), _CELL_M)
    labels = map_coordinates(labels, [yy + warp[0], xx + warp[1]], order=0, mode="nearest")
    weights = np.empty((len(names), ny, nx), dtype=np.float32)
    for k in range(len(names)):
        weights[k] = gaussian_filter((labels == k).astype(np.float32), _SOFT_CELLS, mode="nearest")
    # The grid's outer 2 km fade to the background, so reading past the grid shows no step.
    ramp_e = np.minimum(np.arange(nx), np.arange(nx)[::-1]) * _CELL_M / _MARGIN_M
    ramp_n = np.minimum(np.arange(ny), np.arange(ny)[::-1]) * _CELL_M / _MARGIN_M
    fade = np.clip(np.minimum(ramp_n[:, None], ramp_e[None, :]), 0.0, 1.0).astype(np.float32)
    weights[1:] *= fade
    weights[0] = 1.0 - weights[1:].sum(axis=0)
    log.debug("unit map: %d polygons on %d × %d cells of %.0f m", len(rings), nx, ny, _CELL_M)
    return UnitRaster(names=names, weights=weights, origin_e_m=float(e0), origin_n_m=float(n0), cell_m=_CELL_M)
