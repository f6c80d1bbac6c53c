"""The event table: the simulated EDL events against the mission's published timeline.

The published times are the mission's (``[mission.published_timeline_s]``): for Mars 2020 the
landing timeline NASA published before landing (REFERENCE.md, "Nominal EDL timeline"), for MSL
the times NASA/JPL reported after the flight, in seconds after entry interface; where a range was
given (Mars 2020's backshell separation, E+330–360 s) both ends are kept. An event without a
published time shows "—".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EventRow", "event_table", "format_event_table"]


@dataclass(frozen=True)
class EventRow:
    """One line of the event table."""

    name: str
    t_s: float  # simulated, E+ [s]
    utc: str  # SCET
    height_agl_m: float | None
    speed_m_s: float | None
    nominal: tuple[float, float] | None  # the published E+ [s] range

    @property
    def difference_s(self) -> float | None:
        """Simulated minus nominal [s]: 0 inside a published range, else the distance to its nearer end."""
        if self.nominal is None:
            return None
        lo, hi = self.nominal
        return self.t_s - lo if self.t_s < lo else (self.t_s - hi if self.t_s > hi else 0.0)


def _nominal_text(nominal: tuple[float, float] | None) -> str:
    if nominal is None:
        return "—"
    lo, hi = nominal
    return f"{lo:.0f}" if lo == hi else f"{lo:.0f}–{hi:.0f}"


def event_table(events: list[dict], published: dict[str, tuple[float, float] | None]) -> list[EventRow]:
    """The major events (dicts of :meth:`edlcam.runfolder.Event.as_dict`, in flight order) with their published times
    (``published``: :meth:`edlcam.mission.MissionInfo.published` of the run's mission)."""
    rows = []
    for ev in events:
        if not ev.get("major", True):
            continue
        h = ev.get("height_agl_m")
        v = ev.get("speed_m_s")
        rows.append(EventRow(
            name=str(ev["name"]), t_s=float(ev["t_s"]), utc=str(ev.get("utc", "")),
            height_agl_m=None if h is None else float(h), speed_m_s=None if v is None else float(v),
            nominal=published.get(str(ev["name"])),
        ))
    return rows


def format_event_table(rows: list[EventRow]) -> list[str]:
    """Fixed-width text lines of the event table (also the golden file's format)."""
    lines = [f"{'event':<23}{'E+ s':>8}{'NASA E+ s':>11}{'diff s':>8}{'height m':>11}{'speed m/s':>11}  utc (SCET)"]
    for r in rows:
        diff = "—" if r.difference_s is None else f"{r.difference_s:+.1f}"
        h = "—" if r.height_agl_m is None else f"{r.height_agl_m:.0f}"
        v = "—" if r.speed_m_s is None else f"{r.speed_m_s:.1f}"
        lines.append(f"{r.name:<23}{r.t_s:>8.1f}{_nominal_text(r.nominal):>11}{diff:>8}{h:>11}{v:>11}  {r.utc}")
    return lines
