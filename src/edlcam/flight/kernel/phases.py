"""The phase steps: what a lane does at the start of each step, before the step is integrated —
it senses its state (:func:`_sense`), watches for failures (:func:`_failures`), then flies its
phase: :func:`_entry_phase`, :func:`_parachute_phase` or :func:`_powered_phase` (free fall,
approach, constant velocity, deceleration, sky crane, each with its guidance law in
:mod:`edlcam.flight.kernel.powered`), and :func:`_touchdown`. The mission's sequence
(``[sequence]``) reaches them as codes of the parameters ``P`` (:mod:`edlcam.flight.kernel.layout`):
each branch on one is the same for every lane, so it costs a predicted branch.

Each phase step flies the phase's guidance for this step and checks what ends the phase (entry:
the range trigger inside the Mach / dynamic-pressure box, or SUFR's time limit; the parachute:
the height for backshell separation; free fall: its duration; the approach: its time to go; the
terminal phases: the navigated height); when it ends, the step marks the event, hands over to the
next phase, and that phase runs in the same step. Their inputs are the step's sensed state
(:data:`Now`) and the lane's row (``lane``, LANE_FIELDS), which is the lane's whole state: each
phase step reads and changes the fields it names, so nothing is carried between them by hand.

``events`` (N_EVENTS × N_EVENT_FIELDS) gets each event's first occurrence (:func:`_mark`) from
``snap`` (N_SNAP floats: the step's state as events copy it, filled by :func:`_sense`).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.dynamics import _aero_thrust, _atmosphere, _drag_area, _heating_rate, _wind_at
from edlcam.flight.kernel.entry import etpc_bank_command, next_entry_mode
from edlcam.flight.kernel.frames import _from_enu, _geodetic, _ground_altitude_once, _to_enu
from edlcam.flight.kernel.layout import (
    APPROACH, L_DENSITY_D0, C_ALTITUDE, C_CHUTE_DRAG, C_DENSITY_HIGH, C_DENSITY_LOW, C_DIVERT_E, C_DIVERT_FROM_NAV, C_DIVERT_N, C_DRAG, C_LOD,
    C_NAV_E, C_NAV_N, C_NAV_U, C_THRUST, CONSTANT_V, DECEL, ENTRY, EV_BACKSHELL_SEPARATION,
    EV_BALANCE_MASS_JETTISON, EV_CONSTANT_VELOCITY_START, EV_DECELERATION_START, EV_ENTRY_INTERFACE,
    EV_HEADING_ALIGNMENT_START, EV_HEATSHIELD_SEPARATION, EV_LEG_DEPLOYMENT, EV_MORTAR_FIRE, EV_PARACHUTE_DEPLOY, EV_PEAK_DECELERATION,
    EV_PEAK_HEATING, EV_POWERED_DESCENT_START, EV_RADAR_LOCK, EV_RANGE_CONTROL_START, EV_SKYCRANE_START,
    EV_SUFR_START, EV_TOUCHDOWN, FAILED, FREEFALL, HEADING_ALIGNMENT, L_AIM_E, L_AIM_N, L_AIM_UP, L_BANK,
    L_BANK_CMD, L_BANK_SIGN, L_DEPLOY_IN_BOX, L_HEATSHIELD_ON, L_ITERATION, L_LIFT_ON, L_M, L_MODE, L_PEAK_DECEL,
    L_PEAK_HEAT, L_PHASE, L_PROPELLANT, L_READ_E, L_READ_GROUND, L_READ_N, L_RX, L_RY, L_RZ, L_STATUS, L_T,
    L_T_CYCLE_NEXT, L_T_DEPLOY, L_T_GO, L_T_PHASE, L_T_SKY, L_T_SUFR, L_TD_HS, L_TD_VS, L_TH_E, L_TH_N, L_TH_U,
    L_VX, L_VY, L_VZ, L_WIND_E, L_WIND_N, L_WIND_PROFILE, L_WIND_X, L_WIND_Y, L_WIND_Z, LANDED, N_EVENT_FIELDS, PARACHUTE, PREBANK,
    RANGE_CONTROL, S_REASON_ALT, S_REASON_HAGL, S_REASON_SPEED, S_REASON_T, SKYCRANE,
    SNAP_COS_LAT, SNAP_SIN_LAT, SNAP_X, SNAP_Y, ST_CRASH, ST_FUEL_OUT, ST_NONE, ST_SKIP_OUT, SUFR, T_EPS_S,
    TRIGGER_RANGE,
    L_SENSED, L_SENSED_A_SOUND, L_SENSED_ALT, L_SENSED_COS_LAT, L_SENSED_PRES, L_SENSED_RHO, L_SENSED_SIN_LAT, L_SENSED_TEMP,
)  # fmt: skip
from edlcam.flight.kernel.navigation import _navigated_geometry
from edlcam.flight.kernel.powered import (
    _constant_velocity_command, _deceleration_command, _divert_aim, _e_guidance, _pulsed_thrust, _skycrane_command,
    _thrust, _time_to_go,
)  # fmt: skip
from edlcam.flight.kernel.steps import _ground_read, _trigger_reached, _trigger_time_s
from edlcam.flight.kernel.vecmath import _table_pair
from edlcam.mars.terrain_kernel import curvature_drop_m, ground_altitude_m

__all__: list[str] = []  # the kernel's own steps, called by its lanes

#: What a lane senses at the start of a step (SI, planet-fixed unless ENU): its position and
#: velocity, geodetic latitude (sine, cosine) and altitude, position and velocity in the target's
#: ENU frame, the height above ground (NaN where it was not read: ``hagl_low`` bounds it from
#: below), the air (density, pressure, temperature, speed of sound; the air speed, Mach, dynamic
#: pressure) and the capsule's C_D and L/D at this Mach, the sensed deceleration [m/s²].
Now = namedtuple(
    "Now",
    (
        "t", "rx", "ry", "rz", "vx", "vy", "vz", "sin_lat", "cos_lat", "alt", "pe", "pn", "pu", "ve", "vn", "vu",
        "hagl", "hagl_low", "rho", "pres", "temp", "a_sound", "speed", "air_speed", "mach", "q", "cd_mach", "lod_mach",
        "decel",
    ),
)  # fmt: skip


@kernel_jit(error_model="numpy")
def _mark(events, k, snap, m):
    """Record event ``k`` with this step's state (``snap``), once (the first time only)."""
    if events[k, 0] != events[k, 0]:
        for j in range(N_EVENT_FIELDS - 1):
            events[k, j] = snap[j]
        events[k, 6] = math.degrees(math.atan2(snap[SNAP_SIN_LAT], snap[SNAP_COS_LAT]))  # latitude from its sine and cosine
        events[k, 7] = math.degrees(math.atan2(snap[SNAP_Y], snap[SNAP_X]))  # longitude from x, y
        events[k, N_EVENT_FIELDS - 1] = m


