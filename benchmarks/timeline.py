"""Mars 2020's nominal timeline beside the flight, and what each model input does to it (issue 19 item 4).

Prints two Markdown tables (for benchmarks/RESULTS.md):

1. the nominal's events and phase durations beside the flown figures, each with its source;
2. the nominal flown again with one input changed, the est. entry point and deploy range re-placed
   by their own rules each time (as commit 22e4e83 placed them): EI uprange of the target, on the
   initial heading, by the reference range + the deploy range; the deploy range = the ground flown
   from deploy to backshell separation. Without re-placing, a changed input mostly moves the
   Range Trigger along the trajectory instead of showing what the input does.

The last three rows test explanations of the deploy's high dynamic pressure: the capsule table read as
axial rather than drag coefficient, the entry mass without the cruise balance masses, and a higher
supersonic L/D (RESULTS.md, "The capsule's supersonic aerodynamics and mass").

Run: ``PYTHONPATH=src nice -n 5 .venv/bin/python benchmarks/timeline.py [--no-sensitivity]``
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from edlcam.flight.guidance import build_reference
from edlcam.flight.sequencer import fly
from edlcam.mars.frames import bearing_rad, destination_point, great_circle_range_m
from edlcam.mission import load_mission, mission_from_dict

# The flight, E+ s after EI (20:36:50 SCET). Sources as in ../shared/REFERENCE.md.
FLOWN = {
    "ei_to_touchdown_s": (419.0, "Abilleira et al. 2021: EI 20:36:50 → touchdown 20:43:49 SCET"),
    "deploy_speed_m_s": (420.0, "NASA landing timeline: ≈ 420 m/s (rounded)"),
    "deploy_mach": (1.81, "O'Farrell & Clark 2022 (IEEE Aerospace): mortar fire at Mach 1.81 (1.82 in their JSR paper)"),
    "deploy_q_pa": (518.0, "O'Farrell & Clark 2022: 518–520 Pa"),
    "first_lcam_s": (254.5, "PDS LCAM poses: first frame 20:41:04.45 SCET at ≈ 11.23 km above ground"),
    "chute_11_2_s": (104.2, "PDS LCAM poses: 11.23 → 2.08 km above ground in 104.2 s"),
    "powered_2_0_s": (37.6, "PDS LCAM poses: 1.99 → 0.04 km above ground in 37.6 s"),
}


def _row(events: dict, rec: dict) -> dict:
    """The nominal's figures that the flight is compared on (heights above ground)."""
    t, h = rec["t_s"][:, 0], rec["height_agl_m"][:, 0]

    def first_below(height_m: float, after_s: float = 150.0) -> float:
        i = np.nonzero((h <= height_m) & (t > after_s))[0]
        return float(t[i[0]]) if len(i) else math.nan

    e = {n: {f: float(a[0]) for f, a in v.items()} for n, v in events.items()}
    dp, hs, bs, pd, sc, td = (e[n] for n in ("parachute_deploy", "heatshield_separation", "backshell_separation",
                                             "powered_descent_start", "skycrane_start", "touchdown"))  # fmt: skip
    return {
        "deploy_s": dp["t_s"], "deploy_agl_km": dp["height_agl_m"] / 1e3, "deploy_speed_m_s": dp["speed_m_s"],
        "deploy_mach": dp["mach"], "deploy_q_pa": dp["dynamic_pressure_pa"],
        "heatshield_s": hs["t_s"], "heatshield_agl_km": hs["height_agl_m"] / 1e3, "heatshield_speed_m_s": hs["speed_m_s"],
        "backshell_s": bs["t_s"], "backshell_agl_km": bs["height_agl_m"] / 1e3, "backshell_speed_m_s": bs["speed_m_s"],
        "powered_s": pd["t_s"], "skycrane_s": sc["t_s"], "touchdown_s": td["t_s"],
        "chute_11_2_s": first_below(2080.0) - first_below(11230.0),
        "powered_2_0_s": first_below(40.0) - first_below(1990.0),
        "entry_at_11_2": first_below(11230.0) < dp["t_s"],
        "deploy_east_m": dp["east_m"], "deploy_north_m": dp["north_m"],
        "backshell_east_m": bs["east_m"], "backshell_north_m": bs["north_m"],
    }  # fmt: skip


def fly_nominal(mission) -> dict:
    r = fly(mission, record=True)
    row = _row(r.events, r.record)
    row["miss_m"] = float(r.miss_distance_m[0])
    return row


