"""The viewer's ASGI app: the static page, the JSON API, and a run's ground files with ranges.

Routes:

- ``/`` and ``/static/…`` — the page (plain HTML, CSS and JS shipped in ``static/``; no build
  step, no CDN). Plotly's JS is served at ``/static/vendor/plotly.min.js`` straight from the
  installed ``plotly`` Python package.
- ``/api/…`` — the JSON API (:mod:`edlcam.ground.web.api`), documented at ``/openapi.json``.
  FastAPI's ``/docs`` page is off: it loads Swagger UI from a CDN.
- ``/runs/{run_id}/files/{path}`` — files under ``RUN/ground/`` only (films, received thumbnails,
  the report), with byte ranges for seeking (:mod:`edlcam.ground.web.media`). A path that leaves
  ``RUN/ground/`` in any spelling, or through a symlink, is a 404 and opens nothing.

Only GET and HEAD are accepted, plus POST on the one request endpoint; anything else is a 405.
Unless built with ``allow_remote=True`` the app answers only requests addressed to a loopback
host name, so a web page elsewhere cannot reach it by DNS rebinding. Every error has the JSON
shape of :class:`edlcam.ground.web.api.ErrorResponse`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edlcam.errors import RunFolderError
from edlcam.ground.web import api, runfolder
from edlcam.ground.web.media import FILE_TYPES, RangeFileResponse, resolve_inside

__all__ = ["create_app", "STATIC_DIR", "plotly_js_path", "LOCAL_HOSTS"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_POST_PATH = re.compile(r"^/api/runs/[^/]+/requests/?$")
_DIGITS = re.compile(r"[0-9]+")
_FILE_MEDIA_TYPES = sorted({t.split(";")[0] for t in FILE_TYPES.values()} | {"application/octet-stream"})
_MAX_BODY_BYTES = 16 * 1024  # a request body is ~100 bytes of JSON
_PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self'; connect-src 'self'; "
    # Plotly sets styles on its SVG elements from JS
    "style-src 'self' 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The ground report is its own self-contained page: it may use inline script and style, but may
# not call this API.
_FILE_CSP = "default-src 'self' 'unsafe-inline' data: blob:; connect-src 'none'; frame-ancestors 'self'; base-uri 'none'"


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the ``plotly`` Python package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _json_error(status: int, detail: str, errors: list | None = None, headers: dict | None = None) -> JSONResponse:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {"status": status, "title": title, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse({"error": body}, status_code=status, headers=headers)


class _Guard:
    """ASGI middleware: host check, method allow-list, body size, security headers.

    Runs before routing, so a PUT to any path, or a request for another host, never reaches a
    handler.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str] | None) -> None:
        self.app = app
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # no WebSocket endpoints: refuse the handshake
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"]
        method = scope["method"]
        if self.allowed_hosts is not None:
            host = _host_name(headers.get("host", ""))
            if host not in self.allowed_hosts:
                await _send(send, 421, f"this viewer answers requests to {', '.join(sorted(self.allowed_hosts))} only, "
                                       f"not {host or 'no host'!r}; start it with --allow-remote to serve other hosts")  # fmt: skip
                return
        post_ok = bool(_POST_PATH.match(path))
        allowed = ("GET", "HEAD", "POST") if post_ok else ("GET", "HEAD")
        if method not in allowed:
            await _send(send, 405, f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}", {"allow": ", ".join(allowed)})
            return
        if method == "POST":
            length = headers.get("content-length")
            if length is None or not _DIGITS.fullmatch(length.strip()):  # ASCII digits only: '²'.isdigit() is True
                await _send(send, 411, "send the JSON body with a Content-Length header")
                return
            if len(length.strip()) > 9 or int(length) > _MAX_BODY_BYTES:
                await _send(send, 413, f"the body is {length} bytes; the limit is {_MAX_BODY_BYTES} bytes")
                return
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                # Also a CSRF guard: a cross-site form cannot send application/json without a CORS preflight.
                await _send(send, 415, f"the body's Content-Type is {ctype or 'missing'!r}; send application/json")
                return

        csp = _FILE_CSP if path.startswith("/runs/") else _PAGE_CSP

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                have = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": list(message.get("headers", [])) + [h for h in extra if h[0] not in have]}
            await send(message)

        if method == "HEAD":
            await _as_head(self.app, scope, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


async def _as_head(app: ASGIApp, scope: Scope, send: Send) -> None:
    """Answer HEAD with GET's status and headers and no body (RFC 9110 §9.3.2), on every route.

    The app sees a GET marked ``edlcam.head`` (so a file response skips reading the file); the
    first body message is sent empty and the rest dropped, and once the headers are out the app
    is told the client left, so a stream (the live replay) stops at once.
    """
    headers_sent = anyio.Event()
    done = False

    async def receive() -> Message:
        await headers_sent.wait()
        return {"type": "http.disconnect"}

    async def head_send(message: Message) -> None:
        nonlocal done
        if done:
            return
        if message["type"] == "http.response.start":
            await send(message)
            headers_sent.set()
        elif message["type"] == "http.response.body":
            done = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    await app({**scope, "method": "GET", "edlcam.head": True}, receive, head_send)
    if headers_sent.is_set() and not done:  # a stream stopped before its first body message
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _send(send: Send, status: int, detail: str, headers: dict | None = None) -> None:
    body = json.dumps({"error": {"status": status, "title": HTTPStatus(status).phrase, "detail": detail}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def create_app(runs: Sequence[Path | str], *, allow_remote: bool = False) -> FastAPI:
    """The viewer app serving ``runs`` (run folders); loopback hosts only unless ``allow_remote``."""
    folders = runfolder.run_id_for([Path(r) for r in runs])
    app = FastAPI(
        title="edlcam viewer",
        version="1",
        summary="The landing's film, flight, thumbnails, requests and live telemetry of edlcam run folders.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runs = {f.id: f for f in folders}
    app.include_router(api.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}; the API is listed at /openapi.json"
        if exc.status_code == 405 and detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}"
        if exc.status_code == 400 and detail == "There was an error parsing the body":  # FastAPI's, for non-UTF-8 bytes
            detail = "the body is not UTF-8 JSON; send a JSON object encoded as UTF-8"
        return _json_error(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return _json_error(422, detail, errors=errors)

    @app.exception_handler(RunFolderError)
    async def run_folder_error(request: Request, exc: RunFolderError) -> JSONResponse:
        log.error("corrupt run folder: %s", exc)
        return _json_error(500, f"corrupt run folder: {exc}")

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _json_error(500, f"internal error ({type(exc).__name__}); see the server log")

    @app.get("/", include_in_schema=False)
    async def index():
        return RangeFileResponse(STATIC_DIR / "index.html")

    @app.api_route("/static/vendor/plotly.min.js", methods=["GET", "HEAD"], include_in_schema=False)
    async def plotly_js():
        return RangeFileResponse(plotly_js_path(), cache_control="public, max-age=86400")

    @app.api_route("/static/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def static(path: str):
        found = resolve_inside(STATIC_DIR, path)
        if found is None:
            return _json_error(404, f"no static file {path!r}")
        return RangeFileResponse(found)

    file_content = {t: {"schema": {"type": "string", "format": "binary"}} for t in _FILE_MEDIA_TYPES}

    @app.get(
        "/runs/{run_id}/files/{path:path}",
        summary="A file under RUN/ground/ (films, received thumbnails, report), with byte ranges",
        description="`path` is relative to `RUN/ground/` and may hold `/` (e.g. `received/rdc/thumb/000000.jpg`). "
        "A path that leaves `RUN/ground/` in any spelling or through a symlink, or a `RUN/ground` that is "
        "itself a symlink out of the run folder, is a 404. `Range: bytes=first-last`, `bytes=first-` and "
        "`bytes=-suffix` (RFC 9110 §14) give a 206; a range that cannot be read (another unit, several "
        "ranges, invalid syntax) is ignored and the whole file sent. HEAD answers the same headers.",
        responses={
            200: {"description": "the whole file", "content": file_content},
            206: {"description": "the requested byte range (Content-Range)", "content": file_content},
            304: {"description": "not modified (If-None-Match matched the ETag)"},
            404: {"model": api.ErrorResponse, "description": "no such run or file, or the path leaves RUN/ground/"},
            416: {"model": api.ErrorResponse, "description": "range starts past the end of the file"},
            **{k: v for k, v in api.ERROR_RESPONSES.items() if k != 404},
        },
        tags=["files"],
    )
    async def run_file(request: Request, run_id: str, path: str):  # any run_id: an unknown one is a 404
        run = app.state.runs.get(run_id)
        # Contained in the run folder the user named (its real path from the start), not in
        # wherever RUN/ground points now.
        found = resolve_inside(run.ground, path, within=run.path) if run is not None else None
        if found is None:
            # One answer for "no run", "no file" and "not yours": nothing about the disk leaks.
            return _json_error(404, f"no file {path!r} in run {run_id!r}'s ground folder")
        return RangeFileResponse(found)

    local = None if allow_remote else LOCAL_HOSTS
    app.add_middleware(_Guard, allowed_hosts=local)
    return app
