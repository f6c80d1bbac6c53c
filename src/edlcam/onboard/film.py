"""Film a landing: drive the cameras and the microphone through the capture schedule into the
two DSUs' stores, forward the descent stage's records over the umbilical until the cut, and
report what was recorded, dropped and lost.

The frame and audio sources are injectable (``frame_source``, ``audio_source``) and default to
the cameras stage (``edlcam.cameras.frames`` and ``edlcam.cameras.microphone.render_audio``).
Order of work, in simulated time:

1. the descent-stage DSU records its sources (merged by frame time) into its store;
2. the umbilical plan (:func:`~edlcam.onboard.umbilical.plan_umbilical`) decides which of those
   records reach the rover before the cut;
3. the rover DSU records its own sources and, interleaved at their arrival times, the records
   that crossed, read back from the descent-stage store (so the rover store is in time order).
   The rover's microphone sound is rendered on a thread of its own during step 1.

Frames are stored as the sensor delivers them, an 8-bit RGGB Bayer mosaic for colour cameras
(1 byte per pixel, a third of RGB; FLIR Chameleon3 raw output, Maki et al. 2020) unless
``[onboard] frame_encoding`` asks for raw RGB or PNG (lossless, compressed on the fly).
"""

from __future__ import annotations

import errno
import heapq
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edlcam.cameras.camera import bayer_mosaic
from edlcam import runfolder
from edlcam.errors import RenderError, StoreError, StoreFullError
from edlcam.runfolder import store_dir  # RUN/onboard/store/<unit>, re-exported
from edlcam.onboard.schedule import CaptureWindow, Schedule, build_schedule, sclk_from_t, umbilical_cut_event
from edlcam.onboard.store import (
    FORMAT_BAYER_PNG,
    FORMAT_BAYER_RGGB8,
    FORMAT_PCM_F32LE,
    FORMAT_PNG,
    FORMAT_RAW,
    RECORD_OVERHEAD_BYTES,
    Record,
    StoreWriter,
    read_record,
    scan_store,
)
from edlcam.onboard.umbilical import Parcel, UmbilicalResult, plan_umbilical
from edlcam.staging import building, check_inputs, commit, input_digests, protect_stores, write_provenance

__all__ = ["FilmResult", "film", "camera_frame_source", "encode_image", "mosaic_rggb", "audio_blocks", "store_dir", "UNIT_TAGS"]

log = logging.getLogger(__name__)

UNIT_TAGS = {"descent_stage": "DESC", "rover": "ROVR"}
ProgressFn = Callable[[int, int, str], None]


def mosaic_rggb(rgb: np.ndarray) -> np.ndarray:
    """The RGGB Bayer mosaic (H×W uint8) a colour sensor would deliver for an H×W×3 RGB image."""
    return bayer_mosaic(rgb).astype(np.uint8, copy=False)


def encode_image(image: np.ndarray, *, colour: str, encoding: str, png_level: int = 1) -> tuple[int, int, bytes]:
    """(format, channels, payload) of one frame as the DSU stores it.

    An H×W frame from a colour camera is already a Bayer mosaic; from a mono camera it is mono.
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        plane, bayer = image, colour == "bayer"
    elif encoding == "bayer":
        plane, bayer = mosaic_rggb(image), True
    else:
        plane, bayer = image, False
    channels = 1 if plane.ndim == 2 else 3
    if encoding != "png":
        return (FORMAT_BAYER_RGGB8 if bayer else FORMAT_RAW), channels, plane.tobytes()
    import cv2

    ok, buf = cv2.imencode(".png", plane if channels == 1 else cv2.cvtColor(plane, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, png_level])
    if not ok:
        raise StoreError(f"PNG encoding of a {image.shape} frame failed")
    return (FORMAT_BAYER_PNG if bayer else FORMAT_PNG), channels, buf.tobytes()


def audio_blocks(samples: np.ndarray, sample_rate_hz: float, t0_s: float, t_start_s: float, t_end_s: float,
                 block_s: float) -> Iterator[tuple[int, float, np.ndarray]]:
    """(block index, t of first sample [s], float32 samples×channels) over [t_start_s, t_end_s)."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    i0 = max(0, int(np.ceil((t_start_s - t0_s) * sample_rate_hz - 1e-9)))
    i1 = min(len(samples), int(np.ceil((t_end_s - t0_s) * sample_rate_hz - 1e-9)))
    step = max(1, int(round(block_s * sample_rate_hz)))
    for k, i in enumerate(range(i0, i1, step)):
        yield k, t0_s + i / sample_rate_hz, samples[i : min(i + step, i1)]


