"""The navigation filter: consistent covariance (NEES) over a Monte Carlo of simulated LVS descents."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import chi2

from edlcam.config.lvs import ImuConfig
from edlcam.gnc.navfilter import ImuErrors, NavFilter, measured_acceleration, tilted_attitude


def _descent(rng, imu_cfg, *, n_images=20, dt=0.05):
    """One descent: the filter fed IMU accelerations and fixes whose errors follow their covariance."""
    imu = ImuErrors.draw(imu_cfg, rng)
    p, v = np.zeros(2), rng.normal(0.0, 5.0, 2)
    sig_p, sig_v = 1000.0, 1.0
    nav = NavFilter(p + rng.normal(0, sig_p, 2), v + rng.normal(0, sig_v, 2), position_sigma_m=sig_p,
                    velocity_sigma_m_s=sig_v, tilt_sigma_rad=math.radians(imu_cfg.attitude_sigma_deg), imu_cfg=imu_cfg)
    nees = []
    height = 4200.0
    for k in range(n_images):
        steps = int(round(1.0 / dt))
        a_true = np.column_stack([0.3 * np.sin(0.5 * k + np.arange(steps) * dt), 0.2 * np.cos(0.3 * k + np.arange(steps) * dt), np.zeros(steps)])
        meas = measured_acceleration(a_true, dt, imu, rng)
        for j in range(steps):
            p = p + v * dt + 0.5 * a_true[j, :2] * dt * dt
            v = v + a_true[j, :2] * dt
            nav.propagate(meas[j, :2], dt)
        height -= 90.0
        sigma = rng.uniform(3.0, 12.0)  # the fix's own 1σ
        fix = p + height * imu.tau + rng.normal(0.0, sigma, 2)
        nav.update(fix, np.eye(2) * sigma**2, height)
        err = nav.position - p
        nees.append(float(err @ np.linalg.solve(nav.position_cov, err)))
    return np.array(nees)


def test_filter_position_nees_is_consistent_over_a_monte_carlo():
    rng = np.random.default_rng(2021)
    runs = np.array([_descent(rng, ImuConfig(), dt=0.1) for _ in range(200)])
    mean_nees = runs[:, -1].mean()
    # Bar-Shalom, Li & Kirubarajan (2001) §5.4: the mean NEES of N runs of a consistent 2-state
    # estimate lies within the two-sided 95 % bounds chi2(2N)/N.
    lo, hi = chi2.ppf([0.025, 0.975], 2 * len(runs)) / len(runs)
    assert lo <= mean_nees <= hi, (mean_nees, lo, hi)


def test_filter_rejects_a_fix_far_outside_its_covariance():
    nav = NavFilter((0.0, 0.0), (0.0, 0.0), position_sigma_m=5.0, velocity_sigma_m_s=0.1, tilt_sigma_rad=1e-3, imu_cfg=ImuConfig())
    accepted, d2 = nav.update(np.array([500.0, 0.0]), np.eye(2) * 25.0, 3000.0)
    assert not accepted and d2 > 16.0
    assert np.allclose(nav.position, 0.0)


def test_tilt_error_moves_the_nadir_by_height_times_tau():
    # A believed attitude turned by φ = (φ_e, φ_n) about the ENU axes points the nadir ray off by
    # φ × down, which moves the computed nadir point by h·(φ_n, −φ_e) = h·τ.
    imu = ImuErrors(np.zeros(3), np.zeros(3), np.array([1e-3, -2e-3]), 0.0)
    R_believed = tilted_attitude(np.eye(3), imu.tilt_rad)
    down_believed = R_believed @ np.array([0.0, 0.0, -1.0])
    h = 3000.0
    moved = -h * down_believed[:2] / -down_believed[2]  # the believed ray's ground point seen from the true camera, reversed
    assert np.allclose(moved, h * imu.tau, rtol=1e-3)
