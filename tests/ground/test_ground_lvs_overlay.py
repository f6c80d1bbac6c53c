"""The film's LVS marks on LCAM frames: landmarks where LVS matched them, the STS choice after the divert."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from edlcam.ground.lvs_overlay import GREEN, LvsOverlay


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
