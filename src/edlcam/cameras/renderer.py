"""OpenGL renderer (moderngl on headless EGL): linear scene radiance as seen through a camera.

One offscreen float framebuffer with depth (and MSAA when asked) per output size. Radiance unit:
1.0 is a white Lambertian surface under the overhead Sun; the sensor model in
:mod:`edlcam.cameras.camera` turns it into pixels.

Depth: the scene spans centimetres (the backshell next to a PUC) to the horizon (~300 km at
11 km altitude), beyond any 24-bit depth buffer with one near/far pair, so every shader writes a
logarithmic depth (gl_FragDepth = log2(1 + z) / log2(1 + far), Kemen 2009, "Logarithmic depth
buffer", Outerra blog). Geometry is drawn camera-relative (positions minus the camera in float64
before the float32 cast), so float32 keeps millimetres far from the ENU origin.

Previews (``Renderer(preview=True)``) take a cheaper path on llvmpipe, chosen by measurement
(benchmarks/RESULTS.md): the projection's own 24-bit depth over a per-frame near/far range
(:meth:`Renderer.depth_range`) instead of the log depth, one shadow-map tap, the haze evaluated
per vertex, shadows cast by the rigid hardware only, 20-face boulders below ROCK_DETAIL_PX, and
the terrain's albedo and normals in 8-bit textures.

Lighting: the Sun (direction from :mod:`edlcam.mars.sun`) and a shadow map (Williams 1978,
"Casting curved shadows on curved surfaces", SIGGRAPH) over the hardware around the camera. The
ground reflects by Hapke's function (opposition surge, backscattering phase function), the
hardware as Lambert surfaces; the sunlight reaching them is dimmed by the dust optical depth τ and
the skylight fills the shadows (:mod:`edlcam.cameras.photometry`). Aerial perspective from an
exponential dust haze of the atmosphere's 11.1 km scale height (NSSDC) whose surface e-folding
path is ``haze_distance_m`` = H / τ. The sky: butterscotch at the horizon, darker toward the
zenith, a bluish forward-scattering glow around the Sun (the Mars sky as seen by Pathfinder and
the MER Pancams: Lemmon et al. 2004, Science 306:1753; Ehlmann et al. 2021 for the blue aureole).

The GLSL of these passes is in :mod:`edlcam.cameras.shaders`; the boulder template and the terrain
rings' grid helpers in :mod:`edlcam.cameras.render_geometry`.
"""

from __future__ import annotations

import ctypes.util
import logging
from dataclasses import dataclass

import numpy as np

from edlcam.cameras import shaders
from edlcam.cameras.photometry import air_light_terms, illumination
from edlcam.cameras.render_geometry import TerrainRingGPU, icosphere, north_east_order, stitch_edges
from edlcam.cameras.terrain_shadow import quantised_sun, sun_visibility
from edlcam.errors import RenderError

__all__ = ["get_context", "Renderer", "RenderStats", "projection_from_intrinsics", "EGL_PACKAGES"]

log = logging.getLogger(__name__)

EGL_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri"
FAR_M = 2.0e6  # beyond the horizon from any EDL altitude (sqrt(2 R h) = 270 km at 11 km)
NEAR_M = 0.02
SUN_ANGULAR_RADIUS_RAD = np.radians(0.35 / 2.0)  # 0.53° from Earth at 1 AU, / 1.52 AU at Mars
SCALE_HEIGHT_M = 11_100.0  # NSSDC Mars Fact Sheet
TERRAIN_TEXTURE_FACTOR = 4  # colour/normal texels per terrain vertex spacing
ROCK_DETAIL_PX = 12.0  # previews draw boulders smaller than this on screen with 20 faces instead of 80

_CONTEXT = None


