"""Trajectories in lanes: the kernel's entry points :func:`fly_cases` and :func:`fly_recorded`.

The kernel flies W cases at once, one per lane. Each lane runs its own flight logic (guidance,
events, the choice of its step: :func:`_step`) in scalar code, then the force model integrates
all lanes' steps together (:func:`edlcam.flight.kernel.integrate._integrate`): the same
instructions on 8 values at a time (AVX-512 holds 8 doubles), on W / 8 vectors whose chains of
square roots, divisions and exps the core overlaps. Lanes never mix: a lane's arithmetic is the
same whatever the others hold, so a case's result does not depend on the batch, the lane it flew
in or what flew beside it, and ``edlcam simulate`` (one case, one lane) gives the Monte Carlo's
nominal bit for bit. A lane whose flight ends takes the next case.
"""

from __future__ import annotations

import math

import numpy as np
from numba import carray, types
from numba.extending import intrinsic

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.dynamics import _wind_at
from edlcam.flight.kernel.frames import _from_enu, _ground_altitude_once, _target_geometry
from edlcam.flight.kernel.integrate import _integrate
from edlcam.flight.kernel.layout import (
    APPROACH, B_A_SOUND, B_BANK, B_BANK_CMD, B_BANK_RATE, B_CHUTE, B_DENSITY_D0, B_DENSITY_HIGH, B_DENSITY_LOW, B_DRAG, B_DT,
    B_END_A_SOUND, B_END_ALT, B_END_BANK, B_END_BANK_RATE, B_END_COS_LAT, B_END_M, B_END_PRES, B_END_RHO,
    B_END_SIN_LAT, B_END_TEMP, B_END_RX, B_END_RY, B_END_RZ, B_END_VX, B_END_VY, B_END_VZ, B_HEATSHIELD_ON,
    B_LIFT_ON, B_LOD, B_M, B_PHASE, B_RHO, B_RX, B_RY, B_RZ, B_T, B_T_DEPLOY, B_TICKS, B_TX, B_TY, B_TZ, B_VX, B_VY,
    B_VZ, B_WIND_X, B_WIND_Y, B_WIND_Z, C_ALTITUDE, C_CHUTE_DRAG, C_DENSITY_D0, C_DENSITY_HIGH, C_DENSITY_LOW, C_DRAG, C_FPA,
    C_HEADING, C_LAT, C_LOD, C_LON, C_MASS_OFFSET, C_SPEED, C_THRUST, C_WIND_E, C_WIND_E0, C_WIND_N, C_WIND_N0, ENTRY,
    EV_HEATSHIELD_SEPARATION, EV_LEG_DEPLOYMENT, FAILED, FREEFALL, L_WIND_E, L_WIND_N, L_WIND_PROFILE, N_WIND_NODES,
    L_AIM_E, L_AIM_N, L_AIM_UP, L_BANK, L_BANK_CMD, L_BANK_RATE, L_BANK_SIGN, L_COLUMN, L_DEPLOY_IN_BOX,
    L_HEATSHIELD_ON, L_ITERATION, L_LIFT_ON, L_M, L_MODE, L_PEAK_DECEL, L_PEAK_HEAT, L_PHASE, L_PROPELLANT,
    L_READ_E, L_READ_GROUND, L_READ_N, L_ROWS, L_RX, L_RY, L_RZ, L_STATUS, L_T, L_T_CYCLE_NEXT, L_T_DEPLOY, L_T_GO,
    L_T_PHASE, L_T_SKY, L_T_SUFR, L_TD_HS, L_TD_VS, L_TH_E, L_TH_N, L_TH_U, L_VX, L_VY, L_VZ, L_WIND_X, L_WIND_Y,
    L_WIND_Z, LANDED, LANE_FIELDS, N_BLOCK, N_EVENTS, N_SNAP, PARACHUTE, PREBANK, RECORD_COLUMNS, S_IN_BOX,
    S_PHASE_END, S_PROPELLANT, S_REASON_T, S_STATUS, S_STEPS, S_T_END, S_TD_HS, S_TD_VS, SKYCRANE, ST_NONE,
    ST_TIMEOUT, W, N_DENSITY_NODES, L_DENSITY_D0,
    L_SENSED, L_SENSED_A_SOUND, L_SENSED_ALT, L_SENSED_COS_LAT, L_SENSED_PRES, L_SENSED_RHO, L_SENSED_SIN_LAT, L_SENSED_TEMP,
)  # fmt: skip
from edlcam.flight.kernel.navigation import _navigation_start
from edlcam.flight.kernel.phases import _entry_phase, _failures, _parachute_phase, _powered_phase, _sense, _touchdown
from edlcam.flight.kernel.steps import _entry_step, _range_gap_s, _step_for
from edlcam.mars.constants import EARTH_G_M_S2
from edlcam.mars.terrain_kernel import map_arrays

