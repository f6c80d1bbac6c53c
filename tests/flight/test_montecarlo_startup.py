"""The Monte Carlo's fixed cost (issue 21): the client imports no flier's library until it flies,
the terrain is built once and mapped, the guidance reference is kept between runs, the local
workers are threads of the client's process flying a kernel that releases the GIL, the plots are
drawn in a process of their own; none of it changes a case (the wall-clock gain is measured in
benchmarks/montecarlo.py, not asserted here)."""

import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time

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


def test_worker_threads_on_the_shared_ground_fly_the_same_cases_and_the_plots_are_drawn(tmp_path):
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


def test_the_kernel_flies_without_the_gil():
    # Before: fly_cases held the GIL, so the Monte Carlo needed one process per worker (each
    # ≈ 4 s of CPU to start). Now another thread of the process runs while a batch flies.
    from edlcam.flight import kernel as K
    from edlcam.flight.dispersions import draw_cases
    from edlcam.flight.sequencer import kernel_inputs
    from edlcam.mars.terrain import Terrain

    m = load_mission()
    cases, _ = draw_cases(m, np.arange(300))
    params, aero, ref, tables = kernel_inputs(m, Terrain.from_mission(m), None)
    inputs = np.ascontiguousarray(np.stack([np.asarray(getattr(cases, f), float) for f in K.CASE_FIELDS], axis=1))
    fly = lambda n: K.fly_cases(inputs[:n], params, aero, ref, tables, np.full((n, K.N_EVENTS, K.N_EVENT_FIELDS), np.nan),
                                np.zeros((n, len(K.SUMMARY_FIELDS))))  # fmt: skip
    fly(1)  # compiled or loaded from the cache before the measured call
    span: list[int] = []
    flier = threading.Thread(target=lambda: span.extend([time.perf_counter_ns(), fly(300) or 0, time.perf_counter_ns()]))
    ticks: list[int] = []
    flier.start()
    while flier.is_alive():
        ticks.append(time.perf_counter_ns())
    flier.join()
    start, _, end = span
    assert sum(start < t < end for t in ticks) > 0  # this thread ran while the kernel flew 300 cases


def test_the_reference_is_kept_between_runs_and_built_again_when_the_mission_changes(monkeypatch):
    from edlcam.flight import guidance
    from edlcam.flight.mc_reference import shared_reference

    m = load_mission()
    built = guidance.build_reference(m)
    first = shared_reference(m)
    calls = []
    monkeypatch.setattr(guidance, "build_reference", lambda mission: calls.append(mission) or built)
    again = shared_reference(m)
    assert calls == []  # from the cache
    for f in dataclasses.fields(built):  # bit for bit, the types kept
        a, b, c = getattr(built, f.name), getattr(first, f.name), getattr(again, f.name)
        assert type(b) is type(c) and np.array_equal(a, b) and np.array_equal(a, c)
    other = m.model_copy(update={"guidance": m.guidance.model_copy(update={"reference_bank_deg": m.guidance.reference_bank_deg + 1})})
    shared_reference(other)
    assert calls == [other]


