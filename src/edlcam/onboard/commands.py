"""CLI commands of the onboard stage (registered on the edlcam app by edlcam.cli):
``edlcam film RUN``, ``edlcam store verify PATH``, ``edlcam store export PATH --camera NAME --out DIR``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edlcam.errors import StoreCorruptError, StoreError

__all__ = ["register", "verify_report", "export_source"]


def _report_problems(path: Path, scan) -> list:
    """Cross-check a run's store with RUN/onboard/report.json (per-source counts written by film)."""
    import json

    from edlcam.onboard.store import Problem

    from edlcam import runfolder

    run = path.parent.parent.parent
    if path.resolve().parent != (run / runfolder.STORE_DIR).resolve():
        return []
    report = run / runfolder.ONBOARD_REPORT
    unit = path.resolve().name
    try:
        expected = json.loads(report.read_text())["units"][unit]["sources"]
        want = {src: (int(v["records"]), int(v["payload_bytes"])) for src, v in expected.items()}
    except FileNotFoundError:
        return [Problem(f"no cross-check: {report} is missing (film did not finish)", "note")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return [Problem(f"no cross-check: {report} has no per-source counts for unit {unit!r} "
                        f"({type(exc).__name__}: {exc})", "note")]
    have = scan.per_source()
    diff = [f"{src} {want.get(src, (0, 0))[0]} → {have.get(src, (0, 0))[0]}"
            for src in sorted(set(want) | set(have)) if want.get(src, (0, 0)) != have.get(src, (0, 0))]
    if not diff:
        return [Problem(f"cross-checked with {report}: the same records and bytes per source", "note")]
    n_want = sum(n for n, _ in want.values())
    return [Problem(f"{report}: unit {unit} recorded {n_want} records; the store holds {len(scan.records)} intact "
                    f"(records per source, report → store: {', '.join(diff)})")]


def _verify_one(path: Path) -> tuple[list[str], str | None]:
    from edlcam.onboard.store import check_store

    scan = check_store(path)
    cross = _report_problems(path, scan)
    problems = list(scan.problems) + cross
    bad = [p for p in problems if p.level != "note"]
    if not bad:
        lines = [f"{path}: consistent — {len(scan.records)} records in {scan.segments} "
                 f"segment{'s' * (scan.segments != 1)}, {scan.bytes_on_disk} bytes on disk"]
        if scan.closed:
            lines.append(f"  sealed at a clean close: all {scan.committed_records} committed records intact")
        elif scan.checkpoint is not None:
            after = len(scan.records) - scan.committed_records
            lines.append(f"  not closed (its writer was stopped: a crash or a kill): all {scan.committed_records} "
                         f"records committed at the last checkpoint intact"
                         + (f", and {after} intact records written after it" if after else ""))
        error = None
    else:
        lost = scan.missing_records
        head = (f"{lost} of {scan.committed_records} committed records missing or damaged" if lost else
                "damaged" + (" (every committed record intact)" if scan.readable and not
                             any(p.level == "loss" for p in cross) else ""))
        lines = [f"{path}: {head} — {len(scan.records)} intact records in {scan.segments} "
                 f"segment{'s' * (scan.segments != 1)}, {scan.bytes_on_disk} bytes on disk"]
        error = scan.summary() if not scan.ok else bad[0].line
    lines += [f"  {p.line}" for p in problems]
    lines.append(f"  {'source':<12}{'records':>9}{'bytes':>15}")
    for source, (n, b) in sorted(scan.per_source().items()):
        lines.append(f"  {source:<12}{n:>9}{b:>15}")
    return lines, error


def verify_report(path: Path) -> tuple[list[str], list[str]]:
    """(lines, errors) of checking a store, or each unit's store in the folder of units (RUN/onboard/store).

    ``errors`` holds one line per store with committed records lost or damaged files (exit 1);
    a folder that is not a store raises StoreError.
    """
    from edlcam.onboard.store import folder_kind, unit_stores

    if folder_kind(path) != "units":
        lines, error = _verify_one(path)
        return lines, [error] if error else []
    lines, errors = [], []
    for unit_path in unit_stores(path).values():
        more, error = _verify_one(unit_path)
        lines += more
        errors += [error] if error else []
    return lines, errors


def _holder(path: Path, source: str):
    """(store, its scan) to export ``source`` from: ``path`` itself, or the one unit in it that holds it."""
    from edlcam.onboard.store import check_store, folder_kind, unit_stores

    if folder_kind(path) != "units":
        return path, check_store(path)
    scans = {unit: check_store(p) for unit, p in unit_stores(path).items()}
    holders = {unit: s.per_source()[source][0] for unit, s in scans.items() if source in s.per_source()}
    if len(holders) == 1:
        unit = next(iter(holders))
        return unit_stores(path)[unit], scans[unit]
    if len(holders) > 1:
        both = ", ".join(f"{u} ({n} records)" for u, n in holders.items())
        raise StoreError(f"{path}: camera {source!r} is in more than one unit: {both}; give the unit's store, "
                         f"e.g. {path / next(iter(holders))}")
    unreadable = [s for s in scans.values() if not s.readable]
    if unreadable:
        raise StoreCorruptError(unreadable[0].summary())
    have = ", ".join(f"{u}: {', '.join(sorted(s.per_source())) or 'none'}" for u, s in scans.items())
    raise StoreError(f"{path}: no unit holds records of camera {source!r}; they hold {have}")


def export_source(path: Path, source: str, out: Path) -> list[Path]:
    """Write a source's frames as PNG (``<frame>.png``) or its audio as ``<source>.flac`` into ``out``.

    ``path`` is a store, or the folder of units (the unit holding ``source`` is used). Refuses a
    store that lost committed records (or, in a run, holds fewer than report.json counts).
    """
    import numpy as np

    from edlcam.onboard.products import decode_audio, decode_image, flac_bytes, png_bytes, source_records
    from edlcam.onboard.store import FORMAT_PCM_F32LE, FORMAT_PNG, read_record

    path, scan = _holder(path, source)
    if not scan.readable:
        raise StoreCorruptError(scan.summary())
    lost = [p for p in _report_problems(path, scan) if p.level == "loss"]
    if lost:
        raise StoreCorruptError(lost[0].line)
    by_source = source_records(path, scan)
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
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace a filmed run's stores (built beside them, "
                                       "swapped in once complete)."),
    ) -> None:
        """Record the cameras and microphone into the two DSUs' stores; make the downlink products."""
        import json

        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from edlcam import runfolder
        from edlcam.errors import MissionError
        from edlcam.onboard.schedule import build_schedule, format_schedule, load_events
        from edlcam.staging import protect_stores
        from edlcam.stages import film

        if quality not in ("preview", "full"):
            raise MissionError(f"--quality is {quality!r}; use 'preview' or 'full'")
        mission = runfolder.load_run_mission(run)
        protect_stores(run, overwrite)
        console = Console(highlight=False)
        schedule = build_schedule(mission, load_events(run), quality=quality)
        console.print("[bold]capture schedule[/]")
        for line in format_schedule(schedule):
            console.print("  " + line)
        with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console) as bar:
            tasks: dict[str, int] = {}

            def progress(_stage: str, done: float, total: float, label: str) -> None:
                key = "products" if label.startswith("products") else "recording"
                if key not in tasks:
                    tasks[key] = bar.add_task(key, total=total)
                bar.update(tasks[key], completed=done, description=f"{key}: {label.split()[-1]}")

            result = film(run, mission=mission, progress=progress, quality=quality, workers=workers,
                          scheduler=scheduler, overwrite=overwrite)
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
    def verify_cmd(path: Path = typer.Argument(
            ..., help="A store directory, RUN/onboard/store/<unit>, or RUN/onboard/store for every unit.")) -> None:
        """Check every record against the checkpoints; exit 1 naming any committed record lost or damaged."""
        lines, errors = verify_report(path)
        for line in lines:
            typer.echo(line)
        if errors:
            raise StoreCorruptError(errors[0] + (f" (and {len(errors) - 1} more unit)" if len(errors) > 1 else ""))

    @store_app.command("export")
    def export_cmd(
        path: Path = typer.Argument(..., help="A store directory, RUN/onboard/store/<unit>, or RUN/onboard/store."),
        camera: str = typer.Option(..., "--camera", help="Camera name, or microphone."),
        out: Path = typer.Option(..., "--out", help="Directory for the PNG frames or the FLAC file."),
    ) -> None:
        """Write one camera's frames as PNG (or the microphone as FLAC)."""
        written = export_source(path, camera, out)
        typer.echo(f"{len(written)} file{'s' if len(written) != 1 else ''} written to {out}")

    app.add_typer(store_app, name="store")
