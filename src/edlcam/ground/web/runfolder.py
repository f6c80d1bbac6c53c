"""What the viewer reads from a run folder: flight, films, thumbnails, requests, telemetry.

Every reader takes the run folder and returns plain data (dicts of lists, lists of dicts) for the
JSON API; a missing stage output is not an error here (the page shows what there is), while a
corrupt one raises :class:`edlcam.errors.RunFolderError` naming the file. Results are cached by
the files' modification times, so fifty clients reading the same run parse it once.

The ground stage's outputs (``ground/landing.mp4``, ``ground/<camera>.mp4``,
``ground/catalog.sqlite``, ``ground/report.html``) are read defensively: the E+ time of a film's
first frame is taken, in order, from ``ground/assembly.json`` (``film.t_start_s`` of the
composite), from the catalog (a ``videos`` or ``films`` table with a ``t_start_s`` column and a
``path``/``file``/``name``/``video`` column naming the film), from the MP4's ``t_start_s``
metadata tag, from the products (a camera's first product; the composite's first received
``video``), else 0 with ``t_start_source = "assumed"``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from edlcam import runfolder
from edlcam.errors import RunFolderError
from edlcam.flight.events import EVENT_LABELS  # re-exported for the API

__all__ = [
    "RunFolder",
    "TRAJECTORY_COLUMNS",
    "run_id_for",
    "read_trajectory",
    "read_events",
    "list_videos",
    "list_thumbnails",
    "received_ids",
    "manifest_cameras",
    "read_telemetry",
    "live_timeline",
    "EVENT_LABELS",
]

log = logging.getLogger(__name__)

# The charts' quantities (docs/run-folder.md, flight/trajectory.parquet).
TRAJECTORY_COLUMNS = ("t_s", "altitude_m", "height_agl_m", "speed_m_s", "mach", "decel_g", "dynamic_pressure_pa")
_VIDEO_SUFFIXES = (".mp4", ".webm")
_NAME_RE = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class RunFolder:
    """A run folder served under ``id`` (its folder name, made unique)."""

    id: str
    path: Path

    @property
    def ground(self) -> Path:
        return self.path / runfolder.GROUND_DIR

    def real_ground(self) -> Path | None:
        """``ground/``'s real path if it is a folder really inside the run folder, else None.

        ``path`` is the run folder the user named, resolved once at the start; a ``ground`` that is
        a symlink out of it (``RUN/ground -> /etc``) is not this run's and is neither listed nor
        served.
        """
        try:
            real = self.ground.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return real if real != self.path and real.is_relative_to(self.path) and real.is_dir() else None


def run_id_for(paths: list[Path]) -> list[RunFolder]:
    """Runs named by their folder names; a repeated name gets ``-2``, ``-3``…"""
    out, used = [], set()
    for p in paths:
        base = re.sub(r"[^A-Za-z0-9._-]", "_", p.resolve().name) or "run"
        name, k = base, 2
        while name in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name)
        out.append(RunFolder(id=name, path=p.resolve()))
    return out


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _finite(values) -> list:
    return [float(v) if v is not None and math.isfinite(v) else None for v in values]


@lru_cache(maxsize=32)
def _trajectory_cached(run: Path, _mtime: int, max_points: int) -> dict:
    import numpy as np

    traj = runfolder.read_trajectory(run, [*TRAJECTORY_COLUMNS, "phase"])
    n = traj.rows
    # Evenly spaced rows, first and last kept: a 0.1 s trajectory has ~4000 rows; a chart needs ≤ max_points.
    idx = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(int)) if n else np.zeros(0, int)
    try:
        out = {c: _finite(np.asarray(traj[c])[idx]) for c in TRAJECTORY_COLUMNS}
    except (TypeError, ValueError) as exc:
        raise RunFolderError(f"{traj.path}: a charted column is not numeric ({exc}); re-run `edlcam simulate`") from None
    out["phase"] = [str(x) for x in np.asarray(traj["phase"], dtype=object)[idx]]
    out["rows"] = n
    return out


def read_trajectory(run: RunFolder, *, max_points: int = 1500) -> dict | None:
    """The charted columns of the run's trajectory, at most ``max_points`` rows; None if absent."""
    path = run.path / runfolder.TRAJECTORY
    if not path.exists():
        return None
    return _trajectory_cached(run.path, _mtime_ns(path), max_points)


