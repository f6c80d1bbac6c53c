"""Full-quality rendering on dask.distributed: the same bytes as one process, whatever the workers.

A synthetic run (test_render's) with the real hardware meshes, picklable doubles of the terrain
and the Sun (the workers receive them by pickle) and a small full-quality RDC (160×128), so that
the two LocalClusters (1 and 2 worker processes) cost a few seconds.
"""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("moderngl")
pytest.importorskip("distributed")

from test_render import CheckerTerrain, _write_run  # noqa: E402  (shared synthetic run)
from test_workers import FixedSun  # noqa: E402

T0_S, T1_S = 12.0, 12.3  # the heat shield falls away below the RDC: 10 frames at 30 fps


def _small_full_mission():
    from edlcam.mission import load_mission

    m = load_mission()
    views = dict(m.cameras.views)
    views["rdc"] = views["rdc"].model_copy(update={"width_px": 160, "height_px": 128})
    cams = m.cameras.model_copy(update={"views": views, "terrain_samples": 33, "shadow_map_px": 256, "max_rocks": 500})
    return m.model_copy(update={"cameras": cams})


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    from edlcam.cameras.frames import open_run

    run = _write_run(tmp_path_factory.mktemp("run_dask"), mission=_small_full_mission())
    return open_run(run, terrain=CheckerTerrain(), sun_enu=FixedSun())


@pytest.fixture(scope="module")
def here(film):
    return list(film.frames("rdc", quality="full", t_start_s=T0_S, t_end_s=T1_S, workers=0))


@pytest.fixture(scope="module")
def clusters():
    from edlcam.cameras.dask_render import get_dask

    started = []

    def start(workers: int):
        dr = get_dask(None, workers)
        dr.chunk_frames = 2  # chunk boundaries every 2 frames: the AE state crosses 4 of them
        started.append(dr)
        return dr

    yield start
    for dr in reversed(started):
        dr.close()


def _same(a, b) -> bool:
    return (len(a) == len(b) and [f.index for f in a] == [f.index for f in b]
            and [(f.t_s, f.exposure_s, f.gain) for f in a] == [(f.t_s, f.exposure_s, f.gain) for f in b]
            and all(x.image.tobytes() == y.image.tobytes() for x, y in zip(a, b)))


def test_workers_keep_glibc_malloc_tuning(clusters):
    """distributed's MALLOC_TRIM_THRESHOLD_=65536 turns off glibc's dynamic mmap threshold (an LVS
    case: 17 s of system CPU in page faults against 1.6 s): the render cluster's workers go without it."""
    import os

    dr = clusters(1)
    seen = dr.client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(seen.values()) == [None]
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ


@pytest.mark.parametrize("workers", [1, 2])
def test_dask_frames_are_byte_identical_to_one_process(film, here, clusters, workers):
    clusters(workers)
    there = list(film.frames("rdc", quality="full", t_start_s=T0_S, t_end_s=T1_S, workers=workers))
    assert len(here) == 10 and here[0].image.shape == (128, 160, 3)
    assert len({f.exposure_s * f.gain for f in here}) > 1  # the AE moves across the slice: the chain matters
    assert _same(here, there)


def test_dask_worker_errors_reach_the_caller_and_a_closed_iterator_frees_its_tasks(film, clusters):
    from edlcam.errors import RenderError

    dr = clusters(2)
    step, plan = film.frame_plan("rdc", quality="full", t_start_s=T0_S, t_end_s=T1_S)
    with pytest.raises(RenderError, match="unknown camera 'nope'"):
        list(dr.iterate(film.spec, "nope", "full", 1, [(0, 12.0)]))
    it = dr.iterate(film.spec, "rdc", "full", step, plan)
    first = next(it)
    it.close()  # the chunks in flight are cancelled
    assert first.index == plan[0][0]
    again = list(dr.iterate(film.spec, "rdc", "full", step, plan[:3]))
    assert [f.index for f in again] == [i for i, _ in plan[:3]]


def test_backend_choice():
    from edlcam.cameras.frames import render_backend
    from edlcam.errors import RenderError

    assert render_backend("full", 2) == "dask"
    assert render_backend("preview", 2) == "pool"
    assert render_backend("preview", 0) == "here" and render_backend("full", 0) == "here"
    assert render_backend("preview", 0, "tcp://h:8786") == "dask"
    assert render_backend("full", 2, backend="pool") == "pool"
    with pytest.raises(RenderError, match="needs the Dask backend"):
        render_backend("full", 2, "tcp://h:8786", backend="pool")
    with pytest.raises(RenderError, match="render backend is 'gpu'"):
        render_backend("full", 2, backend="gpu")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket closes


def test_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    import edlcam.cameras.dask_render as dask_render
    from edlcam.cli import main

    monkeypatch.setattr(dask_render, "SCHEDULER_TIMEOUT_S", 1)
    _write_run(tmp_path, mission=_small_full_mission())
    address = f"tcp://127.0.0.1:{_closed_port()}"
    assert main(["film", str(tmp_path), "--quality", "full", "--scheduler", address]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --scheduler {address}: no Dask scheduler answered there within 1 s (")
    assert err.endswith("or leave --scheduler out to render on this machine")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "onboard").exists()  # failed before filming anything
