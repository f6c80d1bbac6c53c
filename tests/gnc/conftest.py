"""Shared fixtures of the navigation tests: the nominal run's terrain and a small onboard map of it."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def nav_mission():
    from edlcam.mission import load_mission

    return load_mission()


@pytest.fixture(scope="session")
def nav_terrain(nav_mission):
    from edlcam.mars.terrain import Terrain

    return Terrain.from_mission(nav_mission)


@pytest.fixture(scope="session")
def small_map(nav_mission, nav_terrain):
    """A 9 km onboard map at 9 m/px around the target (the flight's is 30 km at 6 m/px)."""
    from edlcam.gnc.onboard_map import build_onboard_map, map_sun_enu

    cfg = nav_mission.lvs.model_copy(update={"map_center_east_m": 0.0, "map_center_north_m": 0.0,
                                             "map_size_m": 9000.0, "appearance_m_per_px": 9.0})
    sun = map_sun_enu(cfg, nav_mission.target.latitude_deg, nav_mission.target.longitude_deg)
    return build_onboard_map(nav_terrain, cfg, sun_enu=sun)
