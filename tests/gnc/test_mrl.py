"""Map-relative localization on rendered LCAM frames, and the ``edlcam lvs locate`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edlcam.cli import main
from edlcam.gnc.mrl import localize, nadir_rotation


def test_nadir_rotation_puts_the_heading_at_the_top_of_the_image():
    R = nadir_rotation(0.0)
    assert np.allclose(R[:, 0], [1, 0, 0]) and np.allclose(R[:, 1], [0, -1, 0]) and np.allclose(R[:, 2], [0, 0, -1])
    R = nadir_rotation(90.0)  # image top toward east: image right toward south
    assert np.allclose(-R[:, 1], [1, 0, 0], atol=1e-12) and np.allclose(R[:, 0], [0, -1, 0], atol=1e-12)


@pytest.fixture(scope="module")
def rendered_frame(nominal_run, nav_terrain):
    """An LCAM frame (512², the full-quality renderer) ≈ 3 km above the ground, with the camera's true pose."""
    import pyarrow.parquet as pq

    from edlcam.cameras.frames import open_run

    traj = pq.read_table(nominal_run / "flight" / "trajectory.parquet").to_pandas()
    t = float(traj.t_s[(traj.phase == "parachute") & (traj.height_agl_m < 3000.0)].iloc[0])
    from edlcam.cameras.camera import sensor_image, settle_exposure

    film = open_run(nominal_run, terrain=nav_terrain)
    cam = film.camera("lcam")
    small = cam.scaled(2)
    radiance, _ = film.radiance(small, t, quality="full")
    img = sensor_image(radiance, settle_exposure(radiance, small.config), small.config, np.random.default_rng(7))
    pos, R = film.camera_pose(cam, t)
    return img, cam, pos, R, float(pos[2] - nav_terrain.surface_up_m(pos[0], pos[1]))


def test_localization_recovers_a_known_offset_on_a_rendered_frame(rendered_frame, small_map, nav_mission):
    img, cam, pos, R, height = rendered_frame
    offset = np.array([400.0, -300.0])  # the onboard estimate is this far from the truth
    fix = localize(img, cam, R, height_m=height, prior_en=pos[:2] + offset, prior_sigma_m=500.0,
                   onboard_map=small_map, cfg=nav_mission.lvs)
    assert fix.ok, fix.reason
    err = np.hypot(fix.east_m - pos[0], fix.north_m - pos[1])
    # LVS requirement: < 40 m (Johnson et al. 2017); one 512-px frame, 11.7 m/px at nadir, does better.
    assert err < 40.0, (err, fix)
    assert fix.inliers >= 10
    assert fix.sigma_m < 40.0


def test_a_heading_search_reports_no_fix_when_fine_matching_does_not_confirm_the_coarse_one(
    rendered_frame, small_map, nav_mission, monkeypatch
):
    """A real LCAM frame of Jezero on a map of the simulated site gave ``ok`` from two agreeing coarse
    patches once the search tried every heading (36 × the hypotheses): with a heading search the
    coarse answer alone is not a fix; with a known heading it still is (the flight's case).
    The matchers are stood in for: coarse patches that always agree, landmarks that never do."""
    import edlcam.gnc.mrl as mrl

    img, cam, pos, R, height = rendered_frame
    monkeypatch.setattr(mrl, "_coarse", lambda *args, **kwargs: (np.array([120.0, -80.0]), 2, 0.5))
    monkeypatch.setattr(mrl, "_fine", lambda *args, **kwargs: None)
    kw = dict(height_m=height, prior_en=(float(pos[0]), float(pos[1])), prior_sigma_m=1500.0, onboard_map=small_map,
              cfg=nav_mission.lvs)  # fmt: skip
    searched = localize(img, cam, nadir_rotation(0.0), heading_search=True, **kw)
    assert not searched.ok and "not confirmed" in searched.reason
    known = localize(img, cam, R, **kw)
    assert known.ok and known.stage == "coarse"


def _run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_locate_command_prints_one_json_object(rendered_frame, small_map, tmp_path, capsys):
    import cv2

    img, cam, pos, R, height = rendered_frame
    cv2.imwrite(str(tmp_path / "frame.png"), img)
    cv2.imwrite(str(tmp_path / "map.png"), small_map.appearance)
    heading = float(np.degrees(np.arctan2(-R[0, 1], -R[1, 1])) % 360.0)
    code, out, _ = _run(["lvs", "locate", str(tmp_path / "frame.png"), "--map", str(tmp_path / "map.png"),
                         "--map-m-per-px", "9", "--altitude-m", f"{height:.1f}", "--heading-deg", f"{heading:.2f}",
                         "--prior-east-m", f"{pos[0] + 300:.1f}", "--prior-north-m", f"{pos[1]:.1f}",
                         "--prior-sigma-m", "400", "--json"], capsys)  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"ok", "east_m", "north_m", "sigma_m", "inliers"}
    assert isinstance(data["ok"], bool) and isinstance(data["inliers"], int)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--altitude-m", "0"], "error: --altitude-m is 0; give the camera's height above the ground in metres (> 0)"),
        (["--altitude-m", "9000"], "error: {map}: the map covers 0.10 × 0.10 km, smaller than the image's footprint of 18.00 km "
                                   "from 9000 m; give a larger map or check --altitude-m and --map-m-per-px"),
    ],
)
def test_locate_bad_input_gets_one_line(tmp_path, capsys, args, message):
    import cv2

    cv2.imwrite(str(tmp_path / "img.png"), np.full((64, 64), 128, np.uint8))
    cv2.imwrite(str(tmp_path / "map.png"), np.full((100, 100), 128, np.uint8))
    code, out, err = _run(["lvs", "locate", str(tmp_path / "img.png"), "--map", str(tmp_path / "map.png"),
                           "--map-m-per-px", "1", *args], capsys)  # fmt: skip
    assert code == 1 and out == ""
    assert err.strip() == message.format(map=tmp_path / "map.png")


def test_locate_unreadable_image_gets_one_line(tmp_path, capsys):
    (tmp_path / "img.png").write_bytes(b"not an image")
    code, out, err = _run(["lvs", "locate", str(tmp_path / "img.png"), "--map", str(tmp_path / "img.png"),
                           "--map-m-per-px", "6", "--altitude-m", "3000"], capsys)  # fmt: skip
    assert code == 1
    assert err.strip() == f"error: {tmp_path / 'img.png'}: not a readable image image (PNG, JPEG or TIFF of at least 16×16 pixels expected)"