@dataclass(frozen=True)
class FilmResult:
    """What ``film`` did: the schedule, the umbilical outcome, and the report written."""

    schedule: Schedule
    umbilical: UmbilicalResult
    report: dict
    report_path: Path


def camera_frame_source(onboard, **frames_options):
    """The cameras stage as the store's frame source (``frames_options``: workers, scheduler).

    A colour camera recorded as its Bayer mosaic (``[onboard] frame_encoding = "bayer"``) comes from the
    sensor as that mosaic: demosaicking it there only for the store to take every photosite's own colour
    back out cost ≈ 2 ms a frame (benchmarks/RESULTS.md, "The sensor's mosaic to the store").
    """
    import functools

    from edlcam.cameras.frames import frames

    return functools.partial(frames, mosaic=onboard.frame_encoding == "bayer", **frames_options)


def _default_frame_source(*, onboard):
    return camera_frame_source(onboard)


def _default_audio_source():
    from edlcam.cameras.microphone import render_audio

    return render_audio


def _render_sound(audio_source, run_dir: Path, rate_hz: float, mission):
    """The microphone's sound from ``audio_source``, checked to be at the rate it records at."""
    audio = audio_source(run_dir, sample_rate_hz=int(rate_hz), mission=mission)
    if audio.sample_rate_hz != rate_hz:
        raise RenderError(f"the audio source gave {audio.sample_rate_hz:g} Hz, but the microphone records at "
                          f"{rate_hz:g} Hz ([microphone] sample_rate_hz); render it at that rate")
    return audio


def _stream(run_dir, window: CaptureWindow, quality, frame_source, audio, onboard) -> Iterator[tuple]:
    """(t_s, tie, Record) for one source, in time order. ``audio``: the sound's future, or None."""
    sclk0 = onboard.sclk_at_entry_interface_s
    if window.is_audio:
        if audio is None:
            return
        audio = audio.result()  # rendered on its own thread while the descent stage recorded
        for k, t, block in audio_blocks(audio.samples, audio.sample_rate_hz, audio.t0_s, window.t_start_s,
                                        window.t_end_s, onboard.audio_block_s):
            yield t, window.source, Record(window.source, k, sclk_from_t(t, sclk0), FORMAT_PCM_F32LE,
                                           np.ascontiguousarray(block, "<f4").tobytes(), block.shape[1],
                                           int(round(audio.sample_rate_hz)), block.shape[0])
        return
    for frame in frame_source(run_dir, window.source, quality=quality, t_start_s=window.t_start_s,
                              t_end_s=window.t_end_s, rate=window.capture):
        image = np.asarray(frame.image)
        fmt, ch, payload = encode_image(image, colour=window.colour, encoding=onboard.frame_encoding,
                                        png_level=onboard.png_level)
        yield float(frame.t_s), window.source, Record(window.source, int(frame.index),
                                                       sclk_from_t(float(frame.t_s), sclk0), fmt, payload, ch,
                                                       image.shape[1], image.shape[0])


def _writer(root: Path, unit: str, onboard) -> StoreWriter:
    return StoreWriter(
        store_dir(root, unit), unit_tag=UNIT_TAGS[unit], segment_bytes=onboard.segment_bytes,
        capacity_bytes=getattr(onboard, f"{unit}_capacity_bytes"),
        priorities={k: v.priority for k, v in onboard.capture.items()},
        admit_fraction=tuple(onboard.admit_fraction), commit_bytes=onboard.commit_bytes,
        commit_records=onboard.commit_records,
    )


def _summarise(writer: StoreWriter, final_dir: Path) -> dict:
    """The report's entry of a unit; ``final_dir``: where its store will be once swapped in."""
    scan = scan_store(writer.store_dir)
    per = {s: {"records": n, "payload_bytes": b} for s, (n, b) in sorted(scan.per_source().items())}
    drops: dict[str, dict] = {}
    for d in writer.drops:
        e = drops.setdefault(d.source, {"records": 0, "bytes": 0, "frames": []})
        e["records"] += 1
        e["bytes"] += d.size_bytes
        e["frames"].append(d.frame_index)
    for e in drops.values():
        e["frames"] = _ranges(e["frames"])
    return {"store": str(final_dir), "segments": scan.segments, "bytes_on_disk": scan.bytes_on_disk,
            "sources": per, "dropped": drops}


