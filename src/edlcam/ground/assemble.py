"""The film: ``RUN/ground/landing.mp4``, edited like NASA's 2021 landing video, and the per-camera MP4s.

The edit follows the film NASA released on 2021-02-22 (parachute inflation to touchdown, 3 min
25 s; REFERENCE.md): the parachute up-look cameras under the canopy, the rover's down-look
camera from heat-shield separation, and a split screen in the sky crane — the descent stage's
camera looking down at the rover on its bridles beside the rover's camera looking up at the
descent stage — to after the descent stage flies away. Each panel lists cameras in order of
preference and shows the first one recording at that instant, so a camera whose window is cut
short gives way to the next; a panel with no camera recording says so.

Every film frame is composed at the film's own time line (SCET): each panel shows the frame its
camera exposed most recently (its own SCLK, :mod:`edlcam.ground.timecorr`), from the best product
that came home (:mod:`edlcam.ground.video`); overlays are laid out and rendered as Pillow draws
them (:mod:`edlcam.ground.overlays`); the microphone track runs under it in sync
(:mod:`edlcam.ground.sound`). H.264 + AAC by PyAV. Frames are composed in I420, the encoder's
own format, and only what changed since the last frame is drawn again (:class:`_Composer`), so
the film costs little more than encoding it (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.errors import RunFolderError
from edlcam.ground.overlays import TRAJECTORY_COLUMNS, TextItem
from edlcam.ground.video import FASTSTART, fit_i420, gap_card, i420_planes, rgb_to_i420

__all__ = [
    "FILM_WIDTH_PX", "FILM_HEIGHT_PX", "FILM_FPS", "Panel", "Shot", "FilmResult", "edit_list", "film_span",
    "assemble_film", "assemble", "probe", "snapshots", "telemetry_at",
]

log = logging.getLogger(__name__)

FILM_WIDTH_PX = 1280
FILM_HEIGHT_PX = 720
FILM_FPS = 30
AUDIO_BITRATE_BPS = 128_000
SEEK_AHEAD_S = 3.0  # snapshots: seek rather than decode when the next still is this far ahead
# The film shows a frame from its video segment when that came home: at the film's size it looks
# the same as the lossless PNG (both from the same preview or full frame; CRF 23) and decodes ≈ 7×
# faster (benchmarks/demo.py), so the film keeps up with its encoder. Per-camera MP4s use the best.
FILM_KIND_ORDER = ("video", "lossless", "browse", "thumbnail")
BLACK_YUV = (16, 128, 128)  # RGB black in BT.601 limited range, as the encoder sees it
KIND_NOTE = {"thumbnail": "thumbnail (upscaled)", "browse": "browse (upscaled)", "video": "", "lossless": ""}

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class Panel:
    """A rectangle of the film frame and the cameras that may fill it, preferred first."""

    cameras: tuple[str, ...]
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Shot:
    """A stretch of the film with one layout."""

    name: str
    t_start_s: float
    t_end_s: float
    panels: tuple[Panel, ...]
    info: tuple[int, int, int, int]  # telemetry box (x0, y0, x1, y1)
    caption_x: int
    caption_bottom: int


@dataclass
class FilmResult:
    """What :func:`assemble_film` made."""

    path: Path
    frames: int
    fps: int
    width: int
    height: int
    t_start_s: float
    t_end_s: float
    shots: list[dict]
    panel_kinds: dict[str, int] = field(default_factory=dict)  # panel-frames shown per product kind
    sound: str | None = None


def _film_panels(film) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """The panels' camera lists (parachute, descent, sky crane) of a mission's ``[cameras]``
    (``film_*``), or Mars 2020's when ``film`` is None."""
    if film is None:
        from edlcam.config.cameras import CamerasConfig

        film = CamerasConfig()
    return film.film_parachute, film.film_descent, film.film_skycrane


