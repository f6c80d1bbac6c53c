"""The EDL sequencer: flies a batch of trajectories from entry interface to touchdown.

:func:`fly` hands the cases to the compiled flight kernel (:mod:`edlcam.flight.kernel`), which
flies each on its own with fixed steps (``[simulation]``: in entry one per guidance cycle, the
control cycle in powered flight, coarser under the open canopy, finer through inflation and
wherever an event is near; RK4, the midpoint rule in powered flight), so one code path flies the
nominal case or thousands of dispersed ones and a case's result never depends on the others.
Thrust is held over a step (zero-order hold, as a flight computer's control cycle does); the bank
angle moves through it as its rate- and acceleration-limited actuator drives it.

Phases and what ends them::

    ENTRY       guided lifting entry (ETPC: pre-bank, range control, heading alignment, SUFR), or
                ballistic ([sequence] entry)
                → the parachute's trigger ([sequence] parachute_trigger: range, navigated
                velocity, Mach or dynamic pressure) inside the Mach / dynamic-pressure box: deploy
    PARACHUTE   disk-gap-band inflating over ≈0.45 s; heat shield off after the delay (Mach < max)
                → height above ground ≤ planned height (radar): backshell separation
    FREEFALL    descent stage and rover fall clear of the backshell, engines warming
    APPROACH    E-guidance to a point above the target (the law: :mod:`edlcam.flight.kernel.powered`)
    CONSTANT_V  constant-velocity descent
    DECEL       constant deceleration to the sky-crane speed
    SKYCRANE    rover lowered on the bridles while descending at constant speed
    LANDED      wheels on the ground (touchdown)
    FAILED      skip-out, crash before deploy, or out of time
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from edlcam.flight import guidance as G
from edlcam.flight import kernel as K
from edlcam.flight.events import EVENT_NAMES, MINOR_EVENT_NAMES
from edlcam.flight.kernel.dynamics import Planet
from edlcam.flight.kernel.layout import (
    ENGINE_CODES, LEGS_CODES, TERMINAL_CODES, TRIGGER_CODES, APPROACH, CONSTANT_V, DECEL, ENTRY, FAILED, FREEFALL, LANDED, PARACHUTE, S_IN_BOX, S_PROPELLANT, S_REASON_ALT,
    S_REASON_HAGL, S_REASON_SPEED, S_REASON_T, S_STATUS, S_STEPS, S_T_END, S_TD_HS, S_TD_VS, SKYCRANE,
)  # fmt: skip
from edlcam.flight.vehicle import Vehicle
from edlcam.mars.atmosphere import Atmosphere
from edlcam.mars.frames import Ellipsoid, enu_basis, geodetic_to_cartesian

__all__ = [
    "CaseInputs",
    "FlightResult",
    "fly",
    "kernel_inputs",
    "PHASE_NAMES",
    "EVENT_NAMES",
    "MINOR_EVENT_NAMES",
    "ENTRY",
    "PARACHUTE",
    "FREEFALL",
    "APPROACH",
    "CONSTANT_V",
    "DECEL",
    "SKYCRANE",
    "LANDED",
    "FAILED",
]

PHASE_NAMES = {
    ENTRY: "entry",
    PARACHUTE: "parachute",
    FREEFALL: "powered",
    APPROACH: "powered",
    CONSTANT_V: "powered",
    DECEL: "powered",
    SKYCRANE: "skycrane",
    LANDED: "landed",
    FAILED: "failed",
}
_EVENT_FIELDS = K.EVENT_FIELDS


@dataclass(frozen=True)
class CaseInputs:
    """Per-trajectory inputs, arrays of shape (N,); :meth:`nominal` gives the mission's values."""

    entry_altitude_m: np.ndarray
    entry_lat_deg: np.ndarray
    entry_lon_deg: np.ndarray
    entry_speed_m_s: np.ndarray
    entry_fpa_deg: np.ndarray
    entry_heading_deg: np.ndarray
    density_scale_low: np.ndarray
    density_scale_high: np.ndarray
    drag_scale: np.ndarray
    lift_to_drag_scale: np.ndarray
    entry_mass_offset_kg: np.ndarray
    chute_drag_scale: np.ndarray
    thrust_scale: np.ndarray
    wind_east_m_s: np.ndarray
    wind_north_m_s: np.ndarray
    nav_error_east_m: np.ndarray
    nav_error_north_m: np.ndarray
    nav_error_up_m: np.ndarray
    # Where the powered descent diverts to, in the target's ENU frame (0, 0: the mission's target;
    # Safe Target Selection, edlcam.gnc, sets another), or with ``divert_from_navigated`` = 1 from
    # the navigated position at the divert (the Monte Carlo's: the target selected near it).
    divert_target_east_m: np.ndarray | None = None
    divert_target_north_m: np.ndarray | None = None
    divert_from_navigated: np.ndarray | None = None
    # The wind profile's nodes (east, north) at the heights [montecarlo.wind] heights_m, added to
    # the constant wind above (all zero: the constant wind alone).
    wind_e0_m_s: np.ndarray | None = None
    wind_e1_m_s: np.ndarray | None = None
    wind_e2_m_s: np.ndarray | None = None
    wind_e3_m_s: np.ndarray | None = None
    wind_e4_m_s: np.ndarray | None = None
    wind_n0_m_s: np.ndarray | None = None
    wind_n1_m_s: np.ndarray | None = None
    wind_n2_m_s: np.ndarray | None = None
    wind_n3_m_s: np.ndarray | None = None
    wind_n4_m_s: np.ndarray | None = None
    # Entry navigation (edlcam.flight.kernel.navigation): knowledge errors at entry interface and
    # the IMU's error per m/s of speed lost, ENU (all zero: the guidance flies on the true state).
    nav_ei_east_m: np.ndarray | None = None
    nav_ei_north_m: np.ndarray | None = None
    nav_ei_ve_m_s: np.ndarray | None = None
    nav_ei_vn_m_s: np.ndarray | None = None
    nav_ei_vu_m_s: np.ndarray | None = None
    nav_imu_e: np.ndarray | None = None
    nav_imu_n: np.ndarray | None = None
    nav_imu_u: np.ndarray | None = None
    # The atmosphere's density perturbation profile (edlcam.flight.kernel.dynamics): relative
    # perturbations at the heights [montecarlo.density_profile] heights_m, on top of the density
    # scales (all zero: the scales alone).
    density_d0: np.ndarray | None = None
    density_d1: np.ndarray | None = None
    density_d2: np.ndarray | None = None
    density_d3: np.ndarray | None = None
    density_d4: np.ndarray | None = None

    def __post_init__(self):
        n = np.asarray(self.entry_speed_m_s).shape[0]
        for f in fields(self):
            if getattr(self, f.name) is None:
                object.__setattr__(self, f.name, np.zeros(n))

    @property
    def n(self) -> int:
        return int(np.asarray(self.entry_speed_m_s).shape[0])

    @classmethod
    def nominal(cls, mission, n: int = 1) -> "CaseInputs":
        e = mission.entry
        a = mission.atmosphere
        nav = mission.guidance.navigation_position_error_m
        full = lambda x: np.full(n, float(x))  # noqa: E731
        return cls(
            entry_altitude_m=full(e.altitude_m),
            entry_lat_deg=full(e.latitude_deg),
            entry_lon_deg=full(e.longitude_deg),
            entry_speed_m_s=full(e.speed_m_s),
            entry_fpa_deg=full(e.flight_path_angle_deg),
            entry_heading_deg=full(e.heading_deg),
            density_scale_low=full(a.density_scale_low),
            density_scale_high=full(a.density_scale_high),
            drag_scale=full(1.0),
            lift_to_drag_scale=full(1.0),
            entry_mass_offset_kg=full(0.0),
            chute_drag_scale=full(1.0),
            thrust_scale=full(1.0),
            wind_east_m_s=full(0.0),
            wind_north_m_s=full(0.0),
            nav_error_east_m=full(nav[0]),
            nav_error_north_m=full(nav[1]),
            nav_error_up_m=full(nav[2]),
            divert_target_east_m=full(0.0),
            divert_target_north_m=full(0.0),
        )