def _ranges(indices: Iterable[int]) -> list[list[int]]:
    """[[first, last], ...] runs of consecutive integers."""
    out: list[list[int]] = []
    for i in sorted(indices):
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


_UNCHANGED = ("nothing was replaced: {out} is as it was before this run (the partial new recording was removed, "
              "freeing its space); free space on that disk and run `edlcam film` again")


def _record(run_dir: Path, new: Path, schedule: Schedule, quality, frame_source, audio, onboard,
            cut_event: str, t_cut: float, progress: ProgressFn | None) -> tuple[UmbilicalResult, dict]:
    """Record both units into ``new`` (the staging folder the onboard folder is built in, shaped like the run
    folder); return the umbilical and the report."""
    total = sum(w.frames for w in schedule.windows if not w.is_audio) or 1
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    # 1. descent stage
    ds = _writer(new, "descent_stage", onboard)
    parcels: list[Parcel] = []
    streams = [_stream(run_dir, w, quality, frame_source, audio, onboard) for w in schedule.for_unit("descent_stage")]
    for t, _, rec in heapq.merge(*streams, key=lambda x: (x[0], x[1])):
        seq = ds.append(rec)
        if rec.format != FORMAT_PCM_F32LE:
            tick(rec.source)
        if seq is not None:
            parcels.append(Parcel(seq, rec.source, rec.frame_index, t, len(rec.payload) + RECORD_OVERHEAD_BYTES,
                                  ds.priority_of(rec.source)))
    ds.close()

    # 2. umbilical
    umb = plan_umbilical(parcels, rate_bps=onboard.umbilical_rate_bps, t_cut_s=t_cut)
    ds_index = {r.seq: r for r in scan_store(ds.store_dir).records}

    def forwarded() -> Iterator[tuple]:
        for c in umb.crossed:
            yield c.t_arrive_s, "~umbilical", read_record(ds.store_dir, ds_index[c.parcel.key])

    # 3. rover
    rv = _writer(new, "rover", onboard)
    streams = [_stream(run_dir, w, quality, frame_source, audio, onboard) for w in schedule.for_unit("rover")]
    for _, tie, rec in heapq.merge(*streams, forwarded(), key=lambda x: (x[0], x[1])):
        rv.append(Record(rec.source, rec.frame_index, rec.sclk_s, rec.format, rec.payload, rec.channels,
                         rec.width, rec.height))
        if tie != "~umbilical" and rec.format != FORMAT_PCM_F32LE:
            tick(rec.source)
    rv.close()

    report = {
        "quality": quality,
        "frame_encoding": onboard.frame_encoding,
        "sclk_at_entry_interface_s": onboard.sclk_at_entry_interface_s,
        "schedule": [
            {"source": w.source, "unit": w.unit, "priority": w.priority, "start_event": w.start_event,
             "end_event": w.end_event, "t_start_s": w.t_start_s, "t_end_s": w.t_end_s, "rate_hz": w.rate_hz,
             "frames": w.frames, "sensor_bytes": w.data_bytes, "sensor_rate_bytes_s": w.rate_bytes_s}
            for w in schedule.windows
        ],
        "peak_sensor_rate_bytes_s": schedule.peak_rate()[0],
        "units": {"descent_stage": _summarise(ds, store_dir(run_dir, "descent_stage")),
                  "rover": _summarise(rv, store_dir(run_dir, "rover"))},
        "umbilical": _umbilical_report(umb, cut_event),
    }
    return umb, report


