"""Fixtures of the link tests: a synthetic flight run and a synthetic onboard product set.

The flight stage's outputs follow docs/run-folder.md; this builds a small stand-in with the same
schema (a smooth made-up descent, not physics) so the link is tested alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from synthetic_flight import make_flight


def make_products(run: Path, *, n_frames: int = 6, seed: int = 7, big_bytes: int = 40_000) -> list[dict]:
    """Write onboard/products/ with thumbnails, browse, video, audio and a manifest."""
    rng = np.random.default_rng(seed)
    root = run / "onboard" / "products"
    products = []

    def add(pid, kind, camera, rel, size, priority, t0, t1):
        data = rng.bytes(size)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        products.append(
            {
                "id": pid, "kind": kind, "camera": camera, "path": rel, "size_bytes": size,
                "sha256": hashlib.sha256(data).hexdigest(), "priority": priority,
                "t_start_s": t0, "t_end_s": t1, "frame_first": 0, "frame_last": 0,
                "sclk_start": 0.0, "sclk_end": 0.0,
            }
        )  # fmt: skip

    for i in range(n_frames):
        t0 = 262.0 + 10 * i
        add(f"rdc-thumb-{i:06d}", "thumbnail", "rdc", f"rdc/thumb/{i:06d}.jpg", int(rng.integers(800, 3000)), 10, t0, t0)
    add("rdc-browse-000000", "browse", "rdc", "rdc/browse/000000.jpg", 12_000, 30, 262.0, 262.0)
    add("rdc-video-000000", "video", "rdc", "rdc/video/000000.mp4", big_bytes, 60, 262.0, 330.0)
    add("rdc-video-000001", "video", "rdc", "rdc/video/000001.mp4", big_bytes, 60, 330.0, 410.0)
    add("mic-audio-000000", "audio", "microphone", "microphone/audio/000000.flac", 9_000, 40, 262.0, 410.0)
    (root / "manifest.json").write_text(json.dumps({"products": products}))
    return products


@pytest.fixture
def flight_run(tmp_path) -> Path:
    run = tmp_path / "run"
    make_flight(run)
    return run


@pytest.fixture
def product_run(tmp_path) -> Path:
    run = tmp_path / "run"
    make_flight(run)
    make_products(run)
    return run