def test_the_client_never_imports_matplotlib_the_plots_have_their_own_process(tmp_path):
    code = (
        "import sys\n"
        "from edlcam.flight.montecarlo import run_montecarlo\n"
        "from edlcam.mission import load_mission\n"
        f"o = run_montecarlo(load_mission(), {str(tmp_path / 'mc')!r}, n=3, workers=1, batch_cases=2)\n"
        "print([p.name for p in o.plots], 'matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600).stdout
    assert out.strip().splitlines()[-1] == "['landing.png', 'histograms.png'] False"
    assert all((tmp_path / "mc" / name).stat().st_size > 10_000 for name in ("landing.png", "histograms.png"))


def test_the_plot_process_raises_the_plots_own_error_in_the_client(tmp_path):
    # A file where the folder should be: the landing plot (drawn in the forked child) fails; the
    # client gets that OSError, with its errno and path, for the command's one-line message.
    from edlcam.flight.mc_plots import PlotProcess

    (tmp_path / "afile").write_text("x")
    cols = {"status": ["landed"] * 3, **{k: np.zeros(3) for k in MC._PLOT_COLUMNS if k != "status"}}
    plotter = PlotProcess()
    plotter.draw(cols, {"landing_ellipse": None, "delivery_ellipse": None}, load_mission(),
                 tmp_path / "afile" / "landing.png", tmp_path / "histograms.png")  # fmt: skip
    with pytest.raises(NotADirectoryError) as err:
        plotter.result()
    assert err.value.filename == str(tmp_path / "afile" / "landing.png")
    assert (tmp_path / "histograms.png").stat().st_size > 10_000  # the other plot was drawn


def test_the_local_workers_are_dask_threads_without_distributed_and_report_their_cases(tmp_path):
    # Before: a distributed LocalCluster in this process (its import, scheduler and worker loop
    # ≈ 0.8 s of the fixed CPU). Now Dask's threaded scheduler; the progress bar still gets
    # every case, the count only growing.
    code = (
        "import json, sys\n"
        "from edlcam.flight.montecarlo import run_montecarlo\n"
        "from edlcam.mission import load_mission\n"
        "seen = []\n"
        f"run_montecarlo(load_mission(), {str(tmp_path / 'mc')!r}, n=7, workers=2, batch_cases=3, plots=False,\n"
        "               progress=lambda done, total: seen.append([done, total]))\n"
        "print(json.dumps({'modules': sorted(m for m in ('dask', 'distributed', 'pandas') if m in sys.modules), 'seen': seen}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert "dask" in got["modules"] and "distributed" not in got["modules"]
    assert "pandas" not in got["modules"]  # pyarrow's own conversion imported it (≈ 0.35 s)
    done = [d for d, total in got["seen"]]
    assert {total for _, total in got["seen"]} == {7} and done[-1] == 7 and done == sorted(done)


def test_the_progress_adds_the_cases_of_batches_in_flight_and_drops_their_late_reports():
    seen = []
    tally = MC._Tally(10, lambda done, total: seen.append((done, total)))
    tally.flying(0, 2)  # batch 0 has flown 2 cases
    tally.flying(1, 3)
    tally.batch_in(0, 5)  # batch 0 in: its 5 cases replace its 2 reported
    tally.flying(0, 4)  # a report of batch 0 arriving after it came in: nothing to add
    tally.batch_in(1, 5)
    assert seen == [(2, 10), (5, 10), (8, 10), (10, 10)]


def test_a_batchs_arrow_table_is_the_one_pyarrow_converts(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = {
        "case": np.arange(5, dtype=np.int64),
        "t_s": np.array([1.5, np.nan, -np.inf, 0.0, 1e300]),
        "every_other": np.arange(0.0, 10.0)[::2],  # not contiguous
        "deploy_in_box": np.array([True, False, True, True, False]),
        "status": ["landed", "crash", "landed", "error", "timeout"],
        "reason": ["", "hit the ground at 80 m/s", "", "the simulation raised ValueError: é", ""],
    }
    mine, theirs = MC._arrow_table(cols), pa.table(cols)
    mine.validate(full=True)
    assert mine.schema == theirs.schema
    for name, table in (("mine", mine), ("theirs", theirs)):
        pq.write_table(pa.concat_tables([table, table]).combine_chunks(), tmp_path / f"{name}.parquet")
    assert (tmp_path / "mine.parquet").read_bytes() == (tmp_path / "theirs.parquet").read_bytes()


def test_the_command_and_the_plot_process_leave_their_objects_to_the_os_at_exit(tmp_path):
    # The interpreter's teardown garbage-collected every object of numba, scipy, dask (the
    # command) and matplotlib (the plot process, which the command waits for) after the answer
    # was written: ≈ 0.3 and 0.2 s of CPU. Frozen objects are not collected at exit.
    import pickle

    from edlcam.flight.mc_plots import _plotted_values

    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"  # runs after the command's own
        "from edlcam.cli import main\n"
        f"sys.exit(main(['montecarlo', '-n', '2', '--workers', '1', '--out', {str(tmp_path / 'mc')!r}]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600).stdout
    assert out.strip().splitlines()[-1] == "frozen at exit: True"
    assert (tmp_path / "mc" / "cases.parquet").is_file() and (tmp_path / "mc" / "histograms.png").stat().st_size > 10_000

    cols = {"status": ["landed"] * 3, **{k: np.zeros(3) for k in MC._PLOT_COLUMNS if k != "status"}}
    job = (cols, {"landing_ellipse": None, "delivery_ellipse": None}, _plotted_values(load_mission()), tmp_path / "l.png", tmp_path / "h.png")
    serve = "import gc, sys\nfrom edlcam.flight.mc_plots import _serve\n_serve()\nsys.stderr.write(f'frozen {gc.get_freeze_count() > 0}')\n"
    done = subprocess.run([sys.executable, "-c", serve], input=pickle.dumps(job), capture_output=True, check=True, timeout=300)
    assert pickle.loads(done.stdout)[0] is True and done.stderr.decode().endswith("frozen True")
