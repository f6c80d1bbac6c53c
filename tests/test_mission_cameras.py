"""A mission chooses its cameras: ``[cameras] flown`` lists the set (views merge through
``extends``, so this is how a camera is removed), and the film's panels name the mission's."""

import pytest

from edlcam.errors import MissionError
from edlcam.ground.assemble import edit_list, film_span
from edlcam.ground.demo import film_cameras
from edlcam.mission import load_mission


def _load(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text('extends = "mars2020"\n' + text)
    return load_mission(p)


def test_flown_removes_the_cameras_not_listed_and_their_capture(tmp_path):
    m = _load(tmp_path, '[cameras]\nflown = ["rdc", "lcam", "microphone"]\n')
    assert list(m.cameras.views) == ["rdc", "lcam"]
    assert set(m.onboard.capture) == {"rdc", "lcam", "microphone"}
    assert film_cameras(m) == ("lcam", "rdc")
    silent = _load(tmp_path, '[cameras]\nflown = ["rdc"]\n')
    assert set(silent.onboard.capture) == {"rdc"}  # the microphone is not listed: it does not record


def test_without_flown_every_view_flies():
    m = load_mission()
    assert m.cameras.flown is None
    assert set(m.cameras.views) == {"puc_a", "puc_b", "puc_c", "rdc", "ddc", "ruc", "lcam"}


def test_resolved_mission_with_flown_round_trips(tmp_path):
    from edlcam.mission import write_mission

    m = _load(tmp_path, '[cameras]\nflown = ["rdc"]\n')
    write_mission(m, tmp_path / "resolved.toml")
    assert load_mission(tmp_path / "resolved.toml") == m


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[cameras]\nflown = ["mardi"]\n', "'cameras': flown names 'mardi' but there is no [cameras.views.mardi] table"),
        ("[cameras]\nflown = []\n", "flown is empty"),
        ('[cameras]\nfilm_skycrane = [["ddc"]]\n', "film_skycrane has 1 panels; it takes 2"),
        ('[cameras]\nflown = ["rdc"]\nfilm_parachute = [["x"], [], []]\nfilm_descent = [["x"], [], []]\nfilm_skycrane = [["x"], []]\n',
         "name none of the mission's cameras (rdc)"),
    ],
)
def test_bad_camera_sets_are_refused_naming_the_field(tmp_path, text, expected):
    with pytest.raises(MissionError) as err:
        _load(tmp_path, text)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_a_model_with_views_outside_flown_is_refused():
    from edlcam.config.cameras import DEFAULT_VIEWS, CamerasConfig

    with pytest.raises(ValueError, match="not in flown"):
        CamerasConfig(flown=["rdc"], views=dict(DEFAULT_VIEWS))


def test_the_film_follows_the_mission_s_panels(tmp_path):
    m = _load(tmp_path, '[cameras]\nflown = ["rdc"]\nfilm_parachute = [["rdc"], [], []]\nfilm_descent = [["rdc"], [], []]\n'
                        'film_skycrane = [["rdc"], []]\n')
    events = {"parachute_deploy": 10.0, "heatshield_separation": 30.0, "skycrane_start": 60.0, "touchdown": 70.0}
    windows = {"rdc": (29.0, 75.0)}
    start, end = film_span(events, windows, m.cameras)
    assert (start, end) == (28.0, 75.0)  # no parachute camera: from a second before the first frame
    shots = edit_list(events, windows, start, end, film=m.cameras)
    assert [(s.name, s.t_start_s, s.t_end_s) for s in shots] == [("parachute", 28.0, 30.0), ("descent", 30.0, 58.0),
                                                               ("sky crane", 58.0, 75.0)]
    assert all(s.panels == (s.panels[0],) and s.panels[0].cameras == ("rdc",) for s in shots)  # one panel: no empty insets
    assert all(s.info == (s.panels[0].w, 0, 1280, 720) for s in shots)  # the telemetry takes the whole column
