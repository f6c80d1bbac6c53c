"""The force model: the equations of motion relative to a rotating, oblate Mars, the air, the
aerodynamic and thrust forces, and the planet that sets them.

State: planet-fixed position ``r``, planet-relative velocity ``v`` and mass ``m``. In the
rotating frame (the transport theorem applied twice; e.g. Vinh, *Hypersonic and Planetary Entry
Flight Mechanics*, 1980, ch. 2)::

    dv/dt = g(r) + F/m − 2 ω × v − ω × (ω × r)

with ``g`` the J2 gravity of :mod:`edlcam.mars.gravity` and ``F`` the aerodynamic and thrust
forces. :func:`_derivative` evaluates them for one point; the lanes' integrator
(:mod:`edlcam.flight.kernel.integrate`) makes the same calls on all its lanes at once and
advances each trajectory with fixed-step classical Runge–Kutta (RK4) or, in powered flight, the
midpoint rule; tests/mars/test_gravity_frames.py checks them against closed forms.

The functions here have no branches that depend on the lane (every phase's terms are computed
and the phase selects among them), so that LLVM compiles the integrator's loop over the lanes to
vector instructions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.frames import _geodetic
from edlcam.flight.kernel.layout import (
    C_WIND_E, C_WIND_E0, C_WIND_N, C_WIND_N0, ENTRY, F_CHUTE_DRAG, F_DENSITY_D0, F_DENSITY_HIGH, F_DENSITY_LOW, F_DRAG, F_LOD, F_WIND_X, F_WIND_Y, F_WIND_Z, FREEFALL, LANDED,
    PARACHUTE, X_HEATSHIELD_ON, X_LIFT_ON, X_PHASE, X_T_DEPLOY, X_THRUST_X, X_THRUST_Y, X_THRUST_Z,
)  # fmt: skip
from edlcam.flight.kernel.vecmath import _clip, _exp, _sqrt, _table_at, _table_pair

__all__ = ["Planet"]

SUTTON_GRAVES_MARS = 1.9027e-4  # kg^0.5/m, Sutton & Graves (1971), Mars CO2/N2 (SI)


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


@kernel_jit(error_model="numpy", inline="always")
def _density_perturbation(h, d0, s0, s1, s2, s3, P):
    """The case's relative density perturbation at MOLA altitude ``h``: ``d0`` at the lowest node
    ``P.density_h0`` and the slopes [1/m] ``s0 … s3`` of the segments between the nodes at
    ``P.density_h0 … density_h4``; linear between them, held beyond the lowest and the highest
    (:mod:`edlcam.flight.dispersions` draws the nodes, :func:`edlcam.flight.kernel.lanes._start`
    turns them into slopes).

    Each segment adds its slope times the height climbed in it, clipped to [0, its spacing]: no
    branch on the height, so that the lane loops stay vector instructions."""
    d = d0 + s0 * _clip(h - P.density_h0, 0.0, P.density_dh0)
    d = d + s1 * _clip(h - P.density_h1, 0.0, P.density_dh1)
    d = d + s2 * _clip(h - P.density_h2, 0.0, P.density_dh2)
    return d + s3 * _clip(h - P.density_h3, 0.0, P.density_dh3)


@kernel_jit(error_model="numpy", inline="always")
def _atmosphere(h, scale_low, scale_high, profile, at, stride, P):
    """Density, pressure, temperature, speed of sound at MOLA altitude ``h``
    (edlcam.mars.atmosphere.Atmosphere.state, for one point; without branches, see above), with
    the case's density scales and its perturbation profile ``profile[at + k · stride]``, k = 0 … 4:
    its lowest node and its segments' slopes (:func:`_density_perturbation`; all zero: the scales
    alone, bit for bit)."""
    # The profile read here, not in _density_perturbation: read there, a fresh compile of the
    # lanes' integrator ran 1.8× slower (the same code loaded from numba's cache did not; measured).
    d0, s0, s1 = profile[at], profile[at + stride], profile[at + 2 * stride]
    s2, s3 = profile[at + 3 * stride], profile[at + 4 * stride]
    low = h < P.atm_tail_m
    t_k = (-31.0 - 0.000998 * h if h < 7000.0 else -23.4 - 0.00222 * h) + 273.1
    t_k = t_k if low else P.atm_t_tail_k
    # ln(p / p0): the fit below the tail, the isothermal hydrostatic tail above it.
    tail = -0.00009 * P.atm_tail_m - P.atm_tail_k * (1.0 / P.atm_r_tail_m - 1.0 / (P.atm_planet_radius_m + h))
    p = P.atm_p0 * _exp(-0.00009 * h if low else tail)
    w = 1.0 / (1.0 + _exp((P.atm_split_m - h) / 2500.0))  # ½ (1 + tanh((h − split) / 5 km)), one exp
    # Pressure and density scale together at the model's temperature, as the scales do.
    p = p * (((1.0 - w) * scale_low + w * scale_high) * (1.0 + _density_perturbation(h, d0, s0, s1, s2, s3, P)))
    rho = p / (P.atm_r * t_k)
    return rho, p, t_k, _sqrt(P.atm_gamma * P.atm_r * t_k)


@kernel_jit(error_model="numpy", inline="always")
def _wind_at(case, height_m, P):
    """The case's wind (east, north) [m/s] at ``height_m`` above the target's ground: its constant
    part plus its profile, linear between the nodes at the heights ``P.wind_h0 … wind_h4`` and held
    beyond the lowest and the highest (:mod:`edlcam.flight.dispersions` draws the nodes)."""
    hs = (P.wind_h0, P.wind_h1, P.wind_h2, P.wind_h3, P.wind_h4)
    k, w = 0, 0.0
    if height_m >= hs[4]:
        k, w = 3, 1.0
    elif height_m > hs[0]:
        for j in range(4):
            if height_m < hs[j + 1]:
                k, w = j, (height_m - hs[j]) / (hs[j + 1] - hs[j])
                break
    e = case[C_WIND_E] + (1.0 - w) * case[C_WIND_E0 + k] + w * case[C_WIND_E0 + k + 1]
    n = case[C_WIND_N] + (1.0 - w) * case[C_WIND_N0 + k] + w * case[C_WIND_N0 + k + 1]
    return e, n


@kernel_jit(error_model="numpy", inline="always")
def _inflation_factor(dt, P):
    """The canopy's drag area over its steady value ``dt`` s after mortar fire: it grows as
    (dt / t_inf)² (constant filling distance, Cruz et al. 2014) to an overinflation peak of
    ``P.chute_peak_ratio`` at full inflation (t_inf = ``P.chute_inflation_s``), then settles
    linearly to 1 over ``P.chute_settle_s``. A supersonic disk-gap-band's opening load peaks at
    the most open canopy, above the steady drag (ASPIRE: O'Farrell et al. 2019; Mars 2020: O'Farrell
    & Clark 2022); the breathing that follows it is not modelled. A ratio of 1 gives (dt / t_inf)²."""
    x = _clip(dt / P.chute_inflation_s, 0.0, 1.0)
    s = _clip((dt - P.chute_inflation_s) / P.chute_settle_s, 0.0, 1.0)
    return (x * x) * (P.chute_peak_ratio - (P.chute_peak_ratio - 1.0) * s)


@kernel_jit(error_model="numpy", inline="always")
def _drag_area(t, mach, capsule_cd, phase, t_deploy, heatshield_on, drag_scale, chute_scale, P, aero):
    """C_D·A [m²] of what flies at Mach ``mach`` (``capsule_cd``: the capsule's C_D there): the
    capsule or backshell, plus the inflating parachute, or the descent stage."""
    cda = (capsule_cd if heatshield_on > 0.5 else P.backshell_cd) * P.ref_area * drag_scale
    chute = _table_at(mach, aero[3], aero[4]) * P.chute_area * chute_scale * _inflation_factor(t - t_deploy, P)
    cda = cda + chute if phase == PARACHUTE else cda
    return P.ds_cda if phase > PARACHUTE else cda


@kernel_jit(error_model="numpy", inline="always")
def _aero_thrust(
    t, rx, ry, rz, vx, vy, vz, m, rho, a_sound, cos_bank, sin_bank, phase, t_deploy, heatshield_on, lift_on,
    tx, ty, tz, wind_x, wind_y, wind_z, drag_scale, lod_scale, chute_scale, P, aero,
):  # fmt: skip
    """Aerodynamic and thrust acceleration [m/s²] and mass rate [kg/s] in air of density ``rho``
    and speed of sound ``a_sound``, with the bank angle given by its cosine and sine.

    The controls held over the step: ``phase``, deploy time, heat shield on (1/0), lift on
    (1/0), thrust acceleration (planet-fixed); the case's wind (planet-fixed) and scales of drag,
    L/D and parachute drag; ``aero``: capsule Mach, C_D, L/D; parachute Mach, C_D (tuples).
    Every phase's terms are computed and the phase selects among them: no branches, so that
    the integrator runs it on all its lanes at once."""
    wx, wy, wz = vx - wind_x, vy - wind_y, vz - wind_z
    speed = _sqrt(wx * wx + wy * wy + wz * wz)
    inv = 1.0 / max(speed, 1e-9)
    hx, hy, hz = wx * inv, wy * inv, wz * inv
    mach = speed / a_sound
    q = 0.5 * rho * speed * speed
    cd, lod = _table_pair(mach, aero[0], aero[1], aero[2])
    d = q * _drag_area(t, mach, cd, phase, t_deploy, heatshield_on, drag_scale, chute_scale, P, aero) / m
    ax, ay, az = -d * hx, -d * hy, -d * hz
    # Lift in entry: the lift-up direction (radial, normal to v) turned about v by the bank angle.
    rn = _sqrt(rx * rx + ry * ry + rz * rz)
    ux, uy, uz = rx / rn, ry / rn, rz / rn
    dot = ux * hx + uy * hy + uz * hz
    px, py, pz = ux - dot * hx, uy - dot * hy, uz - dot * hz
    pn = _sqrt(px * px + py * py + pz * pz)
    px, py, pz = (px / pn, py / pn, pz / pn) if pn > 0.0 else (px, py, pz)
    qx, qy, qz = hy * pz - hz * py, hz * px - hx * pz, hx * py - hy * px  # v̂ × up⊥: to the right
    lift = d * lod * lod_scale * lift_on
    entry = phase == ENTRY
    ax = ax + lift * (cos_bank * px + sin_bank * qx) if entry else ax
    ay = ay + lift * (cos_bank * py + sin_bank * qy) if entry else ay
    az = az + lift * (cos_bank * pz + sin_bank * qz) if entry else az
    powered = phase >= FREEFALL
    ax = ax + tx if powered else ax
    ay = ay + ty if powered else ay
    az = az + tz if powered else az
    mdot = -_sqrt(tx * tx + ty * ty + tz * tz) * m / P.exhaust_speed if powered else 0.0
    flying = phase < LANDED
    return (ax if flying else 0.0), (ay if flying else 0.0), (az if flying else 0.0), (mdot if flying else 0.0)


@kernel_jit(error_model="numpy", inline="always")
def _gravity_rotating(rx, ry, rz, vx, vy, vz, P):
    """J2 gravity with the Coriolis and centrifugal terms of the rotating frame [m/s²]."""
    r2 = rx * rx + ry * ry + rz * rz
    rn = _sqrt(r2)
    k = -P.gm / (rn * r2)
    zz = rz * rz / r2
    f = 1.5 * P.j2 * P.radius_eq * P.radius_eq / r2
    w = P.omega
    gx = k * rx * (1.0 + f * (1.0 - 5.0 * zz)) + 2.0 * w * vy + w * w * rx
    gy = k * ry * (1.0 + f * (1.0 - 5.0 * zz)) - 2.0 * w * vx + w * w * ry
    gz = k * rz * (1.0 + f * (3.0 - 5.0 * zz))
    return gx, gy, gz


@kernel_jit(error_model="numpy", inline="always")
def _derivative(t, rx, ry, rz, vx, vy, vz, m, cos_bank, sin_bank, ctx, forces, P, aero):
    """(v̇, ṁ) of the equations of motion in the rotating frame (above):
    J2 gravity, Coriolis and centrifugal terms, aerodynamics and thrust. (The kernel's steps
    make the same calls, re-using the air they already know at a step's start.)"""
    _s, _c, h = _geodetic(rx, ry, rz, P)
    rho, _p, _t, a_sound = _atmosphere(h, forces[F_DENSITY_LOW], forces[F_DENSITY_HIGH], forces, F_DENSITY_D0, 1, P)
    ax, ay, az, mdot = _aero_thrust(
        t, rx, ry, rz, vx, vy, vz, m, rho, a_sound, cos_bank, sin_bank, ctx[X_PHASE], ctx[X_T_DEPLOY],
        ctx[X_HEATSHIELD_ON], ctx[X_LIFT_ON], ctx[X_THRUST_X], ctx[X_THRUST_Y], ctx[X_THRUST_Z],
        forces[F_WIND_X], forces[F_WIND_Y], forces[F_WIND_Z], forces[F_DRAG], forces[F_LOD], forces[F_CHUTE_DRAG], P, aero,
    )  # fmt: skip
    gx, gy, gz = _gravity_rotating(rx, ry, rz, vx, vy, vz, P)
    return gx + ax, gy + ay, gz + az, mdot


@kernel_jit(error_model="numpy", inline="always")
def _heating_rate(rho, air_speed, P):
    """Stagnation-point convective heating rate [W/m²] (Sutton & Graves 1971, Mars CO2/N2) at the
    nose radius ``P.nose_radius``, in air of density ``rho`` at ``air_speed``."""
    return SUTTON_GRAVES_MARS * math.sqrt(rho / P.nose_radius) * air_speed**3
