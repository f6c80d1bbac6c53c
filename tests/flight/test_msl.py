"""The shipped `msl` mission: Curiosity into Gale crater, its events against the times flown.

Published flown times (E+ s after entry interface), NASA/JPL MSL landing event reports (Aug 2012),
as quoted in issue 19: parachute deploy ≈ E+259 s, heat-shield separation ≈ E+279 s, rover
separation (the sky crane lowering the rover) ≈ E+413 s, touchdown ≈ E+432 s. Entry interface
2012-08-06 05:10:45.7 UTC SCET (Karlgaard et al. 2014, J. Spacecr. Rockets 51(4)); touchdown
05:17:57.3 UTC SCET (NASA/JPL), E+431.6 s.

Tolerances: the flight is the nominal of a model with estimated inputs (the trigger velocity, the
aerodynamics, Mars 2020's descent-stage design), not a reconstruction: ±10 s on deploy and
heat-shield separation (NASA/JPL gave the deploy time ±10–15 s before flight), ±20 s on rover
separation and touchdown (the powered descent's length depends on the parachute's descent rate).
"""

from datetime import datetime

import numpy as np
import pytest

from edlcam.flight.sequencer import fly
from edlcam.link.clock import SclkCorrelation, utc_to_unix_s
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission, shipped_missions

FLOWN_S = {  # NASA/JPL, as above: (E+ s, tolerance s)
    "parachute_deploy": (259.0, 10.0),
    "heatshield_separation": (279.0, 10.0),
    "skycrane_start": (413.0, 20.0),  # rover separation
    "touchdown": (432.0, 20.0),
}


@pytest.fixture(scope="module")
def msl():
    return load_mission(shipped_missions()["msl"])


@pytest.fixture(scope="module")
def flight(msl):
    return fly(msl)


def test_msl_ships_and_extends_mars2020(msl):
    assert "msl" in shipped_missions()
    assert msl.mission.name == "Mars Science Laboratory"
    assert msl.sequence.parachute_trigger == "navigated_velocity"
    assert list(msl.cameras.views) == ["mardi"]  # MARDI only: Mars 2020's six EDLCAM cameras and LCAM removed
    assert set(msl.onboard.capture) == {"mardi"}  # no microphone flew
    mardi = msl.cameras.views["mardi"]
    assert (mardi.width_px, mardi.height_px, mardi.colour) == (1600, 1200, "bayer")  # Malin et al. 2017
    assert mardi.fps == pytest.approx(4.0)  # NASA/JPL: ≈ 4 fps
    assert not msl.lvs.enabled


def test_entry_interface_utc_is_the_reconstruction(msl):
    # Karlgaard et al. 2014: EI 2012-08-06 05:10:45.7 UTC SCET
    assert datetime.fromisoformat(msl.entry.utc.replace("Z", "+00:00")).isoformat() == "2012-08-06T05:10:45.700000+00:00"
    corr = SclkCorrelation(msl.link.sclk_epoch_utc, msl.link.sclk_rate)
    assert msl.onboard.sclk_at_entry_interface_s == pytest.approx(corr.sclk_from_scet(utc_to_unix_s(msl.entry.utc)), abs=1e-3)


def test_msl_lands(flight):
    assert flight.status[0] == "landed", flight.reason[0]


@pytest.mark.parametrize("name", sorted(FLOWN_S))
def test_event_times_against_the_flown_ones(flight, name):
    flown, tolerance = FLOWN_S[name]
    t = float(flight.events[name]["t_s"][0])
    assert t == pytest.approx(flown, abs=tolerance), f"{name} at E+{t:.1f} s, flown ≈ E+{flown:.0f} s"


