"""The landing ellipse: closed form for known covariances, and recovered from samples."""

import math

import numpy as np
import pytest

from edlcam.flight.montecarlo import ellipse_from_covariance, landing_ellipse

K99 = math.sqrt(-2.0 * math.log(0.01))  # 3.0349: 99 % radius of a 2-D standard normal (chi-square, 2 dof)


def test_axis_aligned_covariance_gives_the_chi_square_semi_axes():
    # σ_east = 2 km, σ_north = 1 km: semi-axes 2·3.0349 and 1·3.0349 km, major axis due east.
    e = ellipse_from_covariance([[4e6, 0.0], [0.0, 1e6]], 0.99)
    assert e.semi_major_m == pytest.approx(2000.0 * K99, rel=1e-12)
    assert e.semi_minor_m == pytest.approx(1000.0 * K99, rel=1e-12)
    assert e.azimuth_deg == pytest.approx(90.0, abs=1e-9)


@pytest.mark.parametrize("azimuth_deg", [0.0, 30.0, 74.82, 135.0])
def test_rotated_covariance_gives_its_azimuth(azimuth_deg):
    # Major axis of σ = 1.27 km along azimuth, minor σ = 1.09 km: the spread that gives the
    # published 7.7 × 6.6 km at 99 % (PIA24350): 2·1.27·3.0349 = 7.7 km, 2·1.09·3.0349 = 6.6 km.
    s_major, s_minor = 7700.0 / (2 * K99), 6600.0 / (2 * K99)
    az = math.radians(azimuth_deg)
    u = np.array([math.sin(az), math.cos(az)])  # (east, north) of the major axis
    w = np.array([math.cos(az), -math.sin(az)])
    cov = s_major**2 * np.outer(u, u) + s_minor**2 * np.outer(w, w)
    e = ellipse_from_covariance(cov, 0.99)
    assert 2 * e.semi_major_m == pytest.approx(7700.0, abs=1e-6)  # 1 µm
    assert 2 * e.semi_minor_m == pytest.approx(6600.0, abs=1e-6)
    assert e.azimuth_deg == pytest.approx(azimuth_deg % 180.0, abs=1e-9)


def test_ellipse_from_samples_of_a_known_covariance_holds_99_percent():
    rng = np.random.default_rng(5)
    cov = np.array([[2.0e6, 0.8e6], [0.8e6, 1.0e6]])  # m², correlated east/north
    pts = rng.multivariate_normal([300.0, -200.0], cov, size=20_000)
    fit = landing_ellipse(pts[:, 0], pts[:, 1], 0.99)
    exact = ellipse_from_covariance(cov, 0.99)
    # Sampling error of a standard deviation from 20 000 points ≈ 1/√(2N) = 0.5 %: allow 2 %.
    assert fit.semi_major_m == pytest.approx(exact.semi_major_m, rel=0.02)
    assert fit.semi_minor_m == pytest.approx(exact.semi_minor_m, rel=0.02)
    assert fit.azimuth_deg == pytest.approx(exact.azimuth_deg, abs=1.5)
    assert (fit.center_east_m, fit.center_north_m) == pytest.approx((300.0, -200.0), abs=30.0)  # 3σ of the mean
    # The fraction of the points inside: 99 % ± 3σ of a binomial proportion (0.21 %).
    az = math.radians(fit.azimuth_deg)
    d = pts - [fit.center_east_m, fit.center_north_m]
    along = d[:, 0] * math.sin(az) + d[:, 1] * math.cos(az)
    across = d[:, 0] * math.cos(az) - d[:, 1] * math.sin(az)
    inside = (along / fit.semi_major_m) ** 2 + (across / fit.semi_minor_m) ** 2 <= 1.0
    assert inside.mean() == pytest.approx(0.99, abs=0.0021)
    assert fit.cases == 20_000


def test_too_few_points_give_no_ellipse():
    assert landing_ellipse([1.0, 2.0, np.nan], [0.0, 1.0, 2.0], 0.99) is None
