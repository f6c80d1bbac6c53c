"""Monte Carlo throughput: edlcam's entry-to-touchdown landings against AMAT's entries.

Run: ``.venv/bin/python benchmarks/montecarlo.py [--cases 300000] [--amat-cases 50] [--batch 2000]``

1. AMAT (PyPI ``AMAT``, Saikia et al., Purdue), installed by this script into its own venv
   ``benchmarks/.venv-amat`` because it pins an old numpy. It flies ``--amat-cases`` dispersed
   constant-bank entries (from EI until AMAT's own termination, ≈ 10 km altitude here; scipy
   ``odeint``, tolerance 1e-6 as in AMAT's examples) through edlcam's own Mars atmosphere, written
   as the table AMAT loads (height, temperature, pressure, density). Its rate counts each case's
   whole loop (setting up the dispersed atmosphere and vehicle, then flying).
2. edlcam in this process on one core (``--batch`` dispersed landings of the shipped mission:
   guided entry, parachute, powered descent, sky crane): the steady rate of the flight kernel,
   compiled and with the terrain built beforehand, and its cost per integration step.
3. edlcam as a Dask Monte Carlo of ``--cases`` landings (``run_montecarlo``), once on 1 worker
   and once on 2 (threads of this process on Dask's threaded scheduler, the kernel without the
   GIL): whole-run rates, the set-up (ground and reference from the cache, the kernel from its
   cache) included; and the rate from the first report on. The default 300,000 cases (≈ 1.2 min
   on 1 worker) keep the set-up a few per cent of a run, as in a Monte Carlo big enough to need
   more than one worker.

4. The time to answer: the whole command ``edlcam montecarlo -n N --workers 2`` (a fresh process:
   imports, the ground, the kernel, the plots and their process) timed for several N
   (``--startup-ns``, each ``--startup-repeats`` times, the fastest kept); a straight line fitted
   to wall time against N gives the fixed start-up (its intercept; goal ≤ 3 s) and the throughput
   (1 / its slope). The same fit through the CPU time of the command and every process it
   started (user + sys, waited for) gives the fixed cost in CPU: the figure a busy machine does
   not inflate. ``--only-startup`` runs this part alone.

Prints trajectories/s for each, the per-core ratios edlcam / AMAT (goal ≥ 100× even though edlcam
flies the whole landing and AMAT only the entry), the speed-up from 1 to 2 workers (goal ≥ 1.7×),
the fixed start-up and whether the CPU has AVX-512 (the kernel's lanes use it where it is there).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
AMAT_VENV = HERE / ".venv-amat"
AMAT_VERSION = "2.3.0"  # newest AMAT for Python 3.11 (2.4 needs ≥ 3.12); pins numpy 1.26

_AMAT_SCRIPT = r"""
import json, sys, time
import numpy as np
from AMAT.planet import Planet
from AMAT.vehicle import Vehicle

table, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = json.loads(sys.argv[4])
rng = np.random.default_rng(seed)
planet = Planet("MARS")
planet.loadAtmosphereModel(table, 0, 1, 2, 3)
planet.h_skip = cfg["entry_altitude_m"] + 1000.0
planet.h_low = 0.0
base_density = planet.ATM_density.copy()
from scipy.interpolate import interp1d
times, final_h = [], []
t0 = time.perf_counter()
for i in range(n):
    scale = rng.uniform(0.8, 2.6)
    planet.density_int = interp1d(planet.ATM_height, base_density * scale, kind="cubic", fill_value=0.0, bounds_error=False)
    mass = cfg["mass_kg"] + rng.normal(0.0, 5.0)
    lod = cfg["lod"] * rng.normal(1.0, 0.03)
    cd = cfg["cd"] * rng.normal(1.0, 0.02)
    beta = mass / (cd * cfg["area_m2"])
    v = Vehicle("M2020", mass, beta, lod, cfg["area_m2"], 0.0, cfg["nose_radius_m"], planet)
    v.setInitialState(cfg["entry_altitude_m"] / 1e3, cfg["lon_deg"], cfg["lat_deg"], cfg["speed_m_s"] / 1e3 + rng.normal(0, 0.0005),
                      cfg["heading_deg"], cfg["fpa_deg"] + rng.normal(0.0, 0.067), 0.0, 0.0)
    v.setSolverParams(1e-6)
    s = time.perf_counter()
    v.propogateEntry(1000.0, 0.1, cfg["bank_deg"])
    times.append(time.perf_counter() - s)
    final_h.append(float(v.h_kmc[-1]))
