"""A quick look at a mesh without the GPU renderer: a shaded matplotlib 3-D view saved as PNG.

For developers checking a model (and for the models' tests); the film itself is drawn by the
moderngl renderer. matplotlib's painter's algorithm sorts whole triangles, so small overlaps can
show in the wrong order; that is acceptable for a preview.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from edlcam.cameras.models.mesh import Mesh

__all__ = ["preview_png"]

_log = logging.getLogger(__name__)


def preview_png(
    mesh: Mesh,
    path,
    *,
    elev_deg: float = 25.0,
    azim_deg: float = -60.0,
    title: str = "",
    size_px: int = 800,
    background=(0.25, 0.25, 0.3),
) -> Path:
    """Save a Lambert-shaded view of ``mesh`` seen from (elev_deg, azim_deg) to ``path``.

    Faces are shaded by a light from the viewer's upper left plus ambient; emissive meshes are
    drawn at their own colour. Axes are equal and labelled in metres.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    path = Path(path)
    tri = mesh.positions_m[mesh.indices].astype(float)
    col = mesh.colors_rgb[mesh.indices].mean(axis=1).astype(float)
    el, az = np.radians(elev_deg), np.radians(azim_deg)
    view = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])  # toward the viewer
    if mesh.emissive:
        shade = np.ones(len(tri))
    else:
        face_n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        face_n /= np.maximum(np.linalg.norm(face_n, axis=1, keepdims=True), 1e-30)
        # cull back faces as the renderer does: matplotlib sorts whole triangles by depth, and
        # far-side faces would otherwise poke through near ones
        front = face_n @ view > 0
        tri, col, face_n = tri[front], col[front], face_n[front]
        light = view + np.array([-np.sin(az), np.cos(az), 0.0]) * -0.5 + np.array([0, 0, 0.6])
        light /= np.linalg.norm(light)
        shade = 0.25 + 0.75 * np.clip(face_n @ light, 0.0, 1.0)
    # linear albedo → display sRGB, so the preview looks like the film
    rgb = np.clip(col * shade[:, None], 0.0, 1.0)
    srgb = np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * rgb ** (1 / 2.4) - 0.055)
    fig = plt.figure(figsize=(size_px / 100, size_px / 100), dpi=100, facecolor=background)
    ax = fig.add_subplot(projection="3d", facecolor=background, proj_type="ortho")
    ax.add_collection3d(Poly3DCollection(tri, facecolors=srgb, edgecolors="none", linewidths=0,
                                         antialiased=False))
    used = mesh.positions_m[np.unique(mesh.indices)] if mesh.triangle_count else np.zeros((1, 3))
    lo, hi = used.min(axis=0).astype(float), used.max(axis=0).astype(float)
    centre, half = 0.5 * (lo + hi), 0.5 * float(np.max(hi - lo)) or 1.0
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_zlim(centre[2] - half, centre[2] + half)
    ax.set_box_aspect((1, 1, 1))
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_pane_color((0, 0, 0, 0))
    ax.view_init(elev=elev_deg, azim=azim_deg)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_zlabel("z [m]")
    ax.set_title(title or f"{mesh.triangle_count} triangles", color="white")
    fig.savefig(path, facecolor=background)
    plt.close(fig)
    _log.info("wrote preview %s (%d triangles)", path, mesh.triangle_count)
    return path
