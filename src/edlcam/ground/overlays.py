"""Overlays on the film's frames: time, height, speed, phase, captions, labels.

PyAV's bundled FFmpeg has no drawtext filter, so text is drawn onto each frame before encoding.
The font is Pillow's bundled FreeType face (``ImageFont.load_default(size)``), so nothing
depends on the system's fonts. Numbers are converted from SI at this edge only.

Each overlay is laid out once (:func:`telemetry_items`, :func:`label_box`, :func:`caption_box`)
and drawn two ways from that layout: with Pillow (:func:`draw_telemetry` and friends, for stills)
and, for the film, by :class:`TextPainter`, which renders every glyph once with Pillow and then
sets lines of text with numpy — the telemetry changes every film frame, and FreeType rendering
the same dozen digits 30 times a second cost more than the rest of the frame's composition. The
painter places and blends glyphs exactly as Pillow does (same advances, masks combined by
maximum, Pillow's rounding of the blend), so both ways give the same pixels (tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["TRAJECTORY_COLUMNS", "Telemetry", "TextItem", "TextPainter", "font", "label_image", "label_box", "caption_box",
           "draw_label", "draw_telemetry", "draw_caption", "draw_items", "telemetry_items", "caption_for",
           "EVENT_CAPTIONS", "format_height", "format_speed", "WHITE", "AMBER", "RED", "DIM"]

WHITE = (240, 240, 240)
AMBER = (255, 196, 64)
RED = (255, 96, 80)
DIM = (170, 170, 170)
BOX = (0, 0, 0)  # behind labels and captions
TELEMETRY_BG = (12, 12, 14)

# The trajectory columns the ground's overlays and report read (docs/run-folder.md).
TRAJECTORY_COLUMNS = ("t_s", "height_agl_m", "altitude_m", "speed_m_s", "vu_m_s", "mach", "phase")

# Caption shown for a few seconds after each event (the flight's event names).
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
CAPTION_PX = 30  # caption font size [px]


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


@dataclass(frozen=True)
class TextItem:
    """One line of text: top-left ``xy`` as Pillow's ``ImageDraw.text`` takes it, font size [px], RGB."""

    xy: tuple[int, int]
    text: str
    size_px: int
    colour: tuple[int, int, int]


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


