"""The Monte Carlo's fixed cost (issue 21): the client imports no flier's library, the terrain is
built once and mapped by the workers, the plots are drawn on the workers; none of it changes a
case (the wall-clock gain is measured in benchmarks/montecarlo.py, not asserted here)."""

import hashlib
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from edlcam.flight import ground as G
from edlcam.flight import montecarlo as MC
from edlcam.mission import load_mission


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EDLCAM_CACHE", str(tmp_path / "cache"))


def test_the_client_imports_neither_numba_nor_scipy_nor_dask_nor_matplotlib():
    # Before: importing the command pulled in numba and the kernel, scipy.special, and building
    # the reference did too (≈ 1.5 s of CPU before a worker existed).
    code = (
        "import sys, edlcam.cli, edlcam.flight.montecarlo\n"
        "from edlcam.flight.guidance import build_reference\n"
        "from edlcam.mission import load_mission\n"
        "build_reference(load_mission())\n"
        "print(sorted(m for m in ('numba', 'scipy.special', 'distributed', 'matplotlib', 'fastapi', 'moderngl') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300).stdout
    assert json.loads(out.strip().replace("'", '"')) == []


def test_flight_ground_maps_the_terrains_kernel_tables(tmp_path):
    from edlcam.flight.sequencer import fly
    from edlcam.mars.terrain import Terrain

    m = load_mission()
    terrain = Terrain.from_mission(m)
    ground = G.FlightGround.load(G.FlightGround.of(terrain).save(tmp_path / "ground"))
    built = terrain.kernel_tables()
    assert len(ground.tables) == len(built)
    for a, b in zip(ground.tables, built):
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape and not a.flags.writeable and np.array_equal(a, b)
        else:
            assert type(a) is type(b) and a == b
    a, b = fly(m, terrain=terrain), fly(m, terrain=ground)
    assert a.status[0] == b.status[0] == "landed"
    assert a.events["touchdown"]["t_s"][0] == b.events["touchdown"]["t_s"][0]
    assert a.miss_distance_m[0] == b.miss_distance_m[0]


def test_workers_on_the_shared_ground_fly_the_same_cases_and_draw_the_plots(tmp_path):
    m = load_mission()
    here = MC.run_montecarlo(m, tmp_path / "here", n=4, workers=0, batch_cases=2, plots=False)
    dask = MC.run_montecarlo(m, tmp_path / "dask", n=4, workers=1, batch_cases=2, plots=True)
    digest = [hashlib.sha256(o.cases.read_bytes()).hexdigest() for o in (here, dask)]
    assert digest[0] == digest[1]
    assert [p.name for p in dask.plots] == ["landing.png", "histograms.png"]
    assert all(p.stat().st_size > 10_000 for p in dask.plots)
    assert len(list((tmp_path / "cache" / "flight-ground").iterdir())) == 1  # built once, kept


def test_the_ground_is_cached_per_terrain_and_rebuilt_when_an_input_changes(tmp_path, monkeypatch):
    from edlcam.mars import terrain as T

    m = load_mission()
    folder, temporary = G.shared_ground(m)
    assert not temporary and folder.parent == tmp_path / "cache" / "flight-ground"
    built = []
    monkeypatch.setattr(T.Terrain, "from_mission", classmethod(lambda cls, mission: built.append(mission) or _raise()))
    assert G.shared_ground(m) == (folder, False) and built == []  # a hit builds nothing
    with pytest.raises(RuntimeError):
        G.shared_ground(m.with_seed(m.mission.seed + 1))  # another seed is another terrain
    assert len(built) == 1


def _raise():
    raise RuntimeError("built")


def test_an_unwritable_cache_gives_this_run_its_own_folder(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("EDLCAM_CACHE", str(tmp_path / "afile" / "cache"))
    folder, temporary = G.shared_ground(load_mission())
    assert temporary and (folder / "ground.json").is_file()
    shutil.rmtree(folder)
