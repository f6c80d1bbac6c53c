"""Monte Carlo of dispersed landings: batches of trajectories, spread over Dask.

The cases are cut into batches of at most ``[montecarlo] batch_cases`` consecutive cases (fewer
where a worker would get fewer than four batches); each batch is
one task that draws its cases' inputs from the mission seed (:mod:`edlcam.flight.dispersions`,
case 0 = the nominal mission; every case has its own random streams, so a case's inputs do not
depend on its batch) and flies them in the compiled flight kernel
(:func:`edlcam.flight.sequencer.fly`), on Dask's threaded scheduler in this process by default
(a thread per worker: the kernel runs without the GIL) or on an existing ``dask.distributed``
cluster. A trajectory never sees another (checked: a case flies the same alone, in a batch and in
any order), so the output is the same for any number of workers.

Outputs (docs/run-folder.md): ``DIR/cases.parquet`` (one row per case: inputs, every event's
time and state, touchdown point, miss distance, status, reason), ``DIR/summary.json``
(percentiles of every event quantity, failure counts, the landing ellipse) and the plots
``landing.png`` and ``histograms.png``.

The landing ellipse at probability P is the ellipse of the bivariate normal fitted to the landing
points (sample mean and covariance) holding P of its mass: semi-axes ``sqrt(λ_i · k)`` for the
covariance eigenvalues λ_i, with ``k = −2 ln(1 − P)`` the chi-square quantile for two degrees of
freedom (Johnson & Wichern, *Applied Multivariate Statistical Analysis*, ch. 4: the contours of
a bivariate normal and the chi-square probability they enclose).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import threading
import time
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

import numpy as np

from edlcam.errors import EdlcamError, MissionError
from edlcam.flight.events import EVENT_NAMES, MINOR_EVENT_NAMES
from edlcam.flight.ground import FlightGround, shared_ground
from edlcam.flight.kernel.layout import EVENT_FIELDS
from edlcam.flight.ellipse import STATUSES, LandingEllipse, ellipse_from_covariance, landing_ellipse
from edlcam.flight.mc_plots import PlotProcess, plot_histograms, plot_landing

# What only the fliers need (numba and the kernel, scipy for the draws, dask, matplotlib) is
# imported where it is used: the client of a Dask Monte Carlo never flies, and every second of
# imports is a second before the first case.

__all__ = [
    "LandingEllipse",
    "MonteCarloOutputs",
    "ellipse_from_covariance",
    "landing_ellipse",
    "fly_batch",
    "run_montecarlo",
    "summarize",
    "plot_landing",
    "plot_histograms",
    "STATUSES",
    "PROGRESS_TOPIC",
]

log = logging.getLogger(__name__)

PROGRESS_TOPIC = "edlcam-montecarlo"  # Dask event topic on which workers report the cases flown
_EVENT_FIELDS = EVENT_FIELDS  # the fields of every event (cases.parquet columns <event>_<field>)
_PERCENTILES = (1, 5, 50, 95, 99)
_SCHEDULER_TIMEOUT_S = 10


# ----------------------------------------------------------------------------------------------
# One batch (runs on a worker)

_CONTEXT: dict[str, tuple] = {}  # per process: mission digest → (terrain, reference trajectory)


def _mission_digest(mission) -> str:
    return hashlib.sha256(mission.model_dump_json().encode()).hexdigest()


def _context(mission, reference=None, ground=None):
    """Terrain and entry-guidance reference of ``mission``, built once per worker process (they
    are the same for every case: dispersions change the flight, not the map or the plan). The
    client's ``reference``, when given, is used rather than built again; so is its ``ground``: the
    :class:`FlightGround` itself (a worker thread of the client's process), or a folder holding
    the one it saved, when this process can read it."""
    if reference is not None and isinstance(ground, FlightGround):
        return ground, reference  # the client's own: nothing to build, nothing shared to guard
    key = _mission_digest(mission)
    if key not in _CONTEXT:
        from edlcam.flight.mc_reference import shared_reference

        terrain = None
        if ground is not None:
            try:
                terrain = FlightGround.load(ground)
            except (OSError, ValueError) as exc:  # another machine's path, or a cache entry pruned meanwhile
                log.info("building the terrain: no flight ground at %s (%s)", ground, exc)
        if terrain is None:
            from edlcam.mars.terrain import Terrain

            terrain = Terrain.from_mission(mission)
        _CONTEXT.clear()
        _CONTEXT[key] = (terrain, reference if reference is not None else build_reference(mission))
    return _CONTEXT[key]


def _report(batch: int, done: int) -> None:
    try:
        from distributed import get_worker

        get_worker().log_event(PROGRESS_TOPIC, {"batch": batch, "done": done})
    except (ImportError, ValueError):  # not on a Dask worker: nobody listens
        pass


def _slice(cases, sel):
    from edlcam.flight.sequencer import CaseInputs

    return CaseInputs(**{f.name: np.asarray(getattr(cases, f.name))[sel] for f in fields(CaseInputs)})


def _input_columns(cases, cg_m, case_indices) -> dict:
    """The case numbers and every input drawn: the first columns of a batch's rows."""
    from edlcam.flight.sequencer import CaseInputs

    cols: dict[str, object] = {"case": np.asarray(case_indices, dtype=np.int64)}
    for f in fields(CaseInputs):
        cols[f"input_{f.name}"] = np.asarray(getattr(cases, f.name), float)
    cols["input_cg_radial_offset_m"] = np.asarray(cg_m, float)
    return cols


def _columns(result, cases, cg_m, case_indices) -> dict:
    cols = _input_columns(cases, cg_m, case_indices)
    for name in EVENT_NAMES + MINOR_EVENT_NAMES:
        for fld in _EVENT_FIELDS:
            cols[f"{name}_{fld}"] = np.asarray(result.events[name][fld], float)
    cols["touchdown_vertical_speed_m_s"] = np.asarray(result.touchdown_vertical_speed_m_s, float)
    cols["touchdown_horizontal_speed_m_s"] = np.asarray(result.touchdown_horizontal_speed_m_s, float)
    cols["miss_distance_m"] = np.asarray(result.miss_distance_m, float)
    cols["propellant_used_kg"] = np.asarray(result.propellant_used_kg, float)
    cols["deploy_in_box"] = np.asarray(result.deploy_in_box, bool)
    cols["status"] = [str(s) for s in result.status]
    cols["reason"] = [str(r) for r in result.reason]
    return cols


def _error_columns(cases, cg_m, case_indices, exc: Exception) -> dict:
    n = len(case_indices)
    cols = _input_columns(cases, cg_m, case_indices)
    for name in EVENT_NAMES + MINOR_EVENT_NAMES:
        for fld in _EVENT_FIELDS:
            cols[f"{name}_{fld}"] = np.full(n, np.nan)
    for key in ("touchdown_vertical_speed_m_s", "touchdown_horizontal_speed_m_s", "miss_distance_m", "propellant_used_kg"):
        cols[key] = np.full(n, np.nan)
    cols["deploy_in_box"] = np.zeros(n, bool)
    cols["status"] = ["error"] * n
    cols["reason"] = [f"the simulation raised {type(exc).__name__}: {exc}"] * n
    return cols


def _arrow_table(columns: dict):
    """A batch's columns (numpy arrays, lists of strings) as a pyarrow Table, built from their
    buffers in Arrow's columnar layout (https://arrow.apache.org/docs/format/Columnar.html):
    fixed-width numbers as they are, booleans as bits, strings as offsets and UTF-8 bytes.

    Not ``pa.table(columns)``: pyarrow's conversion imports pandas to check whether its input is
    a pandas object (≈ 0.35 s of CPU in a run that uses no pandas, issue 21). The same table:
    cases.parquet is byte-identical (tests/flight/test_montecarlo_startup.py)."""
    import pyarrow as pa

    arrays = []
    for values in columns.values():
        if isinstance(values, list):
            data = [str(v).encode() for v in values]
            offsets = np.zeros(len(data) + 1, np.int32)
            np.cumsum([len(d) for d in data], out=offsets[1:])
            arrays.append(pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]))
        elif values.dtype == np.bool_:
            bits = np.packbits(values, bitorder="little")
            arrays.append(pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)]))
        else:
            a = np.ascontiguousarray(values)
            arrays.append(pa.Array.from_buffers(pa.from_numpy_dtype(a.dtype), len(a), [None, pa.py_buffer(a)]))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _concat(parts: list[dict]) -> dict:
    out = {}
    for key in parts[0]:
        vals = [p[key] for p in parts]
        out[key] = sum(vals, []) if isinstance(vals[0], list) else np.concatenate(vals)
    return out


