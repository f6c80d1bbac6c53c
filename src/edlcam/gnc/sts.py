"""Safe Target Selection: the reachable safest landing target, chosen on board from the LVS fix.

Mars 2020's STS took the LVS position estimate shortly before backshell separation, found the
targets in the safe-targets map that the powered descent could still reach with its propellant
and divert capability, and picked the safest of them; the descent then flew to it (Johnson et
al. 2022, AIAA 2022-1214; NASA: the divert reached up to ≈ 600 m). Here the reachable set is the
disc of ``max_divert_m`` around the estimated position (the flight kernel's divert model), and
the choice maximises the map's safe-touchdown probability, ties (within ``_TIE``) going to the
target nearest the mission's: est., the published papers give the rule's spirit (safest
reachable) rather than its tie-break.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Target", "select_target"]

_TIE = 0.01  # probabilities within this of the best count as equally safe


@dataclass(frozen=True)
class Target:
    """The selected target (ENU metres), its map probability and the divert from the estimate."""

    east_m: float
    north_m: float
    probability: float
    divert_m: float
    reachable_cells: int


def select_target(hazard, estimate_en, *, max_divert_m: float, mission_target_en=(0.0, 0.0)) -> Target:
    """The reachable safest cell of ``hazard`` from the estimated position ``estimate_en``.

    Without reachable cells on the map (the estimate far off it) the mission target, clipped to
    the divert, is returned with probability 0.
    """
    est = np.asarray(estimate_en, float)
    tgt = np.asarray(mission_target_en, float)
    h, w = hazard.probability.shape
    c0, r0 = hazard.en_to_cell(est[0], est[1])
    rad = max_divert_m / hazard.cell_m
    cs = np.arange(max(int(math.floor(c0 - rad)), 0), min(int(math.ceil(c0 + rad)), w - 1) + 1)
    rs = np.arange(max(int(math.floor(r0 - rad)), 0), min(int(math.ceil(r0 + rad)), h - 1) + 1)
    if cs.size and rs.size:
        cc, rr = np.meshgrid(cs, rs)
        e, n = hazard.cell_to_en(cc, rr)
        reach = np.hypot(e - est[0], n - est[1]) <= max_divert_m
    else:
        reach = np.zeros(0, bool)
    if not np.any(reach):
        d = tgt - est
        k = min(1.0, max_divert_m / max(float(np.hypot(*d)), 1e-9))
        aim = est + d * k
        return Target(float(aim[0]), float(aim[1]), 0.0, float(np.hypot(*(aim - est))), 0)
    p = hazard.probability[rr[reach], cc[reach]]
    e, n = e[reach], n[reach]
    best = float(p.max())
    near = p >= best - _TIE
    dist = np.hypot(e - tgt[0], n - tgt[1])
    i = np.flatnonzero(near)[np.argmin(dist[near])]
    return Target(float(e[i]), float(n[i]), float(p[i]), float(np.hypot(e[i] - est[0], n[i] - est[1])), int(reach.sum()))
