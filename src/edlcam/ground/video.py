"""The frames that came home, camera by camera, and one MP4 per camera at its own frame rate.

:class:`CameraFrames` knows every frame a camera recorded (from the catalog's ``frames`` table,
placed on the time line by its own SCLK) and shows each from the best product received:
lossless PNG, then the H.264 video segment (decoded with PyAV), then the half-size browse JPEG,
then the 1/8 thumbnail — upscaled and labelled as such. A frame with nothing received is a
labelled grey card, never an invented picture.

Pictures travel as planar YUV 4:2:0 (I420, the layout of the H.264 segments and of the encoder's
input), so a frame decoded from a segment reaches the film's encoder without a round trip
through RGB; images (PNG, JPEG) are converted once, with OpenCV. When every frame of a camera
came home in its video segments, the camera's MP4 is those segments' H.264 packets copied
(remuxed) onto the camera's time line — no decoding, no second generation of compression.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from edlcam import runfolder

__all__ = ["Picture", "CameraFrames", "CameraVideo", "open_cameras", "write_camera_mp4", "copy_camera_mp4",
           "gap_card", "h264_stream", "rgb_to_i420", "i420_to_rgb", "i420_planes", "fit_i420",
           "FILM_CRF", "FILM_PRESET"]

log = logging.getLogger(__name__)

GAP_GREY = (52, 52, 56)
# libx264 settings of every MP4 the ground encodes (benchmarks/RESULTS.md compares presets):
FILM_CRF = 20  # visually transparent for this content at 720p (x264's default is 23)
# MP4 index (moov) at the front, so a browser can start playing and seek before it has the whole file
FASTSTART = {"movflags": "+faststart"}
FILM_PRESET = "veryfast"


@dataclass(frozen=True)
class Picture:
    """One frame as shown: RGB uint8 pixels and what they came from."""

    image: np.ndarray  # H×W×3 uint8
    kind: str | None  # lossless, video, browse, thumbnail; None = nothing received
    t_s: float  # the frame's own time (E+, exposure start)
    frame_index: int


@dataclass(frozen=True)
class CameraVideo:
    """What :func:`write_camera_mp4` wrote."""

    path: Path
    frames: int  # frames in the file
    fps: float | None  # the camera's frame rate (None: a single frame)
    t_start_s: float | None  # E+ of the first frame (presentation time 0)
    copied: bool  # True: the received H.264 segments remuxed; False: encoded here


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return image


def rgb_to_i420(rgb: np.ndarray) -> np.ndarray:
    """RGB (H×W×3, even H and W) → I420 ((3H/2)×W): BT.601 limited range, as FFmpeg's swscale does.

    OpenCV's conversion gives swscale's values (±1 in Y) about 20× faster.
    """
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)


def i420_to_rgb(i420: np.ndarray) -> np.ndarray:
    """I420 ((3H/2)×W) → RGB (H×W×3), BT.601 limited range."""
    import cv2

    return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)


def i420_planes(i420: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of an I420 array ((3H/2)×W, W and H even)."""
    w = i420.shape[1]
    h = i420.shape[0] * 2 // 3
    chroma = i420[h:].reshape(2, h // 2, w // 2)  # each chroma plane: H/2 rows of W/2
    return i420[:h], chroma[0], chroma[1]


def fit_i420(i420: np.ndarray, w: int, h: int) -> tuple[np.ndarray, int, int]:
    """An I420 picture scaled to fit in w×h keeping its aspect; (scaled, x offset, y offset), all even.

    Bicubic when enlarging; bilinear when shrinking by less than 2× — on these smooth rendered
    frames it matches area averaging (PSNR > 70 dB against it) at a sixth of the cost
    (benchmarks/RESULTS.md); area averaging when shrinking more.
    """
    import cv2

    y, u, v = i420_planes(i420)
    ih, iw = y.shape
    s = min(w / iw, h / ih)
    nw, nh = max(2, int(round(iw * s / 2)) * 2), max(2, int(round(ih * s / 2)) * 2)
    nw, nh = min(nw, w // 2 * 2), min(nh, h // 2 * 2)
    if (nw, nh) == (iw, ih):
        return i420, (w - nw) // 4 * 2, (h - nh) // 4 * 2
    interp = cv2.INTER_CUBIC if s > 1 else (cv2.INTER_LINEAR if s > 0.5 else cv2.INTER_AREA)
    out = np.empty((nh * 3 // 2, nw), np.uint8)
    oy, ou, ov = i420_planes(out)
    cv2.resize(y, (nw, nh), dst=oy, interpolation=interp)
    cv2.resize(u, (nw // 2, nh // 2), dst=ou, interpolation=interp)
    cv2.resize(v, (nw // 2, nh // 2), dst=ov, interpolation=interp)
    return out, (w - nw) // 4 * 2, (h - nh) // 4 * 2


def _read_image(path: Path, encoding: str | None = None) -> np.ndarray:
    """RGB of a received image; ``bayer_rggb8`` (a lossless product's sensor mosaic) is demosaiced."""
    import cv2

    from edlcam.onboard.products import demosaic_rggb

    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{path} does not decode")
    if encoding == "bayer_rggb8":
        if image.ndim != 2:
            raise ValueError(f"{path}: a Bayer mosaic must be a one-channel image, got shape {image.shape}")
        return demosaic_rggb(image)
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
    """Sequential decoding of one H.264 segment: each frame decoded once, reopened only to go back."""

    def __init__(self, path: Path):
        self.path = path
        self._open()

    def _open(self) -> None:
        import av

        self.container = av.open(str(self.path))
        stream = self.container.streams.video[0]
        # One thread: the segments have one slice per frame, so slice threads only add hand-offs,
        # and the film's encoder already has the cores.
        stream.codec_context.thread_count = 1
        self.iterator = self.container.decode(stream)
        self.position = -1
        self.current = None

    def frame(self, position: int):
        """The PyAV VideoFrame at ``position`` (0 = the segment's first)."""
        if position < self.position:
            self.close()
            self._open()
        while self.position < position:
            try:
                self.current = next(self.iterator)
            except StopIteration:
                raise ValueError(f"{self.path} holds {self.position + 1} frames, frame {position} asked") from None
            self.position += 1
        return self.current

    def close(self) -> None:
        self.container.close()


def _frame_i420(frame) -> np.ndarray:
    """A decoded PyAV VideoFrame as an I420 array (no colour conversion for yuv420p streams)."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    return frame.to_ndarray()


class CameraFrames:
    """Every recorded frame of one camera, each shown from the best product that came home."""

    def __init__(self, run: Path, camera: str, con: sqlite3.Connection, *, rate_hz: float, aspect: float,
                 scales: dict[str, float] | None = None, prefer: tuple[str, ...] | None = None):
        """``rate_hz``: the rate the camera recorded at (the manifest's ``rates_hz``)."""
        self.run, self.camera, self.aspect = Path(run), camera, aspect
        self.rate_hz = float(rate_hz)
        self.scales = scales or {"thumbnail": 0.125, "browse": 0.5}  # of each reduced kind, [onboard.products]
        rows = con.execute("SELECT frame_index, t_s, best_kind FROM frames WHERE camera = ? ORDER BY frame_index",
                           (camera,)).fetchall()
        self.frame_index = np.array([r[0] for r in rows], dtype=np.int64)
        self.t_s = np.array([r[1] for r in rows], dtype=float)
        self.kind = [r[2] for r in rows]
        self.period_s = 1.0 / self.rate_hz
        self._paths: dict[tuple[str, int], tuple[str, int]] = {}  # (kind, frame) → (path, position in file)
        self._encoding: dict[Path, str | None] = {}  # file → pixel encoding of an image product
        for pid, kind, path, first, last, encoding in con.execute(
            "SELECT id, kind, path, frame_first, frame_last, encoding FROM products "
            "WHERE camera = ? AND status = 'received' AND kind IN ('lossless', 'video', 'browse', 'thumbnail')",
            (camera,),
        ):
            lo = int(np.searchsorted(self.frame_index, first, side="left"))
            hi = int(np.searchsorted(self.frame_index, last, side="right"))
            for pos, k in enumerate(range(lo, hi)):
                self._paths[(kind, int(self.frame_index[k]))] = (path, pos)
            self._encoding[runfolder.received_path(self.run, path)] = encoding
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

    def _file(self, position: int) -> tuple[Path, int]:
        path, pos = self._paths[(self.kind[position], int(self.frame_index[position]))]
        return runfolder.received_path(self.run, path), pos

    def _decoded(self, full: Path, pos: int):
        if self._segment is None or self._segment.path != full:
            if self._segment is not None:
                self._segment.close()
            self._segment = _SegmentReader(full)
        return self._segment.frame(pos)

    def picture(self, position: int) -> Picture:
        """The frame at ``position`` from its best received product, RGB (image at that product's size)."""
        n = int(self.frame_index[position])
        kind = self.kind[position]
        t = float(self.t_s[position])
        if kind is None:
            return Picture(np.zeros((0, 0, 3), np.uint8), None, t, n)
        full, pos = self._file(position)
        if kind == "video":
            image = i420_to_rgb(_frame_i420(self._decoded(full, pos)))
        else:
            image = _read_image(full, self._encoding.get(full))
        return Picture(image, kind, t, n)

    def i420(self, position: int) -> np.ndarray | None:
        """The frame at ``position`` as I420 at its product's size (cropped to even); None if nothing came home.

        Video frames come straight from the decoder; images are converted once (BT.601, as swscale).
        """
        kind = self.kind[position]
        if kind is None:
            return None
        full, pos = self._file(position)
        if kind == "video":
            return _frame_i420(self._decoded(full, pos))
        image = _read_image(full, self._encoding.get(full))
        h, w = max(2, image.shape[0] // 2 * 2), max(2, image.shape[1] // 2 * 2)
        if image.shape[0] < 2 or image.shape[1] < 2:
            import cv2

            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_NEAREST)
        return rgb_to_i420(image[:h, :w])

    def sources(self) -> tuple:
        """What each frame is shown from, in frame order: (kind, product path, position in it, pixel
        encoding), or None where nothing came home (the film's reads, :mod:`edlcam.ground.ahead`)."""
        out = []
        for kind, n in zip(self.kind, self.frame_index):
            if kind is None:
                out.append(None)
                continue
            path, pos = self._paths[(kind, int(n))]
            out.append((kind, path, pos, self._encoding.get(runfolder.received_path(self.run, path))))
        return tuple(out)

    def video_segments(self) -> list[tuple[Path, list[int]]] | None:
        """The received video segments in order with the positions each holds, if they hold every frame.

        None when any frame lacks a received video segment (its MP4 must then be encoded).
        """
        out: list[tuple[Path, list[int]]] = []
        for position, n in enumerate(self.frame_index):
            hit = self._paths.get(("video", int(n)))
            if hit is None:
                return None
            full = runfolder.received_path(self.run, hit[0])
            if out and out[-1][0] == full:
                out[-1][1].append(position)
            else:
                out.append((full, [position]))
            if hit[1] != len(out[-1][1]) - 1:  # the segment's frames must be this camera's, in order
                return None
        return out

    def close(self) -> None:
        """Release the open video decoder."""
        if self._segment is not None:
            self._segment.close()
            self._segment = None


def open_cameras(run: Path, con: sqlite3.Connection, mission, *,
                 prefer: tuple[str, ...] | None = None) -> dict[str, CameraFrames]:
    """A :class:`CameraFrames` for every camera with recorded frames, keyed by name.

    ``prefer`` orders the kinds to show (default: the best received, lossless first). Each
    camera's frame rate is the one it recorded at, from the run's product manifest.
    """
    manifest = runfolder.read_manifest(run)
    views = mission.cameras.views
    names = [r[0] for r in con.execute("SELECT DISTINCT camera FROM frames ORDER BY camera")]
    out = {}
    for name in names:
        view = views.get(name)
        aspect = view.width_px / view.height_px if view is not None else 4 / 3
        scales = {"thumbnail": mission.onboard.products.thumbnail_scale,
                  "browse": mission.onboard.products.browse_scale}
        out[name] = CameraFrames(run, name, con, rate_hz=manifest.rate_hz(name), aspect=aspect, scales=scales,
                                 prefer=prefer)
    return out


def h264_stream(container, *, width: int, height: int, rate: Fraction, crf: int = FILM_CRF,
                preset: str = FILM_PRESET):
    """A libx264 yuv420p stream on ``container`` (PyAV) at frame ``rate``."""
    stream = container.add_stream("libx264", rate=rate)
    stream.width, stream.height = width, height
    stream.pix_fmt = "yuv420p"
    stream.time_base = 1 / rate
    stream.options = {"crf": str(crf), "preset": preset}
    return stream


def _camera_rate(frames: CameraFrames) -> Fraction:
    return Fraction(frames.rate_hz).limit_denominator(1001)


def _presentation_frames(frames: CameraFrames) -> np.ndarray:
    """Each frame's presentation time in frame periods from the first (a dropped frame leaves a gap)."""
    return np.round((frames.t_s - frames.t_s[0]) / frames.period_s).astype(np.int64)


def copy_camera_mp4(frames: CameraFrames, path: Path) -> int | None:
    """The camera's received H.264 segments remuxed into one MP4 at its own frame rate; frames written.

    Each packet keeps its bytes; only its timestamps move onto the camera's time line (its own
    SCLK), so a dropped frame leaves a gap in the presentation times as in the encoded MP4s.
    None (and no file) when that is not possible: a frame without a received segment, segments
    with different sizes or codec headers (SPS/PPS), or frame times that do not advance.
    """
    import av

    segments = frames.video_segments() if len(frames) else None
    if not segments:
        return None
    pts_out = _presentation_frames(frames)
    if np.any(np.diff(pts_out) <= 0):
        return None
    rate = _camera_rate(frames)
    time_base = 1 / rate
    path.parent.mkdir(parents=True, exist_ok=True)
    header = None
    written, last_dts = 0, None
    try:
        with av.open(str(path), mode="w", options=FASTSTART) as out:
            stream = None
            for seg_path, positions in segments:
                with av.open(str(seg_path)) as src:
                    s = src.streams.video[0]
                    cc = s.codec_context
                    this = (cc.name, cc.width, cc.height, cc.pix_fmt, bytes(cc.extradata or b""))
                    if header is None:
                        header = this
                        stream = out.add_stream_from_template(s)
                        stream.time_base = time_base
                    elif this != header:
                        raise _NotCopyable(f"{seg_path.name}: codec header differs from the first segment's")
                    packets = [p for p in src.demux(s) if p.size and p.pts is not None and p.dts is not None]
                    if len(packets) != len(positions):
                        raise _NotCopyable(f"{seg_path.name}: {len(packets)} packets for {len(positions)} frames")
                    ticks = sorted(p.pts for p in packets)
                    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
                    if ticks[0] != 0 or step <= 0 or any(t != k * step for k, t in enumerate(ticks)):
                        raise _NotCopyable(f"{seg_path.name}: frames not at a constant rate from 0")
                    mapped = pts_out[positions]

                    def to_out(j: int) -> int:  # segment frame number → camera time line
                        return int(mapped[j]) if j >= 0 else int(mapped[0]) + j

                    for p in packets:
                        if p.dts % step:
                            raise _NotCopyable(f"{seg_path.name}: decode times off the frame grid")
                        p.pts, p.dts = to_out(p.pts // step), to_out(p.dts // step)
                        p.duration = 1  # one frame period (the source's was in its own time base)
                        if last_dts is not None and p.dts <= last_dts:
                            raise _NotCopyable(f"{seg_path.name}: decode order would not advance")
                        last_dts = p.dts
                        p.time_base = time_base
                        p.stream = stream
                        out.mux(p)
                        written += 1
    except _NotCopyable as exc:
        log.info("%s: received segments not copied (%s); encoding instead", frames.camera, exc)
        path.unlink(missing_ok=True)
        return None
    return written


class _NotCopyable(Exception):
    """The segments cannot be remuxed as they are (internal: the caller encodes instead)."""


def write_camera_mp4(frames: CameraFrames, path: Path, *, progress: Callable[[], None] | None = None,
                     copy: bool = True) -> CameraVideo:
    """One camera's recorded frames as H.264 MP4 at its own frame rate.

    When every frame came home in video segments (and ``copy``), their H.264 packets are copied
    (:func:`copy_camera_mp4`). Otherwise each frame is encoded from the best product: the size is
    the best product's (lossless or video); lower-quality frames are upscaled and labelled,
    frames with nothing received are labelled cards. Timestamps follow each frame's own SCLK
    (a dropped frame leaves a gap in the presentation times, not a repeated picture).
    """
    import av
    import cv2

    from edlcam.ground.overlays import label_image

    fps = round(frames.rate_hz, 3) if len(frames) > 1 else None
    if not len(frames):
        return CameraVideo(path, 0, fps, None, False)
    t_start = float(frames.t_s[0])
    if copy:
        n = copy_camera_mp4(frames, path)
        if n is not None:
            if progress is not None:
                for _ in range(len(frames)):
                    progress()
            frames.close()
            return CameraVideo(path, n, fps, t_start, True)
    size = _native_size(frames)
    w, h = size[0] // 2 * 2, size[1] // 2 * 2
    path.parent.mkdir(parents=True, exist_ok=True)
    pts_all = _presentation_frames(frames)
    written = 0
    with av.open(str(path), mode="w", options=FASTSTART) as container:
        stream = h264_stream(container, width=w, height=h, rate=_camera_rate(frames))
        last_pts = -1
        for i in range(len(frames)):
            pts = int(pts_all[i])
            if pts <= last_pts:
                continue
            last_pts = pts
            kind = frames.kind_at(i)
            if kind is None:
                image = rgb_to_i420(gap_card(w, h, f"{frames.camera.upper()} frame {int(frames.frame_index[i])}: "
                                                   "not received"))
            elif kind == "video" and (image := frames.i420(i)).shape == (h * 3 // 2, w):
                pass  # the decoder's planes as they are
            else:
                rgb = frames.picture(i).image
                if rgb.shape[1] != w or rgb.shape[0] != h:
                    small = rgb.shape[1] < w
                    rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_CUBIC if small else cv2.INTER_AREA)
                if kind in ("thumbnail", "browse"):
                    rgb = label_image(rgb, f"{kind} (upscaled)")
                image = rgb_to_i420(rgb)
            frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format="yuv420p")
            frame.pts = pts
            for packet in stream.encode(frame):
                container.mux(packet)
            written += 1
            if progress is not None:
                progress()
        for packet in stream.encode():
            container.mux(packet)
    frames.close()
    return CameraVideo(path, written, fps, t_start, False)


def _native_size(frames: CameraFrames) -> tuple[int, int]:
    """(width, height) of the camera's full-size products, from the first one received."""
    for best in ("lossless", "video"):
        for i, k in enumerate(frames.kind):
            if k == best:
                image = frames.i420(i)
                return image.shape[1], image.shape[0] * 2 // 3
    for i, k in enumerate(frames.kind):
        if k is not None:
            image = frames.picture(i).image
            scale = frames.scales.get(k, 1.0)
            return round(image.shape[1] / scale), round(image.shape[0] / scale)
    return int(round(480 * frames.aspect)) // 2 * 2, 480
