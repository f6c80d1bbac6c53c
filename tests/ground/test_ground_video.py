"""Pictures as I420, per-camera MP4s copied from the received segments, the film composed incrementally."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from ground_fixtures import copy_run, small_mission, synthetic_run

from edlcam.ground.assemble import assemble, assemble_film, snapshots
from edlcam.ground.catalog import build_catalog, open_catalog
from edlcam.ground.video import open_cameras, rgb_to_i420, write_camera_mp4


def _decoded(path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [(float(f.pts * s.time_base), f.to_ndarray()) for f in c.decode(s)]


@pytest.fixture
def rdc(tmp_path):
    """The synthetic run's RDC (151 frames at 10 fps from E+11.0, two 10 s segments), in a private copy."""
    run = copy_run(tmp_path)
    build_catalog(run)
    con = open_catalog(run)
    yield run, open_cameras(run, con, small_mission())["rdc"]
    con.close()


def test_rgb_to_i420_is_bt601_studio_range():
    # ITU-R BT.601 (8 bit): Y = 16 + 65.481 R + 128.553 G + 24.966 B; Cb = 128 − 37.797 R − 74.203 G + 112 B;
    # Cr = 128 + 112 R − 93.786 G − 18.214 B (R, G, B in 0…1), as FFmpeg's swscale does by default
    for rgb, yuv in {(0, 0, 0): (16, 128, 128), (255, 255, 255): (235, 128, 128), (255, 0, 0): (81.5, 90.2, 240.0),
                     (0, 0, 255): (41.0, 240.0, 109.8), (255, 196, 64): (187.0, 61.1, 163.4)}.items():
        i420 = rgb_to_i420(np.full((4, 4, 3), rgb, np.uint8))
        got = (i420[0, 0], i420[4, 0], i420[5, 0])  # Y, then the U and V planes (2×2 each, one row apiece)
        assert np.allclose(got, yuv, atol=1.0), (rgb, got)  # ±1 code value of 8-bit rounding


def test_a_camera_whose_segments_all_came_home_is_their_packets_copied_bit_for_bit(rdc, tmp_path):
    run, frames = rdc
    segments = frames.video_segments()
    assert [len(p) for _, p in segments] == [100, 51]  # 10 s segments at 10 fps
    video = write_camera_mp4(frames, tmp_path / "rdc.mp4")
    assert (video.copied, video.frames, video.fps, video.t_start_s) == (True, 151, 10.0, 11.0)
    got = _decoded(tmp_path / "rdc.mp4")
    want = [img for path, _ in segments for _, img in _decoded(path)]
    assert len(got) == len(want) == 151
    assert all(np.array_equal(g, w) for (_, g), w in zip(got, want))  # the pictures as the rover encoded them
    # presentation times on the camera's own clock (E+ − E+11.0), within a microsecond
    assert np.allclose([t for t, _ in got], frames.t_s - 11.0, atol=1e-6)


def test_a_dropped_frame_leaves_a_gap_in_the_copied_presentation_times(rdc, tmp_path):
    run, frames = rdc
    frames.t_s[60:] += 0.1  # as if the frame after position 59 was never recorded: one 10 fps period missing
    video = write_camera_mp4(frames, tmp_path / "rdc.mp4")
    assert video.copied and video.frames == 151
    times = np.array([t for t, _ in _decoded(tmp_path / "rdc.mp4")])
    assert np.allclose(np.diff(times)[[58, 59, 60]], [0.1, 0.2, 0.1], atol=1e-6)  # the gap, not a repeated picture