def telemetry_items(box: tuple[int, int, int, int], tel: Telemetry, *, note: str | None = None) -> list[TextItem]:
    """The telemetry block's lines (UTC, E+, height, speed, phase, note) inside ``box`` (x0, y0, x1, y1).

    A box much wider than tall (the sky-crane strip) gets the values side by side, large.
    """
    x0, y0, x1, y1 = box
    date, _, clock = tel.utc.partition("T")
    clock = clock.rstrip("Z")
    if (x1 - x0) <= 4 * (y1 - y0):
        items = [
            TextItem((x0 + 10, y0 + 6), f"{clock} UTC", 22, WHITE),
            TextItem((x0 + 10, y0 + 32), f"{date}  SCET   E+{tel.t_s:6.1f} s", 15, DIM),
            TextItem((x0 + 10, y0 + 52), f"height {format_height(tel.height_agl_m)}", 22, WHITE),
            TextItem((x0 + (x1 - x0) // 2 + 10, y0 + 52), f"speed {format_speed(tel.speed_m_s)}", 22, WHITE),
            TextItem((x0 + 10, y0 + 78), f"phase: {tel.phase}", 15, AMBER),
        ]
    else:
        col = (x1 - x0) // 4
        value_px = max(18, min(40, (y1 - y0) // 4))
        cells = ((f"{date} UTC (SCET)", clock, WHITE), ("since entry interface", f"E+{tel.t_s:.1f} s", WHITE),
                 ("height above ground", format_height(tel.height_agl_m), WHITE),
                 ("speed", format_speed(tel.speed_m_s), WHITE))
        items = []
        for i, (head, text, colour) in enumerate(cells):
            x = x0 + 16 + i * col
            items.append(TextItem((x, y0 + 14), head, 16, DIM))
            items.append(TextItem((x, y0 + 38), text, value_px, colour))
        items.append(TextItem((x0 + 16, y0 + 44 + value_px + 12), f"phase: {tel.phase}", 20, AMBER))
    if note:
        items.append(TextItem((x0 + 10, y1 - 18), note, 12, DIM))
    return items


@lru_cache(maxsize=256)
def label_box(xy: tuple[int, int], text: str, size_px: int = 16) -> tuple[int, int, int, int]:
    """The dark box (x0, y0, x1, y1, inclusive) behind a label whose text starts at ``xy``."""
    from PIL import Image, ImageDraw

    box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox(xy, text, font=font(size_px))
    return box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3


@lru_cache(maxsize=64)
def caption_box(centre_x: int, bottom_y: int, text: str) -> tuple[tuple[int, int, int, int], TextItem]:
    """(dark box (x0, y0, x1, y1, inclusive), text) of an event caption centred above ``bottom_y``."""
    from PIL import Image, ImageDraw

    box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font(CAPTION_PX))
    w, h = box[2] - box[0], box[3] - box[1]
    x, y = centre_x - w // 2, bottom_y - h - 24
    return (x - 14, y - 10, x + w + 14, y + h + 14), TextItem((x, y - box[1]), text, CAPTION_PX, WHITE)


def draw_items(draw, items: list[TextItem]) -> None:
    """Draw text items with Pillow."""
    for it in items:
        draw.text(it.xy, it.text, fill=it.colour, font=font(it.size_px))


def draw_label(draw, xy: tuple[int, int], text: str, *, colour=WHITE, size: int = 16) -> None:
    """A small text tag on a dark box at ``xy`` (top-left)."""
    draw.rectangle(label_box(tuple(xy), text, size), fill=BOX)
    draw.text(xy, text, fill=colour, font=font(size))


def label_image(image: np.ndarray, text: str) -> np.ndarray:
    """A copy of ``image`` with an amber tag in its top-left corner (e.g. "thumbnail (upscaled)")."""
    from PIL import Image, ImageDraw

    pil = Image.fromarray(image)
    draw_label(ImageDraw.Draw(pil), (8, 8), text, colour=AMBER, size=max(12, image.shape[0] // 30))
    return np.asarray(pil)


def draw_telemetry(draw, box: tuple[int, int, int, int], tel: Telemetry, *, note: str | None = None) -> None:
    """The telemetry block (UTC, E+, height, speed, phase) inside ``box`` (x0, y0, x1, y1), with Pillow."""
    draw.rectangle(box, fill=TELEMETRY_BG)
    draw_items(draw, telemetry_items(box, tel, note=note))


def draw_caption(draw, centre_x: int, bottom_y: int, text: str) -> None:
    """An event caption centred above ``bottom_y``, with Pillow."""
    rect, item = caption_box(centre_x, bottom_y, text)
    draw.rectangle(rect, fill=BOX)
    draw_items(draw, [item])


def _merge_glyph(part: np.ndarray, glyph: np.ndarray) -> None:
    """Merge a glyph's coverage into a line's, in place, as Pillow does where glyphs touch.

    ``src + dst·(255 − src)/255`` with Pillow's MULDIV255 rounding (_imagingft.c, font_render).
    """
    a = glyph.astype(np.uint16)
    v = part * (255 - a) + 128
    part[...] = np.minimum(a + (((v >> 8) + v) >> 8), 255)


def _blend_lut(colour: tuple[int, int, int], background: tuple[int, int, int]) -> np.ndarray:
    """(256, 3) uint8: Pillow's blend of ``colour`` over ``background`` at every coverage 0…255.

    BLEND and DIV255 of libImaging/Paste.c (fill_mask_L), so the rounding matches ``draw.text``.
    """
    a = np.arange(256, dtype=np.uint32)[:, None]
    v = np.asarray(background, np.uint32) * (255 - a) + np.asarray(colour, np.uint32) * a + 128
    return (((v >> 8) + v) >> 8).astype(np.uint8)


class _Glyphs:
    """One font size's glyph masks, rendered by Pillow once each, and lines of text set from them."""

    PAD = 8  # margin around each glyph when rendering it, so no overhang is clipped [px]

    def __init__(self, size_px: int):
        self.font = font(size_px)
        self.masks: dict[str, tuple[np.ndarray, int, int, int]] = {}
        self.kerning: dict[str, int] = {}
        self.lines: dict[str, tuple[np.ndarray, int, int]] = {}

    def _glyph(self, ch: str) -> tuple[np.ndarray, int, int, int]:
        """(ink coverage trimmed to its box, box x and y from the pen position, advance) of one character."""
        g = self.masks.get(ch)
        if g is None:
            from PIL import Image, ImageDraw

            advance = int(round(self.font.getlength(ch)))
            ascent, descent = self.font.getmetrics()
            size = (advance + 2 * self.PAD + self.font.size, ascent + descent + 2 * self.PAD)
            im = Image.new("L", size, 0)
            ImageDraw.Draw(im).text((self.PAD, self.PAD), ch, fill=255, font=self.font)
            a = np.asarray(im)
            rows, cols = np.nonzero(a.any(axis=1))[0], np.nonzero(a.any(axis=0))[0]
            if len(rows):
                ink = np.ascontiguousarray(a[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1])
                g = (ink, int(cols[0]) - self.PAD, int(rows[0]) - self.PAD, advance)
            else:  # a space
                g = (np.zeros((0, 0), np.uint8), 0, 0, advance)
            self.masks[ch] = g
        return g

    def _kern(self, pair: str) -> int:
        k = self.kerning.get(pair)
        if k is None:  # Pillow's basic layout applies the font's pair kerning; the bundled face has none
            k = self.kerning[pair] = int(round(self.font.getlength(pair) - self.font.getlength(pair[0])
                                               - self.font.getlength(pair[1])))
        return k

    def line(self, text: str) -> tuple[np.ndarray, int, int]:
        """(coverage of ``text`` over its ink box, box x and y from Pillow's text origin)."""
        hit = self.lines.get(text)
        if hit is not None:
            return hit
        placed = []
        pen = 0
        for i, ch in enumerate(text):
            if i:
                pen += self._kern(text[i - 1: i + 1])
            ink, gx, gy, advance = self._glyph(ch)
            if ink.size:
                placed.append((ink, pen + gx, gy))
            pen += advance
        if not placed:
            hit = (np.zeros((0, 0), np.uint8), 0, 0)
        else:
            x0 = min(x for _, x, _ in placed)
            y0 = min(y for _, _, y in placed)
            x1 = max(x + g.shape[1] for g, x, _ in placed)
            y1 = max(y + g.shape[0] for g, _, y in placed)
            mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
            reach = x0  # right edge of the ink set so far
            for g, x, y in placed:
                part = mask[y - y0: y - y0 + g.shape[0], x - x0: x - x0 + g.shape[1]]
                if x < reach:
                    _merge_glyph(part, g)  # touches an earlier glyph
                else:
                    part[...] = g
                reach = max(reach, x + g.shape[1])
            hit = (mask, x0, y0)
        if len(self.lines) > 512:  # the clock and the numbers change every frame: keep the cache bounded
            self.lines.clear()
        self.lines[text] = hit
        return hit


class TextPainter:
    """Sets :class:`TextItem` lines into RGB numpy images, pixel for pixel as Pillow's ``draw.text`` would."""

    def __init__(self):
        self._sizes: dict[int, _Glyphs] = {}
        self._luts: dict[tuple, np.ndarray] = {}
        self._blanks: dict[tuple, np.ndarray] = {}

    def _line(self, item: TextItem) -> tuple[np.ndarray, int, int]:
        glyphs = self._sizes.get(item.size_px)
        if glyphs is None:
            glyphs = self._sizes[item.size_px] = _Glyphs(item.size_px)
        mask, dx, dy = glyphs.line(item.text)
        return mask, item.xy[0] + dx, item.xy[1] + dy

    @staticmethod
    def _clip(mask: np.ndarray, x: int, y: int, w: int, h: int):
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + mask.shape[1], w), min(y + mask.shape[0], h)
        if x1 <= x0 or y1 <= y0:
            return None
        return mask[y0 - y: y1 - y, x0 - x: x1 - x], (x0, y0, x1, y1)

    def draw(self, image: np.ndarray, item: TextItem, *, origin: tuple[int, int] = (0, 0)) -> None:
        """Blend ``item`` into ``image`` (H×W×3 uint8, in place), whose pixel (0, 0) is at ``origin``."""
        mask, x, y = self._line(item)
        clipped = self._clip(mask, x - origin[0], y - origin[1], image.shape[1], image.shape[0])
        if clipped is None:
            return
        a, (x0, y0, x1, y1) = clipped
        a = a[:, :, None].astype(np.uint16)
        region = image[y0:y1, x0:x1]
        v = region * (255 - a) + np.asarray(item.colour, np.uint16) * a + 128
        region[...] = ((v >> 8) + v) >> 8

    def ink_rect(self, item: TextItem) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1), end-exclusive: the pixels ``item`` can change, in its own coordinates."""
        mask, x, y = self._line(item)
        return x, y, x + mask.shape[1], y + mask.shape[0]

    def block(self, size: tuple[int, int], origin: tuple[int, int], background: tuple[int, int, int],
              items) -> np.ndarray:
        """A ``size`` (w, h) RGB image filled with ``background``, at ``origin``, with ``items`` drawn in order.

        Where a line's ink box falls on untouched background, its pixels come from a lookup table
        of Pillow's blend over that colour; where it overlaps an earlier line, it is blended.
        """
        w, h = size
        blank = self._blanks.get((w, h, background))
        if blank is None:  # filling by broadcasting a colour is slow in numpy; copying a filled image is not
            blank = self._blanks[(w, h, background)] = np.empty((h, w, 3), np.uint8)
            blank[...] = background
        out = blank.copy()
        inked: list[tuple[int, int, int, int]] = []
        for item in items:
            mask, x, y = self._line(item)
            clipped = self._clip(mask, x - origin[0], y - origin[1], w, h)
            if clipped is None:
                continue
            a, rect = clipped
            if any(rect[0] < r[2] and r[0] < rect[2] and rect[1] < r[3] and r[1] < rect[3] for r in inked):
                self.draw(out, item, origin=origin)
            else:
                lut = self._luts.get((item.colour, background))
                if lut is None:
                    lut = self._luts[(item.colour, background)] = _blend_lut(item.colour, background)
                out[rect[1]: rect[3], rect[0]: rect[2]] = lut[a]
            inked.append(rect)
        return out
