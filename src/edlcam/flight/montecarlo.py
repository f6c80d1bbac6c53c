"""Monte Carlo of dispersed landings: batches of trajectories, spread over Dask.

The cases are cut into batches of at most ``[montecarlo] batch_cases`` consecutive cases (fewer
where a worker would get fewer than four batches); each batch is
one task that draws its cases' inputs from the mission seed (:mod:`edlcam.flight.dispersions`,
case 0 = the nominal mission; every case has its own random streams, so a case's inputs do not
depend on its batch) and flies them in the compiled flight kernel
(:func:`edlcam.flight.sequencer.fly`), on a ``dask.distributed`` LocalCluster of this machine by
default or on an existing cluster. A trajectory never sees another (checked: a case flies the
same alone, in a batch and in any order), so the output is the same for any number of workers.

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
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from edlcam.errors import EdlcamError, MissionError
from edlcam.flight.dispersions import draw_cases
from edlcam.flight.events import EVENT_NAMES, MINOR_EVENT_NAMES
from edlcam.flight.kernel import EVENT_FIELDS
from edlcam.flight.sequencer import CaseInputs

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

STATUSES = ("landed", "hard_landing", "fuel_out", "deploy_out_of_box", "skip_out", "crash", "timeout", "error")
PROGRESS_TOPIC = "edlcam-montecarlo"  # Dask event topic on which workers report the cases flown
_EVENT_FIELDS = EVENT_FIELDS  # the fields of every event (cases.parquet columns <event>_<field>)
_PERCENTILES = (1, 5, 50, 95, 99)
_SCHEDULER_TIMEOUT_S = 10


# ----------------------------------------------------------------------------------------------
# Landing ellipse (pure functions)


@dataclass(frozen=True)
class LandingEllipse:
    """An ellipse in the target's ENU plane: centre [m], semi-axes [m], major-axis azimuth
    [deg clockwise from north, 0..180)."""

    probability: float
    center_east_m: float
    center_north_m: float
    semi_major_m: float
    semi_minor_m: float
    azimuth_deg: float
    cases: int

    def outline_m(self, points: int = 181) -> tuple[np.ndarray, np.ndarray]:
        """East and north [m] of ``points`` points around the ellipse."""
        th = np.linspace(0.0, 2.0 * np.pi, points)
        az = math.radians(self.azimuth_deg)
        major = np.array([math.sin(az), math.cos(az)])
        minor = np.array([math.cos(az), -math.sin(az)])
        xy = np.outer(self.semi_major_m * np.cos(th), major) + np.outer(self.semi_minor_m * np.sin(th), minor)
        return self.center_east_m + xy[:, 0], self.center_north_m + xy[:, 1]

    def as_dict(self) -> dict:
        return {
            "probability": self.probability,
            "cases": self.cases,
            "center_east_km": round(self.center_east_m / 1e3, 6),
            "center_north_km": round(self.center_north_m / 1e3, 6),
            "semi_major_km": round(self.semi_major_m / 1e3, 6),
            "semi_minor_km": round(self.semi_minor_m / 1e3, 6),
            "major_km": round(2.0 * self.semi_major_m / 1e3, 6),
            "minor_km": round(2.0 * self.semi_minor_m / 1e3, 6),
            "azimuth_deg": round(self.azimuth_deg, 6),
        }


def ellipse_from_covariance(cov_m2, probability: float, *, center_m=(0.0, 0.0), cases: int = 0) -> LandingEllipse:
    """The ``probability`` ellipse of a bivariate normal of covariance ``cov_m2`` (east, north).

    >>> e = ellipse_from_covariance([[4.0, 0.0], [0.0, 1.0]], 0.99)
    >>> round(e.semi_major_m, 4), round(e.semi_minor_m, 4), e.azimuth_deg
    (6.0697, 3.0349, 90.0)
    """
    cov = np.asarray(cov_m2, float)
    k = -2.0 * math.log1p(-probability)  # chi-square quantile, 2 degrees of freedom
    w, v = np.linalg.eigh(cov)
    major = v[:, 1]
    azimuth = math.degrees(math.atan2(major[0], major[1])) % 180.0
    return LandingEllipse(
        probability=float(probability),
        center_east_m=float(center_m[0]),
        center_north_m=float(center_m[1]),
        semi_major_m=math.sqrt(max(w[1], 0.0) * k),
        semi_minor_m=math.sqrt(max(w[0], 0.0) * k),
        azimuth_deg=round(azimuth, 9) % 180.0,
        cases=int(cases),
    )


def landing_ellipse(east_m, north_m, probability: float) -> LandingEllipse | None:
    """Ellipse of the points (east, north) [m]: sample mean and covariance; None below 3 points."""
    e = np.asarray(east_m, float)
    n = np.asarray(north_m, float)
    ok = np.isfinite(e) & np.isfinite(n)
    if ok.sum() < 3:
        return None
    pts = np.stack([e[ok], n[ok]])
    return ellipse_from_covariance(np.cov(pts, ddof=1), probability, center_m=pts.mean(axis=1), cases=int(ok.sum()))


# ----------------------------------------------------------------------------------------------
# One batch (runs on a worker)

_CONTEXT: dict[str, tuple] = {}  # per process: mission digest → (terrain, reference trajectory)


def _mission_digest(mission) -> str:
    return hashlib.sha256(mission.model_dump_json().encode()).hexdigest()


def _context(mission, reference=None):
    """Terrain and entry-guidance reference of ``mission``, built once per worker process (they
    are the same for every case: dispersions change the flight, not the map or the plan). The
    client's ``reference``, when given, is used rather than built again."""
    key = _mission_digest(mission)
    if key not in _CONTEXT:
        from edlcam.flight.guidance import build_reference
        from edlcam.mars.terrain import Terrain

        _CONTEXT.clear()
        _CONTEXT[key] = (Terrain.from_mission(mission), reference if reference is not None else build_reference(mission))
    return _CONTEXT[key]


