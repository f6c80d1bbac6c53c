"""The step policy: how long each lane's next step is, and whether it reads the ground in full.

Steps are fixed (``[simulation]``): in entry one per guidance cycle, under the open canopy the
coarse step, finer through inflation, the control cycle in powered flight; every step is a whole
number of fine steps, so that every step ends on the output grid. Events are located to within one
fine step: steps shrink as a range trigger or a height that acts comes near, and end on the times
that act (the guidance cycle, the heat shield's separation delay, SUFR's time limit).

The full ground read (≈ 0.3 µs) happens only where its value can matter (:func:`_ground_read`);
elsewhere a bound proves the height above ground exceeds what acts, and the rows and events marked
there get their height after the flight (:func:`edlcam.flight.kernel.lanes._finish`).
"""

from __future__ import annotations

import math

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.layout import (
    APPROACH, CONSTANT_V, DECEL, PARACHUTE, SUFR, T_EPS_S, TRIGGER_MACH, TRIGGER_RANGE, TRIGGER_VELOCITY,
)  # fmt: skip
from edlcam.mars.terrain_kernel import curvature_drop_m, ground_upper_bound_m

__all__: list[str] = []  # the kernel's own helpers, imported by its modules

LAZY_GROUND_MARGIN_M = 50.0  # under the canopy, full ground reads start this far above where a step's descent could reach the next height that acts


@kernel_jit(error_model="numpy", inline="always")
def _whole_fine_steps(dt, P):
    """``dt`` rounded down to whole fine steps, at least one: every step is a whole number of
    fine steps (the mission's steps are checked to be), so every step ends on the output grid."""
    return max(1.0, math.floor(dt / P.dt_fine)) * P.dt_fine


@kernel_jit(error_model="numpy", inline="always")
def _trigger_reached(rng, speed, mach, q, P):
    """Whether the parachute's trigger (``P.deploy_trigger``) is reached: the range to the target
    down to ``P.deploy_range``, or the navigated speed, the Mach or the dynamic pressure down to
    ``P.deploy_value`` (the dynamic pressure once the Mach is inside the deploy box: before, it is
    still rising from entry interface). ``rng`` and ``speed`` are the navigated ones
    (:mod:`edlcam.flight.kernel.navigation`); the Mach and the dynamic pressure the air's."""
    trig = P.deploy_trigger
    if trig == TRIGGER_RANGE:
        return rng <= P.deploy_range
    if trig == TRIGGER_VELOCITY:
        return speed <= P.deploy_value
    if trig == TRIGGER_MACH:
        return mach <= P.deploy_value
    return q <= P.deploy_value and mach <= P.mach_max


@kernel_jit(error_model="numpy", inline="always")
def _trigger_time_s(rng, speed, mach, q, a_sound, decel, P):
    """Flight time [s] to the parachute's trigger at the present rates (≤ 0: reached): the range
    flown at the present speed; the speed, Mach or dynamic pressure falling with the sensed
    deceleration ``decel`` [m/s²] (the dynamic pressure as the speed squared, the rising density
    neglected, so early: an estimate that only places SUFR and shortens the steps)."""
    trig = P.deploy_trigger
    if trig == TRIGGER_RANGE:
        return (rng - P.deploy_range) / max(speed, 1.0)
    rate = max(decel, 0.1)
    if trig == TRIGGER_VELOCITY:
        return (speed - P.deploy_value) / rate
    if trig == TRIGGER_MACH:
        return (mach - P.deploy_value) * a_sound / rate
    to_box = (mach - P.mach_max) * a_sound / rate
    return max(to_box, (q - P.deploy_value) * speed / (2.0 * max(q, 1e-9) * rate))


@kernel_jit(error_model="numpy", inline="always")
def _range_gap_s(rng, mode, air_speed, speed, to_trigger_s, P):
    """Flight time [s] to the next trigger of entry: SUFR start, then parachute deploy (a guided
    entry), or parachute deploy (a ballistic one). ``to_trigger_s``: :func:`_trigger_time_s`."""
    if P.deploy_trigger == TRIGGER_RANGE:
        if mode != SUFR and P.entry_guided > 0.5:
            return (rng - P.deploy_range - air_speed * P.sufr_lead_s) / max(speed, 1.0)
        return (rng - P.deploy_range) / max(speed, 1.0)
    if mode != SUFR and P.entry_guided > 0.5:
        return to_trigger_s - P.sufr_lead_s
    return to_trigger_s


