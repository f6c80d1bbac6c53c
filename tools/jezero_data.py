"""Build the compact Jezero landing-site data shipped in src/edlcam/data/jezero/ from PercyMAP's files.

Run once, by hand, when the source changes (nothing runs it at run time):

    .venv/bin/python tools/jezero_data.py /work/shared/data/jezero src/edlcam/data/jezero

Source (CC BY 4.0): PercyMAP by Andreas Plesch (github.com/andreasplesch/Mars2020, docs/3dmap),
from the HiRISE DTM and orthomosaic (NASA/JPL/University of Arizona) and the Mars 2020 EDL
descent imagery (NASA/JPL-Caltech). What it writes, and why each step:

* ``dtm.npz`` — the 452 × 452 heights of ``M20_elevationgridA.x3d`` (0.01 m steps in the file) as
  uint16 centimetres above ``offset_m``, exactly, with the georeference: PercyMAP's corner (easting,
  northing on the Mars 2000 sphere, equirectangular, standard parallel 0), the spacings, and the
  convention measured here: node (i, j) is the centre of cell (i, j), the orthomosaic covering the
  same 452 cells edge to edge (its burned-in ticks put its edges within 0.4 m of the cells').
* the map's burned-in marks inside the imagery — graticule crosses, latitude labels, the ring round
  the rover — inpainted (OpenCV, Telea) in both the grey and the colour.
* ``ortho.jpg`` — the grey 25 cm HiRISE mosaic resampled (area average) to 4 pixels per DTM cell
  (1808², ≈ 0.24 m east × 0.25 m north), its frame and the scale bar and longitude labels along
  the bottom cropped off (``valid_px`` in dtm.npz is the box that holds imagery), and the part of its
  brightness that the DTM's own 1 m relief explains under the HiRISE Sun removed (a least-squares
  fit of brightness against a hillshade; the renderer shades the relief itself).
* ``colour.jpg`` — the ≈ 10 cm colour patch of the descent imagery laid over the touchdown area,
  cropped to its bounding box at the map's full resolution (its top-left ``colour_origin_px`` in
  dtm.npz), and ``colour_alpha.png``, its weight: the patch (where red exceeds blue) less its
  outline's pixels, feathered.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

N = 452  # DTM nodes per side
MAP_PX = 4096  # orthomosaic side [px]
ORTHO_PER_CELL = 4  # shipped ortho pixels per DTM cell
# Burned-in marks of Lookdown_Map_aligned_4k.jpg, measured on the image (see the module docstring of
# edlcam.mars.hirise for the georeference they confirm): the neatline's segment boundaries every
# 0.001° (x for 77.447…77.454° E, y for 18.448…18.442° N), where the graticule crosses are (± a few px).
TICK_X_PX = (52.5, 583.5, 1126.5, 1657.5, 2200.5, 2732.5, 3275.5, 3806.5)
TICK_Y_PX = (352.5, 883.5, 1426.5, 1957.5, 2499.5, 3030.5, 3573.5)
IMAGERY_PX = (25, 37, 4070, 3730)  # x0, y0, x1, y1: inside the frame, north of the scale bar and labels
LABEL_X1_PX = 480  # latitude labels sit left of this, ±40 px about each tick row
# The thin ring drawn round the rover in the colour patch: centre x, y and radius [px], measured
# (77.450866° E, 18.444665° N by the ticks: 4.3 m from the published landed point).
ROVER_RING_PX = (2126, 2143, 54)
HISHADE_AZ_DEG, HISHADE_EL_DEG = 280.0, 60.0  # HiRISE Sun fitted against the DTM (best correlation)


def read_x3d(path: Path) -> tuple[np.ndarray, float, float]:
    """Heights (rows north → south, columns west → east) and x, z spacings of an X3D ElevationGrid."""
    text = path.read_text()
    heights = np.array(re.search(r"height='([^']*)'", text).group(1).split(), dtype=float)
    dx = float(re.search(r"xSpacing='([^']*)'", text).group(1))
    dz = float(re.search(r"zSpacing='([^']*)'", text).group(1))
    return heights.reshape(N, N), dx, dz


def hillshade(h: np.ndarray, az_deg: float, el_deg: float) -> np.ndarray:
    """Lambert shading of a grid whose rows run south (cells ≈ 1 m) under a Sun at azimuth/elevation."""
    gy, gx = np.gradient(h)  # gy: change per row (southward)
    az, el = np.radians(az_deg), np.radians(el_deg)
    sun = np.array([np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)])
    return (-gx * sun[0] + gy * sun[1] + sun[2]) / np.sqrt(gx * gx + gy * gy + 1.0)


def marks_mask(grey: np.ndarray) -> np.ndarray:
    """1 on the map's burned-in marks inside the imagery: graticule crosses, latitude labels and
    the ring drawn round the rover's landed position."""
    mask = np.zeros(grey.shape, np.uint8)
    g = grey.astype(float)
    for x in TICK_X_PX:
        for y in TICK_Y_PX:
            # The cross's lines lie within a few px of the tick: take the darkest row and column
            # (relative to their neighbours 3 px away) along its ±20 px arms.
            x0, y0 = int(x), int(y)
            rows = np.arange(y0 - 10, y0 + 11)
            cols = np.arange(x0 - 10, x0 + 11)
            row_dark = [np.mean(g[r, x0 - 20 : x0 + 21] - 0.5 * (g[r - 3, x0 - 20 : x0 + 21] + g[r + 3, x0 - 20 : x0 + 21])) for r in rows]
            col_dark = [np.mean(g[y0 - 20 : y0 + 21, c] - 0.5 * (g[y0 - 20 : y0 + 21, c - 3] + g[y0 - 20 : y0 + 21, c + 3])) for c in cols]
            cy, cx = int(rows[int(np.argmin(row_dark))]), int(cols[int(np.argmin(col_dark))])
            mask[cy - 3 : cy + 4, cx - 27 : cx + 28] = 1
            mask[cy - 27 : cy + 28, cx - 3 : cx + 4] = 1
    for y in TICK_Y_PX:  # white label text, its dark outline and the label's tick stroke
        y0, y1 = int(y) - 42, int(y) + 42
        zone = grey[y0:y1, :LABEL_X1_PX]
        text = ((zone > 200) | (zone < 35)).astype(np.uint8)
        text[int(y) - y0 - 3 : int(y) - y0 + 4, :] |= 1
        mask[y0:y1, :LABEL_X1_PX] |= cv2.dilate(text, np.ones((7, 7), np.uint8))
    cv2.circle(mask, ROVER_RING_PX[:2], ROVER_RING_PX[2], 1, thickness=9)
    return mask


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    h, dx, dz = read_x3d(args.source / "M20_elevationgridA.x3d")
    offset_m = float(np.floor(h.min()))
    height_cm = np.round((h - offset_m) * 100.0).astype(np.uint16)
    assert np.array_equal(height_cm / 100.0 + offset_m, np.round(h, 2)), "heights are not on 1 cm steps"

    rgb = np.asarray(Image.open(args.source / "Lookdown_Map_aligned_4k.jpg").convert("RGB"))
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    mask = marks_mask(grey)

    # The colour patch: where red exceeds blue by more than 12 DN (the HiRISE mosaic is grey).
    chroma = (rgb[..., 0].astype(int) - rgb[..., 2].astype(int) > 12).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(chroma)
    patch = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    patch = cv2.morphologyEx(patch, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    # Its outline is drawn lighter than both sides: inpainted in the grey too.
    outline = cv2.dilate(patch, np.ones((9, 9), np.uint8)) - cv2.erode(patch, np.ones((9, 9), np.uint8))
    grey = cv2.inpaint(grey, mask | outline, 6, cv2.INPAINT_TELEA)
    contour = max(cv2.findContours(patch, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0], key=cv2.contourArea)
    x0, y0, w, h_px = cv2.boundingRect(contour)
    x1, y1 = x0 + w, y0 + h_px
    crop = cv2.inpaint(np.ascontiguousarray(rgb[y0:y1, x0:x1]), mask[y0:y1, x0:x1], 6, cv2.INPAINT_TELEA)
    Image.fromarray(crop).save(args.out / "colour.jpg", quality=90, optimize=True)
    # Its weight: the patch less the 12 px (≈ 1.3 m) of its outline that mix it with the grey map,
    # feathered over ≈ 2 m (Gaussian, σ = 8 px).
    alpha = cv2.erode(patch[y0:y1, x0:x1], np.ones((25, 25), np.uint8)).astype(np.float32)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 8.0) * cv2.erode(patch[y0:y1, x0:x1], np.ones((5, 5), np.uint8))
    Image.fromarray(np.round(alpha * 255.0).astype(np.uint8)).save(args.out / "colour_alpha.png", optimize=True)

    # Grey ortho on 4 px per DTM cell; remove the shading the DTM explains.
    side = N * ORTHO_PER_CELL
    ortho = cv2.resize(grey.astype(np.float32), (side, side), interpolation=cv2.INTER_AREA)
    shade = hillshade(h, HISHADE_AZ_DEG, HISHADE_EL_DEG).astype(np.float32)
    shade_up = cv2.resize(shade, (side, side), interpolation=cv2.INTER_LINEAR)
    scale = side / MAP_PX
    vx0, vy0, vx1, vy1 = (int(np.ceil(IMAGERY_PX[0] * scale)), int(np.ceil(IMAGERY_PX[1] * scale)),
                          int(np.floor(IMAGERY_PX[2] * scale)), int(np.floor(IMAGERY_PX[3] * scale)))  # fmt: skip
    valid = (slice(vy0, vy1), slice(vx0, vx1))
    s, o = shade_up[valid].ravel(), ortho[valid].ravel()
    slope = float(np.cov(s, o)[0, 1] / np.var(s))
    ortho = ortho - slope * (shade_up - float(s.mean()))
    ortho[:vy0], ortho[vy1:], ortho[:, :vx0], ortho[:, vx1:] = 0, 0, 0, 0  # outside the imagery: no data
    Image.fromarray(np.clip(np.round(ortho), 0, 255).astype(np.uint8)).save(args.out / "ortho.jpg", quality=90, optimize=True)

    np.savez_compressed(
        args.out / "dtm.npz",
        height_cm=height_cm,
        offset_m=offset_m,
        corner_easting_m=4590641.917,  # PercyMAP posTrafo (README of the source folder)
        corner_northing_m=1093538.378,
        spacing_east_m=dx,
        spacing_north_m=dz,
        sphere_radius_m=3396190.0,  # Mars 2000 sphere of the equirectangular projection
        ortho_per_cell=ORTHO_PER_CELL,
        valid_px=np.array([vx0, vy0, vx1, vy1]),  # ortho.jpg's box with imagery [px, end exclusive]
        map_px=MAP_PX,
        colour_origin_px=np.array([x0, y0]),  # colour.jpg's top-left in the map's pixels
        shading_removed_dn_per_unit=slope,
    )
    print(f"shading fit: {slope:.1f} DN per unit of hillshade; colour patch {x1 - x0} × {y1 - y0} px; "
          f"valid ortho box {vx0}..{vx1} × {vy0}..{vy1} px")  # fmt: skip


if __name__ == "__main__":
    main()
