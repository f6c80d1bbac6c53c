"""What the flight kernel's arrays hold, and its codes: phases, entry-guidance modes, events,
statuses; the columns of its inputs and outputs; :data:`KernelParams`; the lanes' state and block.

Plain Python (no numba): the codes are the shared vocabulary of the kernel and of the modules
that build its inputs and read its outputs (:mod:`edlcam.flight.sequencer`,
:mod:`edlcam.flight.guidance`, :mod:`edlcam.flight.montecarlo`). numba freezes every name here
into the compiled kernel as a constant.
"""

from __future__ import annotations

from collections import namedtuple

from edlcam.flight.events import EVENT_NAMES, MINOR_EVENT_NAMES

__all__ = [
    "ENTRY",
    "PARACHUTE",
    "FREEFALL",
    "APPROACH",
    "CONSTANT_V",
    "DECEL",
    "SKYCRANE",
    "LANDED",
    "FAILED",
    "PREBANK",
    "RANGE_CONTROL",
    "HEADING_ALIGNMENT",
    "SUFR",
    "TRIGGER_CODES",
    "LEGS_CODES",
    "ENGINE_CODES",
    "TERMINAL_CODES",
    "N_EVENTS",
    "EVENT_FIELDS",
    "N_EVENT_FIELDS",
    "CASE_FIELDS",
    "STATUS_CODES",
    "SUMMARY_FIELDS",
    "RECORD_COLUMNS",
    "KernelParams",
    "W",
    "LANE_FIELDS",
    "BLOCK_ROWS",
    "N_BLOCK",
]

# Phases (edlcam.flight.sequencer names them) and entry-guidance modes (edlcam.flight.guidance).
ENTRY, PARACHUTE, FREEFALL, APPROACH, CONSTANT_V, DECEL, SKYCRANE, LANDED, FAILED = range(9)
PREBANK, RANGE_CONTROL, HEADING_ALIGNMENT, SUFR = 0, 1, 2, 3

# The mission's sequence ([sequence], edlcam.config.sequence) as codes in KernelParams: the entry
# (``entry_guided``: 1 guided, 0 ballistic) and what fires the parachute (``deploy_trigger``, on
# the value ``deploy_value``: m/s, Mach or Pa; the range trigger's is ``deploy_range``).
TRIGGER_RANGE, TRIGGER_VELOCITY, TRIGGER_MACH, TRIGGER_DYNAMIC_PRESSURE = 0, 1, 2, 3
TRIGGER_CODES = {"range": TRIGGER_RANGE, "navigated_velocity": TRIGGER_VELOCITY, "mach": TRIGGER_MACH,
                 "dynamic_pressure": TRIGGER_DYNAMIC_PRESSURE}  # fmt: skip

# The rest of the sequence as codes (``legs``: 1 when the lander's legs deploy ``legs_delay_s``
# after heat-shield separation; ``pulsed``: 1 for pulse-modulated thrusters, whose duty cycle
# takes ``pulse_levels`` steps; ``terminal_legs``: 1 for a terminal descent on legs, 0 for a sky
# crane). Each is a float of KernelParams, read as 0 or 1.
LEGS_NONE, LEGS_DELAY = 0, 1
LEGS_CODES = {"none": LEGS_NONE, "delay": LEGS_DELAY}
ENGINES_THROTTLEABLE, ENGINES_PULSED = 0, 1
ENGINE_CODES = {"throttleable": ENGINES_THROTTLEABLE, "pulsed": ENGINES_PULSED}
TERMINAL_SKYCRANE, TERMINAL_LEGS = 0, 1
TERMINAL_CODES = {"skycrane": TERMINAL_SKYCRANE, "legs": TERMINAL_LEGS}

