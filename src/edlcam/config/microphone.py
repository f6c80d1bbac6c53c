"""Mission-file section of the microphone stage (owned by that stage; declarations only)."""

from __future__ import annotations

from edlcam.config.base import Section

__all__ = ["MicrophoneConfig"]


class MicrophoneConfig(Section):
    """[microphone] table of the mission file."""
