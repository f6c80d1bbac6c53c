"""The web viewer and mission control: ``edlcam view RUN...``.

A FastAPI app (:func:`create_app`) serving a static page (the film with seeking, synchronized
flight charts, event markers, camera switch, received thumbnails with full-quality requests,
the ground report) and a live replay of the EDL telemetry on the Earth-received clock.
"""

from edlcam.ground.web.app import create_app
from edlcam.ground.web.media import parse_range, resolve_inside

__all__ = ["create_app", "parse_range", "resolve_inside"]
