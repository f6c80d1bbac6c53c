"""The link: live EDL telemetry, and the footage home through relay orbiters.

Modules: :mod:`~edlcam.link.clock` (SCLK/SCET/ERT, light time), :mod:`~edlcam.link.channel`
(the radio seam), :mod:`~edlcam.link.packets` (CCSDS Space Packets, deframer),
:mod:`~edlcam.link.transfer` (CFDP class 2: the passes; :mod:`~edlcam.link.sender` the rover's side,
:mod:`~edlcam.link.receiver` the ground's), :mod:`~edlcam.link.passes`,
:mod:`~edlcam.link.planner`, :mod:`~edlcam.link.telemetry`, :mod:`~edlcam.link.live`,
:mod:`~edlcam.link.relay`. Names are re-exported lazily so ``edlcam --help`` stays fast.
"""

from __future__ import annotations

import importlib

__all__ = [
    "Channel",
    "PerfectChannel",
    "LossyChannel",
    "SimClock",
    "SclkCorrelation",
    "light_time_s",
    "Packet",
    "pack_packet",
    "deframe",
    "Pass",
    "build_schedule",
    "TransferEngine",
    "FileJob",
    "request_products",
    "request_status",
    "write_telemetry",
    "run_relay",
]

_WHERE = {
    "Channel": "channel",
    "PerfectChannel": "channel",
    "LossyChannel": "channel",
    "SimClock": "clock",
    "SclkCorrelation": "clock",
    "light_time_s": "clock",
    "Packet": "packets",
    "pack_packet": "packets",
    "deframe": "packets",
    "Pass": "passes",
    "build_schedule": "passes",
    "TransferEngine": "transfer",
    "FileJob": "transfer",
    "request_products": "planner",
    "request_status": "planner",
    "write_telemetry": "telemetry",
    "run_relay": "relay",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"edlcam.link.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'edlcam.link' has no attribute {name!r}")
