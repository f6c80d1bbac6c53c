"""Mars constants: one per line, SI units, with the source.

Defaults only: a mission file may override the planet block, and the flight reads the
mission's values, not these. Sources: NASA NSSDC Mars Fact Sheet unless stated.
"""

from __future__ import annotations

import math

GM_M3_S2 = 4.2828e13  # gravitational parameter, NSSDC Mars Fact Sheet
EQUATORIAL_RADIUS_M = 3396.2e3  # NSSDC Mars Fact Sheet
POLAR_RADIUS_M = 3376.2e3  # NSSDC Mars Fact Sheet
MEAN_RADIUS_M = 3389.5e3  # volumetric mean radius, NSSDC Mars Fact Sheet
MOLA_REFERENCE_RADIUS_M = 3396.19e3  # MOLA reference sphere (Smith et al. 2001), REFERENCE.md
J2 = 1960.45e-6  # second zonal harmonic, NSSDC Mars Fact Sheet
SIDEREAL_DAY_S = 24.6229 * 3600.0  # sidereal rotation period, NSSDC Mars Fact Sheet
OMEGA_RAD_S = 2.0 * math.pi / SIDEREAL_DAY_S  # 7.0882e-5 rad/s, from the sidereal day
SURFACE_GRAVITY_M_S2 = 3.71  # mean surface gravity, NSSDC Mars Fact Sheet

GAS_CONSTANT_J_KG_K = 192.1  # specific gas constant of the Mars atmosphere, NASA Glenn model (0.1921 kJ/kg/K)
GAMMA_CO2 = 1.29  # ratio of specific heats of CO2 near 240 K; gives a = 240 m/s at the surface (Maurice et al. 2022)
MEAN_SURFACE_PRESSURE_PA = 636.0  # NSSDC Mars Fact Sheet
SCALE_HEIGHT_M = 11.1e3  # NSSDC Mars Fact Sheet

EARTH_G_M_S2 = 9.80665  # standard gravity, for sensed deceleration in Earth g (CGPM 1901)
