"""Triangle meshes and the few primitives the hardware models are built from.

A :class:`Mesh` is what the renderer uploads: per-vertex positions, unit normals and linear
albedo, and counter-clockwise triangles. The primitives here (surfaces of revolution, boxes,
struts) are written by hand with numpy because no maintained library on our list builds
coloured, per-vertex-normal meshes without a heavy dependency (trimesh/open3d are not in the
lock, and bpy was rejected in DESIGN.md); each is a few lines of geometry.

Every builder emits quads with their own four vertices (no sharing between quads) so that a
colour can change sharply from one quad to the next (PICA tiles, parachute gores) without
bleeding; the winding of every triangle is then fixed to agree with the normals it was given,
which makes "counter-clockwise seen from outside" hold by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Mesh",
    "box",
    "grid_mesh",
    "lathe",
    "rotation_about",
    "rotation_from_z",
    "sphere",
    "strut",
    "struts",
    "two_sided",
]

_EPS_AREA_M2 = 1e-12  # triangles below this area carry no pixels and no defined normal


@dataclass(frozen=True, eq=False)
class Mesh:
    """An immutable, renderable triangle mesh in one body frame (SI metres).

    Arrays are converted on construction (float32 / uint32) and made read-only, so a mesh can
    be cached and shared between frames and threads.
    """

    positions_m: np.ndarray  # (V,3) float32, in the body frame
    normals: np.ndarray  # (V,3) float32, unit
    colors_rgb: np.ndarray  # (V,3) float32, linear 0..1 albedo
    indices: np.ndarray  # (T,3) uint32 triangles, counter-clockwise seen from outside
    emissive: bool = False  # True: drawn unlit and additively (engine plumes, glow)
    opacity: float = 1.0  # < 1: drawn blended (plumes, dust-like effects)
    # (V,) float32 in [0, 1], None = 0: a thin sheet's diffuse transmission per unit albedo. The
    # side turned from the Sun shows albedo × translucency × the sunlight on the other side, so
    # sunlit fabric glows through (the parachute's gores seen by the up-look cameras).
    translucency: np.ndarray | None = None

    def __post_init__(self) -> None:
        pos = np.ascontiguousarray(self.positions_m, dtype=np.float32).reshape(-1, 3)
        nrm = np.ascontiguousarray(self.normals, dtype=np.float32).reshape(-1, 3)
        col = np.ascontiguousarray(self.colors_rgb, dtype=np.float32).reshape(-1, 3)
        idx = np.ascontiguousarray(self.indices, dtype=np.uint32).reshape(-1, 3)
        if not (len(pos) == len(nrm) == len(col)):
            raise ValueError(
                f"positions_m, normals and colors_rgb need one row per vertex; got {len(pos)}, {len(nrm)}, {len(col)}"
            )
        if idx.size and int(idx.max()) >= len(pos):
            raise ValueError(f"indices reach vertex {int(idx.max())} but the mesh has {len(pos)} vertices")
        if not 0.0 < self.opacity <= 1.0:
            raise ValueError(f"opacity is {self.opacity}; it must lie in (0, 1]")
        tr = np.zeros(len(pos), np.float32) if self.translucency is None else np.ascontiguousarray(
            np.broadcast_to(np.asarray(self.translucency, dtype=np.float32), (len(pos),)))
        if tr.size and not (np.all(tr >= 0.0) and np.all(tr <= 1.0)):
            raise ValueError(f"translucency spans {tr.min()}..{tr.max()}; it must lie in [0, 1]")
        for name, arr in (("positions_m", pos), ("normals", nrm), ("colors_rgb", col), ("indices", idx),
                          ("translucency", tr)):
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def vertex_count(self) -> int:
        """Number of vertices V."""
        return len(self.positions_m)

    @property
    def triangle_count(self) -> int:
        """Number of triangles T."""
        return len(self.indices)

    def bounds_m(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounding box (min corner, max corner) [m]."""
        if not self.vertex_count:
            return np.zeros(3), np.zeros(3)
        return self.positions_m.min(axis=0).astype(float), self.positions_m.max(axis=0).astype(float)

    def transformed(self, rotation: np.ndarray, translation_m=(0.0, 0.0, 0.0)) -> "Mesh":
        """The mesh rotated by ``rotation`` (3×3, applied to column vectors), then translated [m]."""
        rot = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
        shift = np.asarray(translation_m, dtype=np.float64).reshape(3)
        pos = self.positions_m.astype(np.float64) @ rot.T + shift
        nrm = self.normals.astype(np.float64) @ rot.T
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-30)
        indices = self.indices
        if np.linalg.det(rot) < 0:  # a mirror turns counter-clockwise into clockwise
            indices = indices[:, ::-1]
        return Mesh(pos, nrm, self.colors_rgb, indices, self.emissive, self.opacity, self.translucency)

    @staticmethod
    def merge(meshes: Iterable["Mesh"]) -> "Mesh":
        """One mesh holding all of ``meshes`` (same ``emissive`` and ``opacity`` required)."""
        parts = list(meshes)
        if not parts:
            raise ValueError("Mesh.merge needs at least one mesh")
        looks = {(m.emissive, m.opacity) for m in parts}
        if len(looks) > 1:
            raise ValueError(
                f"Mesh.merge got meshes drawn differently (emissive, opacity) = {sorted(looks)}; "
                "merge only meshes drawn the same way"
            )
        offsets = np.cumsum([0] + [m.vertex_count for m in parts[:-1]])
        return Mesh(
            np.concatenate([m.positions_m for m in parts]),
            np.concatenate([m.normals for m in parts]),
            np.concatenate([m.colors_rgb for m in parts]),
            np.concatenate([m.indices.astype(np.int64) + off for m, off in zip(parts, offsets)]),
            parts[0].emissive,
            parts[0].opacity,
            np.concatenate([m.translucency for m in parts]),
        )

    @staticmethod
    def empty(*, emissive: bool = False, opacity: float = 1.0) -> "Mesh":
        """A mesh with no vertices (e.g. plumes of engines that are off)."""
        z = np.zeros((0, 3))
        return Mesh(z, z, z, np.zeros((0, 3)), emissive, opacity)


