"""The capture schedule: which source each DSU records, from which event to which, at what rate,
and the data volume and rate that implies.

Camera windows and sizes come from ``[cameras.views.<name>]``; ``[onboard.capture]`` assigns each
source to a DSU with an overflow priority and may override the window and the frame rate. Each
source's rate is :func:`edlcam.runfolder.capture_rates`'s (decided once for the run). Event times
are the flight's events, major and minor (:func:`edlcam.runfolder.read_events`).

Volumes count sensor bytes: one byte per pixel for the colour cameras' Bayer mosaic and the
monochrome LCAM (8-bit, as the FLIR Chameleon3 delivers raw frames; Maki et al. 2020), and four
bytes per float32 audio sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from edlcam.config.onboard import CaptureConfig
from edlcam import runfolder
from edlcam.errors import MissionError
from edlcam.runfolder.onboard import CaptureRate, capture_rates

__all__ = [
    "CaptureWindow",
    "Schedule",
    "load_events",
    "event_time",
    "build_schedule",
    "format_schedule",
    "sclk_from_t",
    "umbilical_cut_event",
    "t_from_sclk",
    "CaptureRate",
]

AUDIO_BYTES_PER_SAMPLE = 4  # float32


@dataclass(frozen=True)
class CaptureWindow:
    """One source's recording window, resolved to times since entry interface."""

    source: str
    unit: str
    priority: int
    t_start_s: float
    t_end_s: float
    rate_hz: float  # frames per second, or audio samples per second
    width_px: int  # 0 for audio
    height_px: int
    colour: str  # "bayer", "mono" or "audio"
    start_event: str
    end_event: str
    capture: CaptureRate | None = None  # the rate decided for this source (edlcam.runfolder.capture_rates)

    @property
    def is_audio(self) -> bool:
        """True for the microphone."""
        return self.colour == "audio"

    @property
    def duration_s(self) -> float:
        """Length of the window [s]."""
        return max(0.0, self.t_end_s - self.t_start_s)

    @property
    def frames(self) -> int:
        """Frames (or samples) recorded in the window, first at ``t_start_s``."""
        if self.t_end_s < self.t_start_s:
            return 0
        return int(math.floor(self.duration_s * self.rate_hz + 1e-9)) + (0 if self.is_audio else 1)

    @property
    def bytes_per_frame(self) -> int:
        """Sensor bytes per frame (per sample for audio)."""
        return AUDIO_BYTES_PER_SAMPLE if self.is_audio else self.width_px * self.height_px

    @property
    def data_bytes(self) -> int:
        """Sensor bytes over the whole window."""
        return self.frames * self.bytes_per_frame

    @property
    def rate_bytes_s(self) -> float:
        """Sensor data rate while recording [byte/s]."""
        return self.rate_hz * self.bytes_per_frame


@dataclass(frozen=True)
class Schedule:
    """Every source's window; totals and the peak aggregate rate."""

    windows: tuple[CaptureWindow, ...]
    quality: str

    def for_unit(self, unit: str) -> tuple[CaptureWindow, ...]:
        """Windows recorded by ``unit``."""
        return tuple(w for w in self.windows if w.unit == unit)

    def window(self, source: str) -> CaptureWindow:
        """The window of ``source``."""
        for w in self.windows:
            if w.source == source:
                return w
        raise KeyError(source)

    @property
    def total_bytes(self) -> int:
        """Sensor bytes over all windows."""
        return sum(w.data_bytes for w in self.windows)

    def rate_at(self, t_s: float, unit: str | None = None) -> float:
        """Aggregate sensor rate [byte/s] at ``t_s`` (windows are half-open [start, end))."""
        return sum(w.rate_bytes_s for w in self.windows
                   if w.t_start_s <= t_s < w.t_end_s and (unit is None or w.unit == unit))

    def peak_rate(self, unit: str | None = None) -> tuple[float, float]:
        """(peak aggregate rate [byte/s], time [s] it is first reached)."""
        best = (0.0, 0.0)
        for t in sorted({w.t_start_s for w in self.windows}):
            r = self.rate_at(t, unit)
            if r > best[0]:
                best = (r, t)
        return best


