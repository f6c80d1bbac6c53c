"""The landing ellipse of a Monte Carlo: the statuses a case can end in, the ellipse of a set of
landing points and the ellipse of a covariance. Pure functions shared by :mod:`montecarlo` (which
fits them) and :mod:`mc_plots` (which draws them), so neither imports the other's module.

The landing ellipse at probability P is the ellipse of the bivariate normal fitted to the landing
points (sample mean and covariance) holding P of its mass: semi-axes ``sqrt(λ_i · k)`` for the
covariance eigenvalues λ_i, with ``k = −2 ln(1 − P)`` the chi-square quantile for two degrees of
freedom (Johnson & Wichern, *Applied Multivariate Statistical Analysis*, ch. 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["STATUSES", "LandingEllipse", "ellipse_from_covariance", "landing_ellipse"]

STATUSES = ("landed", "hard_landing", "fuel_out", "deploy_out_of_box", "skip_out", "crash", "timeout", "error")


@dataclass(frozen=True)
class LandingEllipse:
    """An ellipse in the target's ENU plane: centre [m], semi-axes [m], major-axis azimuth
    [deg clockwise from north, 0..180)."""

    probability: float
    center_east_m: float
    center_north_m: float
    semi_major_m: float
    semi_minor_m: float
    azimuth_deg: float
    cases: int

    def outline_m(self, points: int = 181) -> tuple[np.ndarray, np.ndarray]:
        """East and north [m] of ``points`` points around the ellipse."""
        th = np.linspace(0.0, 2.0 * np.pi, points)
        az = math.radians(self.azimuth_deg)
        major = np.array([math.sin(az), math.cos(az)])
        minor = np.array([math.cos(az), -math.sin(az)])
        xy = np.outer(self.semi_major_m * np.cos(th), major) + np.outer(self.semi_minor_m * np.sin(th), minor)
        return self.center_east_m + xy[:, 0], self.center_north_m + xy[:, 1]

    def as_dict(self) -> dict:
        return {
            "probability": self.probability,
            "cases": self.cases,
            "center_east_km": round(self.center_east_m / 1e3, 6),
            "center_north_km": round(self.center_north_m / 1e3, 6),
            "semi_major_km": round(self.semi_major_m / 1e3, 6),
            "semi_minor_km": round(self.semi_minor_m / 1e3, 6),
            "major_km": round(2.0 * self.semi_major_m / 1e3, 6),
            "minor_km": round(2.0 * self.semi_minor_m / 1e3, 6),
            "azimuth_deg": round(self.azimuth_deg, 6),
        }


def ellipse_from_covariance(cov_m2, probability: float, *, center_m=(0.0, 0.0), cases: int = 0) -> LandingEllipse:
    """The ``probability`` ellipse of a bivariate normal of covariance ``cov_m2`` (east, north).

    >>> e = ellipse_from_covariance([[4.0, 0.0], [0.0, 1.0]], 0.99)
    >>> round(e.semi_major_m, 4), round(e.semi_minor_m, 4), e.azimuth_deg
    (6.0697, 3.0349, 90.0)
    """
    cov = np.asarray(cov_m2, float)
    k = -2.0 * math.log1p(-probability)  # chi-square quantile, 2 degrees of freedom
    w, v = np.linalg.eigh(cov)
    major = v[:, 1]
    azimuth = math.degrees(math.atan2(major[0], major[1])) % 180.0
    return LandingEllipse(
        probability=float(probability),
        center_east_m=float(center_m[0]),
        center_north_m=float(center_m[1]),
        semi_major_m=math.sqrt(max(w[1], 0.0) * k),
        semi_minor_m=math.sqrt(max(w[0], 0.0) * k),
        azimuth_deg=round(azimuth, 9) % 180.0,
        cases=int(cases),
    )


def landing_ellipse(east_m, north_m, probability: float) -> LandingEllipse | None:
    """Ellipse of the points (east, north) [m]: sample mean and covariance; None below 3 points."""
    e = np.asarray(east_m, float)
    n = np.asarray(north_m, float)
    ok = np.isfinite(e) & np.isfinite(n)
    if ok.sum() < 3:
        return None
    pts = np.stack([e[ok], n[ok]])
    return ellipse_from_covariance(np.cov(pts, ddof=1), probability, center_m=pts.mean(axis=1), cases=int(ok.sum()))