def get_context():
    """The process's headless EGL OpenGL context (created once); RenderError if EGL is missing."""
    global _CONTEXT
    if _CONTEXT is not None:
        return _CONTEXT
    # Look for the library first: loading a half-installed EGL can crash instead of raising.
    if ctypes.util.find_library("EGL") is None:
        raise RenderError(f"no EGL library found (libEGL.so.1); install the Debian packages {EGL_PACKAGES}")
    try:
        import moderngl

        _CONTEXT = moderngl.create_context(standalone=True, backend="egl", require=330)
    except Exception as exc:  # glcontext raises plain Exceptions for a missing driver
        raise RenderError(
            f"cannot create a headless OpenGL context over EGL ({exc}); install the Debian packages {EGL_PACKAGES}"
        ) from None
    log.info("OpenGL %s on %s", _CONTEXT.info["GL_VERSION"], _CONTEXT.info["GL_RENDERER"])
    return _CONTEXT


def projection_from_intrinsics(fx, fy, cx, cy, width, height, near=NEAR_M, far=FAR_M) -> np.ndarray:
    """OpenGL projection (4×4) reproducing the pinhole (fx, fy, cx, cy) [px] on a width×height image.

    Pixel centres are integers (OpenCV); eye space is x right, y up, z backward (OpenGL).
    """
    return np.array(
        [
            [2.0 * fx / width, 0.0, 1.0 - 2.0 * (cx + 0.5) / width, 0.0],
            [0.0, 2.0 * fy / height, 2.0 * (cy + 0.5) / height - 1.0, 0.0],
            [0.0, 0.0, -(far + near) / (far - near), -2.0 * far * near / (far - near)],
            [0.0, 0.0, -1.0, 0.0],
        ]
    )


_CV_TO_GL = np.diag([1.0, -1.0, -1.0])


def _mat(m: np.ndarray) -> bytes:
    return np.asarray(m, dtype="f4").T.tobytes()


@dataclass(frozen=True)
class RenderStats:
    """What one render drew (for benchmarks)."""

    triangles: int
    rings: int
    rocks: int
    dust: int


