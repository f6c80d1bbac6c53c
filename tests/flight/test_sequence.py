"""The EDL sequence is data ([sequence]): each choice flies in the kernel, and a sequence the
vehicle cannot fly is refused when the mission loads, in one line naming the file and field."""

import subprocess
import sys

import numpy as np
import pytest

from edlcam.errors import MissionError
from edlcam.flight.sequencer import fly
from edlcam.mission import load_mission


def _mission(tmp_path, text):
    p = tmp_path / "mission.toml"
    p.write_text('extends = "mars2020"\n' + text)
    return p


@pytest.mark.parametrize(
    "text, field",
    [
        # a trigger with no parameter
        ('[sequence]\nparachute_trigger = "navigated_velocity"\n', "'sequence.parachute_trigger' is 'navigated_velocity' but '[parachute] deploy_velocity_m_s' is not given"),
        ('[sequence]\nparachute_trigger = "mach"\n', "'[parachute] deploy_mach' is not given"),
        ('[sequence]\nparachute_trigger = "dynamic_pressure"\n', "'[parachute] deploy_dynamic_pressure_pa' is not given"),
        # a trigger outside the deploy box
        ('[sequence]\nparachute_trigger = "mach"\n[parachute]\ndeploy_mach = 2.5\n', "'parachute.deploy_mach' is 2.5 but the deploy box is Mach 1.4–2.2"),
        # a sky crane with no descent stage (the masses still add up)
        ("[vehicle]\ndescent_stage_dry_mass_kg = 0.0\nrover_mass_kg = 1875.0\n", "'sequence.terminal_descent' is 'skycrane' but '[vehicle] descent_stage_dry_mass_kg' is 0"),
        # a phase model that does not exist
        ('[sequence]\nentry = "skipping"\n', "'sequence.entry' is 'skipping': it should be 'guided' or 'ballistic'"),
        ('[sequence]\nterminal_descent = "airbags"\n', "'sequence.terminal_descent' is 'airbags': it should be 'skycrane' or 'legs'"),
        # legs: a touchdown on legs that never deploy, legs without their delay, switches with no legs, bridles with none
        ('[sequence]\nterminal_descent = "legs"\ntouchdown = "leg_switch"\n', "'sequence.terminal_descent' is 'legs' but 'sequence.leg_deployment' is 'none'"),
        ('[sequence]\nleg_deployment = "delay"\n', "'sequence.leg_deployment' is 'delay' but '[parachute] leg_deployment_delay_s' is not given"),
        ('[sequence]\ntouchdown = "leg_switch"\n', "'sequence.touchdown' is 'leg_switch' but 'sequence.terminal_descent' is 'skycrane'"),
        ('[sequence]\nleg_deployment = "delay"\nterminal_descent = "legs"\n[parachute]\nleg_deployment_delay_s = 10.0\n',
         "'sequence.touchdown' is 'bridle' but 'sequence.terminal_descent' is 'legs'"),
        # pulsed thrusters without their pulse, or a control step that is no whole number of pulses
        ('[sequence]\npowered_descent = "pulsed"\n', "'sequence.powered_descent' is 'pulsed' but '[powered_descent] pulse_period_s' is not given"),
        ('[sequence]\npowered_descent = "pulsed"\n[powered_descent]\npulse_period_s = 0.1\n', "'[powered_descent] min_pulse_s' is not given"),
        ('[sequence]\npowered_descent = "pulsed"\n[powered_descent]\npulse_period_s = 0.03\nmin_pulse_s = 0.01\n',
         "'simulation.powered_step_s' is 0.1 s but pulsed thrusters need whole pulse periods"),
        # a sky crane's heights out of order (checked only where a sky crane flies)
        ("[powered_descent]\nskycrane_height_m = 60.0\n", "'powered_descent' heights must fall in order"),
    ],
)
def test_impossible_sequences_refused_naming_the_field(tmp_path, text, field):
    path = _mission(tmp_path, text)
    with pytest.raises(MissionError) as err:
        load_mission(path)
    message = str(err.value)
    assert message.startswith(str(path) + ": "), message
    assert field in message, message
    assert "\n" not in message


