"""Dispersions: the distributions, per-case reproducibility, and the mission-file errors."""

import math
from dataclasses import fields

import numpy as np
import pytest

from edlcam.cli import main
from edlcam.config.montecarlo import Distribution
from edlcam.flight.dispersions import draw_cases, philox4x64, sample, stream_id, uniforms
from edlcam.flight.mc_commands import register
from edlcam.flight.sequencer import CaseInputs
from edlcam.mars.frames import great_circle_range_m
from edlcam.mission import load_mission

N = 200_000  # draws per distribution: sampling error of a mean ≈ σ/450


def _cli():
    from edlcam import cli

    if not any(c.name == "montecarlo" for c in cli.app.registered_commands):
        register(cli.app)
    return main


@pytest.mark.parametrize(
    "dist, mean, std",
    [
        (Distribution(kind="normal", mean=1.0, sigma=0.05), 1.0, 0.05),
        (Distribution(kind="uniform", low=0.8, high=2.6), 1.7, 1.8 / math.sqrt(12.0)),
        # lognormal: mean = median·e^{σ²/2}, variance = mean²·(e^{σ²} − 1)
        (Distribution(kind="lognormal", median=1.0, sigma=0.04), math.exp(0.0008), math.exp(0.0008) * math.sqrt(math.expm1(0.0016))),
    ],
)
def test_distributions_have_their_moments(dist, mean, std):
    x = sample(dist, uniforms(1, "test", np.arange(1, N + 1))[:, 0])
    assert x.mean() == pytest.approx(mean, abs=5 * std / math.sqrt(N))  # 5σ of the sample mean
    assert x.std() == pytest.approx(std, rel=0.01)  # sampling error of σ ≈ 1/√(2N) = 0.16 %
    if dist.kind == "uniform":
        assert x.min() >= 0.8 and x.max() < 2.6


def test_philox_words_are_numpys_philox():
    # The vectorized Philox4x64-10 of the draws against numpy's: numpy.random.Philox steps its
    # counter before it generates, so its first four words are those at counter + 1.
    rng = np.random.default_rng(5)
    for _ in range(20):
        counter = rng.integers(0, 2**63, 4, dtype=np.uint64)
        key = rng.integers(0, 2**63, 2, dtype=np.uint64)
        ours = philox4x64((counter[:1] + np.uint64(1), counter[1:2], counter[2:3], counter[3:4]), key)
        theirs = np.random.Philox(counter=counter, key=key).random_raw(4)
        assert [int(w[0]) for w in ours] == theirs.tolist()


def test_uniforms_are_uniform_in_the_open_interval_and_independent_across_blocks():
    u = uniforms(7, "x", np.arange(1, N + 1), 6)  # six per case: words of two counter blocks
    assert u.min() > 0.0 and u.max() < 1.0
    assert u.mean(axis=0) == pytest.approx(np.full(6, 0.5), abs=5 * math.sqrt(1 / 12 / N))
    c = np.corrcoef(u.T)[np.triu_indices(6, 1)]
    assert np.all(np.abs(c) < 5 / math.sqrt(N))  # no correlation between a case's words (5σ)
    assert not np.array_equal(uniforms(7, "y", [1]), uniforms(7, "x", [1]))  # another quantity, another stream


def test_case_zero_is_the_nominal_mission():
    m = load_mission()
    cases, cg = draw_cases(m, [0])
    nominal = CaseInputs.nominal(m, 1)
    for f in fields(CaseInputs):
        assert np.array_equal(getattr(cases, f.name), getattr(nominal, f.name)), f.name
    assert cg[0] == 0.0


def test_a_case_draws_the_same_inputs_whatever_else_is_drawn():
    m = load_mission()
    many, cg_many = draw_cases(m, np.arange(10))
    alone, cg_alone = draw_cases(m, [7])
    for f in fields(CaseInputs):
        assert getattr(many, f.name)[7] == getattr(alone, f.name)[0], f.name
    assert cg_many[7] == cg_alone[0]
    other, _ = draw_cases(m.with_seed(1), [7])
    assert other.entry_fpa_deg[0] != alone.entry_fpa_deg[0]
    assert stream_id("wind_east_m_s") != stream_id("wind_north_m_s")