def film_span(events: dict[str, float], windows: dict[str, tuple[float, float]], film=None) -> tuple[float, float]:
    """(start, end) of the film [E+ s]: a second before parachute deploy (or before the first
    frame, where the cameras start later) to the last frame of the descent's and
    the sky crane's cameras (``film``: the mission's ``[cameras]``, default Mars 2020's).

    The end is at least 5 s after ``flyaway_start`` where the flight has one, so the flyaway is seen.
    """
    _chute, descent, crane = _film_panels(film)
    first = min((w[0] for w in windows.values()), default=0.0)
    start = max(events.get("parachute_deploy", first), first) - 1.0
    late = {c for panel in (descent[0], *crane) for c in panel}
    ends = [windows[c][1] for c in late if c in windows]
    end = max(ends) if ends else max((w[1] for w in windows.values()), default=start + 1.0)
    if "flyaway_start" in events:
        end = max(end, events["flyaway_start"] + 5.0)
    return start, end


def edit_list(events: dict[str, float], windows: dict[str, tuple[float, float]], t_start_s: float,
              t_end_s: float, *, width: int = FILM_WIDTH_PX, height: int = FILM_HEIGHT_PX, film=None) -> list[Shot]:
    """The film's shots between ``t_start_s`` and ``t_end_s`` for a flight's events and camera windows.

    Layouts: one camera large (5:4, full height) with two insets and the telemetry in a column
    beside it; in the sky crane two cameras side by side above a telemetry strip. Which cameras
    fill each panel is the mission's (``film``: its ``[cameras]`` ``film_*`` lists; default
    Mars 2020's). Every edge is on an even pixel, so panels hold whole 4:2:0 chroma samples (at
    1280×720 they are anyway).
    """
    chute, descent, crane_panels = _film_panels(film)
    main_w = min(width // 2 * 2, 2 * int(round(height * 5 / 8)))
    col_w = width - main_w
    inset_h = 2 * int(round(col_w * 2 / 5))
    info_col = (main_w, min(2 * inset_h, height), width, height)

    def column(main, first, second) -> tuple[Panel, ...]:
        return (Panel(tuple(main), 0, 0, main_w, height), Panel(tuple(first), main_w, 0, col_w, inset_h),
                Panel(tuple(second), main_w, inset_h, col_w, inset_h))

    hs = events.get("heatshield_separation", t_start_s)
    # The sky-crane shot starts where its panels' first cameras start recording after heat-shield
    # separation (Mars 2020: the DDC and the RUC, 2 s before the sky crane), else 2 s before it.
    crane = [windows[p[0]][0] for p in crane_panels if p and p[0] in windows and windows[p[0]][0] > hs]
    crane_t = min(crane) if crane else events.get("skycrane_start", t_end_s) - 2.0
    half = width // 4 * 2
    split_h = min(height - 100, 2 * int(round(half * 2 / 5))) // 2 * 2
    shots = [
        Shot("parachute", t_start_s, hs, column(*chute), info_col, main_w // 2, height),
        Shot("descent", hs, crane_t, column(*descent), info_col, main_w // 2, height),
        Shot("sky crane", crane_t, t_end_s,
             (Panel(tuple(crane_panels[0]), 0, 0, half, split_h), Panel(tuple(crane_panels[1]), half, 0, width - half, split_h)),
             (0, split_h, width, height), width // 2, split_h),
    ]
    out = []
    for s in shots:
        lo, hi = max(s.t_start_s, t_start_s), min(s.t_end_s, t_end_s)
        if hi > lo:
            out.append(Shot(s.name, lo, hi, s.panels, s.info, s.caption_x, s.caption_bottom))
    return out


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


def _even_rect(x0: int, y0: int, x1: int, y1: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The rectangle [x0, x1) × [y0, y1) grown to even edges (4:2:0 chroma pairs) and clipped to the frame."""
    return max(0, x0 // 2 * 2), max(0, y0 // 2 * 2), min(width, (x1 + 1) // 2 * 2), min(height, (y1 + 1) // 2 * 2)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Canvas:
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


class _Composer:
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
        self.canvas = _Canvas(width, height)
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
                strip = _even_rect(u[0], u[1], u[2], u[3], self.width, self.height)
                strip = (max(strip[0], x0), max(strip[1], y0), min(strip[2], x1), min(strip[3], y1))
                if any(j != i and _overlaps(strip, inks[j]) for j in range(len(items))):
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
            rect = _even_rect(bx0, by0, bx1 + 1, by1 + 1, self.width, self.height)
            key = ("label", xy, text, colour)
            item = TextItem(xy, text, 16, colour)
            layers.append((key, rect, lambda k=key, r=rect, it=item: self.canvas.blit(
                *self._patch(k, r, [it], BOX))))
        items = tuple(telemetry_items(shot.info, telemetry_at(self.trajectory, self.timeline, t_s),
                                      note=self.sound_note))
        box = shot.info
        rect = _even_rect(box[0], box[1], box[2] + 1, box[3] + 1, self.width, self.height)
        # one key for the block: its lines change every frame and are updated inside it
        layers.append((("telemetry", box), rect, lambda full, r=rect: self._telemetry(r, items, full)))
        caption = caption_for(self.events, t_s)
        if caption:
            (cx0, cy0, cx1, cy1), item = caption_box(shot.caption_x, shot.caption_bottom, caption)
            rect = _even_rect(cx0, cy0, cx1 + 1, cy1 + 1, self.width, self.height)
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
            if key not in before or any(_overlaps(rect, d) for d in damaged):
                if key[0] == "telemetry":
                    draw(True)
                else:
                    draw()
                damaged.append(rect)
            elif key[0] == "telemetry":
                damaged.extend(draw(False))  # layers above the lines it changed are drawn again
        self.drawn = [(key, rect) for key, rect, _ in layers]
        return self.canvas.buf


def assemble_film(run: str | Path, *, width: int = FILM_WIDTH_PX, height: int = FILM_HEIGHT_PX,
                  fps: int = FILM_FPS, t_start_s: float | None = None, t_end_s: float | None = None,
                  out: Path | None = None, progress: ProgressFn | None = None, frame_sink=None) -> FilmResult:
    """Compose and encode RUN/ground/landing.mp4 from the catalog (build it first).

    ``t_start_s``/``t_end_s`` [E+ s] cut the film (default: :func:`film_span`). ``frame_sink``,
    if given, receives a copy of every composed frame as I420 (``(3H/2)×W`` uint8, the encoder's
    input; benchmarks time the encoder alone on them).
    """
    import av

    from edlcam.ground.catalog import open_catalog
    from edlcam.ground.sound import load_soundtrack
    from edlcam.ground.timecorr import TimeLine
    from edlcam.ground.video import h264_stream, open_cameras

    run = Path(run)
    if width % 2 or height % 2 or width < 320 or height < 180:
        raise ValueError(f"film size {width}×{height}: use even sizes of at least 320×180")
    from concurrent.futures import ThreadPoolExecutor

    from edlcam.ground.sound import read_track

    mission = runfolder.load_run_mission(run)
    # Setup reads that do not depend on each other overlap (≈ 1 s in line, paid before the first frame).
    setup = ThreadPoolExecutor(max_workers=2, thread_name_prefix="edlcam-film-setup")
    trajectory_read = setup.submit(lambda: runfolder.read_trajectory(run, TRAJECTORY_COLUMNS).as_dict())
    con = open_catalog(run)
    audio = con.execute("SELECT path, sclk_start FROM products WHERE kind = 'audio' AND status = 'received' "
                        "ORDER BY sclk_start LIMIT 1").fetchone()
    track_read = None if audio is None else setup.submit(read_track, runfolder.received_path(run, audio["path"]))
    setup.shutdown(wait=False)
    timeline = TimeLine.from_mission(mission)
    events = runfolder.read_events(run).times()
    try:
        trajectory = trajectory_read.result()
        cameras = open_cameras(run, con, mission, prefer=FILM_KIND_ORDER)
        windows = {n: c.window_s for n, c in cameras.items() if len(c)}
        if not windows:
            raise RunFolderError(f"{run / runfolder.CATALOG}: no camera frames in the catalog; "
                                 f"run `edlcam film {run}` and `edlcam relay {run}` first")
        span = film_span(events, windows, mission.cameras)
        t0 = span[0] if t_start_s is None else float(t_start_s)
        t1 = span[1] if t_end_s is None else float(t_end_s)
        shots = edit_list(events, windows, t0, t1, width=width, height=height, film=mission.cameras)
        sound = None
        if audio is not None:
            sound = load_soundtrack(runfolder.received_path(run, audio["path"]), track=track_read.result(),
                                    t0_s=float(timeline.t_s(audio["sclk_start"])), t_start_s=t0, t_end_s=t1)
        else:
            log.warning("no microphone product received: the film is silent")
        from edlcam.ground.lvs_overlay import LvsOverlay

        composer = _Composer(cameras, shots, trajectory, timeline, events, width, height,
                             sound.note if sound else "sound: not received yet",
                             lvs=LvsOverlay.load(run, mission.lvs.camera))
        path = out or run / runfolder.LANDING_FILM
        path.parent.mkdir(parents=True, exist_ok=True)
        n_frames = int(np.floor((t1 - t0) * fps + 1e-9))
        with av.open(str(path), mode="w", options=FASTSTART) as container:
            vstream = h264_stream(container, width=width, height=height, rate=Fraction(fps))
            astream = None
            if sound is not None:
                astream = container.add_stream("aac", rate=sound.sample_rate_hz)
                astream.layout = "mono"
                astream.bit_rate = AUDIO_BITRATE_BPS
            a_done = 0
            with contextlib.closing(_composed_ahead(composer, [t0 + k / fps for k in range(n_frames)])) as composed:
                for k, canvas in enumerate(composed):
                    if frame_sink is not None:
                        frame_sink(canvas)
                    vf = av.VideoFrame.from_numpy_buffer(canvas, format="yuv420p")
                    vf.pts = k
                    for packet in vstream.encode(vf):
                        container.mux(packet)
                    if astream is not None:
                        a_end = min(len(sound.samples), int(round((k + 1) / fps * sound.sample_rate_hz)))
                        if a_end > a_done:
                            af = av.AudioFrame.from_ndarray(sound.samples[None, a_done:a_end], format="fltp",
                                                            layout="mono")
                            af.sample_rate = sound.sample_rate_hz
                            af.pts = a_done
                            for packet in astream.encode(af):
                                container.mux(packet)
                            a_done = a_end
                    if progress is not None:
                        progress(k + 1, n_frames)
            for stream in (vstream, astream):
                if stream is not None:
                    for packet in stream.encode():
                        container.mux(packet)
        for c in cameras.values():
            c.close()
    finally:
        con.close()
    return FilmResult(path, n_frames, fps, width, height, t0, t1,
                      [{"name": s.name, "t_start_s": round(s.t_start_s, 3), "t_end_s": round(s.t_end_s, 3),
                        "cameras": [list(p.cameras) for p in s.panels]} for s in shots],
                      dict(composer.kinds), sound.note if sound else None)


def _yield_cpu_to_the_encoder() -> None:
    """Put this thread in Linux's idle scheduling class (else at nice 19), so libx264's threads,
    the film's critical path, run first and composing takes only the CPU they leave. (nice 19
    alone still took enough to slow libx264: whole-film overhead 14–21 % against 10–13 %.)"""
    import os
    import threading

    try:
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):  # not Linux, or not allowed: compose at the same priority
            pass


def _composed_ahead(composer: _Composer, times_s: list[float], depth: int = 12) -> Iterator[np.ndarray]:
    """The film frames at ``times_s`` (I420 copies, in order), composed on a thread of their own.

    Composing (decoding the cameras' segments, scaling, overlays) and libx264 both release the
    GIL, so composing the next frames while the encoder works on this one uses the CPU libx264
    leaves idle (it keeps ≈ 1.4 of 2 cores busy at 720p veryfast). One thread composes, in time
    order, so the frames are the same as composed in line. ``depth`` frames wait at most (1.4 MB each).
    """
    import queue
    import threading

    done = object()
    frames: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            _yield_cpu_to_the_encoder()
            for t in times_s:
                if stop.is_set():
                    return
                frames.put(composer.compose(t).copy())
            frames.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            frames.put(exc)

    worker = threading.Thread(target=produce, name="edlcam-compose", daemon=True)
    worker.start()
    try:
        while (item := frames.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                frames.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()


def assemble(run: str | Path, *, cameras: bool = True, progress: Callable[[str, int, int], None] | None = None,
             **film_options) -> dict:
    """The ground stage: catalog, one MP4 per camera, the film; writes RUN/ground/assembly.json.

    The MP4s, the assembly record and the provenance record are built in the run's staging folder and
    swapped into RUN/ground/ together once all are complete (:mod:`edlcam.staging`); the
    catalog replaces itself atomically. Refuses a run whose onboard/ or link/ outputs were made
    from another flight or recording (naming the stage to rerun).
    """
    from edlcam.ground.catalog import build_catalog, open_catalog
    from edlcam.ground.video import open_cameras, write_camera_mp4
    from edlcam.staging import building, check_inputs, commit, input_digests, write_provenance

    run = Path(run)
    check_inputs(run, ["flight", "lvs", "onboard", "link"])
    stats = build_catalog(run)
    if progress:
        progress("catalog", 1, 1)
    per_camera = {}
    with building(run, "assemble") as new:
        (new / runfolder.GROUND_DIR).mkdir()
        if cameras:
            mission = runfolder.load_run_mission(run)
            con = open_catalog(run)
            try:
                cams = open_cameras(run, con, mission)
                total = sum(len(c) for c in cams.values()) or 1
                done = 0
                for name, frames in cams.items():
                    def tick(name=name):
                        nonlocal done
                        done += 1
                        if progress:
                            progress(f"camera {name}", done, total)
                    video = write_camera_mp4(frames, runfolder.camera_film(new, name), progress=tick)
                    per_camera[name] = {"path": video.path.name, "frames": video.frames, "fps": video.fps,
                                        "t_start_s": None if video.t_start_s is None else round(video.t_start_s, 6),
                                        "copied": video.copied}
            finally:
                con.close()
        film = assemble_film(run, out=new / runfolder.LANDING_FILM,
                             progress=(lambda d, t: progress("film", d, t)) if progress else None, **film_options)
        summary = {
            "catalog": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(stats).items()},
            "cameras": per_camera,
            "film": {**{k: v for k, v in asdict(film).items() if k != "path"}, "path": film.path.name},
        }
        assembly = runfolder.write_json(new / runfolder.ASSEMBLY, summary, indent=1)
        write_provenance(assembly.parent, stage="assemble", inputs=input_digests(run, runfolder.GROUND_DIR),
                         files={assembly.name: assembly})
    ground = run / runfolder.GROUND_DIR
    commit(run, "assemble", [(f, ground / f.name) for f in sorted((new / runfolder.GROUND_DIR).iterdir())])
    return summary


def probe(path: str | Path) -> dict:
    """ffprobe-like facts of an MP4 (PyAV): per stream codec, rate, size, duration, frames."""
    import av

    info = {"path": str(path), "streams": []}
    with av.open(str(path)) as c:
        info["duration_s"] = None if c.duration is None else c.duration / 1e6
        for s in c.streams:
            row = {"type": s.type, "codec": s.codec_context.name, "frames": s.frames,
                   "duration_s": None if s.duration is None else float(s.duration * s.time_base)}
            if s.type == "video":
                row.update(width=s.codec_context.width, height=s.codec_context.height,
                           fps=float(s.average_rate) if s.average_rate else None, pix_fmt=s.codec_context.pix_fmt)
            elif s.type == "audio":
                row.update(sample_rate_hz=s.codec_context.sample_rate, channels=s.codec_context.channels)
            info["streams"].append(row)
    return info


def snapshots(path: str | Path, film_times_s: list[float]) -> list[tuple[float, "np.ndarray"]]:
    """Decoded RGB frames of an MP4 at the given times [s from its start] (PyAV), in order.

    Each is the first frame shown at or after its time. The decoder seeks to the keyframe before
    a time more than a few seconds ahead instead of decoding the whole film up to it.
    """
    import av

    from edlcam.ground.video import i420_to_rgb

    wanted = sorted(film_times_s)
    out = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.codec_context.thread_count = 1
        t_now = None  # time of the last decoded frame
        frames = None
        sought = None  # the time last sought to: after a seek, decode on from its keyframe
        while wanted:
            if frames is None or (wanted[0] != sought and wanted[0] - t_now > SEEK_AHEAD_S):
                sought = wanted[0]
                c.seek(max(0, int(sought / stream.time_base)), stream=stream, backward=True)
                frames = c.decode(stream)
            frame = next(frames, None)
            if frame is None:
                break
            t_now = float(frame.pts * stream.time_base)
            image = None
            while wanted and t_now + 1e-6 >= wanted[0]:
                if image is None:
                    image = i420_to_rgb(frame.to_ndarray()) if frame.format.name == "yuv420p" else \
                        frame.to_ndarray(format="rgb24")
                out.append((t_now, image))
                wanted.pop(0)
    return out