@kernel_jit(error_model="numpy", forceinline=True)
def _sense(case, terrain, events, snap, lane, P, aero, recording):
    """The lane's state at the start of its step as :data:`Now`, also in ``snap``; reads the ground
    where the step policy needs it (:func:`edlcam.flight.kernel.steps._ground_read`; the lane's
    last full read is kept in its ``read_*`` fields). Marks entry interface, peak heating and
    peak deceleration (before deploy). ``recording``: whether the step is recorded (the sensed
    deceleration is computed in every phase then, else only where entry needs it)."""
    phase = int(lane[L_PHASE])
    t, m = lane[L_T], lane[L_M]
    rx, ry, rz, vx, vy, vz = lane[L_RX], lane[L_RY], lane[L_RZ], lane[L_VX], lane[L_VY], lane[L_VZ]
    sensed = lane[L_SENSED] > 0.5  # the integrator computed the place and air at the step's end
    if sensed:
        sin_lat, cos_lat, alt = lane[L_SENSED_SIN_LAT], lane[L_SENSED_COS_LAT], lane[L_SENSED_ALT]
    else:
        sin_lat, cos_lat, alt = _geodetic(rx, ry, rz, P)
    if lane[L_WIND_PROFILE] > 0.5:  # the wind at this height, held over the step (else the case's constant wind)
        w_e, w_n = _wind_at(case, alt - P.target_up, P)
        lane[L_WIND_E], lane[L_WIND_N] = w_e, w_n
        lane[L_WIND_X], lane[L_WIND_Y], lane[L_WIND_Z] = _from_enu(w_e, w_n, 0.0, P)
    wx, wy, wz = lane[L_WIND_X], lane[L_WIND_Y], lane[L_WIND_Z]
    pe, pn_, pu = _to_enu(rx - P.o_x, ry - P.o_y, rz - P.o_z, P)
    ve, vn, vu = _to_enu(vx, vy, vz, P)
    radar_locked = events[EV_RADAR_LOCK, 0] == events[EV_RADAR_LOCK, 0]
    exact, hagl_low = _ground_read(
        phase, alt, pe, pn_, pu, vu, lane[L_T_GO], case[C_NAV_U], radar_locked, lane[L_READ_E], lane[L_READ_N],
        lane[L_READ_GROUND], terrain, P,
    )  # fmt: skip
    if exact:
        ground = ground_altitude_m(terrain, pe, pn_)
        lane[L_READ_E], lane[L_READ_N], lane[L_READ_GROUND] = pe, pn_, ground
        hagl = alt - ground
        hagl_low = hagl
    else:
        hagl = np.nan
    if sensed:
        rho, pres, temp, a_sound = lane[L_SENSED_RHO], lane[L_SENSED_PRES], lane[L_SENSED_TEMP], lane[L_SENSED_A_SOUND]
    else:
        rho, pres, temp, a_sound = _atmosphere(alt, case[C_DENSITY_LOW], case[C_DENSITY_HIGH], lane, L_DENSITY_D0, 1, P)
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    ax_, ay_, az_ = vx - wx, vy - wy, vz - wz
    air_speed = math.sqrt(ax_ * ax_ + ay_ * ay_ + az_ * az_)
    mach = air_speed / a_sound
    q = 0.5 * rho * air_speed * air_speed
    snap[0], snap[1], snap[2], snap[3], snap[4], snap[5] = t, alt, hagl, speed, mach, q
    snap[8], snap[9], snap[10] = pe, pn_, pu
    snap[11], snap[12], snap[13] = ve, vn, vu
    snap[SNAP_SIN_LAT], snap[SNAP_COS_LAT], snap[SNAP_X], snap[SNAP_Y] = sin_lat, cos_lat, rx, ry  # when marked

    # Sensed acceleration (the controls of the step before) and heating.
    # Before the descent stage flies, drag and lift are all there is, and lift is normal to
    # drag: |a| = q C_D A √(1 + (L/D)²) / m, whatever the bank.
    # (Only entry uses them — its guidance, peak heating, peak deceleration before deploy — and a
    # recorded flight's rows.)
    decel = heat = cd_mach = lod_mach = 0.0
    if phase == ENTRY or recording:
        cd_mach, lod_mach = _table_pair(mach, aero[0], aero[1], aero[2])  # the capsule at this Mach: sensed and guided
    hs = 1.0 if lane[L_HEATSHIELD_ON] > 0.5 else 0.0
    t_deploy = lane[L_T_DEPLOY]
    if phase == ENTRY or (phase == PARACHUTE and recording):
        lod = lod_mach * case[C_LOD] * lane[L_LIFT_ON] if phase == ENTRY else 0.0
        cda = _drag_area(t, mach, cd_mach, phase, t_deploy, hs, case[C_DRAG], case[C_CHUTE_DRAG], P, aero)
        decel = q * cda / m * math.sqrt(1.0 + lod * lod)
    elif recording:
        tx, ty, tz = _from_enu(lane[L_TH_E], lane[L_TH_N], lane[L_TH_U], P)
        sx, sy, sz, _md = _aero_thrust(
            t, rx, ry, rz, vx, vy, vz, m, rho, a_sound, 0.0, 0.0, phase, t_deploy, hs, lane[L_LIFT_ON], tx, ty, tz,
            wx, wy, wz, case[C_DRAG], case[C_LOD], case[C_CHUTE_DRAG], P, aero,
        )  # fmt: skip
        decel = math.sqrt(sx * sx + sy * sy + sz * sz)
    if phase == ENTRY:
        heat = _heating_rate(rho, air_speed, P)
    if lane[L_ITERATION] == 0.0:
        _mark(events, EV_ENTRY_INTERFACE, snap, m)
    if phase == ENTRY and heat > lane[L_PEAK_HEAT]:
        lane[L_PEAK_HEAT] = heat
        events[EV_PEAK_HEATING, 0] = np.nan
        _mark(events, EV_PEAK_HEATING, snap, m)
    if phase <= PARACHUTE and decel > lane[L_PEAK_DECEL] and t_deploy != t_deploy:
        lane[L_PEAK_DECEL] = decel
        events[EV_PEAK_DECELERATION, 0] = np.nan
        _mark(events, EV_PEAK_DECELERATION, snap, m)
    return Now(
        t, rx, ry, rz, vx, vy, vz, sin_lat, cos_lat, alt, pe, pn_, pu, ve, vn, vu, hagl, hagl_low, rho, pres, temp,
        a_sound, speed, air_speed, mach, q, cd_mach, lod_mach, decel,
    )  # fmt: skip