__all__ = ["fly_cases", "fly_recorded"]


@kernel_jit(error_model="numpy")
def _start(case, P, events, lane):
    """A lane's state at entry interface for ``case`` (the CASE_FIELDS values): geodetic
    position, speed along flight-path angle and heading, the wind there (constant, or from the
    case's profile when it has one), its entry navigation; no event yet."""
    rad = math.pi / 180.0
    events[:, :] = np.nan
    profile = False
    for k in range(N_WIND_NODES):
        profile = profile or case[C_WIND_E0 + k] != 0.0 or case[C_WIND_N0 + k] != 0.0
    lane[L_WIND_PROFILE] = 1.0 if profile else 0.0
    w_e, w_n = case[C_WIND_E], case[C_WIND_N]
    if profile:  # the profile's wind at the entry altitude (it changes with height from the first step on)
        w_e, w_n = _wind_at(case, case[C_ALTITUDE] - P.target_up, P)
    lane[L_WIND_E], lane[L_WIND_N] = w_e, w_n
    lane[L_WIND_X], lane[L_WIND_Y], lane[L_WIND_Z] = _from_enu(w_e, w_n, 0.0, P)
    _navigation_start(case, lane)
    # The density profile as the atmosphere reads it: the lowest node, then each segment's slope.
    lane[L_DENSITY_D0] = case[C_DENSITY_D0]
    lane[L_DENSITY_D0 + 1] = (case[C_DENSITY_D0 + 1] - case[C_DENSITY_D0]) / P.density_dh0
    lane[L_DENSITY_D0 + 2] = (case[C_DENSITY_D0 + 2] - case[C_DENSITY_D0 + 1]) / P.density_dh1
    lane[L_DENSITY_D0 + 3] = (case[C_DENSITY_D0 + 3] - case[C_DENSITY_D0 + 2]) / P.density_dh2
    lane[L_DENSITY_D0 + 4] = (case[C_DENSITY_D0 + 4] - case[C_DENSITY_D0 + 3]) / P.density_dh3
    lat0, lon0 = case[C_LAT] * rad, case[C_LON] * rad
    sl, cl, so, co = math.sin(lat0), math.cos(lat0), math.sin(lon0), math.cos(lon0)
    nrad = P.ell_a / math.sqrt(1.0 - P.ell_e2 * sl * sl)
    h0 = case[C_ALTITUDE]
    lane[L_RX] = (nrad + h0) * cl * co
    lane[L_RY] = (nrad + h0) * cl * so
    lane[L_RZ] = (nrad * (1.0 - P.ell_e2) + h0) * sl
    fpa, hdg = case[C_FPA] * rad, case[C_HEADING] * rad
    le, ln, lu = math.cos(fpa) * math.sin(hdg), math.cos(fpa) * math.cos(hdg), math.sin(fpa)
    spd0 = case[C_SPEED]
    lane[L_VX] = spd0 * (le * -so + ln * -sl * co + lu * cl * co)
    lane[L_VY] = spd0 * (le * co + ln * -sl * so + lu * cl * so)
    lane[L_VZ] = spd0 * (ln * cl + lu * sl)
    lane[L_M] = P.entry_mass + case[C_MASS_OFFSET]
    lane[L_T] = lane[L_ITERATION] = 0.0
    lane[L_PHASE], lane[L_MODE] = ENTRY, PREBANK
    lane[L_BANK] = lane[L_BANK_RATE] = 0.0
    lane[L_BANK_SIGN] = lane[L_LIFT_ON] = lane[L_HEATSHIELD_ON] = 1.0
    lane[L_T_PHASE] = 0.0
    lane[L_T_DEPLOY] = lane[L_T_SUFR] = lane[L_T_SKY] = lane[L_T_GO] = np.nan
    lane[L_AIM_E] = lane[L_AIM_N] = 0.0
    lane[L_AIM_UP] = P.target_up
    lane[L_TH_E] = lane[L_TH_N] = lane[L_TH_U] = 0.0
    lane[L_PROPELLANT] = P.propellant_mass
    lane[L_STATUS] = ST_NONE
    lane[L_DEPLOY_IN_BOX] = 1.0
    lane[L_PEAK_HEAT] = lane[L_PEAK_DECEL] = -1.0
    lane[L_TD_VS] = lane[L_TD_HS] = np.nan
    lane[L_T_CYCLE_NEXT] = 0.0  # when the entry guidance next runs
    lane[L_BANK_CMD] = 0.0  # the entry guidance's bank command, held over its cycle
    lane[L_ROWS] = 0.0
    lane[L_READ_E] = lane[L_READ_N] = lane[L_READ_GROUND] = np.nan  # the last full read of the ground: none yet
    lane[L_SENSED] = 0.0  # its place and air not yet computed by the integrator (phases._sense)


