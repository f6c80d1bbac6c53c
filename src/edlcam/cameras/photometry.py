"""How the Martian ground and air return sunlight: Hapke's reflectance, the dusty sky's share, the haze.

**Ground.** Hapke's bidirectional reflectance without macroscopic roughness (Hapke 1981,
"Bidirectional reflectance spectroscopy 1. Theory", JGR 86:3039, eq. 16 with the shadow-hiding
opposition term of Hapke 1986, Icarus 67:264):

    r(i, e, g) = w/4π · μ0/(μ0 + μ) · [(1 + B(g)) p(g) + H(μ0) H(μ) − 1]
    B(g) = B0 / (1 + tan(g/2) / h)                       opposition surge
    p(g) = (1 − ξ²) / (1 + 2ξ cos g + ξ²)^{3/2}          one-term Henyey–Greenstein, ξ < 0 backward
    H(x) = (1 + 2x) / (1 + 2γx),  γ = √(1 − w)           Hapke's approximation of Chandrasekhar's H

with μ0 = cos i, μ = cos e and g the phase angle; the radiance factor (I/F) is π r. The symbols
are Hapke's. The renderer uses the shape of this function and lets the albedo texture set the
level: a surface of texture albedo A returns A · π r(i, e, g) / (π r(i_ref, 0, i_ref) / cos i_ref),
i.e. exactly A cos i_ref, as a Lambert surface would, at the reference geometry (i_ref = 30°,
viewed from overhead), and Hapke's dependence on the geometry elsewhere: the bright opposition
surge around the antisolar point, the backscattering phase function that brightens the ground
away from the Sun, and the Lommel–Seeliger limb law of a dark particulate surface.

**Light reaching the ground.** The dust optical depth τ sets the direct sunlight's transmission
exp(−τ/μ_sun) (Beer–Lambert along the slant path). The light the dust scatters toward the ground
is taken as single scattering, (1 − exp(−τ/μ_sun)) · ω0 · (1 + g_d)/2 (the share a Henyey–
Greenstein particle of asymmetry g_d scatters into the forward hemisphere); of it, the
circumsolar share CIRCUMSOLAR_FRACTION comes from near the Sun and is shaded and shadowed as
sunlight, the rest lights the ground from the whole sky (the skylight in shadows).

**The haze's air light.** A line of sight through the dust adds its source function J times
(1 − T), T its transmittance (the shaders' ``haze``). Looking down, J is the dust's scattering of
the sunlight by its phase function (one-term Henyey–Greenstein of asymmetry DUST_ASYMMETRY) plus
its scattering of the diffuse field, the sky above and the sunlit ground below (:func:`air_light`):

    J(θ) = ω0 · [ E_sun p_HG(θ)/4 + (E_sky + A (μ_sun E_sun + E_sky)) / 2 ]

in the ground's units (π L / F), θ the scattering angle (180° looking at the antisolar point),
E_sun and E_sky from :func:`illumination`, A the ground's mean albedo. Dust scatters forward:
J is ≈ 1.5× higher looking toward the Sun's side than toward the antisolar point, where the
ground's own surge is. Toward the horizon the line of sight runs through the whole haze and J
tends to the sky's horizon colour (the shaders blend over the lowest 10° below the horizon).

The GLSL here (``GLSL_HAPKE``, ``GLSL_DUST_PHASE``) is the same function as
:func:`hapke_reflectance`, :func:`dust_phase`; the tests render them and compare.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["HapkeParameters", "MARS_SOIL", "hg_phase", "h_function", "opposition_surge", "hapke_reflectance",
           "radiance_factor", "lambert_equivalent", "illumination", "dust_phase", "air_light", "air_light_terms",
           "GLSL_HAPKE", "GLSL_DUST_PHASE", "REF_INCIDENCE_DEG"]

REF_INCIDENCE_DEG = 30.0  # the geometry where the Hapke ground equals a Lambert one of the same albedo


class HapkeParameters:
    """Hapke's w (single-scattering albedo), ξ (Henyey–Greenstein asymmetry), B0 and h (opposition surge)."""

    __slots__ = ("w", "xi", "B0", "h")

    def __init__(self, w: float, xi: float, B0: float, h: float):
        if not (0.0 < w <= 1.0 and -1.0 < xi < 1.0 and B0 >= 0.0 and h > 0.0):
            raise ValueError(f"Hapke parameters out of range: w={w} (0–1], xi={xi} (−1, 1), B0={B0} ≥ 0, h={h} > 0")
        self.w, self.xi, self.B0, self.h = float(w), float(xi), float(B0), float(h)

    def __repr__(self) -> str:
        return f"HapkeParameters(w={self.w}, xi={self.xi}, B0={self.B0}, h={self.h})"


