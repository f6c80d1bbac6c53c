"""Safe Target Selection on a synthetic hazard map."""

from __future__ import annotations

import numpy as np

from edlcam.gnc.hazard import HazardMap
from edlcam.gnc.sts import select_target


def _map(prob):
    return HazardMap(prob.astype(np.float32), prob.astype(np.float32), 10.0, 0.0, 0.0)


def test_sts_picks_the_reachable_safe_cell():
    prob = np.full((201, 201), 0.2)  # 2 km of hazards, 10 m cells, centre cell (100, 100) at (0, 0)
    prob[100 - 30, 100 + 40] = 0.99  # safe cell at (400, 300) m: within the 600 m divert of (0, 0)
    prob[100 + 90, 100 - 90] = 1.0  # safer, but at (-900, -900) m: out of reach
    t = select_target(_map(prob), (0.0, 0.0), max_divert_m=600.0)
    assert (t.east_m, t.north_m) == (400.0, 300.0)
    assert t.probability > 0.98 and abs(t.divert_m - 500.0) < 1e-9


def test_sts_prefers_the_target_nearest_the_mission_target_among_equally_safe():
    prob = np.ones((101, 101))
    t = select_target(_map(prob), (200.0, -100.0), max_divert_m=600.0)
    assert (t.east_m, t.north_m) == (0.0, 0.0)