# --------------------------------------------------------------------------------------- rotations


def rotation_about(axis, angle_rad: float) -> np.ndarray:
    """Rotation matrix [3×3] by ``angle_rad`` about ``axis`` (right hand; Rodrigues' formula)."""
    k = np.asarray(axis, dtype=float)
    k = k / np.linalg.norm(k)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle_rad) * kx + (1 - np.cos(angle_rad)) * (kx @ kx)


def rotation_from_z(direction) -> np.ndarray:
    """A rotation [3×3] taking +z onto ``direction`` (the shortest such rotation)."""
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    c = float(d[2])
    if c > 1 - 1e-12:
        return np.eye(3)
    if c < -1 + 1e-12:
        return np.diag([1.0, -1.0, -1.0])
    axis = np.cross([0.0, 0.0, 1.0], d)
    return rotation_about(axis, np.arccos(np.clip(c, -1, 1)))


# ------------------------------------------------------------------------------------ builders


def grid_mesh(points_m: np.ndarray, normals: np.ndarray, quad_colors: np.ndarray) -> Mesh:
    """A mesh from a (P,Q) grid of points with per-point normals and per-quad colours.

    ``points_m`` (P,Q,3), ``normals`` (P,Q,3) (need not be unit), ``quad_colors``
    (P-1,Q-1,3). Each quad gets its own four vertices; each triangle's winding is set
    counter-clockwise as seen from the side its vertex normals point to; triangles without
    area are dropped.
    """
    pts = np.asarray(points_m, dtype=np.float64)
    nrm = np.asarray(normals, dtype=np.float64)
    col = np.asarray(quad_colors, dtype=np.float64)
    p, q = pts.shape[:2]
    if p < 2 or q < 2:
        return Mesh.empty()
    col = np.broadcast_to(col, (p - 1, q - 1, 3))
    corners = [(slice(0, -1), slice(0, -1)), (slice(1, None), slice(0, -1)),
               (slice(1, None), slice(1, None)), (slice(0, -1), slice(1, None))]
    quad_pts = np.stack([pts[a, b] for a, b in corners], axis=2).reshape(-1, 4, 3)
    quad_nrm = np.stack([nrm[a, b] for a, b in corners], axis=2).reshape(-1, 4, 3)
    n_quads = quad_pts.shape[0]
    positions = quad_pts.reshape(-1, 3)
    vnormals = quad_nrm.reshape(-1, 3)
    vnormals = vnormals / np.maximum(np.linalg.norm(vnormals, axis=1, keepdims=True), 1e-30)
    colors = np.repeat(col.reshape(-1, 3), 4, axis=0)
    base = 4 * np.arange(n_quads)[:, None]
    tris = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]])
    return _oriented(positions, vnormals, colors, tris)


