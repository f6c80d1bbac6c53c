"""The closed loop: LVS on LCAM frames along the true descent, Safe Target Selection, and the
powered descent flown to the target chosen from what the spacecraft believed.

The parachute descent does not depend on the estimate (DESIGN.md, "Closing the loop"), so the
loop closes where the estimate acts, the divert:

1. the flight is flown (``edlcam simulate``); its parachute descent is the truth LVS sees;
2. navigation starts, when the LCAM is ``start_height_m`` above the ground, from the true state
   plus a dead-reckoning error drawn from ``[lvs]`` (position, velocity) and the IMU's errors
   (``[lvs.imu]``), all seeded by the mission seed;
3. every ``image_interval_s`` until backshell separation an LCAM frame is rendered at the true
   pose (the full-quality renderer, ``image_px`` square), localized on the onboard map with the
   attitude and height the spacecraft knew (:func:`edlcam.gnc.mrl.localize`) and fused with the
   IMU (:class:`edlcam.gnc.navfilter.NavFilter`);
4. at the start of powered descent STS picks the reachable safest target around the estimate
   (:func:`edlcam.gnc.sts.select_target`), and the flight is flown again with that divert target
   and the estimate's error as the navigation error: up to the divert it is the same flight bit
   for bit; after it, the spacecraft flies to where it believes the target is.

:func:`run_lvs` does this on a run folder and writes ``flight/`` (the flight as flown with LVS)
and ``lvs/`` (what the spacecraft believed and what was true; docs/run-folder.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.errors import NavigationError
from edlcam.gnc.lvs_images import LVS_TAG, ImagesAhead, image_camera, render_image

__all__ = ["LvsRun", "Navigation", "navigate", "run_lvs", "image_times", "navigation_times", "target_track", "LVS_TAG"]

log = logging.getLogger(__name__)

ALTIMETER_SIGMA_FRACTION = 0.01  # est.: radar altimetry 1σ, 1 % of the height (MSL TDS class)
TARGET_TRACK_STEP_S = 0.1  # the selected target's place in the LVS camera's image, sampled this often for the film


@dataclass(frozen=True)
class LvsRun:
    """What :func:`run_lvs` produced: the files, and the numbers a caller prints."""

    lvs_dir: Path
    images: int
    fixes: int
    final_error_m: float
    final_sigma_m: float
    target_en: tuple[float, float]
    target_probability: float
    touchdown_to_target_m: float
    touchdown_safe: bool
    seconds_per_image: float


def image_times(traj, events: dict, cfg, frame_times_s=None) -> np.ndarray:
    """Exposure times [s after EI] of the LVS images: from ``start_height_m`` to backshell separation.

    ``frame_times_s``: the LVS camera's own frame times (LVS processed LCAM frames): the images
    are those frames, every ``image_interval_s``; without them, a 1/``image_interval_s`` clock.
    """
    t, h, phase = traj["t_s"], traj["height_agl_m"], traj["phase"]
    under = np.flatnonzero((phase == "parachute") & (h <= cfg.start_height_m))
    if under.size == 0 or "backshell_separation" not in events:
        raise NavigationError(
            f"the flight never came below [lvs] start_height_m = {cfg.start_height_m:g} m under the parachute; "
            "lower start_height_m or check the flight"
        )
    t0, t1 = float(t[under[0]]), float(events["backshell_separation"])
    if frame_times_s is None:
        return np.arange(t0, t1 - 1e-6, cfg.image_interval_s)
    ft = np.asarray(frame_times_s, float)
    ft = ft[(ft >= t0 - 1e-9) & (ft < t1 - 1e-6)]
    if ft.size == 0:
        raise NavigationError(
            f"[cameras.views.{cfg.camera}] takes no frame between E+{t0:.1f} s ({cfg.start_height_m:g} m above the ground) "
            f"and backshell separation at E+{t1:.1f} s; start the camera earlier or lower [lvs] start_height_m"
        )
    keep = [0]
    for k in range(1, ft.size):
        if ft[k] - ft[keep[-1]] >= cfg.image_interval_s - 1e-6:
            keep.append(k)
    return ft[keep]


def _truth(traj, t_s):
    """True horizontal position, velocity and acceleration of the rover at times ``t_s`` (interpolated)."""
    t = traj["t_s"]
    ve, vn = traj["ve_m_s"], traj["vn_m_s"]
    ae, an = np.gradient(ve, t), np.gradient(vn, t)
    f = lambda col: np.interp(t_s, t, col)  # noqa: E731
    return (np.column_stack([f(traj["east_m"]), f(traj["north_m"])]), np.column_stack([f(ve), f(vn)]),
            np.column_stack([f(ae), f(an)]))  # fmt: skip


def navigation_times(film, traj, events: dict, cfg) -> np.ndarray:
    """Exposure times [s after EI] of the LVS images of an opened run: :func:`image_times` on the LVS
    camera's own full-quality frames."""
    _step, plan = film.frame_plan(cfg.camera, quality="full")
    return image_times(traj, events, cfg, [t for _i, t in plan])