# Martian soil and dusty rock in the red: within the ranges of the Pancam fits at Gusev and Meridiani
# (Johnson et al. 2006, JGR 111, E02S14 and E12S16: w ≈ 0.5–0.8, backscattering ξ ≈ −0.1 … −0.4,
# B0 ≈ 0.5–1.5, h ≈ 0.03–0.2). Values est. within those ranges.
MARS_SOIL = HapkeParameters(w=0.60, xi=-0.25, B0=1.0, h=0.06)

# Dust aerosol in the red (Tomasko et al. 1999, JGR 104:8987, Pathfinder IMP sky: ω0 ≈ 0.97,
# asymmetry ≈ 0.7; Wolff et al. 2009, JGR 114, E00D04, CRISM EPFs: ω0 ≈ 0.97, g ≈ 0.66 at 0.67 µm).
DUST_SINGLE_SCATTERING_ALBEDO = 0.97
DUST_ASYMMETRY = 0.68
CIRCUMSOLAR_FRACTION = 0.5  # est.: an HG particle with g ≈ 0.7 sends about half its scattered light within ≈ 30° of forward
MIN_SUN_MU = 0.05  # the slant path is capped at 20 air masses (the Sun within 3° of the horizon)
# The ground's mean albedo under the haze, for the light it sends back up into the dust: est. from
# the crater floor's albedo in the mission file ([terrain.units.cf_fr], Rec. 709 luminance ≈ 0.32).
MEAN_GROUND_ALBEDO = 0.32


def hg_phase(cos_g, xi: float):
    """One-term Henyey–Greenstein phase function in Hapke's convention (ξ < 0: backscattering), normalised to 4π."""
    cos_g = np.asarray(cos_g, dtype=float)
    return (1.0 - xi * xi) / (1.0 + 2.0 * xi * cos_g + xi * xi) ** 1.5


def h_function(x, w: float):
    """Hapke's (1981) approximation of Chandrasekhar's H function for isotropic scatterers."""
    gamma = math.sqrt(1.0 - w)
    x = np.asarray(x, dtype=float)
    return (1.0 + 2.0 * x) / (1.0 + 2.0 * gamma * x)


def opposition_surge(g_rad, B0: float, h: float):
    """Shadow-hiding opposition term B(g) = B0 / (1 + tan(g/2)/h) (Hapke 1986)."""
    return B0 / (1.0 + np.tan(0.5 * np.asarray(g_rad, dtype=float)) / h)


def hapke_reflectance(mu0, mu, g_rad, p: HapkeParameters = MARS_SOIL):
    """Hapke's bidirectional reflectance r [1/sr] (module docstring); 0 where the Sun or the eye is below the surface."""
    mu0 = np.asarray(mu0, dtype=float)
    mu = np.asarray(mu, dtype=float)
    lit = (mu0 > 0.0) & (mu > 0.0)
    m0, m = np.where(lit, mu0, 1.0), np.where(lit, mu, 1.0)
    g = np.asarray(g_rad, dtype=float)
    bracket = (1.0 + opposition_surge(g, p.B0, p.h)) * hg_phase(np.cos(g), p.xi) + h_function(m0, p.w) * h_function(m, p.w) - 1.0
    return np.where(lit, p.w / (4.0 * math.pi) * m0 / (m0 + m) * bracket, 0.0)


def radiance_factor(mu0, mu, g_rad, p: HapkeParameters = MARS_SOIL):
    """I/F = π r."""
    return math.pi * hapke_reflectance(mu0, mu, g_rad, p)


def _reference_radiance_factor(p: HapkeParameters) -> float:
    i = math.radians(REF_INCIDENCE_DEG)
    return float(radiance_factor(math.cos(i), 1.0, i, p))


def lambert_equivalent(mu0, mu, g_rad, p: HapkeParameters = MARS_SOIL):
    """What multiplies the texture albedo: π r(i, e, g) scaled to equal cos i_ref at the reference geometry."""
    return radiance_factor(mu0, mu, g_rad, p) * (math.cos(math.radians(REF_INCIDENCE_DEG)) / _reference_radiance_factor(p))


