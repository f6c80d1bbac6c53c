"""The stage API: one call per stage of a run folder, the same shape for each.

    edlcam.simulate(run, *, mission=None, progress=None, seed=None)           -> SimulateResult
    edlcam.film(run, *, mission=None, progress=None, quality="full", ...)     -> FilmResult
    edlcam.relay(run, *, mission=None, progress=None, loss=None, days=4, ...) -> RelayResult
    edlcam.assemble(run, *, mission=None, progress=None, cameras=True, ...)   -> AssembleResult
    edlcam.report(run, *, mission=None, progress=None, montecarlo=None)       -> ReportResult
    edlcam.demo(run, *, mission=None, progress=None, quality="preview", ...)  -> DemoResult

``run`` is the run folder (docs/run-folder.md). ``mission`` is a :class:`~edlcam.mission.Mission`,
a mission file, or None: the run's own ``RUN/mission.toml`` (for ``simulate`` and ``demo``, which
write it: the shipped Mars 2020 mission). ``progress`` is any :class:`Progress` callable; each
result is a frozen dataclass. The ``edlcam`` commands are these calls with a progress bar on top.

Each function imports its stage when called, so ``import edlcam`` stays cheap (the top-level
package resolves these names on first access, PEP 562).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from edlcam.mission import Mission

__all__ = [
    "Progress",
    "SimulateResult",
    "FilmResult",
    "RelayResult",
    "AssembleResult",
    "ReportResult",
    "DemoResult",
    "STAGES",
    "simulate",
    "film",
    "relay",
    "assemble",
    "report",
    "demo",
]

STAGES = ("simulate", "lvs", "film", "relay", "assemble", "report")  # the demo's, in order


class Progress(Protocol):
    """How a stage reports progress: ``progress(stage, done, total, detail)``.

    ``stage`` is the stage's name (``"simulate"``, ``"film"`` …), ``done`` of ``total`` in the
    stage's own unit (simulated seconds, frames, simulated days), ``detail`` one short line of what
    it is doing (``"E+240 s"``, ``"products rdc"``).
    """

    def __call__(self, stage: str, done: float, total: float, detail: str) -> None: ...


@dataclass(frozen=True)
class SimulateResult:
    """What ``simulate`` wrote: RUN/mission.toml and RUN/flight/, and the touchdown it flew."""

    run: Path
    mission: Path
    trajectory: Path
    bodies: Path
    events: Path
    plots: tuple[Path, ...]
    touchdown: dict  # the flight's touchdown event (t_s, speeds, miss_distance_m …)


@dataclass(frozen=True)
class FilmResult:
    """What ``film`` recorded: the capture schedule, the umbilical's outcome, RUN/onboard/report.json."""

    run: Path
    report_path: Path
    report: dict
    schedule: Any  # edlcam.onboard.schedule.Schedule
    umbilical: Any  # edlcam.onboard.umbilical.UmbilicalResult


@dataclass(frozen=True)
class RelayResult:
    """What came home: RUN/link/summary.json (as ``summary``) and the live telemetry, if flown."""

    run: Path
    summary_path: Path
    summary: dict
    telemetry: Path | None


@dataclass(frozen=True)
class AssembleResult:
    """The ground's products: the catalog, the film, one MP4 per camera, RUN/ground/assembly.json."""

    run: Path
    catalog: Path
    film: Path
    cameras: dict  # camera name -> its MP4
    summary: dict  # assembly.json


@dataclass(frozen=True)
class ReportResult:
    """RUN/ground/report.html."""

    run: Path
    report: Path


@dataclass(frozen=True)
class DemoResult:
    """Where the demo's film and report are, how long each stage took, how the relay went."""

    run: Path
    film: Path
    report: Path
    stage_s: dict  # stage -> wall seconds
    relay_days: float
    coverage: float  # share of the film's frames home as video or lossless
    requested: bool  # whether the film's frames had to be requested at full quality


def _tick(progress: Progress | None):
    return progress or (lambda stage, done, total, detail: None)


