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

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from edlcam.errors import LinkError, RunFolderError

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

KINDS = ("thumbnail", "browse", "video", "lossless", "audio")
QUALITY_KINDS = {
    "thumbnail": ("thumbnail",),
    "browse": ("browse",),
    "full": ("video", "audio"),
    "lossless": ("lossless",),
}


@dataclass(frozen=True)
class Product:
    """One entry of ``onboard/products/manifest.json`` (schema in docs/run-folder.md)."""

    id: str
    kind: str
    camera: str
    path: str
    size_bytes: int
    sha256: str
    priority: int
    t_start_s: float
    t_end_s: float


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
    """The onboard products of a run; :class:`RunFolderError` names what is missing or wrong."""
    path = Path(run_dir) / "onboard" / "products" / "manifest.json"
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunFolderError(f"{path}: no product manifest; run `edlcam film {run_dir}` first") from None
    except json.JSONDecodeError as exc:
        raise RunFolderError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); re-run `edlcam film`") from None
    products = []
    for i, p in enumerate(raw.get("products", [])):
        try:
            product = Product(
                id=str(p["id"]),
                kind=str(p["kind"]),
                camera=str(p["camera"]),
                path=str(p["path"]),
                size_bytes=int(p["size_bytes"]),
                sha256=str(p["sha256"]),
                priority=int(p["priority"]),
                t_start_s=float(p["t_start_s"]),
                t_end_s=float(p["t_end_s"]),
            )
        except KeyError as exc:
            raise RunFolderError(f"{path}: products[{i}] lacks field {exc.args[0]!r}; see docs/run-folder.md") from None
        if product.kind not in KINDS:
            raise RunFolderError(f"{path}: products[{i}].kind is {product.kind!r}; expected one of {', '.join(KINDS)}")
        if Path(product.path).is_absolute() or ".." in Path(product.path).parts:
            raise RunFolderError(f"{path}: products[{i}].path {product.path!r} must be relative to onboard/products/")
        products.append(product)
    return products


def _requests_path(run_dir: Path) -> Path:
    return Path(run_dir) / "link" / "requests.jsonl"


def read_requests(run_dir: Path) -> list[Request]:
    """Every request made so far, in the order made (a torn last line is skipped)."""
    path = _requests_path(run_dir)
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            r = json.loads(line)
            out.append(Request(**{k: r[k] for k in Request.__dataclass_fields__}))
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line being written right now, or damaged: not a request
    return out


def _last_simulated_s(run_dir: Path) -> float:
    summary = Path(run_dir) / "link" / "summary.json"
    try:
        return float(json.loads(summary.read_text()).get("simulated_until_s", 0.0))
    except (FileNotFoundError, json.JSONDecodeError, ValueError):
        return 0.0


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
    request = Request(
        id=len(read_requests(run_dir)) + 1,
        camera=str(camera),
        t_start_s=float(t_start_s),
        t_end_s=float(t_end_s),
        quality=quality,
        requested_at_s=_last_simulated_s(run_dir),
    )
    with open(path, "a") as f:  # one write of one line: appends from two processes do not interleave
        f.write(json.dumps(request.__dict__) + "\n")
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


def request_status(run_dir) -> list[dict]:
    """Each request with ``status`` ``pending`` or ``delivered`` and its product counts."""
    run_dir = Path(run_dir)
    requests = read_requests(run_dir)
    if not requests:
        return []
    try:
        products = read_manifest(run_dir)
    except RunFolderError:
        products = []
    received_dir = run_dir / "ground" / "received"
    received = set()
    summary = run_dir / "link" / "summary.json"
    if summary.exists():
        try:
            received = set(json.loads(summary.read_text()).get("received_ids", []))
        except json.JSONDecodeError:
            received = set()
    out = []
    for r in requests:
        covered = products_for_request(products, r)
        got = [p for p in covered if p.id in received and (received_dir / p.path).exists()]
        status = "delivered" if covered and len(got) == len(covered) else "pending"
        out.append({**r.__dict__, "status": status, "products": len(covered), "received": len(got)})
    return out