# _step is inlined by LLVM (forceinline), not by numba (inline="always"): numba's inlining of a
# function this size re-types it inside the caller, which doubled the kernel's first compile
# (33 s against 23 s); a plain call costs a quarter of the speed (every argument — the 90
# parameters, the tables — is passed by value on each lane's step). The phase steps it calls
# (edlcam.flight.kernel.phases) and _record_row are inlined by LLVM for the same reason: numba's
# inlining of them took the first compile from 35 to 44 s of CPU.
@kernel_jit(error_model="numpy", forceinline=True)
def _step(case, P, aero, ref, terrain, tgt_u, events, summary, record, snap, lane, X, columns):
    """One step of a lane's flight up to its integration: it senses its state, flies its phase
    (:mod:`edlcam.flight.kernel.phases`: navigation, events, guidance and control), records the
    step, and chooses the step's length (:mod:`edlcam.flight.kernel.steps`). Returns 1 when the
    flight has ended (landed, failed or timed out), else 0 after writing the step into a column
    of the block ``X``: the next free one from the front for an RK4 step (``columns[0]``), from
    the back for a midpoint step (``columns[1]``).

    ``case``: the CASE_FIELDS values; ``aero``: the vehicle's tables (tuples); ``ref``: the entry
    guidance's reference (speed, R, D, ḣ, L/D, F1, F2, F3 rows); ``terrain``: the terrain's
    kernel tables; ``tgt_u``: the target's unit vector (planet-fixed). Marks ``events``
    (N_EVENTS × N_EVENT_FIELDS), writes a failure's reason into ``summary`` and, while it has
    rows, one row of RECORD_COLUMNS per step into ``record``; ``snap``: N_SNAP floats of scratch
    (the state events copy); ``lane``: the lane's LANE_FIELDS, its whole state.
    """
    recording = record.shape[0] > 0
    bank_start = lane[L_BANK]  # the bank at t (the integration moves it through the step)
    now = _sense(case, terrain, events, snap, lane, P, aero, recording)
    _failures(now, case, summary, lane)
    rng = to_trigger = 0.0
    if lane[L_PHASE] == ENTRY:
        rng, to_trigger = _entry_phase(now, case, ref, tgt_u, events, snap, lane, P)
    if lane[L_PHASE] == PARACHUTE:
        _parachute_phase(now, events, snap, lane, P)
    if FREEFALL <= lane[L_PHASE] <= SKYCRANE:
        _powered_phase(now, case, terrain, events, snap, summary, lane, P)
        _touchdown(now, events, snap, lane)
    _record_row(now, bank_start, case, tgt_u, record, lane, P)

    phase, t = int(lane[L_PHASE]), now.t
    lane[L_ITERATION] = lane[L_ITERATION] + 1.0
    if phase >= LANDED:
        return 1
    if t >= P.max_duration_s:  # each trajectory times out on its own clock
        lane[L_STATUS] = ST_TIMEOUT
        summary[S_REASON_T] = t
        lane[L_PHASE] = FAILED
        return 1
    if phase == ENTRY:
        mode = int(lane[L_MODE])
        gap = _range_gap_s(rng, mode, now.air_speed, now.speed, to_trigger, P)
        dt = _entry_step(t, mode, gap, lane[L_T_CYCLE_NEXT], lane[L_T_SUFR], P)
    else:
        t_legs = np.nan  # the legs' deployment, while due
        if P.legs > 0.5 and events[EV_LEG_DEPLOYMENT, 0] != events[EV_LEG_DEPLOYMENT, 0]:
            t_legs = events[EV_HEATSHIELD_SEPARATION, 0] + P.legs_delay_s
        dt = _step_for(phase, t, lane[L_T_DEPLOY], lane[L_HEATSHIELD_ON] > 0.5, t_legs, now.hagl_low, now.vu, P)

    # The step for the integration: thrust held, the bank moving as commanded in entry.
    if phase < FREEFALL:
        i = columns[0]
        columns[0] += 1
    else:
        i = columns[1]
        columns[1] -= 1
    lane[L_COLUMN] = i
    tx, ty, tz = _from_enu(lane[L_TH_E], lane[L_TH_N], lane[L_TH_U], P)
    X[B_RX * W + i], X[B_RY * W + i], X[B_RZ * W + i] = now.rx, now.ry, now.rz
    X[B_VX * W + i], X[B_VY * W + i], X[B_VZ * W + i] = now.vx, now.vy, now.vz
    X[B_M * W + i], X[B_T * W + i], X[B_DT * W + i] = lane[L_M], t, dt
    X[B_BANK * W + i], X[B_BANK_RATE * W + i], X[B_BANK_CMD * W + i] = lane[L_BANK], lane[L_BANK_RATE], lane[L_BANK_CMD]
    X[B_TICKS * W + i] = round(dt / P.dt_bank) if phase == ENTRY else 0.0
    X[B_RHO * W + i], X[B_A_SOUND * W + i] = now.rho, now.a_sound
    X[B_PHASE * W + i], X[B_T_DEPLOY * W + i] = phase, lane[L_T_DEPLOY]
    X[B_HEATSHIELD_ON * W + i], X[B_LIFT_ON * W + i] = lane[L_HEATSHIELD_ON], lane[L_LIFT_ON]
    X[B_TX * W + i], X[B_TY * W + i], X[B_TZ * W + i] = tx, ty, tz
    wx, wy, wz = lane[L_WIND_X], lane[L_WIND_Y], lane[L_WIND_Z]
    if lane[L_WIND_PROFILE] > 0.5:  # held over the step at its middle height (the midpoint rule), not its start's
        w_e, w_n = _wind_at(case, now.alt + 0.5 * dt * now.vu - P.target_up, P)
        wx, wy, wz = _from_enu(w_e, w_n, 0.0, P)
    X[B_WIND_X * W + i], X[B_WIND_Y * W + i], X[B_WIND_Z * W + i] = wx, wy, wz
    X[B_DRAG * W + i], X[B_LOD * W + i], X[B_CHUTE * W + i] = case[C_DRAG], case[C_LOD], case[C_CHUTE_DRAG]
    X[B_DENSITY_LOW * W + i], X[B_DENSITY_HIGH * W + i] = case[C_DENSITY_LOW], case[C_DENSITY_HIGH]
    for k in range(N_DENSITY_NODES):  # the density profile as the lane carries it (_start)
        X[(B_DENSITY_D0 + k) * W + i] = lane[L_DENSITY_D0 + k]
    return 0