def _oriented(positions, normals, colors, tris, *, emissive=False, opacity=1.0) -> Mesh:
    """Drop area-less triangles and wind the rest to agree with their vertex normals."""
    a, b, c = (positions[tris[:, k]] for k in range(3))
    face = np.cross(b - a, c - a)
    area2 = np.linalg.norm(face, axis=1)
    keep = area2 > 2 * _EPS_AREA_M2
    tris, face = tris[keep], face[keep]
    wanted = normals[tris].sum(axis=1)
    flip = np.einsum("ij,ij->i", face, wanted) < 0
    tris = tris.copy()
    tris[flip] = tris[flip][:, ::-1]
    return Mesh(positions, normals, colors, tris, emissive, opacity)


def lathe(
    profile_rz,
    *,
    n_around: int,
    color=(0.8, 0.8, 0.8),
    smooth: bool = True,
    phi_start_rad: float = 0.0,
    phi_span_rad: float = 2 * np.pi,
    max_step_m: float | None = None,
) -> Mesh:
    """A surface of revolution about +z from a (P,2) profile of (radius [m], z [m]) points.

    Walk the profile with the outside on the right (e.g. bottom pole → equator → top pole for
    a sphere): the normal of a profile segment (dr, dz) is (dz, −dr). ``smooth`` averages
    normals at interior profile points (else each segment is flat in the profile direction).
    ``color`` is one RGB triple, a (P-1,3) array per profile segment, or a callable
    ``(segment_index (P-1,1), phi_mid_rad (1,Q)) -> (P-1,Q,3)``. ``max_step_m`` splits long
    profile segments (long thin triangles light badly per vertex and sort badly in previews);
    per-segment colours then apply to each piece of their segment.
    """
    prof = np.asarray(profile_rz, dtype=np.float64)
    if max_step_m is not None:
        prof, owner = _densify(prof, max_step_m)
        if callable(color):
            inner_color = color
            color = lambda i, phi: inner_color(owner[i[:, 0]][:, None], phi)  # noqa: E731
        elif np.ndim(color) == 2:
            color = np.asarray(color, dtype=float)[owner]
    r, z = prof[:, 0], prof[:, 1]
    seg = np.diff(prof, axis=0)
    seg_n = np.stack([seg[:, 1], -seg[:, 0]], axis=1)
    seg_n /= np.maximum(np.linalg.norm(seg_n, axis=1, keepdims=True), 1e-30)
    phi = phi_start_rad + np.linspace(0.0, phi_span_rad, n_around + 1)
    cos, sin = np.cos(phi)[None, :], np.sin(phi)[None, :]
    phi_mid = 0.5 * (phi[:-1] + phi[1:])
    if callable(color):
        quad_col = np.asarray(color(np.arange(len(seg))[:, None], phi_mid[None, :]), dtype=float)
    else:
        c = np.asarray(color, dtype=float)
        quad_col = c[:, None, :] if c.ndim == 2 else c[None, None, :]
    quad_col = np.broadcast_to(quad_col, (len(seg), n_around, 3))
    if smooth:
        vn = np.zeros_like(prof)
        vn[:-1] += seg_n
        vn[1:] += seg_n
        for end in (0, -1):  # a pole's normal is the axis, whatever the adjoining segment's slope
            if r[end] == 0.0:
                vn[end] = (0.0, np.sign(vn[end, 1]) or 1.0)
        vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-30)
        shape = (len(r), len(phi))
        pts = np.stack([r[:, None] * cos, r[:, None] * sin, np.broadcast_to(z[:, None], shape)], -1)
        nrm = np.stack([vn[:, :1] * cos, vn[:, :1] * sin, np.broadcast_to(vn[:, 1:], shape)], -1)
        return grid_mesh(pts, nrm, quad_col)
    parts = []
    for i in range(len(seg)):
        rr, zz = r[i : i + 2, None], z[i : i + 2, None]
        pts = np.stack([rr * cos, rr * sin, np.broadcast_to(zz, (2, len(phi)))], -1)
        nrm = np.stack(
            [seg_n[i, 0] * np.broadcast_to(cos, (2, len(phi))), seg_n[i, 0] * np.broadcast_to(sin, (2, len(phi))),
             np.full((2, len(phi)), seg_n[i, 1])], -1)
        parts.append(grid_mesh(pts, nrm, quad_col[i : i + 1]))
    return Mesh.merge(parts)