T_EPS_S = 1e-6  # times this close count as reached (sums of steps carry rounding)

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
EV_LEG_DEPLOYMENT = _EVENTS.index("leg_deployment")
EV_RANGE_CONTROL_START = _EVENTS.index("range_control_start")
EV_HEADING_ALIGNMENT_START = _EVENTS.index("heading_alignment_start")
EV_SUFR_START = _EVENTS.index("sufr_start")
EV_BALANCE_MASS_JETTISON = _EVENTS.index("balance_mass_jettison")
EV_MORTAR_FIRE = _EVENTS.index("mortar_fire")
EV_RADAR_LOCK = _EVENTS.index("radar_lock")
EV_CONSTANT_VELOCITY_START = _EVENTS.index("constant_velocity_start")
EV_DECELERATION_START = _EVENTS.index("deceleration_start")
#: Columns of an event's row: the state when it happened.
EVENT_FIELDS = (
    "t_s", "altitude_m", "height_agl_m", "speed_m_s", "mach", "dynamic_pressure_pa", "lat_deg", "lon_deg",
    "east_m", "north_m", "up_m", "ve_m_s", "vn_m_s", "vu_m_s", "mass_kg",
)  # fmt: skip
N_EVENT_FIELDS = len(EVENT_FIELDS)
#: The step's state that events copy (``snap``): the EVENT_FIELDS but the last (the mass, passed
#: on its own), then sin and cos of the latitude and x, y (the latitude and longitude, computed
#: only when an event is marked).
SNAP_SIN_LAT, SNAP_COS_LAT, SNAP_X, SNAP_Y = range(N_EVENT_FIELDS, N_EVENT_FIELDS + 4)
N_SNAP = N_EVENT_FIELDS + 4

#: Nodes of a case's wind profile (``wind_e{k}_m_s``, ``wind_n{k}_m_s``) at the heights ``P.wind_h{k}``.
N_WIND_NODES = 5
#: Nodes of a case's density perturbation profile (``density_d{k}``: relative, 0 = the model's) at the
#: MOLA altitudes ``P.density_h{k}``.
N_DENSITY_NODES = 5

#: Per-case inputs, columns of the ``cases`` array (the CaseInputs fields, in this order): the
#: entry state and the dispersed multipliers and offsets; the navigation errors of powered descent
#: (``nav_error_*``), its divert target and whether that target is taken from the navigated position
#: at the divert (1: Safe Target Selection's pick near where the vehicle is, 0: the mission's frame);
#: the wind profile's nodes; the entry navigation's errors at entry interface (``nav_ei_*``) and
#: its IMU's error per m/s of speed lost (``nav_imu_*``: scale factor and misalignment), ENU; the
#: density perturbation profile's nodes.
CASE_FIELDS = (
    "entry_altitude_m", "entry_lat_deg", "entry_lon_deg", "entry_speed_m_s", "entry_fpa_deg", "entry_heading_deg",
    "density_scale_low", "density_scale_high", "drag_scale", "lift_to_drag_scale", "entry_mass_offset_kg",
    "chute_drag_scale", "thrust_scale", "wind_east_m_s", "wind_north_m_s", "nav_error_east_m", "nav_error_north_m",
    "nav_error_up_m", "divert_target_east_m", "divert_target_north_m", "divert_from_navigated",
    *(f"wind_e{k}_m_s" for k in range(N_WIND_NODES)), *(f"wind_n{k}_m_s" for k in range(N_WIND_NODES)),
    "nav_ei_east_m", "nav_ei_north_m", "nav_ei_ve_m_s", "nav_ei_vn_m_s", "nav_ei_vu_m_s", "nav_imu_e", "nav_imu_n",
    "nav_imu_u", *(f"density_d{k}" for k in range(N_DENSITY_NODES)),
)  # fmt: skip
# Column of each case input (CASE_FIELDS order).
(
    C_ALTITUDE, C_LAT, C_LON, C_SPEED, C_FPA, C_HEADING, C_DENSITY_LOW, C_DENSITY_HIGH, C_DRAG, C_LOD,
    C_MASS_OFFSET, C_CHUTE_DRAG, C_THRUST, C_WIND_E, C_WIND_N, C_NAV_E, C_NAV_N, C_NAV_U, C_DIVERT_E, C_DIVERT_N,
    C_DIVERT_FROM_NAV,
) = range(CASE_FIELDS.index("wind_e0_m_s"))  # fmt: skip
C_WIND_E0 = CASE_FIELDS.index("wind_e0_m_s")  # the wind profile's east nodes, then its north nodes
C_WIND_N0 = C_WIND_E0 + N_WIND_NODES
(
    C_NAV_EI_E, C_NAV_EI_N, C_NAV_EI_VE, C_NAV_EI_VN, C_NAV_EI_VU, C_NAV_IMU_E, C_NAV_IMU_N, C_NAV_IMU_U,
) = range(C_WIND_N0 + N_WIND_NODES, CASE_FIELDS.index("density_d0"))  # fmt: skip
C_DENSITY_D0 = CASE_FIELDS.index("density_d0")  # the density perturbation profile's nodes
# What the forces need of a case (``forces``) and of the controls held over a step (``ctx``).
# (``F_DENSITY_D0`` on: the density profile as the lanes carry it, its lowest node and the four
# segments' slopes per metre, see edlcam.flight.kernel.lanes._start.)
F_WIND_X, F_WIND_Y, F_WIND_Z, F_DRAG, F_LOD, F_CHUTE_DRAG, F_DENSITY_LOW, F_DENSITY_HIGH, F_DENSITY_D0 = range(9)
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
        "backshell_cd", "ds_cda", "chute_area", "chute_inflation_s", "chute_peak_ratio", "chute_settle_s", "max_thrust", "exhaust_speed", "min_throttle",
        "nose_radius",
        # entry guidance
        "prebank", "rc_drag", "overcontrol", "ha_speed", "ha_gain", "ha_max_bank", "db_low", "db_high", "db_speed",
        "sufr_bank", "bank_rate_lim", "bank_acc_lim", "sufr_lead_s", "sufr_max_s",
        # the sequence: entry guided (1) or ballistic (0), the parachute's trigger and its value
        "entry_guided", "deploy_trigger", "deploy_value",
        # the legs (LEGS_CODES) and their delay after heat-shield separation, the engines (ENGINE_CODES)
        # and their duty cycle's steps, the terminal descent (TERMINAL_CODES)
        "legs", "legs_delay_s", "pulsed", "pulse_levels", "terminal_legs",
        # parachute
        "deploy_range", "mach_min", "mach_max", "q_min", "q_max", "hs_delay_s", "hs_mach_max",
        # powered descent
        "radar_height", "bs_height", "free_fall_s", "cv_speed", "max_divert", "app_end_height", "app_thrust_frac", "app_duration_s",
        "dec_height", "sky_height", "sky_speed", "bridle_length", "bridle_payout_s",
        # target frame: ENU rows at the target, and its origin (planet-fixed)
        "tgt_lat_deg", "tgt_lon_deg", "e_x", "e_y", "e_z", "n_x", "n_y", "n_z", "u_x", "u_y", "u_z",
        "o_x", "o_y", "o_z", "target_up",
        # the wind profile's node heights above the target's ground (m)
        "wind_h0", "wind_h1", "wind_h2", "wind_h3", "wind_h4",
        # the density perturbation profile's node MOLA altitudes (m) and the spacing of each pair (m)
        "density_h0", "density_h1", "density_h2", "density_h3", "density_h4",
        "density_dh0", "density_dh1", "density_dh2", "density_dh3",
        # integration
        "dt_fine", "dt_entry", "dt_guidance", "dt_bank", "dt_chute", "dt_powered", "chute_fine_s", "max_duration_s", "max_iterations",
    ),
)  # fmt: skip

