"""Powered-descent guidance: the Apollo explicit (E-guidance) law for the powered approach, then
velocity-tracking terminal phases (constant velocity, constant deceleration, sky crane).

Powered approach — the explicit guidance law of Cherry (1964, "A general, explicit, optimizing
guidance law for rocket-propelled spaceflight", AIAA 64-638), the root of Apollo's lunar descent
guidance (Klumpp, "Apollo Lunar Descent Guidance", Automatica 10, 1974). With a linear-in-time
acceleration (constant jerk) that meets position ``r_f`` and velocity ``v_f`` after the
time-to-go ``T``, the acceleration required now is::

    a = 6 (r_f − r) / T²  −  (4 v + 2 v_f) / T

and the thrust acceleration is ``a − g``. Klumpp's quadratic form also meets a target
acceleration; we drop that term (the terminal phases that follow take over the final state),
which is why this is E-guidance rather than the full P63/P64 programme. Chosen over convex
G-FOLD because it is closed-form (no iteration, a few operations per control cycle) and is the law MSL's
powered approach descends from (Singh, San Martin & Wong, IEEE Aerospace 2007).

The terminal phases hold the navigated position over the aim point and track a vertical speed:
constant, then decelerating at a constant rate to the sky-crane speed, then (the rover lowered on
its bridles) the sky-crane speed plus the bridle's payout rate. Each phase's law is one function
here (``_*_command``: the commanded acceleration, ENU, gravity not included); :func:`_thrust`
turns it into the engines' thrust acceleration. The powered phase
(:func:`edlcam.flight.kernel.phases._powered_phase`) sequences them; :func:`bridle_length_m`
(numpy) gives the bodies' tracks the same payout. A lander on legs (Phoenix, InSight) keeps the
constant velocity down to touchdown; its pulse-modulated thrusters give the commanded thrust as a
duty cycle (:func:`_pulsed_thrust`).
"""

from __future__ import annotations

import math

import numpy as np

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.frames import _ground_altitude_once
from edlcam.flight.kernel.vecmath import _clip
from edlcam.mars.terrain_kernel import curvature_drop_m

__all__ = ["bridle_length_m"]


def bridle_length_m(t_since_start_s, *, length_m: float, payout_s: float):
    """Bridle paid out [m]: a smooth (half-cosine) payout from 0 to ``length_m`` in ``payout_s``."""
    x = np.clip(np.asarray(t_since_start_s, float) / payout_s, 0.0, 1.0)
    return length_m * 0.5 * (1.0 - np.cos(np.pi * x))


@kernel_jit(error_model="numpy", inline="always")
def _bridle_payout_rate(t_since_start_s, P):
    """Rate [m/s] at which the bridle pays out: the derivative of :func:`bridle_length_m`, 0
    outside the payout."""
    ts = t_since_start_s
    payout = 0.0
    if 0.0 <= ts <= P.bridle_payout_s:
        x = _clip(ts / P.bridle_payout_s, 0.0, 1.0)
        payout = P.bridle_length * 0.5 * math.pi / P.bridle_payout_s * math.sin(math.pi * x)
    return payout


# ----------------------------------------------------------------------------------------------
# Powered approach


@kernel_jit(error_model="numpy", inline="always")
def _e_guidance(p, v, r_f, v_f, t_go):
    """Cherry's (1964) E-guidance: acceleration to reach (r_f, v_f) in ``t_go`` (ENU)."""
    t = max(t_go, 1e-3)
    return (
        6.0 * (r_f[0] - p[0]) / (t * t) - (4.0 * v[0] + 2.0 * v_f[0]) / t,
        6.0 * (r_f[1] - p[1]) / (t * t) - (4.0 * v[1] + 2.0 * v_f[1]) / t,
        6.0 * (r_f[2] - p[2]) / (t * t) - (4.0 * v[2] + 2.0 * v_f[2]) / t,
    )


@kernel_jit(error_model="numpy")
def _feasible(p, v, r_f, v_f, t, g, max_accel):
    """Whether the constant-jerk profile of E-guidance with time-to-go ``t`` needs no more than
    ``max_accel`` of thrust at its start and at its end."""
    a0 = _e_guidance(p, v, r_f, v_f, t)
    for end in range(2):
        ax, ay, az = a0
        if end == 1:  # a1 = a0 + jerk·t, jerk = 2 (v_f − v − a0 t) / t²
            ax += 2.0 * (v_f[0] - v[0] - a0[0] * t) / t
            ay += 2.0 * (v_f[1] - v[1] - a0[1] * t) / t
            az += 2.0 * (v_f[2] - v[2] - a0[2] * t) / t
        az += g
        if math.sqrt(ax * ax + ay * ay + az * az) > max_accel:
            return False
    return True


@kernel_jit(error_model="numpy")
def _time_to_go(p, v, r_f, v_f, g, max_accel, preferred):
    """``preferred`` if feasible (:func:`_feasible`), else the shortest feasible whole second
    above it, up to 119 s; 119 s (or ``preferred``) when none is."""
    if _feasible(p, v, r_f, v_f, preferred, g, max_accel):
        return preferred
    last = preferred
    c = 10.0
    while c < 120.0:
        if c > preferred:
            last = c
            if _feasible(p, v, r_f, v_f, c, g, max_accel):
                return c
        c += 1.0
    return last



