"""Downlink products: what the rover DSU makes from its store after landing, for the relay to send.

For every camera: a thumbnail of every frame (1/8 size JPEG, as Curiosity's descent imager sent
its thumbnails first), browse JPEGs (half size, one per second), H.264 video in 10 s segments
(PyAV, libx264) and every frame lossless (PNG of the sensor's pixels: a colour camera's Bayer
mosaic, demosaiced on the ground); for the microphone, the audio as FLAC
(soundfile). Each product gets an id, a priority (lower goes home first: the kind's priority
plus the source's capture priority), its size and sha256, listed in the run's product manifest
(:func:`edlcam.runfolder.write_manifest`, schema in docs/run-folder.md) with the rate each source
recorded at. The compression ratio of each kind is reported: uncompressed 8-bit RGB (or mono)
bytes — for lossless, the sensor's bytes, one a pixel for a mosaic — or float32 audio bytes, of
what a product covers, divided by the product's bytes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import hashlib
import io
import logging
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.errors import StoreError
from edlcam.runfolder import CaptureRate
from edlcam.onboard.schedule import t_from_sclk
from edlcam.onboard.store import (
    FORMAT_BAYER_PNG,
    FORMAT_BAYER_RGGB8,
    FORMAT_NAMES,
    FORMAT_PCM_F32LE,
    FORMAT_PNG,
    FORMAT_RAW,
    Record,
    RecordInfo,
    read_record,
    scan_store,
)

__all__ = [
    "KINDS",
    "decode_image",
    "decode_audio",
    "png_bytes",
    "demosaic_rggb",
    "flac_bytes",
    "make_products",
    "source_records",
]

log = logging.getLogger(__name__)

KINDS = ("thumbnail", "browse", "video", "lossless", "audio")
SOURCES_AT_ONCE = 2  # sources whose products are made at the same time (the demo machine's 2 cores)
_SHORT = {"thumbnail": "thumb", "browse": "browse", "video": "video", "lossless": "lossless", "audio": "audio"}


def decode_image(record: Record) -> np.ndarray:
    """The frame of a record as uint8 RGB (H×W×3) or mono (H×W); Bayer mosaics are demosaiced."""
    import cv2

    if record.format in (FORMAT_RAW, FORMAT_BAYER_RGGB8):
        shape = (record.height, record.width) if record.channels == 1 else (record.height, record.width, 3)
        image = np.frombuffer(record.payload, dtype=np.uint8).reshape(shape)
    elif record.format in (FORMAT_PNG, FORMAT_BAYER_PNG):
        image = cv2.imdecode(np.frombuffer(record.payload, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise StoreError(f"record {record.seq} ({record.source} frame {record.frame_index}): PNG does not decode")
        if image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    else:
        raise StoreError(f"record {record.seq} has format {FORMAT_NAMES.get(record.format, record.format)}, "
                         "not an image")
    if record.format in (FORMAT_BAYER_RGGB8, FORMAT_BAYER_PNG):
        image = demosaic_rggb(image)
    return image


def decode_audio(record: Record) -> np.ndarray:
    """float32 samples × channels of an audio record."""
    if record.format != FORMAT_PCM_F32LE:
        raise StoreError(f"record {record.seq} has format {FORMAT_NAMES.get(record.format, record.format)}, not audio")
    return np.frombuffer(record.payload, dtype="<f4").reshape(record.height, max(1, record.channels))


def png_bytes(image: np.ndarray, level: int = 3, row_filter: str = "adaptive") -> bytes:
    """A PNG file of an RGB or mono uint8 image, at zlib ``level``, each row filtered by ``row_filter``
    (ISO/IEC 15948 §9: "adaptive" lets libpng try every type on each row; the pixels are the same)."""
    import cv2

    plane = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_PNG_COMPRESSION, level]
    if row_filter != "adaptive":  # OpenCV's default is libpng's adaptive choice (PNG_ALL_FILTERS)
        params += [cv2.IMWRITE_PNG_FILTER, getattr(cv2, _PNG_FILTERS[row_filter])]
    return cv2.imencode(".png", plane, params)[1].tobytes()


_PNG_FILTERS = {"none": "IMWRITE_PNG_FILTER_NONE", "sub": "IMWRITE_PNG_FILTER_SUB", "up": "IMWRITE_PNG_FILTER_UP",
                "average": "IMWRITE_PNG_FILTER_AVG", "paeth": "IMWRITE_PNG_FILTER_PAETH"}


def _jpeg_bytes(image: np.ndarray, scale: float, quality: int) -> bytes:
    import cv2

    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale != 1 else image
    plane = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    return cv2.imencode(".jpg", plane, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def flac_bytes(samples: np.ndarray, sample_rate_hz: int) -> bytes:
    """A 24-bit FLAC file of float32 samples × channels (clipped to ±1)."""
    import soundfile

    buf = io.BytesIO()
    soundfile.write(buf, np.clip(samples, -1.0, 1.0), int(sample_rate_hz), format="FLAC", subtype="PCM_24")
    return buf.getvalue()


def source_records(store_dir: Path, scan=None) -> dict[str, list[RecordInfo]]:
    """The store's records per source, each list in capture order (``scan``: one already made)."""
    out: dict[str, list[RecordInfo]] = defaultdict(list)
    for info in (scan or scan_store(store_dir)).records:
        out[info.source].append(info)
    for infos in out.values():
        infos.sort(key=lambda r: (r.sclk_s, r.frame_index))
    return dict(out)


