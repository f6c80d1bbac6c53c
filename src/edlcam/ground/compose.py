"""The film's frames: each one composed in I420 (the encoder's own format) from the panels' camera
frames, their labels, the telemetry and the event captions, redrawing only what changed since the
last frame (:class:`FilmComposer`), so the film costs little more than encoding it
(benchmarks/RESULTS.md). Overlays are laid out and rendered as Pillow draws them
(:mod:`edlcam.ground.overlays`). Split from :mod:`edlcam.ground.assemble`, which encodes the film.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from edlcam.ground.edit import Panel, Shot
from edlcam.ground.overlays import TextItem
from edlcam.ground.video import fit_i420, gap_card, i420_planes, rgb_to_i420

__all__ = ["FilmComposer", "Canvas", "telemetry_at", "even_rect", "overlaps", "BLACK_YUV", "KIND_NOTE"]

BLACK_YUV = (16, 128, 128)  # RGB black in BT.601 limited range, as the encoder sees it
KIND_NOTE = {"thumbnail": "thumbnail (upscaled)", "browse": "browse (upscaled)", "video": "", "lossless": ""}


def telemetry_at(trajectory: dict[str, np.ndarray], timeline, t_s: float):
    """The overlay's :class:`~edlcam.ground.overlays.Telemetry` at E+ ``t_s`` (interpolated)."""
    from edlcam.ground.overlays import Telemetry

    t = trajectory["t_s"]
    if t_s >= t[-1]:  # after touchdown the rover stands on the ground
        return Telemetry(timeline.utc_at(t_s), t_s, 0.0, 0.0, "landed")
    i = max(0, int(np.searchsorted(t, t_s, side="right")) - 1)
    return Telemetry(
        timeline.utc_at(t_s), t_s, float(np.interp(t_s, t, trajectory["height_agl_m"])),
        float(np.interp(t_s, t, trajectory["speed_m_s"])), str(trajectory["phase"][i]),
    )


