"""The spacecraft's navigation during LVS: a simulated IMU and a Kalman filter fusing its
accelerations with the landmark position fixes.

**IMU.** The measured acceleration is the truth plus a bias, a scale-factor error and white
noise, drawn once per flight from the IMU's class (``[lvs.imu]``: the LN-200S class that flew
on MSL and Mars 2020, Northrop Grumman datasheet 1σ values); the attitude the IMU reports is the
truth turned by a small tilt error (its knowledge when LVS starts). The parachute swings the
body by degrees, so a bias fixed in the body would wander in the ENU frame; it is held fixed in
ENU here (est.), the larger effect over LVS's ≈ 25 s being the size, not the direction.

**Filter.** LVS fused landmarks with the IMU in an estimator (Johnson et al. 2017, AAS 17-038);
here a linear Kalman filter (Kalman 1960) on the horizontal state

    x = [east, north, v_east, v_north, τ_east, τ_north]

driven by the IMU's horizontal acceleration. ``τ`` is the ground displacement per metre of
height that the tilt error puts into every fix (a believed attitude turned by φ moves the
computed nadir point by h·(φ_north, −φ_east)): it is common to every image, so it is a state,
not noise, or the filter would average it away and claim too much (NEES, Bar-Shalom et al. 2001,
§5.4). A fix z = p + h·τ + v with the fix's own covariance updates it; a fix whose Mahalanobis
distance exceeds the gate is rejected as an outlier. The height comes from altimetry (the
radar), outside this filter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ImuErrors", "NavFilter", "measured_acceleration", "tilted_attitude"]

G0_M_S2 = 9.80665  # standard gravity, for µg (BIPM)
GATE_CHI2_2DOF = 16.0  # Mahalanobis² gate of a 2-D fix (χ²₂ exceeds it with probability 3.4e-4)


@dataclass(frozen=True)
class ImuErrors:
    """One flight's IMU errors: accelerometer bias [m/s²] and scale (ENU, 3), tilt error [rad] (east, north)."""

    accel_bias_m_s2: np.ndarray
    accel_scale: np.ndarray
    tilt_rad: np.ndarray
    vrw_m_s_sqrt_s: float

    @classmethod
    def draw(cls, cfg, rng: np.random.Generator) -> "ImuErrors":
        """Errors drawn from ``[lvs.imu]`` (1σ per axis)."""
        return cls(
            accel_bias_m_s2=rng.normal(0.0, cfg.accel_bias_ug * 1e-6 * G0_M_S2, 3),
            accel_scale=rng.normal(0.0, cfg.accel_scale_ppm * 1e-6, 3),
            tilt_rad=rng.normal(0.0, math.radians(cfg.attitude_sigma_deg), 2),
            vrw_m_s_sqrt_s=cfg.accel_vrw_m_s_sqrt_h / 60.0,
        )

    @property
    def tau(self) -> np.ndarray:
        """Ground displacement per metre of height the tilt error puts into a fix: (φ_north, −φ_east)."""
        return np.array([self.tilt_rad[1], -self.tilt_rad[0]])


def measured_acceleration(a_true_enu: np.ndarray, dt_s: float, errors: ImuErrors, rng: np.random.Generator) -> np.ndarray:
    """IMU-measured accelerations (N, 3) over steps of ``dt_s``: truth·(1 + scale) + bias + white noise."""
    a = np.asarray(a_true_enu, float)
    noise = rng.standard_normal(a.shape) * (errors.vrw_m_s_sqrt_s / math.sqrt(dt_s))
    return a * (1.0 + errors.accel_scale) + errors.accel_bias_m_s2 + noise


def tilted_attitude(R_world_body: np.ndarray, tilt_rad: np.ndarray) -> np.ndarray:
    """The attitude the IMU reports: the true one turned by the small rotation (φ_east, φ_north, 0)."""
    from scipy.spatial.transform import Rotation

    return Rotation.from_rotvec([tilt_rad[0], tilt_rad[1], 0.0]).as_matrix() @ R_world_body


class NavFilter:
    """The Kalman filter of the module docstring; ``x`` and ``P`` are its state and covariance."""

    def __init__(self, position_en, velocity_en, *, position_sigma_m: float, velocity_sigma_m_s: float, tilt_sigma_rad: float,
                 imu_cfg):  # fmt: skip
        self.x = np.array([*position_en, *velocity_en, 0.0, 0.0], float)
        self.P = np.diag([position_sigma_m**2] * 2 + [velocity_sigma_m_s**2] * 2 + [tilt_sigma_rad**2] * 2)
        self._bias = imu_cfg.accel_bias_ug * 1e-6 * G0_M_S2
        self._scale = imu_cfg.accel_scale_ppm * 1e-6
        self._vrw = imu_cfg.accel_vrw_m_s_sqrt_h / 60.0

    @property
    def position(self) -> np.ndarray:
        return self.x[:2].copy()

    @property
    def position_cov(self) -> np.ndarray:
        return self.P[:2, :2].copy()

    def propagate(self, a_meas_en: np.ndarray, dt_s: float) -> None:
        """One step with the measured horizontal acceleration (east, north) held over ``dt_s``."""
        a = np.asarray(a_meas_en, float)
        F = np.eye(6)
        F[0, 2] = F[1, 3] = dt_s
        self.x[:2] += self.x[2:4] * dt_s + 0.5 * a * dt_s * dt_s
        self.x[2:4] += a * dt_s
        # Velocity noise: the random walk, and the bias and scale errors taken as white over the
        # step (est.: over LVS's 25 s they move the position by about a metre).
        q = self._vrw**2 * dt_s + (self._bias**2 + (self._scale * float(np.linalg.norm(a))) ** 2) * dt_s * dt_s
        Q = np.zeros((6, 6))
        Q[2, 2] = Q[3, 3] = q
        Q[0, 0] = Q[1, 1] = q * dt_s * dt_s / 3.0
        Q[0, 2] = Q[2, 0] = Q[1, 3] = Q[3, 1] = q * dt_s / 2.0
        self.P = F @ self.P @ F.T + Q

    def update(self, fix_en, fix_cov, height_m: float, *, gate: bool = True) -> tuple[bool, float]:
        """Fuse one fix (east, north, its 2×2 covariance) taken ``height_m`` above the ground.

        Returns (accepted, Mahalanobis²); a fix beyond the gate leaves the state as it was.
        """
        H = np.zeros((2, 6))
        H[0, 0] = H[1, 1] = 1.0
        H[0, 4] = H[1, 5] = height_m
        y = np.asarray(fix_en, float) - H @ self.x
        S = H @ self.P @ H.T + np.asarray(fix_cov, float)
        d2 = float(y @ np.linalg.solve(S, y))
        if gate and d2 > GATE_CHI2_2DOF:
            return False, d2
        K = self.P @ H.T @ np.linalg.inv(S)
        self.x = self.x + K @ y
        I_KH = np.eye(6) - K @ H
        self.P = I_KH @ self.P @ I_KH.T + K @ np.asarray(fix_cov, float) @ K.T  # Joseph form: stays symmetric positive
        return True, d2

    def nadir_estimate(self, height_m: float) -> np.ndarray:
        """Where the next fix is expected: the position plus the tilt's displacement at ``height_m``."""
        return self.x[:2] + height_m * self.x[4:6]

    def nadir_cov(self, height_m: float) -> np.ndarray:
        H = np.zeros((2, 6))
        H[0, 0] = H[1, 1] = 1.0
        H[0, 4] = H[1, 5] = height_m
        return H @ self.P @ H.T
