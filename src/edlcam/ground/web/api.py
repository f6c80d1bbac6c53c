"""The viewer's JSON API: runs, flight, films, thumbnails, full-quality requests, live telemetry.

Every path is under ``/api``; FastAPI documents it at ``/openapi.json`` (and ``/docs``). Every
error, whatever its status, has one JSON shape (:class:`ErrorResponse`)::

    {"error": {"status": 404, "title": "Not Found", "detail": "no run 'x'; runs served: run"}}

The only request that changes anything is ``POST /api/runs/{run_id}/requests``: it asks the link
stage for a camera's frames at full quality (:func:`edlcam.link.planner.request_products`). The
request stays *pending* until a later ``edlcam relay`` brings it home.

The live replay (``GET /api/runs/{run_id}/live``) is a server-sent-event stream that plays
``link/telemetry.jsonl`` on the Earth-received clock at ``speed`` × real time, starting when the
vehicle reaches entry interface at Mars: the first signal arrives one light time later.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

from edlcam import runfolder
from edlcam.errors import LinkError, RunFolderError
from edlcam.ground.web import runfolder as rf

__all__ = ["router", "ErrorResponse", "ErrorBody", "RequestIn", "ERROR_RESPONSES", "live_events"]

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    status: int = Field(description="HTTP status code")
    title: str = Field(description="HTTP reason phrase")
    detail: str = Field(description="what was wrong, and how to fix it")
    errors: list[dict[str, Any]] | None = Field(None, description="for 422: each invalid field and why")


class ErrorResponse(BaseModel):
    """The JSON body of every error response."""

    error: ErrorBody


_ERRORS = ((404, "No such run or resource"), (422, "Invalid parameter or body"), (500, "Corrupt run folder: the detail names the file"))
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse, "description": desc} for code, desc in _ERRORS}
# The same errors spelled out as JSON: on a route whose own responses are another media type (the
# live stream), FastAPI would document a "model" under that type.
_JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
    for code, desc in _ERRORS
}


class RunSummary(BaseModel):
    id: str
    name: str = Field(description="folder name")
    flight: bool
    telemetry: bool
    report_url: str | None
    films: int
    cameras: list[str] = Field(description="cameras with onboard products")


class Trajectory(BaseModel):
    rows: int = Field(description="rows in flight/trajectory.parquet (before thinning)")
    t_s: list[float | None]
    altitude_m: list[float | None]
    height_agl_m: list[float | None]
    speed_m_s: list[float | None]
    mach: list[float | None]
    decel_g: list[float | None]
    dynamic_pressure_pa: list[float | None]
    phase: list[str]


class Event(BaseModel):
    name: str
    label: str
    t_s: float
    altitude_m: float | None = None
    height_agl_m: float | None = None
    speed_m_s: float | None = None
    mach: float | None = None
    dynamic_pressure_pa: float | None = None
    utc: str | None = None


class Video(BaseModel):
    name: str = Field(description="'landing' (the composite) or a camera name")
    file: str
    url: str
    t_start_s: float = Field(description="E+ time [s] of the film's first frame")
    t_start_source: Literal["assembly", "catalog", "metadata", "products", "assumed"]
    duration_s: float | None
    video_codec: str | None
    audio_codec: str | None
    size_bytes: int


class Thumbnail(BaseModel):
    id: str
    camera: str
    t_s: float
    url: str


class ThumbnailPage(BaseModel):
    total: int = Field(description="received thumbnails matching the filter, before thinning to 'limit'")
    items: list[Thumbnail]


class RequestIn(BaseModel):
    """Ask for one camera's frames between two E+ times at full quality."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    camera: str = Field(pattern=r"^[a-z0-9_]{1,40}$", examples=["rdc"])
    t_start_s: float = Field(ge=-86_400.0, le=86_400.0, description="E+ [s]", examples=[262.0])
    t_end_s: float = Field(ge=-86_400.0, le=86_400.0, description="E+ [s], ≥ t_start_s", examples=[280.0])


class RequestStatus(BaseModel):
    id: int
    camera: str
    t_start_s: float
    t_end_s: float
    quality: str
    requested_at_s: float = Field(description="simulated time after touchdown of the request")
    status: Literal["pending", "delivered"]
    products: int = Field(description="products the request covers")
    received: int = Field(description="of which received on the ground")


class TelemetryInfo(BaseModel):
    light_time_s: float
    entry_ert_utc: str
    start_s: float
    end_s: float
    records: list[dict[str, Any]]


router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
_request_lock = threading.Lock()  # the pending count and the append that follows it, one POST at a time

RunId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,100}$", description="run id (folder name)")]


