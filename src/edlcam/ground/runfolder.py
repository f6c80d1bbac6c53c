"""Reading what the earlier stages wrote into a run folder, for the ground stage.

Every reader raises :class:`~edlcam.errors.RunFolderError` with one line that names the file,
what is wrong with it and the command that makes it (docs/run-folder.md is the contract).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from edlcam.errors import RunFolderError

__all__ = [
    "MAKERS",
    "require",
    "read_json",
    "read_jsonl",
    "load_run_mission",
    "read_events",
    "read_trajectory",
    "read_manifest",
    "read_link",
    "TRAJECTORY_COLUMNS",
]

# Which command writes each input of the ground stage ({run} is the run folder).
MAKERS = {
    "mission.toml": "edlcam simulate --out {run}",
    "flight": "edlcam simulate --out {run}",
    "onboard": "edlcam film {run}",
    "link": "edlcam relay {run}",
    "ground": "edlcam assemble {run}",
}

TRAJECTORY_COLUMNS = ("t_s", "height_agl_m", "altitude_m", "speed_m_s", "vu_m_s", "mach", "phase")
_EVENT_FIELDS = ("name", "t_s")


def _maker(run: Path, path: Path) -> str:
    rel = path.relative_to(run).parts
    key = rel[0] if rel else "flight"
    return MAKERS.get(key, MAKERS["flight"]).format(run=run)


def require(run: Path, path: Path) -> Path:
    """``path`` if it exists, else RunFolderError naming it and the command that makes it."""
    if not path.exists():
        raise RunFolderError(f"{path}: missing; run `{_maker(run, path)}` to make it")
    return path


def _corrupt(run: Path, path: Path, what: str) -> RunFolderError:
    return RunFolderError(f"{path}: {what}; run `{_maker(run, path)}` again to rewrite it")


def read_json(run: Path, path: Path) -> dict:
    """A JSON object file of the run."""
    require(run, path)
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(run, path, f"not valid JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(data, dict):
        raise _corrupt(run, path, "not a JSON object")
    return data


def read_jsonl(run: Path, path: Path, *, allow_torn_tail: bool = True) -> list[dict]:
    """The objects of a JSON-lines file; a torn last line (a write cut short) is skipped."""
    require(run, path)
    lines = path.read_text(errors="replace").splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if allow_torn_tail and i == len(lines) - 1:
                continue
            raise _corrupt(run, path, f"line {i + 1} is not valid JSON") from None
    return out


def load_run_mission(run: Path):
    """The resolved mission of the run (RUN/mission.toml)."""
    from edlcam.errors import MissionError
    from edlcam.mission import load_mission

    path = require(run, run / "mission.toml")
    try:
        return load_mission(path)
    except MissionError as exc:
        raise _corrupt(run, path, f"not a valid mission ({exc})") from None


def read_events(run: Path) -> list[dict]:
    """Major and minor events of RUN/flight/events.json, in time order (``major`` flag added)."""
    path = run / "flight" / "events.json"
    data = read_json(run, path)
    if not isinstance(data.get("events"), list):
        raise _corrupt(run, path, "no 'events' list")
    out = []
    for major, key in ((True, "events"), (False, "minor_events")):
        for ev in data.get(key, []) or []:
            if not isinstance(ev, dict) or any(f not in ev for f in _EVENT_FIELDS):
                raise _corrupt(run, path, f"an entry of '{key}' lacks 'name' or 't_s'")
            out.append({**ev, "major": major})
    out.sort(key=lambda e: (float(e["t_s"]), not e["major"]))
    return out


def read_trajectory(run: Path) -> dict[str, np.ndarray]:
    """The columns the ground overlays need from RUN/flight/trajectory.parquet."""
    import pyarrow.parquet as pq

    path = require(run, run / "flight" / "trajectory.parquet")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise _corrupt(run, path, f"not a readable Parquet file ({type(exc).__name__})") from None
    missing = [c for c in TRAJECTORY_COLUMNS if c not in table.column_names]
    if missing:
        raise _corrupt(run, path, f"no column {missing[0]!r}")
    return {c: table.column(c).to_numpy(zero_copy_only=False) for c in TRAJECTORY_COLUMNS}


_MANIFEST_FIELDS = {
    "id": str, "kind": str, "camera": str, "path": str, "size_bytes": int, "sha256": str, "priority": int,
    "t_start_s": float, "t_end_s": float, "frame_first": int, "frame_last": int, "sclk_start": float,
    "sclk_end": float,
}


def read_manifest(run: Path) -> list[dict]:
    """Every product of RUN/onboard/products/manifest.json with its fields typed."""
    path = run / "onboard" / "products" / "manifest.json"
    data = read_json(run, path)
    products = data.get("products")
    if not isinstance(products, list):
        raise _corrupt(run, path, "no 'products' list")
    out = []
    for i, p in enumerate(products):
        try:
            out.append({k: cast(p[k]) for k, cast in _MANIFEST_FIELDS.items()})
        except (KeyError, TypeError, ValueError) as exc:
            field = exc.args[0] if isinstance(exc, KeyError) else "a field"
            raise _corrupt(run, path, f"products[{i}] lacks or mistypes {field!r}") from None
    return out


def read_link(run: Path) -> tuple[list[dict], dict]:
    """(RUN/link/log.jsonl lines, RUN/link/summary.json) of the last relay run."""
    log = read_jsonl(run, run / "link" / "log.jsonl")
    summary = read_json(run, run / "link" / "summary.json")
    return log, summary
