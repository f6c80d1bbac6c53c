"""The relay pass schedule and its validation."""

from __future__ import annotations

import pytest

from edlcam.config.link import LinkConfig, PassConfig
from edlcam.errors import LinkError
from edlcam.link.passes import MARS_SOLAR_DAY_S, build_schedule, schedule_capacity_bits


def test_default_schedule_repeats_every_sol():
    passes = build_schedule(LinkConfig().passes, days=4)
    per_sol = len(LinkConfig().passes)
    # 4 Earth days = 3.89 sols: 3 full sols plus the passes of the 4th that start before day 4
    assert 3 * per_sol < len(passes) <= 4 * per_sol
    assert passes[per_sol].start_s - passes[0].start_s == pytest.approx(MARS_SOLAR_DAY_S)
    assert all(a.end_s <= b.start_s for a, b in zip(passes, passes[1:]))


def test_default_pass_volumes_are_in_the_expected_range():
    # brief / est.: ~100–500 Mbit per pass
    for p in build_schedule(LinkConfig().passes, days=1):
        assert 100e6 <= p.capacity_bits <= 500e6
    assert schedule_capacity_bits(build_schedule(LinkConfig().passes, days=1)) > 0


def test_overlapping_passes_are_refused():
    per_sol = [
        PassConfig(orbiter="MRO", start_s=1000.0, duration_s=600.0, rate_bps=1e5),
        PassConfig(orbiter="TGO", start_s=1500.0, duration_s=600.0, rate_bps=1e5),
    ]
    with pytest.raises(LinkError) as err:
        build_schedule(per_sol, days=1)
    assert str(err.value) == (
        "mission [[link.passes]]: pass 1 (TGO) starts at 1500 s, before pass 0 (MRO) ends at 1600 s; "
        "the rover has one radio: move or shorten one of them"
    )


def test_negative_rate_is_refused():
    per_sol = [PassConfig(orbiter="ODY", start_s=0.0, duration_s=60.0, rate_bps=-5.0)]
    with pytest.raises(LinkError, match=r"pass 0 \(ODY\) has rate_bps -5; a rate must be > 0 bit/s"):
        build_schedule(per_sol, days=1)


def test_days_must_be_positive():
    with pytest.raises(LinkError, match="--days is 0"):
        build_schedule(LinkConfig().passes, days=0)
