"""CLI commands of the ground stage (registered on the edlcam app by edlcam.cli):
``edlcam assemble RUN``, ``edlcam report RUN`` and ``edlcam demo``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "assemble_command", "report_command", "demo_command"]


def _progress(console):
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.fields[stage]:<9}[/]"), BarColumn(), TaskProgressColumn(),
                    TextColumn("{task.description}"), TimeElapsedColumn(), console=console)


def assemble_command(
    run: Path = typer.Argument(..., help="Run folder (after `edlcam film` and `edlcam relay`)."),
    cameras: bool = typer.Option(True, "--cameras/--no-cameras", help="Also write one MP4 per camera."),
) -> None:
    """Catalog what came home and assemble the film (RUN/ground/landing.mp4) and one MP4 per camera."""
    from rich.console import Console

    from edlcam.stages import assemble

    console = Console(highlight=False)
    with _progress(console) as bar:
        tasks: dict[str, int] = {}

        def progress(_stage: str, done: float, total: float, label: str) -> None:
            key = label.split()[0]
            if key not in tasks:
                tasks[key] = bar.add_task(label, total=total, stage=key)
            bar.update(tasks[key], completed=done, total=total, description=label)

        summary = assemble(run, cameras=cameras, progress=progress).summary
    cat = summary["catalog"]
    console.print(f"catalog: {cat['products']} products — {cat['received']} received, {cat['requested']} requested, "
                  f"{cat['missing']} missing; {cat['frames']} frames → {cat['path']}")
    for name, c in summary["cameras"].items():
        console.print(f"  {name:<7} {c['frames']:>6} frames at {c['fps']} fps → {run / 'ground' / c['path']}")
    f = summary["film"]
    console.print(f"film: {f['frames']} frames {f['width']}×{f['height']} at {f['fps']} fps, "
                  f"E+{f['t_start_s']:.1f} … E+{f['t_end_s']:.1f} s → {run / 'ground' / f['path']}")


def report_command(
    run: Path = typer.Argument(..., help="Run folder (after `edlcam assemble`)."),
    montecarlo: Optional[Path] = typer.Option(None, "--montecarlo",
                                              help="Monte Carlo folder (default: RUN/montecarlo if present)."),
) -> None:
    """Write RUN/ground/report.html: events, plots, contact sheet, downlink, Monte Carlo, the film."""
    from edlcam.stages import report

    typer.echo(f"report: {report(run, montecarlo=montecarlo).report}")


def demo_command(
    out: Path = typer.Option(Path("run"), "--out", help="Run folder to write."),
    mission: Optional[Path] = typer.Option(None, "--mission", help="Mission TOML, or a shipped mission by name: mars2020 (default), msl, insight."),
    quality: str = typer.Option("preview", "--quality", help="preview or full."),
    days: float = typer.Option(4.0, "--days", help="Earth days of relay passes (longer if the film needs it)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a run folder that holds committed or received "
                                   "data (each stage swaps its new output in once complete)."),
) -> None:
    """Simulate, film, relay, assemble and report a landing in one go (default: Mars 2020)."""
    from rich.console import Console

    from edlcam.stages import STAGES, demo

    console = Console(highlight=False)
    with _progress(console) as bar:
        tasks = {s: bar.add_task("waiting", total=1, stage=s) for s in STAGES}

        def progress(stage: str, done: float, total: float, detail: str) -> None:
            bar.update(tasks[stage], completed=done, total=max(total, 1e-9), description=detail)

        result = demo(out, mission=mission, quality=quality, days=days, overwrite=overwrite, progress=progress)
    times = ", ".join(f"{k} {v:.0f} s" for k, v in result.stage_s.items())
    console.print(f"stages: {times}")
    if result.requested:
        console.print(f"the film's frames were requested at full quality and relayed over {result.relay_days:g} days")
    console.print(f"film:   {result.film}")
    console.print(f"report: {result.report}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to ``app``."""
    app.command("assemble")(assemble_command)
    app.command("report")(report_command)
    app.command("demo")(demo_command)
