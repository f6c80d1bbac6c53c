"""The live EDL stream names its relay (issue 19): Mars 2020's went through MRO, InSight's through
the MarCO CubeSats ([link.uhf] relay), the X-band tones straight to Earth; a relay's store and
forward (relay_latency_s) delays what it forwards, not the tones."""

from __future__ import annotations

import pytest

from edlcam.config.link import UhfConfig
from edlcam.link.telemetry import DIRECT_TO_EARTH, build_telemetry
from edlcam.mission import load_mission, shipped_missions

OPEN_SKY = dict(orbiter_crosstrack_m=0.0, orbiter_overhead_t_s=200.0, antenna_max_off_axis_deg=180.0, orbiter_min_elevation_deg=-10.0)


def test_the_shipped_missions_name_their_relays():
    assert load_mission().link.uhf.relay == "MRO"  # NASA: UHF to MRO (REFERENCE.md)
    assert load_mission(shipped_missions()["insight"]).link.uhf.relay == "MarCO"  # NASA/JPL: MarCO-A/B relayed InSight live
    assert load_mission(shipped_missions()["msl"]).link.uhf.relay == "MRO"  # as Mars 2020 (extends it)


def test_every_record_names_who_brought_it(flight_run):
    records = build_telemetry(flight_run, uhf=UhfConfig(relay="MarCO", **OPEN_SKY))
    uhf = [r for r in records if r["kind"] in ("telemetry", "event")]
    tones = [r for r in records if r["kind"] == "tone"]
    assert uhf and tones
    assert {r["relay"] for r in uhf} == {"MarCO"}
    assert {r["relay"] for r in tones} == {DIRECT_TO_EARTH}


def test_the_relay_s_latency_delays_what_it_forwards_and_not_the_tones(flight_run):
    def by_key(records):
        return {(r["kind"], r["t_s"], r.get("event")): r["ert_offset_s"] for r in records}

    plain = by_key(build_telemetry(flight_run, uhf=UhfConfig(**OPEN_SKY)))
    late = by_key(build_telemetry(flight_run, uhf=UhfConfig(relay_latency_s=2.5, **OPEN_SKY)))
    assert plain.keys() == late.keys()
    for key, ert in plain.items():
        shift = 0.0 if key[0] == "tone" else 2.5
        # ±1 ms: ert_offset_s is rounded to 0.1 ms and the light time drifts ≈ 0.1 ms in 2.5 s (Earth–Mars range rate)
        assert late[key] - ert == pytest.approx(shift, abs=1e-3), key


def test_a_relay_needs_a_name():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        UhfConfig(relay="")
