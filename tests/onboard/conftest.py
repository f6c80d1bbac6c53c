"""Fixtures of the onboard tests; the synthetic sources live in onboard_fixtures.py."""

from __future__ import annotations

import pytest

from onboard_fixtures import (  # noqa: F401  (re-exported for the fixtures below)
    EVENTS,
    MINOR,
    Audio,
    Frame,
    SyntheticCameras,
    small_mission,
    synthetic_audio,
    synthetic_image,
    write_events,
)


@pytest.fixture
def run_dir(tmp_path):
    write_events(tmp_path)
    return tmp_path
