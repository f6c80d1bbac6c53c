"""Mission files: the shipped default loads; bad input gets one line naming file, field and fix."""

import subprocess
import sys

import pytest

from edlcam.errors import MissionError
from edlcam.mission import default_mission_path, load_mission, write_mission


def test_default_mission_has_a_source_comment_on_every_value():
    # Every key = value line of the shipped file names its source or says "est." (issue #2).
    lines = [ln for ln in default_mission_path().read_text().splitlines() if "=" in ln and not ln.lstrip().startswith("#")]
    bare = [ln for ln in lines if "#" not in ln]
    # Keys inside tables documented by a comment line right above are allowed (arrays of the
    # aero tables); everything else must carry its own comment.
    assert len(bare) <= len(lines) // 4, bare


def test_resolved_mission_round_trips(tmp_path):
    m = load_mission()
    write_mission(m, tmp_path / "m.toml")
    assert load_mission(tmp_path / "m.toml") == m


def _write(tmp_path, text):
    p = tmp_path / "mission.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text, expected",
    [
        ('extends = "mars2020"\n[vehicle]\nentry_mass_kg = -5\n', "'vehicle.entry_mass_kg' is -5: it should be above 0 and at most 100000: a lander part"),
        ('extends = "mars2020"\n[entry]\nspeeed_m_s = 5000\n', "unknown key 'entry.speeed_m_s'; remove it or check its spelling"),
        ('extends = "mars2020"\n[entry]\nspeed_m_s = "fast"\n', "'entry.speed_m_s' is 'fast': it should be a valid number"),
        ('[mission]\nname = "x"\n', "'mission.seed', 'mission.published_timeline_s', 'planet', 'atmosphere'"),
        ("[entry\n", "not valid TOML"),
        ('extends = "venus"\n', "'extends' is 'venus', which is no shipped mission; give a shipped mission ('insight', 'mars2020', 'msl')"),
        (
            'extends = "mars2020"\n[vehicle]\nrover_mass_kg = 1100.0\n',
            "entry_mass_kg is 3440 but the parts (balance, heat shield, backshell, descent stage dry, propellant, rover) add up to 3515",
        ),
        (
            'extends = "mars2020"\n[powered_descent]\nradar_acquisition_height_m = 0\n',
            "'powered_descent.radar_acquisition_height_m' is 0: it should be above 0 and at most 30000: a landing radar",
        ),
        (
            'extends = "mars2020"\n[powered_descent]\nradar_acquisition_height_m = 1500.0\n',
            "radar_acquisition_height_m (1500) must exceed backshell_separation_height_m (2100)",
        ),
        (
            'extends = "mars2020"\n[simulation]\nentry_guidance_cycle_s = 0.33\n',
            "entry_guidance_cycle_s (0.33 s) must be a whole multiple of step_s (0.05 s)",
        ),
        (
            'extends = "mars2020"\n[simulation]\nbank_control_cycle_s = 0.03\n',
            "step_s (0.05 s) must be a whole multiple of bank_control_cycle_s (0.03 s)",
        ),
    ],
)
def test_bad_mission_messages(tmp_path, text, expected):
    p = _write(tmp_path, text)
    with pytest.raises(MissionError) as info:
        load_mission(p)
    msg = str(info.value)
    assert msg.startswith(str(p) + ": ")
    assert expected in msg
    assert "\n" not in msg


def test_missing_file(tmp_path):
    with pytest.raises(MissionError, match="no such mission file; give an existing TOML file to --mission"):
        load_mission(tmp_path / "nope.toml")


def test_cli_prints_one_line_and_exits_1_without_traceback(tmp_path):
    p = _write(tmp_path, 'extends = "mars2020"\n[vehicle]\nentry_mass_kg = -5\n')
    proc = subprocess.run(
        [sys.executable, "-m", "edlcam.cli", "simulate", "--mission", str(p), "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    assert "entry_mass_kg" in lines[0]
