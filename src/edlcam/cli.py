"""The ``edlcam`` command: one thin sub-command per stage, registered by each stage's
``commands`` module. Library errors (:class:`edlcam.errors.EdlcamError`) become one red line and
exit code 1; so do the environment's failures (a file where a folder should be, a read-only or
full disk, a corrupt database: :func:`environment_message` names the path, what went wrong and
what to do). Set ``EDLCAM_DEBUG=1`` to see a traceback instead.
"""

from __future__ import annotations

import errno
import importlib
import os
import sqlite3
import sys

import typer
from rich.console import Console
from rich.markup import escape

from edlcam.errors import EdlcamError

__all__ = ["app", "main", "environment_message"]

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

# errno → (what went wrong, what to do) for the failures of the machine rather than of edlcam.
_OS_ERRORS = {
    errno.ENOTDIR: ("a part of this path is a file, not a folder", "give a folder, or a path that does not exist yet"),
    errno.EISDIR: ("this is a folder where a file was expected", "give the path of a file"),
    errno.EEXIST: ("this already exists and is not what edlcam expected there", "remove it or give another path"),
    errno.ENOENT: ("no such file or folder", "check the path, or run the stage that writes it first"),
    errno.EROFS: ("the file system is read-only", "give a folder on a writable disk"),
    errno.ENOSPC: ("the disk is full", "free some space, or give a folder on a disk with room for the run"),
    errno.EDQUOT: ("your disk quota is used up", "free some space, or give a folder on another disk"),
    errno.EACCES: ("permission denied", "make it readable and writable for you, or give another folder"),
    errno.EPERM: ("the operation is not permitted", "make it writable for you, or give another folder"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) and run again"),
    errno.ENFILE: ("too many open files on this machine", "close other programs and run again"),
    errno.EIO: ("an input/output error (a failing disk or a lost network mount)", "check the disk and run again"),
    errno.ENAMETOOLONG: ("the path is too long", "give a shorter path"),
}


def _command_paths(argv: list[str] | None) -> list[str]:
    """The paths given to the command (its --out, its RUN folder …), to name where an error
    without a file name happened."""
    import click

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        commands = typer.main.get_command(app).commands
        at = next(i for i, a in enumerate(args) if a in commands)
        sub = commands[args[at]].make_context(args[at], args[at + 1 :], resilient_parsing=True)
    except StopIteration:
        return []
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, TypeError, ValueError, AttributeError):
        return []
    values = [sub.params.get(k) for k in ("out", "run")] + [v for k, v in sub.params.items() if k not in ("out", "run", "mission")]
    return [str(v) for v in values if isinstance(v, os.PathLike)]


def environment_message(exc: BaseException, argv: list[str] | None = None) -> str | None:
    """One line for a failure of the environment (OSError, a corrupt SQLite file): the path, what
    went wrong and what to do; None for anything else (a bug)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        what, fix = _OS_ERRORS.get(exc.errno, (exc.strerror or os.strerror(exc.errno), "check the path and the disk, and run again"))
        code = errno.errorcode.get(exc.errno, str(exc.errno))
        if exc.filename is not None:
            where = os.fsdecode(exc.filename)
            if exc.filename2 is not None:
                where += f" → {os.fsdecode(exc.filename2)}"
            return f"{where}: {what} ({code}); {fix}"
        paths = _command_paths(argv)
        inside = f"{paths[0]}: " if paths else ""
        return f"{inside}{what} ({code}) while edlcam wrote or read its files there; {fix}"
    if isinstance(exc, sqlite3.DatabaseError):
        paths = _command_paths(argv)
        inside = f"{paths[0]}: " if paths else ""
        return (f"{inside}a database file of the run is corrupt or not SQLite ({exc}); delete it and rerun the stage that "
                "writes it (catalog.sqlite: `edlcam assemble`)")
    return None


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
    except Exception as exc:  # usage errors and anything unexpected
        import click

        # typer ≥ 0.20 raises its own copy of click's exceptions (typer._click), based on TyperException
        if isinstance(exc, (click.exceptions.ClickException, typer.TyperException)) and hasattr(exc, "show"):
            exc.show()
            return exc.exit_code
        if isinstance(exc, (click.exceptions.Abort, typer.Abort)):
            return 1
        if os.environ.get("EDLCAM_DEBUG"):
            raise
        message = environment_message(exc, argv)
        if message is not None:
            _err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
            return 1
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
