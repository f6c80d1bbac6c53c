"""Sound in the air of Mars: speed, absorption and dispersion in CO₂, with Earth air to compare.

The model is the relaxing-gas wavenumber used by Bass & Chambers, "Absorption of sound in the
Martian atmosphere", J. Acoust. Soc. Am. 109 (2001) 3069, and by Petculescu & Lueptow,
"Atmospheric acoustics of Titan, Mars, Venus, and Earth", Icarus 186 (2007) 413:

- vibrational relaxation of CO₂ through a complex heat capacity (Herzfeld & Litovitz 1959)::

      C_v(ω) = C_v∞ + C_vib / (1 + iωτ),   γ(ω) = 1 + 1/C_v(ω),   k_r = ω / sqrt(γ(ω) R T)

  with C_vib the Planck–Einstein heat capacity of CO₂'s ν1, 2×ν2 and ν3 modes (it reproduces the
  NIST-JANAF c_p of CO₂ to 0.05 % from 200 to 500 K). As in Bass & Chambers, the modes are lumped
  into one relaxation: fast vibration–vibration exchange keeps them in equilibrium with the
  bending mode ν2, whose vibration–translation (V–T) rate sets τ;
- classical (viscous and thermal-conduction) absorption plus rotational relaxation written as a
  bulk viscosity, which add to the imaginary part of k (Bass et al. 1995 sum them the same way).

At the surface of Mars (≈ 720 Pa, ≈ 230 K) τ ≈ 1.5 ms, which puts the relaxation inside the
audible band, centred near 120 Hz (:func:`co2_relaxation_frequency_hz`): below it sound travels
at sqrt(γ₀ R T) ≈ 242 m/s, above it at sqrt(γ∞ R T), 6.5 m/s faster, and above it the absorption
per metre stops growing as f² (≈ 0.73, 0.79, 0.88 dB/m at 1, 2, 3 kHz).

Published Mars values it is tested against: the first-principles model of Gillier et al.
(JGR Planets, 2024), whose output for Jezero at noon (648 Pa, 236–251 K) is in the first author's
public code (α within 15 %, c within 0.6 m/s, 84 Hz–100 kHz), and the relaxation rates of
Bass & Chambers (2001) (τ within 15 %, 220–260 K). No measured α(f) was found in readable form.

Maurice et al., "In situ recording of Mars soundscape", Nature 605 (2022) 653, measured ≈ 240 m/s
at 84 Hz (Ingenuity) and ≈ 250 m/s at ≥ 2 kHz (laser sparks), on different sols, and put the
change "below and above 240 Hz". That figure is not the centre of the step in any of the models,
all with this module's definition (Bass & Chambers' 1/(2π τ_vs)): at 648 Pa, 236–251 K Gillier et
al.'s model centres it at 120–150 Hz and this one at 110–120 Hz; at 720 Pa, 230 K Bass & Chambers'
rates give 117 Hz and this model 120 Hz. No measurement lies between 84 Hz and 2 kHz; the team's
2022 LPSC text calls 240 Hz the relaxation frequency with γ₀ = 9/7 (a fully excited bending mode),
press reports of the talk say "above 400 Hz"; by 240 Hz (2 f_r) 80 % of this model's step is done.
At one temperature the step is sqrt(γ∞/γ₀) − 1 ≈ 2.7 % ≈ 6.5 m/s (the bending mode holds 0.55 R at
230 K, JANAF, not R), so the measured 10 m/s pair needs the sparks' air ≈ 11 K warmer than the
helicopter's (233 and 222 K; 0.5 m/s per K), which Jezero's daytime air spans. The V–T rate is
not tuned to 240 Hz: that would need CO₂ to self-relax faster at 230 K than at room temperature,
against the laboratory data.

Earth air for comparison follows ISO 9613-1:1993 (absorption) and its sound speed formula.

Every function takes scalars or arrays and broadcasts frequency against state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "GasMixture",
    "MARS_AIR",
    "Medium",
    "co2_vibrational_heat_capacity",
    "co2_vt_rate_constant_m3_s",
    "co2_relaxation_time_s",
    "co2_relaxation_frequency_hz",
    "co2_viscosity_pa_s",
    "co2_thermal_conductivity_w_m_k",
    "mars_wavenumber",
    "mars_sound_speed_m_s",
    "mars_absorption_np_m",
    "iso9613_absorption_db_m",
    "earth_sound_speed_m_s",
    "path_response",
    "propagate",
    "propagate_moving",
    "NP_TO_DB",
]

BOLTZMANN_J_K = 1.380649e-23  # exact, SI 2019
MOLAR_GAS_CONSTANT_J_MOL_K = 8.314462618  # CODATA 2018
SECOND_RADIATION_CONSTANT_CM_K = 1.438777  # hc/k, CODATA 2018
NP_TO_DB = 20.0 / np.log(10.0)  # 8.686 dB per neper

# CO2 normal modes [cm^-1] (Herzberg, "Infrared and Raman spectra", 1945; NIST Chemistry WebBook):
# nu1 symmetric stretch (centre of the 1285/1388 Fermi dyad), nu2 bend (doubly degenerate), nu3.
CO2_MODES_CM = (1333.0, 667.4, 667.4, 2349.1)
CO2_BEND_THETA_K = SECOND_RADIATION_CONSTANT_CM_K * 667.4  # 960 K

MOLAR_MASS_CO2_KG_MOL = 44.0095e-3  # IUPAC standard atomic weights
MOLAR_MASS_N2_KG_MOL = 28.0134e-3
MOLAR_MASS_AR_KG_MOL = 39.948e-3
MOLAR_MASS_EARTH_AIR_KG_MOL = 28.9645e-3  # ISO 2533 standard atmosphere

# Sutherland fits for CO2 (White, "Viscous Fluid Flow", 3rd ed., Tables 1-2 and 1-3).
CO2_VISCOSITY_REF_PA_S = 1.370e-5  # at 273 K
CO2_VISCOSITY_SUTHERLAND_K = 222.0
CO2_CONDUCTIVITY_REF_W_M_K = 0.0146  # at 273 K
CO2_CONDUCTIVITY_SUTHERLAND_K = 1800.0
SUTHERLAND_REF_K = 273.0

# Rotational collision number of CO2: rotational energy relaxes in ≈ 2–3 collisions (Lambert,
# "Vibrational and rotational relaxation in gases", 1977). Est.: 2.5.
CO2_ROTATIONAL_COLLISION_NUMBER = 2.5

ISO_REF_TEMPERATURE_K = 293.15  # ISO 9613-1
ISO_REF_PRESSURE_PA = 101_325.0  # ISO 9613-1
ISO_TRIPLE_POINT_K = 273.16  # ISO 9613-1


@dataclass(frozen=True)
class GasMixture:
    """Mole fractions of a CO₂–N₂–Ar atmosphere (normalised to sum 1 when used)."""

    co2: float = 0.953
    n2: float = 0.027
    ar: float = 0.016

    def fractions(self) -> tuple[float, float, float]:
        """(CO₂, N₂, Ar) mole fractions normalised to sum 1."""
        total = self.co2 + self.n2 + self.ar
        return self.co2 / total, self.n2 / total, self.ar / total

    @property
    def molar_mass_kg_mol(self) -> float:
        x_c, x_n, x_a = self.fractions()
        return x_c * MOLAR_MASS_CO2_KG_MOL + x_n * MOLAR_MASS_N2_KG_MOL + x_a * MOLAR_MASS_AR_KG_MOL

    @property
    def gas_constant_j_kg_k(self) -> float:
        return MOLAR_GAS_CONSTANT_J_MOL_K / self.molar_mass_kg_mol

    @property
    def frozen_heat_capacity_r(self) -> float:
        """C_v∞ / R per mole of mixture: translation + rotation (linear molecules 5/2, argon 3/2)."""
        x_c, x_n, x_a = self.fractions()
        return 2.5 * (x_c + x_n) + 1.5 * x_a


MARS_AIR = GasMixture()  # 95.3 % CO2, 2.7 % N2, 1.6 % Ar (NSSDC Mars Fact Sheet, REFERENCE.md)


def co2_vibrational_heat_capacity(temperature_k):
    """Vibrational heat capacity of CO₂ per mole, in units of R (Planck–Einstein sum over modes).

    >>> round(float(co2_vibrational_heat_capacity(240.0)), 3)
    0.63
    """
    t = np.asarray(temperature_k, dtype=float)
    c = np.zeros_like(t)
    for nu_cm in CO2_MODES_CM:
        x = SECOND_RADIATION_CONSTANT_CM_K * nu_cm / t
        ex = np.exp(-x)  # written with e^-x so cold gas does not overflow
        c = c + x**2 * ex / (1.0 - ex) ** 2
    return c


def co2_vt_rate_constant_m3_s(temperature_k):
    """V–T rate constant [m³/s] of CO₂(010) + CO₂ → CO₂(000) + CO₂.

    k = 4.2e-12 exp(−2988/T + 303930/T²) cm³/s: the fit to laboratory data used for this process
    ("k19", partner CO₂) in M. A. López-Valverde's non-LTE 15 µm cooling scheme for the Martian
    upper atmosphere (IAA-CSIC, ESA contract 11369/95/NL/JG, 2000), as run in the LMD Mars GCM.
    An earlier note attributed it to López-Puertas & Taylor (2001) from memory; that book was not
    checked. The same scheme gives the N₂/CO partner 2.1e-12 exp(−2659/T + 223052/T²) cm³/s,
    0.45 of the CO₂ rate at 230 K and 0.61 at 300 K (hence ``partner_efficiency`` ≈ 0.5).
    The fit has its minimum near 203 K; the scheme holds it at 3.3e-15 cm³/s below 175 K.
    It gives 5.8e-15 cm³/s at 300 K, i.e. p·τ = 7.3 µs·atm for pure CO₂, as measured by
    spectrophone and ultrasonics (7.1 µs·atm; tested) — and 3.0e-15 cm³/s at 230 K.
    """
    t = np.asarray(temperature_k, dtype=float)
    return 4.2e-12 * np.exp(-2988.0 / t + 303_930.0 / t**2) * 1e-6


def co2_relaxation_time_s(pressure_pa, temperature_k, *, mixture: GasMixture = MARS_AIR, partner_efficiency=0.5):
    """Vibrational relaxation time τ [s] of CO₂ in ``mixture`` at ``pressure_pa`` [Pa], ``temperature_k`` [K].

    Landau–Teller harmonic-oscillator relaxation: 1/τ = N k(T) (1 − e^(−θ₂/T)) summed over
    collision partners, N the number density. N₂ and Ar de-excite CO₂(010) less efficiently than
    CO₂ does; ``partner_efficiency`` is their rate relative to CO₂'s: 0.5, between the published
    N₂ ratio (0.45 at 230 K, see :func:`co2_vt_rate_constant_m3_s`) and an est. for Ar. Water
    vapour (≈ 100 ppm at Jezero) is left out: its efficiency for CO₂(010) is not pinned here.
    """
    p = np.asarray(pressure_pa, dtype=float)
    t = np.asarray(temperature_k, dtype=float)
    x_c, _, _ = mixture.fractions()
    number_density = p / (BOLTZMANN_J_K * t)
    rate = number_density * co2_vt_rate_constant_m3_s(t) * (1.0 - np.exp(-CO2_BEND_THETA_K / t))
    return 1.0 / (rate * (x_c + partner_efficiency * (1.0 - x_c)))


def co2_relaxation_frequency_hz(pressure_pa, temperature_k, *, mixture: GasMixture = MARS_AIR, partner_efficiency=0.5):
    """Centre frequency [Hz] of the CO₂ relaxation: where sound switches from the slow to the fast speed.

    f_r = (C_p0 / C_p∞) / (2π τ): the pole of 1/γ(ω) for the complex heat capacity of
    :func:`mars_wavenumber` (the relaxation time seen at constant pressure is τ·C_p∞/C_p0;
    Herzfeld & Litovitz 1959), the same quantity as Bass & Chambers' (2001) 1/(2π τ_vs). The
    mid-point of the speed step and the peak of the absorption per wavelength fall within a few
    per cent of it. ≈ 120 Hz at 720 Pa, 230 K; proportional to pressure.
    """
    t = np.asarray(temperature_k, dtype=float)
    x_c, _, _ = mixture.fractions()
    c_p_inf = mixture.frozen_heat_capacity_r + 1.0
    c_p_0 = c_p_inf + x_c * co2_vibrational_heat_capacity(t)
    tau = co2_relaxation_time_s(pressure_pa, t, mixture=mixture, partner_efficiency=partner_efficiency)
    return c_p_0 / c_p_inf / (2.0 * np.pi * tau)


def co2_viscosity_pa_s(temperature_k):
    """Shear viscosity of CO₂ [Pa s], Sutherland's law (White, Viscous Fluid Flow, Table 1-2)."""
    t = np.asarray(temperature_k, dtype=float)
    s, t0 = CO2_VISCOSITY_SUTHERLAND_K, SUTHERLAND_REF_K
    return CO2_VISCOSITY_REF_PA_S * (t / t0) ** 1.5 * (t0 + s) / (t + s)


