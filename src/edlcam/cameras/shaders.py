"""GLSL sources of the renderer's passes (:mod:`edlcam.cameras.renderer` compiles them).

Split from renderer.py by concept: the shaders here, the passes and GPU resources there.

Lighting: the Sun and a shadow map (Williams 1978, "Casting curved shadows on curved surfaces",
SIGGRAPH) over the hardware around the camera. The ground reflects by Hapke's function
(:mod:`edlcam.cameras.photometry`), the hardware as Lambert surfaces, thin fabric (the parachute)
also by the sunlight it lets through from behind (``u_translucency``, see
:attr:`edlcam.cameras.models.mesh.Mesh.translucency`). Aerial perspective from an exponential dust
haze of the atmosphere's 11.1 km scale height (NSSDC) whose surface e-folding path is
``u_haze_m`` = H / τ, its air light by the dust's phase function (:mod:`edlcam.cameras.photometry`). The sky: butterscotch at the horizon, darker toward the zenith, a bluish
forward-scattering glow around the Sun (Lemmon et al. 2004, Science 306:1753; Ehlmann et al. 2021
for the blue aureole). ``#define PREVIEW`` (inserted after ``#version``) selects the cheaper
preview paths described in :mod:`edlcam.cameras.renderer`.
"""

from edlcam.cameras.photometry import GLSL_DUST_PHASE, GLSL_HAPKE

__all__ = ["COMMON", "DEPTH_FS", "DUST_FS", "DUST_VS", "MESH_FS", "MESH_VS", "ROCK_VS", "SKY_FS", "SKY_VS",
           "TERRAIN_FS", "TERRAIN_VS"]

_SKY_HAZE = """
uniform vec3 u_sun;            // unit, world (ENU)
uniform vec3 u_cam_world;      // camera position in ENU [m] (for the haze altitude)
uniform float u_ground_up;     // ground height below the camera [m]
uniform float u_haze_m;
uniform float u_air_sun;       // the haze's source function J(θ) = u_air_sun · dust_phase(cos θ) + u_air_diffuse
uniform float u_air_diffuse;   // (photometry.air_light_terms), looking down
""" + GLSL_DUST_PHASE + """
const vec3 DUST_HUE = vec3(0.80, 0.58, 0.40) / 0.6138;  // the horizon's butterscotch at unit luminance (Rec. 709)

vec3 sky_color(vec3 d) {
    float elev = d.z;
    vec3 horizon = vec3(0.80, 0.58, 0.40) * 0.42;
    vec3 zenith = vec3(0.52, 0.36, 0.26) * 0.20;
    vec3 c = mix(horizon, zenith, smoothstep(-0.02, 0.75, elev));
    float ang = acos(clamp(dot(d, u_sun), -1.0, 1.0));
    c += vec3(0.55, 0.65, 0.85) * (1.6 * exp(-ang / 0.06) + 0.25 * exp(-ang / 0.35));
    return c;
}

// Transmittance T of the path to p_rel and the air light it adds: color * T + air * (1 - T).
void haze_terms(vec3 p_rel, out float T, out vec3 air) {
    float d = length(p_rel);
    float z1 = max(u_cam_world.z - u_ground_up, 0.0);
    float z2 = max(u_cam_world.z + p_rel.z - u_ground_up, 0.0);
    float H = 11100.0;
    float mean_density = abs(z2 - z1) > 1.0 ? H * abs(exp(-z1 / H) - exp(-z2 / H)) / abs(z2 - z1) : exp(-z1 / H);
    T = exp(-d * mean_density / u_haze_m);
    vec3 dir = p_rel / max(d, 1e-6);
    // Looking down: the dust's scattering of the sunlight (by the scattering angle) and of the
    // diffuse field; within 10° of the horizon the path runs through the whole haze and its light
    // becomes the sky's horizon colour, which the sky pass draws just above.
    vec3 down = DUST_HUE * (u_air_diffuse + u_air_sun * dust_phase(dot(u_sun, dir)));
    air = mix(down, sky_color(normalize(vec3(dir.xy, max(dir.z, 0.02)))), smoothstep(-0.17, 0.0, dir.z));
}
"""

# Preview: the haze is evaluated per vertex and interpolated (it varies over kilometres, far more
# slowly than the vertex spacing), sparing llvmpipe two exp() and an acos() per fragment.
_VS_HAZE = """
#ifdef PREVIEW
""" + _SKY_HAZE + """
out float v_T; out vec3 v_air;
#define HAZE_VERTEX(p) haze_terms(p, v_T, v_air)
#else
#define HAZE_VERTEX(p)
#endif
"""

