"""The umbilical: the descent-stage DSU forwards its records to the rover DSU until the cable is cut.

Model (an engineering estimate; the flight link's protocol is not published): records wait in
the descent-stage store, which is the umbilical's buffer, bounded by that store's capacity
(its overflow policy applies when it fills). One link of ``rate_bps`` sends one record at a time,
non-preemptively, choosing among the records already recorded the most important priority
first and then the oldest. A record crosses when its last bit arrives before the cut; the record
in transit at the cut, those still waiting, and those recorded after it stay on the descent
stage and are lost with it. Pure functions: a discrete-event simulation on simulated time.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

__all__ = ["Parcel", "Crossing", "Loss", "UmbilicalResult", "plan_umbilical", "LOSS_REASONS"]

LOSS_REASONS = ("in transit at cut", "waiting at cut", "recorded after cut")


@dataclass(frozen=True)
class Parcel:
    """A record offered to the umbilical."""

    key: int  # the record's seq in the descent-stage store
    source: str
    frame_index: int
    t_ready_s: float  # when the record is in the descent-stage store [s since EI]
    size_bytes: int
    priority: int


@dataclass(frozen=True)
class Crossing:
    """A record that reached the rover DSU at ``t_arrive_s``."""

    parcel: Parcel
    t_start_s: float
    t_arrive_s: float


@dataclass(frozen=True)
class Loss:
    """A record that never crossed, and why (one of LOSS_REASONS)."""

    parcel: Parcel
    reason: str


@dataclass(frozen=True)
class UmbilicalResult:
    """What crossed (in arrival order) and what was lost, for a given cut time."""

    crossed: tuple[Crossing, ...]
    lost: tuple[Loss, ...]
    t_cut_s: float
    rate_bps: float

    @property
    def bytes_crossed(self) -> int:
        """Bytes that reached the rover DSU."""
        return sum(c.parcel.size_bytes for c in self.crossed)

    @property
    def bytes_lost(self) -> int:
        """Bytes left on the descent stage."""
        return sum(x.parcel.size_bytes for x in self.lost)


def plan_umbilical(parcels: list[Parcel], *, rate_bps: float, t_cut_s: float) -> UmbilicalResult:
    """Simulate the umbilical: which records cross before ``t_cut_s`` at ``rate_bps`` [bit/s].

    >>> p = [Parcel(0, "ddc", 0, 0.0, 125, 0), Parcel(1, "ddc", 1, 0.0, 125, 0)]
    >>> r = plan_umbilical(p, rate_bps=1000.0, t_cut_s=1.5)   # 1 s per 125-byte record
    >>> [c.t_arrive_s for c in r.crossed], [x.reason for x in r.lost]
    ([1.0], ['in transit at cut'])
    """
    if rate_bps <= 0:
        raise ValueError(f"rate_bps is {rate_bps}; it must be positive")
    pending = sorted(parcels, key=lambda p: (p.t_ready_s, p.key))
    ready: list[tuple[int, float, int, Parcel]] = []
    crossed: list[Crossing] = []
    lost: list[Loss] = []
    t = pending[0].t_ready_s if pending else 0.0
    i = 0
    while i < len(pending) or ready:
        while i < len(pending) and pending[i].t_ready_s <= t:
            p = pending[i]
            heapq.heappush(ready, (p.priority, p.t_ready_s, p.key, p))
            i += 1
        if not ready:
            t = pending[i].t_ready_s
            if t >= t_cut_s:
                break
            continue
        p = heapq.heappop(ready)[3]
        if t >= t_cut_s:
            lost.append(Loss(p, "waiting at cut"))
            continue
        t_done = t + p.size_bytes * 8.0 / rate_bps
        if t_done > t_cut_s:
            lost.append(Loss(p, "in transit at cut"))
            t = t_cut_s
            continue
        crossed.append(Crossing(p, t, t_done))
        t = t_done
    for p in pending[i:]:
        lost.append(Loss(p, "recorded after cut" if p.t_ready_s >= t_cut_s else "waiting at cut"))
    lost.sort(key=lambda x: x.parcel.key)
    return UmbilicalResult(tuple(crossed), tuple(lost), t_cut_s, rate_bps)
