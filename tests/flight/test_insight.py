"""The shipped `insight` mission: InSight on Elysium Planitia (2018), a sequence Mars 2020 cannot fly —
a ballistic entry, a Mach trigger, legs, pulse-modulated thrusters, a touchdown on legs — and its
events against NASA/JPL's published timeline.

Published times (E+ s after entry interface), NASA/JPL's pre-landing InSight timeline (Nov 2018;
"How to land on Mars", times to touchdown, entry 6¾ min before it): parachute E+218 s, heat-shield
separation E+233–248 s, legs E+243–248 s (10 s after the heat shield), lander separation
E+360–364 s, touchdown E+405 s; the ranges span NASA's two pages ("How to land on Mars" and the
EDL page, 2 min 37 s before touchdown for the heat shield and legs, 41 s for lander separation).

Tolerances: the flight is the nominal of a model with estimated inputs, not a reconstruction. ±10 s
through the parachute's first 40 s (NASA: times "may vary by several seconds"). ±30 s for lander
separation and touchdown: the model's parachute opens at the flown Mach 1.66 but ≈ 9.8 km above the
ground against the flown 11.13 km (Safran Aerosystems), in Mars 2020's atmosphere model (no
Elysium winter profile), so its parachute descent is ≈ 30 s shorter than NASA's (issue 19: not
fixed here). Karlgaard et al. 2021 also report the flown timeline short of the prediction.
"""

from datetime import datetime

import numpy as np
import pytest

from edlcam.flight.sequencer import fly
from edlcam.link.clock import SclkCorrelation, light_time_s, utc_to_unix_s
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission, shipped_missions

PUBLISHED_S = {  # NASA/JPL, as above: ((earliest, latest) E+ s, tolerance s)
    "parachute_deploy": ((218.0, 218.0), 10.0),
    "heatshield_separation": ((233.0, 248.0), 10.0),
    "leg_deployment": ((243.0, 248.0), 10.0),
    "backshell_separation": ((360.0, 364.0), 30.0),  # lander separation
    "touchdown": ((405.0, 405.0), 30.0),
}


@pytest.fixture(scope="module")
def insight():
    return load_mission(shipped_missions()["insight"])


@pytest.fixture(scope="module")
def flight(insight):
    return fly(insight, record=True)


def test_insight_ships_with_phoenix_s_sequence_and_one_virtual_camera(insight):
    assert insight.mission.name == "InSight"
    seq = insight.sequence
    assert (seq.entry, seq.parachute_trigger, seq.leg_deployment) == ("ballistic", "mach", "delay")
    assert (seq.powered_descent, seq.terminal_descent, seq.touchdown) == ("pulsed", "legs", "leg_switch")
    assert list(insight.cameras.views) == ["virtual_descent"]  # no descent camera flew: one virtual one, named so
    assert set(insight.onboard.capture) == {"virtual_descent"}  # no microphone
    assert insight.vehicle.entry_mass_kg == pytest.approx(608.0)  # NASA/JPL
    assert insight.vehicle.diameter_m == pytest.approx(2.65)  # NASA/JPL, Lockheed Martin
    assert (insight.powered_descent.engine_count, insight.powered_descent.pulse_period_s) == (12, 0.1)  # NASA/JPL: 12 thrusters, 10 Hz
    assert not insight.lvs.enabled


def test_entry_and_touchdown_clocks(insight, flight):
    corr = SclkCorrelation(insight.link.sclk_epoch_utc, insight.link.sclk_rate)
    assert insight.onboard.sclk_at_entry_interface_s == pytest.approx(corr.sclk_from_scet(utc_to_unix_s(insight.entry.utc)), abs=1e-3)
    # Touchdown was confirmed on Earth at 19:52:59 UTC (Abilleira et al. 2019, AAS 19-204): the model's
    # touchdown plus the light time then (NASA: 8 min 7 s), within the ±30 s of its touchdown time above.
    td_scet = utc_to_unix_s(insight.entry.utc) + float(flight.events["touchdown"]["t_s"][0])
    confirmed = datetime.fromisoformat("2018-11-26T19:52:59+00:00").timestamp()
    assert light_time_s(td_scet) == pytest.approx(487.0, abs=2.0)
    assert td_scet + light_time_s(td_scet) == pytest.approx(confirmed, abs=30.0)