# The entry guidance's events flown, E+ s after EI 05:10:45.7 SCET: Lakdawalla 2018, "The Design and
# Engineering of Curiosity" (Springer-Praxis), table 2.2 (SCET of each event, from Karlgaard et al. 2014,
# Schoenenberger et al. 2014 and Way et al. 2013), as read: range control (0.2 g sensed) 05:11:31, "46 s
# after entry" in the text; peak heating 05:11:49; peak deceleration 05:12:06. ±10 s: the nominal's
# atmosphere is not the one flown into (the text: denser than the navigation team's model).
FLOWN_GUIDANCE_S = {"range_control_start": 45.3, "peak_heating": 63.3, "peak_deceleration": 80.3}


@pytest.mark.parametrize("name", sorted(FLOWN_GUIDANCE_S))
def test_entry_guidance_events_against_the_flown_ones(flight, name):
    t = float(flight.events[name]["t_s"][0])
    assert t == pytest.approx(FLOWN_GUIDANCE_S[name], abs=10.0), f"{name} at E+{t:.1f} s"


# The same table: heading alignment (the end of range control) 05:13:01, E+135.3 s; the entry balance
# masses off (SUFR) 05:14:45, E+239.3 s, 20 s before deploy. The nominal reaches the heading-alignment
# speed (1100 m/s, Mendeck & Craig 2011) at E+153 s and begins SUFR at E+250 s: its deceleration from
# peak deceleration to 1100 m/s takes 71 s against the 55 s flown, if the flight's trigger was 1100 m/s
# (benchmarks/RESULTS.md, "The capsule's supersonic aerodynamics and mass"). Strict: a model that
# reaches the flight fails here and becomes a plain test.
@pytest.mark.xfail(strict=True, raises=AssertionError, reason="end of range control E+153 s against E+135 s flown")
def test_heading_alignment_against_the_flown_time(flight):
    t = float(flight.events["heading_alignment_start"]["t_s"][0])
    assert t == pytest.approx(135.3, abs=10.0), f"heading alignment at E+{t:.1f} s"


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="SUFR 11 s before deploy against 20 s flown")
def test_sufr_against_the_flown_time(flight):
    t = float(flight.events["balance_mass_jettison"]["t_s"][0])
    assert t == pytest.approx(239.3, abs=5.0), f"entry balance masses off at E+{t:.1f} s"


def test_parachute_deploys_on_navigated_velocity(msl, flight):
    ev = {k: float(v[0]) for k, v in flight.events["parachute_deploy"].items()}
    # within one output step (0.05 s at ≈ 8 m/s² of deceleration) of the trigger velocity
    assert ev["speed_m_s"] == pytest.approx(msl.parachute.deploy_velocity_m_s, abs=1.0)
    assert msl.parachute.deploy_mach_min <= ev["mach"] <= msl.parachute.deploy_mach_max


def test_gale_has_aeolis_mons_beside_the_landing_site(msl):
    terrain = Terrain.from_mission(msl)
    # the landing site on the floor near −4.5 km (NASA/JPL: Bradbury Landing ≈ −4.5 km MOLA; ±150 m of the model's relief)
    assert float(terrain.altitude_m(0.0, 0.0)) == pytest.approx(-4500.0, abs=150.0)
    # Aeolis Mons's summit region stands kilometres above the floor, ≈ 38 km south-east of the landing site
    from edlcam.mars.terrain import _latlon_to_en

    e, n = _latlon_to_en(-5.08, 137.85, msl.target.latitude_deg, msl.target.longitude_deg, terrain.ellipsoid)
    assert 30e3 < float(np.hypot(e, n)) < 45e3
    assert float(terrain.altitude_m(float(e), float(n))) - float(terrain.altitude_m(0.0, 0.0)) > 4000.0


def test_the_mission_compares_its_events_with_the_flown_times(msl):
    published = msl.mission.published()
    for name, (flown, _tolerance) in FLOWN_S.items():
        assert published[name] == (flown, flown), name
    assert published["peak_heating"] is None  # Mars 2020's nominal is not carried over


def test_a_shipped_mission_loads_by_name(msl, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file called "msl" here: the name picks the shipped mission
    assert load_mission("msl") == msl
    (tmp_path / "msl").mkdir()  # a run folder named after the mission (edlcam demo --mission msl --out msl)
    assert load_mission("msl") == msl
