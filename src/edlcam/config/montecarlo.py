"""Mission-file section of the montecarlo stage (owned by that stage; declarations only)."""

from __future__ import annotations

from edlcam.config.base import Section

__all__ = ["MontecarloConfig"]


class MontecarloConfig(Section):
    """[montecarlo] table of the mission file."""