def _run_mission(run: Path, mission) -> "Mission":
    """``mission`` as a Mission: given, or a file, or RUN/mission.toml."""
    from edlcam import runfolder
    from edlcam.mission import Mission, load_mission

    if isinstance(mission, Mission):
        return mission
    if mission is not None:
        return load_mission(mission)
    return runfolder.load_run_mission(run)


def simulate(run: str | Path, *, mission=None, progress: Progress | None = None,
             seed: int | None = None) -> SimulateResult:
    """Fly EDL once (the mission's nominal case) and write RUN/mission.toml and RUN/flight/.

    ``mission`` None: the shipped Mars 2020 mission. ``seed`` replaces the mission's seed.
    """
    from edlcam.mission import Mission, load_mission

    run = Path(run)
    if isinstance(mission, Mission):
        m = mission.with_seed(seed)
    else:
        m = load_mission(mission, seed=seed)
    return _simulate(run, m, progress)[0]


def _simulate(run: Path, m: "Mission", progress: Progress | None, *, plots: bool = True) -> tuple[SimulateResult, Any]:
    """:func:`simulate` of a loaded mission, and the terrain it flew over (the demo's LVS reuses it)."""
    from edlcam import runfolder
    from edlcam.flight.run import simulate as fly_and_write
    from edlcam.mars.terrain import Terrain

    terrain = Terrain.from_mission(m)
    tick = _tick(progress)
    limit = m.simulation.max_duration_s
    out = fly_and_write(m, run, terrain=terrain, plots=plots,
                        progress=lambda t, _n: tick("simulate", min(t, limit), limit, f"E+{t:.0f} s"))
    touchdown = runfolder.read_events(run).require("touchdown", "ends the flight").as_dict()
    tick("simulate", limit, limit, "landed")
    return SimulateResult(run, run / runfolder.MISSION, out.trajectory, out.bodies, out.events, out.plots,
                          touchdown), terrain


def film(run: str | Path, *, mission=None, progress: Progress | None = None, quality: str = "full",
         workers: int | None = None, scheduler: str | None = None, frame_source=None,
         audio_source=None, overwrite: bool = False) -> FilmResult:
    """Record the cameras and the microphone into the two DSUs' stores; make the downlink products.

    A filmed run's stores are replaced only with ``overwrite`` (the new ones are built beside them
    and swapped in once complete).

    ``workers``/``scheduler`` choose where frames render (``edlcam film --workers/--scheduler``);
    ``frame_source``/``audio_source`` replace the cameras stage (tests use synthetic sources).
    """
    from edlcam.errors import MissionError
    from edlcam.onboard.film import camera_frame_source
    from edlcam.onboard.film import film as record

    run = Path(run)
    if quality not in ("preview", "full"):
        raise MissionError(f"--quality is {quality!r}; use 'preview' or 'full'")
    m = _run_mission(run, mission)
    if frame_source is None and (workers is not None or scheduler):
        if scheduler:  # reached now, so that an unreachable scheduler fails before anything is written
            from edlcam.cameras.dask_render import get_dask

            get_dask(scheduler)
        frame_source = camera_frame_source(m.onboard, workers=workers, scheduler=scheduler)
    tick = _tick(progress)
    done = record(run, quality=quality, mission=m, frame_source=frame_source, audio_source=audio_source,
                  progress=lambda d, n, label: tick("film", d, n, label), overwrite=overwrite)
    return FilmResult(run, done.report_path, done.report, done.schedule, done.umbilical)


