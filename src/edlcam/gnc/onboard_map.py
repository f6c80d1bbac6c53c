"""The onboard map the Lander Vision System carried: an appearance map and an elevation map.

Mars 2020's LVS map was made from three MRO Context Camera (CTX) images orthorectified with a
CTX stereo terrain model: appearance ≈ 6 m/px, elevation ≈ 20 m/px, over ≈ 30 × 30 km around
the landing ellipse (Cheng, Ansar & Johnson 2021, "Making an onboard reference map from MRO/CTX
imagery for Mars 2020 Lander Vision System", Earth Space Sci. 8, e2020EA001560; the USGS
release, Fergason et al. 2020, doi:10.5066/P906QQT8, spans 77.1605–77.6992° E,
18.2110–18.7212° N). Coarse matching used the map at 12 m/px, fine matching at 6 m/px (JPL
Robotics, "Terrain Relative Navigation" page; Johnson et al. 2017, AAS 17-038).

Here the map is made from the simulated ground (:class:`edlcam.mars.terrain.Terrain`): heights
and albedo from :meth:`Terrain.heightmap` (which leaves out detail finer than two samples, as an
orbital image at that resolution would), shaded orthographically as Lambertian ground under the
Sun of another day (``[lvs] map_sun_utc``: CTX images were taken at other seasons, in MRO's
mid-afternoon orbit), and stretched to 8 bits as a CTX product is. It is written here, not by
the cameras' renderer, on purpose: the onboard map was a different instrument's image of the
ground, and the difference in photometry between map and descent image is part of the problem
LVS solves. Shading is the cosine law plus the dusty sky's ambient share (``AMBIENT``; the
descent cameras' ground follows Hapke's law instead, :mod:`edlcam.cameras.photometry`); cast shadows are left out (at the map Sun's ≈ 43° elevation only slopes steeper
than ≈ 47° facing away from it would fall in shadow).

Pixel convention (as an image): row 0 is the north edge, column 0 the west edge; the centre of
pixel (col, row) lies at east = e0 + (col − (W − 1)/2)·s, north = n0 − (row − (H − 1)/2)·s.
Elevations are the ground's up coordinate in the target's flat ENU frame (``surface_up_m``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edlcam.errors import RunFolderError

__all__ = ["OnboardMap", "build_onboard_map", "map_sun_enu", "shade_lambert"]

log = logging.getLogger(__name__)

AMBIENT = 0.22  # the dusty sky's share of the ground's illumination in the orbital image (est.)
_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # Rec. 709 luminance
_TILE_PX = 1024  # map pixels per tile side while rendering (bounds the heightmap's temporaries)


@dataclass(frozen=True, eq=False)
class OnboardMap:
    """Appearance (uint8, north up) and elevation (float32 up_m) over the same square extent."""

    appearance: np.ndarray
    appearance_m_per_px: float
    elevation: np.ndarray
    elevation_m_per_px: float
    center_east_m: float
    center_north_m: float
    _coarse: dict = field(default_factory=dict, repr=False)

    @property
    def size_m(self) -> float:
        """East–west extent [m] (the width: maps made here are square, an image given as a map may not be)."""
        return self.appearance.shape[1] * self.appearance_m_per_px

    @property
    def height_m(self) -> float:
        """North–south extent [m]."""
        return self.appearance.shape[0] * self.appearance_m_per_px

    @classmethod
    def from_image(cls, appearance: np.ndarray, m_per_px: float) -> "OnboardMap":
        """A map from an orthoimage alone (north up, centred on the frame's origin): the ground flat at up = 0."""
        app = np.ascontiguousarray(appearance, dtype=np.uint8)
        h, w = app.shape
        step = max(h, w) / 16.0
        elev = np.zeros((int(math.ceil(h / step)) + 1, int(math.ceil(w / step)) + 1), np.float32)
        return cls(app, float(m_per_px), elev, float(m_per_px * step), 0.0, 0.0)

    def en_to_px(self, east_m, north_m, m_per_px: float | None = None, shape=None):
        """(col, row) [px] of ENU points in a map of ``m_per_px`` (default: the appearance map)."""
        s = self.appearance_m_per_px if m_per_px is None else m_per_px
        h, w = self.appearance.shape if shape is None else shape
        col = (np.asarray(east_m) - self.center_east_m) / s + (w - 1) / 2.0
        row = (self.center_north_m - np.asarray(north_m)) / s + (h - 1) / 2.0
        return col, row

    def px_to_en(self, col, row, m_per_px: float | None = None, shape=None):
        """(east_m, north_m) of map pixel centres; the inverse of :meth:`en_to_px`."""
        s = self.appearance_m_per_px if m_per_px is None else m_per_px
        h, w = self.appearance.shape if shape is None else shape
        return (self.center_east_m + (np.asarray(col) - (w - 1) / 2.0) * s,
                self.center_north_m - (np.asarray(row) - (h - 1) / 2.0) * s)  # fmt: skip

    def elevation_at(self, east_m, north_m) -> np.ndarray:
        """Ground up_m from the elevation map (bilinear; the edge value beyond it)."""
        import cv2

        e = np.asarray(east_m, dtype=np.float64)
        col, row = self.en_to_px(e, north_m, self.elevation_m_per_px, self.elevation.shape)
        out = cv2.remap(self.elevation, np.asarray(col, np.float32).reshape(-1, 1),
                        np.asarray(row, np.float32).reshape(-1, 1), cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        return out.reshape(e.shape).astype(np.float64)

    def at_resolution(self, m_per_px: float) -> np.ndarray:
        """The appearance map (float32) reduced to ``m_per_px`` (area average; e.g. the coarse 12 m/px map)."""
        import cv2

        key = round(float(m_per_px), 6)
        hit = self._coarse.get(key)
        if hit is None:
            full = self.appearance.astype(np.float32)
            if m_per_px <= self.appearance_m_per_px * 1.0001:
                hit = full
            else:
                w = max(int(round(self.size_m / m_per_px)), 1)
                h = max(int(round(self.height_m * w / self.size_m)), 1)
                hit = cv2.resize(full, (w, h), interpolation=cv2.INTER_AREA)
            if len(self._coarse) >= 8:
                self._coarse.clear()
            self._coarse[key] = hit
        return hit

    def contains(self, east_m: float, north_m: float, margin_m: float = 0.0) -> bool:
        return (abs(east_m - self.center_east_m) <= 0.5 * self.size_m - margin_m
                and abs(north_m - self.center_north_m) <= 0.5 * self.height_m - margin_m)  # fmt: skip

    # -- files --------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the map as one .npz (uncompressed: it is read at every image)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, appearance=self.appearance, elevation=self.elevation,
                 meta=np.array([self.appearance_m_per_px, self.elevation_m_per_px, self.center_east_m, self.center_north_m]))  # fmt: skip
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "OnboardMap":
        """Read a map written by :meth:`save`; RunFolderError naming the file when it is not one."""
        path = Path(path)
        try:
            with np.load(path) as z:
                app, elev, meta = z["appearance"], z["elevation"], z["meta"]
        except FileNotFoundError:
            raise RunFolderError(f"{path}: missing; run `edlcam lvs RUN` to make the onboard map") from None
        except (OSError, ValueError, KeyError) as exc:
            raise RunFolderError(f"{path}: not an onboard map ({exc}); delete it and run `edlcam lvs RUN` again") from None
        if app.ndim != 2 or elev.ndim != 2 or meta.shape != (4,) or app.dtype != np.uint8:
            raise RunFolderError(f"{path}: not an onboard map (appearance {app.shape} {app.dtype}, meta {meta.shape})")
        return cls(app, float(meta[0]), elev.astype(np.float32), float(meta[1]), float(meta[2]), float(meta[3]))


def map_sun_enu(cfg, target_latitude_deg: float, target_longitude_deg: float) -> np.ndarray:
    """Unit vector toward the map's Sun (``[lvs] map_sun_utc``) in the target's ENU frame."""
    from edlcam.mars.sun import sun_position

    return np.asarray(sun_position(cfg.map_sun_utc, target_latitude_deg, target_longitude_deg).direction_enu, float)


def shade_lambert(up_m: np.ndarray, albedo: np.ndarray, spacing_m: float, sun_enu) -> np.ndarray:
    """Radiance (relative: 1 = white ground under the overhead Sun) of a height grid, rows north up.

    ``up_m`` (H, W) with row 0 the north edge; ``albedo`` (H, W) 0..1; the cosine law with the
    Sun ``sun_enu`` (unit, ENU) on the grid's slopes, plus the ambient share of the dusty sky.
    """
    gy, gx = np.gradient(up_m.astype(np.float64), spacing_m)
    # Rows run south with the row index: d(up)/d(north) = −gy.
    nx, ny, nz = -gx, gy, np.ones_like(gx)
    norm = np.sqrt(nx * nx + ny * ny + nz * nz)
    s = np.asarray(sun_enu, float)
    cos_i = np.maximum((nx * s[0] + ny * s[1] + nz * s[2]) / norm, 0.0)
    return (albedo * ((1.0 - AMBIENT) * cos_i + AMBIENT)).astype(np.float32)


def _grid(terrain, center_e: float, center_n: float, size_m: float, m_per_px: float, *, albedo: bool, progress=None):
    """Heights (and albedo) at the map's pixel centres, north row first, rendered tile by tile."""
    n = int(round(size_m / m_per_px))
    up = np.empty((n, n), np.float32)
    alb = np.empty((n, n), np.float32) if albedo else None
    half = (n - 1) / 2.0
    tiles = [(r, c) for r in range(0, n, _TILE_PX) for c in range(0, n, _TILE_PX)]
    for k, (r0, c0) in enumerate(tiles):
        r1, c1 = min(r0 + _TILE_PX, n), min(c0 + _TILE_PX, n)
        # heightmap() takes a square of samples: cover the tile (a partial edge tile reads a
        # square and keeps its part) so that every tile samples the same lattice.
        side = max(r1 - r0, c1 - c0)
        e_mid = center_e + (c0 + (side - 1) / 2.0 - half) * m_per_px
        n_mid = center_n - (r0 + (side - 1) / 2.0 - half) * m_per_px
        _e, _n, u, rgb = terrain.heightmap(center_east_m=e_mid, center_north_m=n_mid,
                                           size_m=(side - 1) * m_per_px, samples=side)  # fmt: skip
        u = u[::-1]  # heightmap rows run north; the map's rows run south
        up[r0:r1, c0:c1] = u[: r1 - r0, : c1 - c0]
        if albedo:
            alb[r0:r1, c0:c1] = (rgb[::-1] @ _LUMA)[: r1 - r0, : c1 - c0]
        if progress is not None:
            progress((k + 1) / len(tiles))
    return up, alb


def build_onboard_map(terrain, cfg, *, sun_enu, quality: str = "full", progress=None) -> OnboardMap:
    """The onboard map of the simulated site: appearance and elevation over ``[lvs]``'s extent.

    ``quality`` "preview" makes a smaller, coarser map (``preview_map_size_m`` at
    ``preview_appearance_m_per_px``) for the demo.
    """
    if quality == "preview":
        size, res = cfg.preview_map_size_m, cfg.preview_appearance_m_per_px
    else:
        size, res = cfg.map_size_m, cfg.appearance_m_per_px
    ce, cn = cfg.map_center_east_m, cfg.map_center_north_m
    up, alb = _grid(terrain, ce, cn, size, res, albedo=True, progress=progress)
    radiance = shade_lambert(up, alb, res, sun_enu)
    # A CTX product is stretched to its 8 bits: the 0.1 % and 99.9 % points to 0 and 255.
    lo, hi = np.percentile(radiance, [0.1, 99.9])
    appearance = np.clip((radiance - lo) / max(hi - lo, 1e-6) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elev_res = max(cfg.elevation_m_per_px, res)
    elevation, _ = _grid(terrain, ce, cn, size, elev_res, albedo=False)
    log.info("onboard map: %d² px at %.1f m/px, elevation %d² at %.1f m/px", appearance.shape[0], res,
             elevation.shape[0], elev_res)  # fmt: skip
    return OnboardMap(appearance, float(res), elevation, float(elev_res), float(ce), float(cn))
