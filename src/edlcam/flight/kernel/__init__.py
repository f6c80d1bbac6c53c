"""The compiled flight kernel: trajectories from entry interface to touchdown, in numba.

:func:`edlcam.flight.sequencer.fly` hands every case to :func:`fly_cases`, which flies them in
W = 32 lanes: each lane steps its own case (fixed steps: RK4, the midpoint rule in powered flight,
the controls held over a step — the phases, guidance and events described in
:mod:`edlcam.flight.sequencer`), and the lanes' steps are integrated together, the force model
running on all of them in vector instructions. It is written by hand because no library flies a
guided multi-phase EDL: the models are this project's (ETPC entry guidance, the parachute
sequence, E-guidance and the sky crane), and numpy cannot fly them fast enough for a Monte Carlo
(an array program pays microseconds per operation and per step; a Monte Carlo of 2,000 landings
is 2 million steps). numba compiles it to machine code and caches it beside the module.

A trajectory never sees another case: a lane's arithmetic does not depend on the other lanes, so
its result does not depend on the batch, its lane, the number of workers or their order:
reproducibility comes from the structure, not from care in reductions.

Units are SI, angles in radians unless a name says ``_deg``; vectors are (x, y, z) tuples of
floats in the planet-fixed frame unless a name says ENU (the target's east-north-up frame).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import carray, njit, types
from numba.extending import intrinsic

from edlcam.flight.events import EVENT_NAMES, MINOR_EVENT_NAMES
from edlcam.mars.constants import EARTH_G_M_S2
from edlcam.mars.terrain_kernel import curvature_drop_m, ground_altitude_m, ground_upper_bound_m, map_arrays

__all__ = [
    "KernelParams",
    "next_entry_mode",
    "etpc_bank_command",
    "RECORD_COLUMNS",
    "SUMMARY_FIELDS",
    "CASE_FIELDS",
    "STATUS_CODES",
    "fly_cases",
    "fly_recorded",
]

# Phases (same codes as edlcam.flight.sequencer) and entry-guidance modes (edlcam.flight.guidance).
ENTRY, PARACHUTE, FREEFALL, APPROACH, CONSTANT_V, DECEL, SKYCRANE, LANDED, FAILED = range(9)
PREBANK, RANGE_CONTROL, HEADING_ALIGNMENT, SUFR = 0, 1, 2, 3

SUTTON_GRAVES_MARS = 1.9027e-4  # kg^0.5/m, Sutton & Graves (1971), Mars CO2/N2 (SI)
RADAR_ACQUISITION_HEIGHT_M = 6000.0  # est.: M2020 radar locks on ≈ E+290, a few km above ground
LAZY_GROUND_MARGIN_M = 1000.0  # under the canopy, full ground reads start this far above the next height that acts
_T_EPS_S = 1e-6  # times this close count as reached (sums of steps carry rounding)

# Rows of the events array: the events in the order of EVENT_NAMES + MINOR_EVENT_NAMES.
_EVENTS = EVENT_NAMES + MINOR_EVENT_NAMES
N_EVENTS = len(_EVENTS)
EV_ENTRY_INTERFACE = _EVENTS.index("entry_interface")
EV_PEAK_HEATING = _EVENTS.index("peak_heating")
EV_PEAK_DECELERATION = _EVENTS.index("peak_deceleration")
EV_PARACHUTE_DEPLOY = _EVENTS.index("parachute_deploy")
EV_HEATSHIELD_SEPARATION = _EVENTS.index("heatshield_separation")
EV_BACKSHELL_SEPARATION = _EVENTS.index("backshell_separation")
EV_POWERED_DESCENT_START = _EVENTS.index("powered_descent_start")
EV_SKYCRANE_START = _EVENTS.index("skycrane_start")
EV_TOUCHDOWN = _EVENTS.index("touchdown")
EV_RANGE_CONTROL_START = _EVENTS.index("range_control_start")
EV_HEADING_ALIGNMENT_START = _EVENTS.index("heading_alignment_start")
EV_SUFR_START = _EVENTS.index("sufr_start")
EV_BALANCE_MASS_JETTISON = _EVENTS.index("balance_mass_jettison")
EV_MORTAR_FIRE = _EVENTS.index("mortar_fire")
EV_RADAR_LOCK = _EVENTS.index("radar_lock")
EV_CONSTANT_VELOCITY_START = _EVENTS.index("constant_velocity_start")
EV_DECELERATION_START = _EVENTS.index("deceleration_start")
EVENT_FIELDS = (
    "t_s", "altitude_m", "height_agl_m", "speed_m_s", "mach", "dynamic_pressure_pa", "lat_deg", "lon_deg",
    "east_m", "north_m", "up_m", "ve_m_s", "vn_m_s", "vu_m_s", "mass_kg",
)  # fmt: skip
N_EVENT_FIELDS = len(EVENT_FIELDS)

#: Per-case inputs, columns of the ``cases`` array (the CaseInputs fields, in this order).
CASE_FIELDS = (
    "entry_altitude_m", "entry_lat_deg", "entry_lon_deg", "entry_speed_m_s", "entry_fpa_deg", "entry_heading_deg",
    "density_scale_low", "density_scale_high", "drag_scale", "lift_to_drag_scale", "entry_mass_offset_kg",
    "chute_drag_scale", "thrust_scale", "wind_east_m_s", "wind_north_m_s", "nav_error_east_m", "nav_error_north_m",
    "nav_error_up_m", "divert_target_east_m", "divert_target_north_m",
)  # fmt: skip

# Column of each case input (CASE_FIELDS order).
(
    C_ALTITUDE, C_LAT, C_LON, C_SPEED, C_FPA, C_HEADING, C_DENSITY_LOW, C_DENSITY_HIGH, C_DRAG, C_LOD,
    C_MASS_OFFSET, C_CHUTE_DRAG, C_THRUST, C_WIND_E, C_WIND_N, C_NAV_E, C_NAV_N, C_NAV_U, C_DIVERT_E, C_DIVERT_N,
) = range(len(CASE_FIELDS))  # fmt: skip
# What the forces need of a case (``forces``) and of the controls held over a step (``ctx``).
F_WIND_X, F_WIND_Y, F_WIND_Z, F_DRAG, F_LOD, F_CHUTE_DRAG, F_DENSITY_LOW, F_DENSITY_HIGH = range(8)
X_PHASE, X_T_DEPLOY, X_HEATSHIELD_ON, X_LIFT_ON, X_THRUST_X, X_THRUST_Y, X_THRUST_Z = range(7)

#: Status codes of a case before the landing is judged (edlcam.flight.sequencer names them).
STATUS_CODES = {0: "", 1: "skip_out", 2: "crash", 3: "fuel_out", 4: "timeout"}
ST_NONE, ST_SKIP_OUT, ST_CRASH, ST_FUEL_OUT, ST_TIMEOUT = 0, 1, 2, 3, 4

#: Per-case outputs besides the events: the status and the values its reason quotes.
SUMMARY_FIELDS = (
    "status_code", "reason_t_s", "reason_altitude_m", "reason_speed_m_s", "reason_height_agl_m",
    "touchdown_vertical_speed_m_s", "touchdown_horizontal_speed_m_s", "propellant_kg", "deploy_in_box", "t_end_s",
    "phase_end", "steps",
)  # fmt: skip
(
    S_STATUS, S_REASON_T, S_REASON_ALT, S_REASON_SPEED, S_REASON_HAGL, S_TD_VS, S_TD_HS, S_PROPELLANT, S_IN_BOX,
    S_T_END, S_PHASE_END, S_STEPS,
) = range(len(SUMMARY_FIELDS))  # fmt: skip

#: Columns of the recorded trajectory (``edlcam simulate``), one row per step.
RECORD_COLUMNS = (
    "t_s", "altitude_m", "height_agl_m", "lat_deg", "lon_deg", "east_m", "north_m", "up_m", "ve_m_s", "vn_m_s",
    "vu_m_s", "speed_m_s", "mach", "dynamic_pressure_pa", "density_kg_m3", "pressure_pa", "temperature_k", "decel_g",
    "mass_kg", "bank_deg", "throttle", "range_to_target_m", "phase_code", "entry_mode", "thrust_e", "thrust_n",
    "thrust_u", "wind_e", "wind_n",
)  # fmt: skip

#: Everything the kernel needs from the mission, as one flat tuple of floats (numba passes a
#: named tuple of floats by value; its fields compile to constants' loads).
KernelParams = namedtuple(
    "KernelParams",
    (
        # planet and ellipsoid
        "gm", "radius_eq", "j2", "omega", "ell_a", "ell_b", "ell_e2", "ell_ep2", "g_surface",
        # atmosphere
        "atm_p0", "atm_r", "atm_gamma", "atm_tail_m", "atm_t_tail_k", "atm_r_tail_m", "atm_planet_radius_m",
        "atm_tail_k", "atm_split_m",
        # vehicle
        "entry_mass", "balance_mass", "heatshield_mass", "backshell_mass", "propellant_mass", "ref_area",
        "backshell_cd", "ds_cda", "chute_area", "chute_inflation_s", "max_thrust", "exhaust_speed", "min_throttle",
        "nose_radius",
        # entry guidance
        "prebank", "rc_drag", "overcontrol", "ha_speed", "ha_gain", "ha_max_bank", "db_low", "db_high", "db_speed",
        "sufr_bank", "bank_rate_lim", "bank_acc_lim", "sufr_lead_s", "sufr_max_s",
        # parachute
        "deploy_range", "mach_min", "mach_max", "q_min", "q_max", "hs_delay_s", "hs_mach_max",
        # powered descent
        "bs_height", "free_fall_s", "cv_speed", "max_divert", "app_end_height", "app_thrust_frac", "app_duration_s",
        "dec_height", "sky_height", "sky_speed", "bridle_length", "bridle_payout_s",
        # target frame: ENU rows at the target, and its origin (planet-fixed)
        "tgt_lat_deg", "tgt_lon_deg", "e_x", "e_y", "e_z", "n_x", "n_y", "n_z", "u_x", "u_y", "u_z",
        "o_x", "o_y", "o_z", "target_up",
        # integration
        "dt_fine", "dt_entry", "dt_guidance", "dt_bank", "dt_chute", "dt_powered", "chute_fine_s", "max_duration_s", "max_iterations",
    ),
)  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Small pieces


@njit(cache=True, error_model="numpy", inline="always")
def _bracket(x, xs):
    """Index ``j`` and weight ``w`` such that ``ys[j] + w (ys[j+1] − ys[j])`` interpolates any
    column ``ys`` of a table on ``xs`` at ``x`` (held at the ends, as np.interp): one search
    for several columns."""
    n = xs.shape[0]
    if x <= xs[0]:
        return 0, 0.0
    if x >= xs[n - 1]:
        return n - 2, 1.0
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo, (x - xs[lo]) / (xs[hi] - xs[lo])


@njit(cache=True, error_model="numpy", inline="always")
def _at(ys, j, w):
    return ys[j] + w * (ys[j + 1] - ys[j])


@njit(cache=True, error_model="numpy", inline="always")
def _table_pair(x, xs, ya, yb):
    """np.interp for one point of two columns ``ya``, ``yb`` of a small table given as tuples (the
    vehicle's Mach tables), the same arithmetic as ``_at(ys, *_bracket(x, xs))`` but without a
    branch: the lanes of :func:`_integrate` each pick their own row (a chain of selects) and stay
    in one vector."""
    n = len(xs)
    x0, x1, a0, a1, b0, b1 = xs[0], xs[1], ya[0], ya[1], yb[0], yb[1]
    for k in range(1, n - 1):
        up = xs[k] <= x
        x0 = xs[k] if up else x0
        x1 = xs[k + 1] if up else x1
        a0 = ya[k] if up else a0
        a1 = ya[k + 1] if up else a1
        b0 = yb[k] if up else b0
        b1 = yb[k + 1] if up else b1
    w = (x - x0) / (x1 - x0)
    w = 0.0 if x <= xs[0] else w
    w = 1.0 if x >= xs[n - 1] else w
    return a0 + w * (a1 - a0), b0 + w * (b1 - b0)


@njit(cache=True, error_model="numpy", inline="always")
def _table_at(x, xs, ys):
    """:func:`_table_pair` of one column."""
    return _table_pair(x, xs, ys, ys)[0]


# The force model runs on W lanes at once (:func:`_integrate`), and LLVM turns that loop into
# vector instructions only if nothing in it is an opaque call. numba's math.sqrt and math.exp are
# calls into libm (sqrt one that may set errno); these are the LLVM intrinsic for the square root
# (IEEE, so the same bits as libm's) and an exp of this project's: Cody–Waite reduction by ln 2 and
# a degree-13 Taylor polynomial, within an ulp or two of libm's. (numba vectorizes libm's exp only
# through Intel's SVML with fastmath, which would change results with the CPU.)


@intrinsic
def _sqrt(typingctx, x):
    """√x as the llvm.sqrt intrinsic."""

    def codegen(context, builder, sig, args):
        return builder.call(builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()]), [args[0]])

    return types.float64(types.float64), codegen


@intrinsic
def _floor(typingctx, x):
    """⌊x⌋ as the llvm.floor intrinsic."""

    def codegen(context, builder, sig, args):
        return builder.call(builder.module.declare_intrinsic("llvm.floor", [ir.DoubleType()]), [args[0]])

    return types.float64(types.float64), codegen


@intrinsic
def _bits_as_f64(typingctx, x):
    """The float64 whose bits are the int64 ``x``."""

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts: n·_LN2_HI is exact for |n| < 2^11
_LN2_LO = 1.90821492927058770002e-10
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = (1.0 / math.factorial(k) for k in range(2, 14))


@njit(cache=True, error_model="numpy", inline="always")
def _exp(x):
    """e^x for x in [−708, 709] (clamped there): e^x = 2^n e^r, n = round(x / ln 2), |r| ≤ ln2 / 2,
    e^r − 1 = r + r² Σ r^k / (k + 2)! to k = 11, summed by Estrin's scheme (short dependency chains:
    the scalar step waits on it)."""
    x = min(max(x, -708.0), 709.0)
    n = _floor(x * _LOG2E + 0.5)
    r = (x - n * _LN2_HI) - n * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    b0 = (_E2 + _E3 * r) + (_E4 + _E5 * r) * r2
    b1 = (_E6 + _E7 * r) + (_E8 + _E9 * r) * r2
    b2 = (_E10 + _E11 * r) + (_E12 + _E13 * r) * r2
    p = r + r2 * ((b0 + b1 * r4) + b2 * (r4 * r4))  # e^r − 1
    scale = _bits_as_f64((np.int64(n) + 1023) << 52)  # 2^n
    return scale + scale * p


_2_OVER_PI = 2.0 / math.pi
_PIO2_HI = 1.57079632673412561417e00  # π/2 in two parts (fdlibm's pio2_1, pio2_1t): n·_PIO2_HI is exact
_PIO2_LO = 6.07710050650619224932e-11
_S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8 = ((-1.0) ** k / math.factorial(2 * k + 1) for k in range(1, 9))  # r^3 … r^17
_C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8 = ((-1.0) ** k / math.factorial(2 * k) for k in range(1, 9))  # r^2 … r^16


@njit(cache=True, error_model="numpy", inline="always")
def _cos_sin(x):
    """(cos x, sin x) for |x| < 10^5 (bank angles), within an ulp or two of libm's: x = n π/2 + r,
    |r| ≤ π/4, Taylor polynomials of r to degree 16 and 17, the quadrant n mod 4 by selects."""
    n = _floor(x * _2_OVER_PI + 0.5)
    r = (x - n * _PIO2_HI) - n * _PIO2_LO
    r2 = r * r
    sp = _S1 + r2 * (_S2 + r2 * (_S3 + r2 * (_S4 + r2 * (_S5 + r2 * (_S6 + r2 * (_S7 + r2 * _S8))))))
    cp = _C1 + r2 * (_C2 + r2 * (_C3 + r2 * (_C4 + r2 * (_C5 + r2 * (_C6 + r2 * (_C7 + r2 * _C8))))))
    s = r + r * r2 * sp
    c = 1.0 + r2 * cp
    q = np.int64(n) & 3
    sin_x = s if q == 0 else (c if q == 1 else (-s if q == 2 else -c))
    cos_x = c if q == 0 else (-s if q == 1 else (-c if q == 2 else s))
    return cos_x, sin_x


@njit(cache=True, error_model="numpy", inline="always")
def _wrap_once(x):
    """``x`` in [−π, π) for ``x`` in [−3π, 3π): a difference of two angles in [−π, π), or one
    moved by a small step (the bank actuator wraps 40 times a second; no division needed)."""
    x = x - 2.0 * math.pi if x >= math.pi else x
    return x + 2.0 * math.pi if x < -math.pi else x


@njit(cache=True, error_model="numpy", inline="always")
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(cache=True, error_model="numpy", inline="always")
def _geodetic(x, y, z, P):
    """Geodetic sin/cos of latitude and altitude [m] of a planet-fixed point (Bowring's closed
    form, one step — as edlcam.mars.frames.cartesian_to_geodetic — with the trigonometry of
    its two arctangents replaced by the ratios they stand for)."""
    a, b, e2, ep2 = P.ell_a, P.ell_b, P.ell_e2, P.ell_ep2
    p = _sqrt(x * x + y * y)
    za, pb = z * a, p * b
    s = _sqrt(za * za + pb * pb)
    st, ct = za / s, pb / s
    ny = z + ep2 * b * st * st * st
    nx = p - e2 * a * ct * ct * ct
    k = _sqrt(nx * nx + ny * ny)
    sin_lat, cos_lat = ny / k, nx / k
    n = a / _sqrt(1.0 - e2 * sin_lat * sin_lat)
    h = p / cos_lat - n if abs(cos_lat) > 1e-6 else abs(z) - b
    return sin_lat, cos_lat, h


@njit(cache=True, error_model="numpy", inline="always")
def _atmosphere(h, scale_low, scale_high, P):
    """Density, pressure, temperature, speed of sound at MOLA altitude ``h``
    (edlcam.mars.atmosphere.Atmosphere.state, for one point; without branches, see _integrate)."""
    low = h < P.atm_tail_m
    t_k = (-31.0 - 0.000998 * h if h < 7000.0 else -23.4 - 0.00222 * h) + 273.1
    t_k = t_k if low else P.atm_t_tail_k
    # ln(p / p0): the fit below the tail, the isothermal hydrostatic tail above it.
    tail = -0.00009 * P.atm_tail_m - P.atm_tail_k * (1.0 / P.atm_r_tail_m - 1.0 / (P.atm_planet_radius_m + h))
    p = P.atm_p0 * _exp(-0.00009 * h if low else tail)
    w = 1.0 / (1.0 + _exp((P.atm_split_m - h) / 2500.0))  # ½ (1 + tanh((h − split) / 5 km)), one exp
    p = p * ((1.0 - w) * scale_low + w * scale_high)
    rho = p / (P.atm_r * t_k)
    return rho, p, t_k, _sqrt(P.atm_gamma * P.atm_r * t_k)


@njit(cache=True, error_model="numpy", inline="always")
def _to_enu(x, y, z, P):
    return (
        P.e_x * x + P.e_y * y + P.e_z * z,
        P.n_x * x + P.n_y * y + P.n_z * z,
        P.u_x * x + P.u_y * y + P.u_z * z,
    )


@njit(cache=True, error_model="numpy", inline="always")
def _from_enu(e, n, u, P):
    return (
        e * P.e_x + n * P.n_x + u * P.u_x,
        e * P.e_y + n * P.n_y + u * P.u_y,
        e * P.e_z + n * P.n_z + u * P.u_z,
    )


@njit(cache=True, error_model="numpy", inline="always")
def _target_geometry(sin_lat, cos_lat, x, y, vx, vy, vz, tgt_u, P):
    """Where the target lies from the vehicle, on the sphere of the equatorial radius (as
    edlcam.mars.frames.great_circle_range_m and bearing_rad): the range [m], the heading error
    [rad, + when the target's bearing is to the right of the velocity's], the crossrange
    [m, + when the target lies to the right] and the local vertical speed [m/s].

    In vector form: with the local east, north, up unit vectors E, N, U and the target's unit
    vector T, the range angle is atan2(|T·E, T·N|, T·U), the bearing atan2(T·E, T·N) and the
    crossrange R·asin(sin(range angle)·sin(heading error)) — no trigonometry of the angles."""
    p = math.sqrt(x * x + y * y)
    c_lon, s_lon = x / p, y / p
    t_e = -s_lon * tgt_u[0] + c_lon * tgt_u[1]
    t_n = -sin_lat * c_lon * tgt_u[0] - sin_lat * s_lon * tgt_u[1] + cos_lat * tgt_u[2]
    t_u = cos_lat * c_lon * tgt_u[0] + cos_lat * s_lon * tgt_u[1] + sin_lat * tgt_u[2]
    v_e = -s_lon * vx + c_lon * vy
    v_n = -sin_lat * c_lon * vx - sin_lat * s_lon * vy + cos_lat * vz
    v_u = cos_lat * c_lon * vx + cos_lat * s_lon * vy + sin_lat * vz
    rng = P.radius_eq * math.atan2(math.sqrt(t_e * t_e + t_n * t_n), t_u)
    cross = t_e * v_n - t_n * v_e
    herr = math.atan2(cross, t_e * v_e + t_n * v_n)
    xr = P.radius_eq * math.asin(_clip(cross / max(math.sqrt(v_e * v_e + v_n * v_n), 1e-9), -1.0, 1.0))
    return rng, herr, xr, v_u


# ----------------------------------------------------------------------------------------------
# Forces


@njit(cache=True, error_model="numpy", inline="always")
def _drag_area(t, mach, capsule_cd, phase, t_deploy, heatshield_on, drag_scale, chute_scale, P, aero):
    """C_D·A [m²] of what flies at Mach ``mach`` (``capsule_cd``: the capsule's C_D there): the
    capsule or backshell, plus the inflating parachute, or the descent stage."""
    cda = (capsule_cd if heatshield_on > 0.5 else P.backshell_cd) * P.ref_area * drag_scale
    x = _clip((t - t_deploy) / P.chute_inflation_s, 0.0, 1.0)
    chute = _table_at(mach, aero[3], aero[4]) * P.chute_area * chute_scale * (x * x)
    cda = cda + chute if phase == PARACHUTE else cda
    return P.ds_cda if phase > PARACHUTE else cda


@njit(cache=True, error_model="numpy", inline="always")
def _aero_thrust(
    t, rx, ry, rz, vx, vy, vz, m, rho, a_sound, cos_bank, sin_bank, phase, t_deploy, heatshield_on, lift_on,
    tx, ty, tz, wind_x, wind_y, wind_z, drag_scale, lod_scale, chute_scale, P, aero,
):  # fmt: skip
    """Aerodynamic and thrust acceleration [m/s²] and mass rate [kg/s] in air of density ``rho``
    and speed of sound ``a_sound``, with the bank angle given by its cosine and sine.

    The controls held over the step: ``phase``, deploy time, heat shield on (1/0), lift on
    (1/0), thrust acceleration (planet-fixed); the case's wind (planet-fixed) and scales of drag,
    L/D and parachute drag; ``aero``: capsule Mach, C_D, L/D; parachute Mach, C_D (tuples).
    Every phase's terms are computed and the phase selects among them: no branches, so that
    :func:`_integrate` runs it on all its lanes at once."""
    wx, wy, wz = vx - wind_x, vy - wind_y, vz - wind_z
    speed = _sqrt(wx * wx + wy * wy + wz * wz)
    inv = 1.0 / max(speed, 1e-9)
    hx, hy, hz = wx * inv, wy * inv, wz * inv
    mach = speed / a_sound
    q = 0.5 * rho * speed * speed
    cd, lod = _table_pair(mach, aero[0], aero[1], aero[2])
    d = q * _drag_area(t, mach, cd, phase, t_deploy, heatshield_on, drag_scale, chute_scale, P, aero) / m
    ax, ay, az = -d * hx, -d * hy, -d * hz
    # Lift in entry: the lift-up direction (radial, normal to v) turned about v by the bank angle.
    rn = _sqrt(rx * rx + ry * ry + rz * rz)
    ux, uy, uz = rx / rn, ry / rn, rz / rn
    dot = ux * hx + uy * hy + uz * hz
    px, py, pz = ux - dot * hx, uy - dot * hy, uz - dot * hz
    pn = _sqrt(px * px + py * py + pz * pz)
    px, py, pz = (px / pn, py / pn, pz / pn) if pn > 0.0 else (px, py, pz)
    qx, qy, qz = hy * pz - hz * py, hz * px - hx * pz, hx * py - hy * px  # v̂ × up⊥: to the right
    lift = d * lod * lod_scale * lift_on
    entry = phase == ENTRY
    ax = ax + lift * (cos_bank * px + sin_bank * qx) if entry else ax
    ay = ay + lift * (cos_bank * py + sin_bank * qy) if entry else ay
    az = az + lift * (cos_bank * pz + sin_bank * qz) if entry else az
    powered = phase >= FREEFALL
    ax = ax + tx if powered else ax
    ay = ay + ty if powered else ay
    az = az + tz if powered else az
    mdot = -_sqrt(tx * tx + ty * ty + tz * tz) * m / P.exhaust_speed if powered else 0.0
    flying = phase < LANDED
    return (ax if flying else 0.0), (ay if flying else 0.0), (az if flying else 0.0), (mdot if flying else 0.0)


@njit(cache=True, error_model="numpy", inline="always")
def _gravity_rotating(rx, ry, rz, vx, vy, vz, P):
    """J2 gravity with the Coriolis and centrifugal terms of the rotating frame [m/s²]."""
    r2 = rx * rx + ry * ry + rz * rz
    rn = _sqrt(r2)
    k = -P.gm / (rn * r2)
    zz = rz * rz / r2
    f = 1.5 * P.j2 * P.radius_eq * P.radius_eq / r2
    w = P.omega
    gx = k * rx * (1.0 + f * (1.0 - 5.0 * zz)) + 2.0 * w * vy + w * w * rx
    gy = k * ry * (1.0 + f * (1.0 - 5.0 * zz)) - 2.0 * w * vx + w * w * ry
    gz = k * rz * (1.0 + f * (3.0 - 5.0 * zz))
    return gx, gy, gz


@njit(cache=True, error_model="numpy", inline="always")
def _derivative(t, rx, ry, rz, vx, vy, vz, m, cos_bank, sin_bank, ctx, forces, P, aero):
    """(v̇, ṁ) of the equations of motion in the rotating frame (edlcam.flight.dynamics):
    J2 gravity, Coriolis and centrifugal terms, aerodynamics and thrust. (The kernel's steps
    make the same calls, re-using the air they already know at a step's start.)"""
    _s, _c, h = _geodetic(rx, ry, rz, P)
    rho, _p, _t, a_sound = _atmosphere(h, forces[F_DENSITY_LOW], forces[F_DENSITY_HIGH], P)
    ax, ay, az, mdot = _aero_thrust(
        t, rx, ry, rz, vx, vy, vz, m, rho, a_sound, cos_bank, sin_bank, ctx[X_PHASE], ctx[X_T_DEPLOY],
        ctx[X_HEATSHIELD_ON], ctx[X_LIFT_ON], ctx[X_THRUST_X], ctx[X_THRUST_Y], ctx[X_THRUST_Z],
        forces[F_WIND_X], forces[F_WIND_Y], forces[F_WIND_Z], forces[F_DRAG], forces[F_LOD], forces[F_CHUTE_DRAG], P, aero,
    )  # fmt: skip
    gx, gy, gz = _gravity_rotating(rx, ry, rz, vx, vy, vz, P)
    return gx + ax, gy + ay, gz + az, mdot


# ----------------------------------------------------------------------------------------------
# Entry guidance (edlcam.flight.guidance describes the law and builds its reference)


@njit(cache=True, error_model="numpy", inline="always")
def next_entry_mode(mode, speed_m_s, drag_m_s2, P):
    """Advance the entry guidance's sub-phase: pre-bank → range control once the sensed drag
    reaches ``range_control_drag_g`` → heading alignment below ``heading_alignment_speed_m_s``."""
    if mode == PREBANK and drag_m_s2 >= P.rc_drag:
        mode = RANGE_CONTROL
    if mode == RANGE_CONTROL and speed_m_s < P.ha_speed:
        mode = HEADING_ALIGNMENT
    return mode


@njit(cache=True, error_model="numpy", inline="always")
def etpc_bank_command(mode, bank_sign, speed_m_s, drag_m_s2, hdot_m_s, range_to_go_m, crossrange_m, heading_error_rad, lod, ref, P):
    """The ETPC's commanded bank [rad, + lifts to the right] and the updated reversal sign
    (Mendeck & Craig 2011; :mod:`edlcam.flight.guidance`).

    ``range_to_go_m`` to the end of the reference (deploy), ``crossrange_m`` + when the target
    lies to the right, ``heading_error_rad`` + when its bearing is to the right, ``lod`` the
    vehicle's current total L/D, ``ref`` the reference table (speed, R, D, ḣ, L/D, F1, F2, F3)."""
    # Predicted range R_p = R_ref + F1 (D − D_ref) + F2 (ḣ − ḣ_ref); vertical L/D to close the gap.
    j, w = _bracket(speed_m_s, ref[0])
    r_pred = _at(ref[1], j, w) + _at(ref[5], j, w) * (drag_m_s2 - _at(ref[2], j, w)) + _at(ref[6], j, w) * (
        hdot_m_s - _at(ref[3], j, w)
    )
    f3 = _at(ref[7], j, w)
    f3_safe = f3 if abs(f3) > 1.0 else math.copysign(1.0, f3 + 1e-300)
    lod_cmd = _at(ref[4], j, w) + P.overcontrol * (range_to_go_m - r_pred) / f3_safe
    bank_mag = math.acos(_clip(lod_cmd / max(lod, 1e-6), -1.0, 1.0))
    # Reversals: leaving the crossrange deadband (quadratic in V) on the wrong side.
    db = P.db_low + (P.db_high - P.db_low) * (speed_m_s / P.db_speed) ** 2
    if crossrange_m > db:
        bank_sign = 1.0
    elif crossrange_m < -db:
        bank_sign = -1.0
    if mode == PREBANK:
        return bank_sign * P.prebank, bank_sign
    if mode == RANGE_CONTROL:
        return bank_sign * bank_mag, bank_sign
    if mode == HEADING_ALIGNMENT:
        return _clip(P.ha_gain * heading_error_rad, -P.ha_max_bank, P.ha_max_bank), bank_sign
    return P.sufr_bank, bank_sign  # SUFR: lift up


# ----------------------------------------------------------------------------------------------
# Powered-descent guidance (edlcam.flight.powered, for one vehicle)


@njit(cache=True, error_model="numpy", inline="always")
def _e_guidance(p, v, r_f, v_f, t_go):
    """Cherry's (1964) E-guidance: acceleration to reach (r_f, v_f) in ``t_go`` (ENU)."""
    t = max(t_go, 1e-3)
    return (
        6.0 * (r_f[0] - p[0]) / (t * t) - (4.0 * v[0] + 2.0 * v_f[0]) / t,
        6.0 * (r_f[1] - p[1]) / (t * t) - (4.0 * v[1] + 2.0 * v_f[1]) / t,
        6.0 * (r_f[2] - p[2]) / (t * t) - (4.0 * v[2] + 2.0 * v_f[2]) / t,
    )


@njit(cache=True, error_model="numpy")
def _feasible(p, v, r_f, v_f, t, g, max_accel):
    """Whether the constant-jerk profile of E-guidance with time-to-go ``t`` needs no more than
    ``max_accel`` of thrust at its start and at its end."""
    a0 = _e_guidance(p, v, r_f, v_f, t)
    for end in range(2):
        ax, ay, az = a0
        if end == 1:  # a1 = a0 + jerk·t, jerk = 2 (v_f − v − a0 t) / t²
            ax += 2.0 * (v_f[0] - v[0] - a0[0] * t) / t
            ay += 2.0 * (v_f[1] - v[1] - a0[1] * t) / t
            az += 2.0 * (v_f[2] - v[2] - a0[2] * t) / t
        az += g
        if math.sqrt(ax * ax + ay * ay + az * az) > max_accel:
            return False
    return True


@njit(cache=True, error_model="numpy")
def _time_to_go(p, v, r_f, v_f, g, max_accel, preferred):
    """``preferred`` if feasible (:func:`_feasible`), else the shortest feasible whole second
    above it, up to 119 s; 119 s (or ``preferred``) when none is."""
    if _feasible(p, v, r_f, v_f, preferred, g, max_accel):
        return preferred
    last = preferred
    c = 10.0
    while c < 120.0:
        if c > preferred:
            last = c
            if _feasible(p, v, r_f, v_f, c, g, max_accel):
                return c
        c += 1.0
    return last


# ----------------------------------------------------------------------------------------------
# One trajectory


@njit(cache=True, error_model="numpy")
def _mark(events, k, snap, m):
    """Record event ``k`` with this step's state (``snap``), once (the first time only)."""
    if events[k, 0] != events[k, 0]:
        for j in range(N_EVENT_FIELDS - 1):
            events[k, j] = snap[j]
        events[k, 6] = math.degrees(math.atan2(snap[15], snap[16]))  # latitude from its sine and cosine
        events[k, 7] = math.degrees(math.atan2(snap[18], snap[17]))  # longitude from x, y
        events[k, N_EVENT_FIELDS - 1] = m


@njit(cache=True, error_model="numpy", inline="always")
def _range_gap_s(rng, mode, air_speed, speed, P):
    """Flight time [s] to the next range trigger of entry: SUFR start, then parachute deploy."""
    if mode != SUFR:
        return (rng - P.deploy_range - air_speed * P.sufr_lead_s) / max(speed, 1.0)
    return (rng - P.deploy_range) / max(speed, 1.0)


@njit(cache=True, error_model="numpy", inline="always")
def _whole_fine_steps(dt, P):
    """``dt`` rounded down to whole fine steps, at least one: every step is a whole number of
    fine steps (the mission's steps are checked to be), so every step ends on the output grid."""
    return max(1.0, math.floor(dt / P.dt_fine)) * P.dt_fine


@njit(cache=True, error_model="numpy", inline="always")
def _entry_step(t, mode, range_gap_s, t_cycle_next, t_sufr, P):
    """The integration step [s] from here in entry: the entry step, ending on the next guidance
    cycle (at ``t_cycle_next``), shorter as the next range trigger (SUFR start, then parachute
    deploy) comes near — ``range_gap_s`` is the flight time to it — so that the trigger is located
    to within one fine step, and the fine step once SUFR has reached the deploy range (waiting for
    its roll), ending at SUFR's time limit."""
    dt = P.dt_entry
    if range_gap_s > 0.0:
        dt = min(dt, _whole_fine_steps(range_gap_s, P))
    dt = min(dt, _whole_fine_steps(t_cycle_next - t + _T_EPS_S, P))
    if mode == SUFR:
        if range_gap_s <= 0.0:
            dt = P.dt_fine
        dt = min(dt, _whole_fine_steps(t_sufr + P.sufr_max_s - t + _T_EPS_S, P))
    return dt


@njit(cache=True, error_model="numpy", inline="always")
def _step_for(phase, t, t_deploy, heatshield_on, hagl, vu, P):
    """The integration step [s] from here after entry: fine steps through canopy inflation, under
    the open canopy the coarse step, and the powered-flight control cycle.

    Events are located to within one fine step: under the canopy steps end on the heat-shield
    separation time and shrink as the radar-lock and backshell-separation heights come near."""
    if phase != PARACHUTE:
        return P.dt_powered
    since = t - t_deploy
    if since <= P.chute_fine_s:
        return P.dt_fine
    dt = P.dt_chute
    if heatshield_on and since < P.hs_delay_s - _T_EPS_S:
        dt = min(dt, _whole_fine_steps(P.hs_delay_s - since + _T_EPS_S, P))
    if hagl > RADAR_ACQUISITION_HEIGHT_M:
        gap = hagl - RADAR_ACQUISITION_HEIGHT_M
    else:
        gap = hagl - P.bs_height
    if vu < 0.0 and gap > 0.0:
        dt = min(dt, _whole_fine_steps(gap / -vu, P))
    return dt


@njit(cache=True, error_model="numpy")
def _ground_altitude_once(terrain, east_m, north_m):
    """The ground's altitude for the rare reads (the aim point, events after the flight): a call
    rather than one more inlined copy of the terrain's reads, which costs compile time."""
    return ground_altitude_m(terrain, east_m, north_m)


# ----------------------------------------------------------------------------------------------
# Trajectories in lanes
#
# The kernel flies W cases at once, one per lane. Each lane runs its own flight logic (guidance,
# events, the choice of its step) in scalar code, then the force model integrates all lanes'
# steps together: the same instructions on 8 values at a time (AVX-512 holds 8 doubles), on W / 8
# vectors whose chains of square roots, divisions and exps the core overlaps. Lanes never mix: a lane's arithmetic is the same whatever the others hold, so a case's result does
# not depend on the batch, the lane it flew in or what flew beside it, and ``edlcam simulate``
# (one case, one lane) gives the Monte Carlo's nominal bit for bit.

W = 32  # lanes: measured in process, 8 lanes 2,730 landings/s, 16: 3,372, 32: 3,649, 64: 3,330

#: What a lane carries from one step to the next (columns of a row of the ``lanes`` array).
LANE_FIELDS = (
    "rx", "ry", "rz", "vx", "vy", "vz", "m", "t", "iteration", "phase", "mode", "bank", "bank_rate", "bank_sign",
    "lift_on", "heatshield_on", "t_phase", "t_deploy", "t_sufr", "t_sky", "t_go", "aim_e", "aim_n", "aim_up", "th_e",
    "th_n", "th_u", "propellant", "status", "deploy_in_box", "peak_heat", "peak_decel", "td_vs", "td_hs",
    "t_cycle_next", "bank_cmd", "rows", "wind_x", "wind_y", "wind_z", "read_e", "read_n", "read_ground", "column",
)  # fmt: skip
(
    L_RX, L_RY, L_RZ, L_VX, L_VY, L_VZ, L_M, L_T, L_ITERATION, L_PHASE, L_MODE, L_BANK, L_BANK_RATE, L_BANK_SIGN,
    L_LIFT_ON, L_HEATSHIELD_ON, L_T_PHASE, L_T_DEPLOY, L_T_SUFR, L_T_SKY, L_T_GO, L_AIM_E, L_AIM_N, L_AIM_UP, L_TH_E,
    L_TH_N, L_TH_U, L_PROPELLANT, L_STATUS, L_DEPLOY_IN_BOX, L_PEAK_HEAT, L_PEAK_DECEL, L_TD_VS, L_TD_HS,
    L_T_CYCLE_NEXT, L_BANK_CMD, L_ROWS, L_WIND_X, L_WIND_Y, L_WIND_Z, L_READ_E, L_READ_N, L_READ_GROUND, L_COLUMN,
) = range(len(LANE_FIELDS))  # fmt: skip

#: Rows of the block that :func:`_integrate` works on: row ``k`` holds W columns at
#: ``k * W … k * W + W − 1``, one per lane stepping (RK4 lanes from the front, midpoint lanes from
#: the back, so that RK4's last two stages run over the front columns only). One flat array, so that LLVM sees that the rows cannot overlap and
#: vectorizes the lane loops without run-time checks. The step's start, its length, the bank, its
#: rate and command and the bank controller's ticks in the step, the air at the start, the controls
#: held over the step and the case's forces; then scratch; then the step's end.
BLOCK_ROWS = (
    "rx", "ry", "rz", "vx", "vy", "vz", "m", "t", "dt", "bank", "bank_rate", "bank_cmd", "ticks", "rho", "a_sound",
    "phase", "t_deploy", "heatshield_on", "lift_on", "tx", "ty", "tz", "wind_x", "wind_y", "wind_z", "drag", "lod",
    "chute", "density_low", "density_high",
    "bank_mid", "c0", "s0", "c1", "s1", "c2", "s2",
    "kx", "ky", "kz", "km", "ux", "uy", "uz", "sum_rx", "sum_ry", "sum_rz", "sum_vx", "sum_vy", "sum_vz", "sum_m",
    "end_rx", "end_ry", "end_rz", "end_vx", "end_vy", "end_vz", "end_m", "end_bank", "end_bank_rate",
)  # fmt: skip
(
    B_RX, B_RY, B_RZ, B_VX, B_VY, B_VZ, B_M, B_T, B_DT, B_BANK, B_BANK_RATE, B_BANK_CMD, B_TICKS, B_RHO, B_A_SOUND,
    B_PHASE, B_T_DEPLOY, B_HEATSHIELD_ON, B_LIFT_ON, B_TX, B_TY, B_TZ, B_WIND_X, B_WIND_Y, B_WIND_Z, B_DRAG, B_LOD,
    B_CHUTE, B_DENSITY_LOW, B_DENSITY_HIGH,
    B_BANK_MID, B_C0, B_S0, B_C1, B_S1, B_C2, B_S2,
    B_KX, B_KY, B_KZ, B_KM, B_UX, B_UY, B_UZ, B_SUM_RX, B_SUM_RY, B_SUM_RZ, B_SUM_VX, B_SUM_VY, B_SUM_VZ, B_SUM_M,
    B_END_RX, B_END_RY, B_END_RZ, B_END_VX, B_END_VY, B_END_VZ, B_END_M, B_END_BANK, B_END_BANK_RATE,
) = range(len(BLOCK_ROWS))  # fmt: skip
N_BLOCK = len(BLOCK_ROWS) * W


@njit(cache=True, error_model="numpy")
def _start(case, P, events, lane):
    """A lane's state at entry interface for ``case`` (the CASE_FIELDS values): geodetic
    position, speed along flight-path angle and heading; no event yet."""
    rad = math.pi / 180.0
    events[:, :] = np.nan
    lane[L_WIND_X], lane[L_WIND_Y], lane[L_WIND_Z] = _from_enu(case[C_WIND_E], case[C_WIND_N], 0.0, P)
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


# _step is inlined by LLVM (forceinline), not by numba (inline="always"): numba's inlining of a
# function this size re-types it inside the caller, which doubled the kernel's first compile
# (33 s against 23 s); a plain call costs a quarter of the speed (every argument — the 89
# parameters, the tables — is passed by value on each lane's step).
@njit(cache=True, error_model="numpy", forceinline=True)
def _step(case, P, aero, ref, terrain, tgt_u, events, summary, record, snap, lane, X, columns):
    """One step of a lane's flight up to its integration: navigation, events, guidance and
    control, the step's length. Returns 1 when the flight has ended (landed, failed or timed
    out), else 0 after writing the step into a column of the block ``X``: the next free one from
    the front for an RK4 step (``columns[0]``), from the back for a midpoint step (``columns[1]``).

    ``case``: the CASE_FIELDS values; ``aero``: the vehicle's tables (tuples); ``ref``: the entry
    guidance's reference (speed, R, D, ḣ, L/D, F1, F2, F3 rows); ``terrain``: the terrain's
    kernel tables; ``tgt_u``: the target's unit vector (planet-fixed). Marks ``events``
    (N_EVENTS × N_EVENT_FIELDS), writes a failure's reason into ``summary`` and, while it has
    rows, one row of RECORD_COLUMNS per step into ``record``; ``snap``: N_EVENT_FIELDS + 4
    floats of scratch (the state events copy); ``lane``: the lane's LANE_FIELDS.
    """
    deg = 180.0 / math.pi
    rad = math.pi / 180.0
    wind_e, wind_n = case[C_WIND_E], case[C_WIND_N]
    wx, wy, wz = lane[L_WIND_X], lane[L_WIND_Y], lane[L_WIND_Z]
    nav_e, nav_n, nav_u = case[C_NAV_E], case[C_NAV_N], case[C_NAV_U]
    max_thrust = P.max_thrust * case[C_THRUST]
    min_thrust = P.min_throttle * max_thrust
    recording = record.shape[0] > 0
    g_s = P.g_surface
    dt_entry = P.dt_entry

    rx, ry, rz, vx, vy, vz, m = lane[L_RX], lane[L_RY], lane[L_RZ], lane[L_VX], lane[L_VY], lane[L_VZ], lane[L_M]
    t = lane[L_T]
    iteration = int(lane[L_ITERATION])
    phase, mode = int(lane[L_PHASE]), int(lane[L_MODE])
    bank, bank_rate, bank_sign, lift_on = lane[L_BANK], lane[L_BANK_RATE], lane[L_BANK_SIGN], lane[L_LIFT_ON]
    heatshield_on = lane[L_HEATSHIELD_ON] > 0.5
    t_phase, t_deploy, t_sufr, t_sky, t_go = lane[L_T_PHASE], lane[L_T_DEPLOY], lane[L_T_SUFR], lane[L_T_SKY], lane[L_T_GO]
    aim_e, aim_n, aim_up = lane[L_AIM_E], lane[L_AIM_N], lane[L_AIM_UP]
    th_e, th_n, th_u = lane[L_TH_E], lane[L_TH_N], lane[L_TH_U]
    propellant = lane[L_PROPELLANT]
    status = int(lane[L_STATUS])
    deploy_in_box = lane[L_DEPLOY_IN_BOX] > 0.5
    peak_heat, peak_decel = lane[L_PEAK_HEAT], lane[L_PEAK_DECEL]
    td_vs, td_hs = lane[L_TD_VS], lane[L_TD_HS]
    t_cycle_next, bank_cmd = lane[L_T_CYCLE_NEXT], lane[L_BANK_CMD]
    rows = int(lane[L_ROWS])

    steps = iteration + 1
    sin_lat, cos_lat, alt = _geodetic(rx, ry, rz, P)
    pe, pn_, pu = _to_enu(rx - P.o_x, ry - P.o_y, rz - P.o_z, P)
    ve, vn, vu = _to_enu(vx, vy, vz, P)
    # The full ground read (≈ 0.3 µs) happens only where its value can matter. Under the
    # canopy: within LAZY_GROUND_MARGIN_M of the next height that acts (radar lock, then
    # backshell separation), so that the steps shrinking towards it see the true height. In
    # free fall, the approach (until its last second) and under the sky crane only touchdown
    # acts, so only where the ground may be reached; in constant-velocity descent only the start
    # of deceleration, so only where the navigated height may have come down to it; in
    # deceleration always (it steers by the height). Elsewhere a bound proves the height above
    # ground exceeds ``hagl_low``: the terrain's tile bound (≈ 10 ns), and after the canopy also
    # the ground's slope bound from the lane's last full read (terrain_kernel.ground_slope_bound;
    # the tile bound is hundreds of metres loose, this one grows by L = 35 m per metre moved);
    # rows and events marked there get their height after the flight. The choice does not
    # depend on recording, so a recorded flight is the Monte Carlo's.
    hagl_low = alt - ground_upper_bound_m(terrain, pe, pn_)
    if phase <= PARACHUTE:
        radar_locked = events[EV_RADAR_LOCK, 0] == events[EV_RADAR_LOCK, 0]
        exact = hagl_low <= (P.bs_height if radar_locked else RADAR_ACQUISITION_HEIGHT_M) + LAZY_GROUND_MARGIN_M
    elif phase != DECEL and not (phase == APPROACH and t_go <= 1.0):
        slope, slack = terrain[16], terrain[17]
        de, dn = pe - lane[L_READ_E], pn_ - lane[L_READ_N]
        near = alt - (lane[L_READ_GROUND] + slope * math.sqrt(de * de + dn * dn) + slack)
        if near > 0.0 and pe * pe + pn_ * pn_ < terrain[4] * terrain[4]:  # the bound holds inside the model's radius
            hagl_low = max(hagl_low, near)
        if phase == CONSTANT_V:  # it steers by the height only to start decelerating
            h_nav_low = pu + nav_u - (alt - hagl_low - curvature_drop_m(terrain, pe, pn_))
            exact = not h_nav_low > P.dec_height
        else:
            exact = not hagl_low > 0.0
    else:
        exact = True
    if exact:
        ground = ground_altitude_m(terrain, pe, pn_)
        lane[L_READ_E], lane[L_READ_N], lane[L_READ_GROUND] = pe, pn_, ground
        hagl = alt - ground
        hagl_low = hagl
    else:
        hagl = np.nan
    rho, pres, temp, a_sound = _atmosphere(alt, case[C_DENSITY_LOW], case[C_DENSITY_HIGH], P)
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    ax_, ay_, az_ = vx - wx, vy - wy, vz - wz
    air_speed = math.sqrt(ax_ * ax_ + ay_ * ay_ + az_ * az_)
    mach = air_speed / a_sound
    q = 0.5 * rho * air_speed * air_speed
    snap[0], snap[1], snap[2], snap[3], snap[4], snap[5] = t, alt, hagl, speed, mach, q
    snap[8], snap[9], snap[10] = pe, pn_, pu
    snap[11], snap[12], snap[13] = ve, vn, vu
    snap[15], snap[16], snap[17], snap[18] = sin_lat, cos_lat, rx, ry  # latitude, longitude when marked

    # Sensed acceleration (the controls of the step before) and heating.
    # Before the descent stage flies, drag and lift are all there is, and lift is normal to
    # drag: |a| = q C_D A √(1 + (L/D)²) / m, whatever the bank.
    # (Only entry uses them — its guidance, peak heating, peak deceleration before deploy — and a
    # recorded flight's rows.)
    decel = heat = cd_mach = lod_mach = 0.0
    if phase == ENTRY or recording:
        cd_mach, lod_mach = _table_pair(mach, aero[0], aero[1], aero[2])  # the capsule at this Mach: sensed and guided
    hs = 1.0 if heatshield_on else 0.0
    if phase == ENTRY or (phase == PARACHUTE and recording):
        lod = lod_mach * case[C_LOD] * lift_on if phase == ENTRY else 0.0
        cda = _drag_area(t, mach, cd_mach, phase, t_deploy, hs, case[C_DRAG], case[C_CHUTE_DRAG], P, aero)
        decel = q * cda / m * math.sqrt(1.0 + lod * lod)
    elif recording:
        tx, ty, tz = _from_enu(th_e, th_n, th_u, P)
        sx, sy, sz, _md = _aero_thrust(
            t, rx, ry, rz, vx, vy, vz, m, rho, a_sound, 0.0, 0.0, phase, t_deploy, hs, lift_on, tx, ty, tz,
            wx, wy, wz, case[C_DRAG], case[C_LOD], case[C_CHUTE_DRAG], P, aero,
        )  # fmt: skip
        decel = math.sqrt(sx * sx + sy * sy + sz * sz)
    if phase == ENTRY:
        heat = SUTTON_GRAVES_MARS * math.sqrt(rho / P.nose_radius) * air_speed**3
    if iteration == 0:
        _mark(events, EV_ENTRY_INTERFACE, snap, m)
    if phase == ENTRY and heat > peak_heat:
        peak_heat = heat
        events[EV_PEAK_HEATING, 0] = np.nan
        _mark(events, EV_PEAK_HEATING, snap, m)
    if phase <= PARACHUTE and decel > peak_decel and t_deploy != t_deploy:
        peak_decel = decel
        events[EV_PEAK_DECELERATION, 0] = np.nan
        _mark(events, EV_PEAK_DECELERATION, snap, m)

    # ---------- failures ----------
    if phase < LANDED:
        skip = phase == ENTRY and alt > case[C_ALTITUDE] + 1000.0 and t > 20.0
        crash = phase <= PARACHUTE and hagl <= 0.0
        if skip or crash:
            status = ST_CRASH if crash else ST_SKIP_OUT
            summary[S_REASON_T], summary[S_REASON_ALT], summary[S_REASON_SPEED] = t, alt, speed
            phase = FAILED

    # ---------- entry guidance ----------
    bank_start = bank
    if phase == ENTRY:
        rng, herr, xr, vl_u = _target_geometry(sin_lat, cos_lat, rx, ry, vx, vy, vz, tgt_u, P)
        # Range Trigger and SUFR (Way et al.; Nelessen et al. 2019): SUFR begins shortly
        # before the trigger range, deploy when it is reached inside the Mach / q box. The
        # triggers are watched at every step (the steps shrink to the output step near them);
        # the guidance itself runs once per cycle, and at once when SUFR begins.
        cycle = t >= t_cycle_next - _T_EPS_S
        if mode != SUFR and (rng <= P.deploy_range + air_speed * P.sufr_lead_s or mach < P.mach_min + 0.1):
            _mark(events, EV_SUFR_START, snap, m)
            _mark(events, EV_BALANCE_MASS_JETTISON, snap, m)
            mode = SUFR
            t_sufr = t
            m = m - P.balance_mass
            lift_on = 0.0
            cycle = True
        if cycle:
            drag_acc = q * cd_mach * P.ref_area * case[C_DRAG] / m
            new_mode = next_entry_mode(mode, speed, drag_acc, P)
            if new_mode == RANGE_CONTROL and mode == PREBANK:
                _mark(events, EV_RANGE_CONTROL_START, snap, m)
            if new_mode == HEADING_ALIGNMENT and mode != HEADING_ALIGNMENT:
                _mark(events, EV_HEADING_ALIGNMENT_START, snap, m)
            mode = new_mode
            bank_cmd, bank_sign = etpc_bank_command(
                mode, bank_sign, speed, drag_acc, vl_u, rng - P.deploy_range, xr, herr,
                lod_mach * case[C_LOD], ref, P,
            )  # fmt: skip
            t_cycle_next = t + P.dt_guidance
        dt_entry = _entry_step(t, mode, _range_gap_s(rng, mode, air_speed, speed, P), t_cycle_next, t_sufr, P)
        in_box = P.mach_min <= mach <= P.mach_max and P.q_min <= q <= P.q_max
        sufr_done = abs(bank - P.sufr_bank) < 5.0 * rad  # SUFR's roll done (the bank now; the controller moves it in the step)
        trigger = mode == SUFR and rng <= P.deploy_range and mach <= P.mach_max and q <= P.q_max and sufr_done
        late = mode == SUFR and (t - t_sufr >= P.sufr_max_s or mach < P.mach_min)
        if trigger or late:
            _mark(events, EV_PARACHUTE_DEPLOY, snap, m)
            _mark(events, EV_MORTAR_FIRE, snap, m)
            deploy_in_box = in_box
            t_deploy = t
            phase = PARACHUTE
            t_phase = t

    # ---------- parachute ----------
    if phase == PARACHUTE:
        if heatshield_on and t - t_deploy >= P.hs_delay_s - _T_EPS_S and mach <= P.hs_mach_max:
            _mark(events, EV_HEATSHIELD_SEPARATION, snap, m)
            heatshield_on = False
            m = m - P.heatshield_mass
        if not heatshield_on and hagl <= RADAR_ACQUISITION_HEIGHT_M:
            _mark(events, EV_RADAR_LOCK, snap, m)
        if not heatshield_on and hagl <= P.bs_height:
            _mark(events, EV_BACKSHELL_SEPARATION, snap, m)
            m = m - P.backshell_mass
            phase = FREEFALL
            t_phase = t

    # ---------- powered descent ----------
    powered = FREEFALL <= phase <= SKYCRANE
    if powered:
        p_nav = (pe + nav_e, pn_ + nav_n, pu + nav_u)  # navigated position
        h_nav = p_nav[2] - (alt - hagl - curvature_drop_m(terrain, pe, pn_))  # ground_up_m, from the ground read above
        v_enu = (ve, vn, vu)
        v_f = (0.0, 0.0, -P.cv_speed)
        start = phase == FREEFALL and t - t_phase >= P.free_fall_s
        if start:
            _mark(events, EV_POWERED_DESCENT_START, snap, m)
            # Terrain-relative navigation picks the landing point: the divert target (the
            # mission's target, or the one Safe Target Selection chose: edlcam.gnc) if it lies
            # within the divert capability, else the reachable point nearest to it (NASA:
            # M2020's LVS could divert up to ≈ 600 m).
            to_e, to_n = case[C_DIVERT_E] - p_nav[0], case[C_DIVERT_N] - p_nav[1]
            shrink = min(1.0, P.max_divert / max(math.hypot(to_e, to_n), 1e-9))
            aim_e, aim_n = p_nav[0] + to_e * shrink, p_nav[1] + to_n * shrink
            aim_up = _ground_altitude_once(terrain, aim_e, aim_n) - curvature_drop_m(terrain, aim_e, aim_n)
        r_f = (aim_e, aim_n, aim_up + P.app_end_height)
        if start:
            t_go = _time_to_go(p_nav, v_enu, r_f, v_f, g_s, P.app_thrust_frac * max_thrust / m, P.app_duration_s)
            phase = APPROACH
            t_phase = t
        if phase == APPROACH and t_go <= 1.0:
            _mark(events, EV_CONSTANT_VELOCITY_START, snap, m)
            phase = CONSTANT_V
        if phase == CONSTANT_V and h_nav <= P.dec_height:
            _mark(events, EV_DECELERATION_START, snap, m)
            phase = DECEL
        if phase == DECEL and h_nav <= P.sky_height:
            _mark(events, EV_SKYCRANE_START, snap, m)
            phase = SKYCRANE
            t_sky = t

        # Commanded acceleration of each powered sub-phase.
        if phase == APPROACH:
            a_e, a_n, a_u = _e_guidance(p_nav, v_enu, r_f, v_f, t_go)
        elif phase == CONSTANT_V or phase == DECEL:
            hold_e = _clip(0.25 * (aim_e - p_nav[0]), -3.0, 3.0)  # position hold over the aim point
            hold_n = _clip(0.25 * (aim_n - p_nav[1]), -3.0, 3.0)
            if phase == CONSTANT_V:
                a_e, a_n, a_u = 1.5 * (hold_e - ve), 1.5 * (hold_n - vn), 1.5 * (-P.cv_speed - vu)
            else:
                a_dec = (P.cv_speed**2 - P.sky_speed**2) / (2.0 * (P.dec_height - P.sky_height))
                vz_dec = -math.sqrt(P.sky_speed**2 + 2.0 * a_dec * max(h_nav - P.sky_height, 0.0))
                a_e, a_n, a_u = 1.5 * (hold_e - ve), 1.5 * (hold_n - vn), a_dec + 1.5 * (vz_dec - vu)
        elif phase == SKYCRANE:
            ts = t - t_sky
            payout = 0.0
            if 0.0 <= ts <= P.bridle_payout_s:
                x = _clip(ts / P.bridle_payout_s, 0.0, 1.0)
                payout = P.bridle_length * 0.5 * math.pi / P.bridle_payout_s * math.sin(math.pi * x)
            hold_e = _clip(0.25 * (aim_e - p_nav[0]), -0.3, 0.3)
            hold_n = _clip(0.25 * (aim_n - p_nav[1]), -0.3, 0.3)
            a_e, a_n, a_u = 3.0 * (hold_e - ve), 3.0 * (hold_n - vn), 3.0 * (-(P.sky_speed + payout) - vu)
        else:  # free fall: no thrust
            a_e, a_n, a_u = 0.0, 0.0, -g_s
        t_e, t_n, t_u = a_e, a_n, a_u + g_s
        mag = math.sqrt(t_e * t_e + t_n * t_n + t_u * t_u)
        scale = _clip(mag, min_thrust / m, max_thrust / m) / max(mag, 1e-9)
        lit = APPROACH <= phase <= SKYCRANE and propellant > 0.0
        if phase >= APPROACH and propellant <= 0.0 and status == ST_NONE:
            status = ST_FUEL_OUT
            summary[S_REASON_T] = t
            summary[S_REASON_HAGL] = hagl if hagl == hagl else alt - _ground_altitude_once(terrain, pe, pn_)
        if lit:
            th_e, th_n, th_u = t_e * scale, t_n * scale, t_u * scale
        else:
            th_e = th_n = th_u = 0.0
        if phase == APPROACH:
            t_go = t_go - P.dt_powered  # the step about to be flown

        # ---------- touchdown ----------
        if hagl <= 0.0:
            _mark(events, EV_TOUCHDOWN, snap, m)
            td_vs = -vu
            td_hs = math.hypot(ve, vn)
            phase = LANDED

    if rows < record.shape[0]:
        row = record[rows]
        row[0], row[1], row[2] = t, alt, hagl
        row[3], row[4] = math.atan2(sin_lat, cos_lat) * deg, math.atan2(ry, rx) * deg
        row[5], row[6], row[7], row[8], row[9], row[10] = pe, pn_, pu, ve, vn, vu
        row[11], row[12], row[13], row[14], row[15], row[16] = speed, mach, q, rho, pres, temp
        row[17], row[18] = decel / EARTH_G_M_S2, m
        row[19] = bank_start * deg if phase == ENTRY else 0.0  # the bank at t (``bank`` is the step's end)
        thr = math.sqrt(th_e * th_e + th_n * th_n + th_u * th_u) * m / max(max_thrust, 1e-9)
        row[20] = thr if APPROACH <= phase <= SKYCRANE else 0.0
        row[21] = _target_geometry(sin_lat, cos_lat, rx, ry, vx, vy, vz, tgt_u, P)[0]
        row[22], row[23] = phase, mode
        row[24], row[25], row[26] = th_e * m, th_n * m, th_u * m
        row[27], row[28] = wind_e, wind_n
        rows += 1

    done = phase >= LANDED
    dt = 0.0
    if not done and t >= P.max_duration_s:  # each trajectory times out on its own clock
        status = ST_TIMEOUT
        summary[S_REASON_T] = t
        phase = FAILED
        done = True
    if not done:
        if phase == ENTRY:  # the step chosen with the guidance above
            dt = dt_entry
        else:
            dt = _step_for(phase, t, t_deploy, heatshield_on, hagl_low, vu, P)

    lane[L_M] = m
    lane[L_ITERATION] = steps
    lane[L_PHASE], lane[L_MODE] = phase, mode
    lane[L_BANK], lane[L_BANK_RATE], lane[L_BANK_SIGN], lane[L_LIFT_ON] = bank, bank_rate, bank_sign, lift_on
    lane[L_HEATSHIELD_ON] = 1.0 if heatshield_on else 0.0
    lane[L_T_PHASE], lane[L_T_DEPLOY], lane[L_T_SUFR], lane[L_T_SKY], lane[L_T_GO] = t_phase, t_deploy, t_sufr, t_sky, t_go
    lane[L_AIM_E], lane[L_AIM_N], lane[L_AIM_UP] = aim_e, aim_n, aim_up
    lane[L_TH_E], lane[L_TH_N], lane[L_TH_U] = th_e, th_n, th_u
    lane[L_STATUS] = status
    lane[L_DEPLOY_IN_BOX] = 1.0 if deploy_in_box else 0.0
    lane[L_PEAK_HEAT], lane[L_PEAK_DECEL] = peak_heat, peak_decel
    lane[L_TD_VS], lane[L_TD_HS] = td_vs, td_hs
    lane[L_T_CYCLE_NEXT], lane[L_BANK_CMD] = t_cycle_next, bank_cmd
    lane[L_ROWS] = rows
    if done:
        return 1

    # The step for the integration: thrust held, the bank moving as commanded in entry.
    if phase < FREEFALL:
        i = columns[0]
        columns[0] += 1
    else:
        i = columns[1]
        columns[1] -= 1
    lane[L_COLUMN] = i
    tx, ty, tz = _from_enu(th_e, th_n, th_u, P)
    X[B_RX * W + i], X[B_RY * W + i], X[B_RZ * W + i] = rx, ry, rz
    X[B_VX * W + i], X[B_VY * W + i], X[B_VZ * W + i] = vx, vy, vz
    X[B_M * W + i], X[B_T * W + i], X[B_DT * W + i] = m, t, dt
    X[B_BANK * W + i], X[B_BANK_RATE * W + i], X[B_BANK_CMD * W + i] = bank, bank_rate, bank_cmd
    X[B_TICKS * W + i] = round(dt / P.dt_bank) if phase == ENTRY else 0.0
    X[B_RHO * W + i], X[B_A_SOUND * W + i] = rho, a_sound
    X[B_PHASE * W + i], X[B_T_DEPLOY * W + i] = phase, t_deploy
    X[B_HEATSHIELD_ON * W + i], X[B_LIFT_ON * W + i] = 1.0 if heatshield_on else 0.0, lift_on
    X[B_TX * W + i], X[B_TY * W + i], X[B_TZ * W + i] = tx, ty, tz
    X[B_WIND_X * W + i], X[B_WIND_Y * W + i], X[B_WIND_Z * W + i] = wx, wy, wz
    X[B_DRAG * W + i], X[B_LOD * W + i], X[B_CHUTE * W + i] = case[C_DRAG], case[C_LOD], case[C_CHUTE_DRAG]
    X[B_DENSITY_LOW * W + i], X[B_DENSITY_HIGH * W + i] = case[C_DENSITY_LOW], case[C_DENSITY_HIGH]
    return 0


@njit(cache=True, error_model="numpy", inline="always")
def _bank_control(X, front, P):
    """The attitude controller of every lane in entry: it tracks the held command time-optimally
    under rate and acceleration limits, with one constant angular acceleration per control tick
    (dt_bank; the ticks fall on a grid from t = 0 whatever the steps), ``ticks`` of them through
    the step. Writes the bank at the step's middle and end, its rate at the end, and the cosine
    and sine of the bank at the start, middle and end. All lanes tick together (a lane with fewer
    ticks holds still), so this too runs as vector instructions."""
    rate_lim, acc_lim, dtb = P.bank_rate_lim, P.bank_acc_lim, P.dt_bank
    most = 0.0
    for i in range(front):  # entry lanes fly RK4: they are in the front columns
        X[B_BANK_MID * W + i] = X[B_END_BANK * W + i] = X[B_BANK * W + i]
        X[B_END_BANK_RATE * W + i] = X[B_BANK_RATE * W + i]
        most = max(most, X[B_TICKS * W + i])
    for k in range(int(most)):
        for i in range(front):
            bank, rate, ticks = X[B_END_BANK * W + i], X[B_END_BANK_RATE * W + i], X[B_TICKS * W + i]
            err = _wrap_once(X[B_BANK_CMD * W + i] - bank)
            speed = min(rate_lim, _sqrt(2.0 * acc_lim * abs(err)))
            want = speed if err > 0.0 else (-speed if err < 0.0 else 0.0)
            acc = _clip(want - rate, -acc_lim * dtb, acc_lim * dtb) / dtb
            # The middle of the step lies in tick ⌊ticks / 2⌋ (at its start when ticks is even).
            tau = 0.5 * X[B_DT * W + i] - k * dtb
            moving = k < ticks
            mid = moving and k == _floor(0.5 * ticks)
            X[B_BANK_MID * W + i] = bank + tau * (rate + 0.5 * acc * tau) if mid else X[B_BANK_MID * W + i]
            rate_new = rate + acc * dtb
            X[B_END_BANK * W + i] = _wrap_once(bank + 0.5 * (rate + rate_new) * dtb) if moving else bank
            X[B_END_BANK_RATE * W + i] = rate_new if moving else rate
    for i in range(front):
        X[B_C0 * W + i], X[B_S0 * W + i] = _cos_sin(X[B_BANK * W + i])
        X[B_C1 * W + i], X[B_S1 * W + i] = _cos_sin(X[B_BANK_MID * W + i])
        X[B_C2 * W + i], X[B_S2 * W + i] = _cos_sin(X[B_END_BANK * W + i])


@njit(cache=True, error_model="numpy")
def _integrate(X, n_rk4, P, aero):
    """One step of every lane of the block ``X``: classical RK4 (nodes 0, ½, ½, 1; weights 1, 2, 2,
    1 over 6), or in powered flight the midpoint rule (nodes 0, ½; weights 0, 6 over 6): over a
    0.1 s control cycle the thrust is held and gravity and the little drag left barely change, so
    its h³ error is below a millimetre. The ``n_rk4`` RK4 steps are in the front columns; stages 2
    and 3 run over those (in whole vectors of 8; a midpoint step among them ignores them). The
    first stage is the step's start, whose air the lane already computed.

    In entry the bank moves through the step under the attitude controller (:func:`_bank_control`);
    the stages see it at the step's start, middle and end.

    Each stage is one loop over the lanes with no branch and no call, which LLVM compiles to
    vector instructions (checked by a test)."""
    front = min(W, -(-n_rk4 // 8) * 8)
    _bank_control(X, front, P)
    for i in range(W):
        X[B_KX * W + i] = X[B_KY * W + i] = X[B_KZ * W + i] = X[B_KM * W + i] = 0.0  # the previous stage's v̇, ṁ
        X[B_UX * W + i], X[B_UY * W + i], X[B_UZ * W + i] = X[B_VX * W + i], X[B_VY * W + i], X[B_VZ * W + i]  # its ṙ
        X[B_SUM_RX * W + i] = X[B_SUM_RY * W + i] = X[B_SUM_RZ * W + i] = 0.0
        X[B_SUM_VX * W + i] = X[B_SUM_VY * W + i] = X[B_SUM_VZ * W + i] = X[B_SUM_M * W + i] = 0.0
    for stage in range(4 if n_rk4 > 0 else 2):
        rk_weight = 2.0 if stage == 1 or stage == 2 else 1.0
        rc = B_C0 if stage == 0 else (B_C1 if stage < 3 else B_C2)
        rs = B_S0 if stage == 0 else (B_S1 if stage < 3 else B_S2)
        for i in range(W if stage < 2 else front):
            dt = X[B_DT * W + i]
            phase = X[B_PHASE * W + i]
            midpoint = phase >= FREEFALL
            a = 0.0 if stage == 0 else (dt if stage == 3 else 0.5 * dt)
            weight = (6.0 if stage == 1 else 0.0) if midpoint else rk_weight
            kx, ky, kz, km = X[B_KX * W + i], X[B_KY * W + i], X[B_KZ * W + i], X[B_KM * W + i]
            qx, qy, qz = X[B_VX * W + i] + a * kx, X[B_VY * W + i] + a * ky, X[B_VZ * W + i] + a * kz
            sx = X[B_RX * W + i] + a * X[B_UX * W + i]
            sy = X[B_RY * W + i] + a * X[B_UY * W + i]
            sz = X[B_RZ * W + i] + a * X[B_UZ * W + i]
            sm = X[B_M * W + i] + a * km
            if stage == 0:  # the step's start: the lane computed its air already
                rho, a_sound = X[B_RHO * W + i], X[B_A_SOUND * W + i]
            else:
                _sl, _cl, h = _geodetic(sx, sy, sz, P)
                rho, _p, _t, a_sound = _atmosphere(h, X[B_DENSITY_LOW * W + i], X[B_DENSITY_HIGH * W + i], P)
            ax, ay, az, km = _aero_thrust(
                X[B_T * W + i] + a, sx, sy, sz, qx, qy, qz, sm, rho, a_sound, X[rc * W + i], X[rs * W + i], phase,
                X[B_T_DEPLOY * W + i], X[B_HEATSHIELD_ON * W + i], X[B_LIFT_ON * W + i],
                X[B_TX * W + i], X[B_TY * W + i], X[B_TZ * W + i], X[B_WIND_X * W + i], X[B_WIND_Y * W + i],
                X[B_WIND_Z * W + i], X[B_DRAG * W + i], X[B_LOD * W + i], X[B_CHUTE * W + i], P, aero,
            )  # fmt: skip
            gx, gy, gz = _gravity_rotating(sx, sy, sz, qx, qy, qz, P)
            kx, ky, kz = gx + ax, gy + ay, gz + az
            X[B_KX * W + i], X[B_KY * W + i], X[B_KZ * W + i], X[B_KM * W + i] = kx, ky, kz, km
            X[B_UX * W + i], X[B_UY * W + i], X[B_UZ * W + i] = qx, qy, qz
            counts = weight != 0.0
            X[B_SUM_RX * W + i] += weight * qx if counts else 0.0
            X[B_SUM_RY * W + i] += weight * qy if counts else 0.0
            X[B_SUM_RZ * W + i] += weight * qz if counts else 0.0
            X[B_SUM_VX * W + i] += weight * kx if counts else 0.0
            X[B_SUM_VY * W + i] += weight * ky if counts else 0.0
            X[B_SUM_VZ * W + i] += weight * kz if counts else 0.0
            X[B_SUM_M * W + i] += weight * km if counts else 0.0
    for i in range(W):
        s6 = X[B_DT * W + i] / 6.0
        X[B_END_RX * W + i] = X[B_RX * W + i] + s6 * X[B_SUM_RX * W + i]
        X[B_END_RY * W + i] = X[B_RY * W + i] + s6 * X[B_SUM_RY * W + i]
        X[B_END_RZ * W + i] = X[B_RZ * W + i] + s6 * X[B_SUM_RZ * W + i]
        X[B_END_VX * W + i] = X[B_VX * W + i] + s6 * X[B_SUM_VX * W + i]
        X[B_END_VY * W + i] = X[B_VY * W + i] + s6 * X[B_SUM_VY * W + i]
        X[B_END_VZ * W + i] = X[B_VZ * W + i] + s6 * X[B_SUM_VZ * W + i]
        X[B_END_M * W + i] = X[B_M * W + i] + s6 * X[B_SUM_M * W + i]


@njit(cache=True, error_model="numpy", inline="always")
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
    if lane[L_ITERATION] >= P.max_iterations:
        lane[L_STATUS] = ST_TIMEOUT
        summary[S_REASON_T] = lane[L_T]
        lane[L_PHASE] = FAILED
        return 1
    return 0


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, inline="always")
def _unrefcounted(a):
    """A view of the C-contiguous array ``a`` without a reference count (valid while ``a`` lives)."""
    return carray(_data_pointer(a), a.shape)


@njit(cache=True, error_model="numpy", inline="always")
def _take_next_case(cases, next_case, P, events, lane, lane_case, i):
    """Start case ``next_case`` in lane ``i`` if there is one left (else the lane idles);
    returns the next case to start."""
    lane_case[i] = -1
    if next_case >= cases.shape[0]:
        return next_case
    lane_case[i] = next_case
    _start(_unrefcounted(cases[next_case]), P, _unrefcounted(events[next_case]), lane)
    return next_case + 1


@njit(cache=True, error_model="numpy")
def _fly_lanes(cases, P, aero, ref, terrain, events, summary, record):
    """Fly every row of ``cases`` in W lanes; a lane whose flight ends takes the next case.
    ``record`` (rows of RECORD_COLUMNS) records case 0's steps while it has rows; returns their number."""
    rad = math.pi / 180.0
    tgt_lat, tgt_lon = P.tgt_lat_deg * rad, P.tgt_lon_deg * rad
    tgt_u = (math.cos(tgt_lat) * math.cos(tgt_lon), math.cos(tgt_lat) * math.sin(tgt_lon), math.sin(tgt_lat))
    n = cases.shape[0]
    block = np.ones(N_BLOCK)  # lanes without a case integrate harmless numbers
    lanes = np.zeros((W, len(LANE_FIELDS)))
    snap = np.empty(N_EVENT_FIELDS + 4)
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


@njit(cache=True, error_model="numpy")
def fly_cases(cases, P, aero, ref, terrain, events, summary):
    """Fly every row of ``cases`` (N × CASE_FIELDS); fills ``events`` (N × N_EVENTS ×
    N_EVENT_FIELDS) and ``summary`` (N × SUMMARY_FIELDS). Every array must be C-contiguous."""
    _fly_lanes(cases, P, aero, ref, terrain, events, summary, np.empty((0, len(RECORD_COLUMNS))))


@njit(cache=True, error_model="numpy")
def fly_recorded(case, P, aero, ref, terrain, events, summary, record):
    """Fly one case and record every step in ``record``; returns the number of rows."""
    return _fly_lanes(
        case.reshape((1, case.shape[0])), P, aero, ref, terrain, events.reshape((1, events.shape[0], events.shape[1])),
        summary.reshape((1, summary.shape[0])), record,
    )