def test_shipped_dispersions_cover_the_medli2_reconstruction_and_the_delivery_sigmas():
    m = load_mission()
    c, cg = draw_cases(m, np.arange(1, 2001))
    # Karlgaard et al. (MEDLI2): flight density up to +150 % above the model aloft, within 12 % below 40 km.
    assert c.density_scale_high.max() >= 2.5
    assert c.density_scale_low.min() <= 0.88 and c.density_scale_low.max() >= 1.12
    d = m.montecarlo.entry_delivery
    # 2000 draws: σ known to ≈ 1/√(2·2000) = 1.6 %; allow 5 % (3σ).
    assert np.std(c.entry_fpa_deg - m.entry.flight_path_angle_deg, ddof=1) == pytest.approx(d.flight_path_angle_sigma_deg, rel=0.05)
    assert np.std(c.entry_speed_m_s - m.entry.speed_m_s, ddof=1) == pytest.approx(d.speed_sigma_m_s, rel=0.05)
    moved = great_circle_range_m(c.entry_lat_deg, c.entry_lon_deg, m.entry.latitude_deg, m.entry.longitude_deg)
    rms = math.hypot(d.downrange_sigma_m, d.crossrange_sigma_m)
    assert np.sqrt(np.mean(moved**2)) == pytest.approx(rms, rel=0.05)
    # L/D carries the centre-of-mass offset: 1 + δy / y_trim on top of its own dispersion.
    assert np.std(cg, ddof=1) == pytest.approx(0.002, rel=0.05)
    assert np.all(c.entry_altitude_m == m.entry.altitude_m)


@pytest.mark.parametrize(
    "table, expected",
    [
        (
            '[montecarlo.dispersions]\nwind_east_m_s = { kind = "gauss", sigma = 3.0 }\n',
            "'montecarlo.dispersions.wind_east_m_s.kind' is 'gauss': it should be 'normal', 'uniform' or 'lognormal'",
        ),
        (
            '[montecarlo.dispersions]\nwind_east_m_s = { kind = "normal", sigma = -3.0 }\n',
            "'montecarlo.dispersions.wind_east_m_s.sigma' is -3.0: it should be greater than or equal to 0",
        ),
        (
            '[montecarlo.dispersions]\ndrag_scale = { kind = "uniform", low = 1.1, high = 0.9 }\n',
            "'montecarlo.dispersions.drag_scale': low (1.1) must be below high (0.9)",
        ),
        (
            "[montecarlo.entry_delivery]\ncorrelation = [[1, 2, 0, 0, 0], [2, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]\n",
            "'montecarlo.entry_delivery': correlation must be symmetric with entries between -1 and 1",
        ),
        (
            "[montecarlo.density_profile]\nsigma = [0.02, 0.03, 0.05, 0.08, 0.3]\n",
            "'montecarlo.density_profile.sigma.4' is 0.3: it should be at least 0 and at most 0.2: a fraction of the density; "
            "beyond 0.2 a 5σ draw would make the density negative",
        ),
        (
            "[montecarlo.density_profile]\nheights_m = [0.0, 10000.0, 20000.0]\n",
            "'montecarlo.density_profile': heights_m and sigma need 5 values each (the profile's nodes)",
        ),
    ],
)
def test_bad_dispersion_is_one_line_naming_file_and_field(tmp_path, capsys, table, expected):
    p = tmp_path / "m.toml"
    p.write_text('extends = "mars2020"\n' + table)
    code = _cli()(["montecarlo", "-n", "3", "--workers", "0", "--mission", str(p), "--out", str(tmp_path / "mc")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == f"error: {p}: {expected}"
    assert not (tmp_path / "mc").exists()


def test_unreachable_scheduler_is_one_line(tmp_path, capsys):
    code = _cli()(["montecarlo", "-n", "2", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "mc")])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.startswith("error: --scheduler tcp://127.0.0.1:9: no Dask scheduler answered there within 10 s (")
    assert err.endswith("or leave --scheduler out to run on this machine")
    assert len(err.splitlines()) == 1


def test_zero_cases_is_refused(tmp_path, capsys):
    code = _cli()(["montecarlo", "-n", "0", "--workers", "0", "--out", str(tmp_path / "mc")])
    assert code == 1
    assert capsys.readouterr().err.strip() == "error: -n is 0; a Monte Carlo needs at least 1 case (case 0 is the nominal mission)"