def co2_thermal_conductivity_w_m_k(temperature_k):
    """Thermal conductivity of CO₂ [W/(m K)], Sutherland's law (White, Viscous Fluid Flow, Table 1-3)."""
    t = np.asarray(temperature_k, dtype=float)
    s, t0 = CO2_CONDUCTIVITY_SUTHERLAND_K, SUTHERLAND_REF_K
    return CO2_CONDUCTIVITY_REF_W_M_K * (t / t0) ** 1.5 * (t0 + s) / (t + s)


def mars_wavenumber(frequency_hz, pressure_pa, temperature_k, *, mixture: GasMixture = MARS_AIR, partner_efficiency=0.5):
    """Complex acoustic wavenumber k = ω/c(ω) − iα [1/m] in Mars air (e^(i(ωt − kx)) convention).

    Relaxing heat capacity for CO₂ vibration (see the module docstring) plus the classical
    absorption ω²/(2ρc³)·(4μ/3 + μ_B + (γ∞ − 1)κ/c_p∞), with the rotational bulk viscosity
    μ_B = (γ∞ − 1)² (C_rot/R) p τ_rot, τ_rot = Z_rot·πμ/(4p) (kinetic-theory collision time).
    """
    f = np.asarray(frequency_hz, dtype=float)
    p = np.asarray(pressure_pa, dtype=float)
    t = np.asarray(temperature_k, dtype=float)
    omega = 2.0 * np.pi * f
    x_c, x_n, _ = mixture.fractions()
    r_gas = mixture.gas_constant_j_kg_k
    c_inf = mixture.frozen_heat_capacity_r
    c_vib = x_c * co2_vibrational_heat_capacity(t)
    tau = co2_relaxation_time_s(p, t, mixture=mixture, partner_efficiency=partner_efficiency)
    c_v = c_inf + c_vib / (1.0 + 1j * omega * tau)
    gamma = 1.0 + 1.0 / c_v
    k_relax = omega / np.sqrt(gamma * r_gas * t)

    gamma_inf = 1.0 + 1.0 / c_inf
    rho = p / (r_gas * t)
    c_frozen = np.sqrt(gamma_inf * r_gas * t)
    mu = co2_viscosity_pa_s(t)
    kappa = co2_thermal_conductivity_w_m_k(t)
    c_p_inf = (c_inf + 1.0) * r_gas
    c_rot = x_c + x_n  # linear molecules carry R of rotational heat capacity each
    tau_rot = CO2_ROTATIONAL_COLLISION_NUMBER * np.pi * mu / (4.0 * p)
    mu_bulk = (gamma_inf - 1.0) ** 2 * c_rot * p * tau_rot
    alpha_classical = omega**2 / (2.0 * rho * c_frozen**3) * (4.0 * mu / 3.0 + mu_bulk + (gamma_inf - 1.0) * kappa / c_p_inf)
    return k_relax.real - 1j * (np.abs(k_relax.imag) + alpha_classical)


