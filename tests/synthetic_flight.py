"""A made-up 410 s descent in the flight stage's schema (docs/run-folder.md), not physics: the
stand-in flight of the link and viewer tests (and of benchmarks/web_load.py).

The nine EDL events sit at the NASA timeline's times (REFERENCE.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["ENTRY_UTC", "EVENTS", "make_flight", "utc_at"]

ENTRY_UTC = "2021-02-18T20:36:38.000Z"  # REFERENCE.md: Earth-received entry 20:48 UTC minus 682 s light time
EVENTS = [  # REFERENCE.md, NASA landing timeline (E+ s)
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


def utc_at(t_s: float) -> str:
    """UTC (SCET) of E+ ``t_s``."""
    from edlcam.link.clock import utc_iso, utc_to_unix_s

    return utc_iso(utc_to_unix_s(ENTRY_UTC) + t_s)


def make_flight(run: Path, step_s: float = 0.5) -> None:
    """flight/trajectory.parquet and flight/events.json for a made-up descent."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = np.arange(0.0, 410.0 + 1e-9, step_s)
    alt = 125_000.0 * (1 - t / 410.0) ** 1.6
    speed = np.interp(t, [0, 60, 90, 140, 240, 260, 340, 390, 410], [5400, 5300, 3500, 1200, 420, 160, 89, 0.75, 0.75])
    rho = 0.02 * np.exp(-alt / 11_100.0)
    phase = np.where(t < 240, "entry", np.where(t < 341, "parachute", np.where(t < 390, "powered", "skycrane")))
    phase[-1] = "landed"
    east = -600_000.0 * (1 - t / 410.0) ** 2
    q = 0.5 * rho * speed**2
    cols = {
        "t_s": t, "altitude_m": alt, "height_agl_m": alt + 2500.0, "lat_deg": np.full_like(t, 18.4),
        "lon_deg": np.full_like(t, 77.4), "east_m": east, "north_m": np.zeros_like(t), "up_m": alt,
        "ve_m_s": speed, "vn_m_s": np.zeros_like(t), "vu_m_s": -np.gradient(alt, t), "speed_m_s": speed,
        "flight_path_angle_deg": np.full_like(t, -15.0), "heading_deg": np.full_like(t, 78.0),
        "mach": speed / 230.0, "dynamic_pressure_pa": q, "density_kg_m3": rho,
        "pressure_pa": rho * 192.0 * 200.0, "temperature_k": np.full_like(t, 200.0),
        "decel_g": q * 1.7 * 15.9 / 3440.0 / 9.80665, "mass_kg": np.full_like(t, 3440.0),
        "bank_deg": np.zeros_like(t), "throttle": np.zeros_like(t), "range_to_target_m": -east, "phase": phase,
        "qw": np.ones_like(t), "qx": np.zeros_like(t), "qy": np.zeros_like(t), "qz": np.zeros_like(t),
    }  # fmt: skip
    (run / "flight").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), run / "flight" / "trajectory.parquet")
    events = []
    for name, t_s in EVENTS:
        i = int(round(t_s / step_s))
        ev = {"name": name, "t_s": t_s, "altitude_m": float(alt[i]), "height_agl_m": float(alt[i] + 2500.0),
              "speed_m_s": float(speed[i]), "mach": float(speed[i] / 230.0),
              "dynamic_pressure_pa": float(q[i]), "utc": utc_at(t_s)}  # fmt: skip
        if name == "touchdown":
            ev.update(vertical_speed_m_s=0.75, horizontal_speed_m_s=0.0, miss_distance_m=10.0)
        events.append(ev)
    (run / "flight" / "events.json").write_text(json.dumps({"events": events, "minor_events": []}))
