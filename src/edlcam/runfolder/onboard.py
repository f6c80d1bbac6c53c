"""The onboard stage's files: the capture rates, ``onboard/products/manifest.json``, store paths.

The rate each source records at is decided once, here (:func:`capture_rates`, from the mission
and the quality); ``edlcam film`` records at it and writes it into the manifest
(``rates_hz``), and the products and the ground read it from there instead of inferring it from
frame times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from edlcam.errors import MissionError
from edlcam.runfolder.files import MANIFEST, STORE_DIR, corrupt, read_json, write_json

__all__ = [
    "CaptureRate",
    "capture_rates",
    "PRODUCT_KINDS",
    "Product",
    "Manifest",
    "read_manifest",
    "write_manifest",
    "store_dir",
]

PRODUCT_KINDS = ("thumbnail", "browse", "video", "lossless", "audio")


@dataclass(frozen=True)
class CaptureRate:
    """The rate a source records at: its sensor's rate and the share of its frames kept.

    ``sensor_hz``: frames (or audio samples) per second the sensor delivers —
    ``[onboard.capture.<source>] fps`` if given, else ``[cameras.views.<source>] fps``; the
    microphone's ``[microphone] sample_rate_hz``. ``keep_every``: a preview keeps every n-th
    frame (``preview_rate_divisor``); 1 at full quality and for audio. A frame's index counts the
    sensor's frames, so a preview frame and a full-quality frame of the same index are the same
    moment.
    """

    source: str
    sensor_hz: float
    keep_every: int = 1

    @property
    def rate_hz(self) -> float:
        """Frames (samples) recorded per second."""
        return self.sensor_hz / self.keep_every


def capture_rates(mission, quality: str = "full") -> dict[str, CaptureRate]:
    """The recording rate of every camera of the mission and of the microphone, at ``quality``."""
    if quality not in ("preview", "full"):
        raise MissionError(f"quality is {quality!r}; use 'preview' or 'full'")
    capture = mission.onboard.capture
    out: dict[str, CaptureRate] = {}
    for name, view in mission.cameras.views.items():
        cap = capture.get(name)
        override = getattr(cap, "fps", None)
        sensor_hz = float(override if override is not None else view.fps)
        if override is not None and view.max_exposure_s >= 1.0 / sensor_hz:
            raise MissionError(
                f"onboard.capture.{name}.fps is {sensor_hz:g}, but [cameras.views.{name}] max_exposure_s "
                f"{view.max_exposure_s:g} s does not fit in one frame at that rate; make the exposure shorter "
                f"than {1.0 / sensor_hz:g} s or lower the rate"
            )
        keep = int(view.preview_rate_divisor) if quality == "preview" else 1
        out[name] = CaptureRate(name, sensor_hz, keep)
    out["microphone"] = CaptureRate("microphone", float(mission.microphone.sample_rate_hz), 1)
    return out


@dataclass(frozen=True)
class Product:
    """One entry of the manifest (docs/run-folder.md): a file of ``onboard/products/`` to send home."""

    id: str
    kind: str
    camera: str
    path: str  # relative to onboard/products/
    size_bytes: int
    sha256: str
    priority: int
    t_start_s: float
    t_end_s: float
    # The manifest always gives these four; the defaults serve products made by hand (tools, tests).
    frame_first: int = 0
    frame_last: int = 0
    sclk_start: float = 0.0
    sclk_end: float = 0.0
    encoding: str | None = None  # a lossless product's pixels: bayer_rggb8, rgb8 or mono8

    def as_dict(self) -> dict:
        """The entry as the manifest holds it (``encoding`` only where there is one)."""
        d = asdict(self)
        if d["encoding"] is None:
            del d["encoding"]
        return d


_FIELDS = {
    "id": str, "kind": str, "camera": str, "path": str, "size_bytes": int, "sha256": str, "priority": int,
    "t_start_s": float, "t_end_s": float, "frame_first": int, "frame_last": int, "sclk_start": float,
    "sclk_end": float,
}  # fmt: skip


@dataclass(frozen=True)
class Manifest:
    """``onboard/products/manifest.json``: every product and the rate each source recorded at."""

    path: Path
    products: tuple[Product, ...]
    rates_hz: Mapping[str, float] = field(default_factory=dict)
    quality: str | None = None

    def rate_hz(self, source: str) -> float:
        """The rate ``source`` recorded at [frames or samples per second], as film wrote it."""
        if source not in self.rates_hz:
            run = self.path.parents[2]
            raise corrupt(run, self.path, f"no recorded rate for {source!r} in 'rates_hz'")
        return float(self.rates_hz[source])


def read_manifest(run: str | Path) -> Manifest:
    """RUN/onboard/products/manifest.json, every field typed and checked."""
    run = Path(run)
    path = run / MANIFEST
    data = read_json(run, path)
    raw = data.get("products")
    if not isinstance(raw, list):
        raise corrupt(run, path, "no 'products' list")
    products = []
    for i, p in enumerate(raw):
        typed = {}
        for name, cast in _FIELDS.items():
            try:
                value = p[name]
                if isinstance(value, bool):
                    raise TypeError(f"{value!r} is not a {cast.__name__}")
                typed[name] = cast(value)
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                why = "" if isinstance(exc, KeyError) else f" ({type(exc).__name__}: {exc})"
                raise corrupt(run, path, f"products[{i}] lacks or mistypes {name!r}{why}") from None
        encoding = p.get("encoding")
        product = Product(**typed, encoding=None if encoding is None else str(encoding))
        if product.kind not in PRODUCT_KINDS:
            raise corrupt(run, path, f"products[{i}].kind is {product.kind!r}, not one of {', '.join(PRODUCT_KINDS)}")
        if Path(product.path).is_absolute() or ".." in Path(product.path).parts:
            raise corrupt(run, path, f"products[{i}].path {product.path!r} is not relative to onboard/products/")
        products.append(product)
    rates = data.get("rates_hz", {})
    if not isinstance(rates, dict) or not all(isinstance(v, (int, float)) and v > 0 for v in rates.values()):
        raise corrupt(run, path, "'rates_hz' is not an object of positive rates")
    quality = data.get("quality")
    return Manifest(path, tuple(products), {str(k): float(v) for k, v in rates.items()},
                    None if quality is None else str(quality))


def write_manifest(run: str | Path, entries: Iterable[dict], *, rates: Mapping[str, CaptureRate],
                   quality: str) -> Path:
    """Write RUN/onboard/products/manifest.json: the quality, each source's rate, the products."""
    doc = {"quality": quality, "rates_hz": {k: r.rate_hz for k, r in sorted(rates.items())},
           "products": list(entries)}
    return write_json(Path(run) / MANIFEST, doc, indent=1)


def store_dir(run: str | Path, unit: str) -> Path:
    """RUN/onboard/store/<unit>: the crash-safe store of one DSU (``descent_stage`` or ``rover``)."""
    return Path(run) / STORE_DIR / unit
