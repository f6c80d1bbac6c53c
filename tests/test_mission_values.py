"""Mission values that used to crash a stage or mislead (issue 21): each is refused when the
mission loads, in one line naming the file, the field and what was expected."""

import math

import pytest

from edlcam.errors import LinkError, MissionError
from edlcam.link.passes import MAX_RELAY_DAYS, build_schedule
from edlcam.mission import load_mission, shipped_missions


def _refused(tmp_path, text) -> str:
    p = tmp_path / "mission.toml"
    p.write_text(text)
    with pytest.raises(MissionError) as info:
        load_mission(p)
    msg = str(info.value)
    assert msg.startswith(f"{p}: ") and "\n" not in msg, msg
    return msg


@pytest.mark.parametrize(
    "section, line, field, expected",
    [
        # Once found only by the flight's first printed time, ≈ 7 s into flying (ValueError).
        ("entry", 'utc = "yesterday at noon"', "entry.utc", "ISO 8601 UTC time"),
        ("entry", 'utc = "2021-02-30T20:36:38Z"', "entry.utc", "ISO 8601 UTC time"),
        ("entry", 'utc = "2021-02-18T20:36:38"', "entry.utc", "no time zone"),
        ("link", 'sclk_epoch_utc = "soon"', "link.sclk_epoch_utc", "ISO 8601 UTC time"),
        ("lvs", 'map_sun_utc = "2016-13-01T21:18:00Z"', "lvs.map_sun_utc", "ISO 8601 UTC time"),
        # Once a math domain error / OverflowError inside the flight.
        ("vehicle", "diameter_m = inf", "vehicle.diameter_m", "finite number"),
        ("vehicle", "diameter_m = 1e300", "vehicle.diameter_m", "at most 20"),
        ("planet", "gm_m3_s2 = 1e30", "planet.gm_m3_s2", "at most 1e+16"),
        # Once "SVD did not converge".
        ("vehicle", "trim_angle_of_attack_deg = nan", "vehicle.trim_angle_of_attack_deg", "finite number"),
        # Once an IndexError.
        ("guidance", "navigation_position_error_m = []", "guidance.navigation_position_error_m", "at least 3 items"),
        # Once misleading: "still flying at E+900 s … check the [entry] state".
        ("vehicle", "aero_drag_coefficient = [1.05, 1.12, nan, 1.37, 1.45, 1.52, 1.58, 1.63, 1.66, 1.68]",
         "vehicle.aero_drag_coefficient.2", "finite number"),
        ("planet", "rotation_rate_rad_s = inf", "planet.rotation_rate_rad_s", "finite number"),
        ("planet", "equatorial_radius_m = 1.0", "planet.equatorial_radius_m", "thin shell"),
        # Once "entry is too steep … make flight_path_angle_deg shallower".
        ("vehicle", "aero_drag_coefficient = [-1.05, -1.12, -1.25, -1.37, -1.45, -1.52, -1.58, -1.63, -1.66, -1.68]",
         "vehicle.aero_drag_coefficient", "push it forward"),
        # Once accepted with no effect at all (the trajectory bit-identical).
        ("vehicle", "trim_angle_of_attack_deg = 170", "vehicle.trim_angle_of_attack_deg", "trims stably only"),
        # Unbounded work: 4.47 GiB allocated; a pass of 1e9 s that never ends.
        ("simulation", "post_landing_s = 1e7", "simulation.post_landing_s", "at most 600"),
        ("simulation", "max_duration_s = 1e9", "simulation.max_duration_s", "at most 3600"),
        # Once a negative temperature above 112 km (sqrt of a negative number in the speed of sound).
        ("atmosphere", "tail_altitude_m = 150000.0", "atmosphere.tail_altitude_m", "0 K near 112 km"),
        # Once a flight "still flying at E+900 s" (the powered descent's state overflowed).
        ("powered_descent", "engine_thrust_n = 1e300", "powered_descent.engine_thrust_n", "never settles"),
        ("powered_descent", "specific_impulse_s = 1e-300", "powered_descent.specific_impulse_s", "chemical rocket"),
    ],
)
def test_bad_value_refused_at_load(tmp_path, section, line, field, expected):
    msg = _refused(tmp_path, f'extends = "mars2020"\n[{section}]\n{line}\n')
    assert f"'{field}'" in msg and expected in msg, msg


def test_a_pass_of_1e9_s_is_refused(tmp_path):
    msg = _refused(
        tmp_path,
        'extends = "mars2020"\n[[link.passes]]\norbiter = "MRO"\nstart_s = 7200.0\nduration_s = 1e9\nrate_bps = 500000.0\n',
    )
    assert "'link.passes.0.duration_s'" in msg and "at most 7200" in msg and "every frame of a pass is simulated" in msg


