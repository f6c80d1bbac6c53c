"""The Monte Carlo's plots: the landing and delivery points with their ellipses, and the
histograms of the deploy conditions and the touchdown (matplotlib's object API: no global pyplot
state in library code; matplotlib is imported when a plot is drawn)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_landing", "plot_histograms"]


_STATUS_COLOURS = {
    "landed": "#2b6cb0",
    "hard_landing": "#c53030",
    "fuel_out": "#dd6b20",
    "deploy_out_of_box": "#805ad5",
    "skip_out": "#718096",
    "crash": "#000000",
    "timeout": "#975a16",
    "error": "#e53e3e",
}


def plot_landing(cols: dict, summary: dict, mission, path) -> Path:
    """Landing points and their ellipse over the target, the parachute-delivery points
    (backshell separation) and their ellipse, and the published 7.7 × 6.6 km ellipse."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from edlcam.flight.ellipse import STATUSES, LandingEllipse

    mc = mission.montecarlo
    fig = Figure(figsize=(13, 6.5), layout="constrained")
    FigureCanvasAgg(fig)
    status = np.asarray(cols["status"])
    published = LandingEllipse(
        mc.ellipse_probability, 0.0, 0.0, mc.published_ellipse_major_km * 500.0, mc.published_ellipse_minor_km * 500.0,
        mc.published_ellipse_azimuth_deg % 180.0, 0,
    )  # fmt: skip
    pct = f"{100 * mc.ellipse_probability:g} %"
    for ax, prefix, key, title in (
        (fig.add_subplot(1, 2, 1), "backshell_separation", "delivery_ellipse", "where the parachute delivered the lander (backshell separation)"),
        (fig.add_subplot(1, 2, 2), "touchdown", "landing_ellipse", "touchdown points (after the powered-descent divert)"),
    ):
        e = np.asarray(cols[f"{prefix}_east_m"]) / 1e3
        n = np.asarray(cols[f"{prefix}_north_m"]) / 1e3
        for s in STATUSES:
            sel = (status == s) & np.isfinite(e)
            if sel.any():
                ax.scatter(e[sel], n[sel], s=5, color=_STATUS_COLOURS[s], alpha=0.6, lw=0, label=f"{s} ({int(sel.sum())})")
        pe, pn = published.outline_m()
        ax.plot(pe / 1e3, pn / 1e3, color="#2f855a", lw=2, ls="--", label=f"published {mc.published_ellipse_major_km:g} × {mc.published_ellipse_minor_km:g} km (PIA24350)")
        ell = summary.get(key)
        if ell:
            fit = LandingEllipse(
                ell["probability"], ell["center_east_km"] * 1e3, ell["center_north_km"] * 1e3, ell["semi_major_km"] * 1e3,
                ell["semi_minor_km"] * 1e3, ell["azimuth_deg"], ell["cases"],
            )  # fmt: skip
            fe, fn = fit.outline_m()
            ax.plot(fe / 1e3, fn / 1e3, color="#c05621", lw=2, label=f"{pct} ellipse {ell['major_km']:.2f} × {ell['minor_km']:.2f} km")
        ax.plot([0], [0], marker="+", color="k", ms=14, mew=2, label="target")
        if prefix == "touchdown" and ell:
            # The powered descent flies to the target, so the touchdown scatter is metres wide:
            # an inset in metres shows it against its own ellipse.
            ins = ax.inset_axes([0.6, 0.04, 0.38, 0.38])
            for s in STATUSES:
                sel = (status == s) & np.isfinite(e)
                if sel.any():
                    ins.scatter(e[sel] * 1e3, n[sel] * 1e3, s=4, color=_STATUS_COLOURS[s], alpha=0.6, lw=0)
            ins.plot(fe, fn, color="#c05621", lw=1.5)
            ins.plot([0], [0], marker="+", color="k", ms=10, mew=1.5)
            ins.set_aspect("equal", adjustable="datalim")
            ins.tick_params(labelsize=7)
            ins.set_title("zoom [m]", fontsize=8)
            ins.grid(alpha=0.3)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("east of target [km]")
        ax.set_ylabel("north of target [km]")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{mission.mission.name}: {len(status)} dispersed landings, seed {mission.mission.seed}")
    fig.savefig(path, dpi=110)
    return Path(path)


def plot_histograms(cols: dict, mission, path) -> Path:
    """Histograms of deploy Mach, deploy dynamic pressure, touchdown speed and propellant used,
    with the deploy box and the touchdown limits marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pc = mission.parachute
    fig = Figure(figsize=(11, 8), layout="constrained")
    FigureCanvasAgg(fig)
    panels = (
        ("parachute_deploy_mach", 1.0, "Mach at parachute deploy", (pc.deploy_mach_min, pc.deploy_mach_max)),
        ("parachute_deploy_dynamic_pressure_pa", 1.0, "dynamic pressure at parachute deploy [Pa]",
         (pc.deploy_dynamic_pressure_min_pa, pc.deploy_dynamic_pressure_max_pa)),
        ("touchdown_vertical_speed_m_s", 1.0, "vertical touchdown speed [m/s]", (mission.powered_descent.skycrane_speed_m_s, 2.0)),
        ("propellant_used_kg", 1.0, "propellant used [kg]", (mission.vehicle.propellant_mass_kg,)),
    )  # fmt: skip
    for i, (key, scale, label, marks) in enumerate(panels):
        ax = fig.add_subplot(2, 2, i + 1)
        x = np.asarray(cols[key], float) * scale
        x = x[np.isfinite(x)]
        if x.size:
            ax.hist(x, bins=min(60, max(10, x.size // 20)), color="#b3441e", alpha=0.85)
            if key == "touchdown_vertical_speed_m_s":
                ax.set_yscale("log")  # the hard landings are a thin tail beside the 0.75 m/s peak
        for m in marks:
            ax.axvline(m, color="#2f855a", ls="--", lw=1.5)
        ax.set_xlabel(label)
        ax.set_ylabel("cases")
        ax.grid(alpha=0.3)
        if x.size:
            p1, p50, p99 = np.percentile(x, [1, 50, 99])
            ax.set_title(f"median {p50:.3g}, 1–99 %: {p1:.3g} … {p99:.3g}", fontsize=9)
    fig.suptitle(f"{mission.mission.name}: {len(cols['status'])} dispersed landings (dashed: limits)")
    fig.savefig(path, dpi=100)
    return Path(path)
