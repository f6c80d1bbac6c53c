"""The Mars24 port against its published worked example and the Mars 2020 landing."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest

from edlcam.mars.sun import local_mean_solar_time_h, local_true_solar_time_h, mars24, sun_position

# NASA GISS, "Mars24 Sunclock — Algorithm and Worked Examples", example A: 2000-01-06 00:00:00 UTC.
# (value, tolerance = one unit in the last digit the page gives: the page truncates some values)
WORKED_A = {
    "JD_UT": (2451549.5, 5e-7),
    "TT_minus_UTC_s": (64.184, 5e-4),
    "JD_TT": (2451549.500743, 5e-7),
    "delta_t_J2000": (4.500743, 5e-7),
    "M": (21.74558, 5e-6),
    "alpha_FMS": (272.74566, 5e-6),
    "PBS": (0.00142, 5e-6),
    "nu_minus_M": (4.44193, 5e-6),
    "L_s": (277.18758, 1e-5),
    "MSD": (44795.99976, 5e-6),
    "MST": (23.99425, 5e-6),
    "delta_s": (-25.2282, 5e-5),
    "r_au": (1.39351, 5e-6),
}


@pytest.mark.parametrize("name", sorted(WORKED_A))
def test_worked_example_a_step_by_step(name):
    value, tol = WORKED_A[name]
    got = getattr(mars24("2000-01-06T00:00:00Z"), name)
    assert got == pytest.approx(value, abs=tol), name


def test_worked_example_a_equation_of_time_and_true_solar_time():
    p = mars24("2000-01-06T00:00:00Z")
    # GISS example A: EOT = −5.18774° (−20.75 Martian min); LTST at Airy 23:38:54. The EOT digit
    # is rounded on the page: allow one unit in the 5th decimal.
    assert p.EOT == pytest.approx(-5.18774, abs=1.5e-5)
    ltst = local_true_solar_time_h("2000-01-06T00:00:00Z", 0.0)
    assert ltst * 3600.0 == pytest.approx((23 * 60 + 38) * 60 + 54, abs=1.0)  # one second
    # D-1: subsolar point at 174.726° W.
    assert -p.subsolar_longitude_east_deg == pytest.approx(174.726, abs=5e-4)


def test_mars2020_landing_is_mid_afternoon_with_the_sun_up():
    # Touchdown 2021-02-18 ≈ 20:44 UTC SCET at 18.4447 N, 77.4508 E (REFERENCE.md);
    # NASA reported ≈ 3:53 pm local mean solar time.
    sun = sun_position("2021-02-18T20:44:00Z", 18.4447, 77.4508)
    assert sun.local_mean_solar_time_h == pytest.approx(15.0 + 53.0 / 60.0, abs=5.0 / 60.0)  # ±5 min
    assert 20.0 < sun.elevation_deg < 60.0  # afternoon Sun, well above the horizon
    assert 180.0 < sun.azimuth_deg < 300.0  # in the western sky
    assert np.linalg.norm(sun.direction_enu) == pytest.approx(1.0, abs=1e-12)
    # Northern spring: Mars Year 36 began (L_s = 0) on 2021-02-07, eleven days earlier.
    assert 3.0 < sun.L_s < 8.0


def test_sun_overhead_at_the_subsolar_point_and_down_opposite():
    utc = "2021-02-18T20:44:00Z"
    p = mars24(utc)
    overhead = sun_position(utc, p.delta_s, p.subsolar_longitude_east_deg)
    assert overhead.elevation_deg == pytest.approx(90.0, abs=1e-6)
    assert overhead.local_true_solar_time_h == pytest.approx(12.0, abs=1e-9)
    night = sun_position(utc, -p.delta_s, p.subsolar_longitude_east_deg + 180.0)
    assert night.elevation_deg == pytest.approx(-90.0, abs=1e-6)


def test_local_times_follow_longitude_and_equation_of_time():
    utc = datetime(2021, 2, 18, 20, 44, tzinfo=timezone.utc)
    lmst0 = local_mean_solar_time_h(utc, 0.0)
    lmst90 = local_mean_solar_time_h(utc, 90.0)
    assert (lmst90 - lmst0) % 24.0 == pytest.approx(6.0, abs=1e-9)  # 15° per Mars hour
    eot_h = mars24(utc).EOT / 15.0
    assert (local_true_solar_time_h(utc, 90.0) - lmst90) % 24.0 == pytest.approx(eot_h % 24.0, abs=1e-9)


def test_datetime_and_iso_string_agree_and_naive_means_utc():
    a = mars24("2021-02-18T20:44:00Z")
    b = mars24(datetime(2021, 2, 18, 20, 44, tzinfo=timezone.utc))
    c = mars24(datetime(2021, 2, 18, 20, 44))
    assert a == b == c
    # One Mars sol later the mean solar time repeats.
    later = mars24(datetime.fromtimestamp(datetime(2021, 2, 18, 20, 44, tzinfo=timezone.utc).timestamp() + 88775.244, timezone.utc))
    assert later.MSD - a.MSD == pytest.approx(1.0, abs=1e-6)
    assert math.isclose(later.MST, a.MST, abs_tol=1e-4)
