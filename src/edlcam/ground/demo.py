"""What the one-command demo (:func:`edlcam.demo`, in :mod:`edlcam.stages`) asks of the ground:
how much of the film is home at video quality, and which cameras the film needs.

With the default relay window (a few days of passes) not everything comes home at full quality.
The film needs its frames as video (or lossless), not thumbnails: after the relay the demo checks
the share of the film's panel frames that are home at video quality (:func:`film_coverage`), and if
it is short it asks for :func:`film_cameras` over the film's span at full quality and relays again.
"""

from __future__ import annotations

from pathlib import Path

from edlcam import runfolder

__all__ = ["film_coverage", "film_cameras", "MIN_FILM_COVERAGE", "MAX_RELAYS"]

MIN_FILM_COVERAGE = 0.95  # share of film-span frames home at video quality or better before the film is made
MAX_RELAYS = 3


def film_cameras(mission) -> tuple[str, ...]:
    """The mission's cameras that fill the film's panels ([cameras] film_*), sorted."""
    cams = mission.cameras
    return tuple(sorted({c for panels in (cams.film_parachute, cams.film_descent, cams.film_skycrane)
                         for panel in panels for c in panel if c in cams.views}))


def film_coverage(run: Path) -> tuple[float, tuple[float, float]]:
    """(share of the film cameras' frames in the film span home as video or lossless, span [E+ s]);
    the film's cameras are the mission's that fill its panels ([cameras] film_*)."""
    from edlcam.ground.assemble import film_span
    from edlcam.ground.catalog import build_catalog, open_catalog

    mission = runfolder.load_run_mission(run)
    cams, cameras = mission.cameras, film_cameras(mission)
    build_catalog(run)
    events = runfolder.read_events(run).times()
    con = open_catalog(run)
    try:
        windows = {c: (lo, hi) for c, lo, hi in con.execute(
            "SELECT camera, MIN(t_s), MAX(t_s) FROM frames GROUP BY camera")}
        span = film_span(events, windows, cams)
        marks = ",".join("?" * len(cameras))
        total, good = con.execute(
            f"SELECT COUNT(*), SUM(best_kind IN ('video', 'lossless')) FROM frames "
            f"WHERE camera IN ({marks}) AND t_s BETWEEN ? AND ?", (*cameras, *span)).fetchone()
    finally:
        con.close()
    return (float(good or 0) / total if total else 0.0), span
