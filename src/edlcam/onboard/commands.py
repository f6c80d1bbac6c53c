"""CLI commands of the onboard stage (registered on the edlcam app by edlcam.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to app."""
