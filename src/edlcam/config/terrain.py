"""Mission-file section of the terrain stage (owned by that stage; declarations only)."""

from __future__ import annotations

from edlcam.config.base import Section

__all__ = ["TerrainConfig"]


class TerrainConfig(Section):
    """[terrain] table of the mission file."""
