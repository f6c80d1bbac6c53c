"""The umbilical against closed forms: a saturated link moves rate × time, an idle one delays by size / rate."""

from __future__ import annotations

import pytest

from edlcam.onboard.umbilical import Parcel, plan_umbilical

MB = 1_000_000


def _p(key, t, size=MB, priority=1, source="puc_a"):
    return Parcel(key, source, key, t, size, priority)


def test_saturated_link_moves_rate_times_time():
    # 1 Gbit/s for 10 s moves 1.25 GB: exactly 1250 records of 1 MB; the 1251st is cut mid-way
    parcels = [_p(k, 0.0) for k in range(2000)]
    r = plan_umbilical(parcels, rate_bps=1e9, t_cut_s=10.0 + 1e-9)
    assert len(r.crossed) == 1250
    assert r.crossed[-1].t_arrive_s == pytest.approx(10.0, abs=1e-9)
    reasons = [x.reason for x in r.lost]
    assert reasons[0] == "in transit at cut" and set(reasons[1:]) == {"waiting at cut"} and len(reasons) == 750
    assert r.bytes_crossed + r.bytes_lost == 2000 * MB


def test_idle_link_delays_each_record_by_its_transmission_time():
    # 1 MB at 100 Mbit/s takes 0.08 s
    r = plan_umbilical([_p(0, 1.0), _p(1, 2.0)], rate_bps=1e8, t_cut_s=100.0)
    assert [c.t_arrive_s for c in r.crossed] == pytest.approx([1.08, 2.08], abs=1e-12)
    assert r.lost == ()


def test_more_important_records_overtake_waiting_ones_but_never_preempt():
    parcels = [_p(0, 0.0, priority=2), _p(1, 0.0, priority=2), _p(2, 0.01, priority=0, source="ddc")]
    r = plan_umbilical(parcels, rate_bps=8e7, t_cut_s=100.0)  # 0.1 s per record
    assert [c.parcel.key for c in r.crossed] == [0, 2, 1]
    assert [c.t_start_s for c in r.crossed] == pytest.approx([0.0, 0.1, 0.2])


def test_records_after_the_cut_are_lost_with_the_descent_stage():
    r = plan_umbilical([_p(0, 5.0), _p(1, 12.0)], rate_bps=1e9, t_cut_s=10.0)
    assert [c.parcel.key for c in r.crossed] == [0]
    assert [(x.parcel.key, x.reason) for x in r.lost] == [(1, "recorded after cut")]


def test_no_parcels_and_bad_rate():
    assert plan_umbilical([], rate_bps=1e6, t_cut_s=1.0).crossed == ()
    with pytest.raises(ValueError, match="rate_bps is 0; it must be positive"):
        plan_umbilical([], rate_bps=0, t_cut_s=1.0)
