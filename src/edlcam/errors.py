"""The exception tree of edlcam.

    EdlcamError                 base: the CLI prints its message as one line and exits 1
    ├── MissionError            a mission file is missing, malformed or out of range
    ├── FlightError             the flight could not be completed (skip-out, crash, no deploy)
    ├── RunFolderError          a run folder lacks a stage output, or it is corrupt
    ├── RenderError             rendering is impossible (no EGL, unknown camera, time outside flight)
    ├── StoreError              the onboard store is corrupt or full
    │   ├── StoreCorruptError   a segment failed its checksum (position given)
    │   └── StoreFullError      the disk filled while a store was written
    ├── LinkError               a pass schedule or link parameter is invalid; a transfer failed
    └── NavigationError         terrain-relative navigation got an unusable image, map or pose

Every message states the value, the limit and the fix, and names the file and field where
there is one.
"""

from __future__ import annotations

__all__ = [
    "EdlcamError",
    "MissionError",
    "FlightError",
    "RunFolderError",
    "RenderError",
    "StoreError",
    "StoreCorruptError",
    "LinkError",
    "NavigationError",
]


class EdlcamError(Exception):
    """Base class of every error edlcam reports to a user."""


class MissionError(EdlcamError):
    """A mission file is missing, malformed, or holds a value outside its limits."""


class FlightError(EdlcamError):
    """The simulated flight failed: what happened, and when."""


class RunFolderError(EdlcamError):
    """A run folder lacks a stage's output or holds a corrupt one."""


class RenderError(EdlcamError):
    """A frame cannot be rendered."""


class StoreError(EdlcamError):
    """The onboard store cannot be read or written."""


class StoreCorruptError(StoreError):
    """A store segment failed its integrity check."""


class StoreFullError(StoreError):
    """The disk filled while a store was written; what it had committed is sealed. ``where``: the
    file that could not be written (film, which builds its stores beside the old ones, says so)."""

    def __init__(self, message: str, where):  # where: a str or a path (no pathlib here: `import edlcam` stays cheap)
        super().__init__(message)
        self.where = where


class LinkError(EdlcamError):
    """A link parameter or pass schedule is invalid, or a transfer failed."""


class NavigationError(EdlcamError):
    """Terrain-relative navigation cannot run: an unreadable image, a map too small, a bad pose."""
