"""CPU-side geometry the renderer uploads: the boulder template and the terrain rings' grids.

Split from :mod:`edlcam.cameras.renderer` (the passes) by concept; pure numpy apart from
:class:`TerrainRingGPU`, which only holds the moderngl objects of one ring.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TerrainRingGPU", "icosphere", "north_east_order", "stitch_edges"]


def icosphere(seed: int = 7, *, subdivisions: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lumpy unit-radius icosphere (20·4^subdivisions faces): positions, normals, faces — the boulder template."""
    t = (1.0 + 5**0.5) / 2.0
    v = np.array([[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
                  [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]], float)
    f = [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6],
         [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10],
         [8, 6, 7], [9, 8, 1]]
    verts = [x / np.linalg.norm(x) for x in v]
    cache: dict[tuple[int, int], int] = {}

    def mid(a, b):
        key = (min(a, b), max(a, b))
        if key not in cache:
            m = verts[a] + verts[b]
            verts.append(m / np.linalg.norm(m))
            cache[key] = len(verts) - 1
        return cache[key]

    faces = [list(x) for x in f]
    for _ in range(subdivisions):
        finer = []
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            finer += [[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]
        faces = finer
    p = np.array(verts)
    p *= (0.8 + 0.35 * np.random.default_rng(seed).random(len(p)))[:, None]
    p[:, 2] = np.maximum(p[:, 2], -0.3)  # a flat-ish base, as rocks sit half buried
    faces = np.array(faces, np.uint32)
    tri = p[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n = np.zeros_like(p)
    for k in range(3):
        np.add.at(n, faces[:, k], fn)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return p, n, faces



class TerrainRingGPU:
    def __init__(self, vbo, vao_by_hole, tex_albedo, tex_normals, samples):
        self.vbo, self.vao_by_hole, self.tex_albedo, self.tex_normals, self.samples = vbo, vao_by_hole, tex_albedo, tex_normals, samples

    def release(self):
        for vaos, ibo in self.vao_by_hole.values():
            for vao in vaos:
                vao.release()
            ibo.release()
        self.vbo.release()
        self.tex_albedo.release()
        self.tex_normals.release()



def north_east_order(east, north, up, rgb):
    """Reorder heightmap grids to axis 0 = north ascending, axis 1 = east ascending."""
    if east.ndim == 1:  # 1-D axes given
        east, north = np.meshgrid(east, north)
    if abs(east[0, -1] - east[0, 0]) < abs(east[-1, 0] - east[0, 0]):  # east varies along axis 0: transpose
        east, north, up = east.T, north.T, up.T
        rgb = np.swapaxes(rgb, 0, 1)
    if east[0, -1] < east[0, 0]:
        east, north, up, rgb = east[:, ::-1], north[:, ::-1], up[:, ::-1], rgb[:, ::-1]
    if north[-1, 0] < north[0, 0]:
        east, north, up, rgb = east[::-1], north[::-1], up[::-1], rgb[::-1]
    return east, north, up, rgb


def stitch_edges(up: np.ndarray) -> None:
    """Set odd edge vertices to the mean of their even neighbours, so a ring's edge matches the
    coarser ring around it (which only has the even ones) and leaves no cracks."""
    for edge in (up[0, :], up[-1, :], up[:, 0], up[:, -1]):
        edge[1:-1:2] = 0.5 * (edge[0:-2:2] + edge[2::2])