def fly_batch(mission, case_indices, cases=None, cg_m=None, *, batch: int = 0, reference=None, ground=None,
              on_progress=None) -> dict:  # fmt: skip
    """Fly one batch and return its columns of cases.parquet; the cases' inputs are drawn here
    (on the worker: each case has its own random streams) unless given. ``reference``: the
    mission's entry-guidance reference, if the caller has it (else the worker builds it once);
    ``ground``: the client's :class:`FlightGround` or the folder it is saved in (else the worker
    builds the terrain). ``on_progress(batch, cases_flown)`` hears of the cases flown as they
    land (default: a Dask event on :data:`PROGRESS_TOPIC`, when on a ``distributed`` worker).

    A case the sequencer cannot fly (an exception, not a failed landing: those are statuses) is
    isolated by flying the batch's cases one by one; it gets status ``error`` and the rest of
    the batch its normal result, the same as inside the batch.
    """
    from edlcam.flight.dispersions import draw_cases
    from edlcam.flight.sequencer import fly

    if cases is None:
        cases, cg_m = draw_cases(mission, case_indices)
    terrain, reference = _context(mission, reference) if ground is None else _context(mission, reference, ground=ground)

    def progress(_t_s, done):
        (on_progress or _report)(batch, done)

    try:
        result = fly(mission, cases=cases, terrain=terrain, reference=reference, progress=progress)
        return _columns(result, cases, cg_m, case_indices)
    except Exception as exc:  # noqa: BLE001 - a broken case must not lose the batch
        if len(case_indices) == 1:
            log.warning("case %d raised %s: %s", int(case_indices[0]), type(exc).__name__, exc)
            return _error_columns(cases, cg_m, case_indices, exc)
    return _concat([
        fly_batch(mission, case_indices[i : i + 1], _slice(cases, slice(i, i + 1)), cg_m[i : i + 1], batch=batch, reference=reference,
                  ground=ground, on_progress=on_progress)
        for i in range(len(case_indices))
    ])  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Summary


