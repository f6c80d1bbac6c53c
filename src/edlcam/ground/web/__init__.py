"""The web viewer and mission control: ``edlcam view RUN...``.

A FastAPI app (:func:`create_app`) serving a static page (the film with seeking, synchronized
flight charts, event markers, camera switch, received thumbnails with full-quality requests,
the ground report) and a live replay of the EDL telemetry on the Earth-received clock.
Names are imported on first use, so that ``edlcam`` starts without loading FastAPI.
"""

from __future__ import annotations

import importlib

__all__ = ["create_app", "parse_range", "resolve_inside"]

_HOME = {"create_app": "app", "parse_range": "media", "resolve_inside": "media"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"edlcam.ground.web.{_HOME[name]}"), name)
    raise AttributeError(f"module 'edlcam.ground.web' has no attribute {name!r}")
