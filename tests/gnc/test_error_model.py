"""The LVS error model fitted from image-in-the-loop runs, and the mission's Monte Carlo that uses it."""

from __future__ import annotations

import numpy as np
import pytest

from edlcam.gnc.error_model import fit_error_model


def test_fit_recovers_a_known_gaussian():
    rng = np.random.default_rng(5)
    e = rng.normal(1.0, 4.0, 4000)
    n = 0.5 * e + rng.normal(-2.0, 3.0, 4000)  # σ_n = √(0.25·16 + 9) = 3.61 m, ρ = 0.5·16/(4·3.61) = 0.55
    m = fit_error_model(e, n)
    # sampling error of a σ from 4,000 draws ≈ σ/√8000 ≈ 1.1 %: 5 % tolerance
    assert m.sigma_east_m == pytest.approx(4.0, rel=0.05)
    assert m.sigma_north_m == pytest.approx(np.sqrt(13.0), rel=0.05)
    assert m.correlation == pytest.approx(8.0 / (4.0 * np.sqrt(13.0)), abs=0.03)
    assert m.mean_east_m == pytest.approx(1.0, abs=0.2) and m.cases == 4000


def test_fit_leaves_out_cases_without_an_estimate_and_needs_three():
    m = fit_error_model([1.0, np.nan, -1.0, 2.0, 0.5], [0.0, 1.0, 1.0, np.nan, -0.5])
    assert m.cases == 3  # a case missing either component is left out whole
    with pytest.raises(ValueError, match="at least 3 cases"):
        fit_error_model([1.0, np.nan], [0.0, 1.0])
