"""Relay-orbiter passes over the landing site in the days after landing.

After landing, data leaves the rover only when an orbiter is above the horizon: MRO, MAVEN,
Mars Odyssey (ODY) and the ExoMars Trace Gas Orbiter (TGO), each a few times per sol, for
minutes, at Electra's adaptive UHF rates (up to 2.048 Mbit/s; Edwards et al., "Relay Support for
the Mars Science Laboratory Mission"). The mission file gives one sol of passes (start into the
sol, duration, mean rate — estimates, see ``[[link.passes]]``); the schedule repeats every sol
(88 775.244 s, NSSDC). Between passes nothing moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from edlcam.config.link import MARS_SOLAR_DAY_S, PassConfig
from edlcam.errors import LinkError

__all__ = [
    "MARS_SOLAR_DAY_S",
    "MAX_RELAY_DAYS",
    "Pass",
    "build_schedule",
    "validate_per_sol",
    "validate_schedule",
    "schedule_capacity_bits",
]


@dataclass(frozen=True)
class Pass:
    """One relay pass: times in seconds after touchdown (SCET), mean rate in bit/s."""

    index: int
    orbiter: str
    start_s: float
    duration_s: float
    rate_bps: float

    @property
    def end_s(self) -> float:
        """End of the pass [s after touchdown]."""
        return self.start_s + self.duration_s

    @property
    def capacity_bits(self) -> float:
        """Bits the pass can carry at its mean rate."""
        return self.duration_s * self.rate_bps


# The longest relay simulated: every pass's frames are simulated (time), and the schedule is a list
# (memory). The default passes carry ≈ 1.8 Gbit a sol, so a full-quality store of ≈ 35 GB needs
# ≈ 160 sols; a year and a half of passes is room enough.
MAX_RELAY_DAYS = 550.0


def validate_schedule(passes: Sequence[Pass], *, source: str = "pass schedule") -> None:
    """Raise :class:`LinkError` for a non-positive duration or rate, or overlapping passes."""
    for p in passes:
        if not p.rate_bps > 0 or not math.isfinite(p.rate_bps):
            raise LinkError(
                f"{source}: pass {p.index} ({p.orbiter}) has rate_bps {p.rate_bps:g}; a rate must be > 0 bit/s "
                "(Electra reaches 2.048e6): set a positive rate"
            )
        if not p.duration_s > 0:
            raise LinkError(
                f"{source}: pass {p.index} ({p.orbiter}) has duration_s {p.duration_s:g}; a pass must last > 0 s"
            )
    ordered = sorted(passes, key=lambda p: p.start_s)
    for a, b in zip(ordered, ordered[1:]):
        if b.start_s < a.end_s:
            raise LinkError(
                f"{source}: pass {b.index} ({b.orbiter}) starts at {b.start_s:g} s, before pass {a.index} "
                f"({a.orbiter}) ends at {a.end_s:g} s; the rover has one radio: move or shorten one of them"
            )


def validate_per_sol(per_sol: Sequence[PassConfig], *, source: str = "mission [[link.passes]]") -> None:
    """Check one sol of passes: positive rates and durations, no overlap (also across midnight of the sol)."""
    if not per_sol:
        raise LinkError(f"{source}: no passes; give at least one [[link.passes]] table")
    one_sol = [Pass(i, p.orbiter, p.start_s, p.duration_s, p.rate_bps) for i, p in enumerate(per_sol)]
    validate_schedule(one_sol, source=source)
    ordered = sorted(one_sol, key=lambda p: p.start_s)
    first, last = ordered[0], ordered[-1]
    if len(ordered) > 1 and last.end_s > first.start_s + MARS_SOLAR_DAY_S:
        raise LinkError(
            f"{source}: pass {last.index} ({last.orbiter}) ends at {last.end_s:g} s, after the next sol's pass "
            f"{first.index} starts ({first.start_s + MARS_SOLAR_DAY_S:g} s); shorten it"
        )


def build_schedule(per_sol: Sequence[PassConfig], *, days: float) -> list[Pass]:
    """The passes that start within ``days`` Earth days (86 400 s) of touchdown, in time order.

    ``per_sol`` is one sol's passes (``[[link.passes]]``), repeated every sol.
    """
    validate_per_sol(per_sol)
    if not days > 0:
        raise LinkError(f"--days is {days:g}; simulate at least a fraction of a day, e.g. --days 4")
    if not days <= MAX_RELAY_DAYS:
        raise LinkError(
            f"--days is {days:g}; simulate at most {MAX_RELAY_DAYS:g} days: every frame of every pass is simulated, and the "
            "whole full-quality store (≈ 35 GB) comes home over the default passes in ≈ 160 sols"
        )
    horizon_s = days * 86_400.0
    raw = []
    sol = 0
    while sol * MARS_SOLAR_DAY_S < horizon_s:
        for p in per_sol:
            start = sol * MARS_SOLAR_DAY_S + p.start_s
            if start < horizon_s:
                raw.append((start, p))
        sol += 1
    raw.sort(key=lambda x: x[0])
    passes = [
        Pass(index=i, orbiter=p.orbiter, start_s=start, duration_s=p.duration_s, rate_bps=p.rate_bps)
        for i, (start, p) in enumerate(raw)
    ]
    validate_schedule(passes)
    return passes


def schedule_capacity_bits(passes: Sequence[Pass]) -> float:
    """Total bits the passes can carry at their mean rates."""
    return float(sum(p.capacity_bits for p in passes))