def _run(request: Request, run_id: str) -> rf.RunFolder:
    runs: dict[str, rf.RunFolder] = request.app.state.runs
    try:
        return runs[run_id]
    except KeyError:
        raise HTTPException(404, f"no run {run_id!r}; runs served: {', '.join(runs)}") from None


def _summary(run: rf.RunFolder) -> RunSummary:
    ground = run.real_ground()
    return RunSummary(
        id=run.id,
        name=run.path.name,
        flight=(run.path / runfolder.TRAJECTORY).exists(),
        telemetry=(run.path / runfolder.LINK_TELEMETRY).exists(),
        report_url=f"/runs/{run.id}/files/report.html" if ground is not None and (ground / "report.html").is_file() else None,
        films=len(rf.list_videos(run)),
        cameras=rf.manifest_cameras(run),
    )


@router.get("/runs", response_model=list[RunSummary], summary="The runs served")
def list_runs(request: Request) -> list[RunSummary]:
    return [_summary(r) for r in request.app.state.runs.values()]


@router.get("/runs/{run_id}", response_model=RunSummary, summary="What a run holds")
def get_run(request: Request, run_id: RunId) -> RunSummary:
    return _summary(_run(request, run_id))


@router.get("/runs/{run_id}/trajectory", response_model=Trajectory, summary="Charted flight quantities (SI)")
def get_trajectory(
    request: Request,
    run_id: RunId,
    max_points: Annotated[int, Query(ge=10, le=20_000, description="rows returned at most (evenly thinned)")] = 1500,
) -> dict:
    run = _run(request, run_id)
    traj = rf.read_trajectory(run, max_points=max_points)
    if traj is None:
        raise HTTPException(404, f"run {run.id!r} has no flight/trajectory.parquet; run `edlcam simulate --out {run.path}`")
    return traj


@router.get("/runs/{run_id}/events", response_model=list[Event], summary="The EDL events")
def get_events(request: Request, run_id: RunId) -> list[dict]:
    return rf.read_events(_run(request, run_id))


@router.get("/runs/{run_id}/videos", response_model=list[Video], summary="The assembled films")
def get_videos(request: Request, run_id: RunId) -> list[dict]:
    return rf.list_videos(_run(request, run_id))


@router.get("/runs/{run_id}/thumbnails", response_model=ThumbnailPage, summary="Received thumbnails")
def get_thumbnails(
    request: Request,
    run_id: RunId,
    camera: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,40}$")] = None,
    t_start_s: Annotated[float | None, Query(ge=-86_400.0, le=86_400.0, allow_inf_nan=False)] = None,
    t_end_s: Annotated[float | None, Query(ge=-86_400.0, le=86_400.0, allow_inf_nan=False)] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 120,
) -> dict:
    return rf.list_thumbnails(_run(request, run_id), camera=camera, t_start_s=t_start_s, t_end_s=t_end_s, limit=limit)


MAX_PENDING_REQUESTS = 1000  # per run; each is planned on every relay pass, and listed by GET


def _journal_key(run: rf.RunFolder) -> tuple:
    """What request statuses depend on: the journal, the manifest, and the last relay's summary."""
    out = []
    for path in (run.path / runfolder.LINK_REQUESTS, run.path / runfolder.MANIFEST, run.path / runfolder.LINK_SUMMARY):
        try:
            st = path.stat()
            out.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


def _request_status(run: rf.RunFolder, requests=None) -> list[dict]:
    """:func:`edlcam.link.planner.request_status`, a damaged run folder raised as RunFolderError."""
    from edlcam.link.planner import request_status

    try:
        return request_status(run.path, requests)
    except RunFolderError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # a hand-edited manifest or summary
        raise RunFolderError(f"{run.path}: requests cannot be matched to products ({type(exc).__name__}: {exc}); "
                             "re-run `edlcam film` / `edlcam relay`") from None  # fmt: skip


@lru_cache(maxsize=16)
def _statuses_cached(run: rf.RunFolder, _key: tuple) -> tuple[dict, ...]:
    return tuple(_request_status(run))


def _statuses(run: rf.RunFolder) -> list[dict]:
    """Every request's status, parsed once per change of the files it depends on."""
    return [dict(s) for s in _statuses_cached(run, _journal_key(run))]


@router.get("/runs/{run_id}/requests", response_model=list[RequestStatus], summary="Full-quality requests and their status")
def get_requests(request: Request, run_id: RunId) -> list[dict]:
    return _statuses(_run(request, run_id))


