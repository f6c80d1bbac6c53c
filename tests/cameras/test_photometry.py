"""Hapke's reflectance against its published form and limits, and the shader against the Python."""

import math

import numpy as np
import pytest

from edlcam.cameras.photometry import (
    DUST_ASYMMETRY,
    DUST_SINGLE_SCATTERING_ALBEDO,
    GLSL_DUST_PHASE,
    GLSL_HAPKE,
    MARS_SOIL,
    MEAN_GROUND_ALBEDO,
    air_light,
    dust_phase,
    REF_INCIDENCE_DEG,
    HapkeParameters,
    h_function,
    hapke_reflectance,
    illumination,
    lambert_equivalent,
    opposition_surge,
)


def test_h_function_against_chandrasekhar():
    # Chandrasekhar (1960), Radiative Transfer, Table XI: conservative isotropic scattering (w = 1)
    # H(1) = 2.9078, H(0) = 1. Hapke (1981) gives his approximation as good to ≈ 4 %.
    assert h_function(0.0, 1.0) == pytest.approx(1.0, abs=1e-12)
    assert h_function(1.0, 1.0) == pytest.approx(2.9078, rel=0.04)
    # No scattering (w → 0): H → 1 everywhere.
    assert h_function(0.7, 1e-9) == pytest.approx(1.0, abs=1e-6)


def test_opposition_term_is_b0_at_zero_phase_and_half_at_its_width():
    # Hapke (1986): B(g) = B0 / (1 + tan(g/2)/h): B(0) = B0 and B = B0/2 where tan(g/2) = h.
    assert opposition_surge(0.0, 1.3, 0.06) == pytest.approx(1.3, abs=1e-12)
    assert opposition_surge(2.0 * math.atan(0.06), 1.3, 0.06) == pytest.approx(0.65, abs=1e-12)


def test_reflectance_is_reciprocal():
    # Without roughness Hapke's r/μ0 is symmetric in μ0 and μ (Helmholtz reciprocity).
    for mu0, mu, g in [(0.3, 0.8, 0.7), (0.9, 0.2, 1.9), (0.5, 0.5, 0.1)]:
        assert hapke_reflectance(mu0, mu, g) / mu0 == pytest.approx(hapke_reflectance(mu, mu0, g) / mu, rel=1e-12)


def test_dark_isotropic_surface_is_lommel_seeliger():
    # Small w, isotropic particles, no surge: r → w/4π · μ0/(μ0 + μ) (Hapke 1981, eq. 16's limit).
    p = HapkeParameters(w=1e-4, xi=0.0, B0=0.0, h=0.1)
    mu0, mu = 0.6, 0.85
    expected = 1e-4 / (4 * math.pi) * mu0 / (mu0 + mu)
    assert hapke_reflectance(mu0, mu, 0.8, p) == pytest.approx(expected, rel=1e-3)


def test_published_form_at_one_geometry():
    # Hapke (1981) eq. 16 + Hapke (1986) B(g), evaluated by hand for i = 30°, e = 0°, g = 30°, MARS_SOIL.
    p = MARS_SOIL
    mu0, mu, g = math.cos(math.radians(30)), 1.0, math.radians(30)
    gamma = math.sqrt(1 - p.w)
    H = lambda x: (1 + 2 * x) / (1 + 2 * gamma * x)  # noqa: E731
    P = (1 - p.xi**2) / (1 + 2 * p.xi * math.cos(g) + p.xi**2) ** 1.5
    B = p.B0 / (1 + math.tan(g / 2) / p.h)
    r = p.w / (4 * math.pi) * mu0 / (mu0 + mu) * ((1 + B) * P + H(mu0) * H(mu) - 1)
    assert hapke_reflectance(mu0, mu, g) == pytest.approx(r, rel=1e-12)
    assert lambert_equivalent(mu0, mu, g) == pytest.approx(math.cos(math.radians(REF_INCIDENCE_DEG)), rel=1e-12)


def test_the_antisolar_point_is_brighter():
    # i = e = 30°: looking along the sunlight (g = 0) against looking across it from the other side (g = 60°).
    mu = math.cos(math.radians(30))
    assert lambert_equivalent(mu, mu, 0.0) > 1.8 * lambert_equivalent(mu, mu, math.radians(60))
    assert hapke_reflectance(-0.1, 0.5, 1.0) == 0.0


def test_illumination_by_optical_depth():
    assert illumination(0.0, 0.5) == (1.0, 0.0)
    sun_thin, sky_thin = illumination(0.2, 0.5)
    sun_thick, sky_thick = illumination(1.0, 0.5)
    assert sun_thick < sun_thin < 1.0 and sky_thick > sky_thin > 0.0
    # Beer–Lambert: the direct part alone is exp(−τ/μ); the circumsolar part only adds to it.
    assert sun_thin > math.exp(-0.2 / 0.5)
    with pytest.raises(ValueError, match="optical depth"):
        illumination(-0.1, 0.5)


