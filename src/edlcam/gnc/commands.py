"""CLI commands of terrain-relative navigation: ``edlcam lvs RUN`` and ``edlcam lvs locate IMAGE``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

__all__ = ["register"]


class _RunByDefault(TyperGroup):
    """``edlcam lvs RUN`` runs the ``run`` sub-command: a first word that names no sub-command is a run folder."""

    def parse_args(self, ctx, args):
        if "run" in self.commands and args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


lvs_app = typer.Typer(cls=_RunByDefault, no_args_is_help=True, help="Terrain-relative navigation (the Lander Vision System).")


@lvs_app.command("locate")
def locate_command(
    image: Path = typer.Argument(..., help="A nadir image of the LCAM's geometry (any size; PNG/JPEG)."),
    map_path: Path = typer.Option(..., "--map", help="The map: a north-up orthoimage."),
    map_m_per_px: float = typer.Option(..., "--map-m-per-px", help="The map's ground pixel size [m]."),
    altitude_m: float = typer.Option(..., "--altitude-m", help="The camera's height above the ground [m]."),
    heading_deg: Optional[float] = typer.Option(None, "--heading-deg", help="Azimuth of the image's top, clockwise from north (searched when left out)."),
    prior_east_m: Optional[float] = typer.Option(None, "--prior-east-m", help="Prior nadir point east of the map's centre [m]."),
    prior_north_m: Optional[float] = typer.Option(None, "--prior-north-m", help="Prior nadir point north of the map's centre [m]."),
    prior_sigma_m: Optional[float] = typer.Option(None, "--prior-sigma-m", help="The prior's 1σ [m]."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    mission: Optional[Path] = typer.Option(None, "--mission", help="Mission TOML for the LCAM's geometry and [lvs] (default: Mars 2020)."),
) -> None:
    """Locate one image on a map: the camera's nadir point in metres from the map's centre."""
    from edlcam.cameras.camera import Camera
    from edlcam.errors import NavigationError
    from edlcam.gnc.locate import locate_image, read_grey
    from edlcam.mission import load_mission

    m = load_mission(mission)
    if m.lvs.camera not in m.cameras.views:
        raise NavigationError(f"[lvs] camera is {m.lvs.camera!r}, not a camera of the mission; use one of {', '.join(m.cameras.views)}")
    img = read_grey(image, "image")
    map_img = read_grey(map_path, "map")
    coords = (prior_east_m, prior_north_m)
    prior = None if coords == (None, None) else coords
    if prior is not None and None in prior:
        raise NavigationError("--prior-east-m, --prior-north-m and --prior-sigma-m go together; give all three or none")
    result = locate_image(img, map_img, m_per_px=map_m_per_px, altitude_m=altitude_m,
                          camera=Camera(m.lvs.camera, m.cameras.views[m.lvs.camera]), cfg=m.lvs,
                          heading_deg=heading_deg, prior_en=prior, prior_sigma_m=prior_sigma_m,
                          image_name=str(image), map_name=str(map_path))  # fmt: skip
    out = result.as_json()
    if as_json:
        typer.echo(json.dumps(out))
        return
    if out["ok"]:
        typer.echo(f"nadir {out['east_m']:.1f} m east, {out['north_m']:.1f} m north of the map's centre "
                   f"(1σ {out['sigma_m']:.1f} m, {out['inliers']} landmarks, heading {out['heading_deg']:.1f}°, {out['stage']})")  # fmt: skip
    else:
        typer.echo(f"not located: {result.fix.reason}")


@lvs_app.command("run")
def run_command(
    run: Path = typer.Argument(..., help="A run folder written by `edlcam simulate`."),
    quality: str = typer.Option("full", "--quality", help="full (the 30 km map at 6 m/px) or preview (a smaller, coarser map)."),
) -> None:
    """LVS in the loop on RUN: onboard map, LCAM frames, localization, safe target, the divert; writes RUN/lvs/ and RUN/flight/."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from edlcam.errors import NavigationError
    from edlcam.gnc.loop import run_lvs

    if quality not in ("preview", "full"):
        raise NavigationError(f"--quality is {quality!r}; use 'preview' or 'full'")
    console = Console()
    with Progress(TextColumn("[bold]lvs[/] {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:  # fmt: skip
        task = bar.add_task("map", total=1)

        def progress(stage, done, total):
            bar.update(task, description=stage, completed=done, total=total)

        out = run_lvs(run, quality=quality, progress=progress)
    console.print(
        f"[green]LVS[/] {out.fixes}/{out.images} fixes, error at the divert {out.final_error_m:.1f} m (1σ {out.final_sigma_m:.1f} m); "
        f"target ({out.target_en[0]:.0f}, {out.target_en[1]:.0f}) m, p(safe) {out.target_probability:.3f}; touchdown "
        f"{out.touchdown_to_target_m:.1f} m from it, {'safe' if out.touchdown_safe else 'UNSAFE'} ground; "
        f"{out.seconds_per_image * 1e3:.0f} ms CPU per image"
    )
    from edlcam import runfolder

    for path in (*(run / rel for rel in (runfolder.LVS_IMAGES, runfolder.LVS_LANDMARKS, runfolder.LVS_SUMMARY)),
                 out.lvs_dir / "error.png", out.lvs_dir / "map.png"):
        console.print(f"  {path}")


def register(app: typer.Typer) -> None:
    """Add ``edlcam lvs`` to ``app``."""
    app.add_typer(lvs_app, name="lvs")