def _report(batch: int, done: int) -> None:
    try:
        from distributed import get_worker

        get_worker().log_event(PROGRESS_TOPIC, {"batch": batch, "done": done})
    except (ImportError, ValueError):  # not on a Dask worker: nobody listens
        pass


def _slice(cases: CaseInputs, sel) -> CaseInputs:
    return CaseInputs(**{f.name: np.asarray(getattr(cases, f.name))[sel] for f in fields(CaseInputs)})


def _input_columns(cases: CaseInputs, cg_m, case_indices) -> dict:
    """The case numbers and every input drawn: the first columns of a batch's rows."""
    cols: dict[str, object] = {"case": np.asarray(case_indices, dtype=np.int64)}
    for f in fields(CaseInputs):
        cols[f"input_{f.name}"] = np.asarray(getattr(cases, f.name), float)
    cols["input_cg_radial_offset_m"] = np.asarray(cg_m, float)
    return cols


def _columns(result, cases: CaseInputs, cg_m, case_indices) -> dict:
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


def _error_columns(cases: CaseInputs, cg_m, case_indices, exc: Exception) -> dict:
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


def _concat(parts: list[dict]) -> dict:
    out = {}
    for key in parts[0]:
        vals = [p[key] for p in parts]
        out[key] = sum(vals, []) if isinstance(vals[0], list) else np.concatenate(vals)
    return out


