"""CLI commands of the cameras stage (registered on the edlcam app by edlcam.cli)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def _quality(value: str) -> str:
    if value not in ("preview", "full"):
        raise typer.BadParameter(f"{value!r}; use preview or full")
    return value


def register(app: typer.Typer) -> None:
    """Add this stage's commands to app."""

    @app.command("render")
    def render(
        run: Path = typer.Argument(..., help="run folder written by `edlcam simulate`"),
        camera: str = typer.Option(..., "--camera", help="camera name, e.g. rdc"),
        t: float = typer.Option(..., "--t", help="time [s after entry interface]"),
        out: Path = typer.Option(..., "-o", "--out", help="PNG file to write"),
        quality: str = typer.Option("full", "--quality", callback=_quality, help="preview (half size) or full"),
    ) -> None:
        """Render one camera's frame at one time to a PNG."""
        from PIL import Image

        from edlcam.cameras.frames import open_run

        film = open_run(run)
        film.camera(camera)
        film.check_time(t)
        image = film.still(camera, t, quality=quality)
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(out)
        typer.echo(f"wrote {out} ({image.shape[1]}×{image.shape[0]}, {camera}, E+{t:g} s)")

    @app.command("contact-sheet")
    def contact_sheet_cmd(
        run: Path = typer.Argument(..., help="run folder written by `edlcam simulate`"),
        out: Path = typer.Option(..., "-o", "--out", help="PNG file to write"),
        quality: str = typer.Option("preview", "--quality", callback=_quality, help="preview (half size) or full"),
        cell_width: int = typer.Option(320, "--cell-width", min=64, max=2048, help="width of one image [px]"),
        colors: int = typer.Option(0, "--colors", min=0, max=256,
                                   help="quantise to this many colours (a smaller PNG, e.g. 256 for docs); 0 keeps full colour"),
    ) -> None:
        """Every camera at the landing's key moments, in one labelled PNG."""
        from rich.progress import Progress

        from edlcam.cameras.contact_sheet import contact_sheet, key_moments
        from edlcam.cameras.frames import open_run

        film = open_run(run)
        from edlcam import runfolder

        has_trajectory = (Path(run) / runfolder.TRAJECTORY).exists()
        trajectory = runfolder.read_trajectory(run).as_dict() if has_trajectory else None
        moments = key_moments(film.events, trajectory)
        with Progress(transient=True) as bar:
            task = bar.add_task("rendering contact sheet", total=len(film.camera_names) * len(moments))
            sheet = contact_sheet(film, moments, quality=quality, progress=lambda: bar.advance(task),
                                  cell_width_px=cell_width)
        if colors:
            from PIL import Image

            sheet = sheet.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(out, optimize=True)
        typer.echo(f"wrote {out} ({len(film.camera_names)} cameras × {len(moments)} moments)")