def target_track(film, camera: str, target_en, *, t_from_s: float, step_s: float = TARGET_TRACK_STEP_S) -> dict:
    """Where the ground point ``target_en`` appears in ``camera``'s image, every ``step_s`` from
    ``t_from_s`` to the end of the camera's window: columns ``t_s``, ``x``, ``y`` (fractions of the
    width/height, 0 = left/top edge, as in landmarks.parquet; NaN where the point is behind the
    camera or outside the image). ``film`` an opened run (:func:`edlcam.cameras.frames.open_run`)."""
    cam = film.camera(camera)
    t0, t1 = film.window(camera)
    ts = np.arange(max(t0, t_from_s), t1 + 1e-9, step_s)
    e, n = float(target_en[0]), float(target_en[1])
    point = np.array([[e, n, float(film.terrain.surface_up_m(e, n))]])
    xs, ys = np.full(ts.size, np.nan), np.full(ts.size, np.nan)
    for k, t in enumerate(ts):
        pos, R = film.camera_pose(cam, float(t))
        xy, depth = cam.project(point, pos, R)
        x, y = float(xy[0, 0]) / cam.width_px, float(xy[0, 1]) / cam.height_px
        if depth[0] > 0 and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0:
            xs[k], ys[k] = x, y
    return {"t_s": ts, "x": xs, "y": ys}


@dataclass(frozen=True)
class Navigation:
    """What :func:`navigate` returns: per-image records and landmarks, the filter at the divert
    decision, the truth then, and what the spacecraft would have believed without LVS."""

    rows: list
    landmarks: list
    filter: object  # NavFilter at t_divert_s
    truth_en: np.ndarray  # the rover's true (east, north) at t_divert_s
    t_divert_s: float
    initial_position_error_m: np.ndarray
    initial_velocity_error_m_s: np.ndarray
    imu: object  # ImuErrors
    dead_reckoned_en: np.ndarray  # the IMU alone from the same start: the position believed without LVS


