"""Files of a run folder over HTTP: safe path resolution and byte ranges (HTTP 206).

Two jobs, both small and both security- or standard-critical, so they are pure functions with
their own tests:

- :func:`resolve_inside` maps a URL path to a file *inside* one folder, or None. It refuses
  ``..`` segments, absolute paths, backslashes, NUL bytes and anything whose real path (symlinks
  followed) leaves the folder, before any file is opened.
- :func:`parse_range` reads a ``Range`` header per RFC 9110 §14 (HTTP Semantics, 2022):
  ``bytes=first-last``, ``bytes=first-``, ``bytes=-suffix``.

:class:`RangeFileResponse` serves a file with them. Starlette's ``FileResponse`` also serves
ranges, but answers ``400`` to a range unit or syntax it does not understand where RFC 9110
§14.2 says the server must ignore the header (and answer 200), and its 400/416 bodies are plain
text rather than this API's JSON error shape; hence this small response of our own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import anyio
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["FILE_TYPES", "ByteRange", "parse_range", "resolve_inside", "RangeFileResponse", "error_body"]

_CHUNK_BYTES = 64 * 1024
# The types served, whatever the host's /etc/mime.types says (so the OpenAPI schema can list
# them); any other file is application/octet-stream.
FILE_TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".png": "image/png", ".html": "text/html; charset=utf-8", ".json": "application/json",
          ".flac": "audio/flac", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}  # fmt: skip


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``first`` .. ``last`` (inclusive, as in ``Content-Range``) of a ``size``-byte file."""

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.size}"


# int-range / suffix-range of RFC 9110 §14.1.1 with optional whitespace around each position.
_RANGE_SPEC = re.compile(r"[ \t]*(?:([0-9]+)[ \t]*-[ \t]*([0-9]*)|-[ \t]*([0-9]+))[ \t]*")
_MAX_POSITION = 10**18  # beyond any file: a longer number is clamped rather than parsed (int() refuses > 4300 digits)


def _position(digits: str) -> int:
    """An ASCII decimal byte position, clamped to 10^18 (so 5000 digits cost nothing)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else _MAX_POSITION


def _less(a: str, b: str) -> bool:
    """``int(a) < int(b)`` for ASCII digit strings of any length, without converting them."""
    a, b = a.lstrip("0") or "0", b.lstrip("0") or "0"
    return (len(a), a) < (len(b), b)


def parse_range(header: str | None, size: int) -> ByteRange | None | str:
    """The byte range a ``Range`` header asks of a ``size``-byte file (RFC 9110 §14.1.2, §14.2).

    Returns a :class:`ByteRange` to answer 206; ``None`` to ignore the header and answer 200 with
    the whole file (no header, a unit other than ``bytes``, invalid syntax, or several ranges —
    §14.2 lets a server ignore Range, and media players ask for one range); or the string
    ``"unsatisfiable"`` to answer 416 (every range starts at or past the end, or a zero suffix).

    >>> parse_range("bytes=0-99", 1000).content_range
    'bytes 0-99/1000'
    >>> parse_range("bytes=-100", 1000).content_range
    'bytes 900-999/1000'
    >>> parse_range("bytes=1000-", 1000)
    'unsatisfiable'
    """
    if header is None:
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None  # §14.2: a range unit the server does not understand MUST be ignored
    if "," in spec:
        return None  # several ranges: answered with the whole file, as §14.2 allows
    # The ABNF's DIGIT is ASCII 0-9 only (RFC 5234 B.1): '²' or '١' make the spec invalid.
    m = _RANGE_SPEC.fullmatch(spec)
    if m is None:
        return None  # not a range-spec: invalid syntax is ignored (§14.2)
    first_s, last_s = (m.group(1), m.group(2)) if m.group(1) is not None else ("", m.group(3))
    if first_s:
        first = _position(first_s)
        if last_s and _less(last_s, first_s):
            return None  # §14.1.1: last-pos < first-pos makes the spec invalid: ignore it
        if first >= size:
            return "unsatisfiable"
        last = min(_position(last_s), size - 1) if last_s else size - 1
        return ByteRange(first, last, size)
    suffix = _position(last_s)
    if suffix == 0 or size == 0:
        return "unsatisfiable"  # §14.1.3: a suffix-length of 0 selects nothing
    return ByteRange(max(size - suffix, 0), size - 1, size)


def resolve_inside(root: Path, rel: str, *, within: Path | None = None) -> Path | None:
    """The regular file ``rel`` names under ``root``, or None if it is not strictly inside it.

    Checks the text first (so a hostile name never reaches the file system as a path to open),
    then the real path with symlinks followed, so a link pointing out of ``root`` is refused too.
    ``within`` is the folder the user named, as a real path (a run folder, resolved once when
    the viewer started, not again per request): ``root`` must then really lie strictly inside
    it, so a ``root`` that is a symlink to elsewhere (``RUN/ground -> /etc``), or a run folder
    swapped for a symlink after the start, serves nothing.
    """
    if not rel or "\x00" in rel or "\\" in rel or rel.startswith("/") or ":" in rel:
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    try:
        real_root = root.resolve(strict=True)
        if within is not None and (real_root == within or not real_root.is_relative_to(within)):
            return None
        target = (real_root / Path(*parts)).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a symlink loop, a name too long
        return None
    if not target.is_relative_to(real_root) or target == real_root:
        return None
    try:
        if not stat.S_ISREG(target.stat().st_mode):
            return None
    except OSError:
        return None
    return target


def error_body(status: int, title: str, detail) -> bytes:
    """The one JSON error shape of the viewer's HTTP API, as bytes."""
    return json.dumps({"error": {"status": status, "title": title, "detail": detail}}).encode()