@kernel_jit(error_model="numpy", forceinline=True)
def _failures(now, case, summary, lane):
    """Skip-out (in entry, 1 km above the entry altitude after 20 s) or a crash (the ground reached
    before backshell separation): the lane's phase becomes FAILED, its status and ``summary``
    say why."""
    phase = int(lane[L_PHASE])
    if phase < LANDED:
        skip = phase == ENTRY and now.alt > case[C_ALTITUDE] + 1000.0 and now.t > 20.0
        crash = phase <= PARACHUTE and now.hagl <= 0.0
        if skip or crash:
            lane[L_STATUS] = ST_CRASH if crash else ST_SKIP_OUT
            summary[S_REASON_T], summary[S_REASON_ALT], summary[S_REASON_SPEED] = now.t, now.alt, now.speed
            lane[L_PHASE] = FAILED


@kernel_jit(error_model="numpy", forceinline=True)
def _entry_phase(now, case, ref, tgt_u, events, snap, lane, P):
    """One step of entry. Guided (``P.entry_guided``): the ETPC (:mod:`edlcam.flight.kernel.entry`)
    once per guidance cycle, SUFR (lift up, the balance mass jettisoned) shortly before the
    parachute's trigger, and parachute deploy at the trigger (Mars 2020's Range Trigger: Way et al.;
    Nelessen et al. 2019; or MSL's navigated velocity, a Mach or a dynamic pressure:
    ``P.deploy_trigger``) inside the Mach / q box once SUFR's roll is done, or late (SUFR's time
    limit, or the lowest Mach). Ballistic: no bank steering and no SUFR; deploy at the trigger
    inside the box, or late at the lowest Mach. The triggers are watched at every step (the steps
    shrink to the output step near them); the guidance itself runs once per cycle, and at once when
    SUFR begins. The guidance and the triggers act on the navigated state
    (:mod:`edlcam.flight.kernel.navigation`). Returns the navigated range to the target [m] and
    the flight time to the trigger [s]."""
    rad = math.pi / 180.0
    t, m, mode = now.t, lane[L_M], int(lane[L_MODE])
    rng, herr, xr, vl_u, speed = _navigated_geometry(now, case, tgt_u, lane, P)  # what the navigation believes
    to_trigger = _trigger_time_s(rng, speed, now.mach, now.q, now.a_sound, now.decel, P)
    guided = P.entry_guided > 0.5
    cycle = t >= lane[L_T_CYCLE_NEXT] - T_EPS_S
    if P.deploy_trigger == TRIGGER_RANGE:
        sufr_near = rng <= P.deploy_range + now.air_speed * P.sufr_lead_s
    else:
        sufr_near = to_trigger <= P.sufr_lead_s
    if guided and mode != SUFR and (sufr_near or now.mach < P.mach_min + 0.1):
        _mark(events, EV_SUFR_START, snap, m)
        _mark(events, EV_BALANCE_MASS_JETTISON, snap, m)
        mode = SUFR
        lane[L_T_SUFR] = t
        m = m - P.balance_mass
        lane[L_M] = m
        lane[L_LIFT_ON] = 0.0
        cycle = True
    if guided and cycle:
        drag_acc = now.q * now.cd_mach * P.ref_area * case[C_DRAG] / m
        new_mode = next_entry_mode(mode, speed, drag_acc, P)
        if new_mode == RANGE_CONTROL and mode == PREBANK:
            _mark(events, EV_RANGE_CONTROL_START, snap, m)
        if new_mode == HEADING_ALIGNMENT and mode != HEADING_ALIGNMENT:
            _mark(events, EV_HEADING_ALIGNMENT_START, snap, m)
        mode = new_mode
        lane[L_BANK_CMD], lane[L_BANK_SIGN] = etpc_bank_command(
            mode, lane[L_BANK_SIGN], speed, drag_acc, vl_u, rng - P.deploy_range, xr, herr,
            now.lod_mach * case[C_LOD], ref, P,
        )  # fmt: skip
        lane[L_T_CYCLE_NEXT] = t + P.dt_guidance
    lane[L_MODE] = mode
    in_box = P.mach_min <= now.mach <= P.mach_max and P.q_min <= now.q <= P.q_max
    reached = _trigger_reached(rng, speed, now.mach, now.q, P) and now.mach <= P.mach_max and now.q <= P.q_max
    if guided:
        sufr_done = abs(lane[L_BANK] - P.sufr_bank) < 5.0 * rad  # SUFR's roll done (the bank now; the controller moves it in the step)
        trigger = mode == SUFR and reached and sufr_done
        late = mode == SUFR and (t - lane[L_T_SUFR] >= P.sufr_max_s or now.mach < P.mach_min)
    else:
        trigger = reached
        late = now.mach < P.mach_min
    if trigger or late:
        _mark(events, EV_PARACHUTE_DEPLOY, snap, m)
        _mark(events, EV_MORTAR_FIRE, snap, m)
        lane[L_DEPLOY_IN_BOX] = 1.0 if in_box else 0.0
        lane[L_T_DEPLOY] = t
        lane[L_PHASE] = PARACHUTE
        lane[L_T_PHASE] = t
    return rng, to_trigger