def _densify(prof: np.ndarray, max_step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Split each profile segment into equal pieces no longer than ``max_step_m``.

    Returns the new profile and, per new segment, the index of the segment it came from.
    """
    pts, owner = [prof[:1]], []
    for i in range(len(prof) - 1):
        n = max(1, int(np.ceil(np.linalg.norm(prof[i + 1] - prof[i]) / max_step_m)))
        f = np.linspace(0.0, 1.0, n + 1)[1:, None]
        pts.append(prof[i] + f * (prof[i + 1] - prof[i]))
        owner.extend([i] * n)
    return np.vstack(pts), np.asarray(owner)


def sphere(radius_m: float, center_m=(0.0, 0.0, 0.0), *, color=(0.8, 0.8, 0.8), n_lat: int = 10,
           n_around: int = 16) -> Mesh:
    """A UV sphere [m]."""
    theta = np.linspace(-np.pi / 2, np.pi / 2, n_lat + 1)
    prof = np.stack([radius_m * np.cos(theta), radius_m * np.sin(theta)], axis=1)
    prof[[0, -1], 0] = 0.0
    return lathe(prof, n_around=n_around, color=color).transformed(np.eye(3), center_m)


def box(size_m, center_m=(0.0, 0.0, 0.0), *, color=(0.8, 0.8, 0.8), rotation=None) -> Mesh:
    """A rectangular box of edge lengths ``size_m`` (x, y, z) [m], flat-shaded."""
    half = 0.5 * np.asarray(size_m, dtype=float)
    pos, nrm = [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u, v = [k for k in range(3) if k != axis]
            quad = np.zeros((4, 3))
            quad[:, axis] = sign * half[axis]
            quad[:, u] = [-half[u], half[u], half[u], -half[u]]
            quad[:, v] = [-half[v], -half[v], half[v], half[v]]
            pos.append(quad)
            nrm.append(np.tile(n, (4, 1)))
    positions = np.concatenate(pos)
    base = 4 * np.arange(6)[:, None]
    tris = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]])
    colors = np.tile(np.asarray(color, dtype=float), (24, 1))
    mesh = _oriented(positions, np.concatenate(nrm), colors, tris)
    return mesh.transformed(np.eye(3) if rotation is None else rotation, center_m)


def strut(p0_m, p1_m, radius_m: float, *, color=(0.7, 0.7, 0.72), n_sides: int = 8, caps: bool = True) -> Mesh:
    """A closed prism (cylinder) of ``n_sides`` faces from point ``p0_m`` to ``p1_m`` [m]."""
    return struts(np.reshape(p0_m, (1, 3)), np.reshape(p1_m, (1, 3)), radius_m, color=color, n_sides=n_sides, caps=caps)


def struts(p0_m: np.ndarray, p1_m: np.ndarray, radius_m: float, *, color=(0.7, 0.7, 0.72), n_sides: int = 8,
           caps: bool = True) -> Mesh:
    """N prisms at once, from ``p0_m[i]`` to ``p1_m[i]`` (N,3) [m]; zero-length ones are skipped.

    Sides are shaded smooth around (normals radial at the corners), caps flat. Built as one
    array operation: the parachute's 160 lines and tapes are rebuilt every frame.
    """
    p0, p1 = np.asarray(p0_m, dtype=float).reshape(-1, 3), np.asarray(p1_m, dtype=float).reshape(-1, 3)
    axis = p1 - p0
    length = np.linalg.norm(axis, axis=1)
    keep = length > 1e-9
    p0, axis, length = p0[keep], axis[keep], length[keep]
    if not len(p0):
        return Mesh.empty()
    w = axis / length[:, None]
    helper = np.where(np.abs(w[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    u = np.cross(helper, w)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v = np.cross(w, u)
    a = 2 * np.pi * np.arange(n_sides + 1) / n_sides
    ring = np.stack([np.cos(a), np.sin(a)], axis=1)  # (n+1, 2)
    k = np.arange(n_sides)
    # template vertices: (local x, local y, along-axis fraction, normal x, normal y, normal z)
    side_v = np.concatenate([
        np.column_stack([ring[k], np.zeros(n_sides), ring[k], np.zeros(n_sides)]),
        np.column_stack([ring[k + 1], np.zeros(n_sides), ring[k + 1], np.zeros(n_sides)]),
        np.column_stack([ring[k + 1], np.ones(n_sides), ring[k + 1], np.zeros(n_sides)]),
        np.column_stack([ring[k], np.ones(n_sides), ring[k], np.zeros(n_sides)]),
    ])
    q = np.arange(n_sides)
    tris = [np.column_stack([q, q + n_sides, q + 2 * n_sides]), np.column_stack([q, q + 2 * n_sides, q + 3 * n_sides])]
    verts = [side_v]
    if caps:
        for end, nz in ((0.0, -1.0), (1.0, 1.0)):
            base = sum(len(t) for t in verts)
            centre = np.array([[0.0, 0.0, end, 0.0, 0.0, nz]])
            rim = np.column_stack([ring[:-1], np.full(n_sides, end), np.zeros((n_sides, 2)), np.full(n_sides, nz)])
            verts.append(np.vstack([centre, rim]))
            tris.append(np.column_stack([np.full(n_sides, base), base + 1 + q, base + 1 + (q + 1) % n_sides]))
    tv = np.vstack(verts)
    tt = np.vstack(tris)
    n_strut, n_v = len(p0), len(tv)
    frames = np.stack([u, v, w], axis=1)  # (N, 3 axes, 3)
    local = np.column_stack([radius_m * tv[:, 0], radius_m * tv[:, 1], np.zeros(n_v)])
    positions = p0[:, None, :] + np.einsum("vk,nkj->nvj", local, frames) + tv[None, :, 2:3] * axis[:, None, :]
    normals = np.einsum("vk,nkj->nvj", tv[:, 3:6], frames)
    tris_all = (tt[None, :, :] + n_v * np.arange(n_strut)[:, None, None]).reshape(-1, 3)
    colors = np.broadcast_to(np.asarray(color, dtype=float), (n_strut * n_v, 3))
    return _oriented(positions.reshape(-1, 3), normals.reshape(-1, 3), colors, tris_all)


def two_sided(mesh: Mesh, *, thickness_m: float, back_color: Callable | np.ndarray | None = None) -> Mesh:
    """A sheet seen from both sides: ``mesh`` plus its reverse, shifted ``thickness_m`` inward.

    The renderer may cull back faces, so cloth (parachute) gets a real inner face.
    """
    colors = mesh.colors_rgb
    if back_color is not None:
        colors = np.broadcast_to(np.asarray(back_color, dtype=float), mesh.colors_rgb.shape)
    back = Mesh(
        mesh.positions_m - thickness_m * mesh.normals,
        -mesh.normals,
        colors,
        mesh.indices[:, ::-1],
        mesh.emissive,
        mesh.opacity,
        mesh.translucency,
    )
    return Mesh.merge([mesh, back])
