"""The one-command demo: simulate → lvs → film → relay → assemble → report, each stage's library call.

The lvs stage (terrain-relative navigation in the loop, :mod:`edlcam.gnc.loop`) runs when the
mission's ``[lvs] enabled``; it re-flies the powered descent to the target it selected.

With the default relay window (a few days of passes) not everything comes home at full quality.
The film needs its frames as video (or lossless), not thumbnails: after the relay the demo checks
the share of the film's panel frames that are home at video quality, and if it is short it asks
for the film's cameras over the film's span (``request_products``, quality "full") and relays
again over a longer window, as the team did after seeing the thumbnails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DemoResult", "STAGES", "run_demo", "film_coverage", "FILM_CAMERAS", "MIN_FILM_COVERAGE"]

log = logging.getLogger(__name__)

STAGES = ("simulate", "lvs", "film", "relay", "assemble", "report")
FILM_CAMERAS = ("puc_a", "puc_b", "puc_c", "rdc", "lcam", "ddc", "ruc")
MIN_FILM_COVERAGE = 0.95  # share of film-span frames home at video quality or better before the film is made
MAX_RELAYS = 3

Progress = Callable[[str, float, float, str], None]  # (stage, done, total, detail)


@dataclass
class DemoResult:
    """Where the demo's products are and how long each stage took."""

    run: Path
    film: Path
    report: Path
    stage_s: dict[str, float] = field(default_factory=dict)
    relay_days: float = 0.0
    coverage: float = 0.0
    requested: bool = False


def film_coverage(run: Path) -> tuple[float, tuple[float, float]]:
    """(share of the film cameras' frames in the film span home as video or lossless, span [E+ s])."""
    from edlcam.ground.assemble import film_span
    from edlcam.ground.catalog import build_catalog, open_catalog
    from edlcam.ground.runfolder import read_events

    build_catalog(run)
    events = {}
    for e in read_events(run):
        events.setdefault(str(e["name"]), float(e["t_s"]))
    con = open_catalog(run)
    try:
        windows = {c: (lo, hi) for c, lo, hi in con.execute(
            "SELECT camera, MIN(t_s), MAX(t_s) FROM frames GROUP BY camera")}
        span = film_span(events, windows)
        marks = ",".join("?" * len(FILM_CAMERAS))
        total, good = con.execute(
            f"SELECT COUNT(*), SUM(best_kind IN ('video', 'lossless')) FROM frames "
            f"WHERE camera IN ({marks}) AND t_s BETWEEN ? AND ?", (*FILM_CAMERAS, *span)).fetchone()
    finally:
        con.close()
    return (float(good or 0) / total if total else 0.0), span


def run_demo(out: str | Path = "run", *, quality: str = "preview", mission=None, days: float = 4.0,
             progress: Progress | None = None, frame_source=None, audio_source=None) -> DemoResult:
    """Run every stage on ``mission`` (default Mars 2020) into ``out``; return the paths and timings.

    ``frame_source``/``audio_source`` replace the cameras stage (tests use synthetic sources).
    """
    from edlcam.errors import MissionError
    from edlcam.flight.run import simulate
    from edlcam.ground.assemble import assemble
    from edlcam.ground.report import write_report
    from edlcam.link.planner import request_products
    from edlcam.link.relay import run_relay
    from edlcam.link.telemetry import write_telemetry
    from edlcam.mission import load_mission
    from edlcam.onboard.film import film

    if quality not in ("preview", "full"):
        raise MissionError(f"--quality is {quality!r}; use 'preview' or 'full'")
    run = Path(out)
    mission = mission or load_mission()
    tick = progress or (lambda *a: None)
    result = DemoResult(run, run / "ground" / "landing.mp4", run / "ground" / "report.html")

    def timed(stage: str, fn):
        t = time.perf_counter()
        value = fn()
        result.stage_s[stage] = result.stage_s.get(stage, 0.0) + time.perf_counter() - t
        return value

    limit = mission.simulation.max_duration_s
    timed("simulate", lambda: simulate(mission, run, progress=lambda t, _d: tick("simulate", min(t, limit), limit,
                                                                                    f"E+{t:.0f} s")))
    tick("simulate", limit, limit, "landed")
    if mission.lvs.enabled:
        from edlcam.gnc.loop import run_lvs

        lvs = timed("lvs", lambda: run_lvs(run, mission=mission, quality=quality,
                                           progress=lambda stage, d, n: tick("lvs", d, n, stage)))
        tick("lvs", 1, 1, f"{lvs.final_error_m:.0f} m at the divert, {lvs.touchdown_to_target_m:.0f} m from the target")
    timed("film", lambda: film(run, quality=quality, mission=mission, frame_source=frame_source,
                               audio_source=audio_source,
                               progress=lambda d, n, label: tick("film", d, n, label)))
    tick("film", 1, 1, "stored")

    def relay(window_days: float) -> None:
        if (run / "flight" / "trajectory.parquet").exists():
            write_telemetry(run, uhf=mission.link.uhf)
        run_relay(run, mission=mission, days=window_days,
                  progress=lambda d: tick("relay", d, window_days, f"{d:.2f} of {window_days:g} days"))

    window = days
    timed("relay", lambda: relay(window))
    coverage, span = timed("relay", lambda: film_coverage(run))
    relays = 1
    while coverage < MIN_FILM_COVERAGE and relays < MAX_RELAYS:
        # Ask for the film's frames at full quality, as the team did after the thumbnails came down.
        log.info("%.0f %% of the film's frames home at video quality after %g days; requesting the rest",
                 100 * coverage, window)
        for camera in FILM_CAMERAS:
            request_products(run, camera, span[0], span[1], quality="full")
        result.requested = True
        window *= 2
        timed("relay", lambda: relay(window))
        coverage, span = timed("relay", lambda: film_coverage(run))
        relays += 1
    result.relay_days, result.coverage = window, coverage
    tick("relay", window, window, f"{100 * coverage:.0f} % of film frames home as video")

    timed("assemble", lambda: assemble(run, progress=lambda label, d, n: tick("assemble", d, n, label)))
    tick("assemble", 1, 1, "landing.mp4")
    timed("report", lambda: write_report(run))
    tick("report", 1, 1, "report.html")
    return result
