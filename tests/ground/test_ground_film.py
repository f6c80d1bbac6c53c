"""The film and per-camera videos: formats, the edit, honest gaps and thumbnails, listenable sound."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from ground_fixtures import EVENTS, MINOR, copy_run, small_mission, synthetic_run

from edlcam.ground.assemble import assemble, assemble_film, edit_list, film_span, probe, snapshots
from edlcam.ground.catalog import build_catalog, open_catalog
from edlcam.ground.sound import compress_for_listening, level_dbfs
from edlcam.ground.video import open_cameras, write_camera_mp4

ALL_EVENTS = {**EVENTS, **MINOR}


def test_the_film_is_720p_h264_at_30_fps_with_aac_sound(tmp_path):
    run = synthetic_run()
    build_catalog(run)
    out = tmp_path / "landing.mp4"
    result = assemble_film(run, t_start_s=9.0, t_end_s=11.0, out=out)
    info = probe(out)
    video = next(s for s in info["streams"] if s["type"] == "video")
    audio = next(s for s in info["streams"] if s["type"] == "audio")
    assert (video["codec"], video["width"], video["height"], video["fps"]) == ("h264", 1280, 720, 30.0)
    assert video["frames"] == result.frames == 60 and video["pix_fmt"] == "yuv420p"
    assert audio["codec"] == "aac" and audio["sample_rate_hz"] == 8000
    assert info["duration_s"] == pytest.approx(2.0, abs=0.1)  # 2 s of film, ± AAC frame padding


def test_the_edit_follows_nasas_film_parachute_then_rdc_then_split_screen():
    windows = {"puc_a": (9.0, 16.0), "puc_b": (9.0, 16.0), "puc_c": (9.0, 16.0), "rdc": (11.0, 26.0),
               "lcam": (17.0, 21.0), "ddc": (17.0, 31.0), "ruc": (17.0, 31.0)}
    start, end = film_span(ALL_EVENTS, windows)
    assert (start, end) == (9.0, 31.0)  # deploy − 1 s … last descent-camera frame (flyaway + 9 s)
    shots = edit_list(ALL_EVENTS, windows, start, end)
    assert [(s.name, s.t_start_s, s.t_end_s) for s in shots] == [
        ("parachute", 9.0, 12.0), ("descent", 12.0, 16.0), ("descent", 16.0, 17.0), ("sky crane", 17.0, 31.0)]
    assert shots[0].panels[0].cameras[0] == "puc_a" and shots[1].panels[0].cameras[0] == "rdc"
    # the LCAM inset starts at E+17, with the sky crane: the PUC inset moves up; when the PUCs stop
    # at backshell separation (E+16) the RDC is alone and the telemetry takes the column
    # (the descent's canopy inset is PUC B, already recorded at an inset's size and rate)
    assert [p.cameras[0] for p in shots[1].panels] == ["rdc", "puc_b"] and shots[1].panels[1].y == 0
    assert [p.cameras[0] for p in shots[2].panels] == ["rdc"] and shots[2].info == (shots[2].panels[0].w, 0, 1280, 720)
    assert [p.cameras[0] for p in shots[3].panels] == ["ddc", "ruc"]  # DDC looking down, RUC looking up
    for s in shots:  # every panel and the telemetry box inside the 1280×720 frame
        for p in s.panels:
            assert 0 <= p.x and p.x + p.w <= 1280 and 0 <= p.y and p.y + p.h <= 720
        x0, y0, x1, y1 = s.info
        assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 720


def test_the_split_screen_gives_way_when_the_ddc_s_frames_end():
    # The DDC's frames after the umbilical is cut (bridle cut, E+21.5 here) never reach the rover's
    # DSU: from then the RUC takes the frame for the flyaway, the telemetry beside it (the demo's
    # film showed "no camera recording" for the DDC's half over the last 9.6 s).
    windows = {"puc_a": (9.0, 16.0), "rdc": (11.0, 26.0), "ddc": (17.0, 21.5), "ruc": (17.0, 31.0)}
    start, end = film_span(ALL_EVENTS, windows)
    crane = [s for s in edit_list(ALL_EVENTS, windows, start, end) if s.name == "sky crane"]
    assert [(s.t_start_s, s.t_end_s, [p.cameras for p in s.panels]) for s in crane] == [
        (17.0, 21.5, [("ddc",), ("ruc", "rdc")]), (21.5, 31.0, [("ruc", "rdc")])]
    assert crane[1].panels[0].h == 720 and crane[1].info[0] == crane[1].panels[0].w


@pytest.mark.parametrize("quality", ["preview", "full"])
def test_no_panel_is_empty_while_a_camera_records_in_the_nominal_film(nominal_run, quality):
    """Every film frame of the nominal Mars 2020 landing fills each panel from a camera recording
    then: the PUCs stop at backshell separation (Maki et al. 2020) and the LCAM starts 5 s after
    heat-shield separation, so their insets give way (issue 17: powered descent showed a "no camera
    recording" card for ≈ 44 s beside the RDC)."""
    from edlcam import runfolder
    from edlcam.mission import load_mission
    from edlcam.onboard.schedule import build_schedule

    m = load_mission()
    events = runfolder.read_events(nominal_run).times()
    schedule = build_schedule(m, events, quality=quality)  # the preview records only what the film shows
    windows = {w.source: (w.t_start_s, w.t_end_s + 1.0 / w.rate_hz) for w in schedule.windows if not w.is_audio}
    start, end = film_span(events, windows, m.cameras)
    shots = edit_list(events, windows, start, end, film=m.cameras)
    assert shots[0].t_start_s == start and shots[-1].t_end_s == end
    assert all(a.t_end_s == b.t_start_s for a, b in zip(shots, shots[1:]))  # no hole in the edit
    empty = []
    for k in range(int((end - start) * 30)):  # every frame of the 30 fps film
        t = start + k / 30
        shot = next(s for s in shots if s.t_start_s <= t < s.t_end_s)
        empty += [(round(t, 2), p.cameras) for p in shot.panels
                  if not any(windows[c][0] <= t < windows[c][1] for c in p.cameras if c in windows)]
    assert empty == []
    # powered descent until the sky crane's split screen (DDC and RUC from 2 s before it): the RDC large, the LCAM beside it
    powered = [s for s in shots if s.name == "descent" and s.t_end_s > events["powered_descent_start"]]
    assert [[p.cameras[0] for p in s.panels] for s in powered] == [["rdc", "lcam"]]


def test_frames_that_did_not_come_home_are_shown_as_thumbnails_or_labelled_gaps(tmp_path):
    run = copy_run(tmp_path)
    received = run / "ground" / "received" / "rdc"
    shutil.rmtree(received / "video")
    shutil.rmtree(received / "lossless")
    shutil.rmtree(received / "browse")
    for k in range(20, 30):  # RDC frames 20–29 (E+13.0–13.9): not even a thumbnail
        (received / "thumb" / f"{k:06d}.jpg").unlink()
    build_catalog(run)
    con = open_catalog(run)
    kinds = dict(con.execute("SELECT COALESCE(best_kind, 'none'), COUNT(*) FROM frames WHERE camera = 'rdc' GROUP BY 1"))
    assert kinds == {"thumbnail": 141, "none": 10}
    rdc = open_cameras(run, con, small_mission())["rdc"]
    video = write_camera_mp4(rdc, tmp_path / "rdc.mp4")
    assert (video.frames, video.copied, video.t_start_s) == (151, False, 11.0)  # thumbnails: encoded, from E+11
    out = tmp_path / "film.mp4"
    result = assemble_film(run, width=640, height=360, fps=10, t_start_s=12.5, t_end_s=14.5, out=out)
    assert result.panel_kinds.get("thumbnail", 0) > 0 and result.panel_kinds.get("none", 0) > 0
    (_, thumb), (_, gap) = snapshots(out, [0.05, 1.0])  # E+12.55: thumbnail; E+13.5: nothing received
    main = slice(0, 360), slice(0, 450)
    # the labelled gap is the flat grey card (52, 52, 56), not a picture
    assert np.abs(gap[main][100:260, 20:100].astype(int) - [52, 52, 56]).max() < 12
    # the thumbnail frame is upscaled from 8×6 pixels: the bright flash, smooth
    assert thumb[main][100:260, 50:400].mean() > 150


def test_assemble_writes_every_camera_and_the_film(tmp_path):
    run = copy_run(tmp_path)
    summary = assemble(run, width=320, height=180, fps=10)
    assert sorted(summary["cameras"]) == ["ddc", "lcam", "puc_a", "puc_b", "puc_c", "rdc", "ruc"]
    for name, cam in summary["cameras"].items():
        info = probe(run / "ground" / cam["path"])
        v = info["streams"][0]
        # each at its own rate: 15 fps PUCs, 10 fps RDC/DDC/RUC, 1 fps LCAM (the synthetic run's rates)
        assert v["fps"] == pytest.approx({"puc_a": 15, "puc_b": 15, "puc_c": 15, "lcam": 1}.get(name, 10), rel=1e-3)
        assert v["frames"] == cam["frames"]
    assert (run / "ground" / "landing.mp4").exists() and (run / "ground" / "assembly.json").exists()
    # every MP4 has its index before its media data, so a browser plays and seeks it while downloading
    for mp4 in [run / "ground" / "landing.mp4"] + [run / "ground" / c["path"] for c in summary["cameras"].values()]:
        head = mp4.read_bytes()
        assert head.find(b"moov") < head.find(b"mdat"), mp4.name


def test_compression_keeps_loud_above_quiet_but_shrinks_the_range_threefold():
    rate = 8000
    t = np.arange(4 * rate) / rate
    tone = np.sin(2 * np.pi * 200 * t)
    x = np.concatenate([10 ** (-80 / 20) * np.sqrt(2) * tone, 10 ** (-20 / 20) * np.sqrt(2) * tone])  # −80, −20 dBFS RMS
    y, g_min, g_max = compress_for_listening(x, rate)
    quiet = np.median(level_dbfs(y[rate: 3 * rate], rate))
    loud = np.median(level_dbfs(y[5 * rate: 7 * rate], rate))
    # 60 dB in, 60 / 3 = 20 dB out (±1 dB); the loud part lands at −16 dBFS (±1 dB)
    assert loud - quiet == pytest.approx(20.0, abs=1.0)
    assert loud == pytest.approx(-16.0, abs=1.0)
    assert np.max(np.abs(y)) <= 0.89 + 1e-6 and g_max == pytest.approx(80 - 16 - 60 / 3, abs=1.0)


def test_frames_composed_ahead_come_in_order_and_a_compose_error_reaches_the_encoder_loop():
    import threading

    import numpy as np

    from edlcam.ground.assemble import _composed_ahead

    class Canvas:  # draws on one buffer, as the real composer does: each frame must be copied
        def __init__(self, fail_at=None):
            self.buf = np.zeros((3, 2), np.uint8)
            self.fail_at = fail_at

        def compose(self, t):
            if t == self.fail_at:
                raise ValueError(f"no picture at {t}")
            self.buf[...] = t
            return self.buf

    got = [int(f[0, 0]) for f in _composed_ahead(Canvas(), list(range(50)), depth=3)]
    assert got == list(range(50))
    before = threading.active_count()
    with pytest.raises(ValueError, match="no picture at 7"):
        for _ in _composed_ahead(Canvas(fail_at=7), list(range(50)), depth=3):
            pass
    frames = _composed_ahead(Canvas(), list(range(50)), depth=2)
    next(frames)
    frames.close()  # the consumer stops early: the composing thread ends too
    assert threading.active_count() == before
