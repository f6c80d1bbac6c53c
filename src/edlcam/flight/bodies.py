"""Every body's track for the cameras and the microphone: aeroshell parts, parachute, descent
stage, rover — from entry interface to ``post_landing_s`` after touchdown.

While attached, bodies ride on the guided vehicle with fixed offsets. Once separated, the heat
shield and the backshell (under its canopy) fall as their own trajectories, and after touchdown
the descent stage flies away and crashes. These free flights are point masses with drag under
constant surface gravity in the flat target frame: over the few kilometres they cover the
curvature and the rotating frame change their paths by well under a metre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edlcam.flight.attitude import capsule_axes, frame_from_axes, pendulum_swing, quaternions_wxyz

__all__ = ["BODY_NAMES", "build_bodies", "AEROSHELL_TO_ROVER_M"]

BODY_NAMES = ("heatshield", "backshell", "parachute", "descent_stage", "rover")
AEROSHELL_TO_ROVER_M = 0.35  # est.: rover wheel plane above the aeroshell's widest section, stowed
BACKSHELL_APEX_M = 2.6  # est.: parachute attachment above the aeroshell origin (backshell height)
CANOPY_OUT_S = 0.35  # est.: mortar-fired bag reaches line stretch
BREATHING_HZ = 0.8  # est.: DGB canopy area oscillation ("breathing") frequency
BREATHING_AMPLITUDE = 0.04  # est.: fraction of the area


@dataclass
class Track:
    t_s: np.ndarray
    pos: np.ndarray  # (T,3)
    vel: np.ndarray  # (T,3)
    rot: np.ndarray  # (T,3,3)
    aux: np.ndarray  # (T,)


def _fall(p0, v0, t0, t_grid, *, mass_kg, cda_m2, g_m_s2, atmosphere, ground_up, wind):
    """Ballistic fall with drag from (p0, v0) at t0, sampled on t_grid (times ≥ t0). Returns
    positions, velocities and the impact time (NaN if none)."""
    pos = np.empty((len(t_grid), 3))
    vel = np.empty((len(t_grid), 3))
    p, v = np.array(p0, float), np.array(v0, float)
    t = t0
    impact = math.nan
    g = np.array([0.0, 0.0, -g_m_s2])

    def acc(p, v):
        rho = float(atmosphere.density_kg_m3(p[2]))
        va = v - wind
        return g - 0.5 * rho * np.linalg.norm(va) * va * cda_m2(np.linalg.norm(va)) / mass_kg

    for i, tt in enumerate(t_grid):
        while t < tt - 1e-9 and math.isnan(impact):
            h = min(0.05, tt - t)
            k1v, k1p = acc(p, v), v
            k2v, k2p = acc(p + 0.5 * h * k1p, v + 0.5 * h * k1v), v + 0.5 * h * k1v
            k3v, k3p = acc(p + 0.5 * h * k2p, v + 0.5 * h * k2v), v + 0.5 * h * k2v
            k4v, k4p = acc(p + h * k3p, v + h * k3v), v + h * k3v
            p = p + h / 6 * (k1p + 2 * k2p + 2 * k3p + k4p)
            v = v + h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
            t += h
            gu = float(ground_up(p[0], p[1]))
            if p[2] <= gu:
                p[2] = gu
                v[:] = 0.0
                impact = t
        pos[i], vel[i] = p, v
    return pos, vel, impact


def build_bodies(rec: dict, events: dict, mission, terrain, atmosphere, vehicle) -> tuple[dict[str, Track], dict[str, float]]:
    """Tracks of every body for one recorded trajectory (``rec``: column → (T,) arrays) and the
    extra events they produce (impacts, bridle cut, flyaway)."""
    pc, pd, sim = mission.parachute, mission.powered_descent, mission.simulation
    seed = mission.mission.seed
    g = mission.planet.surface_gravity_m_s2
    dt = sim.step_s
    t = rec["t_s"]
    t_td = events["touchdown"]
    t_end = t_td + sim.post_landing_s
    extra_t = np.arange(t[-1] + dt, t_end + dt / 2, dt)
    tt = np.concatenate([t, extra_t])
    n_fl, n = len(t), len(tt)

    rover_p = np.concatenate([np.stack([rec["east_m"], rec["north_m"], rec["up_m"]], axis=1), np.repeat([[rec["east_m"][-1], rec["north_m"][-1], rec["up_m"][-1]]], len(extra_t), axis=0)])
    rover_v = np.concatenate([np.stack([rec["ve_m_s"], rec["vn_m_s"], rec["vu_m_s"]], axis=1), np.zeros((len(extra_t), 3))])
    wind = np.array([rec["wind_e"][0], rec["wind_n"][0], 0.0])
    v_air = rover_v - wind
    phase = np.concatenate([rec["phase_code"], np.full(len(extra_t), rec["phase_code"][-1])]).astype(int)
    bank = np.radians(np.concatenate([rec["bank_deg"], np.zeros(len(extra_t))]))
    decel = np.concatenate([rec["decel_g"], np.zeros(len(extra_t))]) * 9.80665
    thrust = np.concatenate([np.stack([rec["thrust_e"], rec["thrust_n"], rec["thrust_u"]], axis=1), np.zeros((len(extra_t), 3))])
    throttle = np.concatenate([rec["throttle"], np.zeros(len(extra_t))])
    up = np.array([0.0, 0.0, 1.0])
    heading = math.radians(mission.entry.heading_deg)
    forward = np.array([math.sin(heading), math.cos(heading), 0.0])

    t_dep, t_hs, t_bs, t_sky = (events[k] for k in ("parachute_deploy", "heatshield_separation", "backshell_separation", "skycrane_start"))
    extra_events: dict[str, float] = {}

    # --- capsule attitude: trim and bank in entry; swinging under the canopy after deploy ---
    z_entry, lift = capsule_axes(np.where(np.linalg.norm(v_air, axis=1)[:, None] > 1e-3, v_air, -up), bank, vehicle.trim_angle_of_attack_rad)
    rot_caps = frame_from_axes(z_entry, lift)
    line_dir = -v_air / np.maximum(np.linalg.norm(v_air, axis=1), 1e-6)[:, None]
    chute = (tt >= t_dep) & (tt < t_bs)
    if chute.any():
        idx = np.flatnonzero(tt >= t_dep)
        swing = pendulum_swing(
            tt[idx] - t_dep,
            np.where(tt[idx] < t_bs, decel[idx], g),
            length_m=pc.suspension_length_m,
            damping_ratio=pc.swing_damping_ratio,
            initial_deg=pc.snatch_swing_deg,
            seed=seed + 17,
        )
        swing_full = np.zeros((n, 2))
        swing_full[idx] = swing
    else:
        swing_full = np.zeros((n, 2))

    def swung(line, sw):
        base = frame_from_axes(line, np.broadcast_to(forward, line.shape))
        tilt = np.stack([np.sin(sw[:, 0]), np.sin(sw[:, 1]), np.sqrt(np.clip(1 - np.sin(sw[:, 0]) ** 2 - np.sin(sw[:, 1]) ** 2, 0, 1))], axis=1)
        z = np.einsum("nij,nj->ni", base, tilt)
        return frame_from_axes(z, np.broadcast_to(forward, z.shape))

    rot_chute_caps = swung(line_dir, swing_full)
    rot_caps = np.where(chute[:, None, None], rot_chute_caps, rot_caps)

    # --- descent stage attitude: along the thrust once powered; level otherwise ---
    thrust_dir = np.where(np.linalg.norm(thrust, axis=1)[:, None] > 1.0, thrust, up)
    rot_ds_powered = frame_from_axes(thrust_dir, np.broadcast_to(forward, thrust_dir.shape))

    # --- rover / descent stage positions ---
    aeroshell_attached = tt < t_bs
    bridle = np.zeros(n)
    if math.isfinite(t_sky):
        from edlcam.flight.kernel.powered import bridle_length_m

        bridle = bridle_length_m(tt - t_sky, length_m=pd.bridle_length_m, payout_s=pd.bridle_payout_s) * (tt >= t_sky)
    rot_rover = np.where(aeroshell_attached[:, None, None], rot_caps, np.where((tt >= t_sky)[:, None, None], frame_from_axes(np.broadcast_to(up, (n, 3)), np.broadcast_to(forward, (n, 3))), rot_ds_powered))
    rot_ds = np.where(aeroshell_attached[:, None, None], rot_caps, rot_ds_powered)
    ds_offset = np.where(
        aeroshell_attached[:, None],
        np.einsum("nij,j->ni", rot_caps, np.array([0.0, 0.0, pd.rover_stowed_height_m])),
        np.where((tt >= t_sky)[:, None], (pd.rover_stowed_height_m + bridle)[:, None] * up, np.einsum("nij,j->ni", rot_ds, np.array([0.0, 0.0, pd.rover_stowed_height_m]))),
    )
    ds_p = rover_p + ds_offset
    ds_v = rover_v.copy()
    aeroshell_p = rover_p - np.einsum("nij,j->ni", rot_caps, np.array([0.0, 0.0, AEROSHELL_TO_ROVER_M]))

    def ground_up(e, nn):
        return terrain.surface_up_m(e, nn)

    # --- heat shield: own ballistic fall after separation ---
    hs_p, hs_v, hs_rot = aeroshell_p.copy(), rover_v.copy(), rot_caps.copy()
    if math.isfinite(t_hs):
        i0 = int(np.searchsorted(tt, t_hs))
        sep_dv = -1.0 * rot_caps[i0][:, 2]  # est.: ≈1 m/s push away along −z by the separation springs
        area = vehicle.reference_area_m2
        pos, vel, impact = _fall(
            aeroshell_p[i0], rover_v[i0] + sep_dv, tt[i0], tt[i0:],
            mass_kg=vehicle.heatshield_mass_kg, cda_m2=lambda s: vehicle.heatshield_cd * area, g_m_s2=g,
            atmosphere=atmosphere, ground_up=ground_up, wind=wind,
        )
        hs_p[i0:], hs_v[i0:] = pos, vel
        # Falls convex side first: its axis follows the air-relative velocity, with a small wobble.
        vv = vel - wind
        falling = np.linalg.norm(vv, axis=1) > 0.5
        wob = np.radians(4.0) * np.sin(2 * np.pi * 0.35 * (tt[i0:] - t_hs))
        zax = np.where(falling[:, None], -vv / np.maximum(np.linalg.norm(vv, axis=1), 1e-6)[:, None], up)
        zax = zax + np.stack([wob, 0.5 * wob, np.zeros_like(wob)], axis=1)
        hs_rot[i0:] = frame_from_axes(zax, np.broadcast_to(forward, zax.shape))
        if math.isfinite(impact):
            extra_events["heatshield_impact"] = impact

    # --- backshell and parachute: fall together under the canopy after separation ---
    bs_p, bs_v, bs_rot = aeroshell_p.copy(), rover_v.copy(), rot_caps.copy()
    if math.isfinite(t_bs):
        i0 = int(np.searchsorted(tt, t_bs))
        chute_area = vehicle.chute_area_m2
        mass_bs = vehicle.backshell_mass_kg

        def cda(speed):
            return float(vehicle.chute_cd(speed / 240.0)) * chute_area + vehicle.backshell_cd * vehicle.reference_area_m2

        pos, vel, impact = _fall(
            aeroshell_p[i0], rover_v[i0], tt[i0], tt[i0:],
            mass_kg=mass_bs, cda_m2=cda, g_m_s2=g, atmosphere=atmosphere, ground_up=ground_up, wind=wind,
        )
        bs_p[i0:], bs_v[i0:] = pos, vel
        vv = vel - wind
        line = np.where((np.linalg.norm(vv, axis=1) > 0.5)[:, None], -vv / np.maximum(np.linalg.norm(vv, axis=1), 1e-6)[:, None], up)
        bs_rot[i0:] = swung(line, swing_full[i0:])
        if math.isfinite(impact):
            extra_events["backshell_impact"] = impact
    # Before separation the backshell is the aeroshell.
    # --- parachute canopy ---
    apex = bs_p + np.einsum("nij,j->ni", bs_rot, np.array([0.0, 0.0, BACKSHELL_APEX_M]))
    vv = bs_v - wind
    line = np.where((np.linalg.norm(vv, axis=1) > 0.5)[:, None], -vv / np.maximum(np.linalg.norm(vv, axis=1), 1e-6)[:, None], up)
    out = np.clip((tt - t_dep) / CANOPY_OUT_S, 0.0, 1.0) if math.isfinite(t_dep) else np.zeros(n)
    chute_p = apex + (out * pc.suspension_length_m)[:, None] * line
    chute_rot = frame_from_axes(line, np.broadcast_to(forward, line.shape))
    inflated = vehicle.chute_inflated_fraction(tt - t_dep) if math.isfinite(t_dep) else np.zeros(n)
    breathing = 1.0 - BREATHING_AMPLITUDE * 0.5 * (1.0 + np.sin(2 * np.pi * BREATHING_HZ * (tt - t_dep)))
    chute_aux = np.where(tt >= t_dep, inflated * breathing, 0.0)
    # Once down, the canopy lies collapsed on the ground beside the backshell.
    if "backshell_impact" in extra_events:
        on_ground = tt >= extra_events["backshell_impact"]
        chute_aux = np.where(on_ground, 0.0, chute_aux)
        chute_p[on_ground] = bs_p[on_ground] + np.array([pc.suspension_length_m * 0.6, 0.0, 0.0])
        chute_p[on_ground, 2] = ground_up(chute_p[on_ground, 0], chute_p[on_ground, 1])

    # --- descent stage flyaway after touchdown ---
    ds_aux = np.concatenate([rec["throttle"], np.zeros(len(extra_t))])
    # (A lander on legs has no descent stage to fly away: its thrusters and deck stay on it.)
    if math.isfinite(t_td) and mission.sequence.terminal_descent == "skycrane":
        t_cut = t_td + 0.5  # est.: bridles cut just after touchdown is sensed
        extra_events["bridle_cut"] = t_cut
        extra_events["flyaway_start"] = t_cut + 0.5
        i0 = int(np.searchsorted(tt, t_cut + 0.5))
        # Between touchdown and the flyaway the descent stage hovers on its engines.
        hover = (tt >= t_td) & (np.arange(n) < i0)
        ds_aux[hover] = float(rec["throttle"][-2]) if len(rec["throttle"]) > 1 else 0.0
        p, v = ds_p[min(i0, n - 1)].copy(), np.zeros(3)
        m = float(rec["mass_kg"][-1]) - vehicle.rover_mass_kg  # descent stage with what propellant is left
        burn = True
        impact = math.nan
        start = p.copy()
        for i in range(i0, n):
            ts = tt[i] - tt[i0]
            horizontal = math.hypot(p[0] - start[0], p[1] - start[1])
            if burn and ts >= 2.0:
                # Cut the engines once the ballistic arc from here ends at the planned distance.
                h_above = p[2] - float(ground_up(p[0], p[1]))
                t_fall = (v[2] + math.sqrt(max(v[2] ** 2 + 2.0 * g * max(h_above, 0.0), 0.0))) / g
                if horizontal + math.hypot(v[0], v[1]) * t_fall >= pd.flyaway_distance_m:
                    burn = False
            if ts < 2.0:
                a_thr = np.array([0.0, 0.0, g + 2.0])  # climb straight up, clear of the rover
            elif burn:
                a_thr = np.array([g * forward[0], g * forward[1], g])  # 45° pitch: hold altitude, accelerate away
            else:
                a_thr = np.zeros(3)
            if not math.isnan(impact):
                a_thr = np.zeros(3)
            ds_p[i], ds_v[i] = p, v
            rot_ds[i] = frame_from_axes(a_thr[None] if np.linalg.norm(a_thr) > 0 else up[None], forward[None])[0]
            ds_aux[i] = min(np.linalg.norm(a_thr) * m / vehicle.max_thrust_n, 1.0) if math.isnan(impact) else 0.0
            if math.isnan(impact):
                a = a_thr + np.array([0.0, 0.0, -g])
                v = v + a * dt
                p = p + v * dt
                gu = float(ground_up(p[0], p[1]))
                if p[2] <= gu and ts > 2.0:
                    p[2] = gu
                    v[:] = 0.0
                    impact = tt[i]
        if math.isfinite(impact):
            extra_events["descent_stage_impact"] = impact

    rover_aux = np.where(tt < t_td + 0.5, bridle, 0.0) if math.isfinite(t_td) else bridle
    # Rover velocity while the bridle pays out is already in the recorded track.
    tracks = {
        "heatshield": Track(tt, hs_p, hs_v, hs_rot, np.zeros(n)),
        "backshell": Track(tt, bs_p, bs_v, bs_rot, np.zeros(n)),
        "parachute": Track(tt, chute_p, bs_v, chute_rot, chute_aux),
        "descent_stage": Track(tt, ds_p, ds_v, rot_ds, ds_aux),
        "rover": Track(tt, rover_p, rover_v, rot_rover, rover_aux),
    }
    # The parachute exists from mortar fire on.
    tracks["parachute"].exists_from_s = t_dep
    return tracks, extra_events


def bodies_table(tracks: dict[str, Track]):
    """The long-format bodies table (docs/run-folder.md) as a dict of columns."""
    cols: dict[str, list] = {k: [] for k in ("t_s", "body", "east_m", "north_m", "up_m", "ve_m_s", "vn_m_s", "vu_m_s", "qw", "qx", "qy", "qz", "aux")}
    for name in BODY_NAMES:
        tr = tracks[name]
        keep = np.ones(len(tr.t_s), bool)
        t0 = getattr(tr, "exists_from_s", None)
        if t0 is not None and math.isfinite(t0):
            keep = tr.t_s >= t0 - 1e-9
        elif t0 is not None:
            keep[:] = False
        if not keep.any():
            continue
        q = quaternions_wxyz(tr.rot[keep])
        cols["t_s"].append(tr.t_s[keep])
        cols["body"].append(np.full(int(keep.sum()), name, dtype=object))
        for j, c in enumerate(("east_m", "north_m", "up_m")):
            cols[c].append(tr.pos[keep, j])
        for j, c in enumerate(("ve_m_s", "vn_m_s", "vu_m_s")):
            cols[c].append(tr.vel[keep, j])
        for j, c in enumerate(("qw", "qx", "qy", "qz")):
            cols[c].append(q[:, j])
        cols["aux"].append(tr.aux[keep])
    return {k: np.concatenate(v) for k, v in cols.items()}