@kernel_jit(error_model="numpy", forceinline=True)
def _leg_deployment(now, events, snap, lane, P):
    """A lander's legs (``P.legs``: Phoenix, InSight) deploy ``P.legs_delay_s`` after heat-shield
    separation (NASA/JPL: InSight's three legs 10 s after it); they change nothing the flight
    feels (their drag is the lander's), only what it may touch down on."""
    t_hs = events[EV_HEATSHIELD_SEPARATION, 0]
    if t_hs == t_hs and now.t - t_hs >= P.legs_delay_s - T_EPS_S:
        _mark(events, EV_LEG_DEPLOYMENT, snap, lane[L_M])


@kernel_jit(error_model="numpy", forceinline=True)
def _parachute_phase(now, events, snap, lane, P):
    """One step under the parachute: the heat shield separates after its delay (below its Mach
    limit), a lander's legs deploy after theirs, the radar locks on, and the backshell separates
    at its height above ground."""
    t, m = now.t, lane[L_M]
    heatshield_on = lane[L_HEATSHIELD_ON] > 0.5
    if heatshield_on and t - lane[L_T_DEPLOY] >= P.hs_delay_s - T_EPS_S and now.mach <= P.hs_mach_max:
        _mark(events, EV_HEATSHIELD_SEPARATION, snap, m)
        heatshield_on = False
        lane[L_HEATSHIELD_ON] = 0.0
        m = m - P.heatshield_mass
        lane[L_M] = m
    if P.legs > 0.5:
        _leg_deployment(now, events, snap, lane, P)
    if not heatshield_on and now.hagl <= P.radar_height:
        _mark(events, EV_RADAR_LOCK, snap, m)
    if not heatshield_on and now.hagl <= P.bs_height:
        _mark(events, EV_BACKSHELL_SEPARATION, snap, m)
        lane[L_M] = m - P.backshell_mass
        lane[L_PHASE] = FREEFALL
        lane[L_T_PHASE] = t


