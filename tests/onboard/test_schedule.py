"""Capture schedule: windows from events, the data volume and rate they imply, and its errors."""

from __future__ import annotations

import pytest

from edlcam.config.onboard import CaptureConfig
from edlcam.errors import MissionError, RunFolderError
from edlcam.mission import load_mission
from edlcam.onboard.schedule import build_schedule, format_schedule, load_events

# NASA landing timeline as published before landing (REFERENCE.md), E+ seconds
NASA_EVENTS = {"entry_interface": 0.0, "parachute_deploy": 240.0, "heatshield_separation": 260.0,
               "radar_lock": 290.0, "backshell_separation": 345.0, "skycrane_start": 390.0, "touchdown": 410.0}


def _mission(**capture):
    """Default mission, cameras at their REFERENCE.md formats, windows pinned here."""
    m = load_mission()
    fmt = {"puc_a": (1280, 1024, 75.0), "puc_b": (1280, 1024, 75.0), "puc_c": (1280, 1024, 75.0),
           "rdc": (1280, 1024, 30.0), "lcam": (1024, 1024, 1.0)}
    views = {n: m.cameras.views[n].model_copy(update={"width_px": w, "height_px": h, "fps": f})
             for n, (w, h, f) in fmt.items()}
    cap = {
        "puc_a": CaptureConfig(unit="descent_stage", priority=1, start_event="parachute_deploy", start_offset_s=-1.0,
                               end_event="backshell_separation", end_offset_s=0.0),
        "rdc": CaptureConfig(unit="rover", priority=0, start_event="heatshield_separation", start_offset_s=0.0,
                             end_event="touchdown", end_offset_s=0.0),
        "lcam": CaptureConfig(unit="rover", priority=2, start_event="radar_lock", start_offset_s=0.0,
                              end_event="backshell_separation", end_offset_s=0.0),
        "microphone": m.onboard.capture["microphone"],
    }
    for name in ("puc_b", "puc_c"):
        cap[name] = cap["puc_a"].model_copy(update={"priority": 2})
    cap.update(capture)
    return m.model_copy(update={
        "cameras": m.cameras.model_copy(update={"views": views}),
        "onboard": m.onboard.model_copy(update={"capture": cap}),
    })


def test_rdc_volume_follows_from_its_format_and_window():
    s = build_schedule(_mission(), NASA_EVENTS)
    rdc = s.window("rdc")
    # RDC: 1280×1024 Bayer at 30 fps (REFERENCE.md) = 39.3216 MB/s of 8-bit sensor data, exact
    assert rdc.rate_bytes_s == 1280 * 1024 * 30
    assert (rdc.t_start_s, rdc.t_end_s, rdc.unit) == (260.0, 410.0, "rover")
    assert rdc.frames == 150 * 30 + 1  # first frame at separation, last at touchdown
    assert rdc.data_bytes == 4501 * 1280 * 1024  # 5.9 GB: the order of the 30 GB that came home (NASA)


def test_peak_rate_is_three_pucs_plus_rdc_plus_lcam_plus_microphone():
    s = build_schedule(_mission(), NASA_EVENTS)
    peak, t = s.peak_rate()
    expect = 3 * 1280 * 1024 * 75 + 1280 * 1024 * 30 + 1024 * 1024 * 1 + 48_000 * 4
    assert (peak, t) == (expect, 290.0)  # from radar lock, when LCAM joins, until backshell separation
    assert s.peak_rate("descent_stage") == (3 * 1280 * 1024 * 75, 239.0)
    assert s.rate_at(400.0) == 1280 * 1024 * 30 + 48_000 * 4


def test_preview_divides_the_frame_rate():
    m = _mission()
    full = build_schedule(m, NASA_EVENTS).window("puc_a")
    prev = build_schedule(m, NASA_EVENTS, quality="preview").window("puc_a")
    assert prev.rate_hz == full.rate_hz / m.cameras.views["puc_a"].preview_rate_divisor


def test_windows_default_to_the_cameras_own():
    m = _mission(rdc=CaptureConfig(unit="rover", priority=0))
    v = m.cameras.views["rdc"]
    w = build_schedule(m, NASA_EVENTS).window("rdc")
    assert w.t_start_s == NASA_EVENTS[v.start_event] + v.start_offset_s
    assert w.t_end_s == NASA_EVENTS[v.end_event] + v.end_offset_s


def test_schedule_text_lists_every_source_and_the_totals():
    lines = format_schedule(build_schedule(_mission(), NASA_EVENTS))
    assert lines[0].split() == ["source", "unit", "E+", "from", "to", "rate", "frames", "MB", "MB/s"]
    assert max(len(line) for line in lines[:-3]) <= 76  # fits an 80-column terminal with its indent
    rdc = next(line for line in lines if line.startswith("rdc"))
    assert rdc.split() == ["rdc", "rover", "260.0", "410.0", "30", "fps", "4501", "5899.6", "39.32"]
    assert lines[-1].startswith("all: ") and "peak 335.5 MB/s from E+290.0 s" in lines[-1]


def test_unknown_event_names_the_field_and_the_choices():
    m = _mission(rdc=CaptureConfig(unit="rover", start_event="chute_open"))
    with pytest.raises(MissionError) as exc:
        build_schedule(m, NASA_EVENTS)
    assert str(exc.value) == (
        "onboard.capture.rdc.start_event is 'chute_open', not an event of this flight; use one of: "
        "backshell_separation, entry_interface, heatshield_separation, parachute_deploy, radar_lock, "
        "skycrane_start, touchdown"
    )