def _stats(x) -> dict:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"count": 0}
    out = {"count": int(x.size), "mean": float(x.mean()), "std": float(x.std(ddof=1)) if x.size > 1 else 0.0}
    for p, v in zip(_PERCENTILES, np.percentile(x, _PERCENTILES)):
        out[f"p{p}"] = float(v)
    out["min"], out["max"] = float(x.min()), float(x.max())
    return out


def summarize(cols: dict, mission) -> dict:
    """summary.json: failure counts, percentiles of every event quantity, the ellipses."""
    mc = mission.montecarlo
    status = np.asarray(cols["status"])
    counts = {s: int((status == s).sum()) for s in STATUSES}
    td_e, td_n = cols["touchdown_east_m"], cols["touchdown_north_m"]
    bs_e, bs_n = cols["backshell_separation_east_m"], cols["backshell_separation_north_m"]
    landing = landing_ellipse(td_e, td_n, mc.ellipse_probability)
    delivery = landing_ellipse(bs_e, bs_n, mc.ellipse_probability)
    out = {
        "mission": mission.mission.name,
        "seed": int(mission.mission.seed),
        "cases": int(len(status)),
        "batch_cases": int(mc.batch_cases),
        "status_counts": counts,
        "failures": int(len(status) - counts["landed"]),
        "landing_ellipse": landing.as_dict() if landing else None,
        "delivery_ellipse": delivery.as_dict() if delivery else None,
        "published_ellipse": {
            "source": mc.published_ellipse_source,
            "major_km": mc.published_ellipse_major_km,
            "minor_km": mc.published_ellipse_minor_km,
            "azimuth_deg": mc.published_ellipse_azimuth_deg,
        },
        "touchdown": {
            key: _stats(cols[key])
            for key in ("touchdown_vertical_speed_m_s", "touchdown_horizontal_speed_m_s", "miss_distance_m", "propellant_used_kg")
        },
        "events": {name: {fld: _stats(cols[f"{name}_{fld}"]) for fld in _EVENT_FIELDS} for name in EVENT_NAMES + MINOR_EVENT_NAMES},
    }
    return out


# ----------------------------------------------------------------------------------------------
# The run


@dataclass(frozen=True)
class MonteCarloOutputs:
    out_dir: Path
    cases: Path
    summary: Path
    plots: tuple[Path, ...]
    summary_data: dict
    wall_s: float


