"""Onboard stage: the capture schedule, the data storage units' crash-safe stores, the umbilical
between them, and the downlink products (docs/run-folder.md, ``onboard/``).

Names are imported on first use so that ``edlcam --help`` does not load numpy. The stage's call,
``edlcam.film``, is not re-exported here: ``edlcam.onboard.film`` is the module that implements it.
"""

from __future__ import annotations

import importlib

__all__ = [
    "CaptureWindow",
    "FilmResult",
    "Record",
    "RecordInfo",
    "Schedule",
    "StoreScan",
    "StoreWriter",
    "UmbilicalResult",
    "build_schedule",
    "iter_records",
    "load_events",
    "plan_umbilical",
    "scan_store",
]

_HOME = {
    "CaptureWindow": "schedule", "Schedule": "schedule", "build_schedule": "schedule", "load_events": "schedule",
    "FilmResult": "film",
    "Record": "store", "RecordInfo": "store", "StoreScan": "store", "StoreWriter": "store",
    "iter_records": "store", "scan_store": "store",
    "UmbilicalResult": "umbilical", "plan_umbilical": "umbilical",
}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"edlcam.onboard.{_HOME[name]}"), name)
    raise AttributeError(f"module 'edlcam.onboard' has no attribute {name!r}")
