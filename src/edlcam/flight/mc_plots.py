"""The Monte Carlo's plots: the landing and delivery points with their ellipses, and the
histograms of the deploy conditions and the touchdown (matplotlib's object API: no global pyplot
state in library code; matplotlib is imported when a plot is drawn).

:class:`PlotProcess` draws both in a process of its own (``python -m edlcam.flight.mc_plots``):
started when the Monte Carlo starts, it imports matplotlib while the client prepares and the cases
fly; once they are in it draws the two plots side by side (:func:`draw_both`: one in a forked
child) while the client writes the cases (issue 21: the two figures drawn in the client cost
≈ 2.3 s after the answer).
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

__all__ = ["plot_landing", "plot_histograms", "draw_both", "PlotProcess"]


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
    fig = Figure(figsize=(13, 6.5))
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.9, wspace=0.15)  # fixed: constrained layout cost 0.2 s
    FigureCanvasAgg(fig)
    status = np.asarray(cols["status"])
    published = LandingEllipse(
        mc.ellipse_probability, 0.0, 0.0, mc.published_ellipse_major_km * 500.0, mc.published_ellipse_minor_km * 500.0,
        mc.published_ellipse_azimuth_deg % 180.0, 0,
    )  # fmt: skip
    pct = f"{100 * mc.ellipse_probability:g} %"
    for ax, prefix, key, title in (
        (fig.add_subplot(1, 2, 1), "backshell_separation", "delivery_ellipse", "where the parachute delivered the lander (backshell separation)"),
        (fig.add_subplot(1, 2, 2), "touchdown", "landing_ellipse", "touchdown points (after the divert to the target selected there)"),
    ):
        e = np.asarray(cols[f"{prefix}_east_m"]) / 1e3
        n = np.asarray(cols[f"{prefix}_north_m"]) / 1e3
        for s in STATUSES:
            sel = (status == s) & np.isfinite(e)
            if sel.any():
                ax.scatter(e[sel], n[sel], s=5, color=_STATUS_COLOURS[s], alpha=0.6, lw=0, label=f"{s} ({int(sel.sum())})")
        pe, pn = published.outline_m()
        ax.plot(pe / 1e3, pn / 1e3, color="#2f855a", lw=2, ls="--", label=f"published {mc.published_ellipse_major_km:g} × {mc.published_ellipse_minor_km:g} km ({mc.published_ellipse_source})")
        ell = summary.get(key)
        if ell:
            fit = LandingEllipse(
                ell["probability"], ell["center_east_km"] * 1e3, ell["center_north_km"] * 1e3, ell["semi_major_km"] * 1e3,
                ell["semi_minor_km"] * 1e3, ell["azimuth_deg"], ell["cases"],
            )  # fmt: skip
            fe, fn = fit.outline_m()
            ax.plot(fe / 1e3, fn / 1e3, color="#c05621", lw=2, label=f"{pct} ellipse {ell['major_km']:.2f} × {ell['minor_km']:.2f} km")
        ax.plot([0], [0], marker="+", color="k", ms=14, mew=2, label="target")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("east of target [km]")
        ax.set_ylabel("north of target [km]")
        ax.set_title(title, fontsize=10, y=1.0)  # y given: no search for a place above the ticks
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
    from matplotlib.ticker import LogFormatter, NullFormatter

    pc = mission.parachute
    # Fixed margins, filled step outlines, plain log labels: constrained layout, 240 bar patches
    # and mathtext tick labels were 0.6 of this plot's 1.0 s of CPU (issue 21), for the same look.
    fig = Figure(figsize=(11, 8))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.07, top=0.92, hspace=0.3, wspace=0.2)
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
            ax.hist(x, bins=min(60, max(10, x.size // 20)), histtype="stepfilled", color="#b3441e", alpha=0.85)
            if key == "touchdown_vertical_speed_m_s":
                ax.set_yscale("log")  # the hard landings are a thin tail beside the 0.75 m/s peak
                ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))  # 1, 10, 100 without mathtext
                ax.yaxis.set_minor_formatter(NullFormatter())
        for m in marks:
            ax.axvline(m, color="#2f855a", ls="--", lw=1.5)
        ax.set_xlabel(label)
        ax.set_ylabel("cases")
        ax.grid(alpha=0.3)
        if x.size:
            p1, p50, p99 = np.percentile(x, [1, 50, 99])
            ax.set_title(f"median {p50:.3g}, 1–99 %: {p1:.3g} … {p99:.3g}", fontsize=9, y=1.0)
    fig.suptitle(f"{mission.mission.name}: {len(cols['status'])} dispersed landings (dashed: limits)")
    fig.savefig(path, dpi=100)
    return Path(path)


def plot_ellipse_comparison(entries, path, *, title: str) -> Path:
    """Landing ellipses of several Monte Carlos on one plot, each with its published ellipse and
    its flown landing point: ``entries`` are dicts of ``label``, ``colour``, ``ellipse`` (a
    :class:`~edlcam.flight.ellipse.LandingEllipse`, in km from the mission's target),
    ``points`` ((east, north) [m] of the landings), ``published`` (the mission's [montecarlo],
    or None), ``flown`` ((east, north) [m] of the flown landing, or None) and ``flown_label``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from edlcam.flight.ellipse import LandingEllipse

    fig = Figure(figsize=(9, 7))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for ent in entries:
        col, ell = ent["colour"], ent["ellipse"]
        pe, pn = ent["points"]
        ax.scatter(np.asarray(pe) / 1e3, np.asarray(pn) / 1e3, s=2, color=col, alpha=0.25, lw=0)
        fe, fn = ell.outline_m()
        ax.plot(fe / 1e3, fn / 1e3, color=col, lw=2.2,
                label=f"{ent['label']}: {100 * ell.probability:g} % {2 * ell.semi_major_m / 1e3:.1f} × {2 * ell.semi_minor_m / 1e3:.1f} km")
        mc = ent["published"]
        if mc is not None:
            pub = LandingEllipse(ell.probability, ell.center_east_m, ell.center_north_m, mc.published_ellipse_major_km * 500.0,
                                 mc.published_ellipse_minor_km * 500.0, mc.published_ellipse_azimuth_deg % 180.0, 0)  # fmt: skip
            qe, qn = pub.outline_m()
            ax.plot(qe / 1e3, qn / 1e3, color=col, lw=1.4, ls="--",
                    label=f"published {mc.published_ellipse_major_km:g} × {mc.published_ellipse_minor_km:g} km ({mc.published_ellipse_source})")
        if ent.get("flown") is not None:
            e, n = ent["flown"]
            ax.plot([e / 1e3], [n / 1e3], marker="*", ms=16, color=col, mec="k", ls="none", label=ent["flown_label"])
    ax.plot([0], [0], marker="+", color="k", ms=14, mew=2, ls="none", label="aim point")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("east of the aim point [km]")
    ax.set_ylabel("north of the aim point [km]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return Path(path)


def _plotted_values(mission) -> SimpleNamespace:
    """The mission's values that the plots read, as plain namespaces: what the plot process is
    sent (the mission itself would unpickle into its pydantic classes, ≈ 0.2 s of imports)."""
    mc, pc = mission.montecarlo, mission.parachute
    return SimpleNamespace(
        mission=SimpleNamespace(name=mission.mission.name, seed=mission.mission.seed),
        montecarlo=SimpleNamespace(**{k: getattr(mc, k) for k in (
            "ellipse_probability", "published_ellipse_major_km", "published_ellipse_minor_km", "published_ellipse_azimuth_deg",
            "published_ellipse_source")}),
        parachute=SimpleNamespace(**{k: getattr(pc, k) for k in (
            "deploy_mach_min", "deploy_mach_max", "deploy_dynamic_pressure_min_pa", "deploy_dynamic_pressure_max_pa")}),
        powered_descent=SimpleNamespace(skycrane_speed_m_s=mission.powered_descent.skycrane_speed_m_s),
        vehicle=SimpleNamespace(propellant_mass_kg=mission.vehicle.propellant_mass_kg),
    )  # fmt: skip


def _pickled_error(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - an exception that does not pickle travels as its text
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


def draw_both(cols: dict, summary: dict, mission, landing_path, histograms_path, *, fork: bool = False) -> tuple[Path, Path]:
    """Both plots. With ``fork`` (a single-threaded process only, where the OS can), the landing
    plot is drawn in a forked child beside the histograms here: each is ≈ 0.4 s of CPU, and
    matplotlib draws holding the GIL, so threads would take turns. The child's exception, if
    any, is raised here."""
    if not (fork and hasattr(os, "fork")):
        return plot_landing(cols, summary, mission, landing_path), plot_histograms(cols, mission, histograms_path)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: draw, send back nothing or the exception, leave without cleanup
        os.close(read_end)
        try:
            plot_landing(cols, summary, mission, landing_path)
            payload = b""
        except BaseException as exc:  # noqa: BLE001 - raised again in the parent
            payload = _pickled_error(exc)
        with os.fdopen(write_end, "wb") as f:
            f.write(payload)
        os._exit(0)
    os.close(write_end)
    try:
        histograms = plot_histograms(cols, mission, histograms_path)
    finally:
        with os.fdopen(read_end, "rb") as f:
            payload = f.read()
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if payload:
        raise pickle.loads(payload)
    if status != 0:
        raise RuntimeError(f"the process drawing {landing_path} exited with {status}")
    return Path(landing_path), histograms


class PlotProcess:
    """The Monte Carlo's two plots drawn in a process of its own, started now so that it
    imports matplotlib while the cases fly: :meth:`draw` sends it the job, :meth:`result` waits
    for the files. Where no process can be started, the plots are drawn here instead."""

    def __init__(self) -> None:
        src = str(Path(__file__).resolve().parents[2])  # the folder holding the edlcam package
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p))
        try:
            self._proc: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-m", "edlcam.flight.mc_plots"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            )  # fmt: skip
        except OSError:
            self._proc = None
        self._here: tuple[Path, Path] | None = None

    def draw(self, cols: dict, summary: dict, mission, landing_path, histograms_path) -> None:
        """Send the job (the process reads it whole, then draws)."""
        job = (cols, summary, _plotted_values(mission), landing_path, histograms_path)
        if self._proc is not None:
            try:
                self._proc.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
                self._proc.stdin.close()
                self._proc.stdin = None
                return
            except OSError:  # it died before its job came: its error is read in result()
                self._proc.stdin = None
                return
        self._here = draw_both(*job)

    def result(self) -> tuple[Path, Path]:
        """The plots' paths once written. An exception of the plotting (a full disk, say) is
        raised here as it was raised there; a process that died otherwise, as RuntimeError with
        its last words."""
        if self._here is not None:
            return self._here
        assert self._proc is not None
        out, err = self._proc.communicate()
        try:
            ok, value = pickle.loads(out)
        except Exception:  # noqa: BLE001 - it died before it could answer
            last = (err.decode(errors="replace").strip().splitlines() or ["(nothing on stderr)"])[-1]
            raise RuntimeError(f"the Monte Carlo's plot process exited with {self._proc.returncode}: {last}") from None
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop the process if it still waits for its job (the Monte Carlo failed before)."""
        if self._proc is not None and self._proc.returncode is None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
                self._proc.stdin = None
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.communicate()


def _serve() -> None:
    """``python -m edlcam.flight.mc_plots``: import matplotlib, read one job on stdin, draw both
    plots; answer on stdout with a pickle of (True, paths) or (False, the exception)."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401

    job = pickle.load(sys.stdin.buffer)
    try:
        answer = pickle.dumps((True, draw_both(*job, fork=True)))
    except Exception as exc:  # noqa: BLE001 - raised again in the client
        answer = pickle.dumps((False, pickle.loads(_pickled_error(exc))))
    sys.stdout.buffer.write(answer)
    sys.stdout.flush()
    # The process ends now, and the client waits for its end: the interpreter's teardown would
    # garbage-collect every object of matplotlib and numpy first (≈ 0.2 s of CPU, issue 21);
    # frozen, they are left to the OS.
    gc.freeze()


if __name__ == "__main__":
    _serve()