def test_capture_of_an_unknown_camera_and_missing_events_file(tmp_path):
    m = _mission(navcam=CaptureConfig(unit="rover"))
    with pytest.raises(MissionError, match=r"^onboard.capture.navcam names no camera in \[cameras.views\]; "
                                           r"remove it or add the camera$"):
        build_schedule(m, NASA_EVENTS)
    with pytest.raises(RunFolderError, match=r"flight/events.json: missing; run `edlcam simulate --out .*` to make it$"):
        load_events(tmp_path)


def test_priority_beyond_the_admit_levels_is_a_mission_error():
    from edlcam.mission import mission_from_dict

    with pytest.raises(MissionError, match=r"capture.rdc.priority is 5 but admit_fraction has 3 levels \(0..2\)"):
        mission_from_dict({"onboard": {"capture": {"rdc": {"unit": "rover", "priority": 5}}}}, source="m.toml")


def test_preview_records_each_camera_until_the_film_last_shows_it(monkeypatch):
    import edlcam.onboard.schedule as schedule
    from edlcam.ground.edit import edit_list, film_span, last_shown

    m = load_mission()  # Mars 2020's windows and film panels
    full = build_schedule(m, NASA_EVENTS)
    prev = build_schedule(m, NASA_EVENTS, quality="preview")
    period = {w.source: 1.0 / w.rate_hz for w in prev.windows}
    # PUC A fills the parachute shot's main panel and C its inset: both end at heat-shield separation;
    # PUC B, the parachute shot's other inset, stays on as the descent's canopy inset to backshell separation
    for name in ("puc_a", "puc_c"):
        assert prev.window(name).t_end_s == pytest.approx(NASA_EVENTS["heatshield_separation"] + period[name])
    assert prev.window("puc_b").t_end_s == NASA_EVENTS["backshell_separation"]
    # the RDC gives its panel to the RUC when the sky crane's split screen starts (DDC and RUC from 2 s before)
    crane = NASA_EVENTS["skycrane_start"] - 2.0
    assert prev.window("rdc").t_end_s == pytest.approx(crane + period["rdc"])
    # PUC B is an inset of the descent shot to its window's end; the RUC is on show to its own
    for name in ("puc_b", "ruc"):
        assert prev.window(name).t_end_s == full.window(name).t_end_s
    # the DDC (descent-stage DSU) records until the umbilical's cut (no bridle_cut here: touchdown), as
    # nothing it records later reaches the rover; full quality records its whole window
    assert prev.window("ddc").t_end_s == NASA_EVENTS["touchdown"] < full.window("ddc").t_end_s
    cut_later = build_schedule(m, {**NASA_EVENTS, "bridle_cut": 412.5}, quality="preview")
    assert cut_later.window("ddc").t_end_s == 412.5
    assert prev.window("microphone").t_end_s == full.window("microphone").t_end_s
    # every full-quality window is whole, and every preview window where the mission says so
    assert full.window("rdc").t_end_s == NASA_EVENTS["touchdown"] + m.cameras.views["rdc"].end_offset_s
    whole = m.model_copy(update={"cameras": m.cameras.model_copy(update={"preview_to_film": False})})
    assert build_schedule(whole, NASA_EVENTS, quality="preview").window("rdc").t_end_s == full.window("rdc").t_end_s

    def spans(s):
        return {w.source: (w.t_start_s, w.t_end_s + 1.0 / w.rate_hz) for w in s.windows if not w.is_audio}

    # the film cut from the preview's windows is the one cut from the whole windows at preview rates:
    # same span, same shots, each camera on show as long
    monkeypatch.setattr(schedule, "_clip_to_film", lambda mission, events, windows: windows)
    whole = build_schedule(m, NASA_EVENTS, quality="preview")
    assert whole.window("rdc").t_end_s > prev.window("rdc").t_end_s
    t_whole, t_prev = (film_span(NASA_EVENTS, spans(s), m.cameras) for s in (whole, prev))
    assert t_prev == t_whole
    assert edit_list(NASA_EVENTS, spans(prev), *t_prev, film=m.cameras) == \
        edit_list(NASA_EVENTS, spans(whole), *t_whole, film=m.cameras)
    assert last_shown(NASA_EVENTS, spans(prev), m.cameras) == pytest.approx(
        last_shown(NASA_EVENTS, spans(whole), m.cameras))


def test_last_shown_ignores_a_glimpse_at_a_panel_hand_over():
    from edlcam.ground.edit import last_shown

    m = load_mission()
    # PUC B and A stop together, A's last frame 0.1 s later: the descent inset shows A for 0.1 s only
    windows = {"puc_a": (239.0, 345.1), "puc_b": (239.0, 345.0), "puc_c": (239.0, 345.1), "rdc": (259.0, 420.0),
               "lcam": (265.0, 410.0), "ddc": (388.0, 420.0), "ruc": (388.0, 420.0)}
    shown = last_shown(NASA_EVENTS, windows, m.cameras)
    assert shown["puc_b"] == 345.0 and shown["puc_a"] == shown["puc_c"] == NASA_EVENTS["heatshield_separation"]
    assert shown["rdc"] == 388.0  # the sky crane's right panel: the RUC first, the RDC where it is not recording
    assert last_shown(NASA_EVENTS, windows, m.cameras, min_span_s=0.0)["puc_a"] == pytest.approx(345.1)
