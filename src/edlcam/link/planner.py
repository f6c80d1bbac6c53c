"""What goes home first: thumbnails, then products by priority, then what the ground asks for.

Curiosity's descent imager sent its thumbnails first and full frames over the following weeks
(REFERENCE.md); the ground chose what to bring down after seeing the thumbnails. The plan here:

1. every ``thumbnail`` product, in priority order (then time);
2. every other product whose ``priority`` ≤ ``[link] auto_send_max_priority``, in priority order;
3. products the ground requested with :func:`request_products`, in request order, once the
   request has reached Mars (its time plus the one-way light time).

Requests are appended to ``RUN/link/requests.jsonl`` (one JSON object per line; the ground stage
and the web viewer call :func:`request_products`). A request is *pending* until a relay run
delivers every product it covers; :func:`request_status` tells.
"""

from __future__ import annotations

import bisect
import fcntl
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from edlcam import runfolder
from edlcam.errors import LinkError, RunFolderError
from edlcam.runfolder import PRODUCT_KINDS, Product  # Product: one manifest entry, re-exported

__all__ = [
    "Product",
    "Request",
    "QUALITY_KINDS",
    "KINDS",
    "read_manifest",
    "request_products",
    "read_requests",
    "request_status",
    "plan_order",
    "products_for_request",
]

KINDS = PRODUCT_KINDS
QUALITY_KINDS = {
    "thumbnail": ("thumbnail",),
    "browse": ("browse",),
    "full": ("video", "audio"),
    "lossless": ("lossless",),
}


@dataclass(frozen=True)
class Request:
    """A ground request for one camera's products over a time span, at a quality."""

    id: int
    camera: str
    t_start_s: float
    t_end_s: float
    quality: str
    requested_at_s: float  # simulated time after touchdown at which the ground asked


def read_manifest(run_dir: Path) -> list[Product]:
    """The onboard products of a run (:func:`edlcam.runfolder.read_manifest`)."""
    return list(runfolder.read_manifest(run_dir).products)


def _requests_path(run_dir: Path) -> Path:
    return Path(run_dir) / runfolder.LINK_REQUESTS


def _parse_request(line: str) -> Request | None:
    """The request on one journal line, or None if the line is torn or damaged."""
    try:
        r = json.loads(line)
        request = Request(
            id=int(r["id"]),
            camera=str(r["camera"]),
            t_start_s=float(r["t_start_s"]),
            t_end_s=float(r["t_end_s"]),
            quality=str(r["quality"]),
            requested_at_s=float(r["requested_at_s"]),
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError):
        return None
    if isinstance(r["id"], bool) or request.id < 1 or request.quality not in QUALITY_KINDS:
        return None
    if not all(math.isfinite(v) for v in (request.t_start_s, request.t_end_s, request.requested_at_s)):
        return None
    return request


def read_requests(run_dir: Path) -> list[Request]:
    """Every request made so far, in the order made.

    A torn or damaged line (a crash while writing, a hand edit) is not a request and is skipped;
    it still holds its place, so no later request takes its id (:func:`request_products`).
    """
    path = _requests_path(run_dir)
    if not path.exists():
        return []
    parsed = (_parse_request(line) for line in path.read_bytes().decode("utf-8", "replace").splitlines())
    return [r for r in parsed if r is not None]


def _next_request_id(journal: bytes) -> int:
    """One more than any id used, or any line written: a damaged line's id is never reused."""
    lines = [line for line in journal.decode("utf-8", "replace").splitlines() if line.strip()]
    ids = [r.id for r in map(_parse_request, lines) if r is not None]
    return max([len(lines), *ids]) + 1


def _last_simulated_s(run_dir: Path) -> float:
    summary = Path(run_dir) / runfolder.LINK_SUMMARY
    try:
        return float(json.loads(summary.read_text()).get("simulated_until_s", 0.0))
    except (OSError, json.JSONDecodeError, ValueError, TypeError, AttributeError):
        return 0.0  # no relay yet, or an unreadable summary: count from touchdown


def request_products(run_dir, camera: str, t_start_s: float, t_end_s: float, quality: str = "full") -> Request:
    """Ask for ``camera``'s products between ``t_start_s`` and ``t_end_s`` [s since entry].

    Appends to ``RUN/link/requests.jsonl``; the request counts from the end of the last relay
    run (when the ground had seen what came down). A later ``edlcam relay`` brings it.
    """
    if quality not in QUALITY_KINDS:
        raise LinkError(f"quality is {quality!r}; choose one of {', '.join(QUALITY_KINDS)}")
    if not t_end_s >= t_start_s:
        raise LinkError(f"t_end_s {t_end_s:g} is before t_start_s {t_start_s:g}; give the span in time order")
    run_dir = Path(run_dir)
    path = _requests_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one writer at a time, across processes: ids stay unique
        with open(fd, "rb", closefd=False) as f:
            journal = f.read()
        request = Request(
            id=_next_request_id(journal),
            camera=str(camera),
            t_start_s=float(t_start_s),
            t_end_s=float(t_end_s),
            quality=quality,
            requested_at_s=_last_simulated_s(run_dir),
        )
        line = (json.dumps(request.__dict__) + "\n").encode()
        if journal and not journal.endswith(b"\n"):
            line = b"\n" + line  # a torn last line (a crash mid-write) must not swallow this one
        os.write(fd, line)  # O_APPEND: one write of one line, at the end
        os.fsync(fd)  # on disk before the caller is told the request exists
    finally:
        os.close(fd)  # and the lock with it
    return request