COMMON = _SKY_HAZE + GLSL_HAPKE + """
uniform float u_logc;
uniform float u_ambient;       // horizontal skylight irradiance (photometry.illumination)
uniform float u_sun_irr;       // sunlight reaching the ground, per unit above the air
uniform sampler2DShadow u_shadow;
uniform mat4 u_light;
uniform float u_use_shadow;

float shadow_at(vec3 p_rel) {
    if (u_use_shadow < 0.5) return 1.0;
    vec4 l = u_light * vec4(p_rel, 1.0);
    vec3 s = l.xyz * 0.5 + 0.5;
    if (any(lessThan(s, vec3(0.0))) || any(greaterThan(s, vec3(1.0)))) return 1.0;
#ifdef PREVIEW
    // One tap: the LINEAR compare filter still gives a 2×2 percentage-closer edge.
    return texture(u_shadow, vec3(s.xy, s.z - 0.0015));
#else
    float lit = 0.0;
    vec2 texel = 1.0 / vec2(textureSize(u_shadow, 0));
    for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++)
            lit += texture(u_shadow, vec3(s.xy + vec2(i, j) * texel, s.z - 0.0015));
    return lit / 9.0;
#endif
}

#if defined(PREVIEW) && defined(HAZE_VARYINGS)
in float v_T; in vec3 v_air;
vec3 haze(vec3 color, vec3 p_rel) { return color * v_T + v_air * (1.0 - v_T); }
#elif !defined(PREVIEW)
vec3 haze(vec3 color, vec3 p_rel) {
    float T; vec3 air;
    haze_terms(p_rel, T, air);
    return color * T + air * (1.0 - T);
}
#endif

vec3 lit(vec3 albedo, vec3 n, vec3 p_rel) {
    float ndl = max(dot(n, u_sun), 0.0);
    float sky = u_ambient * (0.6 + 0.4 * n.z);
    float sh = ndl > 0.0 ? shadow_at(p_rel) : 1.0;
    return albedo * (ndl * sh * u_sun_irr + sky);
}

// The ground: Hapke's reflectance in place of Lambert's cos i; ``relief_sun``: the Sun's visible
// fraction over the terrain's own relief (baked per ring, edlcam.cameras.terrain_shadow).
vec3 lit_ground(vec3 albedo, vec3 n, vec3 p_rel, float relief_sun) {
    vec3 to_eye = -normalize(p_rel);
    float ndl = dot(n, u_sun);
    float f = hapke(ndl, dot(n, to_eye), dot(u_sun, to_eye));
    float sky = u_ambient * (0.6 + 0.4 * n.z);
    float sh = ndl > 0.0 ? min(shadow_at(p_rel), relief_sun) : 1.0;
    return albedo * (f * sh * u_sun_irr + sky);
}

void write_depth(float view_z) {
#ifndef PREVIEW
    // Preview uses the projection's own depth over a per-frame near/far range instead: writing
    // gl_FragDepth turns off early depth rejection, which llvmpipe pays for in every fragment.
    gl_FragDepth = log2(max(1e-6, 1.0 + view_z)) * u_logc;
#endif
}
"""

MESH_VS = """
#version 330
""" + _VS_HAZE + """
uniform mat4 u_model; uniform mat4 u_vp; uniform mat3 u_nmat;
in vec3 in_pos; in vec3 in_normal; in vec3 in_color; in float in_translucency;
out vec3 v_p; out vec3 v_n; out vec3 v_c; out float v_z; out float v_tr;
uniform mat4 u_view;
void main() {
    vec4 p = u_model * vec4(in_pos, 1.0);
    v_p = p.xyz; v_n = u_nmat * in_normal; v_c = in_color; v_tr = in_translucency;
    v_z = -(u_view * p).z;
    HAZE_VERTEX(p.xyz);
    gl_Position = u_vp * p;
}
"""

MESH_FS = """
#version 330
#define HAZE_VARYINGS
""" + COMMON + """
uniform float u_emissive; uniform float u_opacity;
in vec3 v_p; in vec3 v_n; in vec3 v_c; in float v_z; in float v_tr;
out vec4 f_color;
void main() {
    write_depth(v_z);
    if (u_emissive > 0.5) { f_color = vec4(v_c * u_opacity, 1.0); return; }
    vec3 n = normalize(v_n);
    if (!gl_FrontFacing) n = -n;
    // Thin fabric: the sunlight and skylight on its far side come through, diffusely (the sun
    // unshadowed: the sheet itself is what a shadow map would find between this side and the Sun).
    vec3 through = v_c * v_tr * (max(-dot(n, u_sun), 0.0) * u_sun_irr + u_ambient * (0.6 - 0.4 * n.z));
    f_color = vec4(haze(lit(v_c, n, v_p) + through, v_p), u_opacity);
}
"""

TERRAIN_VS = """
#version 330
""" + _VS_HAZE + """
uniform mat4 u_vp; uniform mat4 u_view; uniform vec3 u_offset;
in vec3 in_pos; in vec2 in_uv;
out vec3 v_p; out vec2 v_uv; out float v_z;
void main() {
    vec3 p = in_pos + u_offset;
    v_p = p; v_uv = in_uv; v_z = -(u_view * vec4(p, 1.0)).z;
    HAZE_VERTEX(p);
    gl_Position = u_vp * vec4(p, 1.0);
}
"""

