"""Ground stage: the catalog of what came home, time correlation, the film and per-camera videos,
the report, and the one-command demo (docs/run-folder.md, ``ground/``).

Names are imported on first use so that ``edlcam --help`` does not load numpy. The stage calls,
``edlcam.assemble``, ``edlcam.report`` and ``edlcam.demo``, are not re-exported here:
``edlcam.ground.assemble`` and ``edlcam.ground.demo`` are the modules behind them.
"""

from __future__ import annotations

import importlib

__all__ = [
    "TimeLine",
    "build_catalog",
    "open_catalog",
    "assemble_film",
    "probe",
    "write_report",
    "film_coverage",
]

_HOME = {
    "TimeLine": "timecorr",
    "build_catalog": "catalog", "open_catalog": "catalog",
    "assemble_film": "assemble", "probe": "assemble",
    "write_report": "report",
    "film_coverage": "demo",
}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"edlcam.ground.{_HOME[name]}"), name)
    raise AttributeError(f"module 'edlcam.ground' has no attribute {name!r}")
