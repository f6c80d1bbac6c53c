"""Closed forms for a body falling with drag: from rest in uniform air, v(t) = v_t tanh(g t / v_t)
with v_t = sqrt(2 m g / (ρ C_D A)); in an isothermal (exponential) atmosphere the speed then
tracks the local terminal velocity."""

import math

import numpy as np
import pytest

from edlcam.flight.bodies import _fall

G = 3.71  # NSSDC mean surface gravity
MASS, CDA = 440.0, 1.2 * math.pi * 2.25**2  # a heat shield: 440 kg, C_D 1.2, 4.5 m (est.)


class Isothermal:
    """ρ = ρ0 exp(−h/H): an isothermal atmosphere (H = R T / g)."""

    def __init__(self, rho0, scale_height_m):
        self.rho0, self.h = rho0, scale_height_m

    def density_kg_m3(self, altitude_m):
        return self.rho0 * np.exp(-np.asarray(altitude_m, float) / self.h)


def _drop(atm, t):
    return _fall(
        np.array([0.0, 0.0, 6000.0]), np.zeros(3), 0.0, t,
        mass_kg=MASS, cda_m2=lambda s: CDA, g_m_s2=G, atmosphere=atm, ground_up=lambda e, n: -1e9, wind=np.zeros(3),
    )


def test_uniform_air_tanh_law():
    atm = Isothermal(0.015, 1e15)
    t = np.array([10.0, 30.0, 60.0])
    _, vel, _ = _drop(atm, t)
    v_t = math.sqrt(2 * MASS * G / (0.015 * CDA))
    # RK4 at 0.05 s: 1e-6 relative.
    assert -vel[:, 2] == pytest.approx(v_t * np.tanh(G * t / v_t), rel=1e-6)
    assert np.all(vel[:, :2] == 0.0)


def test_isothermal_atmosphere_tracks_local_terminal_velocity():
    # NSSDC scale height 11.1 km. Quasi-steady: v lags the falling v_t by ≈ τ |dv_t/dt| with
    # τ = v_t / 2g and dv_t/dt = v_t v / 2H, i.e. v/v_t − 1 ≈ v_t v / (4 g H) ≈ 8 % at 110 m/s.
    atm = Isothermal(0.015, 11_100.0)
    t = np.arange(0.0, 101.0, 0.5)
    pos, vel, _ = _drop(atm, t)
    i = len(t) - 1
    v = -vel[i, 2]
    v_t = math.sqrt(2 * MASS * G / (atm.density_kg_m3(pos[i, 2]) * CDA))
    lag = v_t * v / (4 * G * 11_100.0)
    assert v / v_t - 1.0 == pytest.approx(lag, abs=0.03)
