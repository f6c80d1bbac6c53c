"""CLI commands of the link stage (registered on the edlcam app by edlcam.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edlcam import runfolder

__all__ = ["register"]


def _mission_for(run: Path, mission_file: Optional[Path]):
    from edlcam.mission import load_mission

    if mission_file is not None:
        return load_mission(mission_file)
    return runfolder.load_run_mission(run, default_if_missing=True)


def relay(
    run: Path = typer.Argument(..., help="Run folder (with onboard/products/ and flight/)."),
    loss: Optional[float] = typer.Option(None, "--loss", help="Frame loss probability in [0, 1) (default: mission [link.channel] loss)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed of the channel (default: mission seed)."),
    days: float = typer.Option(4.0, "--days", help="Earth days of relay passes to simulate after touchdown."),
    mission: Optional[Path] = typer.Option(None, "--mission", help="Mission file (default: RUN/mission.toml, else Mars 2020)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the products already received (and the ground's "
                                   "outputs made from them); the new ones are swapped in once complete."),
) -> None:
    """Relay the landing home: live EDL telemetry, then the products through the relay orbiters."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from edlcam.stages import relay as relay_stage

    console = Console()
    m = _mission_for(run, mission)
    with Progress(
        TextColumn("relay passes"),
        BarColumn(),
        TextColumn("{task.completed:.2f} / {task.total:.2f} simulated days"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("relay", total=days)
        result = relay_stage(run, mission=m, loss=loss, seed=seed, days=days, overwrite=overwrite,
                             progress=lambda _stage, d, _total, _detail: bar.update(task, completed=d))
    if result.telemetry is not None:
        console.print(f"EDL telemetry as received: {result.telemetry}")
    summary = result.summary
    total = summary["received"] + summary["missing"]
    console.print(
        f"{summary['received']} of {total} products received ({summary['received_bytes'] / 1e6:.1f} MB), "
        f"{summary['missing']} missing, over {summary['passes']} passes; see {run / runfolder.LINK_SUMMARY}"
    )
    for kind, row in summary["per_kind"].items():
        if row["received"] or row["missing"]:
            console.print(f"  {kind:9s} received {row['received']:6d}   missing {row['missing']:6d}")


def live(
    run: Path = typer.Argument(..., help="Run folder (with flight/ or link/telemetry.jsonl)."),
    speed: float = typer.Option(1.0, "--speed", help="Playback speed (1 = real time)."),
    mission: Optional[Path] = typer.Option(None, "--mission", help="Mission file (default: RUN/mission.toml, else Mars 2020)."),
) -> None:
    """Replay the landing as mission control received it, light time included."""
    from edlcam.errors import LinkError
    from edlcam.link.clock import light_time_s, utc_to_unix_s
    from edlcam.link.live import load_records, play
    from edlcam.link.relay import touchdown_utc
    from edlcam.link.telemetry import write_telemetry

    if not speed > 0:
        raise LinkError(f"--speed is {speed:g}; playback speed must be > 0 (1 = real time)")
    if not (run / runfolder.LINK_TELEMETRY).exists():
        write_telemetry(run, uhf=_mission_for(run, mission).link.uhf)
    records = load_records(run)
    play(records, speed=speed, light_time_s=light_time_s(utc_to_unix_s(touchdown_utc(run))))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to ``app``."""
    app.command("relay")(relay)
    app.command("live")(live)
