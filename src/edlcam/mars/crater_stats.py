"""Published size–frequency models of Martian craters and rocks (pure functions, SI units).

* Craters: the Ivanov (2001) Mars production function scaled by the Hartmann & Neukum (2001)
  chronology for a surface age, capped at ``equilibrium_fraction`` × the geometric saturation
  1.54 D^-2 (Gault 1970); fresh simple-crater shape after Pike (1977) with ejecta ∝ (r/R)^-3
  (McGetchin, Settle & Head 1973); complex-crater depths after Garvin, Sakimoto & Frawley (2003).
* Degradation: small craters on Mars are in equilibrium, formed as fast as diffusive degradation
  wears them below visibility (Minton et al. 2019, Icarus 326:63; Fassett & Thomson 2014, JGR
  Planets 119:2255), so the craters one sees span every state from fresh to barely visible:
  :func:`crater_equilibrium_diameter_m`, :func:`crater_degradation`.
* Rocks: the Golombek & Rapp (1997) model, F_k(D) = k exp(-q D), q = 1.79 + 0.152/k.

Split out of :mod:`edlcam.mars.terrain` (which re-exports them) so the terrain module holds the
ground itself; the layers that use these are built in :mod:`edlcam.mars.terrain_layers`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ivanov_production_log10",
    "hartmann_neukum_n1_per_km2",
    "crater_cumulative_density_per_m2",
    "simple_crater_profile",
    "crater_depth_m",
    "crater_equilibrium_diameter_m",
    "crater_degradation",
    "rock_fractional_area",
    "rock_q",
    "rock_cumulative_number_per_m2",
]

# Ivanov (2001), "Mars/Moon cratering rate ratio estimates", Space Sci. Rev. 96, Table 3 (Mars PF):
# log10 N(>D) = a0 + Σ a_n (log10 D)^n, N per km², D in km, valid for 15 m ≤ D ≤ 362 km.
_IVANOV_A = (
    -3.384, -3.197, 1.257, 0.7915, -0.4861, -0.3630,
    0.1016, 6.756e-2, -1.181e-2, -4.753e-3, 6.233e-4, 5.805e-5,
)  # fmt: skip
_IVANOV_D_MIN_KM = 0.015  # lower validity limit of the polynomial
_GEOMETRIC_SATURATION = 1.54  # N_s(>D) = 1.54 D^-2 (Gault 1970), any consistent units
_SIMPLE_COMPLEX_D_M = 7000.0  # simple-to-complex transition on Mars (Garvin et al. 2003: ≈ 7 km)


def ivanov_production_log10(diameter_km):
    """log10 of the Mars production function N(>D) [km^-2] normalised to N(1 km) = 10^a0.

    Ivanov (2001) 11th-degree polynomial; below its 15 m limit it is continued as the power law
    of its own slope at 15 m (≈ D^-3.0), an extrapolation (est.).
    """
    d = np.maximum(np.asarray(diameter_km, dtype=float), 1e-12)
    x = np.log10(np.maximum(d, _IVANOV_D_MIN_KM))
    poly = np.polynomial.polynomial.polyval(x, _IVANOV_A)
    x0 = math.log10(_IVANOV_D_MIN_KM)
    slope = np.polynomial.polynomial.polyval(x0, np.polynomial.polynomial.polyder(_IVANOV_A))
    below = np.polynomial.polynomial.polyval(x0, _IVANOV_A) + slope * (np.log10(d) - x0)
    return np.where(d < _IVANOV_D_MIN_KM, below, poly)


def hartmann_neukum_n1_per_km2(age_gyr: float) -> float:
    """Cumulative density of craters ≥ 1 km [km^-2] on a surface of ``age_gyr``.

    Hartmann & Neukum (2001), Space Sci. Rev. 96: N(1) = 2.68e-14 (exp(6.93 T) - 1) + 4.13e-4 T.
    """
    return 2.68e-14 * (math.exp(6.93 * age_gyr) - 1.0) + 4.13e-4 * age_gyr


def crater_cumulative_density_per_m2(diameter_m, *, age_gyr: float, equilibrium_fraction: float):
    """Cumulative density N(>D) [m^-2] of craters: production at ``age_gyr``, capped at equilibrium.

    The cap is ``equilibrium_fraction`` × 1.54 D^-2 (Gault 1970 geometric saturation); small
    craters on old Martian surfaces sit at a few per cent of it (Hartmann 1984; Xiao & Werner 2015).
    """
    d_m = np.asarray(diameter_m, dtype=float)
    scale = hartmann_neukum_n1_per_km2(age_gyr) / 10.0 ** _IVANOV_A[0]
    production = scale * 10.0 ** ivanov_production_log10(d_m / 1000.0) * 1e-6
    return np.minimum(production, equilibrium_fraction * _GEOMETRIC_SATURATION / d_m**2)


def crater_equilibrium_diameter_m(*, age_gyr: float, equilibrium_fraction: float) -> float:
    """The diameter [m] below which the crater density is the equilibrium cap, not the production.

    The smallest D on a 1 m – 100 km grid (64 per decade) where the production at ``age_gyr`` no
    longer exceeds ``equilibrium_fraction`` × 1.54 D^-2; below it craters are erased as fast as
    they form. ∞ when production exceeds the cap at every D (an ancient, saturated surface).
    """
    d = np.logspace(0.0, 5.0, 321)
    scale = hartmann_neukum_n1_per_km2(age_gyr) / 10.0 ** _IVANOV_A[0]
    production = scale * 10.0 ** ivanov_production_log10(d / 1000.0) * 1e-6
    below = np.flatnonzero(production <= equilibrium_fraction * _GEOMETRIC_SATURATION / d**2)
    return float(d[below[0]]) if below.size else math.inf


def crater_degradation(diameter_m, u, *, equilibrium_diameter_m: float, visible_depth_fraction: float):
    """Depth of a crater as a fraction of its fresh depth (0..1], for a crater drawn at random.

    Topographic diffusion (Soderblom 1970; Fassett & Thomson 2014) flattens a bowl of radius R as
    a spreading Gaussian does: its depth falls as 1 / (1 + t/t0), t0 ∝ R²/κ. A crater stops being
    seen (and counted) when its depth is ``visible_depth_fraction`` f_v of the fresh one, at
    t = t0 (1/f_v − 1). With a steady impact rate the ages of the craters one sees are uniform
    (``u`` uniform in [0, 1)) over their visible lifetime — below the equilibrium diameter D_eq,
    where the lifetime is what sets the count — so the depth fraction is 1 / (1 + (1/f_v − 1) u):
    most craters shallow, about one in ten above half their fresh depth for f_v = 0.1. Above D_eq
    the surface is younger than a crater's visible life, t0 grows as D², and the oldest ones keep
    1 / (1 + (1/f_v − 1) (D_eq/D)²) of their depth: large craters on a young floor stay crisp.
    """
    d = np.asarray(diameter_m, dtype=float)
    span = 1.0 / visible_depth_fraction - 1.0
    older = np.minimum(1.0, (equilibrium_diameter_m / np.maximum(d, 1e-9)) ** 2) if math.isfinite(equilibrium_diameter_m) else 1.0
    return 1.0 / (1.0 + span * np.asarray(u, dtype=float) * older)


def crater_depth_m(diameter_m, depth_ratio: float):
    """Rim-to-floor depth [m]: ``depth_ratio`` D for simple craters (Pike 1977), Garvin et al. (2003)
    d = 0.36 D^0.49 (km) above the 7 km simple-to-complex transition."""
    d = np.asarray(diameter_m, dtype=float)
    complex_depth = 360.0 * (d / 1000.0) ** 0.49
    return np.where(d > _SIMPLE_COMPLEX_D_M, np.minimum(depth_ratio * d, complex_depth), depth_ratio * d)


def simple_crater_profile(r_over_radius, depth_m, rim_height_m):
    """Relief [m] of a fresh crater at distance r/R from its centre, relative to the ground before.

    Parabolic bowl whose floor is ``depth_m`` below the rim crest, rim crest ``rim_height_m`` above
    the ground (Pike 1977), ejecta thickness ∝ (r/R)^-3 (McGetchin et al. 1973) tapered to zero at
    2 R. Not volume-conserving: the shape is what a camera and a radar see.
    """
    rho = np.asarray(r_over_radius, dtype=float)
    inside = rim_height_m - depth_m * (1.0 - rho**2)
    rho_out = np.maximum(rho, 1.0)
    outside = rim_height_m * (rho_out**-3 - 0.125) / 0.875
    return np.where(rho < 1.0, inside, np.where(rho < 2.0, outside, 0.0))


def rock_q(k: float) -> float:
    """Golombek & Rapp (1997) decay constant q(k) = 1.79 + 0.152/k [m^-1] for rock abundance k."""
    return 1.79 + 0.152 / k


def rock_fractional_area(diameter_m, k: float):
    """Cumulative fractional area F_k(D) = k exp(-q D) covered by rocks of diameter ≥ D (Golombek & Rapp 1997)."""
    return k * np.exp(-rock_q(k) * np.asarray(diameter_m, dtype=float))


def _rock_number_density(diameter_m, k: float):
    """Differential number density n(D) [m^-2 m^-1]: -dF/dD divided by one rock's area πD²/4."""
    d = np.asarray(diameter_m, dtype=float)
    q = rock_q(k)
    return 4.0 * q * k * np.exp(-q * d) / (math.pi * d**2)


def rock_cumulative_number_per_m2(d_min_m: float, d_max_m: float, k: float) -> float:
    """Number of rocks per m² with d_min ≤ D < d_max under the Golombek & Rapp model (quadrature)."""
    if d_max_m <= d_min_m:
        return 0.0
    x = np.geomspace(d_min_m, d_max_m, 257)
    y = _rock_number_density(x, k)
    return float(np.trapezoid(y * x, np.log(x)))
