"""`edlcam demo` end to end (slow: a real flight, synthetic cameras, the whole film at 720p)."""

from __future__ import annotations

import pytest
from ground_fixtures import SyntheticCameras, small_mission, synthetic_audio

from edlcam.ground.assemble import probe
import edlcam
from edlcam.ground.demo import MIN_FILM_COVERAGE


@pytest.mark.slow
def test_demo_runs_every_stage_and_relays_until_the_film_is_home(tmp_path):
    mission = small_mission()
    # 0.1 day: one MRO pass; the demo must ask for the film's frames and relay longer
    result = edlcam.demo(tmp_path / "run", mission=mission, days=0.1, frame_source=SyntheticCameras(mission),
                         audio_source=synthetic_audio)
    assert set(result.stage_s) == {"simulate", "lvs", "film", "relay", "assemble", "report"}
    assert result.coverage >= MIN_FILM_COVERAGE
    info = probe(result.film)
    v = next(s for s in info["streams"] if s["type"] == "video")
    assert (v["width"], v["height"], v["fps"]) == (1280, 720, 30.0)
    # parachute deploy − 1 s to flyaway + ≥ 5 s: NASA timeline E+240 … ≈ E+410 → ≥ 170 s of film
    assert info["duration_s"] > 160
    assert result.report.exists()


@pytest.mark.slow
def test_demo_twice_in_a_row_replaces_the_first(tmp_path):
    """`make demo` twice: the second demo (--overwrite, as the Makefile gives) replaces the first stage
    by stage; without --overwrite it refuses before writing anything."""
    from edlcam.errors import RunFolderError

    mission = small_mission()
    kw = dict(mission=mission, days=0.1, frame_source=SyntheticCameras(mission), audio_source=synthetic_audio)
    first = edlcam.demo(tmp_path / "run", overwrite=True, **kw)
    flight = (tmp_path / "run" / "flight" / "provenance.json").read_text()
    with pytest.raises(RunFolderError, match="rerun with --overwrite"):
        edlcam.demo(tmp_path / "run", **kw)
    assert (tmp_path / "run" / "flight" / "provenance.json").read_text() == flight  # nothing written
    second = edlcam.demo(tmp_path / "run", overwrite=True, **kw)
    assert second.film == first.film and second.film.exists() and second.report.exists()
    assert (tmp_path / "run" / "flight" / "provenance.json").read_text() == flight  # same mission, same flight
    assert list((tmp_path / "run" / ".staging").iterdir()) == []


def test_the_demo_flies_and_navigates_over_one_terrain(tmp_path, monkeypatch):
    """The flight and LVS read the same terrain, built once (seconds of one core each build)."""
    import edlcam.gnc.loop as loop
    from edlcam.mars.terrain import Terrain

    built, seen = [], {}
    build = Terrain.build.__func__
    monkeypatch.setattr(Terrain, "build", classmethod(lambda cls, *a, **k: built.append(1) or build(cls, *a, **k)))

    class Stop(Exception):
        pass

    def run_lvs(run, *, terrain=None, **kw):
        seen["terrain"] = terrain
        seen["flight"] = sorted(p.name for p in (run / "flight").iterdir())
        raise Stop  # the rest of the demo is not this test's

    monkeypatch.setattr(loop, "run_lvs", run_lvs)
    with pytest.raises(Stop):
        edlcam.demo(tmp_path / "run")
    assert isinstance(seen["terrain"], Terrain) and len(built) == 1
    # LVS's re-flight replaces flight/ and draws its plots; the first flight draws none
    assert not [name for name in seen["flight"] if name.endswith(".png")] and "trajectory.parquet" in seen["flight"]