def _with(base: dict, changes: dict):
    d = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in changes.items():
        section, name = key.split(".")
        d[section][name] = value
    return mission_from_dict(d)


def replaced(mission, changes: dict, *, iterations: int = 2):
    """``mission`` with ``changes`` ({"section.name": value}) and its est. EI point and deploy range
    re-placed by their rules (module docstring)."""
    base = mission.model_dump()
    e, tgt = mission.entry, mission.target
    d0 = great_circle_range_m(e.latitude_deg, e.longitude_deg, tgt.latitude_deg, tgt.longitude_deg)
    range0 = build_reference(mission).total_range_m
    deploy0 = mission.parachute.deploy_range_to_target_km * 1e3
    changed = _with(base, changes)
    grow = build_reference(changed).total_range_m - range0
    deploy = deploy0
    for _ in range(iterations):
        d = d0 + grow + deploy - deploy0
        lat, lon = _uprange(tgt.latitude_deg, tgt.longitude_deg, e.heading_deg, d)
        changed = _with(base, {**changes, "entry.latitude_deg": lat, "entry.longitude_deg": lon,
                               "parachute.deploy_range_to_target_km": deploy / 1e3})  # fmt: skip
        row = fly_nominal(changed)
        deploy = math.hypot(row["deploy_east_m"] - row["backshell_east_m"], row["deploy_north_m"] - row["backshell_north_m"])
    return changed, row


def _uprange(lat_deg: float, lon_deg: float, heading_deg: float, distance_m: float) -> tuple[float, float]:
    """The point ``distance_m`` from the target whose initial bearing to it is ``heading_deg`` (secant on the back-azimuth)."""

    def miss(back_deg: float):
        la, lo = destination_point(lat_deg, lon_deg, math.radians(back_deg), distance_m)
        return math.degrees(bearing_rad(la, lo, lat_deg, lon_deg)) - heading_deg, (float(la), float(lo))

    a, b = heading_deg + 180.0, heading_deg + 190.0
    fa, _ = miss(a)
    for _ in range(40):
        fb, point = miss(b)
        if abs(fb) < 1e-10 or fb == fa:
            break
        a, b, fa = b, b - fb * (b - a) / (fb - fa), fb
    return point


SENSITIVITY = {
    "reference_end_speed 450 → 420 m/s (NASA)": {"guidance.reference_end_speed_m_s": 420.0},
    "reference bank 45° → 35°": {"guidance.reference_bank_deg": 35.0, "guidance.prebank_deg": 35.0},
    "reference bank 45° → 55°": {"guidance.reference_bank_deg": 55.0, "guidance.prebank_deg": 55.0},
    "heading alignment 1100 → 1500 m/s": {"guidance.heading_alignment_speed_m_s": 1500.0},
    "capsule C_D × 1.1 (β × 0.91)": "cd",
    "capsule L/D × 1.1": "lod",
    "density below 40 km × 1.05": {"atmosphere.density_scale_low": 1.05},
    "density below 40 km × 1.12 (MEDLI2 bound)": {"atmosphere.density_scale_low": 1.12},
    "density above 40 km × 2.5 (MEDLI2 bound)": {"atmosphere.density_scale_high": 2.5},
    "EI speed 5400 → 5200 m/s": {"entry.speed_m_s": 5200.0},
    "parachute C_D × 1.1": "chute",
    # Hypotheses for the deploy's high q (benchmarks/RESULTS.md, "The capsule's supersonic aerodynamics and mass"):
    "capsule table read as axial C_A (C_D = C_A / (cos α + L/D sin α), α 16°)": "axial",
    "entry mass 3440 → 3290 kg (two 75 kg cruise balance masses off before EI)": {
        "vehicle.entry_mass_kg": 3290.0, "vehicle.backshell_mass_kg": 425.0},
    "capsule L/D 0.30 at Mach 1.2–3 (est., a trim α rising in the supersonic)": "lod_supersonic",
}