# ----------------------------------------------------------------------------------------------
# The lanes (edlcam.flight.kernel.lanes): W cases at once, one per lane.

W = 32  # lanes: measured in process, 8 lanes 2,730 landings/s, 16: 3,372, 32: 3,649, 64: 3,330

#: What a lane carries from one step to the next (columns of a row of the ``lanes`` array).
LANE_FIELDS = (
    "rx", "ry", "rz", "vx", "vy", "vz", "m", "t", "iteration", "phase", "mode", "bank", "bank_rate", "bank_sign",
    "lift_on", "heatshield_on", "t_phase", "t_deploy", "t_sufr", "t_sky", "t_go", "aim_e", "aim_n", "aim_up", "th_e",
    "th_n", "th_u", "propellant", "status", "deploy_in_box", "peak_heat", "peak_decel", "td_vs", "td_hs",
    "t_cycle_next", "bank_cmd", "rows", "wind_x", "wind_y", "wind_z", "read_e", "read_n", "read_ground", "column",
    "wind_e", "wind_n", "wind_profile", "nav_on", "nav_t", "nav_dv", "nav_j",
    "sensed", "sensed_sin_lat", "sensed_cos_lat", "sensed_alt", "sensed_rho", "sensed_pres", "sensed_temp",
    "sensed_a_sound", "density_d0", "density_s0", "density_s1", "density_s2", "density_s3",
)  # fmt: skip
(
    L_RX, L_RY, L_RZ, L_VX, L_VY, L_VZ, L_M, L_T, L_ITERATION, L_PHASE, L_MODE, L_BANK, L_BANK_RATE, L_BANK_SIGN,
    L_LIFT_ON, L_HEATSHIELD_ON, L_T_PHASE, L_T_DEPLOY, L_T_SUFR, L_T_SKY, L_T_GO, L_AIM_E, L_AIM_N, L_AIM_UP, L_TH_E,
    L_TH_N, L_TH_U, L_PROPELLANT, L_STATUS, L_DEPLOY_IN_BOX, L_PEAK_HEAT, L_PEAK_DECEL, L_TD_VS, L_TD_HS,
    L_T_CYCLE_NEXT, L_BANK_CMD, L_ROWS, L_WIND_X, L_WIND_Y, L_WIND_Z, L_READ_E, L_READ_N, L_READ_GROUND, L_COLUMN,
    L_WIND_E, L_WIND_N, L_WIND_PROFILE, L_NAV_ON, L_NAV_T, L_NAV_DV, L_NAV_J,
    L_SENSED, L_SENSED_SIN_LAT, L_SENSED_COS_LAT, L_SENSED_ALT, L_SENSED_RHO, L_SENSED_PRES, L_SENSED_TEMP,
    L_SENSED_A_SOUND, L_DENSITY_D0, _L_DENSITY_S0, _L_DENSITY_S1, _L_DENSITY_S2, _L_DENSITY_S3,
) = range(len(LANE_FIELDS))  # fmt: skip