def test_insight_lands_on_its_legs_on_the_target(insight, flight):
    assert flight.status[0] == "landed", flight.reason[0]
    # NASA/JPL: a constant ≈ 5 mph (2.4 m/s) to touchdown; the thrusters' duty cycle holds it within a step's Δv
    assert flight.touchdown_vertical_speed_m_s[0] == pytest.approx(insight.powered_descent.constant_velocity_m_s, abs=0.3)
    assert flight.touchdown_horizontal_speed_m_s[0] < 0.5
    for name in ("skycrane_start", "deceleration_start", "sufr_start", "range_control_start"):
        assert np.isnan(flight.events[name]["t_s"][0]), name  # no sky crane, no deceleration phase, no guided entry
    assert flight.miss_distance_m[0] < 1000.0  # the entry point was placed for it (est.)


@pytest.mark.parametrize("name", sorted(PUBLISHED_S))
def test_event_times_against_nasa_s_timeline(flight, name):
    (lo, hi), tolerance = PUBLISHED_S[name]
    t = float(flight.events[name]["t_s"][0])
    assert lo - tolerance <= t <= hi + tolerance, f"{name} at E+{t:.1f} s, NASA/JPL E+{lo:.0f}–{hi:.0f} s"


def test_the_mission_compares_its_events_with_nasa_s_timeline(insight):
    published = insight.mission.published()
    for name, (span, _tolerance) in PUBLISHED_S.items():
        assert published[name] == span, name
    assert published["skycrane_start"] is None


def test_parachute_on_mach_and_legs_after_the_heat_shield(insight, flight):
    dep = flight.events["parachute_deploy"]
    assert float(dep["mach"][0]) == pytest.approx(1.66, abs=0.01)  # Safran Aerosystems: the flown Mach 1.66
    t_hs = float(flight.events["heatshield_separation"]["t_s"][0])
    t_legs = float(flight.events["leg_deployment"]["t_s"][0])
    # NASA/JPL: the legs 10 s after the heat shield; the steps end on it (one output step, 0.05 s)
    assert t_legs - t_hs == pytest.approx(insight.parachute.leg_deployment_delay_s, abs=insight.simulation.step_s + 1e-9)
    assert t_hs - float(dep["t_s"][0]) == pytest.approx(15.0, abs=insight.simulation.step_s + 1e-9)  # NASA/JPL: 15 s


def test_pulsed_thrusters_fire_whole_steps_of_the_shortest_pulse(insight, flight):
    throttle = flight.record["throttle"][:, 0]
    phase = flight.record["phase_code"][:, 0]
    lit = throttle[(phase >= 3) & (phase <= 6)]  # APPROACH … terminal: the thrusters' duty cycle
    levels = round(insight.powered_descent.pulse_period_s / insight.powered_descent.min_pulse_s)
    assert lit.size > 100
    assert np.allclose(lit * levels, np.round(lit * levels), atol=1e-6)  # tenths of the period
    assert len(np.unique(np.round(lit * levels))) >= 3  # the duty cycle moves with the command
    assert flight.propellant_used_kg[0] < insight.vehicle.propellant_mass_kg


def test_a_rover_under_a_sky_crane_deploys_no_legs():
    res = fly(load_mission())
    assert np.isnan(res.events["leg_deployment"]["t_s"][0])
    assert np.isfinite(res.events["skycrane_start"]["t_s"][0])


def test_elysium_is_a_flat_plain_at_the_landed_altitude(insight):
    terrain = Terrain.from_mission(insight)
    # Golombek et al. 2020: the lander at −2613 m (MOLA); ±50 m of the model's small relief
    assert float(terrain.altitude_m(0.0, 0.0)) == pytest.approx(-2613.0, abs=50.0)
    e = np.linspace(-3000.0, 3000.0, 13)
    heights = np.array([[float(terrain.altitude_m(x, y)) for x in e] for y in e])
    assert heights.max() - heights.min() < 60.0  # est. bound: a smooth plain, no crater wall within 3 km
