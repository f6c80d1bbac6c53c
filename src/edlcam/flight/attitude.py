"""Attitudes of the bodies: frames built from the flight state, quaternions, and the swing of the
backshell under the parachute.

Quaternions are scalar-first ``(w, x, y, z)`` and rotate body vectors into the target's ENU frame
(docs/run-folder.md). Conversions use :class:`scipy.spatial.transform.Rotation`.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

__all__ = ["frame_from_axes", "quaternions_wxyz", "capsule_axes", "pendulum_swing"]


def _unit(x):
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def frame_from_axes(z_axis, x_hint):
    """Rotation matrices (N,3,3) whose third column is ``z_axis`` and first lies toward ``x_hint``.

    Where ``x_hint`` is parallel to ``z_axis`` the ENU east (or north) axis stands in."""
    z = _unit(np.asarray(z_axis, float))
    xh = np.broadcast_to(np.asarray(x_hint, float), z.shape).copy()
    x = xh - np.sum(xh * z, axis=-1, keepdims=True) * z
    bad = np.linalg.norm(x, axis=-1) < 1e-6
    if bad.any():
        alt = np.where(np.abs(z[bad, 0:1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
        x[bad] = alt - np.sum(alt * z[bad], axis=-1, keepdims=True) * z[bad]
    x = _unit(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def quaternions_wxyz(matrices):
    """Scalar-first unit quaternions (N,4) of rotation matrices (N,3,3), sign-continuous in N."""
    q = Rotation.from_matrix(matrices).as_quat()  # scipy: (x, y, z, w)
    q = np.concatenate([q[:, 3:4], q[:, :3]], axis=1)
    # Keep consecutive quaternions in the same hemisphere so interpolation takes the short way.
    for i in range(1, len(q)):
        if np.dot(q[i], q[i - 1]) < 0.0:
            q[i] = -q[i]
    return q


def capsule_axes(v_air_enu, bank_rad, trim_alpha_rad, up_enu=(0.0, 0.0, 1.0)):
    """Symmetry axis (+z, heat shield → apex) and lift-side axis of the entry capsule.

    At trim the axis leans by |α| from the wake direction (−v̂) toward the lift vector, which is
    the lift-up direction turned about v̂ by the bank angle (positive: lift to the right)."""
    vhat = _unit(v_air_enu)
    up = np.broadcast_to(np.asarray(up_enu, float), vhat.shape)
    up_perp = _unit(up - np.sum(up * vhat, axis=-1, keepdims=True) * vhat)
    right = np.cross(vhat, up_perp)
    lift = np.cos(bank_rad)[:, None] * up_perp + np.sin(bank_rad)[:, None] * right
    a = abs(trim_alpha_rad)
    z = -np.cos(a) * vhat + np.sin(a) * lift
    return z, lift


def pendulum_swing(t_s, accel_m_s2, *, length_m, damping_ratio, initial_deg, seed, turbulence_deg_s2=0.6):
    """Swing angles (N,2) [rad] of a body hanging under a canopy: a damped 2-D pendulum in the
    apparent-gravity field of the drag (ω₀ = √(a/L)), kicked at line stretch by ``initial_deg``
    in a seeded direction and driven by seeded turbulence (white noise in angular acceleration).

    Semi-implicit Euler on the output grid ``t_s`` (uniform steps)."""
    rng = np.random.default_rng(seed)
    n = len(t_s)
    theta = np.zeros((n, 2))
    if n == 0:
        return theta
    direction = rng.uniform(0.0, 2.0 * np.pi)
    th = np.radians(initial_deg) * np.array([np.cos(direction), np.sin(direction)])
    om = np.zeros(2)
    dt = float(t_s[1] - t_s[0]) if n > 1 else 0.05
    kicks = rng.normal(0.0, np.radians(turbulence_deg_s2) / np.sqrt(dt), size=(n, 2))
    for i in range(n):
        theta[i] = th
        w0 = np.sqrt(max(float(accel_m_s2[i]), 0.1) / length_m)
        acc = -w0 * w0 * th - 2.0 * damping_ratio * w0 * om + kicks[i]
        om = om + acc * dt
        th = th + om * dt
    return theta