@lru_cache(maxsize=32)
def _events_cached(run: Path, _mtime: int) -> list[dict]:
    out = []
    for e in runfolder.read_events(run).major:
        row = {k: e.get(k) for k in ("altitude_m", "height_agl_m", "speed_m_s", "mach", "dynamic_pressure_pa")}
        for k, v in row.items():
            row[k] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None
        utc = e.get("utc")
        row.update(name=e.name, t_s=e.t_s, utc=utc if isinstance(utc, str) else None,
                   label=EVENT_LABELS.get(e.name, e.name.replace("_", " ").capitalize()))  # fmt: skip
        out.append(row)
    return out


def read_events(run: RunFolder) -> list[dict]:
    """The major EDL events of the run with display labels ([] if the flight has not run)."""
    path = run.path / runfolder.EVENTS
    if not path.exists():
        return []
    return _events_cached(run.path, _mtime_ns(path))


@lru_cache(maxsize=16)
def _manifest_cached(run: Path, _mtime: int) -> list[dict]:
    return [p.as_dict() for p in runfolder.read_manifest(run).products]


def _manifest(run: RunFolder) -> list[dict]:
    path = run.path / runfolder.MANIFEST
    if not path.exists():
        return []
    return _manifest_cached(run.path, _mtime_ns(path))


@lru_cache(maxsize=16)
def _received_cached(path: Path, _mtime: int) -> frozenset[str] | None:
    try:
        return frozenset(str(i) for i in json.loads(path.read_text()).get("received_ids", []))
    except (json.JSONDecodeError, AttributeError, TypeError, UnicodeDecodeError):
        return None


def received_ids(run: RunFolder) -> frozenset[str] | None:
    """Ids the last relay delivered (``link/summary.json``), or None when unknown."""
    path = run.path / runfolder.LINK_SUMMARY
    if not path.exists():
        return None
    return _received_cached(path, _mtime_ns(path))


def manifest_cameras(run: RunFolder) -> list[str]:
    """Cameras (and ``microphone``) with products in the onboard manifest."""
    return sorted({str(p.get("camera")) for p in _manifest(run) if p.get("camera")})


