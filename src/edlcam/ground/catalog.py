"""The ground catalog: every product of a landing, what came home, when, and how good it is.

``RUN/ground/catalog.sqlite`` (stdlib sqlite3, WAL journal) is built from the onboard product
manifest, the files in ``RUN/ground/received/``, the relay's log and summary, and the ground's
requests (``RUN/link/requests.jsonl``). Its tables (schema in docs/run-folder.md) answer plain
SQL questions, e.g. which RDC frames are home at full quality::

    SELECT frame_index, scet FROM frames WHERE camera = 'rdc' AND best_kind IN ('video', 'lossless');

A product is ``received`` only if the relay delivered it and the file on the ground matches the
manifest's SHA-256; otherwise ``requested`` while a ground request covers it, else ``missing``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edlcam import runfolder
from edlcam.errors import RunFolderError
from edlcam.ground.timecorr import TimeLine, frame_clocks, utc_iso
from edlcam.link.transfer import sha256_file  # the check the link's ground side makes on arrival

__all__ = ["SCHEMA", "KIND_RANK", "CatalogStats", "build_catalog", "catalog_path", "open_catalog", "dump_catalog"]

log = logging.getLogger(__name__)

# Image quality of each kind, best last: a frame is shown from the best kind received.
KIND_RANK = {"thumbnail": 1, "browse": 2, "video": 3, "lossless": 4}

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE products (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, camera TEXT NOT NULL, path TEXT NOT NULL,
    frame_first INTEGER NOT NULL, frame_last INTEGER NOT NULL,
    sclk_start REAL NOT NULL, sclk_end REAL NOT NULL, t_start_s REAL NOT NULL, t_end_s REAL NOT NULL,
    scet_start TEXT NOT NULL, scet_end TEXT NOT NULL,
    size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, priority INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'missing', 'requested')),
    pass INTEGER, orbiter TEXT, sent_scet TEXT, ert TEXT, request_id INTEGER,
    encoding TEXT
);
CREATE INDEX products_camera_time ON products (camera, t_start_s);
CREATE TABLE frames (
    camera TEXT NOT NULL, frame_index INTEGER NOT NULL, sclk REAL NOT NULL, t_s REAL NOT NULL,
    scet TEXT NOT NULL, best_kind TEXT, PRIMARY KEY (camera, frame_index)
);
CREATE TABLE passes (
    pass INTEGER PRIMARY KEY, orbiter TEXT NOT NULL, start_scet TEXT NOT NULL, duration_s REAL NOT NULL,
    rate_bps REAL NOT NULL, capacity_bits INTEGER NOT NULL, bits_sent INTEGER NOT NULL,
    products_delivered INTEGER NOT NULL, bytes_delivered INTEGER NOT NULL
);
CREATE TABLE requests (
    id INTEGER PRIMARY KEY, camera TEXT NOT NULL, t_start_s REAL NOT NULL, t_end_s REAL NOT NULL,
    quality TEXT NOT NULL, requested_at_s REAL NOT NULL, status TEXT NOT NULL
);
CREATE TABLE events (
    name TEXT NOT NULL, major INTEGER NOT NULL, t_s REAL NOT NULL, scet TEXT NOT NULL, ert TEXT NOT NULL,
    height_agl_m REAL, speed_m_s REAL, nominal_min_s REAL, nominal_max_s REAL
);
"""


@dataclass(frozen=True)
class CatalogStats:
    """What :func:`build_catalog` found."""

    path: Path
    products: int
    received: int
    requested: int
    missing: int
    corrupt: int  # delivered, but the file on the ground does not match its SHA-256
    frames: int


def catalog_path(run: str | Path) -> Path:
    """RUN/ground/catalog.sqlite."""
    return Path(run) / runfolder.CATALOG


def _covering_request(requests: list[dict], p: dict) -> int | None:
    from edlcam.link.planner import QUALITY_KINDS

    for r in requests:
        if (r.get("camera") == p["camera"] and p["kind"] in QUALITY_KINDS.get(r.get("quality"), ())
                and p["t_end_s"] >= float(r["t_start_s"]) and p["t_start_s"] <= float(r["t_end_s"])):
            return int(r["id"])
    return None


