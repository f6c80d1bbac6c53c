"""Entry navigation: the state the entry guidance and the parachute's trigger act on.

MSL and Mars 2020 fly entry on inertial navigation: the state at entry interface comes from the
ground's last orbit determination, then the IMU integrates the sensed accelerations (Mendeck &
Craig 2011; Way et al., AAS 13-420). The guidance steers the NAVIGATED state to the target and the
Range Trigger fires on the navigated range (Way et al.; Nelessen et al. 2019), so a knowledge
error moves the true deploy point by as much: the main dispersion of a range trigger (Dutta & Way,
"Comparison of the Effects of Velocity and Range Triggers on Trajectory Dispersions for the Mars
2020 Mission", AIAA 2017-0245).

The error model (per case, ENU of the target's frame; :mod:`edlcam.flight.dispersions` draws it):
the position and velocity knowledge errors at entry interface (``nav_ei_*``), propagated without
the gravity gradient's coupling (a few minutes of flight), and the IMU's error proportional to the
velocity it has integrated (``nav_imu_*``: accelerometer scale factor along the track, misalignment
across it), taken as proportional to the speed lost since entry interface::

    δv(t) = δv₀ + k (V₀ − V(t)),    δp(t) = δp₀ + δv₀ t + k ∫₀ᵗ (V₀ − V) dτ

(the integral by the trapezoid rule over the entry's steps). The navigated vehicle sits at
p + δp: the target as it sees it lies at −δp from the true one, so the target geometry is taken
to the displaced target, with the navigated velocity. A case without navigation errors (all zero:
the nominal) flies on the true state, bit for bit as before.
"""

from __future__ import annotations

import math

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.frames import _from_enu, _target_geometry
from edlcam.flight.kernel.layout import (
    C_NAV_EI_E, C_NAV_EI_N, C_NAV_EI_VE, C_NAV_EI_VN, C_NAV_EI_VU, C_NAV_IMU_E, C_NAV_IMU_N, C_NAV_IMU_U, C_SPEED,
    L_NAV_DV, L_NAV_J, L_NAV_ON, L_NAV_T,
)  # fmt: skip

__all__: list[str] = []  # the kernel's own


@kernel_jit(error_model="numpy", inline="always")
def _navigation_start(case, lane):
    """A lane's entry navigation at entry interface: on when the case has any error."""
    on = False
    for j in (C_NAV_EI_E, C_NAV_EI_N, C_NAV_EI_VE, C_NAV_EI_VN, C_NAV_EI_VU, C_NAV_IMU_E, C_NAV_IMU_N, C_NAV_IMU_U):
        on = on or case[j] != 0.0
    lane[L_NAV_ON] = 1.0 if on else 0.0
    lane[L_NAV_T] = lane[L_NAV_DV] = lane[L_NAV_J] = 0.0


@kernel_jit(error_model="numpy", forceinline=True)
def _navigated_geometry(now, case, tgt_u, lane, P):
    """The target geometry of the navigated state (range [m], heading error [rad], crossrange [m],
    vertical speed [m/s]: :func:`edlcam.flight.kernel.frames._target_geometry`) and the navigated
    speed [m/s]. Called at every entry step (it integrates the IMU's error)."""
    if lane[L_NAV_ON] < 0.5:
        rng, herr, xr, v_u = _target_geometry(now.sin_lat, now.cos_lat, now.rx, now.ry, now.vx, now.vy, now.vz, tgt_u, P)
        return rng, herr, xr, v_u, now.speed
    t = now.t
    lost = case[C_SPEED] - now.speed  # the speed lost since entry interface: what the IMU has integrated
    j = lane[L_NAV_J] + 0.5 * (lane[L_NAV_DV] + lost) * (t - lane[L_NAV_T])
    lane[L_NAV_J], lane[L_NAV_T], lane[L_NAV_DV] = j, t, lost
    ke, kn, ku = case[C_NAV_IMU_E], case[C_NAV_IMU_N], case[C_NAV_IMU_U]
    de = case[C_NAV_EI_E] + case[C_NAV_EI_VE] * t + ke * j
    dn = case[C_NAV_EI_N] + case[C_NAV_EI_VN] * t + kn * j
    # The target as the navigated vehicle sees it: displaced by −δp (on the sphere of the guidance).
    tx = tgt_u[0] - (de * P.e_x + dn * P.n_x) / P.radius_eq
    ty = tgt_u[1] - (de * P.e_y + dn * P.n_y) / P.radius_eq
    tz = tgt_u[2] - (de * P.e_z + dn * P.n_z) / P.radius_eq
    norm = math.sqrt(tx * tx + ty * ty + tz * tz)
    dvx, dvy, dvz = _from_enu(case[C_NAV_EI_VE] + ke * lost, case[C_NAV_EI_VN] + kn * lost, case[C_NAV_EI_VU] + ku * lost, P)
    vx, vy, vz = now.vx + dvx, now.vy + dvy, now.vz + dvz
    rng, herr, xr, v_u = _target_geometry(now.sin_lat, now.cos_lat, now.rx, now.ry, vx, vy, vz, (tx / norm, ty / norm, tz / norm), P)
    return rng, herr, xr, v_u, math.sqrt(vx * vx + vy * vy + vz * vz)
