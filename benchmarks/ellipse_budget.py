"""What sets a mission's landing ellipse: the Monte Carlo flown with all its dispersions, then with
each group of them turned off (``sigma = 0``), and the variance along and across the approach
heading that each group removes. Prints a table (for benchmarks/RESULTS.md).

Run: ``nice -n 10 .venv/bin/python benchmarks/ellipse_budget.py [--mission msl] [--cases 1000]``

The groups are turned off one at a time, so their shares need not add up to the whole (the
guidance and the triggers couple them); "residual" is what is left with every group off.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np

# Each group: ([montecarlo.dispersions] names, whole sections set to zero)
GROUPS = {
    "entry delivery": ((), ("entry_delivery",)),
    "entry navigation": ((), ("entry_navigation",)),
    "winds": (("wind_east_m_s", "wind_north_m_s"), ("wind",)),
    "atmosphere density scales": (("density_scale_low", "density_scale_high"), ()),
    "density profile in height": ((), ("density_profile",)),
    "capsule aerodynamics": (("drag_scale", "lift_to_drag_scale", "cg_radial_offset_m"), ()),
    "parachute drag": (("chute_drag_scale",), ()),
    "mass, thrust, powered descent": (("entry_mass_offset_kg", "thrust_scale", "nav_error_east_m", "nav_error_north_m",
                                       "nav_error_up_m", "divert_east_m", "divert_north_m"), ()),
}  # fmt: skip
_ZERO_SECTIONS = {
    "entry_delivery": ("flight_path_angle_sigma_deg", "speed_sigma_m_s", "downrange_sigma_m", "crossrange_sigma_m", "heading_sigma_deg"),
    "entry_navigation": ("position_downrange_sigma_m", "position_crossrange_sigma_m", "velocity_downrange_sigma_m_s",
                         "velocity_crossrange_sigma_m_s", "velocity_vertical_sigma_m_s", "accel_scale_factor_sigma_ppm",
                         "misalignment_sigma_deg"),
}  # fmt: skip


def _overlay(mission, path: Path, names, sections) -> str:
    """A mission file extending ``path`` with the named dispersions and sections at zero."""
    lines = [f'extends = "{path}"']
    disp = mission.montecarlo.dispersions
    off = [n for n in names if getattr(disp, n) is not None]
    if off:
        lines.append("[montecarlo.dispersions]")
        for n in off:
            d = getattr(disp, n)
            centre = f"median = {d.median!r}" if d.kind == "lognormal" else f"mean = {d.mean!r}"
            kind = "normal" if d.kind == "uniform" else d.kind  # a uniform's zero spread: its midpoint
            if d.kind == "uniform":
                centre = f"mean = {0.5 * (d.low + d.high)!r}"
            lines.append(f'{n} = {{ kind = "{kind}", {centre}, sigma = 0.0 }}')
    for s in sections:
        lines.append(f"[montecarlo.{s}]")
        if s == "wind":
            lines.append(f"sigma_m_s = {[0.0] * len(mission.montecarlo.wind.sigma_m_s)}")
        elif s == "density_profile":
            lines.append(f"sigma = {[0.0] * len(mission.montecarlo.density_profile.sigma)}")
        else:
            lines += [f"{k} = 0.0" for k in _ZERO_SECTIONS[s]]
    return "\n".join(lines) + "\n"


def _fly(mission, n, out, heading_rad):
    """Touchdown spread of one Monte Carlo: (σ along, σ across the heading [m], 99 % axes [km])."""
    import pandas as pd

    from edlcam.flight.ellipse import landing_ellipse
    from edlcam.flight.montecarlo import run_montecarlo

    run_montecarlo(mission, out, n=n, workers=0, plots=False)
    c = pd.read_parquet(Path(out) / "cases.parquet")
    c = c[c["status"] == "landed"]
    e, nn = c["touchdown_east_m"].to_numpy(), c["touchdown_north_m"].to_numpy()
    along = e * math.sin(heading_rad) + nn * math.cos(heading_rad)
    across = e * math.cos(heading_rad) - nn * math.sin(heading_rad)
    ell = landing_ellipse(e, nn, mission.montecarlo.ellipse_probability)
    return float(np.std(along, ddof=1)), float(np.std(across, ddof=1)), (2e-3 * ell.semi_major_m, 2e-3 * ell.semi_minor_m)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mission", default="msl", help="a shipped mission's name or a mission file")
    ap.add_argument("--cases", type=int, default=1000)
    args = ap.parse_args()

    from edlcam.mission import load_mission, shipped_missions

    path = Path(shipped_missions().get(args.mission, args.mission)).resolve()
    mission = load_mission(path)
    heading = math.radians(mission.entry.heading_deg)
    tmp = Path(tempfile.mkdtemp(prefix="ellipse-budget-"))
    rows = [("all dispersions", *_fly(mission, args.cases, tmp / "all", heading))]
    every = ((), ())
    for label, (names, sections) in GROUPS.items():
        f = tmp / f"{len(rows)}.toml"
        f.write_text(_overlay(mission, path, names, sections))
        rows.append((f"without {label}", *_fly(load_mission(f), args.cases, tmp / f"mc{len(rows)}", heading)))
        every = (every[0] + names, every[1] + sections)
    f = tmp / "residual.toml"
    f.write_text(_overlay(mission, path, *every))
    rows.append(("residual (every group off)", *_fly(load_mission(f), args.cases, tmp / "residual", heading)))

    a0, c0 = rows[0][1], rows[0][2]
    print(f"{mission.mission.name}: {args.cases} cases; along/across the entry heading {mission.entry.heading_deg:g}°")
    print(f"{'':38s} {'99 % axes [km]':>16s} {'σ along':>9s} {'σ across':>9s} {'share of var. along':>20s} {'across':>7s}")
    for label, a, c, (major, minor) in rows:
        share = "" if label == "all dispersions" else f"{1 - a * a / (a0 * a0):20.0%} {1 - c * c / (c0 * c0):7.0%}"
        if label.startswith("residual"):
            share = f"{a * a / (a0 * a0):20.0%} {c * c / (c0 * c0):7.0%}"
        print(f"{label:38s} {major:7.2f} × {minor:5.2f} {a:7.0f} m {c:7.0f} m {share}")


if __name__ == "__main__":
    main()
