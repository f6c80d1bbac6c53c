"""Flight plots (matplotlib, Agg): the EDL quantities against time with events marked, and the
ground track to the target."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from edlcam import runfolder  # noqa: E402

__all__ = ["plot_flight"]

_PANELS = (
    ("altitude_m", "altitude above MOLA areoid [km]", 1e-3),
    ("speed_m_s", "planet-relative speed [m/s]", 1.0),
    ("mach", "Mach number", 1.0),
    ("decel_g", "sensed deceleration [Earth g]", 1.0),
    ("dynamic_pressure_pa", "dynamic pressure [kPa]", 1e-3),
    ("bank_deg", "bank angle [deg]", 1.0),
)
_SHORT = {
    "entry_interface": "EI",
    "peak_heating": "peak heat",
    "peak_deceleration": "peak decel",
    "parachute_deploy": "chute",
    "heatshield_separation": "heat shield",
    "leg_deployment": "legs",
    "backshell_separation": "backshell",
    "powered_descent_start": "powered",
    "skycrane_start": "sky crane",
    "touchdown": "touchdown",
}


def plot_flight(run, out_dir, *, mission=None) -> tuple[Path, ...]:
    """Write ``timeline.png`` (six panels) and ``ground_track.png`` of the flight in ``run``; return their paths."""
    out_dir = Path(out_dir)
    tab = runfolder.read_trajectory(run).as_dict()
    t = np.asarray(tab["t_s"])
    events = [e.as_dict() for e in runfolder.read_events(run).major]

    fig, axes = plt.subplots(3, 2, figsize=(13, 10), sharex=True, constrained_layout=True)
    for ax, (col, label, scale) in zip(axes.ravel(), _PANELS):
        ax.plot(t, np.asarray(tab[col]) * scale, color="#b3441e", lw=1.4)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        for ev in events:
            ax.axvline(ev["t_s"], color="0.45", lw=0.7, ls="--")
        if col == "altitude_m":
            for ev in events:
                ax.annotate(
                    _SHORT.get(ev["name"], ev["name"]), (ev["t_s"], ax.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=7, color="0.3"
                )
    for ax in axes[-1]:
        ax.set_xlabel("time since entry interface [s]")
    name = mission.mission.name if mission is not None else "EDL"
    fig.suptitle(f"{name}: entry, descent and landing")
    timeline = out_dir / "timeline.png"
    fig.savefig(timeline, dpi=110)
    plt.close(fig)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.5), constrained_layout=True)
    e = np.asarray(tab["east_m"]) / 1e3
    n = np.asarray(tab["north_m"]) / 1e3
    ax1.plot(e, n, color="#b3441e")
    ax1.plot(0, 0, marker="*", ms=14, color="k", label="target")
    for ev in events:
        i = int(np.searchsorted(t, ev["t_s"]))
        i = min(i, len(t) - 1)
        ax1.plot(e[i], n[i], "o", ms=4, color="0.2")
        ax1.annotate(_SHORT.get(ev["name"], ev["name"]), (e[i], n[i]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax1.set_xlabel("east of target [km]")
    ax1.set_ylabel("north of target [km]")
    ax1.set_title("ground track from entry interface")
    ax1.set_aspect("equal", adjustable="datalim")
    ax1.grid(alpha=0.3)
    ax1.legend()
    near = (np.hypot(e, n) < 15.0)
    ax2.plot(e[near] * 1e3, n[near] * 1e3, color="#b3441e")
    ax2.plot(0, 0, marker="*", ms=14, color="k")
    for ev in events:
        i = min(int(np.searchsorted(t, ev["t_s"])), len(t) - 1)
        if near[i]:
            ax2.plot(e[i] * 1e3, n[i] * 1e3, "o", ms=4, color="0.2")
            ax2.annotate(_SHORT.get(ev["name"], ev["name"]), (e[i] * 1e3, n[i] * 1e3), fontsize=7, xytext=(3, 3), textcoords="offset points")
    td = next((ev for ev in events if ev["name"] == "touchdown"), None)
    title = "last 15 km"
    if td is not None and td.get("miss_distance_m") is not None:
        title += f" — touchdown {td['miss_distance_m']:.1f} m from target"
    ax2.set_title(title)
    ax2.set_xlabel("east of target [m]")
    ax2.set_ylabel("north of target [m]")
    ax2.set_aspect("equal", adjustable="datalim")
    ax2.grid(alpha=0.3)
    track = out_dir / "ground_track.png"
    fig.savefig(track, dpi=110)
    plt.close(fig)
    return timeline, track