@kernel_jit(error_model="numpy", forceinline=True)
def _record_row(now, bank_start, case, tgt_u, record, lane, P):
    """The step's row of RECORD_COLUMNS into ``record``, while it has rows (the lane's ``rows``)."""
    rows = int(lane[L_ROWS])
    if rows < record.shape[0]:
        deg = 180.0 / math.pi
        phase, m = int(lane[L_PHASE]), lane[L_M]
        th_e, th_n, th_u = lane[L_TH_E], lane[L_TH_N], lane[L_TH_U]
        max_thrust = P.max_thrust * case[C_THRUST]
        row = record[rows]
        row[0], row[1], row[2] = now.t, now.alt, now.hagl
        row[3], row[4] = math.atan2(now.sin_lat, now.cos_lat) * deg, math.atan2(now.ry, now.rx) * deg
        row[5], row[6], row[7], row[8], row[9], row[10] = now.pe, now.pn, now.pu, now.ve, now.vn, now.vu
        row[11], row[12], row[13], row[14], row[15], row[16] = now.speed, now.mach, now.q, now.rho, now.pres, now.temp
        row[17], row[18] = now.decel / EARTH_G_M_S2, m
        row[19] = bank_start * deg if phase == ENTRY else 0.0
        thr = math.sqrt(th_e * th_e + th_n * th_n + th_u * th_u) * m / max(max_thrust, 1e-9)
        row[20] = thr if APPROACH <= phase <= SKYCRANE else 0.0
        row[21] = _target_geometry(now.sin_lat, now.cos_lat, now.rx, now.ry, now.vx, now.vy, now.vz, tgt_u, P)[0]
        row[22], row[23] = phase, lane[L_MODE]
        row[24], row[25], row[26] = th_e * m, th_n * m, th_u * m
        row[27], row[28] = lane[L_WIND_E], lane[L_WIND_N]
        lane[L_ROWS] = rows + 1