def fly_batch(mission, case_indices, cases: CaseInputs | None = None, cg_m=None, *, batch: int = 0, reference=None) -> dict:
    """Fly one batch and return its columns of cases.parquet; the cases' inputs are drawn here
    (on the worker: each case has its own random streams) unless given. ``reference``: the
    mission's entry-guidance reference, if the caller has it (else the worker builds it once).

    A case the sequencer cannot fly (an exception, not a failed landing: those are statuses) is
    isolated by flying the batch's cases one by one; it gets status ``error`` and the rest of
    the batch its normal result, the same as inside the batch.
    """
    from edlcam.flight.sequencer import fly

    if cases is None:
        cases, cg_m = draw_cases(mission, case_indices)
    terrain, reference = _context(mission, reference)

    def progress(_t_s, done):
        _report(batch, done)

    try:
        result = fly(mission, cases=cases, terrain=terrain, reference=reference, progress=progress)
        return _columns(result, cases, cg_m, case_indices)
    except Exception as exc:  # noqa: BLE001 - a broken case must not lose the batch
        if len(case_indices) == 1:
            log.warning("case %d raised %s: %s", int(case_indices[0]), type(exc).__name__, exc)
            return _error_columns(cases, cg_m, case_indices, exc)
    return _concat([
        fly_batch(mission, case_indices[i : i + 1], _slice(cases, slice(i, i + 1)), cg_m[i : i + 1], batch=batch, reference=reference)
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
            "source": "NASA Photojournal PIA24350",
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


def _connect(scheduler: str | None, workers: int | None):
    """A Dask client: to ``scheduler`` if given, else to a new LocalCluster of ``workers``
    single-threaded processes (one per core when None)."""
    import os

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=_SCHEDULER_TIMEOUT_S), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise EdlcamError(
                f"--scheduler {scheduler}: no Dask scheduler answered there within {_SCHEDULER_TIMEOUT_S} s "
                f"({type(exc).__name__}); start one (`dask scheduler`, then `dask worker ADDRESS`) and give its "
                "tcp://HOST:PORT, or leave --scheduler out to run on this machine"
            ) from None
    n = workers or os.cpu_count() or 1
    # Processes with one thread each: the flight kernel holds the GIL.
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


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

    ``workers`` = 0 flies every batch in this process (no Dask); otherwise a LocalCluster of
    ``workers`` processes, or the cluster at ``scheduler``. ``progress(done_cases, total)`` is
    called as batches finish and as workers report the cases flown in the batches they fly.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from edlcam.flight.guidance import build_reference

    mc = mission.montecarlo
    n = mc.cases if n is None else int(n)
    if n < 1:
        raise MissionError(f"-n is {n}; a Monte Carlo needs at least 1 case (case 0 is the nominal mission)")
    if workers is not None and workers < 0:
        raise MissionError(f"--workers is {workers}; give 0 (fly in this process) or a positive number of Dask workers")
    size = int(batch_cases or mc.batch_cases)
    # Fail fast on a mission whose nominal plan cannot be flown (reference trajectory errors);
    # the workers get this reference rather than building their own.
    reference = build_reference(mission)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    batches = _batches(n, size)
    parts: dict[int, dict] = {}
    done = 0
    report = progress or (lambda done, total: None)
    if workers == 0 and not scheduler:
        for b, idx in enumerate(batches):
            parts[b] = fly_batch(mission, idx, batch=b, reference=reference)
            done += len(idx)
            report(done, n)
    else:
        from distributed import as_completed

        client, cluster = _connect(scheduler, workers)
        batches = _batches(n, size, max(1, len(client.scheduler_info()["workers"])))
        flying: dict[int, int] = {}  # batch → its cases flown so far

        def on_event(event):
            _, msg = event
            if msg["batch"] in parts:  # a late report of a batch already in
                return
            flying[msg["batch"]] = msg["done"]
            report(done + sum(flying.values()), n)

        try:
            client.subscribe_topic(PROGRESS_TOPIC, on_event)
            shared_reference = client.scatter(reference, broadcast=True)
            futures = {
                client.submit(fly_batch, mission, idx, batch=b, reference=shared_reference, pure=False): b
                for b, idx in enumerate(batches)
            }
            for fut in as_completed(futures):
                b = futures[fut]
                parts[b] = fut.result()
                flying.pop(b, None)
                done += len(batches[b])
                report(done + sum(flying.values()), n)
        finally:
            client.unsubscribe_topic(PROGRESS_TOPIC)
            client.close()
            if cluster is not None:
                cluster.close()
    wall = time.perf_counter() - t0

    cols = _concat([parts[b] for b in range(len(batches))])
    cases_path = out / "cases.parquet"
    pq.write_table(pa.table(cols), cases_path)
    summary = summarize(cols, mission)
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(_finite(summary), indent=2) + "\n")
    plot_paths: tuple[Path, ...] = ()
    if plots:
        plot_paths = (plot_landing(cols, summary, mission, out / "landing.png"), plot_histograms(cols, mission, out / "histograms.png"))
    return MonteCarloOutputs(out, cases_path, summary_path, plot_paths, summary, wall)


def _finite(x):
    # JSON has no NaN: an undefined statistic is written as null.
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


# ----------------------------------------------------------------------------------------------
# Plots (matplotlib's object API: no global pyplot state in library code)


_STATUS_COLOURS = {
    "landed": "#2b6cb0",
    "hard_landing": "#c53030",
    "fuel_out": "#dd6b20",
    "deploy_out_of_box": "#805ad5",
    "skip_out": "#718096",
    "crash": "#000000",
    "timeout": "#975a16",
    "error": "#e53e3e",
}


