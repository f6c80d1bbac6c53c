"""The Monte Carlo's dispersed physics in the flight: a wind that changes with height, entry
navigation errors that the guidance and the Range Trigger act on, the divert the flight made, and
a hard landing blamed on what caused it."""

import math
from dataclasses import replace

import numpy as np
import pytest

from edlcam.flight.dispersions import draw_cases, wind_profile_covariance
from edlcam.flight.sequencer import CaseInputs, fly
from edlcam.mission import load_mission


@pytest.fixture(scope="module")
def mission():
    return load_mission()


@pytest.fixture(scope="module")
def nominal(mission):
    return fly(mission, record=True)


def _with(mission, **values):
    base = CaseInputs.nominal(mission, 1)
    return replace(base, **{k: np.array([float(v)]) for k, v in values.items()})


def test_the_wind_follows_the_profile_with_height(mission):
    # A profile from 2 m/s east at the ground to 20 m/s at 10 km, turning from east to north.
    nodes = {"wind_e0_m_s": 2.0, "wind_e1_m_s": 6.0, "wind_e2_m_s": 12.0, "wind_e3_m_s": 0.0, "wind_e4_m_s": 0.0,
             "wind_n0_m_s": 0.0, "wind_n1_m_s": 0.0, "wind_n2_m_s": 5.0, "wind_n3_m_s": 20.0, "wind_n4_m_s": 25.0}  # fmt: skip
    r = fly(mission, cases=_with(mission, **nodes), record=True)
    rec = {k: v[:, 0] for k, v in r.record.items()}
    heights = np.asarray(mission.montecarlo.wind.heights_m)
    ground = rec["altitude_m"] - rec["height_agl_m"]
    target_ground = ground[-1]  # lands at the target's ground (the target's frame) within metres
    h = rec["altitude_m"] - target_ground
    below = h < 30000.0
    assert below.sum() > 100
    expect_e = np.interp(h[below], heights, [nodes[f"wind_e{k}_m_s"] for k in range(5)])
    expect_n = np.interp(h[below], heights, [nodes[f"wind_n{k}_m_s"] for k in range(5)])
    # The wind is evaluated at the start of each step; the target's ground is read to metres here.
    assert np.abs(rec["wind_e"][below] - expect_e).max() < 0.05
    assert np.abs(rec["wind_n"][below] - expect_n).max() < 0.05
    assert np.ptp(rec["wind_n"][below]) > 20.0  # it does change with height


def test_wind_profile_draws_have_the_stated_covariance(mission):
    c, _ = draw_cases(mission, np.arange(1, 4001))
    for comp in ("e", "n"):
        x = np.stack([getattr(c, f"wind_{comp}{k}_m_s") for k in range(5)], axis=1)
        cov = np.cov(x.T)
        want = wind_profile_covariance(mission.montecarlo.wind)
        # 4000 draws: a variance to ≈ √(2/4000) = 2.2 %, a covariance to ≈ σ_i σ_j / √4000; allow 4×.
        s = np.sqrt(np.diag(want))
        assert np.abs(cov - want).max() <= 4 * np.outer(s, s).max() / math.sqrt(4000) + 1e-9
    assert np.all(c.wind_east_m_s == 0.0)  # no wind constant with height any more (it set the ellipse alone)


def test_upper_density_is_centred_on_the_nominal(mission):
    c, _ = draw_cases(mission, np.arange(1, 4001))
    # The median of the drawn multiplier is the nominal's (lognormal median 1): 4000 draws put
    # the sample median within ≈ 1.25 σ_ln / √4000 ≈ 0.7 % of it; allow 3 %.
    assert np.median(c.density_scale_high) == pytest.approx(mission.atmosphere.density_scale_high, rel=0.03)


def test_entry_navigation_error_moves_the_range_triggered_deploy(mission, nominal):
    # The navigation believes the vehicle 1.5 km further along the entry heading than it is: the
    # Range Trigger fires on the navigated range, so the true deploy point falls ≈ 1.5 km short.
    h = math.radians(mission.entry.heading_deg)
    along = 1500.0
    r = fly(mission, cases=_with(mission, nav_ei_east_m=along * math.sin(h), nav_ei_north_m=along * math.cos(h)))
    dep0, dep = nominal.events["parachute_deploy"], r.events["parachute_deploy"]
    d_e = dep["east_m"][0] - dep0["east_m"][0]
    d_n = dep["north_m"][0] - dep0["north_m"][0]
    # Along the approach at the target (the great circle has turned from the EI heading by < 3°).
    assert d_e * math.sin(h) + d_n * math.cos(h) == pytest.approx(-along, rel=0.1)
    assert r.status[0] == "landed"


def test_zero_navigation_error_flies_the_nominal_bit_for_bit(mission, nominal):
    zero = {f: 0.0 for f in ("nav_ei_east_m", "nav_ei_north_m", "nav_ei_ve_m_s", "nav_ei_vn_m_s", "nav_ei_vu_m_s",
                             "nav_imu_e", "nav_imu_n", "nav_imu_u", "divert_from_navigated")}  # fmt: skip
    r = fly(mission, cases=_with(mission, **zero), record=True)
    for k, v in nominal.record.items():
        assert np.array_equal(r.record[k], v, equal_nan=True), k


def test_the_divert_goes_near_where_the_vehicle_is_not_back_to_the_centre(mission):
    # Deploy ≈ 2 km short (navigation error): diverting to the mission's target brings it back
    # 600 m; the flight's divert picks a target near where it is (here 0 m from it).
    h = math.radians(mission.entry.heading_deg)
    nav = {"nav_ei_east_m": 2000.0 * math.sin(h), "nav_ei_north_m": 2000.0 * math.cos(h)}
    to_target = fly(mission, cases=_with(mission, **nav))
    as_flown = fly(mission, cases=_with(mission, divert_from_navigated=1.0, **nav))
    for r in (to_target, as_flown):
        assert r.status[0] == "landed", r.reason[0]
    pd_start = as_flown.events["powered_descent_start"]
    td = as_flown.events["touchdown"]
    moved = math.hypot(td["east_m"][0] - pd_start["east_m"][0], td["north_m"][0] - pd_start["north_m"][0])
    assert moved < 100.0  # lands under where it started its approach (the drift of the approach only)
    assert to_target.miss_distance_m[0] < as_flown.miss_distance_m[0] - 400.0  # the old divert pulled it ≈ 600 m back


def test_hard_landing_from_altitude_knowledge_is_blamed_on_it(mission):
    # The descent believes itself 12 m higher than it is: the sky crane starts ≈ 9 m above the ground.
    r = fly(mission, cases=_with(mission, nav_error_up_m=12.0))
    assert r.status[0] == "hard_landing"
    assert "altitude knowledge read +12" in r.reason[0], r.reason[0]
    assert "divert" not in r.reason[0]
