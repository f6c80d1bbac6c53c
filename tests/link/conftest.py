"""Fixtures of the link tests: a synthetic flight run and a synthetic onboard product set.

The flight stage's outputs follow docs/run-folder.md; this builds a small stand-in with the same
schema (a smooth made-up descent, not physics) so the link is tested alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ENTRY_UTC = "2021-02-18T20:36:38.000Z"  # REFERENCE.md: ERT 20:48:00 minus 682 s
EVENTS = [
    ("entry_interface", 0.0),
    ("peak_heating", 80.0),
    ("peak_deceleration", 90.0),
    ("parachute_deploy", 240.0),
    ("heatshield_separation", 260.0),
    ("backshell_separation", 340.0),
    ("powered_descent_start", 341.0),
    ("skycrane_start", 390.0),
    ("touchdown", 410.0),
]


def _utc(t_s: float) -> str:
    from edlcam.link.clock import utc_iso, utc_to_unix_s

    return utc_iso(utc_to_unix_s(ENTRY_UTC) + t_s)


def make_flight(run: Path, step_s: float = 0.5) -> None:
    """Write flight/trajectory.parquet and flight/events.json for a made-up 410 s descent."""
    t = np.arange(0.0, 410.0 + 1e-9, step_s)
    alt = 125_000.0 * (1 - t / 410.0) ** 1.6
    speed = np.interp(t, [0, 60, 90, 140, 240, 260, 340, 390, 410], [5400, 5300, 3500, 1200, 420, 160, 89, 0.75, 0.75])
    rho = 0.02 * np.exp(-alt / 11_100.0)
    phase = np.where(t < 240, "entry", np.where(t < 341, "parachute", np.where(t < 390, "powered", "skycrane")))
    phase[-1] = "landed"
    east = -600_000.0 * (1 - t / 410.0) ** 2
    cols = {
        "t_s": t,
        "altitude_m": alt,
        "height_agl_m": alt + 2500.0,
        "lat_deg": np.full_like(t, 18.4),
        "lon_deg": np.full_like(t, 77.4),
        "east_m": east,
        "north_m": np.zeros_like(t),
        "up_m": alt,
        "ve_m_s": speed,
        "vn_m_s": np.zeros_like(t),
        "vu_m_s": -np.gradient(alt, t),
        "speed_m_s": speed,
        "flight_path_angle_deg": np.full_like(t, -15.0),
        "heading_deg": np.full_like(t, 78.0),
        "mach": speed / 230.0,
        "dynamic_pressure_pa": 0.5 * rho * speed**2,
        "density_kg_m3": rho,
        "pressure_pa": rho * 192.0 * 200.0,
        "temperature_k": np.full_like(t, 200.0),
        "decel_g": 0.5 * rho * speed**2 * 1.7 * 15.9 / 3440.0 / 9.80665,
        "mass_kg": np.full_like(t, 3440.0),
        "bank_deg": np.zeros_like(t),
        "throttle": np.zeros_like(t),
        "range_to_target_m": -east,
        "phase": phase,
        # body +z straight up: the antenna looks at the sky
        "qw": np.ones_like(t),
        "qx": np.zeros_like(t),
        "qy": np.zeros_like(t),
        "qz": np.zeros_like(t),
    }
    (run / "flight").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), run / "flight" / "trajectory.parquet")
    events = []
    for name, t_s in EVENTS:
        i = int(round(t_s / step_s))
        ev = {
            "name": name,
            "t_s": t_s,
            "altitude_m": float(alt[i]),
            "height_agl_m": float(alt[i] + 2500.0),
            "speed_m_s": float(speed[i]),
            "mach": float(speed[i] / 230.0),
            "dynamic_pressure_pa": float(cols["dynamic_pressure_pa"][i]),
            "utc": _utc(t_s),
        }
        if name == "touchdown":
            ev.update(vertical_speed_m_s=0.75, horizontal_speed_m_s=0.0, miss_distance_m=10.0)
        events.append(ev)
    (run / "flight" / "events.json").write_text(json.dumps({"events": events, "minor_events": []}))


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
