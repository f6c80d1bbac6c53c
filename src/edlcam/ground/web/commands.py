"""``edlcam view``: serve run folders to a browser (registered on the edlcam app by edlcam.cli)."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import typer

from edlcam.errors import EdlcamError, RunFolderError

__all__ = ["register", "view", "check_host", "check_runs"]

log = logging.getLogger(__name__)


def check_host(host: str, *, allow_remote: bool) -> bool:
    """True if ``host`` is a loopback address; raise if it is not and ``allow_remote`` is off."""
    if host.lower() == "localhost":
        return True
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise EdlcamError(
            f"--host is {host!r}, not a loopback address: the viewer would be reachable from other machines "
            "and has no login; add --allow-remote to do that on purpose, or use --host 127.0.0.1"
        )
    return loopback


def check_runs(runs: list[Path]) -> None:
    """Raise :class:`RunFolderError` unless every run is a folder holding a stage's output."""
    for run in runs:
        if not run.is_dir():
            raise RunFolderError(f"{run}: no such run folder; give a folder made by `edlcam simulate --out {run}`")
        if not any((run / d).is_dir() for d in ("flight", "onboard", "link", "ground")):
            raise RunFolderError(
                f"{run}: not a run folder (no flight/, onboard/, link/ or ground/); run `edlcam simulate --out {run}` first"
            )


def view(
    runs: list[Path] = typer.Argument(..., help="Run folder(s) to serve."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback unless --allow-remote)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback --host: anyone who can reach it can see the runs and request frames."),
) -> None:
    """Serve the web viewer: the film, synchronized charts, thumbnails, requests and live mission control."""
    import uvicorn
    from rich.console import Console

    from edlcam.ground.web.app import create_app

    check_runs(runs)
    local = check_host(host, allow_remote=allow_remote)
    console = Console()
    if not local:
        console.print(f"[bold yellow]warning:[/] serving on {host}: the viewer has no login; anyone who can reach this address can see the runs and request frames")
    app = create_app(runs, allow_remote=not local)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"edlcam viewer: http://{shown}:{port}/  (Ctrl-C to stop)")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", ws="none", lifespan="off", access_log=False)
    uvicorn.Server(config).run()


def register(app: typer.Typer) -> None:
    """Add this stage's commands to ``app``."""
    app.command("view")(view)