def relay(run: str | Path, *, mission=None, progress: Progress | None = None, loss: float | None = None,
          seed: int | None = None, days: float = 4.0, telemetry: bool = True, overwrite: bool = False,
          on_pass=None) -> RelayResult:
    """Relay the landing home: the live EDL telemetry (``telemetry``), then the products over ``days``
    Earth days of relay passes (CFDP). ``loss``/``seed`` replace ``[link.channel] loss`` and the seed.
    Products already received are replaced only with ``overwrite`` (and the ground's outputs made
    from them are removed with them). ``on_pass`` is called with the ground as it stands at the end
    of each pass (:class:`edlcam.link.relay.PassEnd`; the demo starts its film from it)."""
    from edlcam import runfolder
    from edlcam.link.relay import run_relay
    from edlcam.link.telemetry import write_telemetry
    from edlcam.staging import protect_received

    run = Path(run)
    m = _run_mission(run, mission)
    protect_received(run, overwrite)
    tick = _tick(progress)
    telemetry_path = None
    if telemetry and (run / runfolder.TRAJECTORY).exists():
        telemetry_path = write_telemetry(run, uhf=m.link.uhf)
    summary = run_relay(run, mission=m, loss=loss, seed=seed, days=days, overwrite=overwrite, on_pass=on_pass,
                        progress=lambda d: tick("relay", d, days, f"{d:.2f} of {days:g} days"))
    return RelayResult(run, run / runfolder.LINK_SUMMARY, summary, telemetry_path)


def assemble(run: str | Path, *, mission=None, progress: Progress | None = None, cameras: bool = True,
             film_ahead=None, **film_options) -> AssembleResult:
    """Catalog what came home; write one MP4 per camera (``cameras``) and the film, landing.mp4.

    The ground reads the run's own mission (RUN/mission.toml): ``mission``, if given, must be it.
    ``film_options`` go to :func:`edlcam.ground.assemble.assemble_film` (size, fps, span).
    ``film_ahead``: the film assembled during the relay (:class:`edlcam.ground.ahead.FilmAhead`),
    taken where it read the same products as the film would now.
    """
    from edlcam import runfolder
    from edlcam.ground.assemble import assemble as build

    run = Path(run)
    _same_mission(run, mission)
    tick = _tick(progress)
    summary = build(run, cameras=cameras, progress=lambda label, d, n: tick("assemble", d, n, label),
                    ahead=film_ahead, **film_options)
    ground = run / runfolder.GROUND_DIR
    return AssembleResult(run, Path(summary["catalog"]["path"]), ground / summary["film"]["path"],
                          {name: ground / c["path"] for name, c in summary["cameras"].items()}, summary)


def report(run: str | Path, *, mission=None, progress: Progress | None = None,
           montecarlo: str | Path | None = None) -> ReportResult:
    """Write RUN/ground/report.html (after ``assemble``); ``montecarlo``: a Monte Carlo folder
    (default RUN/montecarlo if present). ``mission``, if given, must be the run's own."""
    from edlcam.ground.report import write_report

    run = Path(run)
    _same_mission(run, mission)
    tick = _tick(progress)
    tick("report", 0, 1, "report.html")
    path = write_report(run, montecarlo=montecarlo)
    tick("report", 1, 1, "report.html")
    return ReportResult(run, path)


def _same_mission(run: Path, mission) -> None:
    """The ground stages read RUN/mission.toml; refuse a different mission rather than ignore it."""
    if mission is None:
        return
    from edlcam import runfolder
    from edlcam.errors import MissionError

    if _run_mission(run, mission) != _run_mission(run, None):
        raise MissionError(f"{run / runfolder.MISSION}: the ground stages use the run's own mission, and the one "
                           f"given differs; leave the mission out, or rerun `edlcam simulate` with it")


