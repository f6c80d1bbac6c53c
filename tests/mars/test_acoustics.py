"""Tests of sound in Mars air (edlcam.mars.acoustics) against published values and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from edlcam.mars import acoustics as A

PURE_CO2 = A.GasMixture(co2=1.0, n2=0.0, ar=0.0)
SURFACE_PA, SURFACE_K = 720.0, 230.0  # Jezero in early 2021: ≈ 0.72 kPa; ≈ 230 K air near the mast (est.)


@pytest.mark.parametrize(
    ("temperature_c", "humidity_pct", "expected_db_km"),
    [
        # ISO 9613-2:1996 Table 2 (computed from ISO 9613-1), 63 Hz … 8 kHz octave bands.
        (10.0, 70.0, [0.1, 0.4, 1.0, 1.9, 3.7, 9.7, 32.8, 117.0]),
        (20.0, 70.0, [0.1, 0.3, 1.1, 2.8, 5.0, 9.0, 22.9, 76.6]),
        (15.0, 20.0, [0.3, 0.6, 1.2, 2.7, 8.2, 28.2, 88.8, 202.0]),
        (15.0, 50.0, [0.1, 0.5, 1.2, 2.2, 4.2, 10.8, 36.2, 129.0]),
        (15.0, 80.0, [0.1, 0.3, 1.1, 2.4, 4.1, 8.3, 23.7, 82.8]),
    ],
)
def test_iso9613_absorption_matches_the_standards_table(temperature_c, humidity_pct, expected_db_km):
    # Exact base-10 octave midbands (IEC 61260: 1000·10^(0.3 n)), as the table was computed.
    bands = 1000.0 * 10.0 ** (0.3 * np.arange(-4, 4))
    got = A.iso9613_absorption_db_m(bands, temperature_c + 273.15, 101_325.0, humidity_pct) * 1000.0
    # The table is printed to 0.1 dB/km (3 significant figures above 100): half a unit of rounding.
    assert got == pytest.approx(expected_db_km, abs=0.06, rel=0.005)


def test_co2_heat_capacity_matches_nist():
    # NIST Chemistry WebBook (Shomate equation, Chase 1998): CO2 ideal gas c_p = 37.12 J/(mol K)
    # at 298.15 K. Harmonic modes without anharmonicity or Fermi resonance: 1 % tolerance.
    cp = (3.5 + A.co2_vibrational_heat_capacity(298.15)) * A.MOLAR_GAS_CONSTANT_J_MOL_K
    assert cp == pytest.approx(37.12, rel=0.01)


def test_low_frequency_sound_speed_of_co2_at_0c():
    # CRC Handbook of Chemistry and Physics, "Speed of sound in gases": CO2 at 0 °C, 259 m/s.
    # ±1.5 m/s covers the non-ideality of CO2 at 1 atm (≈ 0.5 %), which the ideal-gas model omits.
    c = A.mars_sound_speed_m_s(1.0, 101_325.0, 273.15, mixture=PURE_CO2)
    assert c == pytest.approx(259.0, abs=1.5)


def test_co2_relaxation_time_at_one_atmosphere():
    # Ultrasonic measurements give the vibrational relaxation time of pure CO2 at 1 atm and room
    # temperature as ≈ 6–8 µs (Lambert, "Vibrational and rotational relaxation in gases", 1977);
    # laboratory scatter is tens of per cent, so accept 4–12 µs.
    tau = A.co2_relaxation_time_s(101_325.0, 300.0, mixture=PURE_CO2)
    assert 4e-6 < tau < 12e-6


def test_mars_surface_sound_speed_is_about_240_m_s():
    # Maurice et al. 2022 (Nature 605:653): ≈ 240 m/s near the surface at low frequency.
    # ±5 m/s is ±10 K of air temperature.
    c_low = A.mars_sound_speed_m_s(20.0, SURFACE_PA, SURFACE_K)
    assert c_low == pytest.approx(240.0, abs=5.0)


def test_two_speeds_of_sound_below_and_above_240_hz():
    # Maurice et al. 2022: two speeds ≈ 10 m/s apart below and above ≈ 240 Hz; Ingenuity's 84 Hz
    # blade-passing tone travelled at the low speed, the laser sparks (2–10 kHz) at the high one.
    f = np.array([1.0, 84.0, 240.0, 2000.0, 10_000.0])
    c_low, c_heli, c_240, c_spark, c_high = A.mars_sound_speed_m_s(f, SURFACE_PA, SURFACE_K)
    split = c_high - c_low
    assert 5.0 < split < 12.0  # ≈ 10 m/s measured; the model's 7 m/s is γ∞ = 1.40 vs γ₀ = 1.32
    assert c_heli - c_low < 0.5 * split  # 84 Hz is still on the slow side
    assert c_240 - c_low > 0.6 * split  # by 240 Hz most of the speed-up has happened
    assert c_high - c_spark < 0.01 * split  # sparks: on the fast plateau


def test_vibrational_relaxation_dominates_audible_absorption_on_mars():
    # Maurice et al. 2022: "the large contribution of the CO2 vibrational relaxation in the
    # audible range". Compare with the classical (viscous + thermal) closed form at 1 kHz.
    f, p, t = 1000.0, SURFACE_PA, SURFACE_K
    rho = p / (A.MARS_AIR.gas_constant_j_kg_k * t)
    c = A.mars_sound_speed_m_s(f, p, t)
    gamma, cp = 1.4, 3.5 * A.MARS_AIR.gas_constant_j_kg_k
    classical = (2 * np.pi * f) ** 2 / (2 * rho * c**3) * (
        4 / 3 * A.co2_viscosity_pa_s(t) + (gamma - 1) * A.co2_thermal_conductivity_w_m_k(t) / cp
    )
    total = A.mars_absorption_np_m(f, p, t)
    assert total > 10 * classical
    # And it is strong: ≈ 0.8 dB/m, i.e. tens of dB over the few metres between rover and engines.
    assert 0.3 < total * A.NP_TO_DB < 2.0


def test_absorption_above_the_relaxation_grows_as_frequency_squared():
    # Far above the relaxation the vibrational part is flat and the classical part ∝ f²:
    # (α(40k) − α(20k)) / (α(20k) − α(10k)) = (1600 − 400) / (400 − 100) = 4.
    a10, a20, a40 = A.mars_absorption_np_m(np.array([10e3, 20e3, 40e3]), SURFACE_PA, SURFACE_K)
    assert (a40 - a20) / (a20 - a10) == pytest.approx(4.0, rel=0.03)


def _band_envelope_peak_s(x, fs, band):
    sos = signal.butter(4, band, "bandpass", fs=fs, output="sos")
    return np.argmax(np.abs(signal.hilbert(signal.sosfiltfilt(sos, x)))) / fs


def test_high_notes_arrive_first_by_the_two_speed_difference():
    fs, r = 48_000, 30.0
    mars = A.Medium.mars(SURFACE_PA, SURFACE_K)
    x = np.zeros(fs // 10)
    x[100] = 1.0
    y = A.propagate(x, fs, r, mars)
    c_lo, c_hi = A.mars_sound_speed_m_s(np.array([45.0, 3000.0]), SURFACE_PA, SURFACE_K)
    t_lo = _band_envelope_peak_s(y, fs, [30.0, 60.0]) - 100 / fs
    t_hi = _band_envelope_peak_s(y, fs, [2000.0, 4000.0]) - 100 / fs
    assert t_lo == pytest.approx(r / c_lo, abs=2e-3)  # 2 ms: the 30–60 Hz band's envelope width
    assert t_hi == pytest.approx(r / c_hi, abs=2e-4)
    # 30 m × (1/c_lo − 1/c_hi) ≈ 3.6 ms: the bass lags.
    assert t_lo - t_hi == pytest.approx(r * (1 / c_lo - 1 / c_hi), abs=2e-3)
    assert t_lo - t_hi > 2e-3


def test_the_same_source_is_quieter_and_duller_on_mars():
    # Equal acoustic power W: p² = W ρc / (4π r²). Maurice et al. 2022 (Methods): the impedance of
    # Mars air makes the same source ≈ 20 dB weaker than on Earth.
    mars = A.Medium.mars(700.0, 240.0)
    earth = A.Medium.earth(101_325.0, 293.15, 50.0)
    at_1m_db = 10 * np.log10(mars.impedance_rayl / earth.impedance_rayl)
    assert at_1m_db == pytest.approx(-20.0, abs=1.5)

    fs, r = 48_000, 30.0
    rng = np.random.default_rng(1)
    source = rng.standard_normal(fs)  # white noise, the same pressure at 1 m before the impedance
    heard = {}
    for name, medium in (("mars", mars), ("earth", earth)):
        scale = np.sqrt(medium.impedance_rayl / earth.impedance_rayl)
        heard[name] = A.propagate(source * scale, fs, r, medium)
    level = {k: 10 * np.log10(np.mean(v**2)) for k, v in heard.items()}
    # 30 m of Mars air costs the high frequencies tens of dB more (ISO 9613-1 air: ≈ 0.1 dB/m at 4 kHz).
    assert level["mars"] < level["earth"] - 30.0

    def centroid_hz(y):
        f, psd = signal.welch(y, fs=fs, nperseg=4096)
        return np.sum(f * psd) / np.sum(psd)

    # Duller: the spectral centroid of the same white noise drops from kHz to hundreds of Hz.
    assert centroid_hz(heard["earth"]) > 4000.0
    assert centroid_hz(heard["mars"]) < 0.1 * centroid_hz(heard["earth"])


def test_moving_path_agrees_with_the_exact_fixed_path():
    fs, r = 48_000, 20.0
    rng = np.random.default_rng(3)
    x = rng.standard_normal(fs // 2)
    exact = A.propagate(x, fs, r, A.Medium.mars(SURFACE_PA, SURFACE_K))[: x.size]
    moving = A.propagate_moving(x, fs, np.full(x.size, r), SURFACE_PA, SURFACE_K)
    core = slice(fs // 10, x.size - fs // 10)
    err = np.sqrt(np.mean((moving[core] - exact[core]) ** 2) / np.mean(exact[core] ** 2))
    assert err < 0.02  # 2 % (−34 dB): the STFT implementation of the same physics


def test_scalar_and_batch_calls_agree():
    f = np.array([50.0, 500.0, 5000.0])
    batch = A.mars_wavenumber(f[:, None], np.array([600.0, 900.0]), np.array([210.0, 260.0]))
    for i, fi in enumerate(f):
        for j, (p, t) in enumerate(((600.0, 210.0), (900.0, 260.0))):
            assert batch[i, j] == pytest.approx(complex(A.mars_wavenumber(fi, p, t)), rel=1e-12)
