"""Image-in-the-loop Monte Carlo of terrain-relative navigation: one dispersed landing with and
without LVS, as a task for a Dask worker (``benchmarks/lvs.py`` runs a few hundred).

Each case is the Monte Carlo's own draw (:func:`edlcam.flight.dispersions.draw_cases`): its flight
is flown and written to a scratch run folder (the cameras render from a run folder), LVS runs on
its LCAM frames (:func:`edlcam.gnc.loop.navigate`, the case's index in the random key), STS picks
the target, and the powered descent is flown twice from the same parachute descent: to the STS
target with the LVS estimate's error, and to the mission's target with the dead-reckoned error
(the landing without TRN). Each touchdown is judged on the full-resolution ground
(:func:`edlcam.gnc.hazard.touchdown_is_safe`). The terrain, the maps, the entry guidance's
reference and the renderer (its GL context, shaders and terrain rings) are built or read once
per worker process and shared by its cases: what a case measures does not depend on it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

__all__ = ["fly_to", "lvs_case", "terrain_for"]

_CACHE: dict = {}


def fly_to(mission, case, nav_error_en, aim_en, *, terrain, reference) -> tuple[np.ndarray, str]:
    """Fly the one case ``case`` (:class:`~edlcam.flight.sequencer.CaseInputs`) with the navigation
    error ``nav_error_en`` (east, north) [m] at the divert, to the divert target ``aim_en`` in the
    target's ENU frame [m]; returns the touchdown (east, north) [m] and the status.

    The aim is where to land, not an offset: the Monte Carlo's dispersed cases divert from the
    navigated position (``divert_from_navigated``, the flight's own divert as the thousands-of-cases
    ellipse models it), which here is turned off — LVS's case aims at the target STS selected."""
    from edlcam.flight.sequencer import CaseInputs, fly

    base = {k: np.asarray(v, float) for k, v in case.__dict__.items()}
    c = CaseInputs(**{**base, "nav_error_east_m": np.array([nav_error_en[0]]), "nav_error_north_m": np.array([nav_error_en[1]]),
                      "divert_target_east_m": np.array([aim_en[0]]), "divert_target_north_m": np.array([aim_en[1]]),
                      "divert_from_navigated": np.array([0.0])})  # fmt: skip
    r = fly(mission, cases=c, terrain=terrain, reference=reference)
    td = r.events["touchdown"]
    return np.array([td["east_m"][0], td["north_m"][0]]), str(r.status[0])


def lvs_case(mission_dict: dict, index: int, map_path: str, hazard_path: str, work: str) -> dict:
    """Case ``index`` of the mission (a ``model_dump``) with and without LVS: a dict of its figures
    (``status`` "error" and ``reason`` when the case raised). ``work``: a scratch folder."""
    import shutil

    from edlcam import runfolder
    from edlcam.cameras.frames import open_run
    from edlcam.flight.dispersions import draw_cases
    from edlcam.flight.run import simulate
    from edlcam.gnc.hazard import touchdown_is_safe
    from edlcam.gnc.loop import navigate
    from edlcam.gnc.sts import select_target
    from edlcam.mission import mission_from_dict

    from edlcam.flight.guidance import build_reference

    mission = mission_from_dict(mission_dict)
    terrain = terrain_for(mission)
    key = ("reference", json.dumps(mission_dict, sort_keys=True))
    if key not in _CACHE:  # the entry guidance's reference: the same for every case (≈ 0.5 s to build)
        _CACHE[key] = build_reference(mission)
    reference = _CACHE[key]
    onboard, hazard = _maps(map_path, hazard_path)
    cases, _cg = draw_cases(mission, [index])
    row: dict = {"case": index}
    run = Path(work) / f"case{index:05d}"
    t0 = time.process_time()
    try:
        simulate(mission, run, terrain=terrain, case=cases, plots=False, reference=reference)
        film = open_run(run, terrain=terrain, mission=mission, renderers=_renderers(mission))
        traj = runfolder.read_trajectory(run).as_dict()
        got = navigate(film, traj, film.events, mission, onboard, rng_key=(index,))
        rows, nav, truth, p_err, dr = got.rows, got.filter, got.truth_en, got.initial_position_error_m, got.dead_reckoned_en
        est, cov = nav.position, nav.position_cov
        err = est - truth
        target = select_target(hazard, est, max_divert_m=mission.powered_descent.max_divert_m)

        def flown(nav_err, aim):
            return fly_to(mission, cases, nav_err, aim, terrain=terrain, reference=reference)

        td, status = flown(err, (target.east_m, target.north_m))
        dr_err = dr - truth
        td0, status0 = flown(dr_err, (0.0, 0.0))
        ok = lambda p: bool(np.all(np.isfinite(p)) and touchdown_is_safe(terrain, p[0], p[1], mission.lvs))  # noqa: E731
        cpu = [r["cpu_s"] for r in rows]
        row.update({
            "status": status, "status_without": status0, "images": len(rows),
            "fixes": int(sum(r["fix_accepted"] for r in rows)),
            "initial_error_m": float(np.hypot(*p_err)), "error_east_m": float(err[0]), "error_north_m": float(err[1]),
            "error_m": float(np.hypot(*err)), "cov_ee_m2": float(cov[0, 0]), "cov_en_m2": float(cov[0, 1]),
            "cov_nn_m2": float(cov[1, 1]), "nees": float(err @ np.linalg.solve(cov, err)),
            "dr_error_m": float(np.hypot(*dr_err)),
            "target_east_m": target.east_m, "target_north_m": target.north_m, "target_probability": target.probability,
            "touchdown_east_m": float(td[0]), "touchdown_north_m": float(td[1]),
            "touchdown_to_target_m": float(np.hypot(td[0] - target.east_m, td[1] - target.north_m)),
            "safe": ok(td), "touchdown_without_east_m": float(td0[0]), "touchdown_without_north_m": float(td0[1]),
            "safe_without": ok(td0), "cpu_s_per_image_mean": float(np.mean(cpu)), "cpu_s_per_image_max": float(np.max(cpu)),
        })  # fmt: skip
    except Exception as exc:  # a failed case is a result, not a crash of the benchmark
        row.update({"status": "error", "reason": f"{type(exc).__name__}: {exc}"})
    finally:
        shutil.rmtree(run, ignore_errors=True)
    row["case_cpu_s"] = time.process_time() - t0
    return row


def terrain_for(mission):
    """The mission's terrain, built once per process."""
    from edlcam.mars.terrain import Terrain

    key = ("terrain", mission.mission.seed, mission.terrain.model_dump_json())
    if key not in _CACHE:
        _CACHE[key] = Terrain.from_mission(mission)
    return _CACHE[key]


def _renderers(mission) -> dict:
    """The renderers (quality → Renderer) shared by this process's cases of one mission's terrain and cameras."""
    key = ("renderers", mission.mission.seed, mission.terrain.model_dump_json(), mission.cameras.model_dump_json())
    return _CACHE.setdefault(key, {})


def _maps(map_path, hazard_path):
    from edlcam.gnc.hazard import HazardMap
    from edlcam.gnc.onboard_map import OnboardMap

    key = ("maps", map_path, hazard_path)
    if key not in _CACHE:
        _CACHE[key] = (OnboardMap.load(map_path), HazardMap.load(hazard_path))
    return _CACHE[key]


