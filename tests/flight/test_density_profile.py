"""The atmosphere's density perturbation profile (issue 19 item 3): drawn per case with the
mission file's standard deviation growing with height and its vertical correlation, and flown by
the kernel as a density that follows the profile, linear between the nodes."""

import math
from dataclasses import replace

import numpy as np
import pytest

from edlcam.flight.dispersions import density_profile_covariance, draw_cases
from edlcam.flight.sequencer import CaseInputs, fly
from edlcam.mission import load_mission


@pytest.fixture(scope="module")
def mission():
    return load_mission()


def test_profile_draws_have_the_stated_sigma_and_vertical_correlation(mission):
    # mars2020.toml [montecarlo.density_profile]: σ 2 % at the ground growing to 12 % at 40 km
    # (∝ exp(z / 2H), bounded by MEDLI2's within-12 % below 40 km), nodes correlated as
    # exp(−|Δh| / 5 km).
    prof = mission.montecarlo.density_profile
    n = 8000
    c, _ = draw_cases(mission, np.arange(1, n + 1))
    x = np.stack([getattr(c, f"density_d{k}") for k in range(5)], axis=1)
    sigma = np.asarray(prof.sigma)
    # A standard deviation from n normal draws is within ≈ σ / √(2n) = 0.8 % of σ; allow 4×.
    assert x.std(axis=0) == pytest.approx(sigma, rel=4 / math.sqrt(2 * n))
    assert np.abs(x.mean(axis=0)).max() < 4 * sigma.max() / math.sqrt(n)  # zero-mean: centred on the model
    # Correlations of neighbouring nodes 10 km apart: exp(−2) = 0.135; a sample correlation is
    # within ≈ (1 − ρ²) / √n = 0.011 of it; allow 4×.
    rho = np.corrcoef(x.T)
    h = np.asarray(prof.heights_m)
    want = np.exp(-np.abs(h[:, None] - h[None, :]) / prof.correlation_length_m)
    assert np.abs(rho - want).max() < 4 / math.sqrt(n)
    cov = density_profile_covariance(prof)
    assert np.allclose(np.sqrt(np.diag(cov)), sigma) and cov[0, 1] == pytest.approx(sigma[0] * sigma[1] * math.exp(-2.0))


def test_case_zero_has_no_perturbation(mission):
    c, _ = draw_cases(mission, np.arange(0, 3))
    for k in range(5):
        d = getattr(c, f"density_d{k}")
        assert d[0] == 0.0 and np.all(d[1:] != 0.0)


def test_the_flight_density_follows_the_profile_with_height(mission):
    # A profile of +30 % at the ground falling to −20 % at 20 km and back to 0 aloft: the recorded
    # density over the model's (the nominal flight's, at the same altitude) is 1 + the profile,
    # linear between the nodes in height above the target's ground.
    nodes = [0.3, 0.1, -0.2, 0.0, 0.0]
    cases = replace(CaseInputs.nominal(mission, 1), **{f"density_d{k}": np.array([v]) for k, v in enumerate(nodes)})
    r = fly(mission, cases=cases, record=True)
    rec = {k: v[:, 0] for k, v in r.record.items()}
    from edlcam.mars.atmosphere import Atmosphere

    model = Atmosphere.from_mission(mission).state(rec["altitude_m"]).density_kg_m3
    ground = (rec["altitude_m"] - rec["height_agl_m"])[-1]  # the target's ground (lands within metres of it)
    h = rec["altitude_m"] - ground
    below = h < 45000.0
    assert below.sum() > 100
    expect = 1.0 + np.interp(h[below], mission.montecarlo.density_profile.heights_m, nodes)
    assert np.abs(rec["density_kg_m3"][below] / model[below] - expect).max() < 2e-3  # the ground read to metres
    assert np.ptp(rec["density_kg_m3"][below] / model[below]) > 0.45  # it does change with height


def test_kernel_perturbation_is_linear_between_nodes_and_held_beyond(mission):
    from edlcam.flight.kernel.dynamics import _atmosphere
    from edlcam.flight.sequencer import kernel_inputs
    from edlcam.mars.terrain import Terrain

    P = kernel_inputs(mission, Terrain.from_mission(mission))[0]
    hs = np.array([P.density_h0, P.density_h1, P.density_h2, P.density_h3, P.density_h4])
    nodes = np.array([0.05, -0.03, 0.08, 0.01, -0.1])
    profile = np.concatenate([nodes[:1], np.diff(nodes) / np.diff(hs)])  # as the lanes carry it: node 0, slopes
    zero = np.zeros(5)
    for h in (hs[0] - 3000.0, hs[0], 0.5 * (hs[0] + hs[1]), hs[2] + 1234.0, hs[3], hs[4] - 1.0, hs[4] + 50e3):
        rho, p, t_k, a = _atmosphere(h, 1.1, 1.7, profile, 0, 1, P)
        rho0, p0, t0, a0 = _atmosphere(h, 1.1, 1.7, zero, 0, 1, P)
        assert rho / rho0 == pytest.approx(1.0 + np.interp(h, hs, nodes), rel=1e-13), h
        assert p / p0 == pytest.approx(rho / rho0, rel=1e-13) and t_k == t0 and a == a0
