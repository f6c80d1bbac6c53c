"""The frames that came home, camera by camera, and one MP4 per camera at its own frame rate.

:class:`CameraFrames` knows every frame a camera recorded (from the catalog's ``frames`` table,
placed on the time line by its own SCLK) and shows each from the best product received:
lossless PNG, then the H.264 video segment (decoded with PyAV), then the half-size browse JPEG,
then the 1/8 thumbnail — upscaled and labelled as such. A frame with nothing received is a
labelled grey card, never an invented picture.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

__all__ = ["Picture", "CameraFrames", "open_cameras", "write_camera_mp4", "gap_card", "h264_stream"]

log = logging.getLogger(__name__)

GAP_GREY = (52, 52, 56)


@dataclass(frozen=True)
class Picture:
    """One frame as shown: RGB uint8 pixels and what they came from."""

    image: np.ndarray  # H×W×3 uint8
    kind: str | None  # lossless, video, browse, thumbnail; None = nothing received
    t_s: float  # the frame's own time (E+, exposure start)
    frame_index: int


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return image


def _read_image(path: Path) -> np.ndarray:
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{path} does not decode")
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return _to_rgb(image)


def gap_card(width: int, height: int, text: str) -> np.ndarray:
    """A grey card with a centred label, shown where no picture came home."""
    from PIL import Image, ImageDraw

    from edlcam.ground.overlays import font

    card = Image.new("RGB", (width, height), GAP_GREY)
    draw = ImageDraw.Draw(card)
    f = font(max(10, min(28, width // 18)))
    box = draw.textbbox((0, 0), text, font=f)
    draw.text(((width - box[2]) // 2, (height - box[3]) // 2), text, fill=(200, 200, 200), font=f)
    return np.asarray(card)


class _SegmentReader:
    """Sequential decoding of one H.264 segment (reopened only when asked to go back)."""

    def __init__(self, path: Path):
        self.path = path
        self._open()

    def _open(self) -> None:
        import av

        self.container = av.open(str(self.path))
        self.iterator = self.container.decode(video=0)
        self.position = -1
        self.current: np.ndarray | None = None

    def frame(self, position: int) -> np.ndarray:
        if position < self.position:
            self.close()
            self._open()
        while self.position < position:
            try:
                self.current = next(self.iterator).to_ndarray(format="rgb24")
            except StopIteration:
                raise ValueError(f"{self.path} holds {self.position + 1} frames, frame {position} asked") from None
            self.position += 1
        return self.current

    def close(self) -> None:
        self.container.close()


class CameraFrames:
    """Every recorded frame of one camera, each shown from the best product that came home."""

    def __init__(self, run: Path, camera: str, con: sqlite3.Connection, *, aspect: float,
                 scales: dict[str, float] | None = None, prefer: tuple[str, ...] | None = None):
        self.run, self.camera, self.aspect = Path(run), camera, aspect
        self.scales = scales or {"thumbnail": 0.125, "browse": 0.5}  # of each reduced kind, [onboard.products]
        rows = con.execute("SELECT frame_index, t_s, best_kind FROM frames WHERE camera = ? ORDER BY frame_index",
                           (camera,)).fetchall()
        self.frame_index = np.array([r[0] for r in rows], dtype=np.int64)
        self.t_s = np.array([r[1] for r in rows], dtype=float)
        self.kind = [r[2] for r in rows]
        self.period_s = float(np.median(np.diff(self.t_s))) if len(self.t_s) > 1 else 1.0
        self._paths: dict[tuple[str, int], tuple[str, int]] = {}  # (kind, frame) → (path, position in file)
        for pid, kind, path, first, last in con.execute(
            "SELECT id, kind, path, frame_first, frame_last FROM products "
            "WHERE camera = ? AND status = 'received' AND kind IN ('lossless', 'video', 'browse', 'thumbnail')",
            (camera,),
        ):
            lo = int(np.searchsorted(self.frame_index, first, side="left"))
            hi = int(np.searchsorted(self.frame_index, last, side="right"))
            for pos, k in enumerate(range(lo, hi)):
                self._paths[(kind, int(self.frame_index[k]))] = (path, pos)
        if prefer is not None:  # show the first kind of ``prefer`` that came home, not the best
            self.kind = [next((k for k in prefer if (k, int(n)) in self._paths), None) for n in self.frame_index]
        self._segment: _SegmentReader | None = None

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def window_s(self) -> tuple[float, float]:
        """(first frame time, last frame time + one period) [E+ s]; (inf, -inf) if none."""
        if not len(self.t_s):
            return (np.inf, -np.inf)
        return float(self.t_s[0]), float(self.t_s[-1] + self.period_s)

    def position_at(self, t_s: float) -> int | None:
        """The frame on show at ``t_s``: the latest one exposed at or before it, within 1.5 periods."""
        i = int(np.searchsorted(self.t_s, t_s + 1e-9, side="right")) - 1
        if i < 0 or t_s - self.t_s[i] > 1.5 * self.period_s:
            return None
        return i

    def kind_at(self, position: int) -> str | None:
        """Best kind received for the frame at ``position``."""
        return self.kind[position]

    def picture(self, position: int) -> Picture:
        """The frame at ``position`` from its best received product (image at that product's size)."""
        n = int(self.frame_index[position])
        kind = self.kind[position]
        t = float(self.t_s[position])
        if kind is None:
            return Picture(np.zeros((0, 0, 3), np.uint8), None, t, n)
        path, pos = self._paths[(kind, n)]
        full = self.run / "ground" / "received" / path
        if kind == "video":
            if self._segment is None or self._segment.path != full:
                if self._segment is not None:
                    self._segment.close()
                self._segment = _SegmentReader(full)
            image = self._segment.frame(pos)
        else:
            image = _read_image(full)
        return Picture(image, kind, t, n)

    def close(self) -> None:
        """Release the open video decoder."""
        if self._segment is not None:
            self._segment.close()
            self._segment = None


def open_cameras(run: Path, con: sqlite3.Connection, mission, *,
                 prefer: tuple[str, ...] | None = None) -> dict[str, CameraFrames]:
    """A :class:`CameraFrames` for every camera with recorded frames, keyed by name.

    ``prefer`` orders the kinds to show (default: the best received, lossless first).
    """
    views = mission.cameras.views
    names = [r[0] for r in con.execute("SELECT DISTINCT camera FROM frames ORDER BY camera")]
    out = {}
    for name in names:
        view = views.get(name)
        aspect = view.width_px / view.height_px if view is not None else 4 / 3
        scales = {"thumbnail": mission.onboard.products.thumbnail_scale,
                  "browse": mission.onboard.products.browse_scale}
        out[name] = CameraFrames(run, name, con, aspect=aspect, scales=scales, prefer=prefer)
    return out


def h264_stream(container, *, width: int, height: int, rate: Fraction, crf: int = 20, preset: str = "veryfast"):
    """A libx264 yuv420p stream on ``container`` (PyAV) at frame ``rate``."""
    stream = container.add_stream("libx264", rate=rate)
    stream.width, stream.height = width, height
    stream.pix_fmt = "yuv420p"
    stream.time_base = 1 / rate
    stream.options = {"crf": str(crf), "preset": preset}
    return stream


def write_camera_mp4(frames: CameraFrames, path: Path, *, progress: Callable[[], None] | None = None) -> int:
    """One camera's recorded frames as H.264 MP4 at its own frame rate; frames written.

    The size is the best product's (lossless or video); lower-quality frames are upscaled and
    labelled, frames with nothing received are labelled cards. Timestamps follow each frame's
    own SCLK (a dropped frame leaves a gap in the presentation times, not a repeated picture).
    """
    import av
    import cv2

    from edlcam.ground.overlays import label_image

    if not len(frames):
        return 0
    size = _native_size(frames)
    w, h = size[0] // 2 * 2, size[1] // 2 * 2
    rate = Fraction(1 / frames.period_s).limit_denominator(1001)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with av.open(str(path), mode="w") as container:
        stream = h264_stream(container, width=w, height=h, rate=rate)
        last_pts = -1
        for i in range(len(frames)):
            pic = frames.picture(i)
            if pic.kind is None:
                image = gap_card(w, h, f"{frames.camera.upper()} frame {pic.frame_index}: not received")
            else:
                image = pic.image
                if image.shape[1] != w or image.shape[0] != h:
                    small = image.shape[1] < w
                    image = cv2.resize(image, (w, h), interpolation=cv2.INTER_CUBIC if small else cv2.INTER_AREA)
                if pic.kind in ("thumbnail", "browse"):
                    image = label_image(image, f"{pic.kind} (upscaled)")
            pts = int(round((pic.t_s - frames.t_s[0]) / frames.period_s))
            if pts <= last_pts:
                continue
            last_pts = pts
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = pts
            for packet in stream.encode(frame):
                container.mux(packet)
            written += 1
            if progress is not None:
                progress()
        for packet in stream.encode():
            container.mux(packet)
    frames.close()
    return written


def _native_size(frames: CameraFrames) -> tuple[int, int]:
    """(width, height) of the camera's full-size products, from the first one received."""
    for best in ("lossless", "video"):
        for i, k in enumerate(frames.kind):
            if k == best:
                image = frames.picture(i).image
                return image.shape[1], image.shape[0]
    for i, k in enumerate(frames.kind):
        if k is not None:
            image = frames.picture(i).image
            scale = frames.scales.get(k, 1.0)
            return round(image.shape[1] / scale), round(image.shape[0] / scale)
    return int(round(480 * frames.aspect)) // 2 * 2, 480
