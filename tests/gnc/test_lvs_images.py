"""LVS images rendered ahead in worker processes: the same pixels, so the same fixes, as rendered in line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest


def _preview_mission(mission, workers: int):
    cameras = mission.cameras.model_copy(update={"msaa_samples": 0, "workers": workers})
    return mission.model_copy(update={"cameras": cameras})


def test_images_rendered_ahead_are_the_images_rendered_here(nominal_run, nav_mission, nav_terrain):
    from edlcam import runfolder
    from edlcam.cameras.frames import open_run
    from edlcam.gnc.loop import navigation_times
    from edlcam.gnc.lvs_images import ImagesAhead, image_camera, render_image

    mission = _preview_mission(nav_mission, 2)
    film = open_run(nominal_run, terrain=nav_terrain, mission=mission)
    traj = runfolder.read_trajectory(nominal_run).as_dict()
    times = navigation_times(film, traj, film.events, mission.lvs)
    picked = times[[0, 1, len(times) - 1]]  # two blocks: the first two images, then the last one
    seed = mission.mission.seed
    _cam, rcam = image_camera(film, mission.lvs)
    with ImagesAhead(nominal_run, terrain=nav_terrain, mission=mission, cfg=mission.lvs, times_s=picked, seed=seed,
                     rng_key=(7,), workers=2) as ahead:
        assert len(ahead) == 3
        for i, t in enumerate(picked):
            here = render_image(film, rcam, float(t), seed, (7, i))
            assert ahead[i].dtype == here.dtype and np.array_equal(ahead[i], here), f"image {i} at E+{t:.1f} s differs"


def test_images_ahead_refuses_no_workers(nominal_run, nav_mission, nav_terrain):
    from edlcam.gnc.lvs_images import ImagesAhead

    with pytest.raises(ValueError, match="at least one worker"):
        ImagesAhead(nominal_run, terrain=nav_terrain, mission=nav_mission, cfg=nav_mission.lvs, times_s=[300.0],
                    seed=1, workers=0)


@pytest.mark.slow
def test_lvs_with_images_ahead_navigates_as_in_line(nominal_run, tmp_path, nav_mission, nav_terrain):
    """The whole loop both ways: the same images, fixes, estimate, target and touchdown."""
    from edlcam.gnc.loop import run_lvs

    out = {}
    for workers in (0, 2):
        run = tmp_path / f"run{workers}"
        shutil.copytree(nominal_run, run)
        run_lvs(run, mission=nav_mission.model_copy(
            update={"cameras": nav_mission.cameras.model_copy(update={"workers": workers})}),
            quality="preview", terrain=nav_terrain)  # fmt: skip
        rows = pq.read_table(run / "lvs" / "images.parquet").to_pandas().drop(columns=["cpu_s"])
        summary = json.loads((run / "lvs" / "summary.json").read_text())
        summary.pop("cpu_s_per_image")
        out[workers] = (rows, summary, (run / "flight" / "trajectory.parquet").read_bytes())
    assert out[0][0].equals(out[2][0])
    assert out[0][1] == out[2][1]
    assert out[0][2] == out[2][2]