@kernel_jit(error_model="numpy", inline="always")
def _advance(P, summary, lane, X):
    """Take a lane's integrated step (its column of ``X``) into its state. Returns 1 when the lane
    has used up its iterations (it times out), else 0."""
    i = int(lane[L_COLUMN])
    m, m_end = lane[L_M], X[B_END_M * W + i]
    lane[L_RX], lane[L_RY], lane[L_RZ] = X[B_END_RX * W + i], X[B_END_RY * W + i], X[B_END_RZ * W + i]
    lane[L_VX], lane[L_VY], lane[L_VZ] = X[B_END_VX * W + i], X[B_END_VY * W + i], X[B_END_VZ * W + i]
    lane[L_PROPELLANT] = lane[L_PROPELLANT] - (m - m_end)
    lane[L_M] = m_end
    lane[L_T] = lane[L_T] + X[B_DT * W + i]
    lane[L_BANK], lane[L_BANK_RATE] = X[B_END_BANK * W + i], X[B_END_BANK_RATE * W + i]
    lane[L_SENSED] = 1.0  # where the step ended and the air there, for the next step's _sense
    lane[L_SENSED_SIN_LAT], lane[L_SENSED_COS_LAT] = X[B_END_SIN_LAT * W + i], X[B_END_COS_LAT * W + i]
    lane[L_SENSED_ALT], lane[L_SENSED_RHO] = X[B_END_ALT * W + i], X[B_END_RHO * W + i]
    lane[L_SENSED_PRES], lane[L_SENSED_TEMP] = X[B_END_PRES * W + i], X[B_END_TEMP * W + i]
    lane[L_SENSED_A_SOUND] = X[B_END_A_SOUND * W + i]
    if lane[L_ITERATION] >= P.max_iterations:
        lane[L_STATUS] = ST_TIMEOUT
        summary[S_REASON_T] = lane[L_T]
        lane[L_PHASE] = FAILED
        return 1
    return 0


@kernel_jit(error_model="numpy")
def _finish(terrain, events, summary, record, lane):
    """A lane's flight is over: heights above ground of the events and recorded rows marked high
    above it, and the summary. Returns the number of recorded rows."""
    for k in range(N_EVENTS):
        if events[k, 0] == events[k, 0] and events[k, 2] != events[k, 2]:
            events[k, 2] = events[k, 1] - _ground_altitude_once(terrain, events[k, 8], events[k, 9])
    for r in range(int(lane[L_ROWS])):
        if record[r, 2] != record[r, 2]:
            record[r, 2] = record[r, 1] - _ground_altitude_once(terrain, record[r, 5], record[r, 6])
    summary[S_STATUS] = lane[L_STATUS]
    summary[S_TD_VS], summary[S_TD_HS] = lane[L_TD_VS], lane[L_TD_HS]
    summary[S_PROPELLANT] = lane[L_PROPELLANT]
    summary[S_IN_BOX] = lane[L_DEPLOY_IN_BOX]
    summary[S_T_END], summary[S_PHASE_END], summary[S_STEPS] = lane[L_T], lane[L_PHASE], lane[L_ITERATION]
    return int(lane[L_ROWS])


# Arrays without reference counts. numba counts references to every array it binds, with an
# atomic increment and decrement each time, and the inlined helpers bind the kernel's arrays at
# every call: a profile (perf) of the kernel showed about half its time in those atomics. The
# kernel therefore flies on views that carry no reference count (numba.carray over the data
# pointer). They are made in _fly_lanes from arrays the caller holds for the whole call, so
# nothing they point to can be freed while they are used. numba has no public way to say "this
# array outlives the call"; the two intrinsics below are that.


@intrinsic
def _data_pointer(typingctx, arr):
    """The data pointer of an array."""

    def codegen(context, builder, sig, args):
        return context.make_array(sig.args[0])(context, builder, args[0]).data

    return types.CPointer(arr.dtype)(arr), codegen


@kernel_jit(inline="always")
def _unrefcounted(a):
    """A view of the C-contiguous array ``a`` without a reference count (valid while ``a`` lives)."""
    return carray(_data_pointer(a), a.shape)