def build_catalog(run: str | Path) -> CatalogStats:
    """(Re)build RUN/ground/catalog.sqlite from the run's onboard, link and ground files."""
    run = Path(run)
    mission = runfolder.load_run_mission(run)
    timeline = TimeLine.from_mission(mission)
    manifest = [p.as_dict() for p in runfolder.read_manifest(run).products]
    events = [e.as_dict() for e in runfolder.read_events(run).all()]
    link_log, summary = runfolder.read_link(run)
    req_path = run / runfolder.LINK_REQUESTS
    requests = runfolder.read_jsonl(run, req_path) if req_path.exists() else []

    deliveries = {d["id"]: d for d in link_log if d.get("type") == "delivery"}
    pass_rows = [r for r in link_log if r.get("type") == "pass"]
    orbiter_of = {int(r["pass"]): str(r["orbiter"]) for r in pass_rows}

    rows, corrupt, first_bad = [], 0, None
    status_of: dict[str, str] = {}
    for p in manifest:
        d = deliveries.get(p["id"])
        status, request_id = "missing", None
        if d is not None:
            f = runfolder.received_path(run, p["path"])
            if f.is_file() and f.stat().st_size == p["size_bytes"] and sha256_file(f) == p["sha256"]:
                status = "received"
            else:
                corrupt += 1
                first_bad = first_bad or f
                d = None
        if status != "received":
            request_id = _covering_request(requests, p)
            if request_id is not None:
                status = "requested"
        status_of[p["id"]] = status
        rows.append((
            p["id"], p["kind"], p["camera"], p["path"], p["frame_first"], p["frame_last"],
            p["sclk_start"], p["sclk_end"],
            round(float(timeline.t_s(p["sclk_start"])), 6), round(float(timeline.t_s(p["sclk_end"])), 6),
            timeline.scet_utc(p["sclk_start"]), timeline.scet_utc(p["sclk_end"]),
            p["size_bytes"], p["sha256"], p["priority"], status,
            None if d is None else int(d["pass"]), None if d is None else orbiter_of.get(int(d["pass"])),
            None if d is None else d.get("scet"), None if d is None else d.get("ert"), request_id,
            p.get("encoding"),
        ))

    if corrupt:
        log.warning("%d delivered products are absent from %s or fail their SHA-256 (first: %s); counted missing",
                    corrupt, run / runfolder.RECEIVED_DIR, first_bad)

    # Per frame: the best kind received that covers it.
    clocks = frame_clocks(manifest)
    best: dict[tuple[str, int], str] = {}
    for p in manifest:
        if status_of[p["id"]] != "received" or p["kind"] not in KIND_RANK or p["camera"] not in clocks:
            continue
        clock = clocks[p["camera"]]
        for i in clock.frames_between(p["frame_first"], p["frame_last"]):
            key = (p["camera"], int(clock.frame_index[i]))
            if KIND_RANK[p["kind"]] > KIND_RANK.get(best.get(key, ""), 0):
                best[key] = p["kind"]
    frame_rows = []
    for camera, clock in sorted(clocks.items()):
        t = timeline.t_s(clock.sclk_s)
        scet = timeline.scet_unix_s(clock.sclk_s)
        for n, sclk, ts, su in zip(clock.frame_index, clock.sclk_s, t, scet):
            frame_rows.append((camera, int(n), float(sclk), round(float(ts), 6), utc_iso(float(su)),
                               best.get((camera, int(n)))))

    event_rows = []
    published = mission.mission.published()
    for ev in events:
        t = float(ev["t_s"])
        scet_unix = timeline.entry_unix_s + t
        nominal = published.get(str(ev["name"])) if ev["major"] else None
        event_rows.append((
            str(ev["name"]), int(ev["major"]), t, utc_iso(scet_unix), utc_iso(timeline.ert_unix_s(scet_unix)),
            ev.get("height_agl_m"), ev.get("speed_m_s"),
            None if nominal is None else nominal[0], None if nominal is None else nominal[1],
        ))

    from edlcam.link.planner import request_status

    request_rows = [(r["id"], r["camera"], r["t_start_s"], r["t_end_s"], r["quality"], r["requested_at_s"],
                     r["status"]) for r in request_status(run)]
    meta = {
        "mission": mission.mission.name, "seed": str(mission.mission.seed), "entry_utc": mission.entry.utc,
        "sclk_at_entry_interface_s": repr(timeline.sclk_at_entry_s), "sclk_rate": repr(timeline.rate),
        "sclk_epoch_utc": timeline.correlation.epoch_utc, "relay_days": repr(summary.get("days")),
        "relay_seed": repr(summary.get("seed")), "relay_loss": repr(summary.get("loss")),
    }

    path = catalog_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for stale in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        stale.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
        with con:
            con.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
            con.executemany(f"INSERT INTO products VALUES ({','.join('?' * 22)})", rows)
            con.executemany("INSERT INTO frames VALUES (?, ?, ?, ?, ?, ?)", frame_rows)
            con.executemany("INSERT INTO passes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                (int(r["pass"]), str(r["orbiter"]), str(r["start_scet"]), float(r["duration_s"]),
                 float(r["rate_bps"]), int(r["capacity_bits"]), int(r["bits_sent"]),
                 int(r["products_delivered"]), int(r["bytes_delivered"])) for r in pass_rows])
            con.executemany("INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?)", request_rows)
            con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", event_rows)
    finally:
        con.close()  # the last connection's close checkpoints the WAL into the file
    # Replace atomically, so a reader (the web viewer) never sees a half-built catalog.
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    os.replace(tmp, path)
    counts = {s: sum(1 for v in status_of.values() if v == s) for s in ("received", "requested", "missing")}
    return CatalogStats(path, len(rows), counts["received"], counts["requested"], counts["missing"], corrupt,
                        len(frame_rows))


