"""Planet-fixed frames: geodetic coordinates on the reference ellipsoid, local ENU, great circles.

The MOLA areoid (the equipotential that MOLA altitudes are measured from) is approximated by
the reference ellipsoid of equatorial radius 3396.19 km and polar radius 3376.20 km; the two
differ by at most ~1–2 km, well below what matters for an entry trajectory, and the terrain
module uses the same surface so altitude and height above ground agree with each other.

Geodetic latitude from Cartesian uses Bowring's (1976) iteration-free formula, accurate to
well below a millimetre at EDL altitudes. Arrays have the batch axis first, vectors last.
"""

from __future__ import annotations

import numpy as np

from edlcam.mars import constants as C

__all__ = [
    "Ellipsoid",
    "MARS_ELLIPSOID",
    "geodetic_to_cartesian",
    "cartesian_to_geodetic",
    "enu_basis",
    "great_circle_range_m",
    "bearing_rad",
    "destination_point",
]


class Ellipsoid:
    """An oblate reference ellipsoid given by equatorial and polar radii [m]."""

    def __init__(self, equatorial_radius_m: float, polar_radius_m: float):
        self.a = float(equatorial_radius_m)
        self.b = float(polar_radius_m)
        self.e2 = 1.0 - (self.b / self.a) ** 2
        self.ep2 = (self.a / self.b) ** 2 - 1.0


MARS_ELLIPSOID = Ellipsoid(C.MOLA_REFERENCE_RADIUS_M, 3376.20e3)


def geodetic_to_cartesian(lat_deg, lon_deg, altitude_m, *, ellipsoid: Ellipsoid = MARS_ELLIPSOID):
    """Planet-fixed Cartesian position [m] of geodetic latitude/longitude [deg] and altitude [m]."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    h = np.asarray(altitude_m, dtype=float)
    n = ellipsoid.a / np.sqrt(1.0 - ellipsoid.e2 * np.sin(lat) ** 2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - ellipsoid.e2) + h) * np.sin(lat)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def cartesian_to_geodetic(r_m, *, ellipsoid: Ellipsoid = MARS_ELLIPSOID):
    """Geodetic latitude [deg], east longitude [deg, -180..180] and altitude [m] of ``r_m``."""
    r = np.asarray(r_m, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    a, b, e2, ep2 = ellipsoid.a, ellipsoid.b, ellipsoid.e2, ellipsoid.ep2
    p = np.hypot(x, y)
    theta = np.arctan2(z * a, p * b)
    lat = np.arctan2(z + ep2 * b * np.sin(theta) ** 3, p - e2 * a * np.cos(theta) ** 3)
    lon = np.arctan2(y, x)
    n = a / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    cos_lat = np.cos(lat)
    # Near the poles p/cos(lat) is ill-conditioned; use the z form there.
    h = np.where(
        np.abs(cos_lat) > 1e-6,
        p / np.where(np.abs(cos_lat) > 1e-6, cos_lat, 1.0) - n,
        np.abs(z) - b,
    )
    return np.degrees(lat), np.degrees(lon), h


def enu_basis(lat_deg, lon_deg):
    """Unit east, north and up vectors (rows) of the local tangent frame, shape ``(..., 3, 3)``."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl * so)
    east = np.stack([-so + zero, co + zero, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl + zero], axis=-1)
    up = np.stack([cl * co, cl * so, sl + zero], axis=-1)
    return np.stack([east, north, up], axis=-2)


def great_circle_range_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg, *, radius_m: float = C.MOLA_REFERENCE_RADIUS_M):
    """Surface distance [m] between two points on a sphere of ``radius_m`` (haversine)."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dl = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    h = np.sin((p2 - p1) / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * radius_m * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def bearing_rad(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Initial great-circle bearing from point 1 to point 2 [rad, clockwise from north]."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dl = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.arctan2(y, x)


def destination_point(lat_deg, lon_deg, bearing_rad_, distance_m, *, radius_m: float = C.MOLA_REFERENCE_RADIUS_M):
    """Latitude, longitude [deg] reached going ``distance_m`` along ``bearing_rad_`` (sphere)."""
    p1 = np.radians(lat_deg)
    l1 = np.radians(lon_deg)
    d = np.asarray(distance_m, dtype=float) / radius_m
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(bearing_rad_))
    l2 = l1 + np.arctan2(np.sin(bearing_rad_) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 180.0) % 360.0 - 180.0
