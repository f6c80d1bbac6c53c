"""The event table: the simulated EDL events against NASA's nominal Mars 2020 timeline.

Nominal times are the landing timeline NASA published before landing (REFERENCE.md, "Nominal
EDL timeline"), in seconds after entry interface; where NASA gave a range (backshell separation,
E+330–360 s) both ends are kept. ``powered_descent_start`` has no published time: it follows
backshell separation after about a second of free fall (MSL heritage, est.).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOMINAL_TIMELINE", "EventRow", "event_table", "format_event_table"]

# name: (earliest, latest) E+ [s], NASA landing timeline via REFERENCE.md; None = not published.
NOMINAL_TIMELINE: dict[str, tuple[float, float] | None] = {
    "entry_interface": (0.0, 0.0),  # definition of E+0
    "peak_heating": (80.0, 80.0),  # NASA: ≈ E+80 s
    "peak_deceleration": (90.0, 90.0),  # NASA: ≈ E+90 s
    "parachute_deploy": (240.0, 240.0),  # NASA: ≈ E+240 s
    "heatshield_separation": (260.0, 260.0),  # NASA: ≈ E+260 s
    "backshell_separation": (330.0, 360.0),  # NASA: ≈ E+330–360 s
    "powered_descent_start": None,  # not published (≈ 1 s after backshell separation, est.)
    "skycrane_start": (390.0, 390.0),  # NASA: ≈ E+390 s
    "touchdown": (410.0, 410.0),  # NASA: ≈ E+410 s
}


@dataclass(frozen=True)
class EventRow:
    """One line of the event table."""

    name: str
    t_s: float  # simulated, E+ [s]
    utc: str  # SCET
    height_agl_m: float | None
    speed_m_s: float | None
    nominal: tuple[float, float] | None  # NASA's E+ [s] range

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


def event_table(events: list[dict]) -> list[EventRow]:
    """The major events (dicts of :meth:`edlcam.runfolder.Event.as_dict`, in flight order) with their nominal times."""
    rows = []
    for ev in events:
        if not ev.get("major", True):
            continue
        h = ev.get("height_agl_m")
        v = ev.get("speed_m_s")
        rows.append(EventRow(
            name=str(ev["name"]), t_s=float(ev["t_s"]), utc=str(ev.get("utc", "")),
            height_agl_m=None if h is None else float(h), speed_m_s=None if v is None else float(v),
            nominal=NOMINAL_TIMELINE.get(str(ev["name"])),
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