def mars_sound_speed_m_s(frequency_hz, pressure_pa, temperature_k, **kwargs):
    """Phase speed of sound [m/s] in Mars air at ``frequency_hz`` (dispersive: two speeds)."""
    f = np.asarray(frequency_hz, dtype=float)
    k = mars_wavenumber(np.maximum(f, 1e-6), pressure_pa, temperature_k, **kwargs)
    return 2.0 * np.pi * np.maximum(f, 1e-6) / k.real


def mars_absorption_np_m(frequency_hz, pressure_pa, temperature_k, **kwargs):
    """Amplitude absorption coefficient α [Np/m] in Mars air (× 8.686 for dB/m)."""
    return -mars_wavenumber(frequency_hz, pressure_pa, temperature_k, **kwargs).imag


def iso9613_absorption_db_m(frequency_hz, temperature_k, pressure_pa=ISO_REF_PRESSURE_PA, relative_humidity_pct=50.0):
    """Absorption of sound in Earth air [dB/m], ISO 9613-1:1993 equations (3)–(5) and Annex B.

    >>> round(float(iso9613_absorption_db_m(1000.0, 293.15, 101325.0, 50.0)) * 1000, 1)  # dB/km
    4.7
    """
    f = np.asarray(frequency_hz, dtype=float)
    t = np.asarray(temperature_k, dtype=float)
    pa = np.asarray(pressure_pa, dtype=float)
    pr, t0 = ISO_REF_PRESSURE_PA, ISO_REF_TEMPERATURE_K
    c_sat = -6.8346 * (ISO_TRIPLE_POINT_K / t) ** 1.261 + 4.6151
    h = relative_humidity_pct * 10.0**c_sat / (pa / pr)  # molar concentration of water vapour [%]
    fr_o = (pa / pr) * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = (pa / pr) * (t / t0) ** -0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * ((t / t0) ** (-1.0 / 3.0) - 1.0)))
    return (
        8.686
        * f**2
        * (
            1.84e-11 * (pa / pr) ** -1 * (t / t0) ** 0.5
            + (t / t0) ** -2.5
            * (0.01275 * np.exp(-2239.1 / t) / (fr_o + f**2 / fr_o) + 0.1068 * np.exp(-3352.0 / t) / (fr_n + f**2 / fr_n))
        )
    )


