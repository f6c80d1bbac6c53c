"""CLI commands of the flight stage: ``edlcam simulate``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def simulate_command(
    out: Path = typer.Option(..., "--out", help="Run folder to write (created if missing)."),
    mission: Optional[Path] = typer.Option(None, "--mission", help="Mission TOML, or a shipped mission by name: mars2020 (default), msl, insight."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default: the mission's [mission] seed)."),
) -> None:
    """Simulate entry, descent and landing; write RUN/flight/ (trajectory, bodies, events, plots)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from edlcam.stages import simulate

    console = Console()
    with Progress(
        TextColumn("[bold]flight[/]"), BarColumn(), TextColumn("E+{task.completed:.0f} s"), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("flight", total=None)
        result = simulate(out, mission=mission, seed=seed,
                          progress=lambda _stage, t, total, _detail: bar.update(task, completed=t, total=total))
    td = result.touchdown
    console.print(
        f"[green]landed[/] E+{td['t_s']:.1f} s at {td['vertical_speed_m_s']:.2f} m/s vertical, "
        f"{td['horizontal_speed_m_s']:.2f} m/s horizontal, {td['miss_distance_m']:.1f} m from the target"
    )
    for path in (result.trajectory, result.bodies, result.events, *result.plots):
        console.print(f"  {path}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to ``app``."""
    app.command("simulate")(simulate_command)