TERRAIN_FS = """
#version 330
#define HAZE_VARYINGS
""" + COMMON + """
uniform sampler2D u_albedo; uniform sampler2D u_normals;
in vec3 v_p; in vec2 v_uv; in float v_z;
out vec4 f_color;
void main() {
    write_depth(v_z);
    vec4 nv = texture(u_normals, v_uv);
#ifdef PREVIEW
    vec3 n = normalize(nv.xyz * 2.0 - 1.0);
#else
    vec3 n = normalize(nv.xyz);
#endif
    vec3 a = texture(u_albedo, v_uv).rgb;
    f_color = vec4(haze(lit_ground(a, n, v_p, nv.w), v_p), 1.0);
}
"""

ROCK_VS = """
#version 330
""" + _VS_HAZE + """
uniform mat4 u_vp; uniform mat4 u_view; uniform vec3 u_offset;
in vec3 in_pos; in vec3 in_normal; in vec3 in_at; in vec3 in_scale; in float in_yaw; in vec3 in_tint;
out vec3 v_p; out vec3 v_n; out vec3 v_c; out float v_z; out float v_tr;
void main() {
    v_tr = 0.0;  // rock is opaque
    float c = cos(in_yaw), s = sin(in_yaw);
    mat3 r = mat3(c, s, 0.0, -s, c, 0.0, 0.0, 0.0, 1.0);
    vec3 p = in_at + u_offset + r * (in_pos * in_scale);
    v_p = p; v_n = r * (in_normal / in_scale); v_c = in_tint;
    v_z = -(u_view * vec4(p, 1.0)).z;
    HAZE_VERTEX(p);
    gl_Position = u_vp * vec4(p, 1.0);
}
"""

SKY_VS = """
#version 330
in vec2 in_xy; out vec2 v_xy;
void main() { v_xy = in_xy; gl_Position = vec4(in_xy, 1.0, 1.0); }
"""

SKY_FS = """
#version 330
""" + COMMON + """
uniform mat3 u_rcam; uniform vec4 u_intr; uniform float u_height_px;
uniform float u_sun_radiance; uniform float u_sun_cos;
in vec2 v_xy; out vec4 f_color;
void main() {
    // The pixel's ray through the pinhole (pixel centres at integers, row 0 at the top).
    vec2 uv = vec2(gl_FragCoord.x - 0.5, u_height_px - gl_FragCoord.y - 0.5);
    vec3 d = normalize(u_rcam * vec3((uv.x - u_intr.z) / u_intr.x, (uv.y - u_intr.w) / u_intr.y, 1.0));
    vec3 c = sky_color(d);
    if (dot(d, u_sun) > u_sun_cos) c += vec3(u_sun_radiance);
    f_color = vec4(c, 1.0);
}
"""

DUST_VS = """
#version 330
// A puff is a square facing the camera, in the plane of its centre's depth, drawn as two
// triangles: it projects to in_size · fy / z pixels as a point sprite would, but GL caps point
// sprites at the implementation's largest point (llvmpipe's 255 px), which shrank every puff
// nearer than in_size · fy / 255 (at full quality a 3 m puff under the descent stage's camera up
// to 29 m away) and would have drawn them larger on a GPU with a larger cap.
uniform mat4 u_vp; uniform mat4 u_view; uniform vec3 u_offset; uniform vec3 u_right; uniform vec3 u_down;
in vec2 in_corner; in vec3 in_at; in float in_size; in float in_alpha; in float in_shade;
out float v_alpha; out float v_shade; out float v_z; out vec3 v_p; out vec2 v_q;
void main() {
    vec3 p = in_at + u_offset;
    v_z = -(u_view * vec4(p, 1.0)).z;
    v_alpha = in_alpha; v_shade = in_shade; v_p = p; v_q = in_corner;
    gl_Position = u_vp * vec4(p + 0.5 * in_size * (in_corner.x * u_right + in_corner.y * u_down), 1.0);
}
"""

DUST_FS = """
#version 330
""" + COMMON + """
in float v_alpha; in float v_shade; in float v_z; in vec3 v_p; in vec2 v_q; out vec4 f_color;
void main() {
    float r2 = dot(v_q, v_q);
    if (r2 > 1.0) discard;
    write_depth(v_z);
    vec3 dust = vec3(0.62, 0.46, 0.33) * v_shade;   // est.: Mars soil albedo tint
    vec3 c = dust * (max(u_sun.z, 0.0) * 0.8 * u_sun_irr + u_ambient * 1.5);
    f_color = vec4(c, v_alpha * (1.0 - r2));  // a soft edge, half the peak over the disc
}
"""

DEPTH_FS = """
#version 330
void main() { }
"""