def illumination(tau: float, sun_mu: float) -> tuple[float, float]:
    """(sun, sky): the irradiance on the ground per unit of the Sun's above the air.

    ``sun`` multiplies the shading by the Sun (direct plus circumsolar light, shadowed);
    ``sky`` is the horizontal irradiance from the rest of the sky (unshadowed). τ: vertical dust
    optical depth; ``sun_mu``: cosine of the Sun's zenith angle. Module docstring for the model.
    """
    if tau < 0.0:
        raise ValueError(f"dust optical depth {tau} must be ≥ 0")
    mu = max(float(sun_mu), MIN_SUN_MU)
    direct = math.exp(-tau / mu)
    scattered = (1.0 - direct) * DUST_SINGLE_SCATTERING_ALBEDO * 0.5 * (1.0 + DUST_ASYMMETRY)
    sun = direct + CIRCUMSOLAR_FRACTION * scattered
    sky = (1.0 - CIRCUMSOLAR_FRACTION) * scattered * max(float(sun_mu), 0.0)
    return sun, sky


def dust_phase(cos_theta, g: float = DUST_ASYMMETRY):
    """The dust's one-term Henyey–Greenstein phase function of the scattering angle θ (g > 0: forward), normalised to 4π."""
    cos_theta = np.asarray(cos_theta, dtype=float)
    return (1.0 - g * g) / (1.0 + g * g - 2.0 * g * cos_theta) ** 1.5


def air_light_terms(tau: float, sun_mu: float) -> tuple[float, float]:
    """(sun, diffuse): J(θ) = sun · p_HG(θ) + diffuse, the haze's source function (module docstring)."""
    sun, sky = illumination(tau, sun_mu)
    up = MEAN_GROUND_ALBEDO * (max(float(sun_mu), 0.0) * sun + sky)
    return DUST_SINGLE_SCATTERING_ALBEDO * sun / 4.0, DUST_SINGLE_SCATTERING_ALBEDO * 0.5 * (sky + up)


def air_light(cos_theta, tau: float, sun_mu: float):
    """The haze's source function J [π L / F] for scattering angle θ (cos θ = Sun direction · line of sight)."""
    sun, diffuse = air_light_terms(tau, sun_mu)
    return sun * dust_phase(cos_theta) + diffuse


def _glsl(p: HapkeParameters) -> str:
    norm = math.cos(math.radians(REF_INCIDENCE_DEG)) / _reference_radiance_factor(p)
    gamma = math.sqrt(1.0 - p.w)
    return f"""
// Hapke (1981, 1986) reflectance as a Lambert-equivalent factor (edlcam.cameras.photometry).
float hapke_h(float x) {{ return (1.0 + 2.0 * x) / (1.0 + 2.0 * {gamma:.9f} * x); }}
float hapke(float mu0, float mu, float cos_g) {{
    if (mu0 <= 0.0 || mu <= 0.0) return 0.0;
    cos_g = clamp(cos_g, -1.0, 1.0);
    float tan_half = sqrt(max(1.0 - cos_g, 0.0) / max(1.0 + cos_g, 1e-6));
    float B = {p.B0:.9f} / (1.0 + tan_half / {p.h:.9f});
    float q = 1.0 + 2.0 * ({p.xi:.9f}) * cos_g + {p.xi * p.xi:.9f};
    float P = {1.0 - p.xi * p.xi:.9f} / (q * sqrt(q));
    float r = mu0 / (mu0 + mu) * ((1.0 + B) * P + hapke_h(mu0) * hapke_h(mu) - 1.0);
    return r * {p.w / 4.0 * norm:.9f};
}}
"""


GLSL_HAPKE = _glsl(MARS_SOIL)

GLSL_DUST_PHASE = f"""
// The dust's Henyey–Greenstein phase function (edlcam.cameras.photometry.dust_phase).
float dust_phase(float cos_t) {{
    float q = {1.0 + DUST_ASYMMETRY ** 2:.9f} - {2.0 * DUST_ASYMMETRY:.9f} * clamp(cos_t, -1.0, 1.0);
    return {1.0 - DUST_ASYMMETRY ** 2:.9f} / (q * sqrt(q));
}}
"""
