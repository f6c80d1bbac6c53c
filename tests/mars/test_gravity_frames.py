"""Gravity and frames: closed forms (J2 at the pole and the equator, a circular orbit's energy,
vacuum free fall) and geodetic round trips."""

import math

import numpy as np
import pytest

from edlcam.flight.kernel.dynamics import _derivative
from edlcam.flight.kernel.frames import _geodetic
from edlcam.flight.kernel.layout import LANDED
from edlcam.flight.sequencer import kernel_inputs
from edlcam.mars import constants as C
from edlcam.mars.frames import Ellipsoid, cartesian_to_geodetic, enu_basis, geodetic_to_cartesian, great_circle_range_m
from edlcam.mars.gravity import gravity_m_s2, point_mass_gravity_m_s2



@pytest.fixture(scope="module")
def params():
    """The flight kernel's parameters for the default mission (gravity, planet, ...)."""
    from edlcam.mars.terrain import Terrain
    from edlcam.mission import load_mission

    mission = load_mission()
    return kernel_inputs(mission, Terrain.from_mission(mission))[:2]


def _vacuum(params, *, j2=0.0, omega=0.0):
    """The kernel's equations of motion with no aerodynamics and no thrust (a landed body: gravity
    and the rotating-frame terms only): f(t, r, v) → (ṙ, v̇)."""
    P, aero = params
    P = P._replace(gm=C.GM_M3_S2, radius_eq=C.EQUATORIAL_RADIUS_M, j2=j2, omega=omega)
    ctx = np.array([float(LANDED), np.nan, 0.0, 0.0, 0.0, 0.0, 0.0])
    case = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # forces: no wind, unit scales, no density profile

    def f(t, r, v):
        a = _derivative(t, r[0], r[1], r[2], v[0], v[1], v[2], 1.0, 1.0, 0.0, ctx, case, P, aero)
        return v, np.array(a[:3])

    return f


def _rk4(f, t, r, v, dt):
    k1r, k1v = f(t, r, v)
    k2r, k2v = f(t + dt / 2, r + dt / 2 * k1r, v + dt / 2 * k1v)
    k3r, k3v = f(t + dt / 2, r + dt / 2 * k2r, v + dt / 2 * k2v)
    k4r, k4v = f(t + dt, r + dt * k3r, v + dt * k3v)
    return r + dt / 6 * (k1r + 2 * k2r + 2 * k3r + k4r), v + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)


def test_j2_at_equator_and_pole():
    # Vallado eq. 8-30 at the equator (z = 0): g = GM/r² (1 + 3/2 J2 (R/r)²);
    # at the pole (x = y = 0): g = GM/r² (1 − 3 J2 (R/r)²).
    r = C.EQUATORIAL_RADIUS_M + 10_000.0
    k = C.GM_M3_S2 / r**2
    f = (C.EQUATORIAL_RADIUS_M / r) ** 2
    eq = gravity_m_s2(np.array([r, 0.0, 0.0]))
    pole = gravity_m_s2(np.array([0.0, 0.0, r]))
    assert -eq[0] == pytest.approx(k * (1 + 1.5 * C.J2 * f), rel=1e-12)
    assert -pole[2] == pytest.approx(k * (1 - 3.0 * C.J2 * f), rel=1e-12)
    # The J2 effect is ≈ 0.3 % at the equator and ≈ 0.6 % at the pole: far above round-off.
    base = point_mass_gravity_m_s2(np.array([r, 0.0, 0.0]))
    assert abs(eq[0] / base[0] - 1) == pytest.approx(1.5 * C.J2 * f, rel=1e-9)
    # Surface gravity: NSSDC mean 3.71 m/s² (within 1 %).
    assert float(np.linalg.norm(gravity_m_s2(np.array([C.MEAN_RADIUS_M, 0.0, 0.0])))) == pytest.approx(3.71, rel=0.01)


def test_circular_orbit_keeps_energy_and_radius(params):
    r0 = C.EQUATORIAL_RADIUS_M + 400e3
    v0 = math.sqrt(C.GM_M3_S2 / r0)
    period = 2 * math.pi * r0 / v0
    r, v = np.array([r0, 0.0, 0.0]), np.array([0.0, v0, 0.0])
    f = _vacuum(params)
    e0 = 0.5 * v0**2 - C.GM_M3_S2 / r0
    dt = 1.0
    for k in range(int(period / dt)):
        r, v = _rk4(f, k * dt, r, v, dt)
    e1 = 0.5 * float(np.sum(v**2)) - C.GM_M3_S2 / float(np.linalg.norm(r))
    # RK4 at 1 s over one ~2 h orbit: energy to 1e-9 relative, radius to 1 m.
    assert abs(e1 / e0 - 1.0) < 1e-9
    assert float(np.linalg.norm(r)) == pytest.approx(r0, abs=1.0)


