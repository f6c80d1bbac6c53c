"""Gravity of an oblate Mars: point mass plus the J2 zonal harmonic.

Standard J2 acceleration in planet-fixed Cartesian coordinates (Vallado, *Fundamentals of
Astrodynamics and Applications*, 4th ed., eq. 8-30). Positions ``r_m`` have the batch axis first
and the vector axis last: shape ``(..., 3)``.
"""

from __future__ import annotations

import numpy as np

from edlcam.mars import constants as C

__all__ = ["gravity_m_s2", "point_mass_gravity_m_s2"]


def point_mass_gravity_m_s2(r_m, *, gm_m3_s2: float = C.GM_M3_S2):
    """-GM r / |r|³ [m/s²]."""
    r = np.asarray(r_m, dtype=float)
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    return -gm_m3_s2 * r / rn**3


def gravity_m_s2(r_m, *, gm_m3_s2: float = C.GM_M3_S2, j2: float = C.J2, radius_m: float = C.EQUATORIAL_RADIUS_M):
    """Gravitational acceleration with J2 [m/s²] at planet-fixed position ``r_m`` [m]."""
    r = np.asarray(r_m, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = -gm_m3_s2 / (rn * r2)
    zz = z * z / r2
    f = 1.5 * j2 * radius_m * radius_m / r2
    ax = k * x * (1.0 + f * (1.0 - 5.0 * zz))
    ay = k * y * (1.0 + f * (1.0 - 5.0 * zz))
    az = k * z * (1.0 + f * (3.0 - 5.0 * zz))
    return np.stack([ax, ay, az], axis=-1)
