"""Time correlation: every frame and audio sample of a run on one UTC (SCET) time line.

The data storage units stamp each record with the spacecraft clock (SCLK). The ground turns
SCLK into spacecraft event time (SCET, the UTC at which the shutter opened or the sample was
taken) with a linear SCLK ↔ SCET correlation (:class:`edlcam.link.clock.SclkCorrelation`, the
form of NAIF's SCLK kernels), and SCET into Earth-received time (ERT) with the one-way light time.

The correlation's anchor is the run's own time-correlation pair: the SCLK the onboard stage
assigned to entry interface (``[onboard] sclk_at_entry_interface_s``) against the SCET of entry
interface (``[entry] utc``), at the clock rate ``[link] sclk_rate`` — as a real ground system
correlates on a time-correlation packet rather than trusting a nominal epoch. If the mission's
nominal ``[link] sclk_epoch_utc`` disagrees with that pair, a warning says by how much.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from edlcam.link.clock import SclkCorrelation, light_time_s, utc_iso, utc_to_unix_s

__all__ = ["TimeLine", "FrameClock", "frame_clocks", "utc_iso"]

log = logging.getLogger(__name__)
_WARNED: set[tuple[float, float]] = set()  # say it once per process, not once per stage


def _epoch_for_pair(scet_unix_s: float, sclk_s: float, rate: float) -> str:
    """ISO UTC epoch at which a clock of ``rate`` read 0, given it read ``sclk_s`` at ``scet_unix_s``.

    Counted in TAI (astropy), so leap seconds since the epoch are included as an onboard
    oscillator counts them (the convention of :class:`SclkCorrelation`).
    """
    import astropy.units as u
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False  # nothing downloads at run time
    epoch = Time(scet_unix_s, format="unix", scale="utc").tai - (sclk_s / rate) * u.s
    return epoch.utc.isot + "Z"


@dataclass(frozen=True)
class TimeLine:
    """The run's SCLK → SCET (UTC) → ERT conversion, and seconds since entry interface (E+).

    Within a landing no leap second occurs (none since 2016-12-31), so between the anchor and
    any record the conversion is linear and is done on arrays; the anchor itself goes through
    :class:`SclkCorrelation` (TAI).
    """

    entry_unix_s: float  # SCET of entry interface, Unix seconds (UTC)
    sclk_at_entry_s: float  # SCLK at entry interface [s]
    rate: float  # SCLK seconds per SI second
    correlation: SclkCorrelation

    @classmethod
    def from_mission(cls, mission) -> "TimeLine":
        """The correlation of a run: (``[onboard] sclk_at_entry_interface_s``, ``[entry] utc``)."""
        entry_unix = utc_to_unix_s(mission.entry.utc)
        sclk0 = float(mission.onboard.sclk_at_entry_interface_s)
        rate = float(mission.link.sclk_rate)
        corr = SclkCorrelation(epoch_utc=_epoch_for_pair(entry_unix, sclk0, rate), rate=rate)
        nominal = SclkCorrelation(epoch_utc=mission.link.sclk_epoch_utc, rate=rate).sclk_from_scet(entry_unix)
        if abs(nominal - sclk0) > 1e-3 and (nominal, sclk0) not in _WARNED:
            _WARNED.add((nominal, sclk0))
            log.warning(
                "[link] sclk_epoch_utc %s puts entry interface at SCLK %.3f s but [onboard] "
                "sclk_at_entry_interface_s is %.3f s (%.3f s apart); correlating on the onboard value and [entry] utc",
                mission.link.sclk_epoch_utc, nominal, sclk0, nominal - sclk0,
            )
        return cls(entry_unix, sclk0, rate, corr)

    def t_s(self, sclk_s):
        """Seconds since entry interface (E+) of SCLK readings (scalar or array)."""
        return (np.asarray(sclk_s, float) - self.sclk_at_entry_s) / self.rate

    def sclk(self, t_s):
        """SCLK [s] at E+ ``t_s``."""
        return self.sclk_at_entry_s + np.asarray(t_s, float) * self.rate

    def scet_unix_s(self, sclk_s):
        """SCET (Unix seconds, UTC) of SCLK readings (scalar or array)."""
        return self.entry_unix_s + self.t_s(sclk_s)

    def scet_utc(self, sclk_s: float) -> str:
        """SCET of one SCLK reading as ISO-8601 UTC with milliseconds."""
        return utc_iso(float(self.scet_unix_s(sclk_s)))

    def utc_at(self, t_s: float) -> str:
        """SCET of E+ ``t_s`` as ISO-8601 UTC with milliseconds."""
        return utc_iso(self.entry_unix_s + float(t_s))

    def ert_unix_s(self, scet_unix_s: float) -> float:
        """Earth-received time of a signal that left Mars at ``scet_unix_s`` (one-way light time added)."""
        return float(scet_unix_s) + light_time_s(float(scet_unix_s))


@dataclass(frozen=True)
class FrameClock:
    """The SCLK of every recorded frame of one camera (from the product manifest)."""

    camera: str
    frame_index: np.ndarray  # int, ascending
    sclk_s: np.ndarray  # float, same length

    def sclk_of(self, frame_index: int) -> float:
        """SCLK [s] of one recorded frame (KeyError if the camera recorded no such frame)."""
        i = int(np.searchsorted(self.frame_index, frame_index))
        if i >= len(self.frame_index) or self.frame_index[i] != frame_index:
            raise KeyError(f"{self.camera} frame {frame_index}")
        return float(self.sclk_s[i])

    def frames_between(self, first: int, last: int) -> np.ndarray:
        """Positions (into the arrays) of the recorded frames with first ≤ index ≤ last."""
        lo = int(np.searchsorted(self.frame_index, first, side="left"))
        hi = int(np.searchsorted(self.frame_index, last, side="right"))
        return np.arange(lo, hi)

    @property
    def frame_period_s(self) -> float:
        """Median SCLK step between recorded frames [s] (1 s for a single frame)."""
        if len(self.sclk_s) < 2:
            return 1.0
        return float(np.median(np.diff(self.sclk_s)))


def frame_clocks(manifest: list[dict]) -> dict[str, FrameClock]:
    """Per camera, every recorded frame's SCLK: one thumbnail (and one lossless frame) per frame.

    The manifest comes home first and lists every frame the rover holds, received or not, so a
    frame inside a video segment is placed by its own SCLK, not by an assumed constant rate.
    """
    per: dict[str, dict[int, float]] = {}
    for p in manifest:
        if p["kind"] in ("thumbnail", "lossless") and p["camera"] != "microphone":
            per.setdefault(p["camera"], {})[p["frame_first"]] = p["sclk_start"]
    out = {}
    for camera, frames in per.items():
        idx = np.array(sorted(frames), dtype=np.int64)
        out[camera] = FrameClock(camera, idx, np.array([frames[i] for i in idx], dtype=float))
    return out
