"""The Sun seen from Mars: Mars Sol Date, solar longitude, local solar time, Sun direction.

A port of the Mars24 algorithm: Allison & McEwen (2000), "A post-Pathfinder evaluation of
areocentric solar coordinates with improved timing recipes for Mars seasonal/diurnal climate
studies", Planet. Space Sci. 48, 215–235, as updated on NASA GISS's "Mars24 Sunclock — Algorithm
and Worked Examples" page. Step labels (A-1 … D-5) and variable names follow that page: ``M``,
``alpha_FMS``, ``PBS``, ``nu_minus_M``, ``L_s``, ``EOT``, ``MST``, ``LMST``, ``LTST``.

TT − UTC (step A-4) comes from astropy's leap-second table instead of the page's hand table.
Longitudes here are planetographic **east** (as in the mission file); Mars24 works in west
longitude, so the conversion is made at the edge. Angles in degrees, times of day in hours.

>>> p = mars24("2000-01-06T00:00:00Z")
>>> round(p.L_s, 4)
277.1876
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from edlcam.mars.frames import enu_basis

__all__ = [
    "Mars24",
    "SunPosition",
    "mars24",
    "local_mean_solar_time_h",
    "local_true_solar_time_h",
    "sun_position",
]

_JD_UNIX_EPOCH = 2440587.5  # Julian Date of 1970-01-01 00:00 UT
_JD_J2000 = 2451545.0  # 2000-01-01 12:00 TT
_SOL_IN_DAYS = 1.0274912517  # C-2: mean solar day of Mars in Earth days
# B-3: planetary perturbations of Mars' orbit (amplitude deg, period Julian years, phase deg).
_PBS_A = (0.0071, 0.0057, 0.0039, 0.0037, 0.0021, 0.0020, 0.0018)
_PBS_TAU = (2.2353, 2.7543, 1.1177, 15.7866, 2.1354, 2.4694, 32.8493)
_PBS_PHI = (49.409, 168.173, 191.837, 21.736, 15.704, 95.528, 49.095)


@dataclass(frozen=True)
class Mars24:
    """Every intermediate value of the Mars24 algorithm at one UTC instant (prime meridian)."""

    JD_UT: float  # A-2 Julian Date (UT)
    TT_minus_UTC_s: float
    JD_TT: float  # A-5 Julian Date (TT)
    delta_t_J2000: float  # A-5 days since J2000 (TT)
    M: float  # B-1 Mars mean anomaly [deg]
    alpha_FMS: float  # B-2 angle of the fictitious mean Sun [deg]
    PBS: float  # B-3 perturbers [deg]
    nu_minus_M: float  # B-4 equation of centre [deg]
    L_s: float  # B-5 areocentric solar longitude [deg, 0..360)
    EOT: float  # C-1 equation of time [deg]
    MSD: float  # C-2 Mars Sol Date
    MST: float  # C-2 mean solar time at the prime meridian (Airy) [h]
    subsolar_longitude_east_deg: float  # C-4/D-1, planetographic east [-180, 180)
    delta_s: float  # D-1 planetographic solar declination = subsolar latitude [deg]
    r_au: float  # D-2 heliocentric distance [AU]


@dataclass(frozen=True)
class SunPosition:
    """The Sun from a place on Mars at one instant."""

    direction_enu: np.ndarray  # unit vector toward the Sun in the local ENU frame, shape (3,)
    elevation_deg: float  # above the horizon (negative: below)
    azimuth_deg: float  # clockwise from north, 0..360
    local_mean_solar_time_h: float
    local_true_solar_time_h: float
    L_s: float


def _to_datetime(utc) -> datetime:
    if isinstance(utc, datetime):
        dt = utc
    else:
        text = str(utc).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _tt_minus_utc_s(dt: datetime) -> float:
    """A-4: TT − UTC [s] = 32.184 s + (TAI − UTC) from the leap-second table (astropy/ERFA)."""
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False  # nothing downloads at run time
    t = Time(dt.replace(tzinfo=None), scale="utc")
    return float((t.tt.jd1 - t.jd1) * 86400.0 + (t.tt.jd2 - t.jd2) * 86400.0)


def mars24(utc) -> Mars24:
    """Run the Mars24 algorithm (steps A-1 to D-2) for a UTC time (datetime or ISO 8601 string)."""
    dt = _to_datetime(utc)
    millis = (dt - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1000.0
    JD_UT = _JD_UNIX_EPOCH + millis / 8.64e7
    TT_minus_UTC = _tt_minus_utc_s(dt)
    JD_TT = JD_UT + TT_minus_UTC / 86400.0
    dt_J2000 = JD_TT - _JD_J2000
    M = 19.3871 + 0.52402073 * dt_J2000  # B-1
    alpha_FMS = 270.3871 + 0.524038496 * dt_J2000  # B-2
    PBS = sum(  # B-3
        A * math.cos(math.radians(0.985626 * dt_J2000 / tau + phi)) for A, tau, phi in zip(_PBS_A, _PBS_TAU, _PBS_PHI)
    )
    Mr = math.radians(M)
    nu_minus_M = (  # B-4
        (10.691 + 3.0e-7 * dt_J2000) * math.sin(Mr)
        + 0.623 * math.sin(2 * Mr)
        + 0.050 * math.sin(3 * Mr)
        + 0.005 * math.sin(4 * Mr)
        + 0.0005 * math.sin(5 * Mr)
        + PBS
    )
    L_s = (alpha_FMS + nu_minus_M) % 360.0  # B-5
    Lr = math.radians(L_s)
    EOT = 2.861 * math.sin(2 * Lr) - 0.071 * math.sin(4 * Lr) + 0.002 * math.sin(6 * Lr) - nu_minus_M  # C-1
    MSD = (JD_TT - 2451549.5) / _SOL_IN_DAYS + 44796.0 - 0.0009626  # C-2
    MST = (24.0 * MSD) % 24.0
    # Subsolar west longitude Λs = MST·15° + EOT + 180° (D-1); east = −west.
    subsolar_west = (MST * 15.0 + EOT + 180.0) % 360.0
    subsolar_east = (-subsolar_west + 180.0) % 360.0 - 180.0
    delta_s = math.degrees(math.asin(0.42565 * math.sin(Lr))) + 0.25 * math.sin(Lr)  # D-2 (planetographic)
    r_au = 1.5236 * (  # D-3
        1.00436 - 0.09309 * math.cos(Mr) - 0.004336 * math.cos(2 * Mr) - 0.00031 * math.cos(3 * Mr) - 0.00003 * math.cos(4 * Mr)
    )
    return Mars24(
        JD_UT=JD_UT,
        TT_minus_UTC_s=TT_minus_UTC,
        JD_TT=JD_TT,
        delta_t_J2000=dt_J2000,
        M=M,
        alpha_FMS=alpha_FMS,
        PBS=PBS,
        nu_minus_M=nu_minus_M,
        L_s=L_s,
        EOT=EOT,
        MSD=MSD,
        MST=MST,
        subsolar_longitude_east_deg=subsolar_east,
        delta_s=delta_s,
        r_au=r_au,
    )


def local_mean_solar_time_h(utc, longitude_east_deg: float) -> float:
    """C-3: LMST [h] = MST − Λ (24 h / 360°) with Λ the west longitude."""
    p = mars24(utc)
    return (p.MST + longitude_east_deg / 15.0) % 24.0


def local_true_solar_time_h(utc, longitude_east_deg: float) -> float:
    """C-4: LTST [h] = LMST + EOT (24 h / 360°)."""
    p = mars24(utc)
    return (p.MST + longitude_east_deg / 15.0 + p.EOT / 15.0) % 24.0


def sun_position(utc, latitude_deg: float, longitude_east_deg: float) -> SunPosition:
    """Direction of the Sun in the local ENU frame at a place (planetographic lat, east lon).

    The Sun is at infinity, so its direction is the surface normal at the subsolar point
    (planetographic latitude δs, longitude from D-1), expressed in the place's ENU basis.
    """
    p = mars24(utc)
    ds, ls = math.radians(p.delta_s), math.radians(p.subsolar_longitude_east_deg)
    sun_fixed = np.array([math.cos(ds) * math.cos(ls), math.cos(ds) * math.sin(ls), math.sin(ds)])
    direction = enu_basis(latitude_deg, longitude_east_deg) @ sun_fixed
    direction = direction / np.linalg.norm(direction)
    elevation = math.degrees(math.asin(float(np.clip(direction[2], -1.0, 1.0))))
    azimuth = math.degrees(math.atan2(direction[0], direction[1])) % 360.0
    lmst = (p.MST + longitude_east_deg / 15.0) % 24.0
    return SunPosition(
        direction_enu=direction,
        elevation_deg=elevation,
        azimuth_deg=azimuth,
        local_mean_solar_time_h=lmst,
        local_true_solar_time_h=(lmst + p.EOT / 15.0) % 24.0,
        L_s=p.L_s,
    )