def film(run_dir: str | Path, *, quality: str = "full", mission=None, frame_source=None, audio_source=None,
         progress: ProgressFn | None = None, make_products: bool = True, overwrite: bool = False) -> FilmResult:
    """Record a run's cameras and microphone into RUN/onboard/ and write RUN/onboard/report.json.

    ``mission`` defaults to RUN/mission.toml; the sources default to the cameras stage. A filmed
    run's stores are replaced only with ``overwrite``; the new onboard/ is built beside the old
    one and swapped in once complete (:mod:`edlcam.staging`), so a failed or killed rerun leaves
    the old one whole.
    """
    run_dir = Path(run_dir)
    if mission is None:
        mission = runfolder.load_run_mission(run_dir)
    onboard = mission.onboard
    out = run_dir / runfolder.ONBOARD_DIR
    check_inputs(run_dir, [runfolder.FLIGHT_DIR])
    protect_stores(run_dir, overwrite)
    flight_events = runfolder.read_events(run_dir)
    events = flight_events.times()
    schedule = build_schedule(mission, events, quality=quality)
    cut_event = umbilical_cut_event(onboard, events)
    if onboard.umbilical_cut_event not in events:
        log.warning("the flight has no %r event; the umbilical is cut at touchdown", onboard.umbilical_cut_event)
        flight_events.require("touchdown", "cuts the umbilical when the flight has no "
                              f"{onboard.umbilical_cut_event!r}")
    t_cut = events[cut_event]
    frame_source = frame_source or _default_frame_source(onboard=onboard)
    rates = {w.source: w.capture for w in schedule.windows}
    # The microphone records on the rover, which records after the descent stage (module doc): its
    # sound (seconds of one core) is rendered on a thread of its own meanwhile, not before the cameras start.
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="edlcam-sound")
    audio = None
    if any(w.is_audio and w.duration_s > 0 for w in schedule.windows):  # an empty window records no sound
        audio = background.submit(_render_sound, audio_source or _default_audio_source(), run_dir,
                                  rates["microphone"].rate_hz, mission)

    try:
        with background, building(run_dir, "onboard") as new:
            umb, report = _record(run_dir, new, schedule, quality, frame_source, audio, onboard, cut_event,
                                  t_cut, progress)
            try:
                if make_products:
                    from edlcam.onboard.products import make_products as _make

                    report["products"] = _make(run_dir, mission, rates=rates, quality=quality, progress=progress,
                                               root=new)
                report_path = runfolder.write_json(new / runfolder.ONBOARD_REPORT, report)
                written = [report_path] + ([new / runfolder.MANIFEST] if make_products else [])
                write_provenance(new / runfolder.ONBOARD_DIR, stage="film",
                                 inputs=input_digests(run_dir, runfolder.ONBOARD_DIR),
                                 files={p.relative_to(new / runfolder.ONBOARD_DIR).as_posix(): p for p in written})
            except OSError as exc:  # a full disk here: say so in one line
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                held = ", ".join(f"{u} {sum(s['records'] for s in v['sources'].values())} records"
                                 for u, v in report["units"].items())
                raise StoreError(f"{exc.filename or new}: disk full (ENOSPC) while writing the products and report "
                                 f"(both new stores were complete: {held}); {_UNCHANGED.format(out=out)}") from None
    except StoreFullError as exc:
        raise StoreError(f"{exc.where}: disk full (ENOSPC) while recording; {_UNCHANGED.format(out=out)}") from None
    commit(run_dir, "onboard", [(new / runfolder.ONBOARD_DIR, out)])
    return FilmResult(schedule, umb, report, run_dir / runfolder.ONBOARD_REPORT)


def _umbilical_report(umb: UmbilicalResult, cut_event: str) -> dict:
    crossed: dict[str, dict] = {}
    for c in umb.crossed:
        e = crossed.setdefault(c.parcel.source, {"records": 0, "bytes": 0})
        e["records"] += 1
        e["bytes"] += c.parcel.size_bytes
    lost: dict[str, dict] = {}
    for x in umb.lost:
        e = lost.setdefault(x.parcel.source, {"records": 0, "bytes": 0, "frames": [], "reasons": {}})
        e["records"] += 1
        e["bytes"] += x.parcel.size_bytes
        e["frames"].append(x.parcel.frame_index)
        e["reasons"][x.reason] = e["reasons"].get(x.reason, 0) + 1
    for e in lost.values():
        e["frames"] = _ranges(e["frames"])
    return {"rate_bps": umb.rate_bps, "cut_event": cut_event, "t_cut_s": umb.t_cut_s,
            "bytes_crossed": umb.bytes_crossed, "bytes_lost": umb.bytes_lost,
            "crossed": dict(sorted(crossed.items())), "lost": dict(sorted(lost.items()))}
