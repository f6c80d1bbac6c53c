"""LVS in the loop on the nominal run (preview map): fixes, the divert and the run folder's lvs/."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest


@pytest.mark.slow
def test_lvs_in_the_loop_lands_near_the_selected_target(nominal_run, tmp_path, nav_terrain):
    from edlcam.gnc.loop import run_lvs

    run = tmp_path / "run"
    shutil.copytree(nominal_run, run)
    out = run_lvs(run, quality="preview", terrain=nav_terrain)
    summary = json.loads((run / "lvs" / "summary.json").read_text())
    images = pq.read_table(run / "lvs" / "images.parquet").to_pandas()
    assert out.images == len(images) >= 15  # ≈ 1 Hz from 4.2 km to backshell separation at 2.1 km
    assert summary["final_error_m"] < 40.0  # the LVS requirement (Johnson et al. 2017)
    assert summary["touchdown_to_target_m"] < 60.0  # the touchdown requirement (Johnson et al. 2022)
    assert summary["target_probability"] >= 0.9
    # The re-flown flight is the same flight up to powered descent.
    before = json.loads((nominal_run / "flight" / "events.json").read_text())["events"]
    after = json.loads((run / "flight" / "events.json").read_text())["events"]
    for a, b in zip(before, after):
        if a["name"] in ("entry_interface", "parachute_deploy", "heatshield_separation", "backshell_separation"):
            assert a == b
    landmarks = pq.read_table(run / "lvs" / "landmarks.parquet").to_pandas()
    assert landmarks.inlier.sum() > 100 and np.all((landmarks.x >= 0) & (landmarks.x <= 1))
    # The film rings the target: at the divert, ≈ 2 km up and a divert of ≤ 600 m, it lies in the LCAM's central part.
    track = pq.read_table(run / "lvs" / "target.parquet").to_pandas()
    at_divert = track[np.abs(track.t_s - summary["t_divert_s"]) < 0.05].iloc[0]
    assert 0.2 < at_divert.x < 0.8 and 0.2 < at_divert.y < 0.8
    assert track.x.notna().mean() > 0.5
    for name in ("error.png", "map.png", "map.npz", "hazard.npz"):
        assert (run / "lvs" / name).stat().st_size > 0