def plot_landing(cols: dict, summary: dict, mission, path) -> Path:
    """Landing points and their ellipse over the target, the parachute-delivery points
    (backshell separation) and their ellipse, and the published 7.7 × 6.6 km ellipse."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    mc = mission.montecarlo
    fig = Figure(figsize=(13, 6.5), layout="constrained")
    FigureCanvasAgg(fig)
    status = np.asarray(cols["status"])
    published = LandingEllipse(
        mc.ellipse_probability, 0.0, 0.0, mc.published_ellipse_major_km * 500.0, mc.published_ellipse_minor_km * 500.0,
        mc.published_ellipse_azimuth_deg % 180.0, 0,
    )  # fmt: skip
    pct = f"{100 * mc.ellipse_probability:g} %"
    for ax, prefix, key, title in (
        (fig.add_subplot(1, 2, 1), "backshell_separation", "delivery_ellipse", "where the parachute delivered the lander (backshell separation)"),
        (fig.add_subplot(1, 2, 2), "touchdown", "landing_ellipse", "touchdown points (after the powered-descent divert)"),
    ):
        e = np.asarray(cols[f"{prefix}_east_m"]) / 1e3
        n = np.asarray(cols[f"{prefix}_north_m"]) / 1e3
        for s in STATUSES:
            sel = (status == s) & np.isfinite(e)
            if sel.any():
                ax.scatter(e[sel], n[sel], s=5, color=_STATUS_COLOURS[s], alpha=0.6, lw=0, label=f"{s} ({int(sel.sum())})")
        pe, pn = published.outline_m()
        ax.plot(pe / 1e3, pn / 1e3, color="#2f855a", lw=2, ls="--", label=f"published {mc.published_ellipse_major_km:g} × {mc.published_ellipse_minor_km:g} km (PIA24350)")
        ell = summary.get(key)
        if ell:
            fit = LandingEllipse(
                ell["probability"], ell["center_east_km"] * 1e3, ell["center_north_km"] * 1e3, ell["semi_major_km"] * 1e3,
                ell["semi_minor_km"] * 1e3, ell["azimuth_deg"], ell["cases"],
            )  # fmt: skip
            fe, fn = fit.outline_m()
            ax.plot(fe / 1e3, fn / 1e3, color="#c05621", lw=2, label=f"{pct} ellipse {ell['major_km']:.2f} × {ell['minor_km']:.2f} km")
        ax.plot([0], [0], marker="+", color="k", ms=14, mew=2, label="target")
        if prefix == "touchdown" and ell:
            # The powered descent flies to the target, so the touchdown scatter is metres wide:
            # an inset in metres shows it against its own ellipse.
            ins = ax.inset_axes([0.6, 0.04, 0.38, 0.38])
            for s in STATUSES:
                sel = (status == s) & np.isfinite(e)
                if sel.any():
                    ins.scatter(e[sel] * 1e3, n[sel] * 1e3, s=4, color=_STATUS_COLOURS[s], alpha=0.6, lw=0)
            ins.plot(fe, fn, color="#c05621", lw=1.5)
            ins.plot([0], [0], marker="+", color="k", ms=10, mew=1.5)
            ins.set_aspect("equal", adjustable="datalim")
            ins.tick_params(labelsize=7)
            ins.set_title("zoom [m]", fontsize=8)
            ins.grid(alpha=0.3)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("east of target [km]")
        ax.set_ylabel("north of target [km]")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{mission.mission.name}: {len(status)} dispersed landings, seed {mission.mission.seed}")
    fig.savefig(path, dpi=110)
    return Path(path)


def plot_histograms(cols: dict, mission, path) -> Path:
    """Histograms of deploy Mach, deploy dynamic pressure, touchdown speed and propellant used,
    with the deploy box and the touchdown limits marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pc = mission.parachute
    fig = Figure(figsize=(11, 8), layout="constrained")
    FigureCanvasAgg(fig)
    panels = (
        ("parachute_deploy_mach", 1.0, "Mach at parachute deploy", (pc.deploy_mach_min, pc.deploy_mach_max)),
        ("parachute_deploy_dynamic_pressure_pa", 1.0, "dynamic pressure at parachute deploy [Pa]",
         (pc.deploy_dynamic_pressure_min_pa, pc.deploy_dynamic_pressure_max_pa)),
        ("touchdown_vertical_speed_m_s", 1.0, "vertical touchdown speed [m/s]", (mission.powered_descent.skycrane_speed_m_s, 2.0)),
        ("propellant_used_kg", 1.0, "propellant used [kg]", (mission.vehicle.propellant_mass_kg,)),
    )  # fmt: skip
    for i, (key, scale, label, marks) in enumerate(panels):
        ax = fig.add_subplot(2, 2, i + 1)
        x = np.asarray(cols[key], float) * scale
        x = x[np.isfinite(x)]
        if x.size:
            ax.hist(x, bins=min(60, max(10, x.size // 20)), color="#b3441e", alpha=0.85)
            if key == "touchdown_vertical_speed_m_s":
                ax.set_yscale("log")  # the hard landings are a thin tail beside the 0.75 m/s peak
        for m in marks:
            ax.axvline(m, color="#2f855a", ls="--", lw=1.5)
        ax.set_xlabel(label)
        ax.set_ylabel("cases")
        ax.grid(alpha=0.3)
        if x.size:
            p1, p50, p99 = np.percentile(x, [1, 50, 99])
            ax.set_title(f"median {p50:.3g}, 1–99 %: {p1:.3g} … {p99:.3g}", fontsize=9)
    fig.suptitle(f"{mission.mission.name}: {len(cols['status'])} dispersed landings (dashed: limits)")
    fig.savefig(path, dpi=100)
    return Path(path)