@dataclass
class FlightResult:
    """Outcome of :func:`fly` for a batch of N trajectories."""

    n: int
    status: np.ndarray  # (N,) str: landed, hard_landing, fuel_out, deploy_out_of_box, skip_out, crash, timeout
    reason: list[str]
    events: dict[str, dict[str, np.ndarray]]  # name → field → (N,) (NaN where it did not happen)
    touchdown_vertical_speed_m_s: np.ndarray
    touchdown_horizontal_speed_m_s: np.ndarray
    miss_distance_m: np.ndarray
    propellant_used_kg: np.ndarray
    deploy_in_box: np.ndarray
    record: dict[str, np.ndarray] | None = None  # column → (T, N) when recorded
    steps: np.ndarray | None = None  # (N,) integration steps each case flew


def _trigger_value(mission) -> float:
    """The value the parachute's trigger fires at ([parachute]; the range trigger's is
    ``deploy_range``): m/s, Mach or Pa. The mission's validation makes sure it is given."""
    from edlcam.config.sequence import TRIGGER_PARAMETER

    trigger = mission.sequence.parachute_trigger
    return 0.0 if trigger == "range" else float(getattr(mission.parachute, TRIGGER_PARAMETER[trigger]))


def kernel_inputs(mission, terrain, reference=None):
    """What :mod:`edlcam.flight.kernel` needs from the mission: the parameters, the vehicle's
    aerodynamic tables, the entry guidance's reference table and the terrain's tables."""
    planet = Planet.from_mission(mission)
    ell = Ellipsoid(planet.equatorial_radius_m, planet.polar_radius_m)
    veh = Vehicle.from_mission(mission)
    guid = G.EntryGuidance.from_mission(mission, reference)
    atm = Atmosphere.from_mission(mission)
    pc, pd, gc, sim, seq = mission.parachute, mission.powered_descent, mission.guidance, mission.simulation, mission.sequence
    tgt_lat, tgt_lon = mission.target.latitude_deg, mission.target.longitude_deg
    basis = enu_basis(tgt_lat, tgt_lon)  # rows: east, north, up
    target_up = float(terrain.surface_up_m(0.0, 0.0))
    density_h = mission.montecarlo.density_profile.heights_m  # above the target's ground: to MOLA altitudes below
    origin = geodetic_to_cartesian(tgt_lat, tgt_lon, 0.0, ellipsoid=ell)
    t_tail = float(atm.temperature_k(atm.tail_altitude_m))
    params = K.KernelParams(
        gm=planet.gm_m3_s2, radius_eq=planet.equatorial_radius_m, j2=planet.j2, omega=planet.rotation_rate_rad_s,
        ell_a=ell.a, ell_b=ell.b, ell_e2=ell.e2, ell_ep2=ell.ep2, g_surface=mission.planet.surface_gravity_m_s2,
        atm_p0=atm.surface_pressure_pa, atm_r=atm.gas_constant_j_kg_k, atm_gamma=atm.gamma, atm_tail_m=atm.tail_altitude_m,
        atm_t_tail_k=t_tail, atm_r_tail_m=atm.planet_radius_m + atm.tail_altitude_m, atm_planet_radius_m=atm.planet_radius_m,
        atm_tail_k=atm.gm_m3_s2 / (atm.gas_constant_j_kg_k * t_tail), atm_split_m=atm.density_split_altitude_m,
        entry_mass=veh.entry_mass_kg, balance_mass=veh.balance_mass_kg, heatshield_mass=veh.heatshield_mass_kg,
        backshell_mass=veh.backshell_mass_kg, propellant_mass=veh.propellant_mass_kg, ref_area=veh.reference_area_m2,
        backshell_cd=veh.backshell_cd, ds_cda=veh.descent_stage_cda_m2, chute_area=veh.chute_area_m2,
        chute_inflation_s=veh.chute_inflation_s, chute_peak_ratio=veh.chute_peak_ratio,
        chute_settle_s=veh.chute_settle_s, max_thrust=veh.max_thrust_n, exhaust_speed=veh.exhaust_speed_m_s,
        min_throttle=veh.min_throttle, nose_radius=veh.nose_radius_m,
        prebank=guid.prebank_rad, rc_drag=guid.range_control_drag_m_s2, overcontrol=guid.overcontrol_gain,
        ha_speed=guid.heading_alignment_speed_m_s, ha_gain=guid.heading_alignment_gain,
        ha_max_bank=guid.heading_alignment_max_bank_rad, db_low=guid.deadband_low_m, db_high=guid.deadband_high_m,
        db_speed=guid.deadband_reference_speed_m_s, sufr_bank=guid.sufr_bank_rad,
        bank_rate_lim=math.radians(gc.bank_rate_limit_deg_s), bank_acc_lim=math.radians(gc.bank_acceleration_limit_deg_s2),
        sufr_lead_s=gc.sufr_lead_s, sufr_max_s=gc.sufr_max_duration_s,
        entry_guided=1.0 if mission.sequence.entry == "guided" else 0.0,
        deploy_trigger=TRIGGER_CODES[mission.sequence.parachute_trigger], deploy_value=_trigger_value(mission),
        legs=LEGS_CODES[seq.leg_deployment], legs_delay_s=pc.leg_deployment_delay_s or 0.0,
        pulsed=ENGINE_CODES[seq.powered_descent],
        pulse_levels=round(pd.pulse_period_s / pd.min_pulse_s) if seq.powered_descent == "pulsed" else 1.0,
        terminal_legs=TERMINAL_CODES[seq.terminal_descent],
        deploy_range=pc.deploy_range_to_target_km * 1e3, mach_min=pc.deploy_mach_min, mach_max=pc.deploy_mach_max,
        q_min=pc.deploy_dynamic_pressure_min_pa, q_max=pc.deploy_dynamic_pressure_max_pa,
        hs_delay_s=pc.heatshield_separation_delay_s, hs_mach_max=pc.heatshield_separation_mach_max,
        radar_height=pd.radar_acquisition_height_m, bs_height=pd.backshell_separation_height_m, free_fall_s=pd.free_fall_s, cv_speed=pd.constant_velocity_m_s,
        max_divert=pd.max_divert_m, app_end_height=pd.approach_end_height_m, app_thrust_frac=pd.approach_max_thrust_fraction,
        app_duration_s=pd.approach_duration_s, dec_height=pd.deceleration_start_height_m, sky_height=pd.skycrane_height_m,
        sky_speed=pd.skycrane_speed_m_s, bridle_length=pd.bridle_length_m, bridle_payout_s=pd.bridle_payout_s,
        tgt_lat_deg=tgt_lat, tgt_lon_deg=tgt_lon,
        e_x=basis[0, 0], e_y=basis[0, 1], e_z=basis[0, 2], n_x=basis[1, 0], n_y=basis[1, 1], n_z=basis[1, 2],
        u_x=basis[2, 0], u_y=basis[2, 1], u_z=basis[2, 2], o_x=origin[0], o_y=origin[1], o_z=origin[2],
        target_up=target_up,
        **{f"wind_h{k}": h for k, h in enumerate(mission.montecarlo.wind.heights_m)},
        **{f"density_h{k}": target_up + h for k, h in enumerate(density_h)},
        **{f"density_dh{k}": b - a for k, (a, b) in enumerate(zip(density_h, density_h[1:]))},
        dt_fine=sim.step_s, dt_entry=sim.entry_step_s, dt_guidance=sim.entry_guidance_cycle_s, dt_bank=sim.bank_control_cycle_s, dt_chute=sim.parachute_step_s, dt_powered=sim.powered_step_s,
        chute_fine_s=sim.parachute_fine_s,
        max_duration_s=sim.max_duration_s, max_iterations=float(int(math.ceil(sim.max_duration_s / sim.step_s)) + 10),
    )  # fmt: skip
    params = K.KernelParams(*(float(x) for x in params))
    # The Mach tables as tuples: values, not memory, so the kernel's lane loops can select from them.
    aero = tuple(
        tuple(float(x) for x in np.asarray(col, float))
        for col in (veh.aero_mach, veh.aero_cd, veh.aero_lod, veh.chute_mach, veh.chute_cd_table)
    )
    r = guid.reference
    ref = np.ascontiguousarray(
        np.stack([r.speed_m_s, r.range_to_go_m, r.drag_m_s2, r.hdot_m_s, r.lod_vertical, r.f1, r.f2, r.f3]), dtype=float
    )
    return params, aero, ref, terrain.kernel_tables()