def sclk_from_t(t_s: float, sclk_at_entry_interface_s: float) -> float:
    """Spacecraft clock [s] of a time since entry interface [s] (the SCLK drift over EDL is ignored)."""
    return sclk_at_entry_interface_s + t_s


def t_from_sclk(sclk_s: float, sclk_at_entry_interface_s: float) -> float:
    """Time since entry interface [s] of a spacecraft clock reading [s]."""
    return sclk_s - sclk_at_entry_interface_s


def load_events(run_dir: str | Path) -> dict[str, float]:
    """``{event name: t_s}`` of the flight's events, major and minor together, in time order."""
    return runfolder.read_events(run_dir).times()


def event_time(events: dict[str, float], name: str, field: str) -> float:
    """Time [s] of event ``name``; a MissionError naming ``field`` when the flight has no such event."""
    if name not in events:
        known = ", ".join(sorted(events))
        raise MissionError(f"{field} is {name!r}, not an event of this flight; use one of: {known}")
    return events[name]


def _views(mission) -> dict:
    cams = getattr(mission, "cameras", None)
    return dict(getattr(cams, "views", {}) or {})


def _pick(override, camera, attr: str, source: str, default=None):
    if override is not None:
        return override
    value = getattr(camera, attr, default) if camera is not None else default
    if value is None:
        raise MissionError(
            f"onboard.capture.{source}.{attr} is not set and [cameras.views.{source}] gives none; add it"
        )
    return value


def build_schedule(mission, events: dict[str, float], *, quality: str = "full") -> Schedule:
    """Resolve the capture windows of every source against the flight's events.

    A preview records each camera the film shows until the film last shows it (one frame period
    after, so the frame on show at the cut is there): the rest of its window would be rendered,
    stored, made into products and relayed for no frame of the film (RDC and LCAM under the sky
    crane's split screen, PUC A and C after heat-shield separation, PUC B after backshell separation;
    benchmarks/RESULTS.md, "The preview demo on an AVX2-width stand-in"); a descent-stage camera
    records until the umbilical's cut, after which nothing it records reaches the rover. ``[cameras] preview_to_film = false``
    records them whole, as full quality always does.
    """
    if quality not in ("preview", "full"):
        raise MissionError(f"quality is {quality!r}; use 'preview' or 'full'")
    onboard = mission.onboard
    views = _views(mission)
    rates = capture_rates(mission, quality)
    windows = []
    for source in sorted(set(views) | set(onboard.capture)):
        cap: CaptureConfig | None = onboard.capture.get(source)
        camera = views.get(source)
        if cap is None:  # a camera nobody assigned: the DSU of the body it is mounted on
            mount = getattr(camera, "mount", "rover")
            cap = CaptureConfig(unit="rover" if mount == "rover" else "descent_stage",
                                priority=len(onboard.admit_fraction) - 1)
        is_audio = camera is None and source == "microphone"
        if camera is None and not is_audio:
            raise MissionError(
                f"onboard.capture.{source} names no camera in [cameras.views]; remove it or add the camera"
            )
        where = f"onboard.capture.{source}" if cap.start_event else f"cameras.views.{source}"
        start_ev = _pick(cap.start_event, camera, "start_event", source)
        end_ev = _pick(cap.end_event, camera, "end_event", source)
        t0 = event_time(events, start_ev, f"{where}.start_event") + _pick(cap.start_offset_s, camera,
                                                                          "start_offset_s", source, 0.0)
        t1 = event_time(events, end_ev, f"{where}.end_event") + _pick(cap.end_offset_s, camera,
                                                                      "end_offset_s", source, 0.0)
        rate = rates[source]
        if is_audio:
            windows.append(CaptureWindow(source, cap.unit, cap.priority, t0, t1, rate.rate_hz, 0, 0, "audio",
                                         start_ev, end_ev, rate))
            continue
        width, height = int(camera.width_px), int(camera.height_px)
        if quality == "preview":
            # Previews render at 1/preview_scale of the resolution (edlcam.cameras.Camera.scaled).
            scale = int(getattr(camera, "preview_scale", 1) or 1)
            width, height = width // scale, height // scale
        windows.append(CaptureWindow(
            source, cap.unit, cap.priority, t0, t1, rate.rate_hz, width, height,
            str(getattr(camera, "colour", "bayer")), start_ev, end_ev, rate,
        ))
    if quality == "preview" and getattr(getattr(mission, "cameras", None), "preview_to_film", False):
        windows = _clip_to_film(mission, events, _clip_to_umbilical(mission, events, windows))
    windows.sort(key=lambda w: (w.t_start_s, w.source))
    return Schedule(tuple(windows), quality)


