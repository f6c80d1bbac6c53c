"""The web viewer and mission control: ``edlcam view RUN...``.

A FastAPI app (:func:`create_app`) serving a static page (the film with seeking, synchronized
flight charts, event markers, camera switch, received thumbnails with full-quality requests,
the ground report) and a live replay of the EDL telemetry on the Earth-received clock.
Names are imported on first use, so that ``edlcam`` starts without loading FastAPI.
"""

from __future__ import annotations

from edlcam.lazy import lazy_names

__all__ = ["create_app", "parse_range", "resolve_inside"]

__getattr__ = lazy_names(__name__, {"create_app": "app", "parse_range": "media", "resolve_inside": "media"})