def fly(mission, *, cases: CaseInputs | None = None, terrain=None, reference=None, record: bool = False, progress=None) -> FlightResult:
    """Fly every case of ``cases`` (default: the nominal mission, N = 1) to touchdown.

    ``terrain`` is an :class:`edlcam.mars.terrain.Terrain` (built from the mission when None);
    ``record`` keeps every step (for ``edlcam simulate``; N must be 1); ``progress`` is called as
    ``progress(t_s, n_done)`` after each case with the simulated time it ended at.
    """
    if cases is None:
        cases = CaseInputs.nominal(mission)
    if terrain is None:
        from edlcam.mars.terrain import Terrain

        terrain = Terrain.from_mission(mission)
    n = cases.n
    if record and n != 1:
        raise ValueError(f"fly(record=True) records one trajectory, not {n}")
    params, aero, ref, tables = kernel_inputs(mission, terrain, reference)
    inputs = np.ascontiguousarray(np.stack([np.asarray(getattr(cases, f), float) for f in K.CASE_FIELDS], axis=1))
    events = np.full((n, K.N_EVENTS, K.N_EVENT_FIELDS), np.nan)
    summary = np.zeros((n, len(K.SUMMARY_FIELDS)))
    rec_cols = None
    if record:
        buf = np.zeros((int(params.max_iterations), len(K.RECORD_COLUMNS)))
        rows = K.fly_recorded(inputs[0], params, aero, ref, tables, events[0], summary[0], buf)
        rec_cols = {name: buf[:rows, j : j + 1].copy() for j, name in enumerate(K.RECORD_COLUMNS)}
        if progress is not None:
            progress(float(summary[0, S_T_END]), 1)
    elif progress is None:
        K.fly_cases(inputs, params, aero, ref, tables, events, summary)
    else:
        chunk = 512  # report between chunks (≈ 0.15 s): the kernel runs without the interpreter
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            K.fly_cases(inputs[a:b], params, aero, ref, tables, events[a:b], summary[a:b])
            progress(float(summary[a:b, S_T_END].max()), b)
    return _result(mission, params, events, summary, rec_cols, cases)


