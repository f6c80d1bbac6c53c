"""The ``edlcam`` command: one thin sub-command per stage, registered by each stage's
``commands`` module. Library errors (:class:`edlcam.errors.EdlcamError`) become one red line and
exit code 1; set ``EDLCAM_DEBUG=1`` to see a traceback instead.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from edlcam.errors import EdlcamError

__all__ = ["app", "main"]

app = typer.Typer(
    name="edlcam",
    help="Record, relay and replay a planetary landing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each stage's commands module defines register(app). Order is the order of `edlcam --help`.
_STAGE_COMMANDS = (
    "edlcam.flight.commands",
    "edlcam.flight.mc_commands",
    "edlcam.cameras.commands",
    "edlcam.cameras.audio_commands",
    "edlcam.gnc.commands",
    "edlcam.onboard.commands",
    "edlcam.link.commands",
    "edlcam.ground.commands",
    "edlcam.ground.web.commands",
)

for _name in _STAGE_COMMANDS:
    importlib.import_module(_name).register(app)

_err = Console(stderr=True, highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 success, 1 a reported error, 2 a usage error)."""
    try:
        app(args=argv, standalone_mode=False)
    except EdlcamError as exc:
        if os.environ.get("EDLCAM_DEBUG"):
            raise
        _err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        _err.print("[bold red]interrupted[/]")
        return 130
    except SystemExit as exc:  # typer/click exits (--help, usage errors)
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 1
        if os.environ.get("EDLCAM_DEBUG"):
            raise
        _err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))} "
            "(a bug in edlcam: rerun with EDLCAM_DEBUG=1 for the traceback and report it)",
            soft_wrap=True,
        )
        return 1
    return 0


def _entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    _entry()