def navigate(film, traj, events: dict, mission, onboard_map, *, rng_key: tuple = (), progress=None,
             images=None) -> Navigation:
    """Steps 2–3 of the module docstring. ``rng_key`` separates the draws of Monte Carlo cases.

    ``images``: the LVS images already being rendered (:class:`edlcam.gnc.lvs_images.ImagesAhead`,
    ``images[i]`` the i-th of :func:`navigation_times`, rendered with ``rng_key``); None renders
    each here when the filter needs it. The images do not depend on the estimate, so the two give
    the same navigation.
    """
    from edlcam.gnc.mrl import localize
    from edlcam.gnc.navfilter import ImuErrors, NavFilter, measured_acceleration, tilted_attitude

    cfg = mission.lvs
    seed = mission.mission.seed
    rng = np.random.default_rng([seed, LVS_TAG, *rng_key])
    cam, rcam = image_camera(film, cfg)
    times = navigation_times(film, traj, events, cfg)
    t_divert = float(events.get("powered_descent_start", times[-1]))
    imu = ImuErrors.draw(cfg.imu, rng)
    p_err = rng.normal(0.0, cfg.initial_position_sigma_m, 2)
    v_err = rng.normal(0.0, cfg.initial_velocity_sigma_m_s, 2)
    p0, v0, _ = _truth(traj, np.array([times[0]]))
    nav = NavFilter(p0[0] + p_err, v0[0] + v_err, position_sigma_m=cfg.initial_position_sigma_m,
                    velocity_sigma_m_s=cfg.initial_velocity_sigma_m_s,
                    tilt_sigma_rad=math.radians(cfg.imu.attitude_sigma_deg), imu_cfg=cfg.imu)  # fmt: skip
    dead = NavFilter(p0[0] + p_err, v0[0] + v_err, position_sigma_m=cfg.initial_position_sigma_m,
                     velocity_sigma_m_s=cfg.initial_velocity_sigma_m_s, tilt_sigma_rad=0.0, imu_cfg=cfg.imu)  # fmt: skip
    dt = 1.0 / cfg.imu.rate_hz
    rows, landmarks = [], []
    t_now = float(times[0])

    def advance(t_to):
        nonlocal t_now
        n = int(math.ceil((t_to - t_now) / dt - 1e-9))
        if n <= 0:
            return
        ts = t_now + (np.arange(n) + 0.5) * (t_to - t_now) / n
        _, _, a = _truth(traj, ts)
        a3 = np.column_stack([a, np.zeros(n)])
        meas = measured_acceleration(a3, (t_to - t_now) / n, imu, rng)
        for k in range(n):
            nav.propagate(meas[k, :2], (t_to - t_now) / n)
            dead.propagate(meas[k, :2], (t_to - t_now) / n)
        t_now = t_to

    for i, t in enumerate(times):
        advance(float(t))
        pos, R = film.camera_pose(cam, float(t))
        truth_rover, _, _ = _truth(traj, np.array([t]))
        offset = pos[:2] - truth_rover[0]  # the camera's nadir point from the rover's (its mount)
        height = float(pos[2] - film.terrain.surface_up_m(pos[0], pos[1]))
        height_meas = height * (1.0 + ALTIMETER_SIGMA_FRACTION * rng.standard_normal())
        image = render_image(film, rcam, float(t), seed, (*rng_key, i)) if images is None else images[i]
        prior = nav.nadir_estimate(height_meas) + offset
        prior_sigma = math.sqrt(max(np.linalg.eigvalsh(nav.nadir_cov(height_meas)).max(), 1.0))
        fix = localize(image, cam, tilted_attitude(R, imu.tilt_rad), height_m=height_meas, prior_en=prior,
                       prior_sigma_m=prior_sigma, onboard_map=onboard_map, cfg=cfg)  # fmt: skip
        accepted, d2 = False, float("nan")
        if fix.ok:
            accepted, d2 = nav.update(np.array([fix.east_m, fix.north_m]) - offset, fix.covariance_m2, height_meas)
        est, cov = nav.position, nav.position_cov
        err = est - truth_rover[0]
        rows.append({
            "index": i, "t_s": float(t), "height_agl_m": height, "height_measured_m": height_meas,
            "true_east_m": float(truth_rover[0, 0]), "true_north_m": float(truth_rover[0, 1]),
            "est_east_m": float(est[0]), "est_north_m": float(est[1]),
            "cov_ee_m2": float(cov[0, 0]), "cov_en_m2": float(cov[0, 1]), "cov_nn_m2": float(cov[1, 1]),
            "error_east_m": float(err[0]), "error_north_m": float(err[1]), "error_m": float(np.hypot(*err)),
            "sigma_m": float(math.sqrt(max(np.linalg.eigvalsh(cov).max(), 0.0))),
            "nees": float(err @ np.linalg.solve(cov, err)),
            "fix_ok": bool(fix.ok), "fix_stage": fix.stage, "fix_accepted": bool(accepted), "fix_mahalanobis2": d2,
            "fix_east_m": float(fix.east_m - offset[0]), "fix_north_m": float(fix.north_m - offset[1]),
            "fix_sigma_m": float(fix.sigma_m) if fix.ok else float("nan"), "inliers": int(fix.inliers),
            "landmarks": int(len(fix.landmarks.score)), "cpu_s": float(fix.seconds),
        })  # fmt: skip
        lm = fix.landmarks
        for j in range(len(lm.score)):
            landmarks.append((i, float(t), float(lm.image_px[j, 0] / rcam.width_px), float(lm.image_px[j, 1] / rcam.height_px),
                              float(lm.map_en_m[j, 0]), float(lm.map_en_m[j, 1]), float(lm.score[j]), bool(lm.inlier[j])))  # fmt: skip
        if progress is not None:
            progress(i + 1, len(times))
    advance(t_divert)
    truth_div, _, _ = _truth(traj, np.array([t_divert]))
    return Navigation(rows, landmarks, nav, truth_div[0], t_divert, p_err, v_err, imu, dead.position)


