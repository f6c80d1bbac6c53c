"""The film's LVS marks on LCAM frames: landmarks where LVS matched them, the STS choice after the divert."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from edlcam.ground.lvs_overlay import GREEN, YELLOW, LvsOverlay


def _write_lvs(run):
    lvs = run / "lvs"
    lvs.mkdir(parents=True)
    rows = [{"t_s": 320.0, "fix_ok": True, "fix_stage": "fine", "inliers": 1, "sigma_m": 8.0, "error_m": 3.0},
            {"t_s": 321.0, "fix_ok": False, "fix_stage": "coarse", "inliers": 0, "sigma_m": 900.0, "error_m": 500.0}]
    pq.write_table(pa.Table.from_pylist(rows), lvs / "images.parquet")
    pq.write_table(pa.table({"image": [0, 0], "t_s": [320.0, 320.0], "x": [0.25, 0.75], "y": [0.5, 0.25],
                             "map_east_m": [0.0, 1.0], "map_north_m": [0.0, 1.0], "score": [0.9, 0.6],
                             "inlier": [True, False]}), lvs / "landmarks.parquet")
    (lvs / "summary.json").write_text(json.dumps({"t_divert_s": 340.0, "target_east_m": 5.0, "target_north_m": -295.0,
                                                  "target_probability": 0.99, "divert_m": 300.0}))


def test_landmarks_are_drawn_where_lvs_matched_them(tmp_path):
    _write_lvs(tmp_path)
    ov = LvsOverlay.load(tmp_path, "lcam")
    frame = np.zeros((200, 200, 3), np.uint8)
    out = ov.draw(frame, 320.0)
    assert out is not None and not np.shares_memory(out, frame)
    # the inlier's green ring around (50, 100), the outlier's red cross at (150, 50)
    ring = out[95:106, 44:57].reshape(-1, 3)
    assert any(tuple(p) == GREEN for p in ring) or (ring[:, 1] > 150).any()
    cross = out[45:56, 145:156].reshape(-1, 3)
    assert (cross[:, 0] > 150).any() and (cross[:, 1] < 120).any()
    assert ov.draw(frame, 330.0) is None  # no LVS image then, before the divert


def test_the_safe_target_choice_is_shown_after_the_divert(tmp_path):
    _write_lvs(tmp_path)
    ov = LvsOverlay.load(tmp_path, "lcam")
    out = ov.draw(np.zeros((200, 200, 3), np.uint8), 345.0)
    assert out is not None and out.any()


def test_a_run_without_lvs_has_no_overlay(tmp_path):
    assert LvsOverlay.load(tmp_path, "lcam") is None


def _yellow(img):
    return (img[..., 0] > 150) & (img[..., 1] > 120) & (img[..., 2] < 110)


def test_the_selected_target_is_ringed_where_it_lies_in_the_frame(tmp_path):
    _write_lvs(tmp_path)
    # lvs/target.parquet: the target at (0.25, 0.25) of the frame at 340 s, (0.75, 0.25) at 341 s, out of view at 342 s
    pq.write_table(pa.table({"t_s": [339.0, 340.0, 341.0, 342.0], "x": [0.25, 0.25, 0.75, None],
                             "y": [0.25, 0.25, 0.25, None]}), tmp_path / "lvs" / "target.parquet")
    ov = LvsOverlay.load(tmp_path, "lcam")
    assert ov.target_at(340.5) == (0.5, 0.25)  # interpolated between the samples
    assert ov.target_at(341.5) is None and ov.target_at(338.0) is None  # out of view, before the track
    out = ov.draw(np.zeros((400, 400, 3), np.uint8), 340.5)
    top = _yellow(out[:200])  # the numbers are drawn along the bottom edge; the ring alone up here
    rows, cols = np.nonzero(top)
    assert rows.size and np.abs(out[:200][top].max(axis=0).astype(int) - YELLOW).max() < 40
    assert abs(rows.mean() - 100) < 2 and abs(cols.mean() - 200) < 2  # centred on (0.5, 0.25) of 400 px
    assert 6 <= cols.max() - cols.min() <= 40  # a ring a few pixels wide, not a fill
    none = ov.draw(np.zeros((400, 400, 3), np.uint8), 341.5)
    assert not _yellow(none[:200]).any()


def test_the_numbers_are_legible_at_the_size_the_film_shows_the_lcam(tmp_path):
    # The demo's LCAM frames come home at 256 px and the film shows them ≈ 300 px tall: each line of
    # text at least ≈ 8 px tall (a 22nd of the frame), all of it inside the frame.
    _write_lvs(tmp_path)
    ov = LvsOverlay.load(tmp_path, "lcam")
    for side in (256, 1024):
        out = ov.draw(np.zeros((side, side, 3), np.uint8), 345.0)
        ink = _yellow(out)
        rows = np.flatnonzero(ink.any(axis=1))
        cols = np.flatnonzero(ink.any(axis=0))
        assert rows.size >= 2 * side / 30  # two lines (the target's), each ≥ a 30th of the frame tall
        assert rows.max() < side - 1 and cols.min() > 0 and cols.max() < side - 1
