"""Mars atmosphere from the surface to above entry interface (density, pressure, temperature, sound).

Below ``tail_altitude_m`` (45 km by default) this is the NASA Glenn Research Center "Mars
Atmosphere Model – Metric Units", a curve fit to Mars Global Surveyor radio-science profiles
(h in m, T in °C, p in kPa)::

    h <  7000 m:  T = -31   - 0.000998 h
    h >= 7000 m:  T = -23.4 - 0.00222  h
    p = 0.699 exp(-0.00009 h)
    rho = p / (0.1921 (T + 273.1))

That fit reaches absolute zero near 100 km, so above ``tail_altitude_m`` the temperature is held
at its value there (≈ 150 K, the upper-atmosphere plateau of Mars-GRAM's average profile) and
pressure follows hydrostatic equilibrium with inverse-square gravity, which is continuous with
the fit and carries the model past the 125 km entry interface.

Dispersions multiply density by ``density_scale_low`` below ``density_split_altitude_m`` and by
``density_scale_high`` above it, blended smoothly over ±5 km: MEDLI2 found the flight density up
to 150 % above the pre-flight model above ≈ 40 km and within 12 % below (Karlgaard et al.).

Altitudes are above the MOLA areoid. Every function takes scalars or arrays (any shape).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edlcam.mars import constants as C

__all__ = ["Atmosphere", "AtmosphereState", "glenn_temperature_k", "glenn_pressure_pa"]

_KELVIN = 273.1  # the Glenn fit's own offset between °C and K (it uses 273.1, not 273.15)


def glenn_temperature_k(altitude_m):
    """Temperature of the NASA Glenn curve fit [K] at MOLA altitude ``altitude_m`` [m]."""
    h = np.asarray(altitude_m, dtype=float)
    t_c = np.where(h < 7000.0, -31.0 - 0.000998 * h, -23.4 - 0.00222 * h)
    return t_c + _KELVIN


def glenn_pressure_pa(altitude_m, *, surface_pressure_pa: float = 699.0):
    """Pressure of the NASA Glenn curve fit [Pa] (0.699 kPa at h = 0, scale height 11.1 km)."""
    h = np.asarray(altitude_m, dtype=float)
    return surface_pressure_pa * np.exp(-0.00009 * h)


@dataclass(frozen=True)
class AtmosphereState:
    """Atmospheric state at one or many points (arrays broadcast like the altitude given)."""

    density_kg_m3: np.ndarray
    pressure_pa: np.ndarray
    temperature_k: np.ndarray
    speed_of_sound_m_s: np.ndarray


@dataclass(frozen=True)
class Atmosphere:
    """Glenn fit below ``tail_altitude_m``, isothermal hydrostatic tail above.

    ``density_scale_low`` / ``density_scale_high`` may be arrays of shape ``(N,)`` for a batch of
    dispersed atmospheres; altitudes of shape ``(N,)`` then pick one atmosphere each.
    """

    surface_pressure_pa: float = 699.0  # Glenn fit at h = 0
    gas_constant_j_kg_k: float = C.GAS_CONSTANT_J_KG_K
    gamma: float = C.GAMMA_CO2
    tail_altitude_m: float = 45_000.0
    planet_radius_m: float = C.MOLA_REFERENCE_RADIUS_M
    gm_m3_s2: float = C.GM_M3_S2
    density_scale_low: float | np.ndarray = 1.0
    density_scale_high: float | np.ndarray = 1.0
    density_split_altitude_m: float = 40_000.0

    @classmethod
    def from_mission(cls, mission, **overrides) -> "Atmosphere":
        """The mission's [atmosphere] over its planet; ``overrides`` replace fields (e.g. the
        per-case density scales of a Monte Carlo batch)."""
        a = mission.atmosphere
        values = dict(
            surface_pressure_pa=a.surface_pressure_pa,
            gas_constant_j_kg_k=a.gas_constant_j_kg_k,
            gamma=a.gamma,
            tail_altitude_m=a.tail_altitude_m,
            planet_radius_m=mission.planet.equatorial_radius_m,
            gm_m3_s2=mission.planet.gm_m3_s2,
            density_scale_low=a.density_scale_low,
            density_scale_high=a.density_scale_high,
            density_split_altitude_m=a.density_split_altitude_m,
        )
        values.update(overrides)
        return cls(**values)

    def temperature_k(self, altitude_m):
        """Temperature [K]."""
        h = np.asarray(altitude_m, dtype=float)
        t_tail = float(glenn_temperature_k(self.tail_altitude_m))
        return np.where(h < self.tail_altitude_m, glenn_temperature_k(h), t_tail)

    def pressure_pa(self, altitude_m):
        """Pressure [Pa], before the density dispersion."""
        h = np.asarray(altitude_m, dtype=float)
        p_fit = glenn_pressure_pa(np.minimum(h, self.tail_altitude_m), surface_pressure_pa=self.surface_pressure_pa)
        t_tail = float(glenn_temperature_k(self.tail_altitude_m))
        r_tail = self.planet_radius_m + self.tail_altitude_m
        r = self.planet_radius_m + np.maximum(h, self.tail_altitude_m)
        # Isothermal hydrostatic with g = GM/r^2: ln(p/p_t) = -(GM/(R T)) (1/r_t - 1/r).
        decay = np.exp(-(self.gm_m3_s2 / (self.gas_constant_j_kg_k * t_tail)) * (1.0 / r_tail - 1.0 / r))
        return p_fit * decay

    def density_scale(self, altitude_m):
        """The dispersion's density multiplier at ``altitude_m`` (1 for the nominal model)."""
        h = np.asarray(altitude_m, dtype=float)
        # ½ (1 + tanh((h − split) / 5 km)) written as a logistic: the same function, one exp.
        w = 1.0 / (1.0 + np.exp((self.density_split_altitude_m - h) / 2500.0))
        return (1.0 - w) * self.density_scale_low + w * self.density_scale_high

    def state(self, altitude_m) -> AtmosphereState:
        """Density, pressure, temperature and speed of sound at ``altitude_m`` [m MOLA]."""
        t = self.temperature_k(altitude_m)
        scale = self.density_scale(altitude_m)
        p = self.pressure_pa(altitude_m) * scale
        rho = p / (self.gas_constant_j_kg_k * t)
        a = np.sqrt(self.gamma * self.gas_constant_j_kg_k * t)
        return AtmosphereState(density_kg_m3=rho, pressure_pa=p, temperature_k=t, speed_of_sound_m_s=a)

    def density_kg_m3(self, altitude_m):
        """Density [kg/m³]."""
        return self.state(altitude_m).density_kg_m3

    def speed_of_sound_m_s(self, altitude_m):
        """Speed of sound in CO₂ [m/s], sqrt(γ R T)."""
        return np.sqrt(self.gamma * self.gas_constant_j_kg_k * self.temperature_k(altitude_m))