def earth_sound_speed_m_s(temperature_k):
    """Speed of sound in Earth air [m/s]: 343.2 sqrt(T/293.15) (ISO 9613-1:1993, eq. 2)."""
    return 343.2 * np.sqrt(np.asarray(temperature_k, dtype=float) / ISO_REF_TEMPERATURE_K)


@dataclass(frozen=True)
class Medium:
    """Air a sound travels through: Mars CO₂ (``kind="mars"``) or Earth air (``kind="earth"``)."""

    kind: str
    pressure_pa: float
    temperature_k: float
    relative_humidity_pct: float = 50.0
    partner_efficiency: float = 0.5

    @classmethod
    def mars(cls, pressure_pa: float, temperature_k: float, *, partner_efficiency: float = 0.5) -> "Medium":
        return cls("mars", float(pressure_pa), float(temperature_k), partner_efficiency=partner_efficiency)

    @classmethod
    def earth(cls, pressure_pa: float = ISO_REF_PRESSURE_PA, temperature_k: float = 293.15, relative_humidity_pct: float = 50.0) -> "Medium":
        return cls("earth", float(pressure_pa), float(temperature_k), relative_humidity_pct=float(relative_humidity_pct))

    @property
    def density_kg_m3(self) -> float:
        molar = MARS_AIR.molar_mass_kg_mol if self.kind == "mars" else MOLAR_MASS_EARTH_AIR_KG_MOL
        return self.pressure_pa * molar / (MOLAR_GAS_CONSTANT_J_MOL_K * self.temperature_k)

    def sound_speed_m_s(self, frequency_hz):
        """Phase speed [m/s] at ``frequency_hz``."""
        if self.kind == "mars":
            return mars_sound_speed_m_s(frequency_hz, self.pressure_pa, self.temperature_k, partner_efficiency=self.partner_efficiency)
        return np.broadcast_to(earth_sound_speed_m_s(self.temperature_k), np.shape(frequency_hz)).astype(float)

    @property
    def low_frequency_speed_m_s(self) -> float:
        """Speed of sound well below any relaxation [m/s] (1 Hz)."""
        return float(self.sound_speed_m_s(1.0))

    def absorption_np_m(self, frequency_hz):
        """Amplitude absorption [Np/m] at ``frequency_hz``."""
        if self.kind == "mars":
            return mars_absorption_np_m(frequency_hz, self.pressure_pa, self.temperature_k, partner_efficiency=self.partner_efficiency)
        return iso9613_absorption_db_m(frequency_hz, self.temperature_k, self.pressure_pa, self.relative_humidity_pct) / NP_TO_DB

    @property
    def impedance_rayl(self) -> float:
        """Characteristic impedance ρc [Pa s/m] at low frequency."""
        return self.density_kg_m3 * self.low_frequency_speed_m_s