def test_segments_with_a_different_codec_header_are_encoded_not_copied(rdc, tmp_path):
    run, frames = rdc
    second = run / "ground" / "received" / "rdc" / "video" / "000001.mp4"
    pictures = [img for _, img in _decoded(second)]
    with av.open(str(second), mode="w") as c:  # same frames, other x264 settings: CAVLC, so another PPS
        s = c.add_stream("libx264", rate=Fraction(10))
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.options = {"preset": "ultrafast", "crf": "23"}
        for k, img in enumerate(pictures):
            f = av.VideoFrame.from_ndarray(img, format="yuv420p")
            f.pts = k
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    video = write_camera_mp4(frames, tmp_path / "rdc.mp4")
    assert (video.copied, video.frames) == (False, 151)
    assert len(_decoded(tmp_path / "rdc.mp4")) == 151


def test_the_incremental_film_equals_each_frame_composed_afresh(tmp_path):
    """The composer redraws only what changed; every frame must equal one composed from nothing.

    Times cover the cut from the parachute to the descent shot (E+12), captions coming and going
    (radar lock E+13 for 4 s, backshell separation E+16), the split screen from E+17 and the end.
    Without sound: the overlay states the listening gain, which depends on the span compressed.
    """
    run = copy_run(tmp_path)
    shutil.rmtree(run / "ground" / "received" / "microphone")
    build_catalog(run)
    fps = 10
    frames: list[np.ndarray] = []
    result = assemble_film(run, width=640, height=360, fps=fps, t_start_s=9.0, t_end_s=25.0,
                           out=tmp_path / "film.mp4", frame_sink=frames.append)
    assert result.frames == len(frames) == 160
    # the encoder took each frame as it was when sent, though the canvas is drawn on again after
    # (a libx264 lookahead holding a reference would show later frames): luma within 3 code values
    encoded = _decoded(tmp_path / "film.mp4")
    assert len(encoded) == 160
    assert max(np.abs(img[:360].astype(int) - f[:360]).mean() for (_, img), f in zip(encoded, frames)) < 3.0
    for k in (0, 29, 30, 31, 40, 69, 70, 79, 80, 81, 110, 159):
        alone: list[np.ndarray] = []
        t = 9.0 + k / fps
        assemble_film(run, width=640, height=360, fps=fps, t_start_s=t, t_end_s=t + 1 / fps,
                      out=tmp_path / "one.mp4", frame_sink=alone.append)
        assert np.array_equal(frames[k], alone[0]), f"frame {k} (E+{t:.1f} s) differs from a fresh composition"


def test_snapshots_seek_and_give_the_frames_sequential_decoding_gives(tmp_path):
    run = synthetic_run()
    build_catalog(run)
    out = tmp_path / "film.mp4"
    assemble_film(run, width=320, height=180, fps=10, t_start_s=9.0, t_end_s=25.0, out=out)
    every = [(t, img) for t, img in _decoded(out)]
    shots = snapshots(out, [12.04, 0.0, 4.0])
    assert [round(t, 3) for t, _ in shots] == [0.0, 4.0, 12.1]  # sorted; the first frame at or after each
    for t, img in shots:
        k = int(round(t * 10))
        assert np.array_equal(img, cv2.cvtColor(every[k][1], cv2.COLOR_YUV2RGB_I420))


def test_assembly_json_gives_every_camera_mp4_its_start_time_and_rate(tmp_path):
    run = copy_run(tmp_path)
    assemble(run, width=320, height=180, fps=10, t_start_s=9.0, t_end_s=10.0)
    cams = json.loads((run / "ground" / "assembly.json").read_text())["cameras"]
    # the synthetic run's cameras: PUCs 15 fps from E+9.0, RDC 10 fps from E+11.0 (ground_fixtures)
    assert cams["puc_a"] | {"frames": 0} == {"path": "puc_a.mp4", "t_start_s": 9.0, "fps": 15.0, "frames": 0,
                                             "copied": True}
    assert (cams["rdc"]["t_start_s"], cams["rdc"]["fps"]) == (11.0, 10.0)
    for name, cam in cams.items():
        first = _decoded(run / "ground" / cam["path"])[0][0]
        assert first == 0.0  # presentation time 0 is the camera's first frame, at E+ t_start_s