def run_lvs(run_dir, *, mission=None, quality: str = "full", terrain=None, progress=None) -> LvsRun:
    """LVS in the loop on a simulated run: writes ``RUN/lvs/`` and re-flies ``RUN/flight/``.

    Both are built in the run's staging folder and swapped in together once complete
    (:mod:`edlcam.staging`): a failed or killed run leaves the old flight and lvs/ as they were.
    ``lvs/`` records the flight it re-flew in its provenance, so the stages that read it (the film's
    LVS overlay, the report) refuse it once ``edlcam simulate`` has flown another.
    """
    from edlcam.mars.terrain import Terrain
    from edlcam.staging import building, check_inputs, commit, read_provenance, write_provenance

    run = Path(run_dir)
    if mission is None:
        mission = runfolder.load_run_mission(run)
    cfg = mission.lvs
    if cfg.camera not in mission.cameras.views:
        raise NavigationError(f"[lvs] camera is {cfg.camera!r}, not a camera of the mission; use one of {', '.join(mission.cameras.views)}")
    terrain = Terrain.from_mission(mission) if terrain is None else terrain
    runfolder.require(run, run / runfolder.TRAJECTORY)
    check_inputs(run, ["flight"])
    with building(run, "lvs") as new:
        lvs = _navigate_and_refly(run, new, mission, terrain, quality, progress)
        # lvs/ belongs with the flight it re-flew: a later `edlcam simulate` makes it stale (input check)
        refly = new / "refly"
        made = {rel: new / rel for rel in (runfolder.LVS_IMAGES, runfolder.LVS_LANDMARKS, runfolder.LVS_TARGET, runfolder.LVS_SUMMARY)}
        write_provenance(new / runfolder.LVS_DIR, stage="lvs",
                         inputs={runfolder.FLIGHT_DIR: read_provenance(refly / runfolder.FLIGHT_DIR)["digest"]},
                         files={p.name: p for p in made.values()})
    commit(run, "lvs", [(refly / runfolder.MISSION, run / runfolder.MISSION),
                        (refly / runfolder.FLIGHT_DIR, run / runfolder.FLIGHT_DIR),
                        (new / runfolder.LVS_DIR, run / runfolder.LVS_DIR)])
    return dataclasses.replace(lvs, lvs_dir=run / runfolder.LVS_DIR)


