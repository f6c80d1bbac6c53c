"""Cast shadows of the terrain on itself: the Sun's visible fraction over a heightfield.

The renderer's shadow map covers the hardware around a camera; the ground's own relief (the
delta scarp, crater walls, ridges) casts no shadow there, yet the real LCAM frames show those
shadows black (benchmarks/RESULTS.md, realism). Each terrain ring's heights are known when its
textures are built, so the Sun's visibility is baked beside its normals: for every texel, the
terrain's rise above the ray toward the Sun (a horizon map in the Sun's direction: Max 1988,
"Horizon mapping: shadows for bump-mapped surfaces", The Visual Computer 4:109), for rays
toward SUN_RAYS heights across the disc (radius 0.175° from Mars): the fraction of them that pass
is the disc's visible fraction. The running maximum along the Sun's azimuth is built by
doubling (log2 of the shadow's length in texels shifted reads, no node skipped); hand-written
because OpenCV and scikit-image have no horizon map. Shading
reads it with the texel's normal, so the render pays one texture channel and nothing per step.

The Sun's direction is quantised (``SUN_STEP_DEG``) before baking, so a frame's shadows depend
only on its own time: frames are bit-identical whichever frames a process rendered before.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SUN_STEP_DEG", "SUN_RADIUS_RAD", "SUN_RAYS", "quantised_sun", "sun_visibility"]

SUN_STEP_DEG = 0.5  # the Sun moves ≈ 0.25° a minute; half a degree moves a shadow's tip by ≈ 2 % at the landing's 40° elevation
SUN_RADIUS_RAD = math.radians(0.35 / 2.0)  # angular radius of the Sun from Mars (0.53° at 1 AU / 1.52 AU)
SUN_RAYS = 4  # rays across the disc: the penumbra in quarters (the texture's mipmaps smooth it further)


def quantised_sun(sun_enu) -> tuple[tuple[int, int], np.ndarray]:
    """(key, unit vector): the Sun's azimuth and elevation rounded to SUN_STEP_DEG, and its direction."""
    s = np.asarray(sun_enu, dtype=float)
    s = s / np.linalg.norm(s)
    az = math.degrees(math.atan2(s[0], s[1]))
    el = math.degrees(math.asin(float(np.clip(s[2], -1.0, 1.0))))
    key = (int(round(az / SUN_STEP_DEG)), int(round(el / SUN_STEP_DEG)))
    a, e = math.radians(key[0] * SUN_STEP_DEG), math.radians(key[1] * SUN_STEP_DEG)
    return key, np.array([math.cos(e) * math.sin(a), math.cos(e) * math.cos(a), math.sin(e)])


def _margin(h: np.ndarray, mx: np.ndarray, my: np.ndarray, du: float, dv: float, drop: float, reach: int) -> np.ndarray:
    """Height [m] by which the terrain toward the Sun rises above the ray leaving each node (> 0: hidden).

    S_n(x) = max over 0 ≤ j < n of h(x + j·u) − j·drop is built by doubling, S_2n(x) =
    max(S_n(x), S_n(x + n·u) − n·drop), so every node on the line is taken into account with
    log2(reach) shifted reads (a one-node-thin wall is not stepped over); the ray from x meets
    max over j ≥ 1 = S(x + u) − drop. u: one grid step toward the Sun, ``drop``: the ray's rise per step.
    """
    import cv2

    def shifted(a, n):
        return cv2.remap(a, mx + np.float32(n * du), my + np.float32(n * dv), interpolation=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=-1e9)

    s = h
    n = 1
    while n < reach:
        s = np.maximum(s, shifted(s, n) - np.float32(n * drop))
        n *= 2
    return shifted(s, 1) - np.float32(drop) - h


def sun_visibility(up_m: np.ndarray, spacing_m: float, sun_enu) -> np.ndarray:
    """Visible fraction (0..1, float32) of the Sun's disc at each node of a heightfield.

    ``up_m``: heights (rows north ascending, columns east ascending) on a square grid of
    ``spacing_m``; ``sun_enu``: unit vector toward the Sun. Terrain beyond the grid's edge casts
    nothing (the next, coarser ring holds it). A Sun below the horizon gives 0 everywhere. The
    disc is sampled by SUN_RAYS rays at evenly spaced heights across it (bands of equal height:
    a linear limb, est.), each seen or hidden.
    """
    h = np.ascontiguousarray(up_m, dtype=np.float32)
    s = np.asarray(sun_enu, dtype=float)
    s = s / np.linalg.norm(s)
    horiz = math.hypot(s[0], s[1])
    el = math.atan2(s[2], horiz)
    if el <= -SUN_RADIUS_RAD:
        return np.zeros(h.shape, np.float32)
    if horiz < 1e-9:
        return np.ones(h.shape, np.float32)
    du, dv = s[0] / horiz, s[1] / horiz  # one grid step toward the Sun: columns east, rows north
    step_m = spacing_m  # |u| = 1 node
    relief = float(h.max() - h.min())
    ny, nx = h.shape
    mx, my = np.meshgrid(np.arange(nx, dtype=np.float32), np.arange(ny, dtype=np.float32))
    seen = np.zeros(h.shape, np.float32)
    for k in range(SUN_RAYS):
        ray = el + SUN_RADIUS_RAD * (2.0 * (k + 0.5) / SUN_RAYS - 1.0)
        tan_r = math.tan(max(ray, 1e-3))
        # Beyond relief / tan(ray) nothing rises above the ray; at most across the grid.
        reach = int(min(math.ceil(relief / (tan_r * step_m)) + 1, 2 * max(nx, ny)))
        seen += _margin(h, mx, my, du, dv, step_m * tan_r, reach) <= 0.0
    frac = seen / np.float32(SUN_RAYS)
    return np.clip(frac, 0.0, 1.0).astype(np.float32)