wall = time.perf_counter() - t0
print(json.dumps({"cases": n, "wall_s": wall, "per_case_s": float(np.mean(times)), "final_altitude_km_median": float(np.median(final_h))}))
"""


def ensure_amat() -> tuple[Path | None, str]:
    """Python of the AMAT venv (created and installed if missing), or None and why not."""
    py = AMAT_VENV / "bin" / "python"
    if py.exists():
        ok = subprocess.run([str(py), "-c", "import AMAT.vehicle"], capture_output=True, text=True)
        if ok.returncode == 0:
            return py, "present"
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(AMAT_VENV)], check=True, capture_output=True, text=True)
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", f"AMAT=={AMAT_VERSION}"], capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, f"cannot create {AMAT_VENV}: {exc}"
    if r.returncode != 0:
        return None, f"pip install AMAT=={AMAT_VERSION} failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}"
    ok = subprocess.run([str(py), "-c", "import AMAT.vehicle"], capture_output=True, text=True)
    if ok.returncode != 0:
        return None, f"AMAT installed but does not import: {ok.stderr.strip().splitlines()[-1]}"
    return py, "installed"


def atmosphere_table(mission, path: Path) -> None:
    """edlcam's Mars atmosphere as AMAT's table: height [m], T [K], p [Pa], rho [kg/m³]."""
    from edlcam.mars.atmosphere import Atmosphere

    atm = Atmosphere.from_mission(mission)
    h = np.arange(0.0, 200_001.0, 250.0)
    st = atm.state(h)
    np.savetxt(path, np.column_stack([h, st.temperature_k, st.pressure_pa, st.density_kg_m3]), fmt="%.9e")


def run_amat(py: Path, mission, n: int, seed: int) -> dict:
    from edlcam.flight.vehicle import Vehicle

    veh = Vehicle.from_mission(mission)
    e = mission.entry
    cfg = {
        "entry_altitude_m": e.altitude_m, "lat_deg": e.latitude_deg, "lon_deg": e.longitude_deg, "speed_m_s": e.speed_m_s,
        "fpa_deg": e.flight_path_angle_deg, "heading_deg": e.heading_deg, "mass_kg": veh.entry_mass_kg,
        "area_m2": veh.reference_area_m2, "cd": float(veh.aero_cd[-1]), "lod": float(veh.aero_lod[-1]),
        "nose_radius_m": veh.nose_radius_m, "bank_deg": mission.guidance.reference_bank_deg,
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "mars_edlcam.txt"
        atmosphere_table(mission, table)
        script = Path(tmp) / "amat_mc.py"
        script.write_text(_AMAT_SCRIPT)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
        r = subprocess.run([str(py), str(script), str(table), str(n), str(seed), json.dumps(cfg)], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"AMAT run failed: {r.stderr.strip()[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_edlcam(mission, n: int, workers: int, out: Path) -> dict:
    from edlcam.flight.montecarlo import run_montecarlo

    load_before = os.getloadavg()[0]
    seen: list[tuple[float, int]] = []  # (time, cases done) at the first and the latest progress report

    def progress(done, _total):
        now = (time.perf_counter(), done)
        if seen:
            seen[1:] = [now]
        else:
            seen.append(now)

    t0 = time.perf_counter()
    o = run_montecarlo(mission, out, n=n, workers=workers, plots=False, progress=progress)
    total = time.perf_counter() - t0
    (t_first, done_first), (t_last, done_last) = seen[0], seen[-1]
    # The machine is shared: the 1-minute load average says how many cores others were using.
    return {"cases": n, "workers": workers, "fly_wall_s": o.wall_s, "total_s": total, "status_counts": o.summary_data["status_counts"],
            "first_report_s": t_first - t0, "steady_per_s": (done_last - done_first) / max(t_last - t_first, 1e-9),
            "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
            "cases_sha256": __import__("hashlib").sha256(o.cases.read_bytes()).hexdigest()}  # fmt: skip


def profile_fly(mission, n: int) -> dict:
    """Landings per second of fly() in this process (one core, no Dask), the kernel compiled and
    the terrain built beforehand: the steady rate a worker reaches."""
    from edlcam.flight.dispersions import draw_cases
    from edlcam.flight.guidance import build_reference
    from edlcam.flight.sequencer import fly
    from edlcam.mars.terrain import Terrain

    terrain, ref = Terrain.from_mission(mission), build_reference(mission)
    cases, _ = draw_cases(mission, np.arange(n))
    fly(mission, cases=draw_cases(mission, [0])[0], terrain=terrain, reference=ref)  # compile or load the kernel
    t0 = time.perf_counter()
    res = fly(mission, cases=cases, terrain=terrain, reference=ref)
    wall = time.perf_counter() - t0
    steps = float(res.steps.sum())
    return {
        "cases": n,
        "wall_s": wall,
        "landings_per_s": n / wall,
        "steps_per_landing": steps / n,
        "ns_per_step": wall / steps * 1e9,
        "landed": int(np.sum(res.status == "landed")),
    }


def command_times(ns: list[int], workers: int, repeats: int) -> dict:
    """Wall time of the whole ``edlcam montecarlo`` command for each N (fastest of ``repeats``),
    and the line fitted through them: intercept = fixed start-up, 1 / slope = throughput."""
    import resource

    walls, cpus = {}, {}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        for n in ns:
            best, best_cpu = math.inf, math.inf
            for r in range(repeats):
                cmd = [sys.executable, "-m", "edlcam.cli", "montecarlo", "-n", str(n), "--workers", str(workers), "--out", f"{tmp}/n{n}r{r}"]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                wall = time.perf_counter() - t0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                # CPU of the command and every process it started (the plots'), waited for.
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                best, best_cpu = min(best, wall), min(best_cpu, cpu)
                loads.append(os.getloadavg()[0])
            walls[n], cpus[n] = best, best_cpu
    x = np.array(ns, float)
    slope, intercept = np.polyfit(x, np.array([walls[n] for n in ns]), 1)
    cpu_slope, cpu_intercept = np.polyfit(x, np.array([cpus[n] for n in ns]), 1)
    return {"walls_s": walls, "cpu_s": cpus, "intercept_s": float(intercept), "per_s": float(1.0 / slope) if slope > 0 else math.inf,
            "cpu_intercept_s": float(cpu_intercept), "cpu_per_landing_us": float(cpu_slope * 1e6),
            "load_average_min": min(loads), "load_average_max": max(loads)}  # fmt: skip


def avx512() -> int:
    """Lines of /proc/cpuinfo naming an AVX-512 flag (0: none, as ``grep -c avx512``)."""
    try:
        return sum("avx512" in line for line in Path("/proc/cpuinfo").read_text().splitlines())
    except OSError:
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=300000, help="cases of each Dask Monte Carlo (≥ 2000)")
    ap.add_argument("--amat-cases", type=int, default=50)
    ap.add_argument("--batch", type=int, default=2000, help="cases of the in-process (one core, no Dask) run")
    ap.add_argument("--skip-amat", action="store_true")
    ap.add_argument("--startup-ns", default="200,2000,8000", help="N of the whole-command runs (comma-separated)")
    ap.add_argument("--startup-repeats", type=int, default=2)
    ap.add_argument("--only-startup", action="store_true", help="run only the whole-command timing (part 4)")
    ap.add_argument("--skip-startup", action="store_true", help="run parts 1-3 only")
    args = ap.parse_args()

    from edlcam.mission import load_mission

    mission = load_mission()
    results: dict = {"cores": os.cpu_count(), "avx512_lines": avx512()}
    print(f"machine: {os.cpu_count()} cores, `grep -c avx512 /proc/cpuinfo`: {results['avx512_lines']}")

    ns = [] if args.skip_startup else [int(x) for x in args.startup_ns.split(",")]
    c = command_times(ns, 2, args.startup_repeats) if ns else {}
    results["command"] = c
    if c:
        print(f"edlcam montecarlo -n N --workers 2, whole command (fastest of {args.startup_repeats}): "
              + ", ".join(f"N={n}: {w:.2f} s" for n, w in c["walls_s"].items())
              + f"; fitted: fixed start-up {c['intercept_s']:.2f} s (goal ≤ 3 s), {c['per_s']:.0f} landings/s on 2 workers; "
              f"CPU of all its processes: fixed {c['cpu_intercept_s']:.2f} s, {c['cpu_per_landing_us']:.0f} µs a landing; "
              f"load average {c['load_average_min']:.1f}–{c['load_average_max']:.1f} on {os.cpu_count()} cores")  # fmt: skip
    if args.only_startup:
        print(json.dumps(results, indent=2, default=str))
        return

    if not args.skip_amat:
        py, how = ensure_amat()
        if py is None:
            results["amat"] = {"error": how}
            print(f"AMAT: not run: {how}")
        else:
            a = run_amat(py, mission, args.amat_cases, seed=int(mission.mission.seed))
            a["trajectories_per_s"] = a["cases"] / a["wall_s"]
            results["amat"] = a
            print(f"AMAT {AMAT_VERSION} ({how}): {a['cases']} dispersed entries in {a['wall_s']:.1f} s on 1 core: "
                  f"{a['trajectories_per_s']:.2f} trajectories/s ({a['per_case_s'] * 1e3:.0f} ms each)")  # fmt: skip

    p = profile_fly(mission, args.batch)
    results["in_process"] = p
    print(f"edlcam in this process (1 core, no Dask): {p['cases']} entry-to-touchdown landings in {p['wall_s']:.2f} s: "
          f"{p['landings_per_s']:.0f} landings/s ({p['steps_per_landing']:.0f} steps each, {p['ns_per_step']:.0f} ns per step)")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        for w in (1, 2):
            r = run_edlcam(mission, args.cases, w, Path(tmp) / f"w{w}")
            r["trajectories_per_s"] = args.cases / r["fly_wall_s"]
            results[f"edlcam_{w}w"] = r
            print(f"edlcam Monte Carlo: {args.cases} landings on {w} Dask worker(s): {r['fly_wall_s']:.1f} s with the set-up "
                  f"(+ {r['total_s'] - r['fly_wall_s']:.1f} s writing), {r['trajectories_per_s']:.0f} trajectories/s; first cases in at "
                  f"{r['first_report_s']:.1f} s, {r['steady_per_s']:.0f}/s from there on; "
                  f"load average {r['load_average_before']:.1f} → {r['load_average_after']:.1f} on {os.cpu_count()} cores; {r['status_counts']}")  # fmt: skip
    one, two = results["edlcam_1w"], results["edlcam_2w"]
    speedup = two["trajectories_per_s"] / one["trajectories_per_s"]
    results["speedup_1_to_2_workers"] = speedup
    results["speedup_1_to_2_workers_steady"] = two["steady_per_s"] / one["steady_per_s"]
    results["same_cases_1_and_2_workers"] = one["cases_sha256"] == two["cases_sha256"]
    print(f"speed-up 1 → 2 workers: {speedup:.2f}× whole runs (goal ≥ 1.7×), {results['speedup_1_to_2_workers_steady']:.2f}× once the "
          f"workers are set up; cases.parquet identical: {results['same_cases_1_and_2_workers']}")
    if "trajectories_per_s" in results.get("amat", {}):
        amat = results["amat"]["trajectories_per_s"]
        results["ratio_per_core_in_process"] = p["landings_per_s"] / amat
        results["ratio_per_core_dask_1_worker"] = one["trajectories_per_s"] / amat
        print(f"per core, edlcam / AMAT: {p['landings_per_s'] / amat:.1f}× in process, {one['trajectories_per_s'] / amat:.1f}× as a "
              "1-worker Dask Monte Carlo (goal ≥ 100×; edlcam flies EI → touchdown, guided, AMAT EI → ≈ 10 km, constant bank)")  # fmt: skip
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
