"""Realism: the rendered LCAM against the real LCAM frames at the same heights above the ground.

For each reference frame (``--reference``, default ``../shared/reference/lcam``: real LCAM images
of the landing, NASA/JPL-Caltech, for comparison only — never textures, never in the repo) the
LCAM of a simulated run is rendered when its height above the ground equals the frame's, with a
settled auto-exposure (``FilmRun.still``). Both are resampled to 800 × 800 (the reference
reductions' size) and measured on their central 70 % (:mod:`edlcam.cameras.image_stats`): global
contrast, 32-px block variation (units), power-spectrum slope, fine detail. Printed: each
statistic rendered and real, and the ratio rendered ÷ real (the issue's goal: within ±30 %).

The real frames are evidently stretched per frame: every one of them, from 8 km in haze to 1.4 km,
holds ≈ 0.4 % of its pixels at 0–2 and ≈ 0.3 % at 253–255 (a linear 150 µs exposure would not
clip both ends by the same share in every scene). A black level taken off raises std/mean, so
the statistics are also given for the rendered frame stretched the same way
(:func:`edlcam.cameras.image_stats.stretch_like`: linearly, so that its central crop clips the
same shares of pixels at each end as the real frame's; measured on the crop, as the rendered
frame's corners hold hardware at 0). That is how JPL's raw images are prepared for the public
web: "the contrast is stretched, so that the brightest few percent of pixels are set to be totally
white, and the darkest few percent of pixels are set to be totally black", then saved as JPEG
(E. Lakdawalla, The Planetary Society, "'Raw' and archived Mars Exploration Rover images: what's
the difference?", on the MER raw images; no such note was found for Mars 2020's LCAM frames, whose
clipped shares, above, say the same). So the stretched figures compare like with like, and the
plain ones say how far our linear 150 µs frame is from the stretched release.

``--sheet PATH`` writes rendered | real side by side (keep it out of the repo: the reference
frames must not be shipped); ``--rendered-sheet PATH`` writes the rendered frames alone with their
statistics (the one for docs/realism.png).

    .venv/bin/python benchmarks/realism.py RUN [--quality full|preview] [--sheet /tmp/realism.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

# Heights above the ground of the reference frames, from the PDS-reconstructed poses
# (../shared/reference/README.md; REFERENCE.md "LCAM phases"). File name = local mean solar time.
REFERENCE_FRAMES = {
    "LVS_15_51_16.jpg": 8_000.0,
    "LVS_15_51_48.jpg": 5_100.0,
    "LVS_15_52_05.jpg": 3_500.0,
    "LVS_15_52_16.jpg": 2_500.0,
}
SIZE_PX = 800  # both frames are measured at the reference reductions' size


def time_at_height(film, cam, height_m: float) -> float:
    """The time [s] on the parachute when the camera is ``height_m`` above the ground below it (bisection)."""
    lo = film.events["heatshield_separation"]
    hi = film.events.get("powered_descent_start", film.events["backshell_separation"])

    def agl(t):
        pos, _ = film.camera_pose(cam, t)
        return float(pos[2] - film.terrain.surface_up_m(pos[0], pos[1]))

    if not agl(hi) <= height_m <= agl(lo):
        raise SystemExit(f"the run's parachute descent spans {agl(hi):.0f}–{agl(lo):.0f} m above ground; {height_m:.0f} m is outside")
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if agl(mid) > height_m else (lo, mid)
    return 0.5 * (lo + hi)


def _label(img: np.ndarray, lines: list[str], size_px: int = 400) -> np.ndarray:
    """The frame at ``size_px`` with ``lines`` written at its top left, white on a dark band."""
    import cv2

    out = cv2.resize(img, (size_px, size_px), interpolation=cv2.INTER_AREA)
    out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR) if out.ndim == 2 else out.copy()
    band = out[: 8 + 18 * len(lines), :230]
    band[:] = (band * 0.35).astype(np.uint8)
    for i, text in enumerate(lines):
        cv2.putText(out, text, (6, 18 + 18 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder from `edlcam simulate`")
    ap.add_argument("--reference", type=Path, default=Path("../shared/reference/lcam"))
    ap.add_argument("--quality", choices=("preview", "full"), default="full")
    ap.add_argument("--sheet", type=Path, default=None, help="rendered | real side-by-side PNG (outside the repo)")
    ap.add_argument("--rendered-sheet", type=Path, default=None, help="rendered frames alone with their statistics")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)

    import cv2

    from edlcam.cameras.frames import open_run
    from edlcam.cameras.image_stats import STATISTICS, central_crop, frame_statistics, stretch_like

    missing = [n for n in REFERENCE_FRAMES if not (args.reference / n).exists()]
    if missing:
        print(f"{args.reference}: reference frames {', '.join(missing)} missing; give --reference DIR", file=sys.stderr)
        return 1
    film = open_run(args.run)
    cam = film.camera("lcam")
    rows, pairs = [], []
    cpu0 = time.process_time()
    for name, height in REFERENCE_FRAMES.items():
        t = time_at_height(film, cam, height)
        rendered = film.still("lcam", t, quality=args.quality)
        real = cv2.imread(str(args.reference / name), cv2.IMREAD_GRAYSCALE)
        r = cv2.resize(rendered, (SIZE_PX, SIZE_PX), interpolation=cv2.INTER_AREA)
        s_r, s_x = frame_statistics(r), frame_statistics(real, size_px=SIZE_PX)
        s_s = frame_statistics(stretch_like(r, cv2.resize(real, (SIZE_PX, SIZE_PX), interpolation=cv2.INTER_AREA),
                                            measure=central_crop))
        rows.append({"file": name, "height_m": height, "t_s": t, "rendered": s_r, "real": s_x,
                     "ratio": {k: s_r[k] / s_x[k] for k in STATISTICS}, "stretched": s_s,
                     "stretched_ratio": {k: s_s[k] / s_x[k] for k in STATISTICS}})
        pairs.append((height, r, cv2.resize(real, (SIZE_PX, SIZE_PX), interpolation=cv2.INTER_AREA), s_r))
    cpu = time.process_time() - cpu0

    print(f"LCAM realism, {args.quality} quality, run {args.run} (central 70 %, {SIZE_PX} px; ratio = rendered ÷ real)")
    print(f"{'height':>8} {'statistic':16} {'rendered':>9} {'real':>9} {'ratio':>7}")
    for row in rows:
        for k in ("mean_grey", *STATISTICS):
            ratio = row["rendered"][k] / row["real"][k]
            print(f"{row['height_m'] / 1000:6.1f}km {k:16} {row['rendered'][k]:9.3f} {row['real'][k]:9.3f} {ratio:7.2f}")
    inside = sum(abs(r["ratio"][k] - 1.0) <= 0.3 for r in rows for k in STATISTICS)
    print(f"within ±30 %: {inside} of {len(rows) * len(STATISTICS)}; render CPU {cpu:.1f} s for {len(rows)} frames")
    print("the rendered frame stretched as its real frame (stretch_like): rendered, ratio")
    for row in rows:
        print(f"{row['height_m'] / 1000:6.1f}km " + "  ".join(
            f"{k} {row['stretched'][k]:.3f} ({row['stretched_ratio'][k]:.2f})" for k in STATISTICS))
    inside_s = sum(abs(r["stretched_ratio"][k] - 1.0) <= 0.3 for r in rows for k in STATISTICS)
    print(f"stretched, within ±30 %: {inside_s} of {len(rows) * len(STATISTICS)}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if args.sheet:
        tiles = [np.hstack([_label(r, [f"rendered {h / 1000:.1f} km"]), _label(x, [f"real LCAM {h / 1000:.1f} km"])])
                 for h, r, x, _ in pairs]
        cv2.imwrite(str(args.sheet), np.vstack(tiles))
        print(f"sheet: {args.sheet}")
    if args.rendered_sheet:
        tiles = []
        for (h, r, _x, s), row in zip(pairs, rows):
            q = row["ratio"]
            tiles.append(_label(r, [f"rendered LCAM, {h / 1000:.1f} km (ratio to real)",
                                    f"contrast {s['global_contrast']:.3f} ({q['global_contrast']:.2f})",
                                    f"32-px blocks {s['block_variation']:.3f} ({q['block_variation']:.2f})",
                                    f"spectral slope {s['spectral_slope']:.2f} ({q['spectral_slope']:.2f})",
                                    f"fine detail {s['fine_detail']:.3f} ({q['fine_detail']:.2f})"]))
        grid = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:4])]) if len(tiles) == 4 else np.hstack(tiles)
        cv2.imwrite(str(args.rendered_sheet), cv2.cvtColor(grid, cv2.COLOR_BGR2GRAY), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        print(f"rendered sheet: {args.rendered_sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