def _hard_landing_cause(events, i, params, cases) -> str:
    """What made case ``i``'s landing hard, from its events: the sky crane started away from its
    height (the descent's altitude knowledge: the rover meets the ground while the bridles still
    pay out), a divert target beyond the powered descent's reach, or neither (the terminal
    descent itself)."""
    sky = events["skycrane_start"]
    h = sky["height_agl_m"][i]
    if np.isfinite(h) and abs(h - params.sky_height) > 0.25 * params.sky_height:
        return (
            f"the sky crane started {h:.1f} m above the ground instead of {params.sky_height:.0f} m (the descent's "
            f"altitude knowledge read {params.sky_height - h:+.1f} m): the rover met the ground while the bridles still paid out"
        )
    bs = events["backshell_separation"]
    from_nav = float(np.asarray(cases.divert_from_navigated)[i])
    to_e = float(np.asarray(cases.divert_target_east_m)[i]) + from_nav * bs["east_m"][i] - bs["east_m"][i]
    to_n = float(np.asarray(cases.divert_target_north_m)[i]) + from_nav * bs["north_m"][i] - bs["north_m"][i]
    if math.hypot(to_e, to_n) > params.max_divert:
        dep = events["parachute_deploy"]
        dep_km = math.hypot(dep["east_m"][i], dep["north_m"][i]) / 1e3
        bs_km = math.hypot(bs["east_m"][i], bs["north_m"][i]) / 1e3
        return (
            f"parachute deployed {dep_km:.1f} km and the backshell separated {bs_km:.1f} km from the target: "
            f"beyond what the powered descent can divert"
        )
    if not np.isfinite(h):
        return "the descent reached the ground before the sky crane started"
    return f"the sky crane started at {h:.1f} m as planned; the terminal descent did not slow the rover enough"


