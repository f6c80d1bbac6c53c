"""The film assembled while the relay carries the rest (the demo's relay and assembly overlapped).

The film takes each panel frame from its video segment first (``FILM_KIND_ORDER``), the planner
sends the video segments and the sound early, and the lossless PNGs (≈ 94 % of the relayed bytes)
last. So once every video segment and the sound are home, the film no longer depends on what the
relay still carries, and it can be encoded beside the relay's remaining passes, which keep one core
busy in pure Python while the other would idle (benchmarks/RESULTS.md, "The demo's CPU by stage").

:class:`FilmAhead` does that without ever changing the film:

1. at the end of the first relay pass (the relay's simulated state, never the wall clock) after
   which every ``video`` and ``audio`` product of the manifest is home, it makes a view of the
   ground as it stands then: ``RUN/.staging/film-ahead.new/``, a run folder whose flight, LVS,
   onboard and mission are the run's (symbolic links), whose ``link/`` holds the deliveries so
   far, and whose ``ground/received/`` holds hard links to the files delivered so far (whole and
   never rewritten: the relay moves each in once verified);
2. a spawned process catalogs that view and assembles its film there, as :func:`assemble_film`
   would, and returns it with :func:`film_reads` of its catalog: every product file and frame
   position the film read;
3. the ground stage (:func:`edlcam.ground.assemble.assemble`) takes that film only where
   :func:`film_reads` of the final catalog is the same; otherwise (a frame that got a better kind
   later, a relay repeated for requested frames) it assembles the film again, as without this.

Equal reads hand the film's encoder the same frames and sound: the film is a function of them and
of the run's flight, LVS and mission, the same files (tests/ground/test_ground_ahead.py). So
landing.mp4 is the film assembled after the relay, as far as libx264 repeats itself (under CPU
load it does not always, tests/ground/test_ground_catalog.py; the demo's did, benchmarks/RESULTS.md).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from edlcam import runfolder

__all__ = ["AHEAD_STAGE", "FilmAhead", "film_reads"]

log = logging.getLogger(__name__)

AHEAD_STAGE = "film-ahead"  # RUN/.staging/film-ahead.new: the view the film is assembled in
HOME_FIRST = ("video", "audio")  # the kinds that must all be home before the film starts
_SHARED = (runfolder.MISSION, runfolder.FLIGHT_DIR, runfolder.LVS_DIR, runfolder.ONBOARD_DIR)


def film_reads(run: Path, con, mission) -> tuple:
    """Everything the film reads from the ground (:func:`edlcam.ground.assemble.assemble_film`): per camera
    its frames, their times and the product and position each is shown from; the sound's product."""
    from edlcam.ground.assemble import FILM_KIND_ORDER, film_audio
    from edlcam.ground.video import open_cameras

    cameras = open_cameras(Path(run), con, mission, prefer=FILM_KIND_ORDER)
    reads = []
    for name, frames in sorted(cameras.items()):
        reads.append((name, frames.rate_hz, frames.aspect, tuple(frames.frame_index.tolist()),
                      tuple(frames.t_s.tolist()), frames.sources()))
        frames.close()
    audio = film_audio(con)
    return tuple(reads), None if audio is None else tuple(audio)


def _assemble_in_view(view: str, options: dict) -> tuple:
    """Catalog the view, assemble its film there; (FilmResult, film_reads)."""
    from edlcam.ground.assemble import assemble_film
    from edlcam.ground.catalog import build_catalog, open_catalog

    view_path = Path(view)
    build_catalog(view_path)
    film = assemble_film(view_path, out=view_path / runfolder.LANDING_FILM, **options)
    con = open_catalog(view_path)
    try:
        reads = film_reads(view_path, con, runfolder.load_run_mission(view_path))
    finally:
        con.close()
    return film, reads


