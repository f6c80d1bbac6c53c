"""The film assembled during the relay (edlcam.ground.ahead) is the film assembled after it, byte for byte."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil

from ground_fixtures import copy_run, small_mission

from edlcam import runfolder
from edlcam.ground.ahead import AHEAD_STAGE, FilmAhead
from edlcam.ground.assemble import assemble, assemble_film, probe
from edlcam.link.relay import run_relay

OPTIONS = dict(width=320, height=180, fps=10)


def _short_passes(mission, duration_s: float = 8.0):
    """The mission with each relay pass cut to ``duration_s``: the short run's products take several passes."""
    passes = [p.model_copy(update={"duration_s": duration_s}) for p in mission.link.passes]
    return mission.model_copy(update={"link": mission.link.model_copy(update={"passes": passes})})


def _relay_with(run, ahead: FilmAhead, keep=None) -> list:
    """Relay over the short passes with ``ahead``'s hook; ``keep``: copy the view's inputs there when made."""
    ends = []

    def on_pass(end):
        ends.append(end)
        ahead.on_pass(end)
        if keep is not None and ahead.started_after_pass == end.index:
            shutil.copytree(ahead.view, keep, symlinks=True,
                            ignore=shutil.ignore_patterns("catalog.sqlite*", "landing.mp4"))

    run_relay(run, mission=_short_passes(small_mission()), overwrite=True, on_pass=on_pass)
    return ends


def _composed(run, **options) -> list[str]:
    """SHA-256 of every frame handed to the film's encoder (I420), in order."""
    digests: list[str] = []
    assemble_film(run, out=run.parent / f"{run.name}-film.mp4",
                  frame_sink=lambda frame: digests.append(hashlib.sha256(frame.tobytes()).hexdigest()), **options)
    return digests


def _kinds(run) -> dict:
    return {p.id: p.kind for p in runfolder.read_manifest(run).products}


def test_the_film_assembled_during_the_relay_is_the_one_assembled_after_it(tmp_path):
    """The film process's view of the ground (kept as it was made) gives the encoder the same frames, and
    the sound the same product, as the run after the relay. (Not the MP4's bytes: libx264's are not
    repeatable under CPU load here, tests/ground/test_ground_catalog.py, whoever encodes.)"""
    from edlcam.ground.catalog import build_catalog, open_catalog
    from edlcam.ground.ahead import film_reads

    run = copy_run(tmp_path)
    ahead = FilmAhead(run, **OPTIONS)
    view = tmp_path / "view"
    ends = _relay_with(run, ahead, keep=view)
    kinds = _kinds(run)
    # it started once the video and sound were home, while lossless products were still on board
    started = next(e for e in ends if e.index == ahead.started_after_pass)
    assert started is not ends[-1]
    assert {kinds[i] for i in started.delivered} >= {"video", "audio"}
    lossless = {i for i, k in kinds.items() if k == "lossless"}
    assert lossless - started.delivered and lossless <= ends[-1].delivered
    summary = assemble(run, ahead=ahead, **OPTIONS)
    assert ahead.used  # the film made in the process, taken
    assert not runfolder.staging_path(run, AHEAD_STAGE, "new").exists()
    assert json.loads((run / runfolder.ASSEMBLY).read_text())["film"]["path"] == "landing.mp4"

    build_catalog(view)
    with contextlib.closing(open_catalog(view)) as a, contextlib.closing(open_catalog(run)) as b:
        assert film_reads(view, a, small_mission()) == film_reads(run, b, small_mission())
    frames = _composed(run, **OPTIONS)
    assert _composed(view, **OPTIONS) == frames
    assert summary["film"]["frames"] == len(frames) == probe(run / runfolder.LANDING_FILM)["streams"][0]["frames"]


def test_a_film_that_read_other_products_is_assembled_again(tmp_path):
    """A video segment that came home but fails its check on the ground: the film shows those frames
    from their lossless PNGs, not from the segment the film made ahead read."""
    run = copy_run(tmp_path)
    ahead = FilmAhead(run, **OPTIONS)
    _relay_with(run, ahead)
    assert ahead.started_after_pass is not None
    kinds = _kinds(run)
    video = sorted(p.path for p in runfolder.read_manifest(run).products if kinds[p.id] == "video")
    bad = runfolder.received_path(run, video[0])
    data = bytearray(bad.read_bytes())
    data[100] ^= 0xFF  # one flipped byte after verification (a new file: the view's link keeps the old one)
    bad.unlink()
    bad.write_bytes(bytes(data))
    summary = assemble(run, ahead=ahead, **OPTIONS)
    assert not ahead.used  # assembled again from the final catalog, as without the film process
    after = assemble_film(run, out=tmp_path / "after.mp4", **OPTIONS)
    assert summary["film"]["panel_kinds"] == after.panel_kinds and after.panel_kinds.get("lossless", 0) > 0
    assert summary["film"]["frames"] == after.frames == probe(run / runfolder.LANDING_FILM)["streams"][0]["frames"]
    assert not runfolder.staging_path(run, AHEAD_STAGE, "new").exists()


def test_a_film_is_not_started_before_its_video_and_sound_are_home(tmp_path):
    run = copy_run(tmp_path)
    ahead = FilmAhead(run, **OPTIONS)
    kinds = _kinds(run)
    needed = {i for i, k in kinds.items() if k in ("video", "audio")}
    ends = _relay_with(run, ahead)
    first_home = next(e.index for e in ends if needed <= e.delivered)
    assert ahead.started_after_pass == first_home
    ahead.discard()
    assert not runfolder.staging_path(run, AHEAD_STAGE, "new").exists()
