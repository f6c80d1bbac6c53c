"""Batched equations of motion relative to a rotating, oblate Mars, and the RK4 step.

State: planet-fixed position ``r_m`` (N,3), planet-relative velocity ``v_m_s`` (N,3) and mass
``mass_kg`` (N,). In the rotating frame (the transport theorem applied twice; e.g. Vinh, *Hypersonic and Planetary
Entry Flight Mechanics*, 1980, ch. 2)::

    dv/dt = g(r) + F/m − 2 ω × v − ω × (ω × r)

with ``g`` the J2 gravity of :mod:`edlcam.mars.gravity` and ``F`` the aerodynamic and thrust
forces. Fixed-step classical Runge–Kutta (RK4) advances every trajectory of the batch together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from edlcam.mars.gravity import gravity_m_s2

__all__ = ["Planet", "inertial_accelerations", "rk4_step", "unit"]


@dataclass(frozen=True)
class Planet:
    """Gravity and rotation of the planet (from the mission's [planet] table)."""

    gm_m3_s2: float
    equatorial_radius_m: float
    polar_radius_m: float
    j2: float
    rotation_rate_rad_s: float

    @classmethod
    def from_mission(cls, mission) -> "Planet":
        p = mission.planet
        return cls(p.gm_m3_s2, p.equatorial_radius_m, p.polar_radius_m, p.j2, p.rotation_rate_rad_s)

    @property
    def omega_vec(self) -> np.ndarray:
        return np.array([0.0, 0.0, self.rotation_rate_rad_s])


def unit(x, axis=-1):
    """``x`` divided by its norm along ``axis`` (zero vectors stay zero)."""
    n = np.linalg.norm(x, axis=axis, keepdims=True)
    return x / np.where(n > 0.0, n, 1.0)


def inertial_accelerations(r_m, v_m_s, planet: Planet):
    """Gravity plus the Coriolis and centrifugal terms of the rotating frame [m/s²]."""
    w = planet.omega_vec
    g = gravity_m_s2(r_m, gm_m3_s2=planet.gm_m3_s2, j2=planet.j2, radius_m=planet.equatorial_radius_m)
    coriolis = -2.0 * np.cross(w, v_m_s)
    centrifugal = -np.cross(w, np.cross(w, r_m))
    return g + coriolis + centrifugal


Derivative = Callable[[float, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def rk4_step(f: Derivative, t_s, r_m, v_m_s, mass_kg, dt_s):
    """One classical RK4 step of (r, v, m) under ``f(t, r, v, m) -> (ṙ, v̇, ṁ)``.

    ``t_s`` and ``dt_s`` are scalars or arrays of shape (N,): each trajectory may keep its own
    clock and step."""
    dt_m = np.asarray(dt_s, float)  # for masses (N,)
    dt_v = dt_m[..., None] if dt_m.ndim else dt_m  # for vectors (N,3)
    k1r, k1v, k1m = f(t_s, r_m, v_m_s, mass_kg)
    k2r, k2v, k2m = f(t_s + 0.5 * dt_m, r_m + 0.5 * dt_v * k1r, v_m_s + 0.5 * dt_v * k1v, mass_kg + 0.5 * dt_m * k1m)
    k3r, k3v, k3m = f(t_s + 0.5 * dt_m, r_m + 0.5 * dt_v * k2r, v_m_s + 0.5 * dt_v * k2v, mass_kg + 0.5 * dt_m * k2m)
    k4r, k4v, k4m = f(t_s + dt_m, r_m + dt_v * k3r, v_m_s + dt_v * k3v, mass_kg + dt_m * k3m)
    return (
        r_m + dt_v / 6.0 * (k1r + 2.0 * k2r + 2.0 * k3r + k4r),
        v_m_s + dt_v / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v),
        mass_kg + dt_m / 6.0 * (k1m + 2.0 * k2m + 2.0 * k3m + k4m),
    )
