"""The EDL sequencer: flies a batch of trajectories from entry interface to touchdown.

Every trajectory of the batch steps together (fixed-step RK4, ``[simulation] step_s``); each
carries its own phase, so one code path flies the nominal case or thousands of dispersed ones.
Controls are held over a step (zero-order hold, as a flight computer's guidance cycle does).

Phases and what ends them::

    ENTRY       guided lifting entry (ETPC: pre-bank, range control, heading alignment, SUFR)
                → Range Trigger inside the Mach / dynamic-pressure box: parachute deploy
    PARACHUTE   disk-gap-band inflating over ≈0.45 s; heat shield off after the delay (Mach < max)
                → height above ground ≤ planned height (radar): backshell separation
    FREEFALL    descent stage and rover fall clear of the backshell, engines warming
    APPROACH    E-guidance to a point above the target (module :mod:`edlcam.flight.powered`)
    CONSTANT_V  constant-velocity descent
    DECEL       constant deceleration to the sky-crane speed
    SKYCRANE    rover lowered on the bridles while descending at constant speed
    LANDED      wheels on the ground (touchdown)
    FAILED      skip-out, crash before deploy, or out of time
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edlcam.flight import guidance as G
from edlcam.flight.events import EVENT_NAMES, MINOR_EVENT_NAMES
from edlcam.flight.dynamics import Planet, inertial_accelerations, rk4_step, unit
from edlcam.flight.powered import (
    bridle_length_m,
    bridle_rate_m_s,
    choose_time_to_go,
    e_guidance_acceleration,
    track_velocity,
)
from edlcam.flight.vehicle import Vehicle
from edlcam.mars.atmosphere import Atmosphere
from edlcam.mars.frames import (
    Ellipsoid,
    bearing_rad,
    cartesian_to_geodetic,
    destination_point,
    enu_basis,
    geodetic_to_cartesian,
    great_circle_range_m,
)

__all__ = [
    "CaseInputs",
    "ForceModel",
    "FlightResult",
    "fly",
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

ENTRY, PARACHUTE, FREEFALL, APPROACH, CONSTANT_V, DECEL, SKYCRANE, LANDED, FAILED = range(9)
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


EARTH_G = 9.80665  # m/s², standard gravity, for sensed deceleration in Earth g
SUTTON_GRAVES_MARS = 1.9027e-4  # kg^0.5/m, Sutton & Graves (1971) constant for Mars CO2/N2 (SI)
RADAR_ACQUISITION_HEIGHT_M = 6000.0  # est.: M2020 radar locks on ≈ E+290, a few km above ground
_EVENT_FIELDS = (
    "t_s",
    "altitude_m",
    "height_agl_m",
    "speed_m_s",
    "mach",
    "dynamic_pressure_pa",
    "lat_deg",
    "lon_deg",
    "east_m",
    "north_m",
    "up_m",
    "ve_m_s",
    "vn_m_s",
    "vu_m_s",
    "mass_kg",
)


@dataclass(frozen=True)
class ForceModel:
    """The forces on the flying stack, for a batch: aerodynamics of each configuration (capsule
    with trim lift, capsule or backshell under the inflating canopy, descent stage), thrust, and
    gravity with the rotating-frame terms. ``ctx`` carries the controls held over a step:
    ``phase``, ``t_deploy``, ``heatshield_on``, ``bank``, ``lift_on``, ``thrust_acc`` (N,3)."""

    vehicle: Vehicle
    atmosphere: Atmosphere
    planet: Planet
    ellipsoid: Ellipsoid
    wind_m_s: np.ndarray  # (N,3) planet-fixed
    drag_scale: np.ndarray
    lift_to_drag_scale: np.ndarray
    chute_drag_scale: np.ndarray

    def aero_thrust(self, t, r, v, m, ctx):
        """Non-gravitational acceleration (aero + thrust) [m/s²], mass rate [kg/s], and the
        atmosphere, Mach, dynamic pressure and air speed at ``r``."""
        veh = self.vehicle
        lat, lon, alt = cartesian_to_geodetic(r, ellipsoid=self.ellipsoid)
        st = self.atmosphere.state(alt)
        v_air = v - self.wind_m_s
        speed = np.linalg.norm(v_air, axis=-1)
        vhat = v_air / np.maximum(speed, 1e-9)[:, None]
        mach = speed / st.speed_of_sound_m_s
        q = 0.5 * st.density_kg_m3 * speed * speed
        cd_a = np.where(
            ctx["heatshield_on"], veh.capsule_cd(mach) * veh.reference_area_m2, veh.backshell_cd * veh.reference_area_m2
        ) * self.drag_scale
        in_entry = ctx["phase"] == ENTRY
        in_chute = ctx["phase"] == PARACHUTE
        powered = (ctx["phase"] >= FREEFALL) & (ctx["phase"] <= SKYCRANE)
        chute_cda = (
            veh.chute_cd(mach) * veh.chute_area_m2 * self.chute_drag_scale * veh.chute_inflated_fraction(t - ctx["t_deploy"])
        )
        cda = np.where(in_entry, cd_a, np.where(in_chute, cd_a + np.nan_to_num(chute_cda), veh.descent_stage_cda_m2))
        drag = (q * cda / m)[:, None] * (-vhat)
        # Lift: the "lift-up" direction (radial, normal to v) rotated about v by the bank angle.
        radial = unit(r)
        up_perp = unit(radial - np.sum(radial * vhat, axis=-1, keepdims=True) * vhat)
        right = np.cross(vhat, up_perp)
        lift_dir = np.cos(ctx["bank"])[:, None] * up_perp + np.sin(ctx["bank"])[:, None] * right
        lod = veh.capsule_lod(mach) * self.lift_to_drag_scale * ctx["lift_on"]
        lift = np.where(in_entry[:, None], (q * cda / m * lod)[:, None] * lift_dir, 0.0)
        thrust = np.where(powered[:, None], ctx["thrust_acc"], 0.0)
        mdot = -np.linalg.norm(thrust, axis=-1) * m / veh.exhaust_speed_m_s
        frozen = ctx["phase"] >= LANDED
        acc = np.where(frozen[:, None], 0.0, drag + lift + thrust)
        return acc, np.where(frozen, 0.0, mdot), st, mach, q, speed

    def derivative(self, t, r, v, m, ctx):
        """(ṙ, v̇, ṁ) of the equations of motion (:mod:`edlcam.flight.dynamics`)."""
        acc, mdot, *_ = self.aero_thrust(t, r, v, m, ctx)
        a = inertial_accelerations(r, v, self.planet) + acc
        frozen = (ctx["phase"] >= LANDED)[:, None]
        return np.where(frozen, 0.0, v), np.where(frozen, 0.0, a), mdot


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


def _wrap_pi(x):
    return (x + np.pi) % (2.0 * np.pi) - np.pi


def _rows_times(a, matrix):
    """``a @ matrix`` for a batch of row vectors ``a`` (N,3), one row at a time.

    A plain (N,3) @ (3,3) goes to BLAS, whose kernels round differently for one row and for many
    (FMA and blocking depend on N), so a trajectory's result would depend on the batch it flies
    in. The stacked form (N,1,3) @ (3,3) multiplies each row on its own, bit-identical to the
    one-row product whatever N is (checked in tests/flight/test_montecarlo_run.py).
    """
    return (a[:, None, :] @ matrix)[:, 0, :]


def fly(mission, *, cases: CaseInputs | None = None, terrain=None, reference=None, record: bool = False, progress=None) -> FlightResult:
    """Fly every case of ``cases`` (default: the nominal mission, N = 1) to touchdown.

    ``terrain`` is an :class:`edlcam.mars.terrain.Terrain` (built from the mission when None);
    ``record`` keeps every output step (for ``edlcam simulate``; not for large batches);
    ``progress`` is called as ``progress(t_s, n_done)`` every simulated second.
    """
    if cases is None:
        cases = CaseInputs.nominal(mission)
    if terrain is None:
        from edlcam.mars.terrain import Terrain

        terrain = Terrain.from_mission(mission)
    n = cases.n
    planet = Planet.from_mission(mission)
    ell = Ellipsoid(planet.equatorial_radius_m, planet.polar_radius_m)
    veh = Vehicle.from_mission(mission)
    guid = G.EntryGuidance.from_mission(mission, reference)
    pc, pd, gc, sim = mission.parachute, mission.powered_descent, mission.guidance, mission.simulation
    atm = Atmosphere.from_mission(
        mission, density_scale_low=cases.density_scale_low, density_scale_high=cases.density_scale_high
    )
    # Integration step per trajectory, by phase: the guidance cycle in entry, fine steps through
    # canopy inflation and powered flight (controls at 20 Hz), coarser under the open canopy.
    fine_dt, entry_dt, chute_dt = sim.step_s, sim.entry_step_s, sim.parachute_step_s

    # Target frame.
    tgt_lat, tgt_lon = mission.target.latitude_deg, mission.target.longitude_deg
    basis = enu_basis(tgt_lat, tgt_lon)  # rows: east, north, up
    origin = geodetic_to_cartesian(tgt_lat, tgt_lon, 0.0, ellipsoid=ell)
    target_alt = float(terrain.target_altitude_m)
    target_up = float(terrain.surface_up_m(0.0, 0.0))

    # Initial state.
    r = geodetic_to_cartesian(cases.entry_lat_deg, cases.entry_lon_deg, cases.entry_altitude_m, ellipsoid=ell)
    loc = enu_basis(cases.entry_lat_deg, cases.entry_lon_deg)
    fpa = np.radians(cases.entry_fpa_deg)
    hdg = np.radians(cases.entry_heading_deg)
    v_loc = np.stack([np.cos(fpa) * np.sin(hdg), np.cos(fpa) * np.cos(hdg), np.sin(fpa)], axis=-1)
    v = cases.entry_speed_m_s[:, None] * np.einsum("nij,ni->nj", loc, v_loc)
    m = veh.entry_mass_kg + cases.entry_mass_offset_kg
    wind_enu = np.stack([cases.wind_east_m_s, cases.wind_north_m_s, np.zeros(n)], axis=-1)
    wind = _rows_times(wind_enu, basis)  # to planet-fixed (constant-direction approximation near the target)
    nav_err = np.stack([cases.nav_error_east_m, cases.nav_error_north_m, cases.nav_error_up_m], axis=-1)

    phase = np.full(n, ENTRY)
    mode = np.full(n, G.PREBANK)
    bank = np.zeros(n)
    bank_rate = np.zeros(n)
    bank_sign = np.ones(n)
    lift_on = np.ones(n)
    heatshield_on = np.ones(n, dtype=bool)
    t_phase = np.zeros(n)  # time the current phase began
    t_deploy = np.full(n, np.nan)
    t_sufr = np.full(n, np.nan)
    t_sky = np.full(n, np.nan)
    t_go = np.full(n, np.nan)
    aim = np.zeros((n, 2))  # landing point chosen at powered-descent start (target ENU, m)
    aim_up = np.full(n, target_up)
    thrust_acc_enu = np.zeros((n, 3))
    propellant = np.full(n, veh.propellant_mass_kg)
    status = np.array([""] * n, dtype=object)
    reason = [""] * n
    deploy_in_box = np.ones(n, dtype=bool)
    peak_heat = np.full(n, -1.0)
    peak_decel = np.full(n, -1.0)

    events = {name: {f: np.full(n, np.nan) for f in _EVENT_FIELDS} for name in EVENT_NAMES + MINOR_EVENT_NAMES}
    rec: dict[str, list] | None = {} if record else None
    td_vs = np.full(n, np.nan)
    td_hs = np.full(n, np.nan)

    rate_lim = math.radians(gc.bank_rate_limit_deg_s)
    acc_lim = math.radians(gc.bank_acceleration_limit_deg_s2)
    deploy_range = pc.deploy_range_to_target_km * 1e3
    g_surface = mission.planet.surface_gravity_m_s2
    max_thrust = veh.max_thrust_n * cases.thrust_scale
    min_thrust = veh.min_throttle * max_thrust

    def nav(r, v):
        lat, lon, alt = cartesian_to_geodetic(r, ellipsoid=ell)
        p = _rows_times(r - origin, basis.T)
        ve = _rows_times(v, basis.T)
        return lat, lon, alt, p, ve

    model = ForceModel(
        vehicle=veh, atmosphere=atm, planet=planet, ellipsoid=ell, wind_m_s=wind,
        drag_scale=cases.drag_scale, lift_to_drag_scale=cases.lift_to_drag_scale, chute_drag_scale=cases.chute_drag_scale,
    )
    forces = model.aero_thrust

    def deriv(t, r, v, m, ctx):
        return model.derivative(t, r, v, m, ctx)

    def mark(name, mask, t, q_now):
        ev = events[name]
        new = mask & np.isnan(ev["t_s"])
        if not new.any():
            return new
        vals = dict(
            t_s=t,
            altitude_m=alt,
            height_agl_m=hagl,
            speed_m_s=speed,
            mach=mach,
            dynamic_pressure_pa=q_now,
            lat_deg=lat,
            lon_deg=lon,
            east_m=p[:, 0],
            north_m=p[:, 1],
            up_m=p[:, 2],
            ve_m_s=ve[:, 0],
            vn_m_s=ve[:, 1],
            vu_m_s=ve[:, 2],
            mass_kg=m,
        )
        for f in _EVENT_FIELDS:
            ev[f][new] = vals[f][new]
        return new

    def step_for(phase, t, t_deploy):
        chute_fine = (phase == PARACHUTE) & ~(t - t_deploy > sim.parachute_fine_s)
        return np.where(phase == ENTRY, entry_dt, np.where((phase == PARACHUTE) & ~chute_fine, chute_dt, fine_dt))

    t = np.zeros(n)
    next_report = 1.0
    max_iterations = int(math.ceil(sim.max_duration_s / fine_dt)) + 10
    for _iteration in range(max_iterations):
        dt = step_for(phase, t, t_deploy)
        lat, lon, alt, p, ve = nav(r, v)
        ground = terrain.altitude_m(p[:, 0], p[:, 1])
        hagl = alt - ground
        st = atm.state(alt)
        v_air = v - wind
        speed = np.linalg.norm(v, axis=-1)
        air_speed = np.linalg.norm(v_air, axis=-1)
        mach = air_speed / st.speed_of_sound_m_s
        q = 0.5 * st.density_kg_m3 * air_speed**2
        active = phase < LANDED

        # Sensed acceleration and heating (for events and guidance).
        ctx = dict(phase=phase, t_deploy=t_deploy, heatshield_on=heatshield_on, bank=bank, lift_on=lift_on, thrust_acc=_rows_times(thrust_acc_enu, basis))
        acc_sensed, _, _, _, _, _ = forces(t, r, v, m, ctx)
        decel = np.linalg.norm(acc_sensed, axis=-1)
        heat = SUTTON_GRAVES_MARS * np.sqrt(st.density_kg_m3 / veh.nose_radius_m) * air_speed**3
        if _iteration == 0:
            mark("entry_interface", t == 0.0, t, q)
        in_entry = phase == ENTRY
        better = in_entry & (heat > peak_heat)
        peak_heat = np.where(better, heat, peak_heat)
        if better.any():
            events["peak_heating"]["t_s"][better] = np.nan
            mark("peak_heating", better, t, q)
        better = (phase <= PARACHUTE) & (decel > peak_decel) & (np.isnan(t_deploy))
        peak_decel = np.where(better, decel, peak_decel)
        if better.any():
            events["peak_deceleration"]["t_s"][better] = np.nan
            mark("peak_deceleration", better, t, q)

        # ---------- failures ----------
        skip = in_entry & (alt > cases.entry_altitude_m + 1000.0) & (t > 20.0)
        crash = (phase <= PARACHUTE) & (hagl <= 0.0)
        for mask, kind, what in ((skip, "skip_out", "skipped out of the atmosphere"), (crash, "crash", "hit the ground before backshell separation")):
            for i in np.flatnonzero(mask & active):
                status[i] = kind
                reason[i] = f"{what} at E+{t[i]:.1f} s ({alt[i] / 1e3:.1f} km altitude, {speed[i]:.0f} m/s)"
                phase[i] = FAILED
        active = phase < LANDED

        # ---------- entry guidance ----------
        in_entry = phase == ENTRY
        if in_entry.any():
            lat_loc, lon_loc = lat, lon
            rng = great_circle_range_m(lat_loc, lon_loc, tgt_lat, tgt_lon, radius_m=planet.equatorial_radius_m)
            brg = bearing_rad(lat_loc, lon_loc, tgt_lat, tgt_lon)
            lb = enu_basis(lat_loc, lon_loc)
            v_loc = np.einsum("nij,nj->ni", lb, v)
            heading = np.arctan2(v_loc[:, 0], v_loc[:, 1])
            herr = _wrap_pi(brg - heading)
            xr = planet.equatorial_radius_m * np.arcsin(np.sin(rng / planet.equatorial_radius_m) * np.sin(herr))
            drag_acc = q * veh.capsule_cd(mach) * veh.reference_area_m2 * cases.drag_scale / m
            new_mode = guid.update_mode(mode, speed_m_s=speed, drag_m_s2=drag_acc)
            mark("range_control_start", in_entry & (new_mode == G.RANGE_CONTROL) & (mode == G.PREBANK), t, q)
            mark("heading_alignment_start", in_entry & (new_mode == G.HEADING_ALIGNMENT) & (mode != G.HEADING_ALIGNMENT), t, q)
            mode = np.where(in_entry, new_mode, mode)
            # Range Trigger and SUFR (Way et al.; Nelessen et al. 2019): SUFR begins shortly before
            # the trigger range, deploy when it is reached inside the Mach / q box.
            start_sufr = in_entry & (mode != G.SUFR) & (rng <= deploy_range + air_speed * gc.sufr_lead_s)
            start_sufr |= in_entry & (mode != G.SUFR) & (mach < pc.deploy_mach_min + 0.1)
            if start_sufr.any():
                mark("sufr_start", start_sufr, t, q)
                mark("balance_mass_jettison", start_sufr, t, q)
                mode = np.where(start_sufr, G.SUFR, mode)
                t_sufr = np.where(start_sufr, t, t_sufr)
                m = np.where(start_sufr, m - veh.balance_mass_kg, m)
                lift_on = np.where(start_sufr, 0.0, lift_on)
            bank_cmd, bank_sign = guid.bank_command(
                mode,
                bank_sign,
                speed_m_s=speed,
                drag_m_s2=drag_acc,
                hdot_m_s=v_loc[:, 2],  # local vertical rate, not the target frame's up
                range_to_go_m=rng - deploy_range,
                crossrange_m=xr,
                heading_error_rad=herr,
                lod=veh.capsule_lod(mach) * cases.lift_to_drag_scale,
            )
            # Bank actuator: time-optimal tracking under rate and acceleration limits.
            err = _wrap_pi(bank_cmd - bank)
            want = np.sign(err) * np.minimum(rate_lim, np.sqrt(2.0 * acc_lim * np.abs(err)))
            bank_rate_new = bank_rate + np.clip(want - bank_rate, -acc_lim * dt, acc_lim * dt)
            bank = np.where(in_entry, _wrap_pi(bank + 0.5 * (bank_rate + bank_rate_new) * dt), bank)
            bank_rate = np.where(in_entry, bank_rate_new, bank_rate)

            in_box = (mach >= pc.deploy_mach_min) & (mach <= pc.deploy_mach_max) & (q >= pc.deploy_dynamic_pressure_min_pa) & (
                q <= pc.deploy_dynamic_pressure_max_pa
            )
            sufr_done = np.abs(bank - gc.sufr_bank_deg * math.pi / 180.0) < math.radians(5.0)
            trigger = in_entry & (mode == G.SUFR) & (rng <= deploy_range) & (mach <= pc.deploy_mach_max) & (
                q <= pc.deploy_dynamic_pressure_max_pa
            ) & sufr_done
            late = in_entry & (mode == G.SUFR) & ((t - t_sufr >= gc.sufr_max_duration_s) | (mach < pc.deploy_mach_min))
            deploy = trigger | late
            if deploy.any():
                mark("parachute_deploy", deploy, t, q)
                mark("mortar_fire", deploy, t, q)
                deploy_in_box = np.where(deploy, in_box, deploy_in_box)
                t_deploy = np.where(deploy, t, t_deploy)
                phase = np.where(deploy, PARACHUTE, phase)
                t_phase = np.where(deploy, t, t_phase)

        # ---------- parachute ----------
        in_chute = phase == PARACHUTE
        if in_chute.any():
            hs = in_chute & heatshield_on & (t - t_deploy >= pc.heatshield_separation_delay_s) & (mach <= pc.heatshield_separation_mach_max)
            if hs.any():
                mark("heatshield_separation", hs, t, q)
                heatshield_on = np.where(hs, False, heatshield_on)
                m = np.where(hs, m - veh.heatshield_mass_kg, m)
            mark("radar_lock", in_chute & ~heatshield_on & (hagl <= RADAR_ACQUISITION_HEIGHT_M), t, q)
            bs = in_chute & ~heatshield_on & (hagl <= pd.backshell_separation_height_m)
            if bs.any():
                mark("backshell_separation", bs, t, q)
                m = np.where(bs, m - veh.backshell_mass_kg, m)
                phase = np.where(bs, FREEFALL, phase)
                t_phase = np.where(bs, t, t_phase)

        # ---------- powered descent ----------
        powered = (phase >= FREEFALL) & (phase <= SKYCRANE)
        if powered.any():
            pn = p + nav_err  # navigated position
            ground_up = terrain.surface_up_m(p[:, 0], p[:, 1])
            h_nav = pn[:, 2] - ground_up
            g_vec = np.array([0.0, 0.0, -g_surface])
            start = (phase == FREEFALL) & (t - t_phase >= pd.free_fall_s)
            v_f = np.array([0.0, 0.0, -pd.constant_velocity_m_s])
            if start.any():
                mark("powered_descent_start", start, t, q)
                # Terrain-relative navigation picks the landing point: the target if it lies
                # within the divert capability of where the vehicle is, else the reachable point
                # nearest to it (NASA: M2020's LVS could divert up to ≈ 600 m).
                to_target = -pn[:, :2]
                dist = np.hypot(to_target[:, 0], to_target[:, 1])
                shrink = np.minimum(1.0, pd.max_divert_m / np.maximum(dist, 1e-9))
                aim_new = pn[:, :2] + to_target * shrink[:, None]
                aim = np.where(start[:, None], aim_new, aim)
                aim_up[start] = terrain.surface_up_m(aim[start, 0], aim[start, 1])
            r_f = np.concatenate([aim, (aim_up + pd.approach_end_height_m)[:, None]], axis=1)
            if start.any():
                tg = choose_time_to_go(
                    pn, ve, np.broadcast_to(r_f, pn.shape), np.broadcast_to(v_f, pn.shape),
                    gravity_m_s2=g_surface,
                    max_accel_m_s2=pd.approach_max_thrust_fraction * max_thrust / m,
                    preferred_s=pd.approach_duration_s,
                )
                t_go = np.where(start, tg, t_go)
                phase = np.where(start, APPROACH, phase)
                t_phase = np.where(start, t, t_phase)
            done = (phase == APPROACH) & (t_go <= 1.0)
            if done.any():
                mark("constant_velocity_start", done, t, q)
                phase = np.where(done, CONSTANT_V, phase)
            dec = (phase == CONSTANT_V) & (h_nav <= pd.deceleration_start_height_m)
            if dec.any():
                mark("deceleration_start", dec, t, q)
                phase = np.where(dec, DECEL, phase)
            sky = (phase == DECEL) & (h_nav <= pd.skycrane_height_m)
            if sky.any():
                mark("skycrane_start", sky, t, q)
                phase = np.where(sky, SKYCRANE, phase)
                t_sky = np.where(sky, t, t_sky)

            # Commanded acceleration for each powered sub-phase.
            a_app = e_guidance_acceleration(pn, ve, r_f, v_f, t_go)
            hold = np.clip(0.25 * (aim - pn[:, :2]), -3.0, 3.0)  # horizontal position hold above the aim point
            v_cv = np.concatenate([hold, np.full((n, 1), -pd.constant_velocity_m_s)], axis=1)
            a_dec = (pd.constant_velocity_m_s**2 - pd.skycrane_speed_m_s**2) / (
                2.0 * (pd.deceleration_start_height_m - pd.skycrane_height_m)
            )
            vz_dec = -np.sqrt(pd.skycrane_speed_m_s**2 + 2.0 * a_dec * np.maximum(h_nav - pd.skycrane_height_m, 0.0))
            v_dec = np.concatenate([hold, vz_dec[:, None]], axis=1)
            ts = np.nan_to_num(t - t_sky)
            payout = bridle_rate_m_s(ts, length_m=pd.bridle_length_m, payout_s=pd.bridle_payout_s)
            hold_sky = np.clip(0.25 * (aim - pn[:, :2]), -0.3, 0.3)
            v_sky = np.concatenate([hold_sky, (-(pd.skycrane_speed_m_s + payout))[:, None]], axis=1)
            a_cmd = np.select(
                [(phase == APPROACH)[:, None], (phase == CONSTANT_V)[:, None], (phase == DECEL)[:, None], (phase == SKYCRANE)[:, None]],
                [a_app, track_velocity(ve, v_cv), track_velocity(ve, v_dec, a_ff_m_s2=np.array([0, 0, a_dec])), track_velocity(ve, v_sky, gain_per_s=3.0)],
                default=g_vec,  # free fall: no thrust
            )
            thrust = a_cmd - g_vec
            mag = np.linalg.norm(thrust, axis=-1)
            lim_hi = max_thrust / m
            lim_lo = min_thrust / m
            scale = np.clip(mag, lim_lo, lim_hi) / np.maximum(mag, 1e-9)
            thrust = thrust * scale[:, None]
            lit = (phase >= APPROACH) & (phase <= SKYCRANE) & (propellant > 0.0)
            fuel_out = powered & (phase >= APPROACH) & (propellant <= 0.0) & (status == "")
            for i in np.flatnonzero(fuel_out):
                status[i] = "fuel_out"
                reason[i] = f"propellant exhausted at E+{t[i]:.1f} s, {hagl[i]:.0f} m above ground"
            thrust_acc_enu = np.where(lit[:, None], thrust, 0.0)
            t_go = np.where(phase == APPROACH, t_go - dt, t_go)

        # ---------- touchdown ----------
        down = powered & (hagl <= 0.0)
        if down.any():
            mark("touchdown", down, t, q)
            td_vs = np.where(down, -ve[:, 2], td_vs)
            td_hs = np.where(down, np.hypot(ve[:, 0], ve[:, 1]), td_hs)
            phase = np.where(down, LANDED, phase)

        if rec is not None:
            thr = np.linalg.norm(thrust_acc_enu, axis=-1) * m / np.maximum(max_thrust, 1e-9)
            for key, val in (
                ("t_s", t.copy()),
                ("altitude_m", alt),
                ("height_agl_m", hagl),
                ("lat_deg", lat),
                ("lon_deg", lon),
                ("east_m", p[:, 0]),
                ("north_m", p[:, 1]),
                ("up_m", p[:, 2]),
                ("ve_m_s", ve[:, 0]),
                ("vn_m_s", ve[:, 1]),
                ("vu_m_s", ve[:, 2]),
                ("speed_m_s", speed),
                ("mach", mach),
                ("dynamic_pressure_pa", q),
                ("density_kg_m3", st.density_kg_m3),
                ("pressure_pa", st.pressure_pa),
                ("temperature_k", st.temperature_k),
                ("decel_g", decel / EARTH_G),
                ("mass_kg", m),
                ("bank_deg", np.degrees(bank) * (phase == ENTRY)),
                ("throttle", np.where((phase >= APPROACH) & (phase <= SKYCRANE), thr, 0.0)),
                ("range_to_target_m", great_circle_range_m(lat, lon, tgt_lat, tgt_lon, radius_m=planet.equatorial_radius_m)),
                ("phase_code", phase.copy()),
                ("entry_mode", mode.copy()),
                ("thrust_e", thrust_acc_enu[:, 0] * m),
                ("thrust_n", thrust_acc_enu[:, 1] * m),
                ("thrust_u", thrust_acc_enu[:, 2] * m),
                ("wind_e", wind_enu[:, 0]),
                ("wind_n", wind_enu[:, 1]),
            ):
                rec.setdefault(key, []).append(np.array(val, dtype=float))

        flying = phase < LANDED
        # Each trajectory times out on its own clock, so that a case's outcome never depends on
        # the slower cases flying beside it in the batch.
        over = flying & (t >= sim.max_duration_s)
        for i in np.flatnonzero(over):
            status[i] = "timeout"
            reason[i] = f"still flying at E+{t[i]:.0f} s ([simulation] max_duration_s); the landing never happened"
        phase = np.where(over, FAILED, phase)
        flying &= ~over
        if not flying.any():
            break
        if progress is not None and t[flying].min() >= next_report:
            next_report = math.floor(t[flying].min()) + 1.0
            progress(float(t[flying].min()), int((~flying).sum()))
        dt = step_for(phase, t, t_deploy)

        # ---------- integrate one step ----------
        ctx = dict(phase=phase, t_deploy=t_deploy, heatshield_on=heatshield_on, bank=bank, lift_on=lift_on, thrust_acc=_rows_times(thrust_acc_enu, basis))
        m_before = m
        r, v, m = rk4_step(lambda tt, rr, vv, mm: deriv(tt, rr, vv, mm, ctx), t, r, v, m, dt)
        propellant = propellant - (m_before - m)
        t = np.where(flying, t + dt, t)

    for i in np.flatnonzero(phase < LANDED):
        status[i] = "timeout"
        reason[i] = f"still flying at E+{t[i]:.0f} s ([simulation] max_duration_s); the landing never happened"
    # Final statuses for those that landed.
    landed = np.isfinite(events["touchdown"]["t_s"])
    miss = np.hypot(events["touchdown"]["east_m"], events["touchdown"]["north_m"])
    for i in np.flatnonzero(landed & (status == "")):
        if td_vs[i] > 2.0 or td_hs[i] > 1.0:
            status[i] = "hard_landing"
            dep = events["parachute_deploy"]
            dep_km = math.hypot(dep["east_m"][i], dep["north_m"][i]) / 1e3
            bs = events["backshell_separation"]
            bs_km = math.hypot(bs["east_m"][i], bs["north_m"][i]) / 1e3
            reason[i] = (
                f"hard landing at E+{events['touchdown']['t_s'][i]:.1f} s: {td_vs[i]:.1f} m/s vertical, {td_hs[i]:.1f} m/s horizontal, "
                f"{miss[i] / 1e3:.2f} km from the target (parachute deployed {dep_km:.1f} km and the backshell separated "
                f"{bs_km:.1f} km from it: beyond what the powered descent can divert)"
            )
        elif not deploy_in_box[i]:
            status[i] = "deploy_out_of_box"
            ev = events["parachute_deploy"]
            reason[i] = f"parachute deployed at Mach {ev['mach'][i]:.2f}, {ev['dynamic_pressure_pa'][i]:.0f} Pa, outside the box"
        else:
            status[i] = "landed"
    result_record = None
    if rec is not None:
        result_record = {key: np.stack(vals) for key, vals in rec.items()}
    return FlightResult(
        n=n,
        status=status.astype(str),
        reason=reason,
        events=events,
        touchdown_vertical_speed_m_s=td_vs,
        touchdown_horizontal_speed_m_s=td_hs,
        miss_distance_m=np.where(landed, miss, np.nan),
        propellant_used_kg=veh.propellant_mass_kg - propellant,
        deploy_in_box=deploy_in_box,
        record=result_record,
    )