@kernel_jit(error_model="numpy", inline="always")
def _divert_aim(p_nav, target_e, target_n, terrain, P):
    """The landing point (ENU) that terrain-relative navigation picks at the start of powered
    descent, from the navigated position ``p_nav``: the divert target (``target_e``,
    ``target_n``: the mission's target, or the one Safe Target Selection chose: edlcam.gnc) if it
    lies within the divert capability ``P.max_divert``, else the reachable point nearest to it
    (NASA: M2020's LVS could divert up to ≈ 600 m); its up coordinate is the ground's there."""
    to_e, to_n = target_e - p_nav[0], target_n - p_nav[1]
    shrink = min(1.0, P.max_divert / max(math.hypot(to_e, to_n), 1e-9))
    aim_e, aim_n = p_nav[0] + to_e * shrink, p_nav[1] + to_n * shrink
    aim_up = _ground_altitude_once(terrain, aim_e, aim_n) - curvature_drop_m(terrain, aim_e, aim_n)
    return aim_e, aim_n, aim_up


# ----------------------------------------------------------------------------------------------
# Terminal phases


@kernel_jit(error_model="numpy", inline="always")
def _constant_velocity_command(p_nav, v, aim_e, aim_n, P):
    """Constant-velocity descent: hold over the aim point (within 3 m/s), descend at ``P.cv_speed``."""
    hold_e = _clip(0.25 * (aim_e - p_nav[0]), -3.0, 3.0)  # position hold over the aim point
    hold_n = _clip(0.25 * (aim_n - p_nav[1]), -3.0, 3.0)
    return 1.5 * (hold_e - v[0]), 1.5 * (hold_n - v[1]), 1.5 * (-P.cv_speed - v[2])


@kernel_jit(error_model="numpy", inline="always")
def _deceleration_command(p_nav, v, aim_e, aim_n, h_nav, P):
    """Constant deceleration from ``P.cv_speed`` at ``P.dec_height`` to ``P.sky_speed`` at
    ``P.sky_height`` (``h_nav``: the navigated height above ground), holding over the aim point."""
    hold_e = _clip(0.25 * (aim_e - p_nav[0]), -3.0, 3.0)  # position hold over the aim point
    hold_n = _clip(0.25 * (aim_n - p_nav[1]), -3.0, 3.0)
    a_dec = (P.cv_speed**2 - P.sky_speed**2) / (2.0 * (P.dec_height - P.sky_height))
    vz_dec = -math.sqrt(P.sky_speed**2 + 2.0 * a_dec * max(h_nav - P.sky_height, 0.0))
    return 1.5 * (hold_e - v[0]), 1.5 * (hold_n - v[1]), a_dec + 1.5 * (vz_dec - v[2])


@kernel_jit(error_model="numpy", inline="always")
def _skycrane_command(p_nav, v, aim_e, aim_n, t_since_start_s, P):
    """Sky crane: hold over the aim point (within 0.3 m/s) and descend at ``P.sky_speed`` plus the
    bridle's payout rate, so that the rover descends at the sky-crane speed."""
    payout = _bridle_payout_rate(t_since_start_s, P)
    hold_e = _clip(0.25 * (aim_e - p_nav[0]), -0.3, 0.3)
    hold_n = _clip(0.25 * (aim_n - p_nav[1]), -0.3, 0.3)
    return 3.0 * (hold_e - v[0]), 3.0 * (hold_n - v[1]), 3.0 * (-(P.sky_speed + payout) - v[2])


# ----------------------------------------------------------------------------------------------
# Engines


@kernel_jit(error_model="numpy", inline="always")
def _thrust(a_e, a_n, a_u, g, m, min_thrust, max_thrust):
    """Thrust acceleration [m/s², ENU] of throttleable engines for the commanded acceleration
    (``a_*``, gravity ``g`` not included): along it, its magnitude held between the engines'
    least and greatest thrust [N] for the mass ``m``."""
    t_e, t_n, t_u = a_e, a_n, a_u + g
    mag = math.sqrt(t_e * t_e + t_n * t_n + t_u * t_u)
    scale = _clip(mag, min_thrust / m, max_thrust / m) / max(mag, 1e-9)
    return t_e * scale, t_n * scale, t_u * scale


@kernel_jit(error_model="numpy", inline="always")
def _pulsed_thrust(a_e, a_n, a_u, g, m, max_thrust, levels):
    """Thrust acceleration [m/s², ENU] of pulse-modulated thrusters for the commanded acceleration
    (``a_*``, gravity ``g`` not included). Such thrusters (Phoenix's and InSight's twelve MR-107N)
    cannot throttle: each is on at full thrust or off, and the flight software sets the fraction of
    each pulse period it fires (NASA/JPL: InSight pulsed them ten times a second). Over the period
    the impulse is that of the duty cycle times the full thrust ``max_thrust`` [N], so the step
    (one or more whole periods: [simulation] powered_step_s) holds that mean thrust; the duty cycle
    takes ``levels`` steps from off to always on (the period over the shortest pulse), and no least
    thrust: the thrusters can stay off. Along the command, as :func:`_thrust`."""
    t_e, t_n, t_u = a_e, a_n, a_u + g
    mag = math.sqrt(t_e * t_e + t_n * t_n + t_u * t_u)
    duty = math.floor(_clip(mag * m / max_thrust, 0.0, 1.0) * levels + 0.5) / levels
    scale = duty * max_thrust / m / max(mag, 1e-9)
    return t_e * scale, t_n * scale, t_u * scale
