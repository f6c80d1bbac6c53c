"""Time on the link: the simulated clock, one-way light time, and SCLK ↔ SCET ↔ ERT.

Three time scales meet here (as in NASA's ground systems):

- **SCLK**, the spacecraft clock: seconds counted onboard since ``sclk_epoch_utc`` at a nominal
  rate ``sclk_rate`` (Mars 2020's SCLK, like MSL's, counts seconds from 2000-01-01 ≈ J2000; NAIF
  SCLK kernel convention, est. for this simulation).
- **SCET**, spacecraft event time: the UTC at which something happened at Mars.
- **ERT**, Earth-received time: the UTC at which a signal sent at SCET reached Earth,
  ERT = SCET + one-way light time.

Light time comes from astropy's built-in ephemeris (ERFA's ``epv00`` for Earth, ``plan94`` for
Mars; no download). The signal leaves Mars at SCET and arrives when Earth is where the light
meets it, so the light time is solved by fixed-point iteration (converges in 3 steps to well
under a millisecond).

Times inside the link are floats (seconds); astropy's ``Time`` is used only at the edges, where
leap seconds matter (UTC ↔ SCLK).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "SimClock",
    "SclkCorrelation",
    "light_time_s",
    "light_times_s",
    "utc_iso",
    "utc_to_unix_s",
]

SPEED_OF_LIGHT_M_S = 299_792_458.0  # exact, SI definition of the metre


def _astropy_offline() -> None:
    """Forbid astropy from downloading IERS tables: nothing downloads at run time."""
    from astropy.utils import iers

    iers.conf.auto_download = False


_LIGHT_TIME_S: dict[float, float] = {}  # whole second of SCET (Unix s) → one-way light time [s]


def _solve_light_times(unix_s: list[float]) -> list[float]:
    """Light times [s] of signals leaving Mars at each of ``unix_s``, in one vectorized evaluation.

    Element by element the same arithmetic as one at a time (ERFA's ufuncs), so the values are
    bit-identical to a scalar solve; one array call costs ≈ 0.2 ms a time against ≈ 4 ms alone.
    """
    import astropy.units as u
    import numpy as np
    from astropy.coordinates import get_body_barycentric
    from astropy.time import Time

    _astropy_offline()
    t = Time(np.asarray(unix_s, float), format="unix", scale="utc")
    mars = get_body_barycentric("mars", t)
    tau_s = np.full(len(unix_s), 680.0)  # start near the Mars 2020 value; any positive start converges
    for _ in range(4):
        earth = get_body_barycentric("earth", t + tau_s * u.s)
        tau_s = (earth - mars).norm().to_value(u.m) / SPEED_OF_LIGHT_M_S
    return [float(x) for x in np.atleast_1d(tau_s)]


def light_times_s(scet_unix_s) -> list[float]:
    """:func:`light_time_s` of many SCETs at once: the seconds not yet known are solved together.

    The relay asks for the light time of every delivery (thousands of distinct seconds over the
    passes); solved one by one they took ≈ 4 ms each, most of the relay's ephemeris time.
    """
    keys = [float(round(float(x))) for x in scet_unix_s]
    missing = sorted({k for k in keys if k not in _LIGHT_TIME_S})
    if missing:
        _LIGHT_TIME_S.update(zip(missing, _solve_light_times(missing)))
    return [_LIGHT_TIME_S[k] for k in keys]


def light_time_s(scet_unix_s: float) -> float:
    """One-way light time [s] of a signal leaving Mars at ``scet_unix_s`` (UTC, Unix seconds).

    Barycentric positions from astropy's built-in ephemeris; the Earth is taken where it is
    when the signal arrives (fixed-point iteration). Values are cached per second of SCET
    (light time changes by < 0.01 s per minute); :func:`light_times_s` solves many at once.

    >>> round(light_time_s(utc_to_unix_s("2021-02-18T20:36:38Z")))
    682
    """
    return light_times_s([scet_unix_s])[0]


def utc_to_unix_s(utc: str) -> float:
    """Unix seconds of an ISO-8601 UTC string (a trailing ``Z`` is accepted).

    Unix time counts UTC without leap seconds, so the stdlib converts it exactly; astropy is
    needed only where elapsed SI seconds across leap seconds matter (:class:`SclkCorrelation`).
    """
    text = utc.strip()
    if text.endswith("Z"):
        text = text[:-1]
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{utc!r} is not an ISO-8601 UTC time such as 2021-02-18T20:36:38Z") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def utc_iso(unix_s: float) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z``, e.g. ``2021-02-18T20:48:00.290Z``."""
    dt = datetime.fromtimestamp(round(unix_s, 3), tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class SclkCorrelation:
    """Linear SCLK ↔ SCET correlation: ``sclk_s = (scet − epoch) · rate`` in SI seconds.

    The elapsed time is counted in TAI (astropy), so leap seconds since the epoch are included
    as the onboard oscillator would count them.
    """

    epoch_utc: str = "2000-01-01T11:58:55.816Z"
    rate: float = 1.0

    def _epoch_tai_s(self) -> float:
        return _tai_seconds(utc_to_unix_s(self.epoch_utc))

    def sclk_from_scet(self, scet_unix_s: float) -> float:
        """SCLK [s] at SCET (Unix seconds, UTC)."""
        return (_tai_seconds(scet_unix_s) - self._epoch_tai_s()) * self.rate

    def scet_from_sclk(self, sclk_s: float) -> float:
        """SCET (Unix seconds, UTC) at SCLK [s]."""
        tai_s = self._epoch_tai_s() + sclk_s / self.rate
        return _unix_from_tai_seconds(tai_s)

    @staticmethod
    def ert_from_scet(scet_unix_s: float) -> float:
        """Earth-received time of a signal sent at SCET (both Unix seconds, UTC)."""
        return scet_unix_s + light_time_s(scet_unix_s)

    @staticmethod
    def scet_from_ert(ert_unix_s: float) -> float:
        """SCET of a signal received on Earth at ERT (inverse of :meth:`ert_from_scet`)."""
        scet = ert_unix_s - light_time_s(ert_unix_s)
        for _ in range(3):
            scet = ert_unix_s - light_time_s(scet)
        return scet


@lru_cache(maxsize=64)
def _tai_seconds(unix_s: float) -> float:
    """Seconds of TAI since 1970 for a UTC instant given in Unix seconds (leap seconds counted)."""
    from astropy.time import Time

    _astropy_offline()
    t = Time(unix_s, format="unix", scale="utc")
    return float((t.tai - Time("1970-01-01T00:00:00", scale="tai")).sec)


def _unix_from_tai_seconds(tai_s: float) -> float:
    import astropy.units as u
    from astropy.time import Time

    _astropy_offline()
    t = Time("1970-01-01T00:00:00", scale="tai") + tai_s * u.s
    return float(t.utc.unix)


@dataclass
class SimClock:
    """A simulated clock [s] that only moves when the simulation moves it.

    It stands in for the wall clock wherever a library would read one (cfdp-py's timers), so a
    run is deterministic and hours of passes simulate in seconds. ``now_s`` never goes back.
    """

    now_s: float = 0.0

    def advance_to(self, t_s: float) -> None:
        """Move the clock forward to ``t_s`` [s] (no-op if ``t_s`` is not later)."""
        if t_s > self.now_s:
            self.now_s = t_s

    def advance_by(self, dt_s: float) -> None:
        """Move the clock forward by ``dt_s`` ≥ 0 [s]."""
        if dt_s < 0:
            raise ValueError(f"dt_s is {dt_s}; a clock only moves forward")
        self.now_s += dt_s