def test_cli_refuses_an_impossible_sequence_before_flying(tmp_path):
    path = _mission(tmp_path, '[sequence]\nparachute_trigger = "navigated_velocity"\n')
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "edlcam.cli", "simulate", "--mission", str(path), "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "deploy_velocity_m_s" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (out / "flight").exists()


def _deploy(mission):
    res = fly(mission)  # (Mars 2020 on another trigger deploys away from its range: it may land beyond the divert)
    assert np.isfinite(res.events["parachute_deploy"]["t_s"][0]), res.reason
    return {k: float(v[0]) for k, v in res.events["parachute_deploy"].items()}, res


@pytest.mark.parametrize(
    "trigger, field, value, column, tolerance",
    [
        # The trigger is watched every output step (0.05 s): the speed falls ≈ 8 m/s², the Mach
        # ≈ 0.04 /s, the dynamic pressure a few Pa/s there — within one step of the value. Values
        # Mars 2020's nominal crosses inside the deploy box (its q falls through 680 Pa near Mach 2.1).
        ("navigated_velocity", "deploy_velocity_m_s", 430.0, "speed_m_s", 1.0),
        ("mach", "deploy_mach", 1.8, "mach", 0.01),
        ("dynamic_pressure", "deploy_dynamic_pressure_pa", 680.0, "dynamic_pressure_pa", 10.0),
    ],
)
def test_each_parachute_trigger_deploys_at_its_value(tmp_path, trigger, field, value, column, tolerance):
    m = load_mission(_mission(tmp_path, f'[sequence]\nparachute_trigger = "{trigger}"\n[parachute]\n{field} = {value}\n'))
    ev, res = _deploy(m)
    assert ev[column] <= value + 1e-9
    assert ev[column] == pytest.approx(value, abs=tolerance)
    # SUFR (guided entry) came before, about sufr_lead_s ahead of the trigger (an estimate from the deceleration)
    sufr = float(res.events["sufr_start"]["t_s"][0])
    assert 2.0 <= ev["t_s"] - sufr <= m.guidance.sufr_max_duration_s


def test_range_trigger_is_mars2020_s(tmp_path):
    m = load_mission()
    ev, _ = _deploy(m)
    rng_km = np.hypot(ev["east_m"], ev["north_m"]) / 1e3
    # the range to the target at deploy: within one output step of flight (≈ 25 m) of the trigger
    # (ground range in the target's plane against the kernel's great-circle range: ≈ 10 m apart at 8 km)
    assert rng_km == pytest.approx(m.parachute.deploy_range_to_target_km, abs=0.05)


def test_ballistic_entry_flies_without_bank_steering(tmp_path):
    # Lift up all the way, Mars 2020's capsule flies deeper: its q at Mach 1.7 exceeds the box's
    # 800 Pa, so the box is widened to see the Mach trigger act.
    m = load_mission(_mission(tmp_path, '[sequence]\nentry = "ballistic"\nparachute_trigger = "mach"\n[parachute]\ndeploy_mach = 1.7\n'
                                        'deploy_dynamic_pressure_max_pa = 2000.0\n'))
    res = fly(m, record=True)
    bank = res.record["bank_deg"][:, 0]
    entry = res.record["phase_code"][:, 0] == 0
    assert np.all(bank[entry] == 0.0)  # lift up all the way: no bank command ever
    for name in ("range_control_start", "heading_alignment_start", "sufr_start", "balance_mass_jettison"):
        assert np.isnan(res.events[name]["t_s"][0]), name
    assert res.events["parachute_deploy"]["mach"][0] == pytest.approx(1.7, abs=0.01)
    assert np.isfinite(res.events["touchdown"]["t_s"][0])