def path_response(frequency_hz, distance_m, medium: Medium, *, reference_speed_m_s: float | None = None):
    """Transfer function of a free-field path from 1 m to ``distance_m`` [m] through ``medium``.

    H(f) = (1 m / r) · exp(−α(f) r) · exp(−i 2πf r (1/c(f) − 1/c_ref)): spherical spreading,
    absorption, and the delay of each frequency relative to ``reference_speed_m_s`` (default: the
    medium's low-frequency speed, so in CO₂ the phase term *advances* the fast high frequencies).
    """
    f = np.asarray(frequency_hz, dtype=float)
    r = np.maximum(np.asarray(distance_m, dtype=float), 1e-3)
    c_ref = medium.low_frequency_speed_m_s if reference_speed_m_s is None else reference_speed_m_s
    c = medium.sound_speed_m_s(np.maximum(f, 1.0))
    phase = 2.0 * np.pi * f * r * (1.0 / c - 1.0 / c_ref)
    return np.exp(-medium.absorption_np_m(f) * r - 1j * phase) / r


def propagate(signal, sample_rate_hz: float, distance_m: float, medium: Medium, *, pad_s: float | None = None):
    """A signal given as pressure at 1 m from its source [Pa], as heard ``distance_m`` away [Pa].

    Fixed geometry: the whole path (spreading, absorption, each frequency's own travel time
    r/c(f)) is applied exactly in the frequency domain. The output is longer than the input by the
    travel time plus ``pad_s`` (default 0.1 s) so nothing wraps around.
    """
    x = np.asarray(signal, dtype=float)
    c_min = float(np.min(medium.sound_speed_m_s(np.array([1.0, sample_rate_hz / 2.0]))))
    extra = (pad_s if pad_s is not None else 0.1) + distance_m / c_min
    n = x.size + int(np.ceil(extra * sample_rate_hz))
    n_fft = 1 << int(np.ceil(np.log2(n)))
    f = np.fft.rfftfreq(n_fft, 1.0 / sample_rate_hz)
    h = path_response(f, distance_m, medium, reference_speed_m_s=np.inf)  # full delay r/c(f)
    y = np.fft.irfft(np.fft.rfft(x, n_fft) * h, n_fft)
    return y[:n]