@kernel_jit(error_model="numpy", forceinline=True)
def _powered_phase(now, case, terrain, events, snap, summary, lane, P):
    """One step of powered descent, on the navigated position (the true one plus the case's
    navigation error): free fall until the engines start, the powered approach to a point above
    the aim point that terrain-relative navigation picks then, until its time to go is spent;
    constant velocity down to the deceleration height, constant deceleration down to the sky-crane
    height; the sky crane. A terminal descent on legs (``P.terminal_legs``: Phoenix, InSight)
    keeps the constant velocity down to touchdown. The step's thrust is held over it (the lane's
    ``th_*``, ENU): throttleable engines' or pulse-modulated thrusters' (``P.pulsed``); it is zero
    in free fall and once the propellant is spent (status ``fuel_out``)."""
    t, m, phase = now.t, lane[L_M], int(lane[L_PHASE])
    if P.legs > 0.5:  # legs still due after backshell separation
        _leg_deployment(now, events, snap, lane, P)
    g_s = P.g_surface
    max_thrust = P.max_thrust * case[C_THRUST]
    min_thrust = P.min_throttle * max_thrust
    p_nav = (now.pe + case[C_NAV_E], now.pn + case[C_NAV_N], now.pu + case[C_NAV_U])  # navigated position
    h_nav = p_nav[2] - (now.alt - now.hagl - curvature_drop_m(terrain, now.pe, now.pn))  # ground_up_m, from the ground read
    v_enu = (now.ve, now.vn, now.vu)
    v_f = (0.0, 0.0, -P.cv_speed)
    if phase == FREEFALL and t - lane[L_T_PHASE] >= P.free_fall_s:
        _mark(events, EV_POWERED_DESCENT_START, snap, m)
        # The divert target: the mission's (or Safe Target Selection's) in the target's frame, or
        # (``divert_from_navigated``) the one selected near where the vehicle is: the flight's divert.
        from_nav = case[C_DIVERT_FROM_NAV]
        div_e, div_n = case[C_DIVERT_E] + from_nav * p_nav[0], case[C_DIVERT_N] + from_nav * p_nav[1]
        lane[L_AIM_E], lane[L_AIM_N], lane[L_AIM_UP] = _divert_aim(p_nav, div_e, div_n, terrain, P)
        r_f = (lane[L_AIM_E], lane[L_AIM_N], lane[L_AIM_UP] + P.app_end_height)
        lane[L_T_GO] = _time_to_go(p_nav, v_enu, r_f, v_f, g_s, P.app_thrust_frac * max_thrust / m, P.app_duration_s)
        phase = APPROACH
        lane[L_T_PHASE] = t
    if phase == APPROACH and lane[L_T_GO] <= 1.0:
        _mark(events, EV_CONSTANT_VELOCITY_START, snap, m)
        phase = CONSTANT_V
    if phase == CONSTANT_V and P.terminal_legs < 0.5 and h_nav <= P.dec_height:
        _mark(events, EV_DECELERATION_START, snap, m)
        phase = DECEL
    if phase == DECEL and h_nav <= P.sky_height:
        _mark(events, EV_SKYCRANE_START, snap, m)
        phase = SKYCRANE
        lane[L_T_SKY] = t
    lane[L_PHASE] = phase

    # The commanded acceleration of the phase (gravity not included).
    aim_e, aim_n = lane[L_AIM_E], lane[L_AIM_N]
    if phase == APPROACH:
        r_f = (aim_e, aim_n, lane[L_AIM_UP] + P.app_end_height)
        a_e, a_n, a_u = _e_guidance(p_nav, v_enu, r_f, v_f, lane[L_T_GO])
    elif phase == CONSTANT_V:
        a_e, a_n, a_u = _constant_velocity_command(p_nav, v_enu, aim_e, aim_n, P)
    elif phase == DECEL:
        a_e, a_n, a_u = _deceleration_command(p_nav, v_enu, aim_e, aim_n, h_nav, P)
    elif phase == SKYCRANE:
        a_e, a_n, a_u = _skycrane_command(p_nav, v_enu, aim_e, aim_n, t - lane[L_T_SKY], P)
    else:  # free fall: no thrust
        a_e, a_n, a_u = 0.0, 0.0, -g_s
    propellant = lane[L_PROPELLANT]
    if phase >= APPROACH and propellant <= 0.0 and lane[L_STATUS] == ST_NONE:
        lane[L_STATUS] = ST_FUEL_OUT
        summary[S_REASON_T] = t
        summary[S_REASON_HAGL] = now.hagl if now.hagl == now.hagl else now.alt - _ground_altitude_once(terrain, now.pe, now.pn)
    if APPROACH <= phase <= SKYCRANE and propellant > 0.0:  # the engines lit
        if P.pulsed > 0.5:
            lane[L_TH_E], lane[L_TH_N], lane[L_TH_U] = _pulsed_thrust(a_e, a_n, a_u, g_s, m, max_thrust, P.pulse_levels)
        else:
            lane[L_TH_E], lane[L_TH_N], lane[L_TH_U] = _thrust(a_e, a_n, a_u, g_s, m, min_thrust, max_thrust)
    else:
        lane[L_TH_E] = lane[L_TH_N] = lane[L_TH_U] = 0.0
    if phase == APPROACH:
        lane[L_T_GO] = lane[L_T_GO] - P.dt_powered  # the step about to be flown


@kernel_jit(error_model="numpy", forceinline=True)
def _touchdown(now, events, snap, lane):
    """Touchdown when the ground is reached in powered flight: the vertical and horizontal speeds
    then, and the phase LANDED."""
    if now.hagl <= 0.0:
        _mark(events, EV_TOUCHDOWN, snap, lane[L_M])
        lane[L_TD_VS] = -now.vu
        lane[L_TD_HS] = math.hypot(now.ve, now.vn)
        lane[L_PHASE] = LANDED