@kernel_jit(error_model="numpy", inline="always")
def _entry_step(t, mode, range_gap_s, t_cycle_next, t_sufr, P):
    """The integration step [s] from here in entry: the entry step, ending on the next guidance
    cycle (at ``t_cycle_next``), shorter as the next range trigger (SUFR start, then parachute
    deploy) comes near — ``range_gap_s`` is the flight time to it — so that the trigger is located
    to within one fine step, and the fine step once SUFR has reached the deploy range (waiting for
    its roll), ending at SUFR's time limit."""
    dt = P.dt_entry
    if range_gap_s > 0.0:
        dt = min(dt, _whole_fine_steps(range_gap_s, P))
    dt = min(dt, _whole_fine_steps(t_cycle_next - t + T_EPS_S, P))
    if mode == SUFR:
        if range_gap_s <= 0.0:
            dt = P.dt_fine
        dt = min(dt, _whole_fine_steps(t_sufr + P.sufr_max_s - t + T_EPS_S, P))
    return dt


@kernel_jit(error_model="numpy", inline="always")
def _step_for(phase, t, t_deploy, heatshield_on, t_legs, hagl, vu, P):
    """The integration step [s] from here after entry: fine steps through canopy inflation, under
    the open canopy the coarse step, and the powered-flight control cycle.

    Events are located to within one fine step: under the canopy steps end on the heat-shield
    separation time and on the legs' deployment (``t_legs``: NaN when none is due) and shrink as
    the radar-lock and backshell-separation heights come near."""
    if phase != PARACHUTE:
        return P.dt_powered
    since = t - t_deploy
    if since <= P.chute_fine_s:
        return P.dt_fine
    dt = P.dt_chute
    if heatshield_on and since < P.hs_delay_s - T_EPS_S:
        dt = min(dt, _whole_fine_steps(P.hs_delay_s - since + T_EPS_S, P))
    if t_legs == t_legs and t < t_legs - T_EPS_S:
        dt = min(dt, _whole_fine_steps(t_legs - t + T_EPS_S, P))
    if hagl > P.radar_height:
        gap = hagl - P.radar_height
    else:
        gap = hagl - P.bs_height
    if vu < 0.0 and gap > 0.0:
        dt = min(dt, _whole_fine_steps(gap / -vu, P))
    return dt


@kernel_jit(error_model="numpy", inline="always")
def _ground_read(phase, alt, pe, pn, pu, vu, t_go, nav_u, radar_locked, read_e, read_n, read_ground, terrain, P):
    """Whether this step reads the ground in full, and a lower bound [m] of the height above ground.

    Under the canopy: where the next height that acts (radar lock, then backshell separation) may
    lie within one coarse step and one fine step of descent at the present vertical speed, plus
    LAZY_GROUND_MARGIN_M: only there do the steps shrink towards it (:func:`_step_for`), so they see
    the true height; above, the bound proves the step is the coarse one and no event fires. In
    free fall, the approach (until its last second) and under the sky crane only touchdown
    acts, so only where the ground may be reached; in constant-velocity descent only the start
    of deceleration, so only where the navigated height (``pu + nav_u`` above the ground) may have
    come down to it; in deceleration always (it steers by the height). Elsewhere a bound proves
    the height above ground exceeds ``hagl_low``: the terrain's tile bound (≈ 10 ns), and after the
    canopy also the ground's slope bound from the lane's last full read ``read_*`` at (east, north)
    (terrain_kernel.ground_slope_bound; the tile bound is hundreds of metres loose, this one grows
    by L = 35 m per metre moved). The choice does not depend on recording, so a recorded flight is
    the Monte Carlo's.

    ``alt``: the altitude [m]; ``pe, pn, pu``: the position (ENU) [m]; ``vu``: the vertical speed
    [m/s]; ``t_go``: the approach's time to go [s]; ``radar_locked``: whether the radar has locked on."""
    hagl_low = alt - ground_upper_bound_m(terrain, pe, pn)
    if phase <= PARACHUTE:
        reach = max(-vu, 0.0) * (P.dt_chute + P.dt_fine) + LAZY_GROUND_MARGIN_M
        exact = hagl_low <= (P.bs_height if radar_locked else P.radar_height) + reach
    elif phase != DECEL and not (phase == APPROACH and t_go <= 1.0):
        slope, slack = terrain[16], terrain[17]
        de, dn = pe - read_e, pn - read_n
        near = alt - (read_ground + slope * math.sqrt(de * de + dn * dn) + slack)
        if near > 0.0 and pe * pe + pn * pn < terrain[4] * terrain[4]:  # the bound holds inside the model's radius
            hagl_low = max(hagl_low, near)
        if phase == CONSTANT_V and P.terminal_legs < 0.5:  # it steers by the height only to start decelerating
            h_nav_low = pu + nav_u - (alt - hagl_low - curvature_drop_m(terrain, pe, pn))
            exact = not h_nav_low > P.dec_height
        else:
            exact = not hagl_low > 0.0
    else:
        exact = True
    return exact, hagl_low