def _result(mission, params, events_arr, summary, record, cases) -> FlightResult:
    """The kernel's arrays as a :class:`FlightResult`, with each failure's status and reason."""
    n = summary.shape[0]
    names = EVENT_NAMES + MINOR_EVENT_NAMES
    events = {name: {f: events_arr[:, k, j].copy() for j, f in enumerate(_EVENT_FIELDS)} for k, name in enumerate(names)}
    status = np.array([K.STATUS_CODES[int(c)] for c in summary[:, S_STATUS]], dtype=object)
    reason = [""] * n
    t_r, alt_r, spd_r, hagl_r = (summary[:, j] for j in (S_REASON_T, S_REASON_ALT, S_REASON_SPEED, S_REASON_HAGL))
    for i in np.flatnonzero(status != ""):
        kind = status[i]
        if kind in ("skip_out", "crash"):
            what = "skipped out of the atmosphere" if kind == "skip_out" else "hit the ground before backshell separation"
            reason[i] = f"{what} at E+{t_r[i]:.1f} s ({alt_r[i] / 1e3:.1f} km altitude, {spd_r[i]:.0f} m/s)"
        elif kind == "fuel_out":
            reason[i] = f"propellant exhausted at E+{t_r[i]:.1f} s, {hagl_r[i]:.0f} m above ground"
        else:
            reason[i] = f"still flying at E+{t_r[i]:.0f} s ([simulation] max_duration_s); the landing never happened"
    td_vs, td_hs = summary[:, S_TD_VS], summary[:, S_TD_HS]
    deploy_in_box = summary[:, S_IN_BOX] > 0.5
    landed = np.isfinite(events["touchdown"]["t_s"])
    miss = np.hypot(events["touchdown"]["east_m"], events["touchdown"]["north_m"])
    from edlcam.config.sequence import TOUCHDOWN_LIMITS_M_S

    max_vs, max_hs = TOUCHDOWN_LIMITS_M_S[mission.sequence.touchdown]
    legs_t = events["leg_deployment"]["t_s"]
    for i in np.flatnonzero(landed & (status == "")):
        if mission.sequence.terminal_descent == "legs" and not legs_t[i] <= events["touchdown"]["t_s"][i]:
            status[i] = "crash"
            reason[i] = (f"touched down at E+{events['touchdown']['t_s'][i]:.1f} s before the legs deployed "
                         "([parachute] leg_deployment_delay_s after heat-shield separation)")
        elif td_vs[i] > max_vs or td_hs[i] > max_hs:
            status[i] = "hard_landing"
            reason[i] = (
                f"hard landing at E+{events['touchdown']['t_s'][i]:.1f} s: {td_vs[i]:.1f} m/s vertical, {td_hs[i]:.1f} m/s horizontal, "
                f"{miss[i] / 1e3:.2f} km from the target: {_hard_landing_cause(events, i, params, cases)}"
            )
        elif not deploy_in_box[i]:
            status[i] = "deploy_out_of_box"
            ev = events["parachute_deploy"]
            reason[i] = f"parachute deployed at Mach {ev['mach'][i]:.2f}, {ev['dynamic_pressure_pa'][i]:.0f} Pa, outside the box"
        else:
            status[i] = "landed"
    return FlightResult(
        n=n,
        status=status.astype(str),
        reason=reason,
        events=events,
        touchdown_vertical_speed_m_s=td_vs.copy(),
        touchdown_horizontal_speed_m_s=td_hs.copy(),
        miss_distance_m=np.where(landed, miss, np.nan),
        propellant_used_kg=params.propellant_mass - summary[:, S_PROPELLANT],
        deploy_in_box=deploy_in_box,
        record=record,
        steps=summary[:, S_STEPS].astype(np.int64),
    )