class Renderer:
    """Draws :class:`edlcam.cameras.scene.SceneState` for a camera pose into linear radiance.

    ``terrain.heightmap`` gives heights in the flat ENU frame, the curvature drop d²/2R included,
    so the horizon dips as on a sphere without anything done here.
    """

    def __init__(self, *, terrain, msaa_samples: int = 0, shadow_map_px: int = 2048, haze_distance_m: float = 24_700.0,
                 ring_cache: int = 48, preview: bool = False):
        self.ctx = get_context()
        self.terrain = terrain
        self.msaa = int(msaa_samples)
        self.haze_m = float(haze_distance_m)
        self.dust_optical_depth = SCALE_HEIGHT_M / self.haze_m  # vertical τ of a haze with this surface e-folding path
        self.preview = bool(preview)
        # Previews: half the texels per vertex spacing; frames.py shrinks the finest ring to match,
        # so the texels per pixel stay (halving them alone visibly blurred the craters).
        self.texture_factor = TERRAIN_TEXTURE_FACTOR // 2 if preview else TERRAIN_TEXTURE_FACTOR
        ctx = self.ctx

        def program(vs: str, fs: str, *, depth: bool = False):
            if preview and not depth:
                vs, fs = (x.replace("#version 330\n", "#version 330\n#define PREVIEW\n", 1) for x in (vs, fs))
            return ctx.program(vertex_shader=vs, fragment_shader=fs)

        self.p_mesh = program(shaders.MESH_VS, shaders.MESH_FS)
        self.p_terrain = program(shaders.TERRAIN_VS, shaders.TERRAIN_FS)
        self.p_rock = program(shaders.ROCK_VS, shaders.MESH_FS)
        self.p_sky = program(shaders.SKY_VS, shaders.SKY_FS)
        self.p_dust = program(shaders.DUST_VS, shaders.DUST_FS)
        self.d_mesh = program(shaders.MESH_VS, shaders.DEPTH_FS, depth=True)
        self.d_terrain = program(shaders.TERRAIN_VS, shaders.DEPTH_FS, depth=True)
        self.d_rock = program(shaders.ROCK_VS, shaders.DEPTH_FS, depth=True)
        self.sky_vbo = ctx.buffer(np.array([-1, -1, 3, -1, -1, 3], dtype="f4").tobytes())
        self.sky_vao = ctx.vertex_array(self.p_sky, [(self.sky_vbo, "2f", "in_xy")])
        self.dust_corners = ctx.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4").tobytes())  # a strip
        # Boulder templates by the size a rock spans on screen: previews draw those under
        # ROCK_DETAIL_PX with the 20-face template (its facets do not show at that size).
        self.rock_templates = []
        for subdivisions, min_px in ((0, 0.0), (1, ROCK_DETAIL_PX)) if preview else ((1, 0.0),):
            p, n, f = icosphere(subdivisions=subdivisions)
            self.rock_templates.append((ctx.buffer(np.hstack([p, n]).astype("f4").tobytes()),
                                        ctx.buffer(f.astype("u4").tobytes()), len(f), min_px))
        self._fy = 1.0
        self._sun_q = quantised_sun((0.0, 0.0, 1.0))  # set per frame by render()
        self.shadow_px = int(shadow_map_px)
        self.shadow_tex = ctx.depth_texture((self.shadow_px, self.shadow_px))
        self.shadow_tex.compare_func = "<="
        import moderngl

        self.shadow_tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.shadow_fbo = ctx.framebuffer(depth_attachment=self.shadow_tex)
        self._fbos: dict[tuple[int, int], tuple] = {}
        self._static_meshes: dict[str, tuple] = {}
        self._bounds_cache: dict[str, tuple] = {}
        self._rings: dict[tuple, TerrainRingGPU] = {}
        self._ring_cache = ring_cache
        self._mgl = moderngl

    # ----------------------------------------------------------------------------------- resources

    def _framebuffers(self, size: tuple[int, int]):
        if size not in self._fbos:
            ctx = self.ctx
            color = ctx.texture(size, 4, dtype="f4")
            depth = ctx.depth_texture(size)
            resolved = ctx.framebuffer(color_attachments=[color], depth_attachment=depth)
            ms = None
            if self.msaa > 1:
                ms = ctx.framebuffer(
                    color_attachments=[ctx.renderbuffer(size, 4, samples=self.msaa, dtype="f4")],
                    depth_attachment=ctx.depth_renderbuffer(size, samples=self.msaa),
                )
            self._fbos[size] = (resolved, ms)
        return self._fbos[size]

    def _mesh_vao(self, prog, mesh):
        data = np.hstack([mesh.positions_m, mesh.normals, mesh.colors_rgb, mesh.translucency[:, None]]).astype("f4")
        vbo = self.ctx.buffer(data.tobytes())
        ibo = self.ctx.buffer(np.ascontiguousarray(mesh.indices, dtype="u4").tobytes())
        vao = self.ctx.vertex_array(prog, [(vbo, "3f 3f 3f 1f", "in_pos", "in_normal", "in_color", "in_translucency")],
                                    index_buffer=ibo)
        dvao = self.ctx.vertex_array(self.d_mesh, [(vbo, "3f 12x 12x 4x", "in_pos")], index_buffer=ibo)
        return vao, dvao, vbo, ibo

    def _ring_gpu(self, ring) -> TerrainRingGPU:
        # The Sun's direction (quantised: terrain_shadow) is part of the key: the ring's normal
        # texture carries the Sun's visible fraction over its own relief in its alpha.
        sun_key, sun_dir = self._sun_q
        key = (ring.center_en_m, ring.size_m, ring.samples, sun_key)
        gpu = self._rings.get(key)
        if gpu is not None:
            self._rings[key] = self._rings.pop(key)  # most recently used last
            return gpu
        n = ring.samples
        f = self.texture_factor
        nt = f * (n - 1) + 1
        east, north, up, rgb = self.terrain.heightmap(
            center_east_m=ring.center_en_m[0], center_north_m=ring.center_en_m[1], size_m=ring.size_m, samples=nt
        )
        east, north, up, rgb = north_east_order(np.asarray(east, float), np.asarray(north, float), np.asarray(up, float), np.asarray(rgb))
        if rgb.dtype == np.uint8:
            rgb = rgb.astype(np.float32) / 255.0
        spacing = ring.size_m / (nt - 1)
        gn, ge = np.gradient(up, spacing)
        normals = np.stack([-ge, -gn, np.ones_like(up)], axis=-1)
        normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
        normals = np.concatenate([normals, sun_visibility(up, spacing, sun_dir)[..., None]], axis=-1)
        ge_, gn_, gu_ = east[::f, ::f], north[::f, ::f], up[::f, ::f].copy()
        stitch_edges(gu_)
        uv_i = (np.arange(n) * f + 0.5) / nt
        uu, vv = np.meshgrid(uv_i, uv_i)
        verts = np.stack([ge_ - ring.center_en_m[0], gn_ - ring.center_en_m[1], gu_, uu, vv], axis=-1).reshape(-1, 5)
        ctx = self.ctx
        vbo = ctx.buffer(verts.astype("f4").tobytes())
        if self.preview:
            # Previews sample 8-bit RGBA textures (normals as n/2 + 1/2): llvmpipe filters unorm8
            # texels on a fixed-point path and 32-bit floats on a general one; an RDC preview frame
            # costs ≈ 10 % less CPU and its pixels move by at most 1 of 255 (benchmarks/RESULTS.md,
            # "The canopy inset from PUC B, 8-bit preview textures"). Full quality keeps float texels.
            rgba = np.concatenate([rgb, np.ones_like(rgb[..., :1])], axis=-1)
            enc = normals.copy()
            enc[..., :3] = enc[..., :3] * 0.5 + 0.5
            tex_a = ctx.texture((nt, nt), 4, np.rint(np.clip(rgba, 0.0, 1.0) * 255.0).astype(np.uint8).tobytes())
            tex_n = ctx.texture((nt, nt), 4, np.rint(np.clip(enc, 0.0, 1.0) * 255.0).astype(np.uint8).tobytes())
        else:
            tex_a = ctx.texture((nt, nt), 3, np.ascontiguousarray(rgb, dtype="f4").tobytes(), dtype="f4")
            tex_n = ctx.texture((nt, nt), 4, np.ascontiguousarray(normals, dtype="f4").tobytes(), dtype="f4")
        for t in (tex_a, tex_n):
            t.filter = (self._mgl.LINEAR_MIPMAP_LINEAR, self._mgl.LINEAR)
            t.build_mipmaps()
            t.repeat_x = t.repeat_y = False
        gpu = TerrainRingGPU(vbo, {}, tex_a, tex_n, n)
        self._rings[key] = gpu
        while len(self._rings) > self._ring_cache:
            old = next(iter(self._rings))
            self._rings.pop(old).release()
        return gpu

    def _ring_vaos(self, ring, gpu):
        hole_key = ring.hole_en_m
        if hole_key not in gpu.vao_by_hole:
            n = ring.samples
            half = ring.size_m / 2.0
            e0, n0 = ring.center_en_m[0] - half, ring.center_en_m[1] - half
            d = ring.spacing_m
            ii, jj = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing="ij")  # ii: north row, jj: east col
            keep = np.ones(ii.shape, bool)
            if ring.hole_en_m is not None:
                ce = e0 + (jj + 0.5) * d
                cn = n0 + (ii + 0.5) * d
                he0, he1, hn0, hn1 = ring.hole_en_m
                keep = ~((ce > he0) & (ce < he1) & (cn > hn0) & (cn < hn1))
            a = (ii * n + jj)[keep]
            b, c, dd = a + 1, a + n, a + n + 1
            idx = np.stack([a, b, dd, a, dd, c], axis=-1).reshape(-1).astype("u4")
            ibo = self.ctx.buffer(idx.tobytes())
            vao = self.ctx.vertex_array(self.p_terrain, [(gpu.vbo, "3f 2f", "in_pos", "in_uv")], index_buffer=ibo)
            dvao = self.ctx.vertex_array(self.d_terrain, [(gpu.vbo, "3f 8x", "in_pos")], index_buffer=ibo)
            gpu.vao_by_hole[hole_key] = ((vao, dvao), ibo)
        return gpu.vao_by_hole[hole_key][0]

    # -------------------------------------------------------------------------------------- render

    def render(self, state, *, size: tuple[int, int], intrinsics: tuple[float, float, float, float],
               position_m: np.ndarray, R_world_cam: np.ndarray) -> tuple[np.ndarray, RenderStats]:
        """Linear radiance (H, W, 3) float32 of ``state`` seen from the camera pose, and what was drawn."""
        ctx = self.ctx
        mgl = self._mgl
        w, h = size
        fx, fy, cx, cy = intrinsics
        cam = np.asarray(position_m, float)
        view = np.eye(4)
        view[:3, :3] = _CV_TO_GL @ np.asarray(R_world_cam, float).T
        near, far = self.depth_range(state, cam, np.asarray(R_world_cam, float)) if self.preview else (NEAR_M, FAR_M)
        proj = projection_from_intrinsics(fx, fy, cx, cy, w, h, near, far)
        vp = proj @ view
        self._fy = float(fy)
        sun = np.asarray(state.sun_enu, float)
        sun = sun / np.linalg.norm(sun)
        self._sun_q = quantised_sun(sun)
        logc = 1.0 / np.log2(FAR_M + 1.0)

        # Shadow map: orthographic from the Sun over a box around the camera's hardware.
        light = None
        if state.shadow_center_m is not None and sun[2] > -0.1:
            r = state.shadow_radius_m
            center = state.shadow_center_m - cam
            z = sun
            x = np.cross([0.0, 0.0, 1.0], z) if abs(z[2]) < 0.99 else np.array([1.0, 0.0, 0.0])
            x /= np.linalg.norm(x)
            y = np.cross(z, x)
            lv = np.eye(4)
            lv[:3, :3] = np.stack([x, y, z])
            lv[:3, 3] = -lv[:3, :3] @ center
            depth_r = 4.0 * r
            lp = np.diag([1.0 / r, 1.0 / r, -1.0 / depth_r, 1.0])
            light = lp @ lv

        resolved, ms = self._framebuffers((w, h))
        target = ms if ms is not None else resolved
        tri = 0
        # ----- shadow pass
        if light is not None:
            self.shadow_fbo.use()
            self.shadow_fbo.clear(depth=1.0)
            ctx.enable(mgl.DEPTH_TEST)
            ctx.disable(mgl.BLEND)
            for prog in (self.d_mesh, self.d_terrain, self.d_rock):
                prog["u_vp"].write(_mat(light))
                if "u_view" in prog:
                    prog["u_view"].write(_mat(np.eye(4)))
            self._draw_objects(state, cam, depth_only=True)
            if state.rings and cam[2] - state.ground_up_m < 4.0 * state.shadow_radius_m:
                self._draw_rings(state.rings[:2], cam, depth_only=True)
            self._draw_rocks(state, cam, depth_only=True)

        # ----- main pass
        target.use()
        ctx.viewport = (0, 0, w, h)
        target.depth_mask = True  # a depth clear writes only through the mask
        target.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
        sun_irr, sky_irr = illumination(self.dust_optical_depth, float(sun[2]))
        air_sun, air_diffuse = air_light_terms(self.dust_optical_depth, float(sun[2]))
        common = dict(u_sun=tuple(sun), u_cam_world=tuple(cam), u_ground_up=float(state.ground_up_m), u_haze_m=self.haze_m,
                      u_logc=float(logc), u_ambient=sky_irr, u_sun_irr=sun_irr, u_air_sun=air_sun, u_air_diffuse=air_diffuse,
                      u_use_shadow=1.0 if light is not None else 0.0)
        for prog in (self.p_mesh, self.p_terrain, self.p_rock, self.p_sky, self.p_dust):
            for k, v in common.items():
                if k in prog:
                    prog[k].value = v
            if "u_light" in prog:
                prog["u_light"].write(_mat(light if light is not None else np.eye(4)))
            if "u_shadow" in prog:
                prog["u_shadow"].value = 0
            if "u_vp" in prog:
                prog["u_vp"].write(_mat(vp))
            if "u_view" in prog:
                prog["u_view"].write(_mat(view))
        self.shadow_tex.use(location=0)

        ctx.enable(mgl.DEPTH_TEST)
        ctx.disable(mgl.BLEND)
        tri += self._draw_rings(state.rings, cam)
        tri += self._draw_rocks(state, cam)
        tri += self._draw_objects(state, cam)
        # The sky after the opaque scene, on the far plane (depth 1, the cleared value) and tested
        # ≤: the early depth test then shades it only where nothing covers it — a camera looking
        # down paid a full-screen pass of sky for pixels the ground then overwrote.
        ctx.depth_func = "<="
        # The depth mask is the framebuffer's in moderngl 5 (a Context has none: `ctx.depth_mask = False`
        # only set a Python attribute, so the sky, the translucent meshes and every dust puff wrote
        # depth, and each puff cut the ones drawn after it at its rim into hard arcs).
        target.depth_mask = False
        self.p_sky["u_rcam"].write(np.asarray(R_world_cam, "f4").T.tobytes())
        self.p_sky["u_intr"].value = (fx, fy, cx, cy)
        self.p_sky["u_height_px"].value = float(h)
        # Lambertian white under irradiance E has radiance E/π = 1 (our unit), so the disc's radiance is π/Ω.
        # … dimmed by the dust along the slant path.
        direct = float(np.exp(-self.dust_optical_depth / max(float(sun[2]), 0.05)))
        self.p_sky["u_sun_radiance"].value = float(direct / SUN_ANGULAR_RADIUS_RAD**2)
        self.p_sky["u_sun_cos"].value = float(np.cos(SUN_ANGULAR_RADIUS_RAD))
        self.sky_vao.render(mgl.TRIANGLES)
        ctx.depth_func = "<"
        # Transparent and emissive last, without depth writes.
        ctx.enable(mgl.BLEND)
        tri += self._draw_objects(state, cam, transparent=True)
        ndust = self._draw_dust(state, cam, np.asarray(R_world_cam, float))
        target.depth_mask = True
        ctx.disable(mgl.BLEND)
        if ms is not None:
            ctx.copy_framebuffer(resolved, ms)
        raw = resolved.read(components=3, dtype="f4")
        img = np.frombuffer(raw, dtype=np.float32).reshape(h, w, 3)[::-1].copy()
        nrocks = 0 if state.rocks is None else len(state.rocks["east_m"])
        return img, RenderStats(tri, len(state.rings), nrocks, ndust)

    def depth_range(self, state, cam: np.ndarray, R_world_cam: np.ndarray) -> tuple[float, float]:
        """Near and far planes [m] that hold everything drawn in front of the camera (preview depth).

        A 24-bit depth buffer resolves ≈ z²/(near·2²⁴) at distance z, so near is kept as large as
        the scene allows: half the distance to the nearest vertex in front of the camera, to the
        ground below it, or to a dust puff — at least NEAR_M. Far reaches the outer terrain ring.
        """
        fwd = R_world_cam[:, 2]
        near, far = np.inf, 1.0
        for obj in state.objects:
            mesh = obj.mesh
            if mesh.triangle_count == 0:
                continue
            if not state.rings and not (obj.static and obj.key in self._bounds_cache):
                near = min(near, NEAR_M)  # hardware alone spans < 1 km: NEAR_M resolves it to millimetres
                far = max(far, 1000.0)
                continue
            lo, hi = self._bounds(obj)
            centre = np.asarray(obj.t, float) + np.asarray(obj.R, float) @ (0.5 * (lo + hi)) - cam
            radius = 0.5 * float(np.linalg.norm(hi - lo))
            dist = float(np.linalg.norm(centre))
            far = max(far, dist + radius)
            if centre @ fwd < -radius:
                continue  # wholly behind the camera
            if dist > 2.0 * radius:
                near = min(near, dist - radius)
                continue
            if not state.rings:
                near = min(near, NEAR_M)  # hardware alone spans < 1 km: NEAR_M resolves it to millimetres
                continue
            rel = mesh.positions_m @ np.asarray(obj.R, "f4").T + (np.asarray(obj.t, float) - cam).astype("f4")
            ahead = rel[rel @ fwd.astype("f4") > 0.0]
            if len(ahead):
                near = min(near, float(np.sqrt(np.min(np.einsum("ij,ij->i", ahead, ahead)))))
        if state.rings:
            height = cam[2] - state.ground_up_m
            tallest = 0.0 if state.rocks is None or not len(state.rocks["height_m"]) else float(np.max(state.rocks["height_m"]))
            near = min(near, max(height - tallest, 0.0))
            outer = state.rings[-1]
            half = 0.5 * outer.size_m
            reach = np.hypot(abs(outer.center_en_m[0] - cam[0]) + half, abs(outer.center_en_m[1] - cam[1]) + half)
            far = max(far, float(np.hypot(reach, height)))
        if state.dust is not None and len(state.dust["alpha"]):
            d = np.linalg.norm(state.dust["position_m"] - cam, axis=1) - state.dust["size_m"]
            near = min(near, float(np.min(d)))
            far = max(far, float(np.max(d + 2.0 * state.dust["size_m"])))
        near = float(np.clip(0.5 * near, NEAR_M, 0.5 * far)) if np.isfinite(near) else NEAR_M
        return near, max(1.1 * far, 2.0 * near)

    def _bounds(self, obj) -> tuple[np.ndarray, np.ndarray]:
        """The mesh's bounding box in its own frame (cached for static meshes)."""
        if obj.static:
            hit = self._bounds_cache.get(obj.key)
            if hit is not None and hit[0] is obj.mesh:
                return hit[1]
        box = obj.mesh.bounds_m()
        if obj.static:
            self._bounds_cache[obj.key] = (obj.mesh, box)
        return box

    def _draw_objects(self, state, cam, *, depth_only=False, transparent=False) -> int:
        mgl = self._mgl
        tri = 0
        for obj in state.objects:
            mesh = obj.mesh
            if mesh.triangle_count == 0:
                continue
            is_transparent = mesh.emissive or mesh.opacity < 1.0
            if depth_only and (is_transparent or (self.preview and not obj.static)):
                # Previews cast shadows from the rigid hardware only: the canopy's and bridles'
                # shadows fall on the sky or on thin strips, and re-binning their per-frame meshes
                # for the shadow map cost a tenth of a PUC frame.
                continue
            if not depth_only and is_transparent != transparent:
                continue
            if obj.static and obj.key in self._static_meshes and self._static_meshes[obj.key][4] is mesh:
                vao, dvao, *_ = self._static_meshes[obj.key]
                temp = None
            else:
                vao, dvao, vbo, ibo = self._mesh_vao(self.p_mesh, mesh)
                temp = (vao, dvao, vbo, ibo)
                if obj.static:
                    old = self._static_meshes.pop(obj.key, None)
                    if old is not None:
                        for r in old[:4]:
                            r.release()
                    self._static_meshes[obj.key] = (vao, dvao, vbo, ibo, mesh)
                    temp = None
            model = np.eye(4)
            model[:3, :3] = obj.R
            model[:3, 3] = np.asarray(obj.t, float) - cam
            prog = self.d_mesh if depth_only else self.p_mesh
            prog["u_model"].write(_mat(model))
            if "u_nmat" in prog:
                prog["u_nmat"].write(np.asarray(obj.R, "f4").T.tobytes())
            if not depth_only:
                prog["u_emissive"].value = 1.0 if mesh.emissive else 0.0
                prog["u_opacity"].value = float(mesh.opacity)
                if mesh.emissive:
                    self.ctx.blend_func = (mgl.ONE, mgl.ONE)
                else:
                    self.ctx.blend_func = (mgl.SRC_ALPHA, mgl.ONE_MINUS_SRC_ALPHA)
            (dvao if depth_only else vao).render(mgl.TRIANGLES)
            tri += mesh.triangle_count
            if temp is not None:
                for r in temp:
                    r.release()
        return tri

    def _draw_rings(self, rings, cam, *, depth_only=False) -> int:
        tri = 0
        prog = self.d_terrain if depth_only else self.p_terrain
        for ring in rings:
            gpu = self._ring_gpu(ring)
            vao, dvao = self._ring_vaos(ring, gpu)
            prog["u_offset"].value = (ring.center_en_m[0] - cam[0], ring.center_en_m[1] - cam[1], -cam[2])
            if not depth_only:
                gpu.tex_albedo.use(location=1)
                gpu.tex_normals.use(location=2)
                prog["u_albedo"].value = 1
                prog["u_normals"].value = 2
            v = dvao if depth_only else vao
            v.render(self._mgl.TRIANGLES)
            tri += v.vertices // 3
        return tri

    def _draw_rocks(self, state, cam, *, depth_only=False) -> int:
        rocks = state.rocks
        if rocks is None or len(rocks["east_m"]) == 0:
            return 0
        n = len(rocks["east_m"])
        d = rocks["diameter_m"]
        hgt = rocks["height_m"]
        # Per-rock yaw and tint from the rock's own position, so a rock looks the same in every frame.
        key = np.sin(rocks["east_m"] * 12.9898 + rocks["north_m"] * 78.233) * 43758.5453
        frac = key - np.floor(key)
        at = np.stack([rocks["east_m"] - cam[0], rocks["north_m"] - cam[1], rocks["up_m"] - cam[2]], -1)
        scale = np.stack([d / 2.0, d / 2.0 * (0.7 + 0.3 * frac), hgt], -1)
        tint = np.stack([0.30 + 0.06 * frac, 0.24 + 0.04 * frac, 0.19 + 0.03 * frac], -1)
        inst = np.hstack([at, scale, 2.0 * np.pi * frac[:, None], tint]).astype("f4")
        size_px = d * self._fy / np.maximum(np.linalg.norm(at, axis=1), 1e-3)
        prog = self.d_rock if depth_only else self.p_rock
        prog["u_offset"].value = (0.0, 0.0, 0.0)
        if not depth_only:
            prog["u_emissive"].value = 0.0
            prog["u_opacity"].value = 1.0
        tri = 0
        bounds = [t[3] for t in self.rock_templates[1:]] + [np.inf]
        for (vbo, ibo, ntri, lo), hi in zip(self.rock_templates, bounds):
            sel = inst[(size_px >= lo) & (size_px < hi)]
            if not len(sel):
                continue
            ibuf = self.ctx.buffer(np.ascontiguousarray(sel).tobytes())
            vao = self.ctx.vertex_array(
                prog,
                [(vbo, "3f 3f", "in_pos", "in_normal"), (ibuf, "3f 3f 1f 3f/i", "in_at", "in_scale", "in_yaw", "in_tint")],
                index_buffer=ibo,
                skip_errors=True,
            )
            vao.render(self._mgl.TRIANGLES, instances=len(sel))
            vao.release()
            ibuf.release()
            tri += ntri * len(sel)
        return tri

    def _draw_dust(self, state, cam, R_world_cam) -> int:
        dust = state.dust
        if dust is None or len(dust["alpha"]) == 0:
            return 0
        mgl = self._mgl
        self.ctx.blend_func = (mgl.SRC_ALPHA, mgl.ONE_MINUS_SRC_ALPHA)
        # Back to front, so the alpha blending of overlapping puffs is right.
        rel = dust["position_m"] - cam
        order = np.argsort(-np.einsum("ij,ij->i", rel, rel), kind="stable")
        data = np.hstack([rel[order], dust["size_m"][order, None], dust["alpha"][order, None], dust["shade"][order, None]]).astype("f4")
        buf = self.ctx.buffer(data.tobytes())
        self.p_dust["u_offset"].value = (0.0, 0.0, 0.0)
        self.p_dust["u_right"].value = tuple(float(x) for x in R_world_cam[:, 0])
        self.p_dust["u_down"].value = tuple(float(x) for x in R_world_cam[:, 1])
        vao = self.ctx.vertex_array(self.p_dust, [(self.dust_corners, "2f", "in_corner"),
                                                  (buf, "3f 1f 1f 1f/i", "in_at", "in_size", "in_alpha", "in_shade")])
        vao.render(mgl.TRIANGLE_STRIP, instances=len(data))
        vao.release()
        buf.release()
        return len(data)

    def release(self) -> None:
        """Free every GPU resource this renderer holds (the context stays)."""
        for gpu in self._rings.values():
            gpu.release()
        self._rings.clear()
        for res in self._static_meshes.values():
            for r in res[:4]:
                r.release()
        self._static_meshes.clear()