@router.post(
    "/runs/{run_id}/requests",
    response_model=RequestStatus,
    status_code=201,
    summary="Ask for a frame range at full quality (pending until a later relay brings it)",
    description=f"At most {MAX_PENDING_REQUESTS} requests of a run may be pending at once: beyond that the answer is 409 "
    "until a relay (`edlcam relay RUN`) delivers some. The run folder is checked before anything is saved: "
    "a corrupt one is a 500 naming the file, and the request is not recorded. The request is on disk "
    "(appended to `link/requests.jsonl`, fsynced) before the 201 is sent.",
    responses={
        400: {"model": ErrorResponse, "description": "body is not UTF-8 JSON"},
        409: {"model": ErrorResponse, "description": f"{MAX_PENDING_REQUESTS} requests already pending"},
        411: {"model": ErrorResponse, "description": "no Content-Length"},
        413: {"model": ErrorResponse, "description": "body over 16 KiB"},
        415: {"model": ErrorResponse, "description": "body not application/json"},
    },
)
def post_request(request: Request, run_id: RunId, body: Annotated[RequestIn, Body()]) -> dict:
    from edlcam.link.planner import Request as LinkRequest
    from edlcam.link.planner import request_products

    run = _run(request, run_id)
    with _request_lock:
        # The answer is worked out (so the run folder checked) before anything is saved.
        cameras = [c for c in rf.manifest_cameras(run) if c != "microphone"]
        if body.camera not in cameras:
            known = ", ".join(cameras) or "none (run `edlcam film` first)"
            raise HTTPException(422, f"camera is {body.camera!r}; this run's cameras are: {known}")
        pending = sum(s["status"] == "pending" for s in _statuses(run))
        if pending >= MAX_PENDING_REQUESTS:
            raise HTTPException(409, f"run {run.id!r} has {pending} requests pending, the most it takes; "
                                     f"run `edlcam relay {run.path}` to bring them home first")  # fmt: skip
        asked = LinkRequest(id=0, camera=body.camera, t_start_s=body.t_start_s, t_end_s=body.t_end_s, quality="full", requested_at_s=0.0)
        status = _request_status(run, [asked])[0]
        try:
            made = request_products(run.path, body.camera, body.t_start_s, body.t_end_s, quality="full")
        except LinkError as exc:
            raise HTTPException(422, str(exc)) from None
    # This very request's fields (its id is unique: the journal never reuses one), not a lookup by id.
    return {**status, **made.__dict__}


