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
that came home (:mod:`edlcam.ground.video`); overlays are drawn with Pillow; the microphone track
runs under it in sync (:mod:`edlcam.ground.sound`). H.264 + AAC by PyAV.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from edlcam.errors import RunFolderError

__all__ = [
    "FILM_WIDTH_PX", "FILM_HEIGHT_PX", "FILM_FPS", "Panel", "Shot", "FilmResult", "edit_list", "film_span",
    "assemble_film", "assemble", "probe", "snapshots", "telemetry_at",
]

log = logging.getLogger(__name__)

FILM_WIDTH_PX = 1280
FILM_HEIGHT_PX = 720
FILM_FPS = 30
AUDIO_BITRATE_BPS = 128_000
# The film shows a frame from its video segment when that came home: at the film's size it looks
# the same as the lossless PNG (both from the same preview or full frame; CRF 23) and decodes ≈ 7×
# faster (benchmarks/demo.py), so the film keeps up with its encoder. Per-camera MP4s use the best.
FILM_KIND_ORDER = ("video", "lossless", "browse", "thumbnail")
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


def film_span(events: dict[str, float], windows: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """(start, end) of the film [E+ s]: a second before parachute deploy to the last descent-camera frame.

    The end is at least 5 s after ``flyaway_start`` where the flight has one, so the flyaway is seen.
    """
    start = events.get("parachute_deploy", min((w[0] for w in windows.values()), default=0.0)) - 1.0
    ends = [windows[c][1] for c in ("ddc", "ruc", "rdc") if c in windows]
    end = max(ends) if ends else max((w[1] for w in windows.values()), default=start + 1.0)
    if "flyaway_start" in events:
        end = max(end, events["flyaway_start"] + 5.0)
    return start, end


def edit_list(events: dict[str, float], windows: dict[str, tuple[float, float]], t_start_s: float,
              t_end_s: float, *, width: int = FILM_WIDTH_PX, height: int = FILM_HEIGHT_PX) -> list[Shot]:
    """The film's shots between ``t_start_s`` and ``t_end_s`` for a flight's events and camera windows.

    Layouts: one camera large (5:4, full height) with two insets and the telemetry in a column
    beside it; in the sky crane two cameras side by side above a telemetry strip.
    """
    main_w = min(width, int(round(height * 5 / 4)))
    col_w = width - main_w
    inset_h = int(round(col_w * 4 / 5))
    info_col = (main_w, min(2 * inset_h, height), width, height)

    def column(main: tuple[str, ...], first: tuple[str, ...], second: tuple[str, ...]) -> tuple[Panel, ...]:
        return (Panel(main, 0, 0, main_w, height), Panel(first, main_w, 0, col_w, inset_h),
                Panel(second, main_w, inset_h, col_w, inset_h))

    hs = events.get("heatshield_separation", t_start_s)
    crane = [windows[c][0] for c in ("ddc", "ruc") if c in windows]
    crane_t = min(crane) if crane else events.get("skycrane_start", t_end_s) - 2.0
    half = width // 2
    split_h = min(height - 100, int(round(half * 4 / 5)))
    shots = [
        Shot("parachute", t_start_s, hs, column(("puc_a", "puc_b", "puc_c"), ("puc_b",), ("puc_c",)),
             info_col, main_w // 2, height),
        Shot("descent", hs, crane_t, column(("rdc", "lcam"), ("puc_a", "puc_b", "puc_c"), ("lcam",)),
             info_col, main_w // 2, height),
        Shot("sky crane", crane_t, t_end_s,
             (Panel(("ddc",), 0, 0, half, split_h), Panel(("ruc", "rdc"), half, 0, width - half, split_h)),
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


def _fit(image: np.ndarray, w: int, h: int) -> tuple[np.ndarray, int, int]:
    """``image`` scaled to fit in w×h keeping its aspect; (scaled, x offset, y offset)."""
    import cv2

    ih, iw = image.shape[:2]
    s = min(w / iw, h / ih)
    nw, nh = max(1, int(round(iw * s))), max(1, int(round(ih * s)))
    scaled = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    return scaled, (w - nw) // 2, (h - nh) // 2


class _Composer:
    """Composes film frames; keeps each panel's last scaled picture (cameras run slower than the film)."""

    def __init__(self, cameras, shots, trajectory, timeline, events, width, height, sound_note):
        self.cameras, self.shots, self.trajectory, self.timeline = cameras, shots, trajectory, timeline
        self.events = sorted(events.items(), key=lambda kv: kv[1])
        self.width, self.height, self.sound_note = width, height, sound_note
        self.cache: dict[Panel, tuple] = {}
        self.kinds: Counter = Counter()

    def shot_at(self, t_s: float) -> Shot:
        for s in self.shots:
            if s.t_start_s <= t_s < s.t_end_s:
                return s
        return self.shots[-1]

    def _panel(self, panel: Panel, t_s: float):
        from edlcam.ground.video import gap_card

        for name in panel.cameras:
            frames = self.cameras.get(name)
            pos = None if frames is None else frames.position_at(t_s)
            if pos is None:
                continue
            key = (name, pos)
            cached = self.cache.get(panel)
            if cached is not None and cached[0] == key:
                self.kinds[cached[2] or "none"] += 1
                return cached[1], name, cached[2]
            kind = frames.kind_at(pos)
            if kind is None:
                image = gap_card(panel.w, panel.h, "not received yet")
                placed = (image, 0, 0)
            else:
                placed = _fit(frames.picture(pos).image, panel.w, panel.h)
            self.cache[panel] = (key, placed, kind)
            self.kinds[kind or "none"] += 1
            return placed, name, kind
        key = ("", -1)
        cached = self.cache.get(panel)
        if cached is None or cached[0] != key:
            self.cache[panel] = (key, (gap_card(panel.w, panel.h, "no camera recording"), 0, 0), None)
        return self.cache[panel][1], None, None

    def frame(self, t_s: float):
        """The PIL image of the film at E+ ``t_s``."""
        from PIL import Image, ImageDraw

        from edlcam.ground.overlays import AMBER, RED, WHITE, caption_for, draw_caption, draw_label, draw_telemetry

        shot = self.shot_at(t_s)
        canvas = np.zeros((self.height, self.width, 3), np.uint8)
        tags = []
        for panel in shot.panels:
            (image, ox, oy), name, kind = self._panel(panel, t_s)
            x, y = panel.x + ox, panel.y + oy
            canvas[y: y + image.shape[0], x: x + image.shape[1]] = image
            if name is not None:
                note = KIND_NOTE.get(kind or "", "")
                colour = RED if kind is None else (AMBER if note else WHITE)
                text = name.upper().replace("_", " ") + (f" · {note}" if note else "")
                tags.append(((panel.x + 8, panel.y + 8), text, colour))
        pil = Image.fromarray(canvas)
        draw = ImageDraw.Draw(pil)
        for xy, text, colour in tags:
            draw_label(draw, xy, text, colour=colour)
        draw_telemetry(draw, shot.info, telemetry_at(self.trajectory, self.timeline, t_s), note=self.sound_note)
        caption = caption_for(self.events, t_s)
        if caption:
            draw_caption(draw, shot.caption_x, shot.caption_bottom, caption)
        return pil


def _event_times(events: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for e in events:
        out.setdefault(str(e["name"]), float(e["t_s"]))
    return out


def assemble_film(run: str | Path, *, width: int = FILM_WIDTH_PX, height: int = FILM_HEIGHT_PX,
                  fps: int = FILM_FPS, t_start_s: float | None = None, t_end_s: float | None = None,
                  out: Path | None = None, progress: ProgressFn | None = None, frame_sink=None) -> FilmResult:
    """Compose and encode RUN/ground/landing.mp4 from the catalog (build it first).

    ``t_start_s``/``t_end_s`` [E+ s] cut the film (default: :func:`film_span`). ``frame_sink``,
    if given, receives every composed PIL frame (benchmarks time the encoder alone on them).
    """
    import av

    from edlcam.ground.catalog import open_catalog
    from edlcam.ground.runfolder import load_run_mission, read_events, read_trajectory
    from edlcam.ground.sound import load_soundtrack
    from edlcam.ground.timecorr import TimeLine
    from edlcam.ground.video import h264_stream, open_cameras

    run = Path(run)
    if width % 2 or height % 2 or width < 320 or height < 180:
        raise ValueError(f"film size {width}×{height}: use even sizes of at least 320×180")
    mission = load_run_mission(run)
    timeline = TimeLine.from_mission(mission)
    events = _event_times(read_events(run))
    trajectory = read_trajectory(run)
    con = open_catalog(run)
    try:
        cameras = open_cameras(run, con, mission, prefer=FILM_KIND_ORDER)
        windows = {n: c.window_s for n, c in cameras.items() if len(c)}
        if not windows:
            raise RunFolderError(f"{run / 'ground' / 'catalog.sqlite'}: no camera frames in the catalog; "
                                 f"run `edlcam film {run}` and `edlcam relay {run}` first")
        span = film_span(events, windows)
        t0 = span[0] if t_start_s is None else float(t_start_s)
        t1 = span[1] if t_end_s is None else float(t_end_s)
        shots = edit_list(events, windows, t0, t1, width=width, height=height)
        sound = None
        audio = con.execute("SELECT path, sclk_start FROM products WHERE kind = 'audio' AND status = 'received' "
                            "ORDER BY sclk_start LIMIT 1").fetchone()
        if audio is not None:
            sound = load_soundtrack(run / "ground" / "received" / audio["path"],
                                    t0_s=float(timeline.t_s(audio["sclk_start"])), t_start_s=t0, t_end_s=t1)
        else:
            log.warning("no microphone product received: the film is silent")
        composer = _Composer(cameras, shots, trajectory, timeline, events, width, height,
                             sound.note if sound else "sound: not received yet")
        path = out or run / "ground" / "landing.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        n_frames = int(np.floor((t1 - t0) * fps + 1e-9))
        with av.open(str(path), mode="w") as container:
            vstream = h264_stream(container, width=width, height=height, rate=Fraction(fps))
            astream = None
            if sound is not None:
                astream = container.add_stream("aac", rate=sound.sample_rate_hz)
                astream.layout = "mono"
                astream.bit_rate = AUDIO_BITRATE_BPS
            a_done = 0
            for k in range(n_frames):
                t = t0 + k / fps
                pil = composer.frame(t)
                if frame_sink is not None:
                    frame_sink(pil)
                vf = av.VideoFrame.from_image(pil)
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


def assemble(run: str | Path, *, cameras: bool = True, progress: Callable[[str, int, int], None] | None = None,
             **film_options) -> dict:
    """The ground stage: catalog, one MP4 per camera, the film; writes RUN/ground/assembly.json."""
    from edlcam.ground.catalog import build_catalog, open_catalog
    from edlcam.ground.runfolder import load_run_mission
    from edlcam.ground.video import open_cameras, write_camera_mp4

    run = Path(run)
    stats = build_catalog(run)
    if progress:
        progress("catalog", 1, 1)
    per_camera = {}
    if cameras:
        mission = load_run_mission(run)
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
                path = run / "ground" / f"{name}.mp4"
                per_camera[name] = {"path": path.name, "frames": write_camera_mp4(frames, path, progress=tick),
                                    "fps": round(1 / frames.period_s, 3) if len(frames) > 1 else None}
        finally:
            con.close()
    film = assemble_film(run, progress=(lambda d, t: progress("film", d, t)) if progress else None, **film_options)
    summary = {
        "catalog": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(stats).items()},
        "cameras": per_camera,
        "film": {**{k: v for k, v in asdict(film).items() if k != "path"}, "path": film.path.name},
    }
    (run / "ground" / "assembly.json").write_text(json.dumps(summary, indent=1) + "\n")
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
    """Decoded RGB frames of an MP4 at the given times [s from its start] (PyAV), in order."""
    import av

    wanted = sorted(film_times_s)
    out = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        for frame in c.decode(stream):
            t = float(frame.pts * stream.time_base)
            while wanted and t + 1e-6 >= wanted[0]:
                out.append((t, frame.to_ndarray(format="rgb24")))
                wanted.pop(0)
            if not wanted:
                break
    return out