def test_tables_checked_for_length_and_order(tmp_path):
    msg = _refused(tmp_path, 'extends = "mars2020"\n[parachute]\ndrag_mach = [0.2, 0.5]\n')
    assert "drag_mach has 2 values but drag_coefficient has 7" in msg
    msg = _refused(tmp_path, 'extends = "mars2020"\n[parachute]\ndrag_mach = [0.2, 0.5, 0.8, 0.7, 1.5, 2.0, 2.5]\n')
    assert "'parachute.drag_mach'" in msg and "must increase strictly" in msg
    msg = _refused(tmp_path, 'extends = "mars2020"\n[vehicle]\naero_mach = [1.0]\naero_drag_coefficient = [1.0]\naero_lift_to_drag = [0.1]\n')
    assert "needs at least 2" in msg


def test_planet_values_must_describe_one_planet(tmp_path):
    msg = _refused(tmp_path, 'extends = "mars2020"\n[planet]\ngm_m3_s2 = 4.0e14\n')
    assert "surface_gravity_m_s2 is 3.71" in msg and "agree within 5 %" in msg


def test_typo_alone_reports_every_problem_in_one_line(tmp_path):
    # Used to say only "'mission' is missing".
    msg = _refused(tmp_path, "[entry]\nspeeed_m_s = 5000\n")
    assert msg.count("\n") == 0
    assert "2 problems" in msg
    assert "'mission'" in msg and "missing" in msg
    assert "unknown key 'entry.speeed_m_s'" in msg


def test_many_problems_are_one_short_list(tmp_path):
    lines = "\n".join(f"bogus_{i} = {i}" for i in range(10))
    msg = _refused(tmp_path, f'extends = "mars2020"\n[vehicle]\ndiameter_m = nan\n{lines}\n')
    assert "11 problems" in msg and "(1) " in msg and "and 5 more" in msg
    assert len(msg) < 1200


@pytest.mark.parametrize("name", sorted(shipped_missions()))
def test_extends_every_shipped_mission(tmp_path, name):
    p = tmp_path / "m.toml"
    p.write_text(f'extends = "{name}"\n[mission]\nseed = 7\n')
    m = load_mission(p)
    assert m.mission.seed == 7
    assert m.entry == load_mission(shipped_missions()[name]).entry


def test_extends_a_users_file_relative_to_the_extending_file(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "heavy.toml").write_text('extends = "mars2020"\n[mission]\nname = "heavy"\n[vehicle]\ndiameter_m = 5.0\n')
    (tmp_path / "run").mkdir()
    child = tmp_path / "run" / "m.toml"
    child.write_text('extends = "../base/heavy.toml"\n[mission]\nseed = 3\n')
    m = load_mission(child)
    assert (m.mission.name, m.mission.seed, m.vehicle.diameter_m) == ("heavy", 3, 5.0)


def test_extends_refuses_cycles(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "./a.toml"\n')
    with pytest.raises(MissionError, match=r"'extends' makes a cycle .*a\.toml → .*b\.toml → .*a\.toml"):
        load_mission(tmp_path / "a.toml")
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n')
    with pytest.raises(MissionError, match="makes a cycle"):
        load_mission(tmp_path / "self.toml")


def test_extends_names_what_it_accepts(tmp_path):
    msg = _refused(tmp_path, 'extends = "venus"\n')
    assert "'extends' is 'venus', which is no shipped mission; give a shipped mission ('insight', 'mars2020'" in msg
    msg = _refused(tmp_path, 'extends = "nothere.toml"\n')
    assert "is not a file" in msg and "relative to" in msg


def test_extended_user_file_that_is_incomplete_is_reported(tmp_path):
    (tmp_path / "base.toml").write_text('[mission]\nname = "x"\nseed = 1\n')
    msg = _refused(tmp_path, 'extends = "base.toml"\n')
    assert "'planet'" in msg and "missing" in msg


@pytest.mark.parametrize("days", [math.inf, 1e7, MAX_RELAY_DAYS * 1.01])
def test_relay_days_bounded(days):
    # --days inf used to grow memory without end (0.2 → 2.1 GB in 20 s), then MemoryError.
    with pytest.raises(LinkError, match=r"--days is .*; simulate at most 550 days: every frame"):
        build_schedule(load_mission().link.passes, days=days)


def test_relay_days_at_the_bound_is_a_finite_schedule():
    passes = build_schedule(load_mission().link.passes, days=MAX_RELAY_DAYS)
    assert 3000 < len(passes) < 4000  # 7 passes a sol over 550 Earth days (≈ 535 sols)