#: Rows of the block that :func:`edlcam.flight.kernel.integrate._integrate` works on: row ``k``
#: holds W columns at ``k * W … k * W + W − 1``, one per lane stepping (RK4 lanes from the front,
#: midpoint lanes from the back, so that RK4's last two stages run over the front columns only).
#: One flat array, so that LLVM sees that the rows cannot overlap and vectorizes the lane loops
#: without run-time checks. The step's start, its length, the bank, its rate and command and the
#: bank controller's ticks in the step, the air at the start, the controls held over the step and
#: the case's forces; then scratch; then the step's end, with the end's geodetic place and air.
BLOCK_ROWS = (
    "rx", "ry", "rz", "vx", "vy", "vz", "m", "t", "dt", "bank", "bank_rate", "bank_cmd", "ticks", "rho", "a_sound",
    "phase", "t_deploy", "heatshield_on", "lift_on", "tx", "ty", "tz", "wind_x", "wind_y", "wind_z", "drag", "lod",
    "chute", "density_low", "density_high", "density_d0", "density_s0", "density_s1", "density_s2", "density_s3",
    "bank_mid", "c0", "s0", "c1", "s1", "c2", "s2",
    "kx", "ky", "kz", "km", "ux", "uy", "uz", "sum_rx", "sum_ry", "sum_rz", "sum_vx", "sum_vy", "sum_vz", "sum_m",
    "end_rx", "end_ry", "end_rz", "end_vx", "end_vy", "end_vz", "end_m", "end_bank", "end_bank_rate",
    "end_sin_lat", "end_cos_lat", "end_alt", "end_rho", "end_pres", "end_temp", "end_a_sound",
)  # fmt: skip
(
    B_RX, B_RY, B_RZ, B_VX, B_VY, B_VZ, B_M, B_T, B_DT, B_BANK, B_BANK_RATE, B_BANK_CMD, B_TICKS, B_RHO, B_A_SOUND,
    B_PHASE, B_T_DEPLOY, B_HEATSHIELD_ON, B_LIFT_ON, B_TX, B_TY, B_TZ, B_WIND_X, B_WIND_Y, B_WIND_Z, B_DRAG, B_LOD,
    B_CHUTE, B_DENSITY_LOW, B_DENSITY_HIGH, B_DENSITY_D0, _B_DENSITY_S0, _B_DENSITY_S1, _B_DENSITY_S2, _B_DENSITY_S3,
    B_BANK_MID, B_C0, B_S0, B_C1, B_S1, B_C2, B_S2,
    B_KX, B_KY, B_KZ, B_KM, B_UX, B_UY, B_UZ, B_SUM_RX, B_SUM_RY, B_SUM_RZ, B_SUM_VX, B_SUM_VY, B_SUM_VZ, B_SUM_M,
    B_END_RX, B_END_RY, B_END_RZ, B_END_VX, B_END_VY, B_END_VZ, B_END_M, B_END_BANK, B_END_BANK_RATE,
    B_END_SIN_LAT, B_END_COS_LAT, B_END_ALT, B_END_RHO, B_END_PRES, B_END_TEMP, B_END_A_SOUND,
) = range(len(BLOCK_ROWS))  # fmt: skip
N_BLOCK = len(BLOCK_ROWS) * W
