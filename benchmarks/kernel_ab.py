"""The flight kernel against another checkout of it, in one run: the same trajectories bit for bit,
the Monte Carlo's landings per second and the kernel's cold compile, old and new side by side.

Run: ``.venv/bin/python benchmarks/kernel_ab.py --base PATH [--cases 2000] [--rounds 6] [--compile-rounds 2]``

``--base`` is another checkout of edlcam (``git worktree add /tmp/kernel-base main``); this tree
is "new". Every measurement runs in a fresh interpreter of this venv's Python with ``PYTHONPATH``
set to the checkout's ``src``, and the two alternate (base, new, new, base, …) so that the shared
machine's load falls on both alike; the ratios new / base are per pair, and CPU seconds (the
process's own, ``time.process_time``) stand beside wall seconds.

1. Cold compile (``--compile-rounds`` pairs): ``NUMBA_CACHE_DIR`` set to an empty folder; the
   first ``fly(record=True)`` (``edlcam simulate``'s entry point: the whole kernel compiles), then
   the first ``fly()`` of a batch (the Monte Carlo's entry point, the rest already compiled in the
   process). The terrain and the entry guidance's reference are built beforehand, untimed.
2. Throughput (``--rounds`` pairs): ``fly()`` on ``--cases`` dispersed landings in one process,
   the kernel loaded from the cache the compile runs left, the terrain and reference built
   beforehand: the in-process rate of benchmarks/montecarlo.py.
3. Identity: in every throughput run, SHA-256 of the nominal landing recorded (every column of
   every step, every event) and of the ``--cases`` landings' events, statuses and summaries.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEW = HERE.parent


def _digest(arrays) -> str:
    import hashlib

    import numpy as np

    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a))
        h.update(str(a.dtype).encode() + str(a.shape).encode() + (a.tobytes() if a.dtype != object else repr(a.tolist()).encode()))
    return h.hexdigest()


def _result_arrays(res):
    """Every output of a FlightResult, in a fixed order."""
    out = [res.status, res.touchdown_vertical_speed_m_s, res.touchdown_horizontal_speed_m_s, res.miss_distance_m,
           res.propellant_used_kg, res.deploy_in_box, res.steps]  # fmt: skip
    for name in sorted(res.events):
        out += [res.events[name][f] for f in sorted(res.events[name])]
    for name in sorted(res.record or {}):
        out.append(res.record[name])
    return out


def child(mode: str, cases: int) -> dict:
    """One measurement in this process (run with PYTHONPATH at the checkout under test)."""
    import numpy as np

    import edlcam
    from edlcam.flight.dispersions import draw_cases
    from edlcam.flight.guidance import build_reference
    from edlcam.flight.sequencer import fly
    from edlcam.mars.terrain import Terrain
    from edlcam.mission import load_mission

    mission = load_mission()
    terrain, ref = Terrain.from_mission(mission), build_reference(mission)
    batch, _ = draw_cases(mission, np.arange(cases))
    out: dict = {"edlcam": str(Path(edlcam.__file__).parent), "load_before": os.getloadavg()[0]}

    def timed(fn):
        w0, c0 = time.perf_counter(), time.process_time()
        r = fn()
        return r, time.perf_counter() - w0, time.process_time() - c0

    if mode == "compile":
        _r, out["record_wall_s"], out["record_cpu_s"] = timed(lambda: fly(mission, terrain=terrain, reference=ref, record=True))
        small, _ = draw_cases(mission, np.arange(64))
        _r, out["cases_wall_s"], out["cases_cpu_s"] = timed(lambda: fly(mission, cases=small, terrain=terrain, reference=ref))
    else:
        nominal = fly(mission, terrain=terrain, reference=ref, record=True)  # loads the kernel from the cache
        fly(mission, cases=draw_cases(mission, [0])[0], terrain=terrain, reference=ref)
        res, out["wall_s"], out["cpu_s"] = timed(lambda: fly(mission, cases=batch, terrain=terrain, reference=ref))
        out["steps"] = int(res.steps.sum())
        out["nominal_sha256"] = _digest(_result_arrays(nominal))
        out["cases_sha256"] = _digest(_result_arrays(res))
    out["load_after"] = os.getloadavg()[0]
    return out


def _run(tree: Path, mode: str, cases: int, cache_dir: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), NUMBA_CACHE_DIR=str(cache_dir))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--cases", str(cases)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{tree}: {mode} run failed:\n{p.stderr[-3000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    if Path(out["edlcam"]).resolve() != (tree / "src" / "edlcam").resolve():
        raise SystemExit(f"{tree}: the child imported edlcam from {out['edlcam']}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, help="the other checkout (its src/edlcam is flown as 'base')")
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=6, help="throughput pairs")
    ap.add_argument("--compile-rounds", type=int, default=2, help="cold-compile pairs")
    ap.add_argument("--child", choices=("compile", "speed"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.cases)))
        return
    if args.base is None or not (args.base / "src" / "edlcam").is_dir():
        raise SystemExit("--base must be a checkout of edlcam (a folder with src/edlcam)")
    trees = {"base": args.base.resolve(), "new": NEW}
    print(f"base: {trees['base']}\nnew:  {trees['new']}\n{os.cpu_count()} cores, "
          f"{'AVX-512' if 'avx512f' in Path('/proc/cpuinfo').read_text() else 'no AVX-512'}")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="kernel-ab-") as tmp:
        caches: dict[str, Path] = {}
        compiles: dict[str, list[dict]] = {"base": [], "new": []}
        for r in range(args.compile_rounds):
            for name in (("base", "new") if r % 2 == 0 else ("new", "base")):
                caches[name] = Path(tmp) / f"{name}-{r}"
                caches[name].mkdir()
                c = _run(trees[name], "compile", args.cases, caches[name])
                compiles[name].append(c)
                print(f"cold compile {name}: simulate's entry {c['record_cpu_s']:.1f} s CPU ({c['record_wall_s']:.1f} s wall), "
                      f"then the Monte Carlo's {c['cases_cpu_s']:.1f} s CPU; load {c['load_before']:.1f} → {c['load_after']:.1f}")  # fmt: skip
        for name in trees:  # a warm cache for the throughput runs, when there was no compile round
            if name not in caches:
                caches[name] = Path(tmp) / f"{name}-warm"
                caches[name].mkdir()

        speeds: dict[str, list[dict]] = {"base": [], "new": []}
        ratios_cpu, ratios_wall = [], []
        for r in range(args.rounds):
            pair = {}
            for name in (("base", "new") if r % 2 == 0 else ("new", "base")):
                pair[name] = s = _run(trees[name], "speed", args.cases, caches[name])
                speeds[name].append(s)
            b, n = pair["base"], pair["new"]
            ratios_cpu.append(b["cpu_s"] / n["cpu_s"])
            ratios_wall.append(b["wall_s"] / n["wall_s"])
            print(f"round {r}: base {args.cases / b['cpu_s']:.0f} landings per CPU-s ({args.cases / b['wall_s']:.0f}/s wall), "
                  f"new {args.cases / n['cpu_s']:.0f} ({args.cases / n['wall_s']:.0f}/s wall): new / base {ratios_cpu[-1]:.3f} CPU, "
                  f"{ratios_wall[-1]:.3f} wall; load {min(b['load_before'], n['load_before']):.1f}–{max(b['load_after'], n['load_after']):.1f}")  # fmt: skip

    same = {k: len({s[k] for s in speeds["base"] + speeds["new"]}) == 1 for k in ("nominal_sha256", "cases_sha256", "steps")}
    print(f"identical: nominal recorded landing {same['nominal_sha256']}, {args.cases} dispersed landings "
          f"{same['cases_sha256']}, steps {same['steps']} ({speeds['new'][0]['steps']} in all)")
    if ratios_cpu:
        print(f"throughput new / base: median {statistics.median(ratios_cpu):.3f} per CPU-second "
              f"(pairs {min(ratios_cpu):.3f}–{max(ratios_cpu):.3f}), median {statistics.median(ratios_wall):.3f} per wall-second")  # fmt: skip
    if compiles["base"]:
        cb = [c["record_cpu_s"] + c["cases_cpu_s"] for c in compiles["base"]]
        cn = [c["record_cpu_s"] + c["cases_cpu_s"] for c in compiles["new"]]
        print(f"cold compile, both entry points, CPU s: base {', '.join(f'{x:.1f}' for x in cb)}; "
              f"new {', '.join(f'{x:.1f}' for x in cn)}; new / base {statistics.median(cn) / statistics.median(cb):.3f} (medians)")  # fmt: skip


if __name__ == "__main__":
    main()