def test_vacuum_free_fall_matches_half_g_t_squared(params):
    # Dropped from rest 1 km up on a non-rotating planet: h(t) = h0 − g t²/2, with g varying by
    # 2h/R ≈ 0.06 % over the drop; tolerance 5 cm over 10 s.
    r0 = C.EQUATORIAL_RADIUS_M + 1000.0
    g0 = C.GM_M3_S2 / r0**2
    r, v = np.array([r0, 0.0, 0.0]), np.zeros(3)
    f = _vacuum(params)
    for k in range(200):
        r, v = _rk4(f, k * 0.05, r, v, 0.05)
    assert float(r[0]) == pytest.approx(r0 - 0.5 * g0 * 10.0**2, abs=0.05)


def test_rotating_frame_terms(params):
    # A body at rest on the equator feels the centrifugal ω² R outward (≈ 0.017 m/s²); one moving
    # north at v feels no Coriolis force there, one moving east at v feels 2 ω v outward.
    f = _vacuum(params, omega=C.OMEGA_RAD_S)
    r = np.array([C.EQUATORIAL_RADIUS_M, 0.0, 0.0])
    g = C.GM_M3_S2 / C.EQUATORIAL_RADIUS_M**2
    assert float(f(0.0, r, np.zeros(3))[1][0]) == pytest.approx(-g + C.OMEGA_RAD_S**2 * C.EQUATORIAL_RADIUS_M, rel=1e-12)
    east = f(0.0, r, np.array([0.0, 100.0, 0.0]))[1][0] - f(0.0, r, np.zeros(3))[1][0]
    assert east == pytest.approx(2.0 * C.OMEGA_RAD_S * 100.0, rel=1e-9)
    assert f(0.0, r, np.array([0.0, 0.0, 100.0]))[1][0] == f(0.0, r, np.zeros(3))[1][0]
    assert C.OMEGA_RAD_S == pytest.approx(7.0882e-5, rel=1e-4)  # NSSDC


def test_kernel_gravity_is_the_j2_field(params):
    # The kernel's gravity equals edlcam.mars.gravity (Vallado eq. 8-30) at points around Mars.
    f = _vacuum(params, j2=C.J2)
    for lat, lon, h in ((18.4, 77.5, -2500.0), (-60.0, 10.0, 125e3), (89.0, -170.0, 5e3)):
        r = geodetic_to_cartesian(lat, lon, h)
        assert np.allclose(f(0.0, r, np.zeros(3))[1], gravity_m_s2(r), rtol=1e-13, atol=0.0)


def test_kernel_geodetic_altitude_matches_the_frames(params):
    P, _aero = params
    lat = np.array([18.4447, -45.0, 89.9, 0.0, 60.0])
    lon = np.array([77.4508, -120.0, 10.0, 180.0, 45.0])
    h = np.array([-2500.0, 125_000.0, 1000.0, 0.0, 11_000.0])
    for r in geodetic_to_cartesian(lat, lon, h, ellipsoid=Ellipsoid(P.ell_a, P.ell_b)):
        s, c, alt = _geodetic(r[0], r[1], r[2], P)
        lat2, _lon2, alt2 = cartesian_to_geodetic(r, ellipsoid=Ellipsoid(P.ell_a, P.ell_b))
        assert alt == pytest.approx(float(alt2), abs=1e-6)
        assert math.degrees(math.atan2(s, c)) == pytest.approx(float(lat2), abs=1e-10)


def test_geodetic_round_trip_and_enu():
    lat = np.array([18.4447, -45.0, 89.9, 0.0])
    lon = np.array([77.4508, -120.0, 10.0, 180.0])
    h = np.array([-2500.0, 125_000.0, 1000.0, 0.0])
    r = geodetic_to_cartesian(lat, lon, h)
    lat2, lon2, h2 = cartesian_to_geodetic(r)
    assert np.allclose(lat2, lat, atol=1e-9) and np.allclose(h2, h, atol=1e-3)
    assert np.allclose(((lon2 - lon + 180) % 360) - 180, 0.0, atol=1e-9)
    b = enu_basis(lat, lon)
    assert np.allclose(np.einsum("nij,nkj->nik", b, b), np.eye(3), atol=1e-12)
    # One degree of latitude on the 3396.19 km sphere is 59.27 km.
    assert float(great_circle_range_m(0, 0, 1, 0)) == pytest.approx(math.radians(1) * 3396.19e3, rel=1e-12)
