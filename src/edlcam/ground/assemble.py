"""The film: ``RUN/ground/landing.mp4``, edited like NASA's 2021 landing video, and the per-camera MP4s.

The edit (:mod:`edlcam.ground.edit`) follows the film NASA released on 2021-02-22 (parachute
inflation to touchdown, 3 min 25 s; REFERENCE.md). Each panel lists cameras in order of
preference and shows the first one recording at that instant, so a camera whose window is cut
short gives way to the next; a panel none of whose cameras is recording gives its place to the
other panels (the insets move up, the telemetry takes the room), and says so only where no
panel has a camera recording.

Every film frame is composed at the film's own time line (SCET): each panel shows the frame its
camera exposed most recently (its own SCLK, :mod:`edlcam.ground.timecorr`), from the best product
that came home (:mod:`edlcam.ground.video`); overlays are laid out and rendered as Pillow draws
them (:mod:`edlcam.ground.overlays`); the microphone track runs under it in sync
(:mod:`edlcam.ground.sound`). H.264 + AAC by PyAV. Frames are composed in I420, the encoder's
own format, and only what changed since the last frame is drawn again
(:class:`~edlcam.ground.compose.FilmComposer`), so the film costs little more than encoding it
(benchmarks/RESULTS.md). This module encodes the film, writes the per-camera MP4s and the ground
stage's output, and reads MP4s back (:func:`probe`, :func:`snapshots`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.errors import RunFolderError
from edlcam.ground.compose import FilmComposer, telemetry_at
from edlcam.ground.edit import FILM_HEIGHT_PX, FILM_WIDTH_PX, Panel, Shot, edit_list, film_span
from edlcam.ground.overlays import TRAJECTORY_COLUMNS
from edlcam.ground.video import FASTSTART

# Panel, Shot, edit_list, film_span (ground.edit) and telemetry_at (ground.compose) are re-exported.
__all__ = [
    "FILM_WIDTH_PX", "FILM_HEIGHT_PX", "FILM_FPS", "Panel", "Shot", "FilmResult", "edit_list", "film_span",
    "assemble_film", "assemble", "probe", "snapshots", "telemetry_at",
]

log = logging.getLogger(__name__)

FILM_FPS = 30
AUDIO_BITRATE_BPS = 128_000
SEEK_AHEAD_S = 3.0  # snapshots: seek rather than decode when the next still is this far ahead
# The film shows a frame from its video segment when that came home: at the film's size it looks
# the same as the lossless PNG (both from the same preview or full frame; CRF 23) and decodes ≈ 7×
# faster (benchmarks/demo.py), so the film keeps up with its encoder. Per-camera MP4s use the best.
FILM_KIND_ORDER = ("video", "lossless", "browse", "thumbnail")

ProgressFn = Callable[[int, int], None]


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


def film_audio(con):
    """The catalog row (path, sclk_start) of the sound the film plays: the first received audio product; None if none."""
    return con.execute("SELECT path, sclk_start FROM products WHERE kind = 'audio' AND status = 'received' "
                       "ORDER BY sclk_start LIMIT 1").fetchone()


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
    audio = film_audio(con)
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
        elif "microphone" in mission.onboard.capture:
            log.warning("no microphone product received: the film is silent")
        from edlcam.ground.lvs_overlay import LvsOverlay

        # A mission without a microphone ([cameras] flown leaves it out: MSL) is silent by design.
        silent = "sound: not received yet" if "microphone" in mission.onboard.capture else "sound: no microphone flew"
        composer = FilmComposer(cameras, shots, trajectory, timeline, events, width, height,
                                sound.note if sound else silent,
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


def _composed_ahead(composer: FilmComposer, times_s: list[float], depth: int = 12) -> Iterator[np.ndarray]:
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
             ahead=None, **film_options) -> dict:
    """The ground stage: catalog, one MP4 per camera, the film; writes RUN/ground/assembly.json.

    The MP4s, the assembly record and the provenance record are built in the run's staging folder and
    swapped into RUN/ground/ together once all are complete (:mod:`edlcam.staging`); the
    catalog replaces itself atomically. Refuses a run whose onboard/ or link/ outputs were made
    from another flight or recording (naming the stage to rerun).

    ``ahead``: a :class:`edlcam.ground.ahead.FilmAhead` that assembled the film during the relay;
    its film is taken only where it read the same products as the film would from this catalog.
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
        film = None
        if ahead is not None:
            film = ahead.take(new / runfolder.LANDING_FILM, film_options)
            if film is not None and progress:
                progress("film", film.frames, film.frames)
        if film is None:
            film = assemble_film(run, out=new / runfolder.LANDING_FILM,
                                 progress=(lambda d, t: progress("film", d, t)) if progress else None,
                                 **film_options)
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