def _iso(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _telemetry(run: rf.RunFolder) -> tuple[list[dict], dict]:
    records = rf.read_telemetry(run)
    if records is None:
        raise HTTPException(404, f"run {run.id!r} has no link/telemetry.jsonl; run `edlcam relay {run.path}`")
    try:
        return records, rf.live_timeline(records)
    except RunFolderError as exc:  # name the run's file, not just link/telemetry.jsonl
        raise RunFolderError(f"{run.path}/{exc}") from None


@router.get("/runs/{run_id}/telemetry", response_model=TelemetryInfo, summary="EDL telemetry as received on Earth")
def get_telemetry(request: Request, run_id: RunId) -> dict:
    records, clock = _telemetry(_run(request, run_id))
    return {
        "light_time_s": clock["light_time_s"],
        "entry_ert_utc": _iso(clock["entry_ert_unix_s"]),
        "start_s": clock["start_s"],
        "end_s": clock["end_s"],
        "records": records,
    }


def live_events(records: list[dict], clock: dict, *, start_s: float | None = None) -> list[tuple[float, str, dict]]:
    """What a live replay sends, as ``(ert_offset_s, event, data)`` in Earth-received order.

    ``telemetry`` for each telemetry packet, ``callout`` the first time each event arrives
    (UHF event packet or X-band tone), ``touchdown`` ("touchdown confirmed") when touchdown's
    first signal arrives, and ``end`` after the last record. Records before ``start_s`` are
    skipped (``start_s`` defaults to the replay's start).
    """
    start = clock["start_s"] if start_s is None else start_s
    out: list[tuple[float, str, dict]] = []
    called: set[str] = set()
    for r in records:
        t = float(r["ert_offset_s"])
        if t < start:
            continue
        kind = r.get("kind")
        if kind == "telemetry":
            out.append((t, "telemetry", r))
        elif kind in ("event", "tone"):
            name = str(r.get("event"))
            if name in called:
                continue
            called.add(name)
            label = rf.EVENT_LABELS.get(name, name)
            via = "X-band tone" if kind == "tone" else "UHF via MRO"
            out.append((t, "callout", {"event": name, "label": label, "t_s": r.get("t_s"), "ert": r.get("ert"), "via": via}))
            if name == "touchdown":
                out.append((t, "touchdown", {"message": "touchdown confirmed", "ert": r.get("ert"), "t_s": r.get("t_s")}))
    out.append((max(clock["end_s"], start), "end", {}))
    return out


LIVE_SPEED_MIN = 1.0  # real time: the page offers 1× to 600×
LIVE_SPEED_MAX = 10_000.0  # the 18-minute replay in 0.1 s
LIVE_MAX_WALL_S = 3600.0  # the longest stream served: a replay from start_s to the end at speed


@dataclass(frozen=True)
class LiveReplay:
    """What a live stream plays: the run's received telemetry from ``start_s`` at ``speed``."""

    records: list[dict]
    clock: dict
    start_s: float
    speed: float


async def _live_replay(
    request: Request,
    run_id: RunId,
    speed: Annotated[
        float,
        Query(ge=LIVE_SPEED_MIN, le=LIVE_SPEED_MAX, allow_inf_nan=False,
              description=f"× real time ({LIVE_SPEED_MIN:g} to {LIVE_SPEED_MAX:g}; the stream may last at most {LIVE_MAX_WALL_S:g} s)"),
    ] = 1.0,
    start_s: Annotated[
        float | None,
        Query(ge=-86_400.0, le=86_400.0, allow_inf_nan=False, description="ERT offset [s] to start at (default: entry at Mars)"),
    ] = None,
) -> LiveReplay:  # fmt: skip
    """The replay, checked before the stream starts: a missing run or telemetry is a 404, not a broken stream."""
    run = _run(request, run_id)
    records, clock = await asyncio.to_thread(_telemetry, run)
    start = clock["start_s"] if start_s is None else start_s
    wall_s = (max(clock["end_s"], start) - start) / speed
    if wall_s > LIVE_MAX_WALL_S:
        raise HTTPException(422, f"a replay from ERT offset {start:g} s to {clock['end_s']:g} s at speed {speed:g} would stream for "
                                 f"{wall_s:.0f} s; the limit is {LIVE_MAX_WALL_S:g} s: raise speed or start later")  # fmt: skip
    return LiveReplay(records=records, clock=clock, start_s=start, speed=speed)


@router.get(
    "/runs/{run_id}/live",
    response_class=EventSourceResponse,
    summary="Live replay: telemetry and call-outs on the Earth-received clock (server-sent events)",
    description=f"Events: `start`, `clock` (every `tick_s` of wall time), `telemetry`, `callout`, `touchdown`, `end`. "
    f"The stream ends after the last record; a replay that would last more than {LIVE_MAX_WALL_S:g} s of wall time "
    "is refused with 422. A run without `link/telemetry.jsonl` is a 404.",
    responses=_JSON_ERRORS,
)
async def get_live(
    request: Request,
    replay: Annotated[LiveReplay, Depends(_live_replay)],
    tick_s: Annotated[float, Query(ge=0.05, le=10.0, allow_inf_nan=False, description="wall seconds between clock events")] = 0.25,
) -> AsyncIterator[ServerSentEvent]:
    clock, start, speed = replay.clock, replay.start_s, replay.speed
    plan = live_events(replay.records, clock, start_s=start)
    light = clock["light_time_s"]
    entry_ert = clock["entry_ert_unix_s"]
    loop = asyncio.get_running_loop()
    wall0 = loop.time()

    def clock_event(t: float) -> ServerSentEvent:
        # At Mars it is already E+(t + light): the vehicle is that far ahead of what Earth hears.
        return ServerSentEvent(
            event="clock", data={"ert_offset_s": round(t, 3), "ert": _iso(entry_ert + t), "mars_t_s": round(t + light, 3), "light_time_s": light}
        )

    yield ServerSentEvent(event="start", data={"light_time_s": light, "start_s": start, "end_s": plan[-1][0], "speed": speed})
    now = start
    for t_ev, name, data in plan:
        # Clock ticks up to this event, on a schedule from wall0 so sleeps never accumulate drift.
        # Each tick advances ≥ 0.05 s × speed ≥ 0.05 s of ERT: the stream always ends.
        while True:
            if await request.is_disconnected():
                return
            next_tick = now + tick_s * speed
            if next_tick >= t_ev:
                break
            await asyncio.sleep(max(0.0, wall0 + (next_tick - start) / speed - loop.time()))
            now = next_tick
            yield clock_event(now)
        await asyncio.sleep(max(0.0, wall0 + (t_ev - start) / speed - loop.time()))
        now = max(now, t_ev)
        if name == "end":
            yield clock_event(now)
        yield ServerSentEvent(event=name, data=data)