def _frame_gains(frequency_hz, distance_m, pressure_pa, temperature_k, max_advance_s, partner_efficiency):
    """STFT gains (frames, bins): absorption over the path and the early arrival of fast frequencies."""
    f = frequency_hz[None, :]
    r = distance_m[:, None]
    p = pressure_pa[:, None]
    t = temperature_k[:, None]
    k = mars_wavenumber(np.maximum(f, 1.0), p, t, partner_efficiency=partner_efficiency)
    k0 = mars_wavenumber(1.0, p, t, partner_efficiency=partner_efficiency)
    slowness = k.real / (2.0 * np.pi * np.maximum(f, 1.0))
    slowness0 = k0.real / (2.0 * np.pi)
    advance = np.clip(r * (slowness0 - slowness), 0.0, max_advance_s)
    absorb = np.exp(-(-k.imag) * r)
    return absorb * np.exp(2j * np.pi * f * advance)


def propagate_moving(
    signal,
    sample_rate_hz: float,
    distance_m,
    pressure_pa,
    temperature_k,
    *,
    partner_efficiency: float = 0.5,
    window_s: float = 0.085,
):
    """Pressure heard through Mars air from a moving source, sample by sample [Pa].

    ``signal`` is the pressure the source makes 1 m away [Pa], sampled from the same start time
    as the output; ``distance_m``, ``pressure_pa`` and ``temperature_k`` are given per output
    sample (the air along the path is taken as the air at the listener). The delay r/c₀ and
    the 1/r spreading are applied per sample by interpolating the emitted signal at the
    retarded time, which also gives the Doppler shift of a moving source. Absorption α(f)·r and
    the earlier arrival of the frequencies above the CO₂ relaxation, r·(1/c₀ − 1/c(f)), are then
    applied per short-time-Fourier frame (Hann windows, 75 % overlap, weighted overlap-add), the
    advance capped at a quarter window (beyond ≈ 150 m at the surface, where the high
    frequencies are absorbed long before their early arrival could matter).
    """
    x = np.asarray(signal, dtype=float)
    n = x.size
    r = np.maximum(np.asarray(distance_m, dtype=float), 0.1)
    p = np.broadcast_to(np.asarray(pressure_pa, dtype=float), (n,))
    t = np.broadcast_to(np.asarray(temperature_k, dtype=float), (n,))
    # Low-frequency speed on a coarse grid (it changes slowly), then per sample.
    step = 256
    coarse = np.arange(0, n, step)
    c0 = 2.0 * np.pi / mars_wavenumber(1.0, p[coarse], t[coarse], partner_efficiency=partner_efficiency).real
    c0 = np.interp(np.arange(n), coarse, c0)
    # Retarded time: one fixed-point step on r(t - r/c) is plenty for sources slower than ~0.2 c.
    i = np.arange(n, dtype=float)
    delay = r / c0 * sample_rate_hz
    delay = np.interp(i - delay, i, r) / c0 * sample_rate_hz
    y = np.interp(i - delay, i, x, left=0.0, right=0.0) / r

    n_win = 1 << int(np.round(np.log2(window_s * sample_rate_hz)))
    hop = n_win // 4
    win = np.hanning(n_win + 1)[:-1]  # periodic Hann
    pad = np.concatenate([np.zeros(n_win), y, np.zeros(n_win + hop)])
    n_frames = (pad.size - n_win) // hop + 1
    freqs = np.fft.rfftfreq(n_win, 1.0 / sample_rate_hz)
    out_blocks = np.zeros((n_frames + 3, hop))
    chunk = 512
    for f0 in range(0, n_frames, chunk):
        f1 = min(n_frames, f0 + chunk)
        starts = np.arange(f0, f1) * hop
        frames = np.lib.stride_tricks.sliding_window_view(pad, n_win)[starts] * win
        centre = np.clip(starts + n_win // 2 - n_win, 0, n - 1)
        gains = _frame_gains(freqs, r[centre], p[centre], t[centre], 0.25 * n_win / sample_rate_hz, partner_efficiency)
        blocks = (np.fft.irfft(np.fft.rfft(frames, axis=1) * gains, n_win, axis=1) * win).reshape(f1 - f0, 4, hop)
        for j in range(4):
            out_blocks[f0 + j : f1 + j] += blocks[:, j, :]
    out = out_blocks.reshape(-1) / 1.5  # sum of Hann² at 75 % overlap
    return out[n_win : n_win + n]
