"""Live EDL telemetry as the ground received it: UHF via MRO, and X-band tones direct to Earth.

During Mars 2020's landing only engineering data went out (REFERENCE.md): a thin UHF stream to
MRO, relayed to Earth in near real time, and X-band "semaphore" tones straight to Earth marking
each event. This module turns a flight run (its trajectory and events, read through
:mod:`edlcam.runfolder`) into that stream:

- every ``[link.uhf] interval_s`` a telemetry Space Packet (time, altitude, height, speed,
  vertical speed, sensed deceleration, Mach, dynamic pressure, phase) and at each event an event
  packet, queued on the UHF radio at ``rate_bps`` (est. 8 kbit/s) and pushed through a Channel;
- a packet is lost when MRO cannot hear it: plasma blackout while the convective heating
  proxy √ρ·v³ (Sutton & Graves 1971, NASA TR R-376: q̇ = k √(ρ/r_n) v³) exceeds
  ``blackout_heating_fraction`` of its peak (est.); MRO below ``orbiter_min_elevation_deg``
  as seen from the vehicle; or MRO more than ``antenna_max_off_axis_deg`` off the body +z axis
  (the backshell's parachute-cone antenna, then the descent stage's; est.);
- MRO flies a circular orbit at ``orbiter_altitude_m`` whose ground track passes
  ``orbiter_crosstrack_m`` from the target at ``orbiter_overhead_t_s`` on heading
  ``orbiter_heading_deg`` (all est.; Mars' rotation during the 7 minutes is neglected);
- X-band tones leave at each event's SCET and need no relay (Earth visibility not modelled);
- the relay (``[link.uhf] relay``: MRO for Mars 2020, the MarCO CubeSats for InSight) forwards
  what it heard to Earth after ``relay_latency_s`` (its store and forward); each UHF record names
  it in ``relay``, each tone says ``"DTE"`` (direct to Earth).

The ground decodes what arrives (CRC-checked, :func:`edlcam.link.packets.deframe`) and writes
``RUN/link/telemetry.jsonl``: one record per line, sorted by Earth-received time, each with
``t_s`` (since entry), ``scet`` and ``ert`` (ISO UTC) and ``ert_offset_s`` (ERT − SCET of
entry interface, the clock of the live display).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.flight.events import EVENT_NAMES  # the run-folder contract
from edlcam.link.channel import Channel, PerfectChannel
from edlcam.link.clock import light_time_s, light_times_s, utc_iso, utc_to_unix_s
from edlcam.link.packets import APID_EVENT, APID_TELEMETRY, SequenceCounter, deframe, pack_packet

__all__ = [
    "PHASES",
    "EVENT_NAMES",
    "TELEMETRY_FORMAT",
    "EVENT_FORMAT",
    "DIRECT_TO_EARTH",
    "encode_telemetry",
    "decode_telemetry",
    "encode_event",
    "decode_event",
    "heating_proxy",
    "orbiter_position_m",
    "uhf_visibility",
    "Visibility",
    "build_telemetry",
    "write_telemetry",
]

PHASES = ("entry", "parachute", "powered", "skycrane", "landed")
# t_s (f8); altitude, height AGL, speed, vertical speed, decel [g], Mach, dynamic pressure (f4); phase (u8)
TELEMETRY_FORMAT = ">d7fB"
EVENT_FORMAT = ">dB"  # t_s, index into EVENT_NAMES
_TLM_FIELDS = ("altitude_m", "height_agl_m", "speed_m_s", "vu_m_s", "decel_g", "mach", "dynamic_pressure_pa")
DIRECT_TO_EARTH = "DTE"  # a record's ``relay`` when nothing relayed it: the X-band tones
_GM_M3_S2 = 4.2828e13  # NSSDC Mars Fact Sheet
_R_M = 3396.19e3  # MOLA reference radius (Smith et al. 2001)


def encode_telemetry(t_s: float, values: dict, phase: str) -> bytes:
    """Pack one telemetry sample (fields of ``_TLM_FIELDS`` in SI units) as packet user data."""
    return struct.pack(TELEMETRY_FORMAT, t_s, *(float(values[k]) for k in _TLM_FIELDS), PHASES.index(phase))


def decode_telemetry(data: bytes) -> dict:
    """Inverse of :func:`encode_telemetry` (values as float32 were sent)."""
    t_s, *vals, phase = struct.unpack(TELEMETRY_FORMAT, data)
    out = {"t_s": t_s, **{k: float(v) for k, v in zip(_TLM_FIELDS, vals)}}
    out["phase"] = PHASES[phase] if phase < len(PHASES) else "unknown"
    return out


def encode_event(t_s: float, name: str) -> bytes:
    """Pack an event call-out as packet user data."""
    return struct.pack(EVENT_FORMAT, t_s, EVENT_NAMES.index(name))


def decode_event(data: bytes) -> dict:
    """Inverse of :func:`encode_event`."""
    t_s, code = struct.unpack(EVENT_FORMAT, data)
    return {"t_s": t_s, "event": EVENT_NAMES[code] if code < len(EVENT_NAMES) else "unknown"}


def heating_proxy(density_kg_m3, speed_m_s):
    """Sutton–Graves convective heating shape √ρ·v³ (NASA TR R-376), arbitrary units."""
    return np.sqrt(np.maximum(np.asarray(density_kg_m3, float), 0.0)) * np.asarray(speed_m_s, float) ** 3


def orbiter_position_m(t_s, *, altitude_m: float, overhead_t_s: float, crosstrack_m: float, heading_deg: float):
    """Orbiter position [m], shape (N, 3), in a Mars-centred frame with axes along the target's ENU.

    Circular orbit (mean motion n = √(GM/r³)) on the great circle through the point
    ``crosstrack_m`` to the right of the target, flying ``heading_deg`` there at ``overhead_t_s``.
    """
    t = np.atleast_1d(np.asarray(t_s, float))
    r = _R_M + altitude_m
    n = math.sqrt(_GM_M3_S2 / r**3)
    psi = math.radians(heading_deg)
    along = np.array([math.sin(psi), math.cos(psi), 0.0])
    cross = np.array([math.cos(psi), -math.sin(psi), 0.0])
    phi0 = crosstrack_m / _R_M
    p0 = math.cos(phi0) * np.array([0.0, 0.0, 1.0]) + math.sin(phi0) * cross
    theta = n * (t - overhead_t_s)
    return r * (np.cos(theta)[:, None] * p0 + np.sin(theta)[:, None] * along)


def _rotate_body_z(qw, qx, qy, qz):
    """Body +z axis in ENU for body→ENU quaternions (scalar first), shape (N, 3)."""
    return np.stack(
        [2 * (qx * qz + qw * qy), 2 * (qy * qz - qw * qx), 1 - 2 * (qx * qx + qy * qy)],
        axis=-1,
    )


@dataclass(frozen=True)
class Visibility:
    """Why the UHF link to the orbiter is up or down at each sample (arrays, one per sample)."""

    blackout: np.ndarray
    elevation_deg: np.ndarray
    off_axis_deg: np.ndarray
    up: np.ndarray


def uhf_visibility(samples: dict, uhf) -> Visibility:
    """UHF link state to MRO for trajectory ``samples`` (arrays by column) under ``[link.uhf]``."""
    q = heating_proxy(samples["density_kg_m3"], samples["speed_m_s"])
    blackout = q > uhf.blackout_heating_fraction * float(np.max(q)) if q.size and np.max(q) > 0 else np.zeros(q.shape, bool)
    veh = np.stack([samples["east_m"], samples["north_m"], samples["up_m"] + _R_M], axis=-1)
    orb = orbiter_position_m(
        samples["t_s"],
        altitude_m=uhf.orbiter_altitude_m,
        overhead_t_s=uhf.orbiter_overhead_t_s,
        crosstrack_m=uhf.orbiter_crosstrack_m,
        heading_deg=uhf.orbiter_heading_deg,
    )
    los = orb - veh
    los_unit = los / np.linalg.norm(los, axis=-1, keepdims=True)
    up = veh / np.linalg.norm(veh, axis=-1, keepdims=True)
    elevation = np.degrees(np.arcsin(np.clip(np.sum(los_unit * up, axis=-1), -1, 1)))
    axis = _rotate_body_z(samples["qw"], samples["qx"], samples["qy"], samples["qz"])
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    off_axis = np.degrees(np.arccos(np.clip(np.sum(axis * los_unit, axis=-1), -1, 1)))
    link_up = (~blackout) & (elevation >= uhf.orbiter_min_elevation_deg) & (off_axis <= uhf.antenna_max_off_axis_deg)
    return Visibility(blackout=blackout, elevation_deg=elevation, off_axis_deg=off_axis, up=link_up)


_COLUMNS = (
    "t_s", "altitude_m", "height_agl_m", "east_m", "north_m", "up_m", "vu_m_s", "speed_m_s", "mach",
    "dynamic_pressure_pa", "density_kg_m3", "decel_g", "qw", "qx", "qy", "qz", "phase",
)  # fmt: skip


def _read_flight(run_dir: Path) -> tuple[dict, list[dict], str]:
    traj = runfolder.read_trajectory(run_dir, _COLUMNS)
    events = runfolder.read_events(run_dir)
    entry = events.require("entry_interface", "the telemetry's clock starts at", field="utc")
    return traj.as_dict(), [e.as_dict() for e in events.major], str(entry.get("utc"))


def _sample(cols: dict, t: np.ndarray) -> dict:
    out = {"t_s": t}
    for c in _COLUMNS:
        if c in ("t_s", "phase"):
            continue
        out[c] = np.interp(t, cols["t_s"], cols[c].astype(float))
    idx = np.clip(np.searchsorted(cols["t_s"], t, side="right") - 1, 0, len(cols["t_s"]) - 1)
    out["phase"] = np.asarray(cols["phase"], dtype=object)[idx]
    return out


def build_telemetry(run_dir, *, uhf, channel: Channel | None = None) -> list[dict]:
    """The EDL telemetry records the ground received, sorted by Earth-received time."""
    run_dir = Path(run_dir)
    cols, events, entry_utc = _read_flight(run_dir)
    entry_unix = utc_to_unix_s(entry_utc)
    channel = channel or PerfectChannel()
    t_end = float(cols["t_s"][-1])
    t = np.arange(0.0, t_end + 1e-9, uhf.interval_s)
    samples = _sample(cols, t)
    vis = uhf_visibility(samples, uhf)

    # The UHF queue: telemetry and event packets in time order, serialised at rate_bps.
    queue = [(float(ti), 1, "tlm", i) for i, ti in enumerate(t)]
    major = [e for e in events if e.get("name") in EVENT_NAMES]
    queue += [(float(e["t_s"]), 0, "event", e["name"]) for e in major]
    queue.sort()
    ev_times = np.array([q[0] for q in queue])
    ev_samples = _sample(cols, np.clip(ev_times, 0.0, t_end))
    ev_vis = uhf_visibility(ev_samples, uhf)
    seq = SequenceCounter()
    busy_s = 0.0
    sent_at: dict[tuple[int, int], float] = {}
    stream = b""
    received = []
    for k, (t_s, _, kind, ref) in enumerate(queue):
        if kind == "tlm":
            values = {f: samples[f][ref] for f in _TLM_FIELDS}
            data, apid = encode_telemetry(t_s, values, str(samples["phase"][ref])), APID_TELEMETRY
        else:
            data, apid = encode_event(t_s, ref), APID_EVENT
        count = seq.next(apid)
        frame = pack_packet(apid, count, data)
        start = max(t_s, busy_s)
        busy_s = start + len(frame) * 8 / uhf.rate_bps
        sent_at[(apid, count)] = busy_s
        if not ev_vis.up[k]:
            continue  # MRO does not hear it
        for out in channel.transmit(frame):
            stream += out
        packets, stream, _junk = deframe(stream, apids=(APID_TELEMETRY, APID_EVENT))
        received.extend(packets)
    for out in channel.flush():
        stream += out
    packets, _, _ = deframe(stream, apids=(APID_TELEMETRY, APID_EVENT), final=True)
    received.extend(packets)

    records = []
    seen = set()
    for pkt in received:
        key = (pkt.apid, pkt.seq_count)
        if key in seen:  # a duplicate from the channel
            continue
        seen.add(key)
        rec = decode_telemetry(pkt.data) if pkt.apid == APID_TELEMETRY else decode_event(pkt.data)
        rec = {"kind": "telemetry" if pkt.apid == APID_TELEMETRY else "event", **rec, "relay": uhf.relay}
        records.append((sent_at[key] + uhf.relay_latency_s, rec))
    for i, e in enumerate(major):
        records.append((float(e["t_s"]), {"kind": "tone", "t_s": float(e["t_s"]), "event": e["name"], "tone": i + 1, "relay": DIRECT_TO_EARTH}))
    entry_ert = entry_unix + light_time_s(entry_unix)
    out = []
    lights = light_times_s([entry_unix + sent_s for sent_s, _ in records])  # one ephemeris evaluation for all
    for (sent_s, rec), light in zip(records, lights):
        scet = entry_unix + sent_s
        ert = scet + light
        out.append({**rec, "scet": utc_iso(entry_unix + rec["t_s"]), "ert": utc_iso(ert), "ert_offset_s": round(ert - entry_ert, 4)})
    out.sort(key=lambda r: (r["ert_offset_s"], r["kind"]))
    return out


def write_telemetry(run_dir, *, uhf, channel: Channel | None = None) -> Path:
    """Build the received telemetry and write ``RUN/link/telemetry.jsonl``; return its path."""
    records = build_telemetry(run_dir, uhf=uhf, channel=channel)
    # written whole, then renamed (runfolder's writers): `edlcam live` never reads half
    return runfolder.write_jsonl(Path(run_dir) / runfolder.LINK_TELEMETRY, records)