class RangeFileResponse(Response):
    """A response serving one file with ``Range`` (206), ``If-Range`` and ``If-None-Match``.

    ``path`` must come from :func:`resolve_inside`. The status and headers are decided when it is
    sent (they depend on the request's headers and the file's size then).
    """

    def __init__(self, path: Path, *, media_type: str | None = None, cache_control: str = "no-cache") -> None:
        super().__init__()
        self.path = Path(path)
        self.media_type = media_type or FILE_TYPES.get(self.path.suffix.lower(), "application/octet-stream")
        self.cache_control = cache_control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        head_only = scope["method"] == "HEAD" or scope.get("edlcam.head", False)  # the app's HEAD-as-GET
        try:
            st = await anyio.to_thread.run_sync(os.stat, self.path)
        except OSError:
            await _send_error(send, 404, "Not Found", "the file is no longer there")
            return
        size = st.st_size
        last_modified = formatdate(st.st_mtime, usegmt=True)
        etag = '"' + hashlib.sha256(f"{st.st_mtime_ns}-{size}-{st.st_ino}".encode()).hexdigest()[:32] + '"'
        headers = Headers(scope=scope)
        base = [
            (b"accept-ranges", b"bytes"),
            (b"etag", etag.encode()),
            (b"last-modified", last_modified.encode()),
            (b"cache-control", self.cache_control.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
        inm = headers.get("if-none-match")
        if inm is not None and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
            await send({"type": "http.response.start", "status": 304, "headers": base})
            await send({"type": "http.response.body", "body": b""})
            return
        wanted = parse_range(headers.get("range"), size)
        if_range = headers.get("if-range")
        if wanted is not None and if_range is not None and if_range.strip() not in (etag, last_modified):
            wanted = None  # §13.1.5: the representation changed: send all of it
        if wanted == "unsatisfiable":
            body = error_body(416, "Range Not Satisfiable", f"the file has {size} bytes; ask for a range that starts before byte {size}")
            await send({"type": "http.response.start", "status": 416, "headers": base + [
                (b"content-range", f"bytes */{size}".encode()), (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode())]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        if isinstance(wanted, ByteRange):
            status, first, length = 206, wanted.first, wanted.length
            base.append((b"content-range", wanted.content_range.encode()))
        else:
            status, first, length = 200, 0, size
        base += [(b"content-type", self.media_type.encode()), (b"content-length", str(length).encode())]
        await send({"type": "http.response.start", "status": status, "headers": base})
        if head_only or length == 0:
            await send({"type": "http.response.body", "body": b""})
            return
        async with await anyio.open_file(self.path, "rb") as f:
            await f.seek(first)
            left = length
            while left > 0:
                chunk = await f.read(min(_CHUNK_BYTES, left))
                if not chunk:  # the file shrank under us: end the body short rather than hang
                    break
                left -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
            if left > 0:
                await send({"type": "http.response.body", "body": b""})


async def _send_error(send: Send, status: int, title: str, detail: str) -> None:
    body = error_body(status, title, detail)
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
