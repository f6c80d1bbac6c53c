"""CLI commands of the onboard stage (registered on the edlcam app by edlcam.cli):
``edlcam film RUN``, ``edlcam store verify PATH``, ``edlcam store export PATH --camera NAME --out DIR``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edlcam.errors import StoreError

__all__ = ["register", "verify_lines", "export_source"]

def verify_lines(path: Path) -> list[str]:
    """Report lines of a consistent store; raises StoreCorruptError (segment and byte) otherwise."""
    from edlcam.onboard.store import scan_store

    scan = scan_store(path)
    lines = [f"{path}: consistent — {len(scan.records)} records in {scan.segments} segments, "
             f"{scan.bytes_on_disk} bytes on disk"]
    lines.append(f"  {'source':<12}{'records':>9}{'bytes':>15}")
    for source, (n, b) in sorted(scan.per_source().items()):
        lines.append(f"  {source:<12}{n:>9}{b:>15}")
    if scan.torn_tail is not None:
        t = scan.torn_tail
        lines.append(f"  torn tail discarded: segment {t.segment} (seg-{t.segment:08d}.edls), "
                     f"{t.length} bytes from byte {t.offset} (a write cut by a crash; nothing committed)")
    return lines


def export_source(path: Path, source: str, out: Path) -> list[Path]:
    """Write a source's frames as PNG (``<frame>.png``) or its audio as ``<source>.flac`` into ``out``."""
    import numpy as np

    from edlcam.onboard.products import decode_audio, decode_image, flac_bytes, png_bytes, source_records
    from edlcam.onboard.store import FORMAT_PCM_F32LE, FORMAT_PNG, read_record

    by_source = source_records(path)
    if source not in by_source:
        have = ", ".join(sorted(by_source)) or "none"
        raise StoreError(f"{path}: no records of camera {source!r}; this store holds: {have}")
    out.mkdir(parents=True, exist_ok=True)
    infos = by_source[source]
    if infos[0].format == FORMAT_PCM_F32LE:
        records = [read_record(path, i) for i in infos]
        target = out / f"{source}.flac"
        target.write_bytes(flac_bytes(np.concatenate([decode_audio(r) for r in records]), records[0].width))
        return [target]
    written = []
    for info in infos:
        rec = read_record(path, info)
        target = out / f"{rec.frame_index:06d}.png"
        target.write_bytes(rec.payload if rec.format == FORMAT_PNG else png_bytes(decode_image(rec)))
        written.append(target)
    return written


def _frame_source(workers: int | None, scheduler: str | None):
    """``edlcam.cameras.frames`` with the render options given (None: film's default source).

    A ``scheduler`` is reached now, so that an unreachable one fails before anything is written.
    """
    if workers is None and not scheduler:
        return None
    import functools

    from edlcam.cameras.frames import frames

    if scheduler:
        from edlcam.cameras.dask_render import get_dask

        get_dask(scheduler)
    return functools.partial(frames, workers=workers, scheduler=scheduler)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to app."""
    store_app = typer.Typer(help="Check and read a data storage unit's store.", no_args_is_help=True)

    @app.command("film")
    def film_cmd(
        run: Path = typer.Argument(..., help="Run folder written by `edlcam simulate`."),
        quality: str = typer.Option("full", "--quality", help="preview or full."),
        workers: Optional[int] = typer.Option(
            None, "--workers", min=0, help="Render processes (default: the mission's cameras.workers; 0 = this process); "
            "full quality on a Dask LocalCluster, previews on a process pool."),
        scheduler: Optional[str] = typer.Option(
            None, "--scheduler", help="Render on the Dask cluster whose scheduler is at tcp://HOST:PORT "
            "(its workers need the run folder at the same path)."),
    ) -> None:
        """Record the cameras and microphone into the two DSUs' stores; make the downlink products."""
        import json

        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from edlcam.errors import MissionError, RunFolderError
        from edlcam.mission import load_mission
        from edlcam.onboard.film import film
        from edlcam.onboard.schedule import build_schedule, format_schedule, load_events

        if quality not in ("preview", "full"):
            raise MissionError(f"--quality is {quality!r}; use 'preview' or 'full'")
        if not (run / "mission.toml").exists():
            raise RunFolderError(f"{run / 'mission.toml'}: missing; run `edlcam simulate {run}` first")
        console = Console(highlight=False)
        mission = load_mission(run / "mission.toml")
        schedule = build_schedule(mission, load_events(run), quality=quality)
        frame_source = _frame_source(workers, scheduler)
        console.print("[bold]capture schedule[/]")
        for line in format_schedule(schedule):
            console.print("  " + line)
        with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console) as bar:
            tasks: dict[str, int] = {}

            def progress(done: int, total: int, label: str) -> None:
                key = "products" if label.startswith("products") else "recording"
                if key not in tasks:
                    tasks[key] = bar.add_task(key, total=total)
                bar.update(tasks[key], completed=done, description=f"{key}: {label.split()[-1]}")

            result = film(run, quality=quality, mission=mission, progress=progress, frame_source=frame_source)
        rep = result.report
        for unit, u in rep["units"].items():
            console.print(f"[bold]{unit}[/] store: {u['bytes_on_disk'] / 1e6:.1f} MB in {u['segments']} segments")
            for source, s in u["sources"].items():
                console.print(f"  {source:<11}{s['records']:>7} records {s['payload_bytes'] / 1e6:>10.1f} MB")
            for source, d in u["dropped"].items():
                console.print(f"  [yellow]dropped[/] {source}: {d['records']} records, {d['bytes'] / 1e6:.1f} MB, "
                              f"frames {d['frames']}")
        umb = rep["umbilical"]
        console.print(f"[bold]umbilical[/] cut at {umb['cut_event']} (E+{umb['t_cut_s']:.2f} s): "
                      f"{umb['bytes_crossed'] / 1e6:.1f} MB crossed, {umb['bytes_lost'] / 1e6:.1f} MB lost")
        for source, x in umb["lost"].items():
            console.print(f"  [yellow]lost[/] {source}: {x['records']} records, {x['bytes'] / 1e6:.1f} MB, "
                          f"frames {json.dumps(x['frames'])} ({', '.join(f'{k}: {v}' for k, v in x['reasons'].items())})")
        for kind, p in rep.get("products", {}).items():
            ratio = "–" if p["compression_ratio"] is None else f"{p['compression_ratio']:.1f}:1"
            console.print(f"  product {kind:<10}{p['count']:>7} files {p['bytes'] / 1e6:>9.1f} MB  compression {ratio}")
        console.print(f"report: {result.report_path}")

    @store_app.command("verify")
    def verify_cmd(path: Path = typer.Argument(..., help="A store directory, RUN/onboard/store/<unit>.")) -> None:
        """Check every record's CRCs; exit 1 with the segment and byte offset of any corruption."""
        for line in verify_lines(path):
            typer.echo(line)

    @store_app.command("export")
    def export_cmd(
        path: Path = typer.Argument(..., help="A store directory, RUN/onboard/store/<unit>."),
        camera: str = typer.Option(..., "--camera", help="Camera name, or microphone."),
        out: Path = typer.Option(..., "--out", help="Directory for the PNG frames or the FLAC file."),
    ) -> None:
        """Write one camera's frames as PNG (or the microphone as FLAC)."""
        written = export_source(path, camera, out)
        typer.echo(f"{len(written)} file{'s' if len(written) != 1 else ''} written to {out}")

    app.add_typer(store_app, name="store")