def products_for_request(products: Iterable[Product], request: Request) -> list[Product]:
    """The products a request covers: its camera, its kinds, overlapping its time span."""
    kinds = QUALITY_KINDS[request.quality]
    return [
        p
        for p in products
        if p.camera == request.camera
        and p.kind in kinds
        and p.t_end_s >= request.t_start_s
        and p.t_start_s <= request.t_end_s
    ]


def plan_order(
    products: Sequence[Product],
    requests: Sequence[Request],
    *,
    auto_send_max_priority: int,
    at_s: float,
    uplink_delay_s: float,
) -> list[Product]:
    """The send order at simulated time ``at_s`` [s after touchdown] (see module doc).

    A request made at ``requested_at_s`` counts from ``requested_at_s + uplink_delay_s``.
    """

    def key(p: Product):
        return (p.priority, p.t_start_s, p.id)

    thumbs = sorted((p for p in products if p.kind == "thumbnail"), key=key)
    auto = sorted((p for p in products if p.kind != "thumbnail" and p.priority <= auto_send_max_priority), key=key)
    order = thumbs + auto
    seen = {p.id for p in order}
    for r in requests:
        if r.requested_at_s + uplink_delay_s > at_s:
            continue
        for p in sorted(products_for_request(products, r), key=lambda p: (p.t_start_s, p.id)):
            if p.id not in seen:
                seen.add(p.id)
                order.append(p)
    return order


class _ProductIndex:
    """Products by (camera, kind), sorted by start time, for finding what a request covers.

    A request's products are found by bisection: O(log n + covered) per request instead of a
    scan of every product, so statuses cost requests × log(products), not requests × products.
    """

    def __init__(self, products: Iterable[Product]) -> None:
        groups: dict[tuple[str, str], list[Product]] = {}
        for p in products:
            groups.setdefault((p.camera, p.kind), []).append(p)
        self._groups = {}
        for key, items in groups.items():
            items.sort(key=lambda p: (p.t_start_s, p.id))
            ends, top = [], -math.inf
            for p in items:  # running maximum of t_end_s: non-decreasing, so it can be bisected
                top = max(top, p.t_end_s)
                ends.append(top)
            self._groups[key] = (items, [p.t_start_s for p in items], ends)

    def covering(self, request: Request) -> list[Product]:
        """The same products as :func:`products_for_request`, in start-time order per kind."""
        out = []
        for kind in QUALITY_KINDS[request.quality]:
            items, starts, ends = self._groups.get((request.camera, kind), ((), (), ()))
            lo = bisect.bisect_left(ends, request.t_start_s)  # before lo every product ends too early
            hi = bisect.bisect_right(starts, request.t_end_s)  # from hi on every product starts too late
            out += [p for p in items[lo:hi] if p.t_end_s >= request.t_start_s]
        return out


def request_status(run_dir, requests: Sequence[Request] | None = None, *, received_ids=None,
                   received_dir=None) -> list[dict]:
    """Each request (every one made, or those given) with ``status`` ``pending`` or ``delivered``
    and its product counts.

    What came home is the last relay summary's ``received_ids`` in RUN/ground/received, unless
    ``received_ids``/``received_dir`` give it (a relay building its output beside the old one).
    """
    run_dir = Path(run_dir)
    requests = read_requests(run_dir) if requests is None else requests
    if not requests:
        return []
    try:
        index = _ProductIndex(read_manifest(run_dir))
    except RunFolderError:
        index = _ProductIndex([])
    received_dir = run_dir / runfolder.RECEIVED_DIR if received_dir is None else Path(received_dir)
    received = set()
    summary = run_dir / runfolder.LINK_SUMMARY
    if received_ids is not None:
        received = set(received_ids)
    elif summary.exists():
        try:
            received = set(json.loads(summary.read_text()).get("received_ids", []))
        except json.JSONDecodeError:
            received = set()
    out = []
    for r in requests:
        covered = index.covering(r)
        got = [p for p in covered if p.id in received and (received_dir / p.path).exists()]
        status = "delivered" if covered and len(got) == len(covered) else "pending"
        out.append({**r.__dict__, "status": status, "products": len(covered), "received": len(got)})
    return out