def test_dust_phase_is_henyey_greenstein():
    # Henyey & Greenstein (1941), ApJ 93:70: normalised over the sphere (∫ p dΩ / 4π = 1) and
    # ⟨cos θ⟩ = g; midpoint rule over cos θ, tolerance 1e-4 for the quadrature.
    mu = (np.arange(200_000) + 0.5) / 100_000 - 1.0
    p = dust_phase(mu)
    assert p.mean() == pytest.approx(1.0, abs=1e-4)
    assert (p * mu).mean() == pytest.approx(DUST_ASYMMETRY, abs=1e-4)
    assert dust_phase(1.0) > 10 * dust_phase(-1.0)  # dust scatters forward (Tomasko et al. 1999)


def test_air_light_by_hand():
    # The module docstring's J(θ) at τ = 0.45, the Sun 40° high, looking at the antisolar point
    # (θ = 180°) and across at θ = 66° (the fish-eye's edge toward the Sun), each term by hand.
    mu_sun = math.sin(math.radians(40.0))
    sun, sky = illumination(0.45, mu_sun)
    w, g = DUST_SINGLE_SCATTERING_ALBEDO, DUST_ASYMMETRY
    for theta_deg in (180.0, 66.0):
        c = math.cos(math.radians(theta_deg))
        p = (1 - g * g) / (1 + g * g - 2 * g * c) ** 1.5
        expected = w * (sun * p / 4 + (sky + MEAN_GROUND_ALBEDO * (mu_sun * sun + sky)) / 2)
        assert air_light(c, 0.45, mu_sun) == pytest.approx(expected, rel=1e-12)
    # Forward-scattering dust: the haze is brighter on the Sun's side of the frame.
    assert air_light(math.cos(math.radians(66.0)), 0.45, mu_sun) > 1.3 * air_light(-1.0, 0.45, mu_sun)


def _glsl_eval(source: str, call: str, columns: list[np.ndarray]) -> np.ndarray:
    """Evaluate ``call`` (of q.x, q.y, q.z) in a fragment shader with ``source`` over ``columns``."""
    moderngl = pytest.importorskip("moderngl")
    from edlcam.cameras.renderer import get_context

    ctx = get_context()
    n = len(columns[0])
    cols = columns + [np.zeros(n)] * (3 - len(columns))
    inputs = ctx.texture((n, 1), 3, np.stack(cols, -1).astype("f4").tobytes(), dtype="f4")
    inputs.filter = (moderngl.NEAREST, moderngl.NEAREST)
    prog = ctx.program(
        vertex_shader="#version 330\nin vec2 in_xy; void main() { gl_Position = vec4(in_xy, 0.0, 1.0); }",
        fragment_shader="#version 330\n" + source + """
uniform sampler2D u_in; out vec4 f_color;
void main() { vec3 q = texelFetch(u_in, ivec2(gl_FragCoord.xy), 0).xyz; f_color = vec4(""" + call + """); }""",
    )
    vbo = ctx.buffer(np.array([-1, -1, 3, -1, -1, 3], "f4").tobytes())
    vao = ctx.vertex_array(prog, [(vbo, "2f", "in_xy")])
    fbo = ctx.framebuffer(color_attachments=[ctx.texture((n, 1), 4, dtype="f4")])
    fbo.use()
    inputs.use(0)
    prog["u_in"].value = 0
    vao.render(moderngl.TRIANGLES)
    out = np.frombuffer(fbo.read(components=4, dtype="f4"), "f4").reshape(n, 4)[:, 0]
    for r in (vao, vbo, fbo, inputs, prog):
        r.release()
    return out


def test_shader_matches_python():
    rng = np.random.default_rng(5)
    n = 256
    mu0, mu = rng.uniform(0.02, 1.0, n), rng.uniform(0.02, 1.0, n)
    g = rng.uniform(0.0, math.pi * 0.95, n)
    out = _glsl_eval(GLSL_HAPKE, "hapke(q.x, q.y, q.z)", [mu0, mu, np.cos(g)])
    # float32 in the shader against float64 here.
    np.testing.assert_allclose(out, lambert_equivalent(mu0, mu, g), rtol=2e-4, atol=1e-6)


def test_dust_phase_shader_matches_python():
    cos_t = np.linspace(-1.0, 1.0, 256)
    out = _glsl_eval(GLSL_DUST_PHASE, "dust_phase(q.x)", [cos_t])
    np.testing.assert_allclose(out, dust_phase(cos_t), rtol=2e-4, atol=1e-6)  # float32 against float64
