"""CLI command of the Monte Carlo: ``edlcam montecarlo``."""

from __future__ import annotations

import atexit
import gc
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def montecarlo_command(
    out: Path = typer.Option(..., "--out", help="Folder for cases.parquet, summary.json and the plots (created if missing)."),
    n: Optional[int] = typer.Option(None, "-n", help="Number of cases, case 0 nominal (default: the mission's montecarlo.cases)."),
    mission: Optional[Path] = typer.Option(None, "--mission", help="Mission TOML, or a shipped mission by name: mars2020 (default), msl, insight."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed of the dispersions (default: the mission's mission.seed)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler (tcp://HOST:PORT)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", help="Threads of Dask's local scheduler, in this process (default: one per core; 0 = fly without Dask)."
    ),
) -> None:
    """Fly dispersed landings in batches (Dask) and write the landing ellipse and statistics."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from edlcam.flight.montecarlo import run_montecarlo
    from edlcam.mission import load_mission

    m = load_mission(mission, seed=seed)
    total = m.montecarlo.cases if n is None else n
    console = Console()
    with Progress(
        TextColumn("[bold]montecarlo[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("montecarlo", total=max(total, 1), rate="")
        start = bar.get_time()

        def progress(done, _total):
            elapsed = max(bar.get_time() - start, 1e-9)
            bar.update(task, completed=done, rate=f"{done / elapsed:.1f} cases/s")

        outputs = run_montecarlo(m, out, n=n, scheduler=scheduler, workers=workers, progress=progress)
    s = outputs.summary_data
    counts = ", ".join(f"{k} {v}" for k, v in s["status_counts"].items() if v)
    console.print(f"[green]{s['cases']} cases[/] in {outputs.wall_s:.1f} s ({s['cases'] / outputs.wall_s:.1f} cases/s): {counts}")
    for key, label in (("landing_ellipse", "landing"), ("delivery_ellipse", "delivery")):
        e = s[key]
        if e:
            console.print(
                f"  {label} ellipse ({100 * e['probability']:g} %): {e['major_km']:.2f} × {e['minor_km']:.2f} km, "
                f"major axis at {e['azimuth_deg']:.1f}° from north"
            )
    for path in (outputs.cases, outputs.summary, *outputs.plots):
        console.print(f"  {path}")
    # At the process's end, the interpreter's teardown garbage-collects every object of numba,
    # scipy, dask and pyarrow (≈ 0.3 s of CPU after the answer, issue 21): frozen then, they are
    # left to the OS (every file of the run is written and closed by now).
    atexit.register(gc.freeze)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to ``app``."""
    app.command("montecarlo")(montecarlo_command)