def open_catalog(run: str | Path) -> sqlite3.Connection:
    """A read-only connection to RUN/ground/catalog.sqlite (RunFolderError if it is absent)."""
    run = Path(run)
    path = runfolder.require(run, catalog_path(run))
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        con.execute("SELECT count(*) FROM products").fetchone()
    except sqlite3.DatabaseError as exc:  # not SQLite, truncated, or another schema
        con.close()
        raise RunFolderError(f"{path}: not a readable catalog ({exc}); delete it and rebuild it with `edlcam assemble {run}`") from None
    return con


def dump_catalog(con: sqlite3.Connection, *, mask_kinds: tuple[str, ...] = ()) -> list[str]:
    """Text lines of the products and frames tables in a stable order (the golden file's format).

    Products of ``mask_kinds`` have their size, checksum and delivery fields shown as ``*``:
    used for H.264 video, whose bytes depend on the encoder's thread count.
    """
    lines = ["# products: id kind camera frames sclk_start t_start_s scet_start size sha256[:16] priority status pass ert"]
    for r in con.execute("SELECT * FROM products ORDER BY camera, kind, frame_first, id"):
        masked = r["kind"] in mask_kinds
        size = "*" if masked else str(r["size_bytes"])
        sha = "*" if masked else r["sha256"][:16]
        ert = "*" if masked else str(r["ert"])
        lines.append(f"{r['id']} {r['kind']} {r['camera']} {r['frame_first']}-{r['frame_last']} "
                     f"{r['sclk_start']:.6f} {r['t_start_s']:.6f} {r['scet_start']} {size} {sha} "
                     f"{r['priority']} {r['status']} {r['pass'] if r['pass'] is not None else '-'} {ert}")
    lines.append("# frames: camera frame_index sclk t_s scet best_kind")
    for r in con.execute("SELECT * FROM frames ORDER BY camera, frame_index"):
        lines.append(f"{r['camera']} {r['frame_index']} {r['sclk']:.6f} {r['t_s']:.6f} {r['scet']} {r['best_kind']}")
    return lines
