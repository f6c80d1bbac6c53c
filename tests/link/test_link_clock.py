"""Light time and the SCLK ↔ SCET ↔ ERT conversions against published values."""

from __future__ import annotations

import pytest

from edlcam.link.clock import SclkCorrelation, SimClock, light_time_s, light_times_s, utc_iso, utc_to_unix_s

ENTRY = utc_to_unix_s("2021-02-18T20:36:38Z")


def test_light_time_at_landing_matches_nasa():
    # NASA: one-way light time at landing 11 min 22 s = 682 s (REFERENCE.md); NASA rounds to the
    # second and the built-in ephemeris is good to ~1e-6, so ±1 s.
    assert light_time_s(ENTRY) == pytest.approx(682.0, abs=1.0)


def _light_time_alone(unix_s: float) -> float:
    """The light time solved for one scalar time, as the clock did before it solved many at once."""
    import astropy.units as u
    from astropy.coordinates import get_body_barycentric
    from astropy.time import Time

    from edlcam.link.clock import SPEED_OF_LIGHT_M_S

    t = Time(unix_s, format="unix", scale="utc")
    mars = get_body_barycentric("mars", t)
    tau_s = 680.0
    for _ in range(4):
        earth = get_body_barycentric("earth", t + tau_s * u.s)
        tau_s = float((earth - mars).norm().to_value(u.m)) / SPEED_OF_LIGHT_M_S
    return tau_s


def test_light_times_together_equal_each_alone_bit_for_bit():
    # The relay solves every delivery's light time in one array; the ERTs in the golden catalog
    # were made one at a time, so the two must agree exactly, not approximately.
    times = [ENTRY + 3 * 86_400.0 + k * 977.0 for k in range(6)] + [ENTRY + 3 * 86_400.0 + 0.4]
    together = light_times_s(times)
    assert together == [_light_time_alone(float(round(t))) for t in times]
    assert together[-1] == together[0]  # cached per second of SCET
    assert light_time_s(times[2]) == together[2]


def test_entry_earth_received_time_matches_nasa():
    # NASA: entry interface received on Earth ≈ 20:48 UTC on 2021-02-18 (REFERENCE.md), ±1 s.
    ert = SclkCorrelation.ert_from_scet(ENTRY)
    assert ert - utc_to_unix_s("2021-02-18T20:48:00Z") == pytest.approx(0.0, abs=1.0)


def test_scet_from_ert_inverts_ert_from_scet():
    ert = SclkCorrelation.ert_from_scet(ENTRY + 410.0)
    assert SclkCorrelation.scet_from_ert(ert) == pytest.approx(ENTRY + 410.0, abs=1e-3)  # 1 ms


def test_sclk_counts_leap_seconds():
    # IERS Bulletin C: five leap seconds between 2000 and 2021 (2005, 2008, 2012, 2015, 2016), so
    # SI seconds on the spacecraft clock exceed the UTC (Unix) difference by exactly 5 s.
    c = SclkCorrelation(epoch_utc="2000-01-01T11:58:55.816Z")
    naive = ENTRY - utc_to_unix_s("2000-01-01T11:58:55.816Z")
    assert c.sclk_from_scet(ENTRY) - naive == pytest.approx(5.0, abs=1e-3)
    assert c.scet_from_sclk(c.sclk_from_scet(ENTRY)) == pytest.approx(ENTRY, abs=1e-3)


def test_sclk_rate_scales_elapsed_time():
    c = SclkCorrelation(rate=1.000001)
    assert c.sclk_from_scet(ENTRY + 1000.0) - c.sclk_from_scet(ENTRY) == pytest.approx(1000.001, abs=1e-5)


def test_utc_round_trip_and_format():
    assert utc_iso(ENTRY + 682.29) == "2021-02-18T20:48:00.290Z"
    assert utc_to_unix_s(utc_iso(ENTRY + 0.5)) == pytest.approx(ENTRY + 0.5)


def test_sim_clock_only_moves_forward():
    clock = SimClock()
    clock.advance_to(5.0)
    clock.advance_to(3.0)
    assert clock.now_s == 5.0
    clock.advance_by(1.5)
    assert clock.now_s == 6.5
    with pytest.raises(ValueError):
        clock.advance_by(-1.0)
