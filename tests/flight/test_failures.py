"""Entry states that cannot land: one clear line naming what happened and when, exit code 1."""

import pytest

from edlcam.cli import main


@pytest.mark.parametrize(
    "fpa_deg, speed_m_s, expected",
    [
        (-8.0, 5400.0, "error: the entry skips out: flown at the reference bank of 45°, the vehicle climbs back above 125 km at E+"),
        (-30.0, 7500.0, "error: the entry is too steep: flown at the reference bank of 45°, the vehicle hits the ground at E+"),
    ],
)
def test_entry_that_skips_out_or_crashes(tmp_path, capsys, fpa_deg, speed_m_s, expected):
    p = tmp_path / "m.toml"
    p.write_text(f'extends = "mars2020"\n[entry]\nflight_path_angle_deg = {fpa_deg}\nspeed_m_s = {speed_m_s}\n')
    code = main(["simulate", "--mission", str(p), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(expected), err
    assert "[entry] flight_path_angle_deg" in err
    assert len(err.strip().splitlines()) == 1


def test_guided_flight_that_cannot_reach_the_target(tmp_path, capsys):
    # −19° from the nominal EI point: the guidance cannot stretch the range; the powered descent
    # cannot divert the tens of km left. The message says where the chute opened.
    p = tmp_path / "m.toml"
    p.write_text('extends = "mars2020"\n[entry]\nflight_path_angle_deg = -19.0\n')
    code = main(["simulate", "--mission", str(p), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: the flight failed: hard landing at E+")
    assert "beyond what the powered descent can divert" in err
