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
G-FOLD because it is closed-form (vectorises over a batch at no cost) and is the law MSL's
powered approach descends from (Singh, San Martin & Wong, IEEE Aerospace 2007).

All vectors are in the target's flat ENU frame, arrays ``(N,3)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["e_guidance_acceleration", "choose_time_to_go", "track_velocity", "bridle_length_m", "bridle_rate_m_s"]


def e_guidance_acceleration(r_m, v_m_s, r_f_m, v_f_m_s, t_go_s):
    """Required total acceleration [m/s²] to reach (r_f, v_f) in ``t_go_s`` (Cherry 1964)."""
    t = np.maximum(np.asarray(t_go_s, float), 1e-3)[..., None]
    return 6.0 * (r_f_m - r_m) / (t * t) - (4.0 * v_m_s + 2.0 * v_f_m_s) / t


def choose_time_to_go(r_m, v_m_s, r_f_m, v_f_m_s, *, gravity_m_s2, max_accel_m_s2, preferred_s, candidates_s=None):
    """The time-to-go for the powered approach: ``preferred_s`` if the required thrust stays
    below ``max_accel_m_s2`` at both ends of the constant-jerk profile, otherwise the shortest
    feasible candidate above it."""
    if candidates_s is None:
        candidates_s = np.arange(10.0, 120.0, 1.0)
    cands = np.asarray(candidates_s, float)
    g = np.array([0.0, 0.0, -gravity_m_s2])
    n = r_m.shape[0]
    best = np.full(n, np.nan)
    order = np.concatenate([[preferred_s], cands[cands > preferred_s]])
    for t in order:
        a0 = e_guidance_acceleration(r_m, v_m_s, r_f_m, v_f_m_s, np.full(n, t))
        jerk = 2.0 * (v_f_m_s - v_m_s - a0 * t) / (t * t)
        a1 = a0 + jerk * t
        ok = (np.linalg.norm(a0 - g, axis=-1) <= max_accel_m_s2) & (np.linalg.norm(a1 - g, axis=-1) <= max_accel_m_s2)
        best = np.where(np.isnan(best) & ok, t, best)
    return np.where(np.isnan(best), order[-1], best)


def track_velocity(v_m_s, v_des_m_s, *, a_ff_m_s2=0.0, gain_per_s: float = 1.5):
    """Acceleration [m/s²] that drives velocity to ``v_des`` (proportional, with feed-forward)."""
    return a_ff_m_s2 + gain_per_s * (v_des_m_s - v_m_s)


def bridle_length_m(t_since_start_s, *, length_m: float, payout_s: float):
    """Bridle paid out [m]: a smooth (half-cosine) payout from 0 to ``length_m`` in ``payout_s``."""
    x = np.clip(np.asarray(t_since_start_s, float) / payout_s, 0.0, 1.0)
    return length_m * 0.5 * (1.0 - np.cos(np.pi * x))


def bridle_rate_m_s(t_since_start_s, *, length_m: float, payout_s: float):
    """d/dt of :func:`bridle_length_m` [m/s]."""
    t = np.asarray(t_since_start_s, float)
    x = np.clip(t / payout_s, 0.0, 1.0)
    rate = length_m * 0.5 * np.pi / payout_s * np.sin(np.pi * x)
    return np.where((t >= 0.0) & (t <= payout_s), rate, 0.0)