def _batches(n: int, size: int, workers: int = 1) -> list[np.ndarray]:
    """Consecutive batches of at most ``size`` cases, smaller where that would leave one of
    ``workers`` workers with fewer than four (to balance them)."""
    size = max(1, min(size, -(-n // (4 * workers))))
    return [np.arange(a, min(a + size, n)) for a in range(0, n, size)]


def _connect(scheduler: str):
    """A Dask client of the ``dask.distributed`` cluster at ``scheduler``."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=_SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise EdlcamError(
            f"--scheduler {scheduler}: no Dask scheduler answered there within {_SCHEDULER_TIMEOUT_S} s "
            f"({type(exc).__name__}); start one (`dask scheduler`, then `dask worker ADDRESS`) and give its "
            "tcp://HOST:PORT, or leave --scheduler out to run on this machine"
        ) from None


def _warm_worker() -> None:
    """Import what a worker flies with (numba and the kernel's modules, the draws): in this
    process while the client gets the plan and the ground, on a remote worker while it waits."""
    import edlcam.flight.dispersions  # noqa: F401
    import edlcam.flight.sequencer  # noqa: F401


def _threads(client) -> int:
    """Threads of all the cluster's workers: the batches that can fly at once."""
    return max(1, sum(int(w.get("nthreads", 1)) for w in client.scheduler_info()["workers"].values()))


def _start_cluster(scheduler: str):
    client = _connect(scheduler)
    try:
        client.run(_warm_worker)
    except Exception:
        client.close()
        raise
    return client


class _Tally:
    """The cases flown so far, told to ``report(done, total)`` from any thread: every case of the
    batches in, and the cases that the batches still flying reported."""

    def __init__(self, total: int, report) -> None:
        self._total, self._report = total, report
        self._lock = threading.Lock()
        self._done = 0
        self._flying: dict[int, int] = {}  # batch → its cases flown so far
        self._in: set[int] = set()

    def flying(self, batch: int, cases: int) -> None:
        with self._lock:
            if batch in self._in:  # a late report of a batch already in
                return
            self._flying[batch] = cases
            self._report(self._done + sum(self._flying.values()), self._total)

    def batch_in(self, batch: int, cases: int) -> None:
        with self._lock:
            self._in.add(batch)
            self._flying.pop(batch, None)
            self._done += cases
            self._report(self._done + sum(self._flying.values()), self._total)


def _fly_on_threads(mission, batches, threads: int, reference, ground, tally: _Tally, take) -> None:
    """Every batch on Dask's threaded scheduler, ``threads`` at a time in this process, with this
    process's kernel, ``reference`` and ``ground``; ``take(batch, columns)`` is called on this
    thread as each batch comes in, while the others fly (the kernel leaves the GIL free).

    Not a ``distributed`` LocalCluster: its import, scheduler and worker loop were ≈ 0.8 s of the
    run's fixed CPU (issue 21) for a graph of independent tasks that needs none of it."""
    import dask
    import dask.threaded
    from dask.callbacks import Callback

    keys = {f"edlcam-batch-{b}": b for b in range(len(batches))}
    tasks = [
        dask.delayed(partial(fly_batch, mission, idx, batch=b, reference=reference, ground=ground, on_progress=tally.flying),
                     pure=False)(dask_key_name=f"edlcam-batch-{b}")
        for b, idx in enumerate(batches)
    ]  # fmt: skip

    def posttask(key, result, _dsk, _state, _worker_id):
        if key in keys:
            take(keys[key], result)

    with Callback(posttask=posttask):
        # The scheduler's function itself: named ("threads"), dask.compute imports distributed
        # to look for a client first (≈ 0.35 s of CPU).
        dask.compute(tasks, scheduler=dask.threaded.get, num_workers=threads, optimize_graph=False)


def _fly_on_cluster(client, mission, batches, reference, tally: _Tally, take) -> None:
    """Every batch on the ``distributed`` cluster of ``client`` (its workers build the terrain
    once each and fly with this ``reference``); ``take(batch, columns)`` as each batch comes in."""
    from distributed import as_completed

    client.subscribe_topic(PROGRESS_TOPIC, lambda event: tally.flying(event[1]["batch"], event[1]["done"]))
    try:
        shared_reference = client.scatter(reference, broadcast=True, hash=False)
        futures = {client.submit(fly_batch, mission, idx, batch=b, reference=shared_reference, pure=False): b for b, idx in enumerate(batches)}
        for fut in as_completed(futures):
            take(futures[fut], fut.result())
    finally:
        client.unsubscribe_topic(PROGRESS_TOPIC)


# The columns the plots read (a subset: a big Monte Carlo's every column is hundreds of MB).
_PLOT_COLUMNS = (
    "status", "touchdown_east_m", "touchdown_north_m", "backshell_separation_east_m", "backshell_separation_north_m",
    "parachute_deploy_mach", "parachute_deploy_dynamic_pressure_pa", "touchdown_vertical_speed_m_s", "propellant_used_kg",
)  # fmt: skip


def run_montecarlo(
    mission,
    out_dir,
    *,
    n: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_cases: int | None = None,
    plots: bool = True,
    progress=None,
) -> MonteCarloOutputs:
    """Fly ``n`` cases (default ``[montecarlo] cases``; case 0 nominal) and write the outputs.

    ``workers`` = 0 flies every batch in this process without Dask; otherwise on Dask's threaded
    scheduler with ``workers`` threads in this process (one per core when None), or on the
    ``dask.distributed`` cluster at ``scheduler``. ``progress(done_cases, total)`` is called as
    batches finish and as workers report the cases flown in the batches they fly.

    The fixed cost comes before the first case and after the last; it is kept short by doing it
    once and side by side: the plots' process starts first and imports matplotlib while a thread
    imports the kernel (or connects to the cluster) and this one reads the guidance reference and
    maps the terrain's kernel tables (both kept between runs); the local workers are threads that
    fly with this process's kernel, reference and ground; the plots are drawn in their process
    while this one writes the cases.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.parquet as pq

    from edlcam.flight.mc_reference import shared_reference

    mc = mission.montecarlo
    n = mc.cases if n is None else int(n)
    if n < 1:
        raise MissionError(f"-n is {n}; a Monte Carlo needs at least 1 case (case 0 is the nominal mission)")
    if workers is not None and workers < 0:
        raise MissionError(f"--workers is {workers}; give 0 (fly in this process) or a positive number of Dask workers")
    size = int(batch_cases or mc.batch_cases)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    in_process = workers == 0 and not scheduler
    starter = None if in_process else ThreadPoolExecutor(max_workers=1, thread_name_prefix="edlcam-start")
    plotter = PlotProcess() if plots else None
    starting = None if starter is None else starter.submit(_start_cluster, scheduler) if scheduler else starter.submit(_warm_worker)
    client = None
    ground_dir: Path | None = None
    ground_is_temporary = False
    parts: dict[int, dict] = {}
    tables: dict[int, object] = {}  # batch → its rows of cases.parquet (a pyarrow Table)
    tally = _Tally(n, progress or (lambda done, total: None))
    batches = _batches(n, size)

    def take(b: int, columns: dict) -> None:
        parts[b] = columns
        tables[b] = _arrow_table(columns)  # while the other batches fly
        tally.batch_in(b, len(batches[b]))

    try:
        # Fail fast on a mission whose nominal plan cannot be flown (reference trajectory errors);
        # the workers get this reference rather than building their own (kept between runs).
        reference = shared_reference(mission)
        if in_process:
            for b, idx in enumerate(batches):
                take(b, fly_batch(mission, idx, batch=b, reference=reference, on_progress=tally.flying))
        elif scheduler:
            client = starting.result()
            batches = _batches(n, size, _threads(client))
            _fly_on_cluster(client, mission, batches, reference, tally, take)
        else:  # threads of this process: the ground is mapped once, here
            ground_dir, ground_is_temporary = shared_ground(mission)
            local_ground = FlightGround.load(ground_dir)
            threads = workers or os.cpu_count() or 1
            batches = _batches(n, size, threads)
            starting.result()
            _fly_on_threads(mission, batches, threads, reference, local_ground, tally, take)
        wall = time.perf_counter() - t0

        cols = _concat([parts[b] for b in range(len(batches))])
        summary = summarize(cols, mission)
        if plots:
            plot_cols = {k: cols[k] for k in _PLOT_COLUMNS}
            plotter.draw(plot_cols, summary, mission, out / "landing.png", out / "histograms.png")
        cases_path = out / "cases.parquet"
        # One chunk, as one table of all the cases: the file's bytes do not depend on the batches.
        pq.write_table(pa.concat_tables([tables[b] for b in range(len(batches))]).combine_chunks(), cases_path)
        summary_path = out / "summary.json"
        summary_path.write_text(json.dumps(_finite(summary), indent=2) + "\n")
        plot_paths = plotter.result() if plotter is not None else ()
    finally:
        if plotter is not None:
            plotter.close()
        if starting is not None:
            if scheduler and client is None and starting.exception() is None:
                client = starting.result()
            starter.shutdown(wait=False)
        if client is not None:
            client.close()
        if ground_dir is not None and ground_is_temporary:
            shutil.rmtree(ground_dir, ignore_errors=True)
    return MonteCarloOutputs(out, cases_path, summary_path, plot_paths, summary, wall)


def _finite(x):
    # JSON has no NaN: an undefined statistic is written as null.
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
