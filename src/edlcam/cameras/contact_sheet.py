"""A contact sheet: every camera at the landing's key moments, in one labelled image.

Rows are cameras, columns the moments (parachute deploy + 1 s, heat-shield separation + 2 s and
+ 8 s, 1 km and 100 m above the ground, sky crane start + 3 s — the rover a few metres down its
bridles —, 1 s before touchdown — plumes and dust — and touchdown); a cell stays grey with
"inactive" where the camera is not running at that moment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Moment", "key_moments", "contact_sheet"]

log = logging.getLogger(__name__)

CELL_WIDTH_PX = 320
LABEL_PX = 22


@dataclass(frozen=True)
class Moment:
    """A labelled time of the flight [s after entry]."""

    label: str
    t_s: float


def _height_crossing(trajectory, height_m: float) -> float | None:
    """First time the vehicle's height above ground falls through ``height_m`` (linear interpolation)."""
    t = np.asarray(trajectory["t_s"], float)
    h = np.asarray(trajectory["height_agl_m"], float)
    below = np.nonzero((h[:-1] >= height_m) & (h[1:] < height_m))[0]
    if len(below) == 0:
        return None
    i = below[0]
    return float(t[i] + (h[i] - height_m) / (h[i] - h[i + 1]) * (t[i + 1] - t[i]))


def key_moments(events: dict[str, float], trajectory=None) -> list[Moment]:
    """The sheet's columns for a flight's events (and trajectory, for the 1 km and 100 m moments)."""
    out = []
    for label, name, offset in (("chute deploy +1 s", "parachute_deploy", 1.0),
                                ("heat shield sep +2 s", "heatshield_separation", 2.0),
                                ("heat shield sep +8 s", "heatshield_separation", 8.0)):
        if name in events:
            out.append(Moment(label, events[name] + offset))
    if trajectory is not None:
        for label, h in (("1 km", 1000.0), ("100 m", 100.0)):
            t = _height_crossing(trajectory, h)
            if t is not None:
                out.append(Moment(label, t))
    for label, name, offset in (("sky crane +3 s", "skycrane_start", 3.0), ("touchdown -1 s", "touchdown", -1.0),
                                ("touchdown", "touchdown", 0.0)):
        if name in events:
            out.append(Moment(label, events[name] + offset))
    return out


def contact_sheet(film, moments: list[Moment], *, quality: str = "preview", progress: Callable[[], None] | None = None,
                  cell_width_px: int = CELL_WIDTH_PX):
    """PIL image: one row per camera of ``film`` (a :class:`FilmRun`), one column per moment."""
    from PIL import Image, ImageDraw

    names = film.camera_names
    cells: dict[tuple[int, int], np.ndarray] = {}
    cell_h = {}
    for r, name in enumerate(names):
        cam = film.camera(name)
        cell_h[r] = int(round(cell_width_px * cam.height_px / cam.width_px))
        w0, w1 = film.window(name)
        for c, m in enumerate(moments):
            if w0 <= m.t_s <= w1:
                img = film.still(name, m.t_s, quality=quality)
                pil = Image.fromarray(img).convert("RGB").resize((cell_width_px, cell_h[r]), Image.Resampling.LANCZOS)
                cells[(r, c)] = pil
            if progress is not None:
                progress()
    label_w = 70
    width = label_w + cell_width_px * len(moments)
    height = LABEL_PX + sum(cell_h[r] + 2 for r in range(len(names)))
    sheet = Image.new("RGB", (width, height), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for c, m in enumerate(moments):
        draw.text((label_w + c * cell_width_px + 6, 5), f"{m.label}  E+{m.t_s:.1f} s", fill=(230, 230, 230))
    y = LABEL_PX
    for r, name in enumerate(names):
        draw.text((6, y + cell_h[r] // 2 - 6), name.upper(), fill=(230, 230, 230))
        for c in range(len(moments)):
            x = label_w + c * cell_width_px
            if (r, c) in cells:
                sheet.paste(cells[(r, c)], (x, y))
            else:
                draw.rectangle([x, y, x + cell_width_px - 2, y + cell_h[r]], fill=(48, 48, 48))
                draw.text((x + cell_width_px // 2 - 24, y + cell_h[r] // 2 - 6), "inactive", fill=(120, 120, 120))
        y += cell_h[r] + 2
    return sheet
