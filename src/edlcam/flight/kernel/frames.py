"""Where the vehicle is: geodetic latitude and altitude of a planet-fixed point, the target's
east-north-up (ENU) frame, where the target lies from the vehicle (range, heading error,
crossrange) — compiled copies of :mod:`edlcam.mars.frames` for one point, free of the
trigonometry that would not vectorize — and the ground's altitude for the rare reads.

Positions are (x, y, z) floats in the planet-fixed frame [m] unless a name says ENU; ``P`` is the
kernel's :data:`~edlcam.flight.kernel.layout.KernelParams` (the ellipsoid, the ENU rows at the
target and the target's planet-fixed origin).
"""

from __future__ import annotations

import math

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.vecmath import _clip, _sqrt
from edlcam.mars.terrain_kernel import ground_altitude_m

__all__: list[str] = []  # the kernel's own helpers, imported by its modules


@kernel_jit(error_model="numpy", inline="always")
def _geodetic(x, y, z, P):
    """Geodetic sin/cos of latitude and altitude [m] of a planet-fixed point (Bowring's closed
    form, one step — as edlcam.mars.frames.cartesian_to_geodetic — with the trigonometry of
    its two arctangents replaced by the ratios they stand for)."""
    a, b, e2, ep2 = P.ell_a, P.ell_b, P.ell_e2, P.ell_ep2
    p = _sqrt(x * x + y * y)
    za, pb = z * a, p * b
    s = _sqrt(za * za + pb * pb)
    st, ct = za / s, pb / s
    ny = z + ep2 * b * st * st * st
    nx = p - e2 * a * ct * ct * ct
    k = _sqrt(nx * nx + ny * ny)
    sin_lat, cos_lat = ny / k, nx / k
    n = a / _sqrt(1.0 - e2 * sin_lat * sin_lat)
    h = p / cos_lat - n if abs(cos_lat) > 1e-6 else abs(z) - b
    return sin_lat, cos_lat, h


@kernel_jit(error_model="numpy", inline="always")
def _to_enu(x, y, z, P):
    return (
        P.e_x * x + P.e_y * y + P.e_z * z,
        P.n_x * x + P.n_y * y + P.n_z * z,
        P.u_x * x + P.u_y * y + P.u_z * z,
    )


@kernel_jit(error_model="numpy", inline="always")
def _from_enu(e, n, u, P):
    return (
        e * P.e_x + n * P.n_x + u * P.u_x,
        e * P.e_y + n * P.n_y + u * P.u_y,
        e * P.e_z + n * P.n_z + u * P.u_z,
    )


@kernel_jit(error_model="numpy", inline="always")
def _target_geometry(sin_lat, cos_lat, x, y, vx, vy, vz, tgt_u, P):
    """Where the target lies from the vehicle, on the sphere of the equatorial radius (as
    edlcam.mars.frames.great_circle_range_m and bearing_rad): the range [m], the heading error
    [rad, + when the target's bearing is to the right of the velocity's], the crossrange
    [m, + when the target lies to the right] and the local vertical speed [m/s].

    In vector form: with the local east, north, up unit vectors E, N, U and the target's unit
    vector T, the range angle is atan2(|T·E, T·N|, T·U), the bearing atan2(T·E, T·N) and the
    crossrange R·asin(sin(range angle)·sin(heading error)) — no trigonometry of the angles."""
    p = math.sqrt(x * x + y * y)
    c_lon, s_lon = x / p, y / p
    t_e = -s_lon * tgt_u[0] + c_lon * tgt_u[1]
    t_n = -sin_lat * c_lon * tgt_u[0] - sin_lat * s_lon * tgt_u[1] + cos_lat * tgt_u[2]
    t_u = cos_lat * c_lon * tgt_u[0] + cos_lat * s_lon * tgt_u[1] + sin_lat * tgt_u[2]
    v_e = -s_lon * vx + c_lon * vy
    v_n = -sin_lat * c_lon * vx - sin_lat * s_lon * vy + cos_lat * vz
    v_u = cos_lat * c_lon * vx + cos_lat * s_lon * vy + sin_lat * vz
    rng = P.radius_eq * math.atan2(math.sqrt(t_e * t_e + t_n * t_n), t_u)
    cross = t_e * v_n - t_n * v_e
    herr = math.atan2(cross, t_e * v_e + t_n * v_n)
    xr = P.radius_eq * math.asin(_clip(cross / max(math.sqrt(v_e * v_e + v_n * v_n), 1e-9), -1.0, 1.0))
    return rng, herr, xr, v_u


@kernel_jit(error_model="numpy")
def _ground_altitude_once(terrain, east_m, north_m):
    """The ground's altitude for the rare reads (the aim point, events after the flight): a call
    rather than one more inlined copy of the terrain's reads, which costs compile time."""
    return ground_altitude_m(terrain, east_m, north_m)