def _navigate_and_refly(run: Path, new: Path, mission, terrain, quality: str, progress) -> LvsRun:
    """The onboard map, LVS along the flown descent, the divert re-flown: ``new/lvs/`` and the run's
    mission and flight as re-flown in ``new/refly/`` (a run folder of its own)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from edlcam.cameras.frames import open_run
    from edlcam.flight.run import simulate
    from edlcam.flight.sequencer import CaseInputs
    from edlcam.gnc.hazard import build_hazard_map, touchdown_is_safe
    from edlcam.gnc.onboard_map import build_onboard_map, map_sun_enu
    from edlcam.gnc.sts import select_target

    cfg = mission.lvs
    lvs_dir = new / runfolder.LVS_DIR
    lvs_dir.mkdir()
    say = progress or (lambda stage, done, total: None)

    # Preview renders the LVS frames without MSAA (≈ 25 % of a frame's cost; the fixes are as good:
    # benchmarks/RESULTS.md, LVS).
    film_mission = mission if quality == "full" else mission.model_copy(
        update={"cameras": mission.cameras.model_copy(update={"msaa_samples": 0})})
    film = open_run(run, terrain=terrain, mission=film_mission)
    traj = runfolder.read_trajectory(run).as_dict()
    times = navigation_times(film, traj, film.events, cfg)
    # The images depend on neither the maps nor the estimate: one process renders them all while this
    # one builds the maps (two cores busy; a second render process would build its own terrain rings
    # and shaders again). [cameras] workers = 0: each image rendered here when the filter needs it.
    ahead = ImagesAhead(run, terrain=terrain, mission=film_mission, cfg=cfg, times_s=times, seed=mission.mission.seed,
                        workers=1) if film_mission.cameras.workers > 0 else contextlib.nullcontext()  # fmt: skip
    with ahead as images:
        say("map", 0, 1)
        sun = map_sun_enu(cfg, mission.target.latitude_deg, mission.target.longitude_deg)
        onboard = build_onboard_map(terrain, cfg, sun_enu=sun, quality=quality)
        onboard.save(new / runfolder.LVS_MAP)
        hazard = build_hazard_map(terrain, cfg, quality=quality)
        hazard.save(new / runfolder.LVS_HAZARD)
        say("map", 1, 1)
        got = navigate(film, traj, film.events, mission, onboard, progress=lambda d, n: say("images", d, n),
                       images=images)
    rows, landmarks, nav, truth_div, t_divert = got.rows, got.landmarks, got.filter, got.truth_en, got.t_divert_s
    p_err, v_err, imu = got.initial_position_error_m, got.initial_velocity_error_m_s, got.imu

    est = nav.position
    nav_err = est - truth_div
    target = select_target(hazard, est, max_divert_m=mission.powered_descent.max_divert_m)
    case = CaseInputs.nominal(mission)
    case = CaseInputs(**{**case.__dict__, "nav_error_east_m": np.array([nav_err[0]]), "nav_error_north_m": np.array([nav_err[1]]),
                         "divert_target_east_m": np.array([target.east_m]), "divert_target_north_m": np.array([target.north_m])})  # fmt: skip
    say("flight", 0, 1)
    flown = simulate(mission, new / "refly", terrain=terrain, case=case)
    say("flight", 1, 1)
    refly_film = open_run(new / "refly", terrain=terrain, mission=film_mission)
    track = target_track(refly_film, cfg.camera, (target.east_m, target.north_m), t_from_s=t_divert - 1.0)
    td = flown.result.events["touchdown"]
    td_en = np.array([float(td["east_m"][0]), float(td["north_m"][0])])
    safe = touchdown_is_safe(terrain, td_en[0], td_en[1], cfg) if np.all(np.isfinite(td_en)) else False

    pq.write_table(pa.Table.from_pylist(rows), new / runfolder.LVS_IMAGES)
    cols = ("image", "t_s", "x", "y", "map_east_m", "map_north_m", "score", "inlier")
    pq.write_table(pa.table({c: [r[k] for r in landmarks] for k, c in enumerate(cols)}), new / runfolder.LVS_LANDMARKS)
    pq.write_table(pa.table(track), new / runfolder.LVS_TARGET)
    cov = nav.position_cov
    final_err = float(np.hypot(*nav_err))
    summary = {
        "images": len(rows),
        "fixes_accepted": int(sum(r["fix_accepted"] for r in rows)),
        "t_first_image_s": rows[0]["t_s"], "t_divert_s": t_divert,
        "initial_error_east_m": float(p_err[0]), "initial_error_north_m": float(p_err[1]),
        "initial_velocity_error_east_m_s": float(v_err[0]), "initial_velocity_error_north_m_s": float(v_err[1]),
        "imu_tilt_error_east_rad": float(imu.tilt_rad[0]), "imu_tilt_error_north_rad": float(imu.tilt_rad[1]),
        "estimate_east_m": float(est[0]), "estimate_north_m": float(est[1]),
        "true_east_m": float(truth_div[0]), "true_north_m": float(truth_div[1]),
        "cov_ee_m2": float(cov[0, 0]), "cov_en_m2": float(cov[0, 1]), "cov_nn_m2": float(cov[1, 1]),
        "final_error_m": final_err,
        "dead_reckoned_error_m": float(np.hypot(*(got.dead_reckoned_en - truth_div))),
        "target_east_m": target.east_m, "target_north_m": target.north_m, "target_probability": target.probability,
        "divert_m": target.divert_m, "reachable_cells": target.reachable_cells,
        "touchdown_east_m": float(td_en[0]), "touchdown_north_m": float(td_en[1]),
        "touchdown_to_target_m": float(np.hypot(*(td_en - [target.east_m, target.north_m]))),
        "touchdown_safe": bool(safe),
        "cpu_s_per_image": float(np.mean([r["cpu_s"] for r in rows])),
        "quality": quality,
    }  # fmt: skip
    runfolder.write_json(new / runfolder.LVS_SUMMARY, summary)
    from edlcam.gnc.plots import plot_lvs

    plot_lvs(lvs_dir, onboard, hazard)
    return LvsRun(lvs_dir, len(rows), summary["fixes_accepted"], final_err,
                  float(math.sqrt(max(np.linalg.eigvalsh(cov).max(), 0.0))), (target.east_m, target.north_m),
                  target.probability, summary["touchdown_to_target_m"], bool(safe), summary["cpu_s_per_image"])  # fmt: skip