def umbilical_cut_event(onboard, events: dict[str, float]) -> str:
    """The event that cuts the umbilical: ``[onboard] umbilical_cut_event``, or touchdown where the
    flight has no such event."""
    return onboard.umbilical_cut_event if onboard.umbilical_cut_event in events else "touchdown"


def _clip_to_umbilical(mission, events: dict[str, float], windows: list[CaptureWindow]) -> list[CaptureWindow]:
    """``windows`` with each descent-stage camera's end brought in to the umbilical's cut: what it
    records later stays on the descent stage (:mod:`edlcam.onboard.umbilical`, "recorded after
    cut") and no film can show it (the DDC's last ≈ 10 s under the sky crane)."""
    import dataclasses

    cut = events.get(umbilical_cut_event(mission.onboard, events))
    if cut is None:
        return windows
    return [dataclasses.replace(w, t_end_s=max(w.t_start_s, min(w.t_end_s, cut)))
            if w.unit == "descent_stage" and not w.is_audio else w for w in windows]


def _clip_to_film(mission, events: dict[str, float], windows: list[CaptureWindow]) -> list[CaptureWindow]:
    """``windows`` with each camera's end brought in to one frame period after the film last shows it."""
    import dataclasses

    from edlcam.ground.edit import last_shown

    cams = getattr(mission, "cameras", None)
    spans = {w.source: (w.t_start_s, w.t_end_s + 1.0 / w.rate_hz) for w in windows if not w.is_audio}
    shown = last_shown(events, spans, cams)
    out = []
    for w in windows:
        if w.source in shown:
            end = max(w.t_start_s, min(w.t_end_s, shown[w.source] + 1.0 / w.rate_hz))
            w = dataclasses.replace(w, t_end_s=end)
        out.append(w)
    return out


def format_schedule(schedule: Schedule) -> list[str]:
    """Human-readable lines: one per source, then totals and peak rates per unit."""
    lines = [f"{'source':<11}{'unit':<14}{'E+ from':>8}{'to':>8}{'rate':>10}{'frames':>8}{'MB':>9}{'MB/s':>8}"]
    for w in schedule.windows:
        rate = f"{w.rate_hz / 1000:g} kHz" if w.is_audio else f"{w.rate_hz:g} fps"
        lines.append(f"{w.source:<11}{w.unit:<14}{w.t_start_s:>8.1f}{w.t_end_s:>8.1f}{rate:>10}"
                     f"{w.frames:>8}{w.data_bytes / 1e6:>9.1f}{w.rate_bytes_s / 1e6:>8.2f}")
    for unit in ("descent_stage", "rover"):
        total = sum(w.data_bytes for w in schedule.for_unit(unit))
        peak, t = schedule.peak_rate(unit)
        lines.append(f"{unit}: {total / 1e9:.3f} GB, peak {peak / 1e6:.1f} MB/s from E+{t:.1f} s")
    peak, t = schedule.peak_rate()
    lines.append(f"all: {schedule.total_bytes / 1e9:.3f} GB, peak {peak / 1e6:.1f} MB/s from E+{t:.1f} s "
                 f"({schedule.quality} quality, sensor bytes)")
    return lines
