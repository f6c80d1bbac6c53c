"""The LVS error model: the position error at the end of LVS as a 2-D Gaussian, fitted from
image-in-the-loop runs, for Monte Carlos of thousands of landings that cannot render images.

JPL's end-to-end EDL Monte Carlos did not run the vision in the loop either: they drew the LVS
position error from a model fitted to LVS's own simulations (Johnson et al. 2017, AAS 17-038).
Here the model is the sample mean and covariance of the east/north errors of
``benchmarks/lvs.py``'s cases; the mission file's ``[montecarlo.dispersions] nav_error_east_m``
and ``nav_error_north_m`` state it (benchmarks/RESULTS.md, "LVS in the loop").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["LvsErrorModel", "fit_error_model"]


@dataclass(frozen=True)
class LvsErrorModel:
    """East/north error at the end of LVS: mean [m], 1σ [m], correlation, and the fit's sample."""

    mean_east_m: float
    mean_north_m: float
    sigma_east_m: float
    sigma_north_m: float
    correlation: float
    cases: int
    p99_radial_m: float  # the sample's 99th percentile of the radial error (what the requirement bounds)

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    def __str__(self) -> str:
        return (f"mean ({self.mean_east_m:+.1f}, {self.mean_north_m:+.1f}) m, σ east {self.sigma_east_m:.1f} m, "
                f"σ north {self.sigma_north_m:.1f} m, correlation {self.correlation:+.2f}, from {self.cases} cases "
                f"(99th percentile radial {self.p99_radial_m:.1f} m)")  # fmt: skip


def fit_error_model(error_east_m, error_north_m) -> LvsErrorModel:
    """Fit the model to per-case errors (NaNs, cases without an estimate, are left out)."""
    e = np.asarray(error_east_m, float)
    n = np.asarray(error_north_m, float)
    keep = np.isfinite(e) & np.isfinite(n)
    e, n = e[keep], n[keep]
    if e.size < 3:
        raise ValueError(f"an error model needs at least 3 cases with an estimate, got {e.size}")
    cov = np.cov(np.vstack([e, n]), ddof=1)
    se, sn = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    corr = float(cov[0, 1] / (se * sn)) if se > 0 and sn > 0 else 0.0
    return LvsErrorModel(float(e.mean()), float(n.mean()), se, sn, corr, int(e.size), float(np.percentile(np.hypot(e, n), 99)))
