"""The default mission against the published Mars 2020 timeline (REFERENCE.md, NASA landing
timeline as published before landing): each event within ±15 s of its nominal time and its state
within ±15 %, touchdown 0.75 ± 0.1 m/s vertical, < 0.5 m/s horizontal, < 100 m from the target
with perfect navigation."""

import json

import pyarrow.parquet as pq
import pytest


@pytest.fixture(scope="module")
def events(nominal_run):
    data = json.loads((nominal_run / "flight" / "events.json").read_text())
    return {e["name"]: e for e in data["events"]}


def test_events_in_flight_order(nominal_run, events):
    names = [e["name"] for e in json.loads((nominal_run / "flight" / "events.json").read_text())["events"]]
    assert names == [
        "entry_interface", "peak_heating", "peak_deceleration", "parachute_deploy", "heatshield_separation",
        "backshell_separation", "powered_descent_start", "skycrane_start", "touchdown",
    ]
    times = [events[n]["t_s"] for n in names]
    assert times == sorted(times)


# (event, nominal E+ s) — NASA timeline, REFERENCE.md. Backshell: "≈ 330–360" → midpoint 345.
@pytest.mark.parametrize(
    "name, nominal_s",
    [
        ("peak_heating", 80.0),
        ("peak_deceleration", 90.0),
        ("parachute_deploy", 240.0),
        ("heatshield_separation", 260.0),
        ("backshell_separation", 345.0),
        ("skycrane_start", 390.0),
        ("touchdown", 410.0),
    ],
)
def test_event_times_within_15_s(events, name, nominal_s):
    assert events[name]["t_s"] == pytest.approx(nominal_s, abs=15.0)


def test_entry_interface_state(events):
    # NASA: EI at 125 km, ≈ 5.4 km/s planet-relative.
    assert events["entry_interface"]["altitude_m"] == pytest.approx(125_000.0, abs=1.0)
    assert events["entry_interface"]["speed_m_s"] == pytest.approx(5400.0, rel=0.01)


def test_parachute_deploy_state(events):
    # NASA: ≈ 420 m/s at ≈ 11 km (above the landing site); ±15 %. Inside the M2020 deploy box
    # (Mach 1.4–2.2, q 300–800 Pa; EDL-Py / NASA).
    e = events["parachute_deploy"]
    assert e["speed_m_s"] == pytest.approx(420.0, rel=0.15)
    assert e["height_agl_m"] == pytest.approx(11_000.0, rel=0.15)
    assert 1.4 <= e["mach"] <= 2.2 and 300.0 <= e["dynamic_pressure_pa"] <= 800.0


def test_heatshield_separation_speed(events):
    # NASA: ≈ 160 m/s; ±15 %.
    assert events["heatshield_separation"]["speed_m_s"] == pytest.approx(160.0, rel=0.15)


def test_backshell_separation_state(events):
    # NASA: ≈ 2.1 km above ground, ≈ 89 m/s; ±15 %.
    e = events["backshell_separation"]
    assert e["height_agl_m"] == pytest.approx(2100.0, rel=0.15)
    assert e["speed_m_s"] == pytest.approx(89.0, rel=0.15)


def test_skycrane_height(events):
    # NASA: sky crane from ≈ 20 m above ground; ±15 %.
    assert events["skycrane_start"]["height_agl_m"] == pytest.approx(20.0, rel=0.15)


def test_touchdown(events):
    # NASA: 0.75 m/s vertical at touchdown; issue: ±0.1 m/s, < 0.5 m/s horizontal, < 100 m miss.
    td = events["touchdown"]
    assert td["vertical_speed_m_s"] == pytest.approx(0.75, abs=0.1)
    assert td["horizontal_speed_m_s"] < 0.5
    assert td["miss_distance_m"] < 100.0
    assert abs(td["height_agl_m"]) < 0.1  # located to within one output step at 0.75 m/s