def _changes(mission, spec):
    if isinstance(spec, dict):
        return spec
    v, p = mission.vehicle, mission.parachute
    table = {"cd": ("vehicle.aero_drag_coefficient", v.aero_drag_coefficient),
             "lod": ("vehicle.aero_lift_to_drag", v.aero_lift_to_drag),
             "chute": ("parachute.drag_coefficient", p.drag_coefficient)}  # fmt: skip
    if spec == "axial":
        # The kernel flies the table as wind-axis C_D with lift = L/D × drag. Were the table's values the
        # axial coefficient C_A at trim α, the normal force that gives the table's L/D makes
        # C_D = C_A cos α + C_N sin α = C_A / (cos α + (L/D) sin α).
        a = math.radians(abs(v.trim_angle_of_attack_deg))
        cd = [c / (math.cos(a) + k * math.sin(a)) for c, k in zip(v.aero_drag_coefficient, v.aero_lift_to_drag)]
        return {"vehicle.aero_drag_coefficient": cd}
    if spec == "lod_supersonic":
        lod = [max(k, 0.30) if 1.2 <= m <= 3.0 else k for m, k in zip(v.aero_mach, v.aero_lift_to_drag)]
        return {"vehicle.aero_lift_to_drag": lod}
    key, values = table[spec]
    return {key: [1.1 * c for c in values]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mission", default=None, help="mission file or shipped name (default: mars2020)")
    ap.add_argument("--no-sensitivity", action="store_true", help="only the nominal against the flight")
    args = ap.parse_args()
    mission = load_mission(args.mission)
    n = fly_nominal(mission)
    print("| figure | nominal | flown | source |\n|---|---|---|---|")
    print(f"| EI → touchdown | {n['touchdown_s']:.1f} s | {FLOWN['ei_to_touchdown_s'][0]:.0f} s | {FLOWN['ei_to_touchdown_s'][1]} |")
    print(f"| deploy speed | {n['deploy_speed_m_s']:.1f} m/s | ≈ 420 m/s | {FLOWN['deploy_speed_m_s'][1]} |")
    print(f"| deploy Mach | {n['deploy_mach']:.2f} | 1.81 | {FLOWN['deploy_mach'][1]} |")
    print(f"| deploy q | {n['deploy_q_pa']:.0f} Pa | 518 Pa | {FLOWN['deploy_q_pa'][1]} |")
    print(f"| deploy | E+{n['deploy_s']:.1f} s, {n['deploy_agl_km']:.2f} km | ≈ E+240 s, ≈ 11 km | NASA landing timeline (pre-flight nominal) |")
    print(f"| heat-shield separation | E+{n['heatshield_s']:.1f} s, {n['heatshield_agl_km']:.2f} km, {n['heatshield_speed_m_s']:.0f} m/s "
          f"| first LCAM frame E+254.5 s at ≈ 11.23 km | {FLOWN['first_lcam_s'][1]} |")
    print(f"| 11.23 → 2.08 km | {n['chute_11_2_s']:.1f} s{' (from 11.23 km in entry)' if n['entry_at_11_2'] else ''} "
          f"| 104.2 s | {FLOWN['chute_11_2_s'][1]} |")
    print(f"| backshell separation | E+{n['backshell_s']:.1f} s, {n['backshell_agl_km']:.2f} km, {n['backshell_speed_m_s']:.0f} m/s "
          f"| ≈ E+358.7 s (first frame + 104.2 s), 2.08 km | same |")
    print(f"| 1.99 → 0.04 km (powered) | {n['powered_2_0_s']:.1f} s | 37.6 s | {FLOWN['powered_2_0_s'][1]} |")
    print(f"| sky crane → touchdown | {n['touchdown_s'] - n['skycrane_s']:.1f} s | | |")
    if args.no_sensitivity:
        return
    print("\n| input changed (EI and deploy range re-placed) | deploy E+ s | km AGL | m/s | Mach | q Pa "
          "| heat shield E+ s | backshell E+ s | deploy → backshell s | 11.23 → 2.08 km s | touchdown E+ s | miss m |")
    print("|---" * 12 + "|")
    rows = [("nominal", n)] + [(label, replaced(mission, _changes(mission, spec))[1]) for label, spec in SENSITIVITY.items()]
    for label, r in rows:
        print(f"| {label} | {r['deploy_s']:.1f} | {r['deploy_agl_km']:.2f} | {r['deploy_speed_m_s']:.1f} | {r['deploy_mach']:.2f} "
              f"| {r['deploy_q_pa']:.0f} | {r['heatshield_s']:.1f} | {r['backshell_s']:.1f} | {r['backshell_s'] - r['deploy_s']:.1f} "
              f"| {r['chute_11_2_s']:.1f} | {r['touchdown_s']:.1f} | {r.get('miss_m', math.nan):.0f} |", flush=True)


if __name__ == "__main__":
    main()
