"""Where each file of a run folder lives, which command writes it, and the one-line errors.

Every path of the run folder (docs/run-folder.md) is named here once, relative to the run folder
``RUN``; readers raise :class:`~edlcam.errors.RunFolderError` with one line that names the file,
what is wrong with it and the command that makes it::

    RUN/flight/events.json: missing; run `edlcam simulate --out RUN` to make it
    RUN/flight/events.json: not valid JSON (Expecting value); run `edlcam simulate --out RUN` again to rewrite it
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from edlcam.errors import RunFolderError

__all__ = [
    "sha256_file",
    "MISSION",
    "FLIGHT_DIR",
    "TRAJECTORY",
    "BODIES",
    "EVENTS",
    "LVS_DIR",
    "ONBOARD_DIR",
    "STORE_DIR",
    "PRODUCTS_DIR",
    "MANIFEST",
    "ONBOARD_REPORT",
    "LINK_DIR",
    "LINK_LOG",
    "LINK_SUMMARY",
    "LINK_REQUESTS",
    "LINK_TELEMETRY",
    "LINK_STAGING",
    "GROUND_DIR",
    "RECEIVED_DIR",
    "CATALOG",
    "ASSEMBLY",
    "LANDING_FILM",
    "REPORT_HTML",
    "LVS_MAP",
    "LVS_HAZARD",
    "LVS_IMAGES",
    "LVS_LANDMARKS",
    "LVS_SUMMARY",
    "LVS_TARGET",
    "PROVENANCE",
    "STAGING_DIR",
    "SWAP_JOURNAL_SUFFIX",
    "STAGE_FOLDERS",
    "staging_path",
    "provenance_path",
    "ground_outputs",
    "MAKERS",
    "maker",
    "require",
    "corrupt",
    "read_json",
    "read_jsonl",
    "write_text",
    "write_json",
    "write_jsonl",
    "camera_film",
    "load_run_mission",
]

# Every file and folder of a run, relative to RUN (docs/run-folder.md).
MISSION = "mission.toml"
FLIGHT_DIR = "flight"
TRAJECTORY = "flight/trajectory.parquet"
BODIES = "flight/bodies.parquet"
EVENTS = "flight/events.json"
LVS_DIR = "lvs"
ONBOARD_DIR = "onboard"
STORE_DIR = "onboard/store"  # one sub-folder per DSU: descent_stage/, rover/
PRODUCTS_DIR = "onboard/products"
MANIFEST = "onboard/products/manifest.json"
ONBOARD_REPORT = "onboard/report.json"
LINK_DIR = "link"
LINK_LOG = "link/log.jsonl"
LINK_SUMMARY = "link/summary.json"
LINK_REQUESTS = "link/requests.jsonl"
LINK_TELEMETRY = "link/telemetry.jsonl"
LINK_STAGING = "link/staging"  # the relay's scratch space (CFDP transactions in flight)
GROUND_DIR = "ground"
RECEIVED_DIR = "ground/received"
CATALOG = "ground/catalog.sqlite"
ASSEMBLY = "ground/assembly.json"
LANDING_FILM = "ground/landing.mp4"
REPORT_HTML = "ground/report.html"
LVS_MAP = "lvs/map.npz"
LVS_HAZARD = "lvs/hazard.npz"
LVS_IMAGES = "lvs/images.parquet"
LVS_LANDMARKS = "lvs/landmarks.parquet"
LVS_SUMMARY = "lvs/summary.json"
LVS_TARGET = "lvs/target.parquet"

# Safe reruns (edlcam.staging): each stage folder's record of what it was made from, and the
# folder a stage builds its output in (shaped like the run folder) before swapping it in.
PROVENANCE = "provenance.json"  # in each folder of STAGE_FOLDERS
STAGING_DIR = ".staging"
SWAP_JOURNAL_SUFFIX = ".swap.json"  # RUN/.staging/<stage>.swap.json: the moves of a swap under way
# Each folder with a provenance record: the command that makes it, and the folders it is made from.
STAGE_FOLDERS = {
    "flight": ("simulate", ()),
    "lvs": ("lvs", ("flight",)),
    "onboard": ("film", ("flight",)),
    "link": ("relay", ("flight", "onboard")),
    "ground": ("assemble", ("flight", "lvs", "onboard", "link")),
}

# The command that writes each top-level part of a run ({run} is the run folder).
MAKERS = {
    "mission.toml": "edlcam simulate --out {run}",
    "flight": "edlcam simulate --out {run}",
    "lvs": "edlcam lvs {run}",
    "onboard": "edlcam film {run}",
    "link": "edlcam relay {run}",
    "ground": "edlcam assemble {run}",
}


def staging_path(run: Path, stage: str, part: str) -> Path:
    """RUN/.staging/<stage>.<part>: ``new`` (the output being built), ``old`` (the outputs it replaces,
    moved aside), ``swap.json`` (the swap journal), ``swap.tmp`` (the journal being written)."""
    return Path(run) / STAGING_DIR / f"{stage}.{part}"


def provenance_path(folder: Path) -> Path:
    """``folder``/provenance.json (``folder``: a stage folder of the run, or one being built)."""
    return Path(folder) / PROVENANCE


def ground_outputs(run: Path) -> list[Path]:
    """The ground's files made from ``ground/received`` that exist (catalog, MP4s, assembly, report and
    their provenance): a relay that replaces what was received removes them with it."""
    from edlcam.runfolder.layout import LAYOUT

    ground = Path(run) / GROUND_DIR
    out: list[Path] = []
    for f in LAYOUT:
        top, _, name = f.pattern.partition("/")
        if top == GROUND_DIR and "/" not in name and f.writer in ("assemble", "report"):
            out += sorted(p for p in ground.glob(name) if p.is_file() and p not in out)
    return out


def maker(run: Path, path: Path) -> str:
    """The command that writes ``path`` of the run folder ``run`` (``received/`` is the relay's)."""
    try:
        rel = Path(path).relative_to(run).parts
    except ValueError:
        rel = ()
    if rel[:2] == ("ground", "received"):
        return MAKERS["link"].format(run=run)
    key = rel[0] if rel else "flight"
    return MAKERS.get(key, MAKERS["flight"]).format(run=run)


def require(run: Path, path: Path) -> Path:
    """``path`` if it exists, else RunFolderError naming it and the command that makes it."""
    if not Path(path).exists():
        raise RunFolderError(f"{path}: missing; run `{maker(run, path)}` to make it")
    return Path(path)


def corrupt(run: Path, path: Path, what: str) -> RunFolderError:
    """The error for a run-folder file that exists but is wrong: ``what`` is what is wrong with it."""
    return RunFolderError(f"{path}: {what}; run `{maker(run, path)}` again to rewrite it")


def read_json(run: Path, path: Path) -> dict:
    """A JSON object file of the run."""
    require(run, path)
    try:
        data = json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise corrupt(run, path, f"not valid JSON ({getattr(exc, 'msg', exc)})") from None
    except OSError as exc:
        raise corrupt(run, path, f"not readable ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise corrupt(run, path, "not a JSON object")
    return data


def read_jsonl(run: Path, path: Path, *, allow_torn_tail: bool = True) -> list[dict]:
    """The objects of a JSON-lines file; a torn last line (a write cut short) is skipped."""
    require(run, path)
    lines = Path(path).read_text(errors="replace").splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if allow_torn_tail and i == len(lines) - 1:
                continue
            raise corrupt(run, path, f"line {i + 1} is not valid JSON") from None
    return out


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole, making its folder: into a hidden temporary file beside it, then
    renamed over it, so a reader (``edlcam live``, the viewer) never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: dict, *, indent: int | None = 2) -> Path:
    """Write ``data`` as JSON (with a final newline) to ``path`` (:func:`write_text`)."""
    return write_text(path, json.dumps(data, indent=indent) + "\n")


def write_jsonl(path: Path, records) -> Path:
    """Write ``records`` as JSON lines (one object a line) to ``path`` (:func:`write_text`)."""
    return write_text(path, "".join(json.dumps(r) + "\n" for r in records))


def camera_film(run: Path, camera: str) -> Path:
    """RUN/ground/<camera>.mp4: one camera's recorded frames at its own rate (``edlcam assemble``)."""
    return Path(run) / GROUND_DIR / f"{camera}.mp4"


def load_run_mission(run: Path, *, default_if_missing: bool = False):
    """The resolved mission of the run (RUN/mission.toml), the one place a stage loads it.

    ``default_if_missing``: a run without one (a flight written by hand) gets the shipped mission.
    A file an older edlcam wrote, without a value this one needs, is refused in one line naming the
    file and the values (rerun ``edlcam simulate``), before any stage uses a default in their place.
    """
    from edlcam.errors import MissionError
    from edlcam.mission import load_mission, missing_from_resolved

    path = Path(run) / MISSION
    if default_if_missing and not path.exists():
        return load_mission()
    require(run, path)
    try:
        missing = missing_from_resolved(path)
        if missing:
            listed = ", ".join(f"'{m}'" for m in missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
            raise RunFolderError(f"{path}: written by an older edlcam: {listed} {'is' if len(missing) == 1 else 'are'} "
                                 f"missing; rerun `{maker(run, path)}` to rewrite it (and the stages after it)")
        return load_mission(path)
    except MissionError as exc:
        problem = str(exc).removeprefix(f"{path}: ")
        raise corrupt(run, path, f"not a valid mission ({problem})") from None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks: the digest of provenance records and of the
    link's check of every product on arrival (one function, so both sides hash alike)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