def even_rect(x0: int, y0: int, x1: int, y1: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The rectangle [x0, x1) × [y0, y1) grown to even edges (4:2:0 chroma pairs) and clipped to the frame."""
    return max(0, x0 // 2 * 2), max(0, y0 // 2 * 2), min(width, (x1 + 1) // 2 * 2), min(height, (y1 + 1) // 2 * 2)


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class Canvas:
    """The film frame as one I420 buffer (what the encoder takes), drawn into in place."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.buf = np.empty((height * 3 // 2, width), np.uint8)
        self.y, self.u, self.v = i420_planes(self.buf)
        self.fill((0, 0, width, height), BLACK_YUV)

    def fill(self, rect: tuple[int, int, int, int], yuv: tuple[int, int, int]) -> None:
        x0, y0, x1, y1 = rect
        self.y[y0:y1, x0:x1] = yuv[0]
        self.u[y0 // 2: y1 // 2, x0 // 2: x1 // 2] = yuv[1]
        self.v[y0 // 2: y1 // 2, x0 // 2: x1 // 2] = yuv[2]

    def blit(self, i420: np.ndarray, x: int, y: int) -> None:
        """Copy an I420 picture with its top-left at (x, y), both even."""
        py, pu, pv = i420_planes(i420)
        h, w = py.shape
        self.y[y: y + h, x: x + w] = py
        self.u[y // 2: (y + h) // 2, x // 2: (x + w) // 2] = pu
        self.v[y // 2: (y + h) // 2, x // 2: (x + w) // 2] = pv


class FilmComposer:
    """Composes film frames into an I420 canvas, redrawing only what changed since the last frame.

    A frame is a list of layers drawn in order — panels, their labels, the telemetry, the event
    caption — each with a key (what it shows) and a rectangle. A layer is drawn again when its key
    changed, when a layer beneath it was redrawn under it, or when a vanished layer uncovered it;
    the rest of the canvas stays as the last frame left it. Cameras run at 1–15 fps against the
    film's 30, so most frames redraw only the telemetry. Labels, captions and gap cards are
    rendered once (Pillow) and kept as I420 patches; the telemetry's changing digits are set by
    :class:`~edlcam.ground.overlays.TextPainter`.
    """

    def __init__(self, cameras, shots, trajectory, timeline, events, width, height, sound_note, lvs=None):
        from edlcam.ground.overlays import TextPainter

        self.lvs = lvs  # edlcam.ground.lvs_overlay.LvsOverlay: LVS's landmarks on its camera's frames

        self.cameras, self.shots, self.trajectory, self.timeline = cameras, shots, trajectory, timeline
        self.events = sorted(events.items(), key=lambda kv: kv[1])
        self.width, self.height, self.sound_note = width, height, sound_note
        self.canvas = Canvas(width, height)
        self.painter = TextPainter()
        self.fitted: dict[Panel, tuple] = {}  # panel → (picture key, (I420, x offset, y offset))
        self.patches: dict[tuple, tuple] = {}  # label/caption/card key → (I420, x, y)
        self.telemetry_state: tuple | None = None  # (rect, items, RGB picture) of the last telemetry drawn
        self.drawn: list[tuple[tuple, tuple[int, int, int, int]]] = []  # last frame's layers (key, rect)
        self.kinds: Counter = Counter()

    def shot_at(self, t_s: float) -> Shot:
        for s in self.shots:
            if s.t_start_s <= t_s < s.t_end_s:
                return s
        return self.shots[-1]

    def _source(self, panel: Panel, t_s: float) -> tuple[str | None, int, str | None]:
        """(camera, frame position, kind shown) for ``panel`` at ``t_s``; camera None: none recording."""
        for name in panel.cameras:
            frames = self.cameras.get(name)
            pos = None if frames is None else frames.position_at(t_s)
            if pos is not None:
                return name, pos, frames.kind_at(pos)
        return None, -1, None

    def _picture(self, panel: Panel, source: tuple[str | None, int, str | None]):
        cached = self.fitted.get(panel)
        if cached is not None and cached[0] == source:
            return cached[1]
        name, pos, kind = source
        if name is None:
            placed = (rgb_to_i420(gap_card(panel.w, panel.h, "no camera recording")), 0, 0)
        elif kind is None:
            placed = (rgb_to_i420(gap_card(panel.w, panel.h, "not received yet")), 0, 0)
        else:
            picture = self.cameras[name].i420(pos)
            if self.lvs is not None and name == self.lvs.camera:
                from edlcam.ground.video import i420_to_rgb

                marked = self.lvs.draw(i420_to_rgb(picture), float(self.cameras[name].t_s[pos]))
                if marked is not None:
                    picture = rgb_to_i420(marked)
            placed = fit_i420(picture, panel.w, panel.h)
        self.fitted[panel] = (source, placed)
        return placed

    def _draw_panel(self, panel: Panel, source) -> None:
        image, ox, oy = self._picture(panel, source)
        rect = (panel.x, panel.y, panel.x + panel.w, panel.y + panel.h)
        if image.shape[1] != panel.w or image.shape[0] * 2 // 3 != panel.h:
            self.canvas.fill(rect, BLACK_YUV)  # letterbox
        self.canvas.blit(image, panel.x + ox, panel.y + oy)

    def _patch(self, key: tuple, rect: tuple[int, int, int, int], items, background) -> tuple:
        """An overlay drawn once with Pillow on ``background`` over ``rect``, kept as I420."""
        hit = self.patches.get(key)
        if hit is None:
            from PIL import Image, ImageDraw

            from edlcam.ground.overlays import draw_items

            x0, y0, x1, y1 = rect
            pil = Image.new("RGB", (x1 - x0, y1 - y0), background)
            draw_items(ImageDraw.Draw(pil), [replace(it, xy=(it.xy[0] - x0, it.xy[1] - y0)) for it in items])
            hit = self.patches[key] = (rgb_to_i420(np.asarray(pil)), x0, y0)
        return hit

    def _telemetry(self, rect: tuple[int, int, int, int], items: tuple, full: bool) -> list[tuple]:
        """Draw the telemetry block over ``rect``; unless ``full``, only the lines that changed.

        Returns the rectangles drawn. The block's RGB picture is kept between frames: a changed
        line is cleared to the background over its old and new ink and set again, and only that
        strip is converted to I420 — unless it would touch another line, then all is redrawn.
        """
        from edlcam.ground.overlays import TELEMETRY_BG

        x0, y0, x1, y1 = rect
        last = self.telemetry_state
        if not full and last is not None and last[0] == rect and len(last[1]) == len(items):
            patch, before = last[2], last[1]
            changed = [i for i, (a, b) in enumerate(zip(before, items)) if a != b]
            inks = [self.painter.ink_rect(it) for it in items]
            strips = []
            for i in changed:
                old, new = self.painter.ink_rect(before[i]), inks[i]
                u = (min(old[0], new[0]), min(old[1], new[1]), max(old[2], new[2]), max(old[3], new[3]))
                strip = even_rect(u[0], u[1], u[2], u[3], self.width, self.height)
                strip = (max(strip[0], x0), max(strip[1], y0), min(strip[2], x1), min(strip[3], y1))
                if any(j != i and overlaps(strip, inks[j]) for j in range(len(items))):
                    strips = None  # lines this close are set together, as Pillow would
                    break
                strips.append((i, strip))
            if strips is not None:
                for i, (sx0, sy0, sx1, sy1) in strips:
                    sub = patch[sy0 - y0: sy1 - y0, sx0 - x0: sx1 - x0]
                    sub[...] = self.painter.block((sx1 - sx0, sy1 - sy0), (sx0, sy0), TELEMETRY_BG, [items[i]])
                    if sx1 > sx0 and sy1 > sy0:
                        self.canvas.blit(rgb_to_i420(sub), sx0, sy0)
                self.telemetry_state = (rect, items, patch)
                return [s for _, s in strips]
        patch = self.painter.block((x1 - x0, y1 - y0), (x0, y0), TELEMETRY_BG, items)
        self.canvas.blit(rgb_to_i420(patch), x0, y0)
        self.telemetry_state = (rect, items, patch)
        return [rect]

    def compose(self, t_s: float) -> np.ndarray:
        """The film frame at E+ ``t_s`` as an I420 array (the canvas itself: copy it to keep it)."""
        from edlcam.ground.overlays import (AMBER, BOX, RED, WHITE, caption_box, caption_for, label_box,
                                            telemetry_items)

        shot = self.shot_at(t_s)
        layers: list[tuple[tuple, tuple[int, int, int, int], Callable[[], None]]] = []
        labels = []
        for panel in shot.panels:
            source = self._source(panel, t_s)
            name, _, kind = source
            if name is not None:
                self.kinds[kind or "none"] += 1
            rect = (panel.x, panel.y, panel.x + panel.w, panel.y + panel.h)
            layers.append((("panel", panel, source), rect, lambda p=panel, s=source: self._draw_panel(p, s)))
            if name is not None:
                note = KIND_NOTE.get(kind or "", "")
                colour = RED if kind is None else (AMBER if note else WHITE)
                text = name.upper().replace("_", " ") + (f" · {note}" if note else "")
                labels.append(((panel.x + 8, panel.y + 8), text, colour))
        for xy, text, colour in labels:
            bx0, by0, bx1, by1 = label_box(xy, text, 16)
            rect = even_rect(bx0, by0, bx1 + 1, by1 + 1, self.width, self.height)
            key = ("label", xy, text, colour)
            item = TextItem(xy, text, 16, colour)
            layers.append((key, rect, lambda k=key, r=rect, it=item: self.canvas.blit(
                *self._patch(k, r, [it], BOX))))
        items = tuple(telemetry_items(shot.info, telemetry_at(self.trajectory, self.timeline, t_s),
                                      note=self.sound_note))
        box = shot.info
        rect = even_rect(box[0], box[1], box[2] + 1, box[3] + 1, self.width, self.height)
        # one key for the block: its lines change every frame and are updated inside it
        layers.append((("telemetry", box), rect, lambda full, r=rect: self._telemetry(r, items, full)))
        caption = caption_for(self.events, t_s)
        if caption:
            (cx0, cy0, cx1, cy1), item = caption_box(shot.caption_x, shot.caption_bottom, caption)
            rect = even_rect(cx0, cy0, cx1 + 1, cy1 + 1, self.width, self.height)
            key = ("caption", shot.caption_x, shot.caption_bottom, caption)
            layers.append((key, rect, lambda k=key, r=rect, it=item: self.canvas.blit(
                *self._patch(k, r, [it], BOX))))

        keys = {key for key, _, _ in layers}
        damaged = [rect for key, rect in self.drawn if key not in keys]  # vanished or changed layers
        covered = {rect for _, rect, _ in layers}  # every layer paints all of its rectangle
        for rect in damaged:
            if rect not in covered:
                self.canvas.fill(rect, BLACK_YUV)
        before = {key for key, _ in self.drawn}
        for key, rect, draw in layers:
            if key not in before or any(overlaps(rect, d) for d in damaged):
                if key[0] == "telemetry":
                    draw(True)
                else:
                    draw()
                damaged.append(rect)
            elif key[0] == "telemetry":
                damaged.extend(draw(False))  # layers above the lines it changed are drawn again
        self.drawn = [(key, rect) for key, rect, _ in layers]
        return self.canvas.buf
