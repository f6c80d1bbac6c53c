"""Landing ellipses of Mars 2020 and MSL from the same Monte Carlo code, and what the Range
Trigger changes: MSL flown as it flew (navigated-velocity trigger) and with Mars 2020's Range
Trigger, against the published ellipses; the flown landing points on them. Writes
docs/landing_ellipses.png and prints the ellipses (for benchmarks/RESULTS.md).

Run: ``nice -n 10 .venv/bin/python benchmarks/ellipses.py [--cases 2000] [--out /tmp/ellipses]``

Each Monte Carlo is ``edlcam montecarlo`` (``run_montecarlo``, in this process, no Dask) over the
shipped mission; "MSL, range trigger" is msl.toml with ``[sequence] parachute_trigger = "range"``
and ``deploy_range_to_target_km`` where MSL's nominal deployed, so that its nominal flies as the
velocity-triggered one does).

The flown landing points, in each mission's target frame: the missions' ``[target]`` is the
landed point (Perseverance 18.4447° N 77.4508° E, Curiosity's Bradbury Landing 4.5895° S
137.4417° E: NASA/JPL, as the mission files cite), so each Monte Carlo's aim is that point. MSL
aimed at 4.5965° S 137.4019° E and landed 2.385 km from it (Way, Davis & Shidner 2013, AAS 13-420):
its ellipse is drawn about that aim point and the landing where it was, 2.3 km east of it.
Mars 2020's aim point is not in the shipped sources: its landing is drawn at its ellipse's aim.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MSL_AIM_DEG = (-4.5965, 137.4019)  # Way et al. 2013: MSL's targeted landing point


def _run(mission, n, out):
    import pandas as pd

    from edlcam.flight.montecarlo import run_montecarlo

    run_montecarlo(mission, out, n=n, workers=0, plots=False)
    cols = pd.read_parquet(Path(out) / "cases.parquet")
    ok = cols["status"] == "landed"
    return cols.loc[ok, "touchdown_east_m"].to_numpy(), cols.loc[ok, "touchdown_north_m"].to_numpy(), cols


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--out", default=None, help="folder for the Monte Carlo runs (default: a temporary one)")
    ap.add_argument("--figure", default=str(HERE.parent / "docs" / "landing_ellipses.png"))
    args = ap.parse_args()

    from edlcam.flight.ellipse import landing_ellipse
    from edlcam.flight.mc_plots import plot_ellipse_comparison
    from edlcam.mars.frames import enu_basis, geodetic_to_cartesian
    from edlcam.mission import load_mission, shipped_missions

    out = Path(args.out or tempfile.mkdtemp(prefix="ellipses-"))
    out.mkdir(parents=True, exist_ok=True)
    m2020 = load_mission(shipped_missions()["mars2020"])
    msl = load_mission(shipped_missions()["msl"])
    # MSL with the Range Trigger set at the range from the target where MSL's nominal deployed:
    # the same nominal flight, the trigger alone changed.
    from edlcam.flight.sequencer import fly

    dep = fly(msl).events["parachute_deploy"]
    deploy_km = math.hypot(dep["east_m"][0], dep["north_m"][0]) / 1e3
    ranged = out / "msl_range.toml"
    ranged.write_text(f'extends = "{shipped_missions()["msl"]}"\n[sequence]\nparachute_trigger = "range"\n'
                      f'[parachute]\ndeploy_range_to_target_km = {deploy_km:.4f}\n')  # fmt: skip
    msl_range = load_mission(ranged)

    # MSL's aim point in its target's frame (east, north) [m]; the flown landing is the target.
    lat0, lon0 = msl.target.latitude_deg, msl.target.longitude_deg
    basis = enu_basis(lat0, lon0)
    d = geodetic_to_cartesian(*MSL_AIM_DEG, 0.0) - geodetic_to_cartesian(lat0, lon0, 0.0)
    aim = basis[:2] @ d  # the aim point east/north of the landed point
    # Each Monte Carlo aims at its mission's target: its landings, about the target, are the
    # dispersions about whatever point it aims at, so they are drawn about the aim point as they
    # are; MSL's flown landing lies at −aim from its aim point.
    landed = -aim
    print(f"MSL: landed {math.hypot(*aim) / 1e3:.3f} km from its aim point (Way et al. 2013: 2.385 km)")

    entries, rows = [], []
    for label, mission, colour, flown, flown_label in (
        ("Mars 2020 (range trigger)", m2020, "#2b6cb0", (0.0, 0.0), "Perseverance landed (18.4447° N 77.4508° E; its aim point not shipped)"),
        ("MSL (navigated-velocity trigger)", msl, "#c05621", (landed[0], landed[1]), "Curiosity landed (4.5895° S 137.4417° E)"),
        ("MSL with the Range Trigger", msl_range, "#2f855a", None, ""),
    ):
        e, n, cols = _run(mission, args.cases, out / f"mc-{colour[1:]}")
        ell = landing_ellipse(e, n, mission.montecarlo.ellipse_probability)
        pub = mission.montecarlo if mission is not msl_range else None
        entries.append({"label": label, "colour": colour, "ellipse": ell, "points": (e, n), "published": pub,
                        "flown": flown, "flown_label": flown_label})  # fmt: skip
        inside = None
        if flown is not None:
            v = np.asarray(flown) - (ell.center_east_m, ell.center_north_m)
            az = math.radians(ell.azimuth_deg)
            a = v[0] * math.sin(az) + v[1] * math.cos(az)
            c = v[0] * math.cos(az) - v[1] * math.sin(az)
            inside = (a / ell.semi_major_m) ** 2 + (c / ell.semi_minor_m) ** 2
        rows.append((label, ell, pub, inside, int((cols["status"] != "landed").sum()), len(cols)))
    plot_ellipse_comparison(entries, args.figure, title=f"99 % landing ellipses, {args.cases} dispersed landings each (benchmarks/ellipses.py)")
    for label, ell, pub, inside, failed, total in rows:
        line = f"{label}: {2 * ell.semi_major_m / 1e3:.2f} × {2 * ell.semi_minor_m / 1e3:.2f} km at {ell.azimuth_deg:.1f}°"
        if pub is not None:
            line += (f" (published {pub.published_ellipse_major_km:g} × {pub.published_ellipse_minor_km:g} km: "
                     f"{2 * ell.semi_major_m / 1e3 / pub.published_ellipse_major_km - 1:+.0%}, "
                     f"{2 * ell.semi_minor_m / 1e3 / pub.published_ellipse_minor_km - 1:+.0%})")  # fmt: skip
        if inside is not None:
            line += f"; flown landing at {math.sqrt(inside):.2f} of the ellipse's size ({'inside' if inside <= 1 else 'OUTSIDE'})"
        print(line + f"; {failed} of {total} not landed")
    print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
