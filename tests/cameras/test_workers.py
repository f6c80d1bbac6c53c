"""Render-ahead workers, scene culling and the preview renderer's depth range.

The worker test renders on a synthetic run (test_render's) with the real hardware meshes and
picklable doubles of the terrain and the Sun, because spawned workers receive them by pickle.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("moderngl")

from test_render import SUN, CheckerTerrain, _write_run  # noqa: E402  (shared synthetic run)


class FixedSun:
    """A picklable Sun double: the same direction at every time."""

    def __call__(self, t_s: float) -> np.ndarray:
        return SUN


@pytest.fixture(scope="module")
def real_models_film(tmp_path_factory):
    from edlcam.cameras.frames import open_run

    run = _write_run(tmp_path_factory.mktemp("run_workers"))
    return open_run(run, terrain=CheckerTerrain(), sun_enu=FixedSun())


def test_frames_are_byte_identical_whatever_the_number_of_workers(real_models_film):
    # The AE state crosses chunk boundaries (chunks of 2 frames here), and two workers render in
    # parallel: the frames must equal those rendered in this process, byte for byte.
    from edlcam.cameras.pool import RenderPool

    film = real_models_film
    step, plan = film.frame_plan("rdc", quality="preview", t_start_s=12.0, t_end_s=12.65)
    here = list(film.frames("rdc", quality="preview", t_start_s=12.0, t_end_s=12.65, workers=0))
    pool = RenderPool(film.spec, 2, chunk_frames=2)
    try:
        there = list(pool.iterate("rdc", "preview", step, plan))
        one_worker_first_chunk = next(iter(pool.iterate("rdc", "preview", step, plan[:1])))
    finally:
        pool.close()
    assert len(here) == len(plan) == 7  # 12.0 … 12.6 s at 30/3 = 10 fps: 4 chunks of 2
    assert [f.index for f in there] == [f.index for f in here]
    assert [f.t_s for f in there] == [f.t_s for f in here]
    assert [(f.exposure_s, f.gain) for f in there] == [(f.exposure_s, f.gain) for f in here]
    assert all(a.image.tobytes() == b.image.tobytes() for a, b in zip(here, there))
    assert one_worker_first_chunk.image.tobytes() == here[0].image.tobytes()


def test_mosaic_frames_are_the_colour_frames_photosites_through_the_pool_too(real_models_film):
    # A colour camera's frames as its RGGB mosaic (what the onboard store records): each photosite
    # reads the colour frame's own channel there (bar the outermost rows and columns, which OpenCV's
    # demosaic fills from a neighbour), and the pool gives the bytes rendered here.
    from edlcam.cameras.camera import bayer_mosaic
    from edlcam.cameras.pool import RenderPool

    film = real_models_film
    step, plan = film.frame_plan("rdc", quality="preview", t_start_s=12.0, t_end_s=12.35)
    colour = list(film.frames("rdc", quality="preview", t_start_s=12.0, t_end_s=12.35))
    here = list(film.frames("rdc", quality="preview", t_start_s=12.0, t_end_s=12.35, mosaic=True))
    pool = RenderPool(film.spec, 2, chunk_frames=2)
    try:
        there = list(pool.iterate("rdc", "preview", step, plan, mosaic=True))
    finally:
        pool.close()
    assert len(here) == len(colour) == 4
    for rgb, m, p in zip(colour, here, there):
        assert m.image.shape == rgb.image.shape[:2] and m.image.dtype == np.uint8
        assert np.array_equal(m.image[1:-1, 1:-1], bayer_mosaic(rgb.image)[1:-1, 1:-1])
        assert (m.exposure_s, m.gain) == (rgb.exposure_s, rgb.gain)
        assert p.image.tobytes() == m.image.tobytes()
    assert len({m.image.tobytes() for m in here}) == 4  # four frames, not one repeated


def test_worker_errors_reach_the_caller(real_models_film):
    from edlcam.cameras.pool import RenderPool
    from edlcam.errors import RenderError

    pool = RenderPool(real_models_film.spec, 1, chunk_frames=2)
    try:
        with pytest.raises(RenderError, match="unknown camera 'nope'"):
            list(pool.iterate("nope", "preview", 1, [(0, 12.0)]))
    finally:
        pool.close()


def test_stack_inside_the_aeroshell_is_not_drawn(real_models_film):
    # Before backshell separation (14 s in the synthetic run) the descent stage and rover ride
    # inside the aeroshell; their meshes would poke through the backshell's cone.
    builder = real_models_film.builder
    tracks = real_models_film.tracks
    before = {o.key for o in builder.objects(13.0, tracks.poses(13.0))}
    after = {o.key for o in builder.objects(14.5, tracks.poses(14.5))}
    assert "descent_stage" not in before and not any(k.startswith("rover") for k in before)
    assert "backshell" in before and "descent_stage" in after and any(k.startswith("rover") for k in after)


def test_parachute_is_culled_outside_the_view_and_kept_inside(real_models_film):
    # Seen from 100 m below the canopy: in view looking up, culled looking down (its mesh, rebuilt
    # every frame, is then not made at all).
    from edlcam.cameras.scene import ViewCone

    film = real_models_film
    t = 13.0
    poses = film.tracks.poses(t)
    below = poses["parachute"].position_m - [0.0, 0.0, 100.0]
    up = ViewCone(below, np.array([0.0, 0.0, 1.0]), np.radians(20.0))
    down = ViewCone(below, np.array([0.0, 0.0, -1.0]), np.radians(20.0))
    assert "parachute" in {o.key for o in film.builder.objects(t, poses, up)}
    assert "parachute" not in {o.key for o in film.builder.objects(t, poses, down)}


def test_view_cone_geometry():
    from edlcam.cameras.scene import ViewCone

    cone = ViewCone(np.zeros(3), np.array([0.0, 0.0, 1.0]), np.radians(20.0))
    # A 1 m sphere 10 m away at 25° off axis reaches to 25° − asin(0.1) = 19.3° < 20°: seen.
    ang = np.radians(25.0)
    assert cone.sees(10.0 * np.array([np.sin(ang), 0.0, np.cos(ang)]), 1.0)
    ang = np.radians(27.0)  # 27° − 5.7° = 21.3° > 20°: not seen
    assert not cone.sees(10.0 * np.array([np.sin(ang), 0.0, np.cos(ang)]), 1.0)
    assert cone.sees(np.array([0.0, 0.0, -0.5]), 1.0)  # the camera inside the sphere


def test_preview_depth_range_keeps_the_near_plane_off_the_lens_when_high():
    # 24-bit depth resolves z²/(near·2²⁴): from 3 km the ground needs near ≫ 2 cm (log depth is
    # off in previews), while a body 1 m in front of the lens must stay in front of the near plane.
    from edlcam.cameras.models.mesh import box
    from edlcam.cameras.renderer import NEAR_M, Renderer
    from edlcam.cameras.scene import SceneObject, SceneState, terrain_ring_plan

    r = Renderer(terrain=CheckerTerrain(), preview=True, shadow_map_px=256)
    ground = -2500.0
    cam = np.array([0.0, 0.0, ground + 3000.0])
    R = np.diag([1.0, -1.0, -1.0])  # looking straight down
    rings = terrain_ring_plan((0.0, 0.0), 3000.0, footprint_half_angle_rad=0.3, samples=65)
    near, far = r.depth_range(SceneState(0.0, SUN, [], rings, ground), cam, R)
    assert near == pytest.approx(1500.0, rel=0.01)  # half the height
    assert far > np.sqrt(2 * 3396.19e3 * 3000.0)  # beyond the horizon (143 km)
    block = SceneObject("block", box([0.2, 0.2, 0.2]), np.eye(3), cam - [0.0, 0.0, 1.1])
    near, _ = r.depth_range(SceneState(0.0, SUN, [block], rings, ground), cam, R)
    assert NEAR_M <= near <= 0.5  # its top face is 1 m below the lens


def test_terrain_ring_cache_evicts_without_error():
    # A long sequence creates more rings than the cache holds; evicting one frees its buffers.
    from edlcam.cameras.renderer import Renderer
    from edlcam.cameras.scene import SceneState, terrain_ring_plan

    r = Renderer(terrain=CheckerTerrain(), preview=True, shadow_map_px=256, ring_cache=2)
    R = np.diag([1.0, -1.0, -1.0])
    for east in (0.0, 500.0, 1000.0):
        cam = np.array([east, 0.0, -2500.0 + 300.0])
        rings = terrain_ring_plan((east, 0.0), 300.0, footprint_half_angle_rad=0.3, samples=17)
        img, _ = r.render(SceneState(0.0, SUN, [], rings, -2500.0), size=(32, 32), intrinsics=(30.0, 30.0, 15.5, 15.5),
                          position_m=cam, R_world_cam=R)
    assert len(r._rings) == 2 and np.isfinite(img).all()
