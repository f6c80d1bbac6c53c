"""Shared fixtures: one nominal flight per test session (the flight takes ~15 s)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def nominal_run(tmp_path_factory):
    """A run folder with the default mission simulated (``edlcam simulate`` equivalent)."""
    from edlcam.flight.run import simulate
    from edlcam.mission import load_mission

    out = tmp_path_factory.mktemp("nominal_run")
    simulate(load_mission(), out)
    return out
