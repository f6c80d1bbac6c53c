"""Mission-file section of the cameras stage (owned by that stage; declarations only)."""

from __future__ import annotations

from edlcam.config.base import Section

__all__ = ["CamerasConfig"]


class CamerasConfig(Section):
    """[cameras] table of the mission file."""