def _film_process(view: str, options: dict, send) -> None:
    """The film process: its film and reads, or its error as text, sent once."""
    try:
        result = ("ok", _assemble_in_view(view, options))
    except BaseException as exc:  # reported to the ground stage, which assembles the film itself
        result = ("error", f"{type(exc).__name__}: {exc}")
    send.send(result)
    send.close()


class FilmAhead:
    """Starts the film from the relay's passes (:meth:`on_pass`) once its video and sound are home;
    :meth:`take` hands it to the ground stage if the final catalog gives the film the same reads."""

    def __init__(self, run: str | Path, **film_options) -> None:
        self.run = Path(run)
        self.options = dict(film_options)
        self.started_after_pass: int | None = None
        self.used = False  # whether the ground stage took the film made ahead
        self._process = None
        self._result = None  # the film process's end of the pipe
        self._needed: frozenset | None = None

    @property
    def view(self) -> Path:
        return runfolder.staging_path(self.run, AHEAD_STAGE, "new")

    def on_pass(self, end) -> None:
        """The relay's hook (:class:`edlcam.link.relay.PassEnd`): start the film once its video and sound are home."""
        if self._process is not None:
            return
        if self._needed is None:
            self._needed = frozenset(p.id for p in runfolder.read_manifest(self.run).products
                                     if p.kind in HOME_FIRST)
        if not self._needed <= end.delivered:
            return
        self._make_view(end)
        import multiprocessing

        # spawned, as the render workers are: nothing of this process's state (the relay) is copied
        ctx = multiprocessing.get_context("spawn")
        self._result, send = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_film_process, args=(str(self.view), self.options, send),
                                    name="edlcam-film-ahead", daemon=True)
        self._process.start()
        send.close()
        self.started_after_pass = end.index
        log.info("the film's video and sound are home after pass %d: assembling it beside the relay", end.index)

    def _make_view(self, end) -> None:
        view = self.view
        shutil.rmtree(view, ignore_errors=True)  # what a killed demo left of an earlier view
        view.mkdir(parents=True)
        for rel in _SHARED:
            if (self.run / rel).exists():
                (view / rel).symlink_to((self.run / rel).absolute())
        received = view / runfolder.RECEIVED_DIR
        for line in end.deliveries:
            target = received / line["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(end.received_dir / line["path"], target)  # the relay's file: whole, never rewritten
        runfolder.write_jsonl(view / runfolder.LINK_LOG, list(end.deliveries))
        # the catalog's meta reads the relay's seed, loss and days; the view's film reads none of them
        runfolder.write_json(view / runfolder.LINK_SUMMARY, {"after_pass": end.index}, indent=1)
        requests = self.run / runfolder.LINK_REQUESTS
        if requests.exists():
            shutil.copyfile(requests, view / runfolder.LINK_REQUESTS)

    def take(self, out: Path, options: dict):
        """The film made ahead, moved to ``out``, if it read what the film reads from the run's catalog
        now (built from the relay's end) with the same ``options``; else None (assemble it again).
        Removes the view either way."""
        if self._process is None:
            return None
        from edlcam.ground.catalog import open_catalog

        con = open_catalog(self.run)
        try:
            reads = film_reads(self.run, con, runfolder.load_run_mission(self.run))
        finally:
            con.close()
        try:
            try:
                status, value = self._result.recv()
            except EOFError:
                status, value = "error", f"the film process ended with exit code {self._process.exitcode}"
            if status != "ok":  # assembled again in this process, where its error (if any) is raised
                log.warning("the film made ahead failed (%s): assembling it again", value)
                return None
            film, ahead_reads = value
            if ahead_reads != reads or options != self.options:
                log.info("the film made ahead read other products than the ground holds now: assembling it again")
                return None
            os.replace(film.path, out)
            film.path = out
            self.used = True
            return film
        finally:
            self.discard()

    def discard(self) -> None:
        """Stop the film process if it still runs, and remove the view."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._result.close()
            self._process = self._result = None
        shutil.rmtree(self.view, ignore_errors=True)
