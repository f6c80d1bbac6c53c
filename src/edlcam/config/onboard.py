"""Mission-file section of the onboard stage (owned by that stage; declarations only)."""

from __future__ import annotations

from edlcam.config.base import Section

__all__ = ["OnboardConfig"]


class OnboardConfig(Section):
    """[onboard] table of the mission file."""