@kernel_jit(error_model="numpy", inline="always")
def _take_next_case(cases, next_case, P, events, lane, lane_case, i):
    """Start case ``next_case`` in lane ``i`` if there is one left (else the lane idles);
    returns the next case to start."""
    lane_case[i] = -1
    if next_case >= cases.shape[0]:
        return next_case
    lane_case[i] = next_case
    _start(_unrefcounted(cases[next_case]), P, _unrefcounted(events[next_case]), lane)
    return next_case + 1



@kernel_jit(error_model="numpy")
def _fly_lanes(cases, P, aero, ref, terrain, events, summary, record):
    """Fly every row of ``cases`` in W lanes; a lane whose flight ends takes the next case.
    ``record`` (rows of RECORD_COLUMNS) records case 0's steps while it has rows; returns their number."""
    rad = math.pi / 180.0
    tgt_lat, tgt_lon = P.tgt_lat_deg * rad, P.tgt_lon_deg * rad
    tgt_u = (math.cos(tgt_lat) * math.cos(tgt_lon), math.cos(tgt_lat) * math.sin(tgt_lon), math.sin(tgt_lat))
    block = np.ones(N_BLOCK)  # lanes without a case integrate harmless numbers
    lanes = np.zeros((W, len(LANE_FIELDS)))
    snap = np.empty(N_SNAP)
    no_record = np.empty((0, len(RECORD_COLUMNS)))
    for i in range(W):  # a parked lane: at rest 100 km above the equator, landed
        block[B_RX * W + i], block[B_VY * W + i], block[B_PHASE * W + i] = P.ell_a + 1e5, 0.0, LANDED
    X, snap_v, ref_v, tables = _unrefcounted(block), _unrefcounted(snap), _unrefcounted(ref), map_arrays(terrain, _unrefcounted)
    rec_v, none_v = _unrefcounted(record), _unrefcounted(no_record)
    lane_case = np.full(W, -1, dtype=np.int64)
    next_case = 0
    rows = 0
    for i in range(W):
        next_case = _take_next_case(cases, next_case, P, events, _unrefcounted(lanes[i]), lane_case, i)
    columns = np.zeros(2, dtype=np.int64)
    columns_v = _unrefcounted(columns)
    while True:
        active = 0
        columns[0], columns[1] = 0, W - 1
        for i in range(W):
            while lane_case[i] >= 0:
                c = lane_case[i]
                lane, ev, sm = _unrefcounted(lanes[i]), _unrefcounted(events[c]), _unrefcounted(summary[c])
                rec = rec_v if c == 0 else none_v
                if _step(_unrefcounted(cases[c]), P, aero, ref_v, tables, tgt_u, ev, sm, rec, snap_v, lane, X, columns_v) == 0:
                    active += 1
                    break
                rows = max(rows, _finish(tables, ev, sm, rec, lane))
                next_case = _take_next_case(cases, next_case, P, events, lane, lane_case, i)
        if active == 0:
            break
        _integrate(X, columns[0], P, aero)
        for i in range(W):
            c = lane_case[i]
            if c >= 0:
                lane, sm = _unrefcounted(lanes[i]), _unrefcounted(summary[c])
                if _advance(P, sm, lane, X) == 1:
                    rows = max(rows, _finish(tables, _unrefcounted(events[c]), sm, rec_v if c == 0 else none_v, lane))
                    next_case = _take_next_case(cases, next_case, P, events, lane, lane_case, i)
    block[0] = snap[0] = columns[0] = no_record.size  # the arrays behind the views live until here
    return rows


@kernel_jit(error_model="numpy", nogil=True)
def fly_cases(cases, P, aero, ref, terrain, events, summary):
    """Fly every row of ``cases`` (N × CASE_FIELDS); fills ``events`` (N × N_EVENTS ×
    N_EVENT_FIELDS) and ``summary`` (N × SUMMARY_FIELDS). Every array must be C-contiguous.

    It runs without the GIL: the Monte Carlo flies its batches on threads of one process
    (:func:`edlcam.flight.montecarlo.run_montecarlo`); each call writes only its own rows."""
    _fly_lanes(cases, P, aero, ref, terrain, events, summary, np.empty((0, len(RECORD_COLUMNS))))


@kernel_jit(error_model="numpy")
def fly_recorded(case, P, aero, ref, terrain, events, summary, record):
    """Fly one case and record every step in ``record``; returns the number of rows."""
    return _fly_lanes(
        case.reshape((1, case.shape[0])), P, aero, ref, terrain, events.reshape((1, events.shape[0], events.shape[1])),
        summary.reshape((1, summary.shape[0])), record,
    )