def _assembly_t_start(path: Path, filename: str) -> float | None:
    """E+ start of a film listed in ``ground/assembly.json`` (``film: {path, t_start_s}``)."""
    try:
        film = json.loads(path.read_text()).get("film", {})
        if film.get("path") == filename and math.isfinite(float(film["t_start_s"])):
            return float(film["t_start_s"])
    except (OSError, json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        pass
    return None


def _catalog_t_start(catalog: Path, filename: str) -> float | None:
    if not catalog.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return None
    try:
        # Only a films table: products/frames tables also have t_start_s and a path, of other files.
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name IN ('videos', 'films')")]
        for table in tables:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            if "t_start_s" not in cols:
                continue
            for key in ("path", "file", "name", "video"):
                if key not in cols:
                    continue
                stem = filename.rsplit(".", 1)[0]
                row = con.execute(
                    f'SELECT t_start_s FROM "{table}" WHERE "{key}" IN (?, ?, ?) OR "{key}" LIKE ? LIMIT 1',
                    (filename, stem, f"ground/{filename}", f"%/{filename}"),
                ).fetchone()
                if row and isinstance(row[0], (int, float)) and math.isfinite(row[0]):
                    return float(row[0])
    except sqlite3.Error as exc:  # a catalog being written, or another schema: fall through
        log.debug("catalog %s: %s", catalog, exc)
    finally:
        con.close()
    return None


@lru_cache(maxsize=64)
def _probe_cached(path: Path, _mtime: int) -> tuple[float | None, float | None, str | None, str | None]:
    """(duration_s, t_start_s tag, video codec, audio codec) of a film, via PyAV."""
    import av

    try:
        with av.open(str(path)) as c:
            duration = c.duration / 1e6 if c.duration else None
            tag = c.metadata.get("t_start_s")
            vcodec = c.streams.video[0].codec_context.name if c.streams.video else None
            acodec = c.streams.audio[0].codec_context.name if c.streams.audio else None
    except (av.FFmpegError, OSError, IndexError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None, None, None, None
    try:
        t_tag = float(tag) if tag is not None else None
    except ValueError:
        t_tag = None
    return duration, t_tag if t_tag is not None and math.isfinite(t_tag) else None, vcodec, acodec


def list_videos(run: RunFolder) -> list[dict]:
    """The films in ``ground/``: ``landing`` first, then one per camera, with their E+ offset."""
    ground = run.real_ground()
    if ground is None:
        return []
    films = tuple(sorted((p.name, _mtime_ns(p)) for p in ground.iterdir() if p.suffix.lower() in _VIDEO_SUFFIXES))
    key = films + tuple(_mtime_ns(run.path / p) for p in (runfolder.ASSEMBLY, runfolder.CATALOG, runfolder.LINK_SUMMARY,
                                                          runfolder.MANIFEST))  # fmt: skip
    return [dict(v) for v in _videos_cached(run, key)]


@lru_cache(maxsize=32)
def _videos_cached(run: RunFolder, _key: tuple) -> tuple[dict, ...]:
    ground = run.real_ground()
    if ground is None:
        return ()
    files = sorted(p for p in ground.iterdir() if p.suffix.lower() in _VIDEO_SUFFIXES and p.is_file() and _NAME_RE.match(p.stem))
    files.sort(key=lambda p: (p.stem != "landing", p.stem, p.suffix != ".mp4"))
    products = _manifest(run)
    got = received_ids(run)
    out = []
    for p in files:
        duration, t_tag, vcodec, acodec = _probe_cached(p, _mtime_ns(p))
        t_start, source = _assembly_t_start(run.path / runfolder.ASSEMBLY, p.name), "assembly"
        if t_start is None:
            t_start, source = _catalog_t_start(run.path / runfolder.CATALOG, p.name), "catalog"
        if t_start is None and t_tag is not None:
            t_start, source = t_tag, "metadata"
        if t_start is None:
            # A camera's film has a frame (or a "not received" card) for every frame recorded, so it
            # starts at the camera's first product; the composite at the first received video.
            vids = [
                float(q["t_start_s"]) for q in products
                if isinstance(q.get("t_start_s"), (int, float)) and q.get("kind") != "audio" and (
                    q.get("camera") == p.stem if p.stem != "landing"
                    else q.get("kind") == "video" and (got is None or q.get("id") in got))
            ]  # fmt: skip
            if vids:
                t_start, source = min(vids), "products"
        if t_start is None:
            t_start, source = 0.0, "assumed"
        out.append({
            "name": p.stem, "file": p.name, "url": f"/runs/{run.id}/files/{p.name}",
            "t_start_s": t_start, "t_start_source": source, "duration_s": duration,
            "video_codec": vcodec, "audio_codec": acodec, "size_bytes": p.stat().st_size,
        })  # fmt: skip
    return tuple(out)


def list_thumbnails(run: RunFolder, *, camera: str | None, t_start_s: float | None, t_end_s: float | None, limit: int) -> dict:
    """Received thumbnails (evenly thinned to ``limit``) with their URLs, and how many there are."""
    got = received_ids(run)
    ground = run.real_ground()
    rows = []
    for p in _manifest(run):
        if p.get("kind") != "thumbnail" or (camera is not None and p.get("camera") != camera):
            continue
        try:
            t = float(p["t_start_s"])
            rel = str(p["path"])
        except (KeyError, TypeError, ValueError):
            continue
        if (t_start_s is not None and t < t_start_s) or (t_end_s is not None and t > t_end_s):
            continue
        if got is not None and p.get("id") not in got:
            continue
        rows.append((t, str(p.get("camera")), str(p.get("id")), rel))
    rows.sort()
    # Existence is checked after thinning: a stat per shown thumbnail, not per product.
    total = len(rows)
    if total > limit:
        step = total / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    items = [
        {"id": pid, "camera": cam, "t_s": t, "url": f"/runs/{run.id}/files/received/{rel}"}
        for t, cam, pid, rel in rows
        if ground is not None and (ground / "received" / rel).is_file()
    ]
    return {"total": total, "items": items}


def _json_safe(value):
    """``value`` with NaN and ±inf as None: JSON (RFC 8259) has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


@lru_cache(maxsize=16)
def _telemetry_cached(path: Path, _mtime: int) -> tuple[dict, ...]:
    from edlcam.link.live import load_records

    expected = f"'kind' and a number 'ert_offset_s' within ±{_MAX_ERT_OFFSET_S:g} s; re-run `edlcam relay`"
    try:
        records = load_records(path.parent.parent)
    except (KeyError, TypeError):  # its sort by ert_offset_s met a record without a number there
        raise RunFolderError(f"{path}: a record is not an object with {expected}") from None
    for i, r in enumerate(records):
        t = r.get("ert_offset_s") if isinstance(r, dict) else None
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not abs(t) <= _MAX_ERT_OFFSET_S or "kind" not in r:
            raise RunFolderError(f"{path}: record {i + 1} (in ERT order) lacks {expected}")
    return tuple(_json_safe(r) for r in records)


def read_telemetry(run: RunFolder) -> list[dict] | None:
    """Records of ``link/telemetry.jsonl`` in Earth-received order (None if absent)."""
    path = run.path / runfolder.LINK_TELEMETRY
    if not path.exists():
        return None
    return list(_telemetry_cached(path, _mtime_ns(path)))


_UNIX_MIN_S, _UNIX_MAX_S = 0.0, 220_898_000_000.0  # 1970 to 9000: far from datetime's limits, with the ±1e7 s offsets
_MAX_ERT_OFFSET_S = 1e7  # |ert_offset_s| of a record: EDL telemetry spans minutes; 116 days is surely damage


def _unix(iso: str) -> float:
    if not isinstance(iso, str):
        raise TypeError(f"{iso!r} is not a string")
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()


def live_timeline(records: list[dict]) -> dict:
    """The clock of a live replay from received ``records``.

    Returns ``light_time_s`` (one-way, from an X-band tone: it leaves at its event's SCET, so
    ERT − SCET is the light time), ``entry_ert_unix_s`` (ERT of entry interface, the zero of
    ``ert_offset_s``), and ``start_s``/``end_s``: the replay runs from the moment the vehicle
    reaches entry interface at Mars (ERT offset −light time: Earth has heard nothing yet) to
    just after the last record.
    """
    if not records:
        raise RunFolderError("link/telemetry.jsonl holds no records; re-run `edlcam relay`")
    tones = [r for r in records if r.get("kind") == "tone" and "scet" in r and "ert" in r]
    ref = tones[0] if tones else records[0]
    try:
        light = _unix(ref["ert"]) - _unix(ref["scet"]) if "scet" in ref else 0.0
        entry_ert = _unix(ref["ert"]) - float(ref["ert_offset_s"])
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
        what = f"{type(exc).__name__}: {exc}" if not isinstance(exc, KeyError) else f"no {exc.args[0]!r}"
        raise RunFolderError(f"link/telemetry.jsonl: the {ref.get('kind')} record at ERT offset {ref.get('ert_offset_s')} s "
                             f"has no usable 'ert'/'scet' time ({what}); expected ISO 8601 UTC; re-run `edlcam relay`") from None  # fmt: skip
    # Earth–Mars one-way light time is ≈ 3 to 22 min (est., 0.37 to 2.7 AU); a day is surely a damaged record.
    if not 0.0 <= light <= 86_400.0 or not _UNIX_MIN_S <= entry_ert <= _UNIX_MAX_S:
        raise RunFolderError(f"link/telemetry.jsonl: the {ref.get('kind')} record at ERT offset {ref.get('ert_offset_s')} s gives a light "
                             f"time of {light:.0f} s and entry at Unix {entry_ert:.0f} s; expected 0 to 86400 s and a date in 1970 to 9000; "
                             "re-run `edlcam relay`")  # fmt: skip
    return {
        "light_time_s": light,
        "entry_ert_unix_s": entry_ert,
        "start_s": min(-light, float(records[0]["ert_offset_s"])),
        "end_s": float(records[-1]["ert_offset_s"]) + 1.0,
    }
