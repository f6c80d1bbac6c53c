"""Overlays drawn on the film's frames with Pillow: time, height, speed, phase, captions, labels.

PyAV's bundled FFmpeg has no drawtext filter, so text is drawn onto each frame before encoding.
The font is Pillow's bundled FreeType face (``ImageFont.load_default(size)``), so nothing
depends on the system's fonts. Numbers are converted from SI at this edge only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Telemetry", "font", "label_image", "draw_label", "draw_telemetry", "draw_caption", "caption_for",
           "EVENT_CAPTIONS", "format_height", "format_speed"]

WHITE = (240, 240, 240)
AMBER = (255, 196, 64)
RED = (255, 96, 80)
DIM = (170, 170, 170)
PANEL_BG = (0, 0, 0, 150)

# Caption shown for a few seconds after each event (names from flight/events.json).
EVENT_CAPTIONS = {
    "parachute_deploy": "Parachute deploy",
    "heatshield_separation": "Heat shield separation",
    "radar_lock": "Radar lock, terrain-relative navigation",
    "backshell_separation": "Backshell separation",
    "powered_descent_start": "Powered descent",
    "constant_velocity_start": "Constant-velocity descent",
    "skycrane_start": "Sky crane",
    "touchdown": "Touchdown",
    "bridle_cut": "Bridles cut",
    "flyaway_start": "Descent stage flyaway",
}
CAPTION_S = 4.0  # how long a caption stays up [s]


@lru_cache(maxsize=16)
def font(size_px: int):
    """Pillow's bundled FreeType font at ``size_px``."""
    from PIL import ImageFont

    return ImageFont.load_default(size=size_px)


@dataclass(frozen=True)
class Telemetry:
    """What the overlay states at one instant (SI units)."""

    utc: str  # SCET, ISO-8601
    t_s: float  # since entry interface
    height_agl_m: float
    speed_m_s: float
    phase: str


def format_height(height_m: float) -> str:
    """Height above ground for a viewer: km above 10 km, whole metres below."""
    if height_m >= 10_000:
        return f"{height_m / 1000:.1f} km"
    return f"{max(height_m, 0.0):,.0f} m".replace(",", " ")


def format_speed(speed_m_s: float) -> str:
    """Speed with one decimal below 10 m/s (the sky crane lowers the rover at 0.75 m/s)."""
    return f"{speed_m_s:.1f} m/s" if speed_m_s < 10 else f"{speed_m_s:,.0f} m/s".replace(",", " ")


def caption_for(events: list[tuple[str, float]], t_s: float) -> str | None:
    """The caption of the latest captioned event within the last ``CAPTION_S`` seconds."""
    best = None
    for name, te in events:
        if name in EVENT_CAPTIONS and te <= t_s < te + CAPTION_S:
            if best is None or te >= best[1]:
                best = (name, te)
    return None if best is None else EVENT_CAPTIONS[best[0]]


def draw_label(draw, xy: tuple[int, int], text: str, *, colour=WHITE, size: int = 16) -> None:
    """A small text tag on a dark box at ``xy`` (top-left)."""
    f = font(size)
    box = draw.textbbox(xy, text, font=f)
    draw.rectangle((box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3), fill=(0, 0, 0))
    draw.text(xy, text, fill=colour, font=f)


def label_image(image: np.ndarray, text: str) -> np.ndarray:
    """A copy of ``image`` with an amber tag in its top-left corner (e.g. "thumbnail (upscaled)")."""
    from PIL import Image, ImageDraw

    pil = Image.fromarray(image)
    draw_label(ImageDraw.Draw(pil), (8, 8), text, colour=AMBER, size=max(12, image.shape[0] // 30))
    return np.asarray(pil)


def draw_telemetry(draw, box: tuple[int, int, int, int], tel: Telemetry, *, note: str | None = None) -> None:
    """The telemetry block (UTC, E+, height, speed, phase) inside ``box`` (x0, y0, x1, y1).

    A box much wider than tall (the sky-crane strip) gets the values side by side, large.
    """
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(12, 12, 14))
    date, _, clock = tel.utc.partition("T")
    clock = clock.rstrip("Z")
    if (x1 - x0) <= 4 * (y1 - y0):
        big, label, small = font(22), font(15), font(12)
        draw.text((x0 + 10, y0 + 6), f"{clock} UTC", fill=WHITE, font=big)
        draw.text((x0 + 10, y0 + 32), f"{date}  SCET   E+{tel.t_s:6.1f} s", fill=DIM, font=label)
        draw.text((x0 + 10, y0 + 52), f"height {format_height(tel.height_agl_m)}", fill=WHITE, font=big)
        draw.text((x0 + (x1 - x0) // 2 + 10, y0 + 52), f"speed {format_speed(tel.speed_m_s)}", fill=WHITE, font=big)
        draw.text((x0 + 10, y0 + 78), f"phase: {tel.phase}", fill=AMBER, font=label)
    else:
        col = (x1 - x0) // 4
        label, value = font(16), font(max(18, min(40, (y1 - y0) // 4)))
        cells = ((f"{date} UTC (SCET)", clock, WHITE), ("since entry interface", f"E+{tel.t_s:.1f} s", WHITE),
                 ("height above ground", format_height(tel.height_agl_m), WHITE), ("speed", format_speed(tel.speed_m_s), WHITE))
        for i, (head, text, colour) in enumerate(cells):
            x = x0 + 16 + i * col
            draw.text((x, y0 + 14), head, fill=DIM, font=label)
            draw.text((x, y0 + 38), text, fill=colour, font=value)
        draw.text((x0 + 16, y0 + 44 + value.size + 12), f"phase: {tel.phase}", fill=AMBER, font=font(20))
    if note:
        draw.text((x0 + 10, y1 - 18), note, fill=DIM, font=font(12))


def draw_caption(draw, centre_x: int, bottom_y: int, text: str) -> None:
    """An event caption centred above ``bottom_y``."""
    f = font(30)
    box = draw.textbbox((0, 0), text, font=f)
    w, h = box[2] - box[0], box[3] - box[1]
    x, y = centre_x - w // 2, bottom_y - h - 24
    draw.rectangle((x - 14, y - 10, x + w + 14, y + h + 14), fill=(0, 0, 0))
    draw.text((x, y - box[1]), text, fill=WHITE, font=f)
