"""``edlcam simulate``: fly the mission once and write the flight stage's part of the run folder.

Outputs (schemas in docs/run-folder.md, written through :mod:`edlcam.runfolder`): the resolved mission,
the trajectory, every body's track, the events, the PNG plots and the provenance record under
``RUN/flight/``. They are built in the run's staging folder and swapped in together only once
complete (:mod:`edlcam.staging`): a flight that fails late leaves the old one whole.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from edlcam import runfolder
from edlcam.errors import FlightError
from edlcam.flight.attitude import quaternions_wxyz
from edlcam.flight.bodies import build_bodies, bodies_table
from edlcam.flight.sequencer import EVENT_NAMES, MINOR_EVENT_NAMES, PHASE_NAMES, CaseInputs, FlightResult, fly
from edlcam.flight.vehicle import Vehicle
from edlcam.mars.frames import enu_basis
from edlcam.mars.atmosphere import Atmosphere
from edlcam.mission import Mission, write_mission
from edlcam.staging import building, commit, sha256_file, write_provenance

__all__ = ["simulate", "SimulationOutputs", "parse_utc", "utc_at", "local_flight_path_angle_heading_deg"]

log = logging.getLogger(__name__)

TRAJECTORY_COLUMNS = (
    "t_s", "altitude_m", "height_agl_m", "lat_deg", "lon_deg", "east_m", "north_m", "up_m",
    "ve_m_s", "vn_m_s", "vu_m_s", "speed_m_s", "flight_path_angle_deg", "heading_deg", "mach",
    "dynamic_pressure_pa", "density_kg_m3", "pressure_pa", "temperature_k", "decel_g", "mass_kg",
    "bank_deg", "throttle", "range_to_target_m", "phase", "qw", "qx", "qy", "qz",
)


@dataclass(frozen=True)
class SimulationOutputs:
    run_dir: Path
    trajectory: Path
    bodies: Path
    events: Path
    plots: tuple[Path, ...]
    result: FlightResult


def parse_utc(text: str) -> datetime:
    """A UTC timestamp from ISO 8601 text (``Z`` or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def utc_at(entry_utc: str, t_s: float) -> str:
    """ISO UTC (millisecond, ``Z``) of ``t_s`` seconds after entry interface."""
    t = parse_utc(entry_utc) + timedelta(seconds=float(t_s))
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _clean(x):
    if isinstance(x, (float, np.floating)):
        return None if not math.isfinite(float(x)) else round(float(x), 6)
    return x


def _event_record(name, ev, i, entry_utc):
    out = {"name": name}
    for key in ("t_s", "altitude_m", "height_agl_m", "speed_m_s", "mach", "dynamic_pressure_pa"):
        out[key] = _clean(ev[key][i])
    out["utc"] = utc_at(entry_utc, ev["t_s"][i])
    return out


def parachute_peak_load(rec: dict, t_deploy_s: float, vehicle: Vehicle, chute_drag_scale: float = 1.0) -> dict | None:
    """The parachute's peak opening load on the recorded steps after mortar fire at ``t_deploy_s``:
    ``{"t_s", "load_n", "decel_g", "mach", "dynamic_pressure_pa"}``, the canopy's force
    q · C_D(Mach) · S0 · (its drag-area factor: inflation and overinflation,
    :meth:`Vehicle.chute_drag_area_factor`) at its largest, or None without a deploy. ``decel_g``
    is the whole vehicle's sensed deceleration on that step (the capsule's own drag included)."""
    if not math.isfinite(t_deploy_s):
        return None
    t = rec["t_s"]
    window = (t >= t_deploy_s) & (t <= t_deploy_s + vehicle.chute_inflation_s + vehicle.chute_settle_s + 1.0)
    if not window.any():
        return None
    q, mach = rec["dynamic_pressure_pa"][window], rec["mach"][window]
    force = q * vehicle.chute_cd(mach) * vehicle.chute_area_m2 * chute_drag_scale * vehicle.chute_drag_area_factor(t[window] - t_deploy_s)
    k = int(np.argmax(force))
    return {"t_s": float(t[window][k]), "load_n": float(force[k]), "decel_g": float(rec["decel_g"][window][k]),
            "mach": float(mach[k]), "dynamic_pressure_pa": float(q[k])}


def _resample(rec: dict, step_s: float) -> dict:
    """The recorded steps (variable: the integration step depends on the phase) on the uniform
    output grid 0, step, 2·step … up to the last recorded time (touchdown), which is kept as the
    final row. Continuous columns are interpolated linearly (the bank angle unwrapped first);
    discrete ones (phase codes) take the value of the step in force."""
    t = rec["t_s"]
    grid = np.arange(0.0, t[-1] + 1e-9, step_s)
    grid = np.round(grid, 9)
    if t[-1] - grid[-1] > 1e-9:
        grid = np.append(grid, t[-1])
    idx = np.clip(np.searchsorted(t, grid + 1e-6, side="right") - 1, 0, len(t) - 1)
    out = {}
    for key, col in rec.items():
        if key in ("phase_code", "entry_mode"):
            out[key] = col[idx]
        elif key == "bank_deg":
            out[key] = (np.interp(grid, t, np.unwrap(col, period=360.0)) + 180.0) % 360.0 - 180.0
        else:
            out[key] = np.interp(grid, t, col)
    out["t_s"] = grid
    return out


def local_flight_path_angle_heading_deg(rec: dict, target) -> tuple[np.ndarray, np.ndarray]:
    """Flight-path angle (above the local horizontal, negative descending) and heading (clockwise
    from local north, 0–360) [deg] of the planet-relative velocity, in the vehicle's own local
    (geodetic) ENU frame at its ``lat_deg``, ``lon_deg`` — the frame in which [entry]
    flight_path_angle_deg and heading_deg are given. ``rec``'s velocity (``ve_m_s``, ``vn_m_s``,
    ``vu_m_s``) is in the target's ENU frame, which near entry is tilted by the ≈ 10° of arc
    between the vehicle and the target."""
    v_target_enu = np.stack([rec["ve_m_s"], rec["vn_m_s"], rec["vu_m_s"]], axis=-1)
    v_planet = v_target_enu @ enu_basis(target.latitude_deg, target.longitude_deg)  # rows E, N, U → planet-fixed
    e, n, u = np.einsum("tij,tj->it", enu_basis(rec["lat_deg"], rec["lon_deg"]), v_planet)
    return np.degrees(np.arctan2(u, np.hypot(e, n))), np.degrees(np.arctan2(e, n)) % 360.0


def _check_flight(result: FlightResult, mission: Mission) -> None:
    status, reason = result.status[0], result.reason[0]
    if status in ("landed",):
        return
    if status in ("skip_out", "crash", "timeout", "fuel_out", "hard_landing"):
        raise FlightError(f"the flight failed: {reason}; check the [entry] state and the vehicle in the mission file")
    if status == "deploy_out_of_box":
        log.warning("%s", reason)


def simulate(mission: Mission, out_dir: str | Path, *, progress=None, plots: bool = True, terrain=None,
             case: CaseInputs | None = None, reference=None) -> SimulationOutputs:
    """Fly ``mission`` (nominal case, its seed) and write the flight outputs under ``out_dir``.

    ``case`` (one case) replaces the nominal inputs: terrain-relative navigation (edlcam.gnc)
    flies the powered descent to the target it chose with the navigation error it had.
    ``reference``: the entry guidance's reference trajectory, when the caller has it already.
    """

    out = Path(out_dir)
    with building(out, "flight") as new:  # creates out/ too
        files, result = _fly_and_write(mission, new, progress=progress, plots=plots, terrain=terrain, case=case,
                                       reference=reference)
    # the mission file first: it leaves the staging folder before the folder becomes flight/
    commit(out, "flight", [(new / runfolder.MISSION, out / runfolder.MISSION),
                           (new / runfolder.FLIGHT_DIR, out / runfolder.FLIGHT_DIR)])
    trajectory, bodies, events, *plot_paths = (out / p.relative_to(new) for p in files)
    return SimulationOutputs(out, trajectory, bodies, events, tuple(plot_paths), result)


def _fly_and_write(mission: Mission, new: Path, *, progress, plots, terrain, case,
                   reference) -> tuple[list[Path], FlightResult]:
    """Fly and write the flight folder and the mission file into ``new`` (a staging folder shaped like
    a run folder); return ([trajectory, bodies, events, *plots], the flight)."""
    if terrain is None:
        from edlcam.mars.terrain import Terrain

        terrain = Terrain.from_mission(mission)
    result = fly(mission, cases=case, terrain=terrain, reference=reference, record=True, progress=progress)
    _check_flight(result, mission)
    rec = _resample({k: v[:, 0] for k, v in result.record.items()}, mission.simulation.step_s)
    events = {name: float(result.events[name]["t_s"][0]) for name in EVENT_NAMES + MINOR_EVENT_NAMES}
    vehicle = Vehicle.from_mission(mission)
    atmosphere = Atmosphere.from_mission(mission)
    tracks, body_events = build_bodies(rec, events, mission, terrain, atmosphere, vehicle)

    # Trajectory: the rover's point, attitude of the body that carries it.
    n = len(rec["t_s"])
    rover_rot = tracks["rover"].rot[:n]
    q = quaternions_wxyz(rover_rot)
    cols = {k: rec[k] for k in TRAJECTORY_COLUMNS if k in rec}
    cols["flight_path_angle_deg"], cols["heading_deg"] = local_flight_path_angle_heading_deg(rec, mission.target)
    cols["phase"] = np.array([PHASE_NAMES[int(c)] for c in rec["phase_code"]], dtype=object)
    for j, c in enumerate(("qw", "qx", "qy", "qz")):
        cols[c] = q[:, j]
    traj_path = runfolder.write_trajectory(new, pa.table({k: cols[k] for k in TRAJECTORY_COLUMNS}))
    bodies_path = runfolder.write_bodies(new, pa.table(bodies_table(tracks)))

    entry_utc = mission.entry.utc
    main = []
    for name in EVENT_NAMES:
        ev = result.events[name]
        if not math.isfinite(ev["t_s"][0]):
            continue
        item = _event_record(name, ev, 0, entry_utc)
        if name == "touchdown":
            item["vertical_speed_m_s"] = _clean(result.touchdown_vertical_speed_m_s[0])
            item["horizontal_speed_m_s"] = _clean(result.touchdown_horizontal_speed_m_s[0])
            item["miss_distance_m"] = _clean(result.miss_distance_m[0])
        main.append(item)
    main.sort(key=lambda e: e["t_s"])  # in the order they happened (EVENT_NAMES appends later sequences' events)
    minor = []
    for name in MINOR_EVENT_NAMES:
        ev = result.events[name]
        if math.isfinite(ev["t_s"][0]):
            minor.append(_event_record(name, ev, 0, entry_utc))
    for name, t in body_events.items():
        minor.append({"name": name, "t_s": _clean(t), "utc": utc_at(entry_utc, t)})
    peak = parachute_peak_load(rec, events["parachute_deploy"], vehicle, 1.0 if case is None else float(case.chute_drag_scale[0]))
    if peak is not None:  # the opening load's peak, as peak_heating and peak_deceleration are entry's
        minor.append({"name": "parachute_peak_load", **{k: _clean(v) for k, v in peak.items()}, "utc": utc_at(entry_utc, peak["t_s"])})
    minor.sort(key=lambda e: e["t_s"])
    events_path = runfolder.write_events(new, main, minor, status=str(result.status[0]),
                                         propellant_used_kg=_clean(result.propellant_used_kg[0]))
    mission_path = new / runfolder.MISSION
    write_mission(mission, mission_path)
    plot_paths: tuple[Path, ...] = ()
    if plots:
        from edlcam.flight.plots import plot_flight

        plot_paths = plot_flight(new, traj_path.parent, mission=mission)
    write_provenance(traj_path.parent, stage="simulate", inputs={runfolder.MISSION: sha256_file(mission_path)},
                     files={p.name: p for p in (traj_path, bodies_path, events_path)})
    return [traj_path, bodies_path, events_path, *plot_paths], result
