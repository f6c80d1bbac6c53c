"""``edlcam live``: the landing replayed as mission control saw it, light time included.

Plays ``RUN/link/telemetry.jsonl`` on the Earth-received clock: nothing shows until the first
signal has crossed the 11-minute gap, telemetry freezes through the UHF dropouts, X-band tones
call out the events, and "TOUCHDOWN CONFIRMED" appears when the touchdown tone arrives — by
then the rover has been on the ground for the one-way light time.

The display is a rich ``Live`` layout; :func:`play` takes the console and the sleep function so
a test can run it at a very high speed into a recording console.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from edlcam import runfolder
from edlcam.errors import RunFolderError
from edlcam.flight.events import EVENT_LABELS as _EVENT_LABEL

__all__ = ["load_records", "render", "play"]



def load_records(run_dir) -> list[dict]:
    """The received telemetry records of a run, in Earth-received order (:func:`edlcam.runfolder.read_telemetry`)."""
    return runfolder.read_telemetry(run_dir)


def render(records: list[dict], ert_offset_s: float, *, light_time_s: float):
    """The mission-control panel at Earth-received offset ``ert_offset_s`` [s after entry's ERT]."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    shown = [r for r in records if r["ert_offset_s"] <= ert_offset_s]
    tlm = [r for r in shown if r["kind"] == "telemetry"]
    last = tlm[-1] if tlm else None
    calls = [r for r in shown if r["kind"] in ("event", "tone")]
    touchdown = any(r.get("event") == "touchdown" for r in calls)

    state = Table.grid(padding=(0, 2))
    state.add_column(style="bold cyan", justify="right")
    state.add_column()
    if shown:
        state.add_row("ERT", shown[-1]["ert"])
    else:
        state.add_row("ERT", f"waiting for the first signal (light time {light_time_s:.0f} s)")
    if last is not None:
        stale = ert_offset_s - last["ert_offset_s"]
        state.add_row("E+", f"{last['t_s']:7.1f} s" + (f"   [yellow]no UHF data for {stale:.0f} s[/]" if stale > 3 else ""))
        state.add_row("altitude", f"{last['altitude_m'] / 1000:9.2f} km")
        state.add_row("height", f"{last['height_agl_m'] / 1000:9.2f} km above ground")
        state.add_row("speed", f"{last['speed_m_s']:9.1f} m/s   vertical {last['vu_m_s']:7.1f} m/s")
        state.add_row("decel", f"{last['decel_g']:9.2f} g   Mach {last['mach']:5.2f}")
        state.add_row("phase", last["phase"].upper())

    events = Table(title="call-outs", show_header=True, header_style="bold")
    events.add_column("ERT")
    events.add_column("E+ [s]", justify="right")
    events.add_column("event")
    events.add_column("via")
    seen = set()
    for r in calls:
        key = (r["event"], r["kind"])
        if key in seen:
            continue
        seen.add(key)
        via = "X-band tone" if r["kind"] == "tone" else "UHF / MRO"
        events.add_row(r["ert"][11:23], f"{r['t_s']:.1f}", _EVENT_LABEL.get(r["event"], r["event"]), via)

    parts = [state, events]
    if touchdown:
        parts.append(Text("TOUCHDOWN CONFIRMED — touchdown confirmed on Earth", style="bold green"))
    return Panel(Group(*parts), title="edlcam live — Mars 2020 EDL as received on Earth", border_style="blue")


def play(
    records: list[dict],
    *,
    speed: float = 1.0,
    light_time_s: float = 0.0,
    console=None,
    sleep: Callable[[float], None] = time.sleep,
    refresh_hz: float = 8.0,
) -> None:
    """Replay ``records`` at ``speed`` × real time in a rich Live display."""
    from rich.console import Console
    from rich.live import Live

    if not records:
        raise RunFolderError("telemetry.jsonl holds no records; re-run `edlcam relay`")
    console = console or Console()
    start = min(r["ert_offset_s"] for r in records) - 5.0
    end = max(r["ert_offset_s"] for r in records) + 2.0
    dt_wall = 1.0 / refresh_hz
    t = start
    with Live(render(records, t, light_time_s=light_time_s), console=console, refresh_per_second=refresh_hz, transient=False) as live:
        while t < end:
            sleep(dt_wall)
            t = min(t + dt_wall * speed, end)
            live.update(render(records, t, light_time_s=light_time_s))