def demo(run: str | Path, *, mission=None, progress: Progress | None = None, quality: str = "preview",
         days: float = 4.0, overwrite: bool = False, frame_source=None, audio_source=None) -> DemoResult:
    """Simulate → lvs → film → relay → assemble → report ``mission`` (default Mars 2020) into ``run``.

    The lvs stage (terrain-relative navigation in the loop) runs when the mission's ``[lvs]
    enabled``. With a short relay window not everything comes home at full quality; the film needs
    its frames as video (or lossless), not thumbnails: after the relay the demo checks the share of
    the film's frames home at video quality (:func:`edlcam.ground.demo.film_coverage`) and, if it
    is short, asks for the film's cameras over the film's span at full quality and relays again
    over a window twice as long, as the team did after seeing the thumbnails.

    A run folder that holds committed or received data is replaced only with ``overwrite``
    (checked before anything is written; each stage then swaps its new output in once complete).
    """
    import logging

    from edlcam.errors import MissionError
    from edlcam.ground.ahead import FilmAhead
    from edlcam.ground.demo import MAX_RELAYS, MIN_FILM_COVERAGE, film_cameras, film_coverage
    from edlcam.link.planner import request_products
    from edlcam.mission import Mission, load_mission
    from edlcam.staging import protect_received, protect_stores

    if quality not in ("preview", "full"):
        raise MissionError(f"--quality is {quality!r}; use 'preview' or 'full'")
    if not days > 0:
        raise MissionError(f"--days is {days:g}; give a relay window > 0 days (default 4)")
    run = Path(run)
    m = mission if isinstance(mission, Mission) else load_mission(mission)
    protect_stores(run, overwrite)
    protect_received(run, overwrite)
    tick = _tick(progress)
    stage_s: dict[str, float] = {}

    def timed(stage: str, fn):
        t = time.perf_counter()
        value = fn()
        stage_s[stage] = stage_s.get(stage, 0.0) + time.perf_counter() - t
        return value

    # The flight and LVS read one terrain, built once (seconds of one core each time). With LVS, its
    # re-flight replaces flight/ and draws the flight's plots: the first flight's would be thrown away.
    _flown, terrain = timed("simulate", lambda: _simulate(run, m, progress, plots=not m.lvs.enabled))
    if m.lvs.enabled:
        from edlcam.gnc.loop import run_lvs

        lvs = timed("lvs", lambda: run_lvs(run, mission=m, quality=quality, terrain=terrain,
                                           progress=lambda stage, d, n: tick("lvs", d, n, stage)))
        tick("lvs", 1, 1, f"{lvs.final_error_m:.0f} m at the divert, {lvs.touchdown_to_target_m:.0f} m from the target")
    del terrain  # not kept through the film: its render processes build their own
    timed("film", lambda: film(run, mission=m, progress=progress, quality=quality, frame_source=frame_source,
                               audio_source=audio_source, overwrite=overwrite))
    tick("film", 1, 1, "stored")

    # The film is assembled in a process of its own as soon as its video and sound are home, beside
    # the relay's remaining passes (the lossless PNGs); the ground stage takes it where the final
    # catalog gives the film the same products (edlcam.ground.ahead), else assembles it again.
    ahead = FilmAhead(run)
    try:
        window = days
        timed("relay", lambda: relay(run, mission=m, progress=progress, days=window, overwrite=overwrite,
                                     on_pass=ahead.on_pass))
        coverage, span = timed("relay", lambda: film_coverage(run))
        relays, requested = 1, False
        while coverage < MIN_FILM_COVERAGE and relays < MAX_RELAYS:
            logging.getLogger(__name__).info(
                "%.0f %% of the film's frames home at video quality after %g days; requesting the rest",
                100 * coverage, window)
            for camera in film_cameras(m):
                request_products(run, camera, span[0], span[1], quality="full")
            requested = True
            window *= 2
            ahead.discard()  # made from products this relay replaces
            timed("relay", lambda: relay(run, mission=m, progress=progress, days=window, overwrite=True,  # its own
                                         on_pass=ahead.on_pass))
            coverage, span = timed("relay", lambda: film_coverage(run))
            relays += 1
        tick("relay", window, window, f"{100 * coverage:.0f} % of film frames home as video")

        made = timed("assemble", lambda: assemble(run, progress=progress, film_ahead=ahead))
    finally:
        ahead.discard()
    tick("assemble", 1, 1, "landing.mp4")
    written = timed("report", lambda: report(run, progress=progress))
    return DemoResult(run, made.film, written.report, stage_s, window, coverage, requested)