def test_touchdown_utc_matches_earth_received_time(events):
    # NASA: touchdown confirmed ≈ 20:55 UTC Earth-received; SCET = ERT − 682 s one-way light time.
    from datetime import datetime, timedelta

    scet = datetime.fromisoformat(events["touchdown"]["utc"].replace("Z", "+00:00"))
    ert = scet + timedelta(seconds=682)
    assert abs((ert - datetime.fromisoformat("2021-02-18T20:55:00+00:00")).total_seconds()) < 60.0


def test_entry_and_touchdown_scet_against_the_reconstruction(events):
    # Abilleira et al. 2021 (Mars 2020 trajectory reconstruction; REFERENCE.md): EI 20:36:50 and
    # touchdown 20:43:49 SCET. EI is the mission's input, quoted to the second: ±0.5 s. Touchdown
    # ±20 s: our EI→touchdown is ≈ 401 s against 419 s flown (issue 19: the nominal reaches its deploy
    # speed ≈ 3 km lower than flown, q ≈ 630 Pa against 518 Pa, so its parachute phase is short).
    from datetime import datetime

    def scet(name):
        return datetime.fromisoformat(events[name]["utc"].replace("Z", "+00:00")).timestamp()

    assert abs(scet("entry_interface") - datetime.fromisoformat("2021-02-18T20:36:50+00:00").timestamp()) <= 0.5
    assert abs(scet("touchdown") - datetime.fromisoformat("2021-02-18T20:43:49+00:00").timestamp()) <= 20.0


def test_flight_path_angle_and_heading_in_the_vehicle_frame(nominal_run):
    # At EI the trajectory reads back the state the mission flew into: [entry] flight_path_angle_deg
    # and heading_deg, given in the vehicle's local frame (−15.5°: NASA, REFERENCE.md; 74.82°: the
    # mission's est.). 1e-6° is rounding; in the target's frame they read −4.97° / 78.00°.
    from edlcam.mission import load_mission

    e = load_mission().entry
    d = pq.read_table(nominal_run / "flight" / "trajectory.parquet", columns=["flight_path_angle_deg", "heading_deg"]).to_pydict()
    assert d["flight_path_angle_deg"][0] == pytest.approx(e.flight_path_angle_deg, abs=1e-6)
    assert d["flight_path_angle_deg"][0] == pytest.approx(-15.5, abs=1e-6)
    assert d["heading_deg"][0] == pytest.approx(e.heading_deg, abs=1e-6)
    assert d["heading_deg"][0] == pytest.approx(74.82, abs=1e-6)


