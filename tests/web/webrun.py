"""A small synthetic run folder for the viewer's tests and its load benchmark.

The stages before the viewer are stood in for with their documented schemas (docs/run-folder.md):
a smooth made-up 410 s descent (not physics) with the nine EDL events at the NASA timeline's
times (REFERENCE.md), telemetry made by the link stage's own :func:`write_telemetry` from it,
received JPEG thumbnails with a manifest and a relay summary, and tiny films made with PyAV —
``landing.mp4`` (H.264 + AAC) spanning the parachute deploy, and ``rdc.mp4`` — plus a
``catalog.sqlite`` and a ``report.html`` standing in for the ground stage's.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np
from synthetic_flight import ENTRY_UTC, EVENTS, make_flight

CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium, installed by the Makefile
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "LiveServer", "open_page", "ENTRY_UTC", "EVENTS", "LANDING_T0_S", "LANDING_DURATION_S", "RDC_T0_S", "make_run", "make_film"]

LANDING_T0_S = 232.0  # the synthetic composite film starts 8 s before parachute deploy
LANDING_DURATION_S = 16.0
RDC_T0_S = 262.0  # the synthetic RDC film starts at its first video product
FPS = 10


def _frame(k: int, n: int, w: int, h: int, hue: int) -> np.ndarray:
    """A test card: a gradient, a bar whose length is the film's progress, and a hue per film."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = (x * 255 // max(w - 1, 1)).astype(np.uint8)
    img[..., 1] = (y * 255 // max(h - 1, 1)).astype(np.uint8)
    img[..., 2] = hue
    img[h - 12 : h - 4, 4 : 4 + (w - 8) * (k + 1) // n] = (255, 255, 255)
    return img


def make_film(path: Path, *, seconds: float, hue: int, w: int = 192, h: int = 144, audio: bool = True, t_start_tag: float | None = None) -> None:
    """An H.264 (+ AAC) MP4 made with PyAV; faststart so a browser can play it while loading."""
    import av

    n = int(round(seconds * FPS))
    # use_metadata_tags: the MP4 muxer keeps only its known keys otherwise
    options = {"movflags": "+faststart+use_metadata_tags"}
    with av.open(str(path), "w", format="mp4", options=options) as c:
        if t_start_tag is not None:
            c.metadata["t_start_s"] = f"{t_start_tag:.3f}"
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "ultrafast", "g": str(FPS)}  # a key frame per second: seeks land anywhere
        a_s = c.add_stream("aac", rate=48_000) if audio else None
        for k in range(n):
            frame = av.VideoFrame.from_ndarray(_frame(k, n, w, h, hue), format="rgb24")
            frame.pts, frame.time_base = k, Fraction(1, FPS)
            for pkt in vs.encode(frame):
                c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)
        if a_s is not None:
            sr, block = 48_000, 1024
            t = np.arange(int(seconds * sr)) / sr
            pcm = (0.05 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
            for i in range(0, pcm.size - block + 1, block):
                af = av.AudioFrame.from_ndarray(pcm[None, i : i + block], format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = sr, i, Fraction(1, sr)
                for pkt in a_s.encode(af):
                    c.mux(pkt)
            for pkt in a_s.encode():
                c.mux(pkt)


def _jpeg(hue: int, k: int) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(_frame(k, 12, 80, 64, hue)).save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def make_products(run: Path, *, n_thumbs: int = 12, received_thumbs: int = 10) -> None:
    """onboard/products/ (manifest + files), link/summary.json, and the received thumbnails."""
    root = run / "onboard" / "products"
    received = run / "ground" / "received"
    products, got = [], []

    def add(pid, kind, camera, rel, data, priority, t0, t1, deliver):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        products.append({"id": pid, "kind": kind, "camera": camera, "path": rel, "size_bytes": len(data),
                         "sha256": hashlib.sha256(data).hexdigest(), "priority": priority, "t_start_s": t0,
                         "t_end_s": t1, "frame_first": 0, "frame_last": 0, "sclk_start": 0.0, "sclk_end": 0.0})  # fmt: skip
        if deliver:
            (received / rel).parent.mkdir(parents=True, exist_ok=True)
            (received / rel).write_bytes(data)
            got.append(pid)

    for i in range(n_thumbs):
        t0 = RDC_T0_S + 2.0 * i
        add(f"rdc-thumb-{i:06d}", "thumbnail", "rdc", f"rdc/thumb/{i:06d}.jpg", _jpeg(60, i), 10, t0, t0, i < received_thumbs)
    for i in range(3):
        t0 = 240.0 + 2.0 * i
        add(f"puc_a-thumb-{i:06d}", "thumbnail", "puc_a", f"puc_a/thumb/{i:06d}.jpg", _jpeg(200, i), 10, t0, t0, True)
    add("rdc-video-000000", "video", "rdc", "rdc/video/000000.mp4", b"\x00" * 3000, 60, RDC_T0_S, RDC_T0_S + 10.0, True)
    add("rdc-video-000001", "video", "rdc", "rdc/video/000001.mp4", b"\x01" * 3000, 60, RDC_T0_S + 10.0, RDC_T0_S + 20.0, False)
    add("mic-audio-000000", "audio", "microphone", "microphone/audio/000000.flac", b"fLaC" + b"\x00" * 500, 40, 262.0, 410.0, True)
    (root / "manifest.json").write_text(json.dumps({"products": products}))
    (run / "link").mkdir(parents=True, exist_ok=True)
    (run / "link" / "summary.json").write_text(json.dumps({"simulated_until_s": 345_600.0, "received_ids": sorted(got)}))


def make_ground(run: Path) -> None:
    """The ground stage's films, a catalog naming the composite's start, and a report."""
    ground = run / "ground"
    ground.mkdir(parents=True, exist_ok=True)
    make_film(ground / "landing.mp4", seconds=LANDING_DURATION_S, hue=30)
    make_film(ground / "rdc.mp4", seconds=6.0, hue=160, audio=False)
    with sqlite3.connect(ground / "catalog.sqlite") as con:
        con.execute("CREATE TABLE videos (name TEXT PRIMARY KEY, path TEXT, t_start_s REAL, t_end_s REAL)")
        con.execute("INSERT INTO videos VALUES ('landing', 'ground/landing.mp4', ?, ?)", (LANDING_T0_S, LANDING_T0_S + LANDING_DURATION_S))
    con.close()
    (ground / "report.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>report</title></head>"
        "<body><h1>Landing report</h1><p id='touchdown'>Touchdown at E+ 410.0 s</p></body></html>"
    )


def make_run(run: Path) -> Path:
    """The whole synthetic run folder; returns ``run``."""
    from edlcam.config.link import UhfConfig
    from edlcam.link.telemetry import write_telemetry

    run.mkdir(parents=True, exist_ok=True)
    make_flight(run)
    # The antenna looks straight up and MRO passes overhead: only plasma blackout drops packets.
    open_sky = UhfConfig(orbiter_crosstrack_m=0.0, orbiter_overhead_t_s=200.0, antenna_max_off_axis_deg=180.0, orbiter_min_elevation_deg=-10.0)
    write_telemetry(run, uhf=open_sky)
    make_products(run)
    make_ground(run)
    return run


class LiveServer:
    """The viewer app under uvicorn in a background thread; ``url`` is its base URL."""

    def __init__(self, app) -> None:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="off", access_log=False, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self._sock = sock
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10.0
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the viewer did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10.0)
        self._sock.close()


@contextmanager
def open_page(url: str):
    """A chromium page (Debian's, headless, new empty profile) on the viewer at ``url``, ready.

    ``page.problems`` collects console errors and warnings, page errors, failed requests and HTTP
    responses ≥ 400. Expected aborts are not problems: the media pipeline cancelling its own range
    reads as it seeks, and the page closing the live EventSource itself after "end".
    """
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="edlcam-chromium-") as profile, sync_playwright() as pw:
        # A persistent context on a new empty profile is chromium's --user-data-dir.
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, viewport={"width": 1400, "height": 1000}
        )
        page = ctx.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "")
                and (r.resource_type == "media" or "/live?" in r.url)
                else problems.append(f"request failed: {r.url} {r.failure}"))  # fmt: skip
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.problems = problems
        try:
            yield page
        finally:
            ctx.close()