class _VideoSegments:
    """H.264 MP4 segments of ``segment_s`` for one camera (PyAV)."""

    def __init__(self, directory: Path, fps: float, segment_s: float, crf: int):
        self.directory, self.fps, self.segment_s, self.crf = directory, fps, segment_s, crf
        self.container = None
        self.index = -1
        self.frames: list[Record] = []
        self.raw_bytes = 0
        self.done: list[tuple[int, Path, list[Record], int]] = []

    def add(self, record: Record, image: np.ndarray, t_s: float, t0_s: float) -> None:
        index = int((t_s - t0_s) // self.segment_s)
        if index != self.index:
            self.close()
            self._open(index, image)
        rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
        h, w = self.stream.height, self.stream.width
        import av
        import cv2

        # The encoder's own format, converted by OpenCV (BT.601 limited range, swscale's values ±1 in Y,
        # as edlcam.ground.video.rgb_to_i420): 0.4 ms a 640×512 frame against swscale's 2.8 ms.
        i420 = cv2.cvtColor(np.ascontiguousarray(rgb[:h, :w]), cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_numpy_buffer(i420, format="yuv420p")
        frame.pts = len(self.frames)
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames.append(record)
        self.raw_bytes += image.size

    def _open(self, index: int, image: np.ndarray) -> None:
        import av

        self.index = index
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{index:06d}.mp4"
        self.container = av.open(str(self.path), mode="w")
        rate = Fraction(self.fps).limit_denominator(1001)
        self.stream = self.container.add_stream("libx264", rate=rate)
        self.stream.width = image.shape[1] // 2 * 2  # yuv420p needs even sizes
        self.stream.height = image.shape[0] // 2 * 2
        self.stream.pix_fmt = "yuv420p"
        self.stream.time_base = 1 / rate
        # mbtree=0: with x264's macroblock-tree rate control the PUC B/C and DDC segments came out
        # different from run to run for the same input frames (benchmarks/RESULTS.md, "`make demo`
        # from a fresh clone with LVS"); without it, three runs of make_products on one store agree.
        self.stream.options = {"crf": str(self.crf), "preset": "veryfast", "x264-params": "mbtree=0"}
        self.frames, self.raw_bytes = [], 0

    def close(self) -> None:
        if self.container is None:
            return
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()
        self.container = None
        self.done.append((self.index, self.path, self.frames, self.raw_bytes))


def _entry(root: Path, path: Path, *, kind: str, source: str, n: int, priority: int, records: list[Record],
           sclk0: float) -> dict:
    data = path.read_bytes()
    return {
        "id": f"{source}-{_SHORT[kind]}-{n:06d}", "kind": kind, "camera": source,
        "path": path.relative_to(root).as_posix(), "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(), "priority": priority,
        "t_start_s": round(t_from_sclk(records[0].sclk_s, sclk0), 6),
        "t_end_s": round(t_from_sclk(records[-1].sclk_s, sclk0), 6),
        "frame_first": records[0].frame_index, "frame_last": records[-1].frame_index,
        "sclk_start": records[0].sclk_s, "sclk_end": records[-1].sclk_s,
    }


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _lossless(record: Record, image: np.ndarray, pool: ThreadPoolExecutor, level: int, row_filter: str):
    """(pixel encoding, PNG bytes or their future, uncompressed sensor bytes) of a frame's lossless product.

    Encodings (the ``encoding`` of a lossless manifest entry): ``bayer_rggb8`` — the colour sensor's
    RGGB mosaic as an 8-bit grey PNG, demosaiced on the ground exactly as :func:`decode_image` does;
    ``rgb8`` / ``mono8`` — the frame as recorded.
    """
    if record.format == FORMAT_BAYER_PNG:  # already the mosaic's PNG
        return "bayer_rggb8", record.payload, record.width * record.height
    if record.format == FORMAT_BAYER_RGGB8:
        mosaic = np.frombuffer(record.payload, dtype=np.uint8).reshape(record.height, record.width)
        return "bayer_rggb8", pool.submit(png_bytes, mosaic, level, row_filter), mosaic.size
    encoding = "mono8" if image.ndim == 2 else "rgb8"
    if record.format == FORMAT_PNG:
        return encoding, record.payload, image.size
    return encoding, pool.submit(png_bytes, image, level, row_filter), image.size


def _source_products(root: Path, src_dir: Path, source: str, infos: list, *, pr: dict, rate_hz: float, cfg,
                     sclk0: float, pool: ThreadPoolExecutor, workers: int, tick) -> tuple[list[dict], dict]:
    """One source's products (manifest entries) and the uncompressed bytes they cover, per kind."""
    entries: list[dict] = []
    raw_bytes: defaultdict = defaultdict(int)
    if infos[0].format == FORMAT_PCM_F32LE:
        records = [read_record(src_dir, i) for i in infos]
        samples = np.concatenate([decode_audio(r) for r in records])
        path = _write(root / source / "audio" / "000000.flac", flac_bytes(samples, int(rate_hz)))
        entries.append(_entry(root, path, kind="audio", source=source, n=0, priority=pr["audio"],
                              records=records, sclk0=sclk0))
        raw_bytes["audio"] += samples.nbytes
        tick(len(infos), source)
        return entries, raw_bytes
    pending: deque = deque()

    def flush_one() -> None:
        n, rec, lossless, encoding = pending.popleft()
        data = lossless if isinstance(lossless, bytes) else lossless.result()
        path = _write(root / source / "lossless" / f"{n:06d}.png", data)
        entry = _entry(root, path, kind="lossless", source=source, n=n, priority=pr["lossless"], records=[rec],
                       sclk0=sclk0)
        entries.append({**entry, "encoding": encoding})

    video = _VideoSegments(root / source / "video", rate_hz, cfg.video_segment_s, cfg.video_crf)
    t0 = t_from_sclk(infos[0].sclk_s, sclk0)
    next_browse = -np.inf
    for info in infos:
        rec = read_record(src_dir, info)
        image = decode_image(rec)
        t = t_from_sclk(rec.sclk_s, sclk0)
        n = rec.frame_index
        path = _write(root / source / "thumb" / f"{n:06d}.jpg",
                      _jpeg_bytes(image, cfg.thumbnail_scale, cfg.thumbnail_jpeg_quality))
        entries.append(_entry(root, path, kind="thumbnail", source=source, n=n, priority=pr["thumbnail"],
                              records=[rec], sclk0=sclk0))
        raw_bytes["thumbnail"] += image.size
        if t >= next_browse:
            next_browse = t + cfg.browse_interval_s
            path = _write(root / source / "browse" / f"{n:06d}.jpg",
                          _jpeg_bytes(image, cfg.browse_scale, cfg.browse_jpeg_quality))
            entries.append(_entry(root, path, kind="browse", source=source, n=n, priority=pr["browse"],
                                  records=[rec], sclk0=sclk0))
            raw_bytes["browse"] += image.size
        # what the sensor delivered, bit for bit: a colour camera's Bayer mosaic (1 byte a pixel, as
        # MSL's MARDI and Mastcam send their lossless products; the ground demosaics), a mono or
        # RGB frame as it is. PNG deflate is the costliest step and OpenCV releases the GIL while
        # it runs, so frames are compressed on a small thread pool and written in order.
        encoding, lossless, sensor_bytes = _lossless(rec, image, pool, cfg.lossless_png_level,
                                                       cfg.lossless_png_filter)
        pending.append((n, rec, lossless, encoding))
        raw_bytes["lossless"] += sensor_bytes
        while len(pending) > 2 * workers:
            flush_one()
        video.add(rec, image, t, t0)
        tick(1, source)
    while pending:
        flush_one()
    video.close()
    for index, path, recs, nbytes in video.done:
        entries.append(_entry(root, path, kind="video", source=source, n=index, priority=pr["video"],
                              records=recs, sclk0=sclk0))
        raw_bytes["video"] += nbytes
    return entries, raw_bytes


def demosaic_rggb(mosaic: np.ndarray) -> np.ndarray:
    """RGB of an RGGB mosaic, the way the onboard decode does it (OpenCV's bilinear demosaic)."""
    import cv2

    return cv2.cvtColor(mosaic, cv2.COLOR_BayerRGGB2RGB)


def make_products(run_dir: str | Path, mission, *, rates: Mapping[str, CaptureRate], quality: str,
                  unit: str = "rover", progress: Callable[[int, int, str], None] | None = None,
                  root: str | Path | None = None) -> dict:
    """Make every product from RUN/onboard/store/<unit>, write the manifest, return per-kind stats.

    ``rates``: each source's capture rate (the film's schedule); video segments and the audio file
    play at it, and the manifest records it for the ground. ``root`` replaces the run folder as the
    place the onboard folder is read from and written to (``film`` builds a new one in the run's
    staging folder, shaped like the run folder).
    """
    root_dir = Path(run_dir) if root is None else Path(root)
    cfg = mission.onboard.products
    sclk0 = mission.onboard.sclk_at_entry_interface_s
    priority = {name: cap.priority for name, cap in mission.onboard.capture.items()}
    kind_priority = {"thumbnail": cfg.priority_thumbnail, "browse": cfg.priority_browse,
                     "video": cfg.priority_video, "lossless": cfg.priority_lossless, "audio": cfg.priority_audio}
    root = root_dir / runfolder.PRODUCTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    src_dir = runfolder.store_dir(root_dir, unit)
    by_source = source_records(src_dir)
    entries: list[dict] = []
    raw_bytes: defaultdict = defaultdict(int)
    total = sum(len(v) for v in by_source.values()) or 1
    done = 0
    lock = threading.Lock()

    def tick(n: int, source: str) -> None:
        nonlocal done
        with lock:
            done += n
            if progress:
                progress(done, total, f"products {source}")

    def one_source(source: str, infos: list) -> tuple[list[dict], dict]:
        base = priority.get(source, len(mission.onboard.admit_fraction) - 1)
        pr = {k: v + base for k, v in kind_priority.items()}
        return _source_products(root, src_dir, source, infos, pr=pr, rate_hz=rates[source].rate_hz, cfg=cfg,
                                sclk0=sclk0, pool=pool, workers=workers, tick=tick)

    # Sources one after another left a core idle while one source's frames were decoded, scaled and
    # encoded in order; each source's products are its own (files, video encoder), and the manifest
    # is sorted below, so two sources at a time give the same products and manifest.
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool, ThreadPoolExecutor(max_workers=SOURCES_AT_ONCE) as sources:
        for made, raw in sources.map(lambda item: one_source(*item), sorted(by_source.items())):
            entries.extend(made)
            for kind, n in raw.items():
                raw_bytes[kind] += n

    entries.sort(key=lambda e: (e["priority"], e["t_start_s"], e["id"]))
    runfolder.write_manifest(root_dir, entries, rates=rates, quality=quality)
    stats = {}
    for kind in KINDS:
        sel = [e for e in entries if e["kind"] == kind]
        size = sum(e["size_bytes"] for e in sel)
        stats[kind] = {"count": len(sel), "bytes": size, "uncompressed_bytes": raw_bytes[kind],
                       "compression_ratio": round(raw_bytes[kind] / size, 3) if size else None}
    log.info("products: %s", {k: v["count"] for k, v in stats.items()})
    return stats