def test_trajectory_schema(nominal_run):
    t = pq.read_table(nominal_run / "flight" / "trajectory.parquet")
    for col in ("t_s", "altitude_m", "height_agl_m", "lat_deg", "lon_deg", "speed_m_s", "mach", "dynamic_pressure_pa",
                "decel_g", "mass_kg", "bank_deg", "phase", "qw", "qx", "qy", "qz"):
        assert col in t.column_names
    d = t.to_pydict()
    assert d["t_s"][0] == 0.0
    assert set(d["phase"]) == {"entry", "parachute", "powered", "skycrane", "landed"}
    import numpy as np

    q = np.stack([d[c] for c in ("qw", "qx", "qy", "qz")], axis=1)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-9)
    # Peak sensed deceleration: MSL-class entries peak near 10 g (Way et al.); between 6 and 15 g.
    assert 6.0 < max(d["decel_g"][: len(d["decel_g"]) // 2]) < 15.0


def test_bodies_cover_the_landing_and_a_minute_after(nominal_run, events):
    b = pq.read_table(nominal_run / "flight" / "bodies.parquet").to_pandas()
    assert set(b["body"]) == {"heatshield", "backshell", "parachute", "descent_stage", "rover"}
    td = events["touchdown"]["t_s"]
    for body, g in b.groupby("body"):
        assert g["t_s"].max() == pytest.approx(td + 60.0, abs=0.06), body
    chute = b[b.body == "parachute"]
    assert chute["t_s"].min() == pytest.approx(events["parachute_deploy"]["t_s"], abs=1e-6)
    assert chute["aux"].max() <= 1.0 and chute["aux"].max() > 0.9
    # The rover ends where the trajectory touched down; the descent stage crashes far away
    # (NASA: ≈ 700 m; est. 650 m flyaway).
    rover = b[b.body == "rover"].iloc[-1]
    ds = b[b.body == "descent_stage"].iloc[-1]
    import math

    assert math.hypot(ds.east_m - rover.east_m, ds.north_m - rover.north_m) == pytest.approx(650.0, rel=0.3)
    # The heat shield falls below the rover after separation and lands first.
    hs = b[b.body == "heatshield"].set_index("t_s")["up_m"]
    rv = b[b.body == "rover"].set_index("t_s")["up_m"]
    t_hs = events["heatshield_separation"]["t_s"]
    later = hs.index[(hs.index > t_hs + 5) & (hs.index < t_hs + 30)]
    assert (hs.loc[later] < rv.loc[later] - 10).all()


# The nominal against the flight itself (not NASA's pre-flight nominal above). Each is a known gap
# (issue 19 item 4; benchmarks/RESULTS.md "Mars 2020's timeline against the flight"): the vehicle
# reaches its deploy speed ≈ 2 km lower than flown, and no input with a source closes it. strict:
# once the model reaches the flight, the XPASS fails and the marker must go.
_GAP = "issue 19 item 4: the nominal reaches its deploy speed ≈ 2 km lower than flown (benchmarks/timeline.py)"


def _first_below(trajectory, height_m):
    t, h = trajectory["t_s"], trajectory["height_agl_m"]
    return next(ti for ti, hi in zip(t, h) if ti > 150.0 and hi <= height_m)


@pytest.fixture(scope="module")
def trajectory(nominal_run):
    return pq.read_table(nominal_run / "flight" / "trajectory.parquet", columns=["t_s", "height_agl_m"]).to_pydict()


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=_GAP)
def test_deploy_state_against_the_flight(events):
    # O'Farrell & Clark 2022, "Reconstructed performance of the Mars 2020 parachute decelerator
    # system" (IEEE Aerospace): mortar fire at Mach 1.81 and q 520 Pa (1.82 / 518 Pa in the JSR
    # version). ±0.05 in Mach and ±10 % in q, est.: the abstracts quote no uncertainty; the two
    # versions differ by 0.01 and 2 Pa.
    e = events["parachute_deploy"]
    assert e["mach"] == pytest.approx(1.81, abs=0.05)
    assert e["dynamic_pressure_pa"] == pytest.approx(518.0, rel=0.10)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=_GAP)
def test_entry_to_touchdown_against_the_flight(events):
    # Abilleira et al. 2021: EI 20:36:50 → touchdown 20:43:49 SCET = 419 s, quoted to the second;
    # ±5 s, about a quarter of today's gap (18 s), so a fix has to close most of it.
    assert events["touchdown"]["t_s"] == pytest.approx(419.0, abs=5.0)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=_GAP)
def test_parachute_phase_against_the_lcam_poses(trajectory):
    # PDS mars2020_edlcam_ops_calibrated LCAM poses (REFERENCE.md): 11.23 → 2.08 km above ground
    # in 104.2 s; ±5 s: the LCAM frames in the parachute phase are ≈ 3 s apart, and the heights
    # above ground are estimated from the poses.
    assert _first_below(trajectory, 2080.0) - _first_below(trajectory, 11230.0) == pytest.approx(104.2, abs=5.0)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="issue 19 item 4: the powered descent's time-to-go (approach_duration_s 40 s, est.) is longer than flown")
def test_powered_descent_against_the_lcam_poses(trajectory):
    # PDS LCAM poses (REFERENCE.md): 1.99 → 0.04 km above ground in 37.6 s; ±3 s, est.: the frames
    # are ≈ 1 s apart here and the heights are estimated from the poses.
    assert _first_below(trajectory, 40.0) - _first_below(trajectory, 1990.0) == pytest.approx(37.6, abs=3.0)
