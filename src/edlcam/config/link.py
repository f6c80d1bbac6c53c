"""Mission-file section of the link stage (owned by that stage; declarations only)."""

from __future__ import annotations

from edlcam.config.base import Section

__all__ = ["LinkConfig"]


class LinkConfig(Section):
    """[link] table of the mission file."""
