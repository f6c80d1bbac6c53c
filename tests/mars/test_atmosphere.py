"""Atmosphere checks against the NASA Glenn curve fit it implements and published Mars values."""

import numpy as np
import pytest

from edlcam.mars.atmosphere import Atmosphere, glenn_pressure_pa, glenn_temperature_k


def test_glenn_fit_values_at_published_formula_points():
    # NASA Glenn "Mars Atmosphere Model – Metric Units": T = −31 − 0.000998 h (h < 7000 m),
    # T = −23.4 − 0.00222 h above; p = 0.699 exp(−0.00009 h) kPa; ρ = p / (0.1921 (T + 273.1)).
    a = Atmosphere(surface_pressure_pa=699.0)
    for h, t_c in ((0.0, -31.0), (5000.0, -31.0 - 4.99), (20000.0, -23.4 - 44.4)):
        p_kpa = 0.699 * np.exp(-0.00009 * h)
        rho = p_kpa / (0.1921 * (t_c + 273.1))
        s = a.state(h)
        assert s.temperature_k == pytest.approx(t_c + 273.1, abs=1e-9)
        assert s.pressure_pa == pytest.approx(p_kpa * 1e3, rel=1e-12)
        assert s.density_kg_m3 == pytest.approx(rho, rel=1e-3)  # 192.1 vs 0.1921e3: exact; tolerance for float


def test_surface_speed_of_sound_near_240_m_s():
    # Maurice et al. 2022 (Nature 605:653): ≈ 240 m/s near the surface at Jezero (≈ 240 K); ±3 %.
    assert Atmosphere().speed_of_sound_m_s(-2500.0) == pytest.approx(240.0, rel=0.03)


def test_continuous_at_the_tail_and_positive_above_entry_interface():
    a = Atmosphere()
    below, above = a.state(a.tail_altitude_m - 1e-3), a.state(a.tail_altitude_m + 1e-3)
    assert above.density_kg_m3 == pytest.approx(below.density_kg_m3, rel=1e-6)
    assert above.temperature_k == pytest.approx(below.temperature_k, rel=1e-6)
    h = np.linspace(-8000.0, 140_000.0, 500)
    s = a.state(h)
    assert np.all(s.temperature_k > 100.0) and np.all(np.diff(s.density_kg_m3) < 0.0)
    # Entry interface (125 km): Mars-GRAM's average profile gives a few 1e-8 kg/m³ (AMAT atmdata
    # table, used here only as a check of order of magnitude): within a factor of 5.
    assert 5e-9 < float(a.density_kg_m3(125_000.0)) < 1.5e-7


def test_scale_height_near_the_fact_sheet_value():
    # NSSDC Mars Fact Sheet: scale height 11.1 km; the Glenn fit's pressure has exactly that.
    a = Atmosphere()
    p0, p1 = a.pressure_pa(0.0), a.pressure_pa(11_100.0)
    assert float(p0 / p1) == pytest.approx(np.e, rel=0.002)


def test_density_dispersion_scales_aloft_and_below_separately():
    # MEDLI2 (Karlgaard et al.): up to +150 % above 40 km, within 12 % below.
    nominal, dispersed = Atmosphere(), Atmosphere(density_scale_low=0.88, density_scale_high=2.5)
    assert float(dispersed.density_kg_m3(60_000.0) / nominal.density_kg_m3(60_000.0)) == pytest.approx(2.5, rel=1e-3)
    assert float(dispersed.density_kg_m3(10_000.0) / nominal.density_kg_m3(10_000.0)) == pytest.approx(0.88, rel=1e-3)


def test_batch_and_scalar_agree():
    a = Atmosphere()
    h = np.array([0.0, 30_000.0, 100_000.0])
    batch = a.density_kg_m3(h)
    assert np.allclose(batch, [float(a.density_kg_m3(x)) for x in h], rtol=0, atol=0)
    assert glenn_temperature_k(7000.0) == pytest.approx(-23.4 - 0.00222 * 7000 + 273.1)
    assert glenn_pressure_pa(0.0) == 699.0
