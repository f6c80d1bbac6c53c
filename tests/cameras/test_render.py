"""Rendered geometry, frames and CLI of the cameras stage, on a synthetic run folder.

The run folder, terrain, hardware meshes and Sun here are test doubles built from simple
primitives (a flat checkered ground with the curvature drop, a disc heat shield, boxes), so the
expected pixels follow from geometry alone.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from edlcam.cameras.models.mesh import Mesh, box, sphere, strut
from edlcam.errors import RenderError
from edlcam.mission import load_mission, write_mission

pytest.importorskip("moderngl")

R_MARS_M = 3396.19e3  # MOLA reference radius (Smith et al. 2001)
GROUND_UP_M = -2500.0  # Jezero floor ≈ −2.5 km MOLA (REFERENCE.md)
SUN = np.array([0.4, -0.3, 0.8660254])  # 60° elevation
SUN = SUN / np.linalg.norm(SUN)


class CheckerTerrain:
    """Test double of edlcam.mars.terrain.Terrain: flat ground 50 m checkers, with the d²/2R drop."""

    target_altitude_m = GROUND_UP_M

    def altitude_m(self, east_m, north_m):
        return GROUND_UP_M + 0.0 * np.asarray(east_m, float)

    def surface_up_m(self, east_m, north_m):
        e, n = np.asarray(east_m, float), np.asarray(north_m, float)
        return GROUND_UP_M - (e * e + n * n) / (2.0 * R_MARS_M)

    def heightmap(self, *, center_east_m, center_north_m, size_m, samples):
        a = np.linspace(-size_m / 2, size_m / 2, samples)
        east, north = np.meshgrid(center_east_m + a, center_north_m + a)
        chk = (np.floor(east / 50.0) + np.floor(north / 50.0)) % 2
        rgb = np.stack([0.20 + 0.08 * chk, 0.14 + 0.05 * chk, 0.10 + 0.03 * chk], -1).astype(np.float32)
        return east, north, self.surface_up_m(east, north), rgb

    def rocks(self, *, east_min_m, east_max_m, north_min_m, north_max_m, min_diameter_m=0.05):
        e = np.array([0.5 * (east_min_m + east_max_m)])
        n = np.array([0.5 * (north_min_m + north_max_m)])
        return {"east_m": e, "north_m": n, "up_m": self.surface_up_m(e, n), "diameter_m": np.array([1.0]),
                "height_m": np.array([0.5])}


def _disc(diameter_m: float, color, segments: int = 96) -> Mesh:
    """A flat disc facing +z: uniformly lit, so its silhouette is a sharp edge."""
    ang = np.linspace(0.0, 2.0 * np.pi, segments, endpoint=False)
    ring = np.column_stack([np.cos(ang), np.sin(ang), np.zeros(segments)]) * diameter_m / 2.0
    pos = np.vstack([[0.0, 0.0, 0.0], ring])
    tris = np.column_stack([np.zeros(segments), 1 + np.arange(segments), 1 + (np.arange(segments) + 1) % segments])
    return Mesh(pos, np.tile([0.0, 0.0, 1.0], (len(pos), 1)), np.tile(color, (len(pos), 1)), tris)


HEATSHIELD_D_M = 4.5  # Lockheed Martin / NASA


def _models():
    def heatshield_mesh():
        return _disc(HEATSHIELD_D_M, (0.9, 0.9, 0.9))

    return SimpleNamespace(
        heatshield_mesh=heatshield_mesh,
        backshell_mesh=lambda: box([3.0, 3.0, 1.5], [0, 0, 1.8], color=(0.9, 0.9, 0.9)),
        parachute_mesh=lambda inflation, t_s=0.0, coarse=False: sphere(10.0 * max(inflation, 0.1), [0, 0, 0], color=(0.9, 0.4, 0.1)),
        descent_stage_mesh=lambda: box([3.0, 2.5, 1.0], [0, 0, 0.5], color=(0.7, 0.7, 0.7)),
        plume_meshes=lambda throttle, t_s=0.0: [],
        rover_mesh=lambda wheels_deployed=True: box([3.0, 2.7, 1.0], [0, 0, 1.2], color=(0.8, 0.8, 0.8)),
        bridles_mesh=lambda top, bottom: Mesh.merge([strut(a, b, 0.02) for a, b in zip(top, bottom)]),
        BRIDLE_TOP_POINTS_M=np.array([[1.0, 0.0, 0.0], [-0.5, 0.8, 0.0], [-0.5, -0.8, 0.0]]),
        BRIDLE_BOTTOM_POINTS_M=np.array([[1.0, 0.0, 2.0], [-0.5, 0.8, 2.0], [-0.5, -0.8, 2.0]]),
    )


EVENTS = [
    ("entry_interface", 0.0), ("peak_heating", 1.0), ("peak_deceleration", 2.0), ("parachute_deploy", 10.0),
    ("heatshield_separation", 12.0), ("backshell_separation", 14.0), ("powered_descent_start", 15.0),
    ("skycrane_start", 17.0), ("touchdown", 20.0),
]


def _write_run(tmp_path, *, mission=None):
    """A short synthetic flight: capsule falling at 80 m/s from 3 km; heat shield drops away at 12 s."""
    t = np.round(np.arange(0.0, 22.0001, 0.05), 6)
    rows = []
    cap_up = GROUND_UP_M + 3000.0 - 80.0 * t
    for name in ("backshell", "heatshield", "rover", "descent_stage", "parachute"):
        up = cap_up.copy()
        if name == "heatshield":
            dt = np.clip(t - 12.0, 0.0, None)
            up = cap_up - 0.5 * 3.71 * dt**2  # free fall relative to the slowed capsule (schematic)
        if name == "rover":
            up = cap_up - 0.35
        if name == "descent_stage":
            up = cap_up + 1.0  # its underside above the stowed rover
        if name == "parachute":
            up = cap_up + 36.0
        for k, tk in enumerate(t):
            if name == "parachute" and tk < 9.0:
                continue
            rows.append({"t_s": tk, "body": name, "east_m": 0.0, "north_m": 0.0, "up_m": up[k], "ve_m_s": 0.0,
                         "vn_m_s": 0.0, "vu_m_s": -80.0, "qw": 1.0, "qx": 0.0, "qy": 0.0, "qz": 0.0,
                         "aux": 1.0 if name == "parachute" else 0.0})
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    (tmp_path / "flight").mkdir()
    pq.write_table(pa.table(cols), tmp_path / "flight" / "bodies.parquet")
    ev = [{"name": n, "t_s": v} for n, v in EVENTS]
    (tmp_path / "flight" / "events.json").write_text(json.dumps({"events": ev, "minor_events": []}))
    write_mission(mission or load_mission(), tmp_path / "mission.toml")
    return tmp_path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return _write_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def film(run):
    from edlcam.cameras.frames import open_run

    return open_run(run, terrain=CheckerTerrain(), models=_models(), sun_enu=lambda t_s: SUN)


def _renderer():
    from edlcam.cameras.renderer import Renderer

    return Renderer(terrain=CheckerTerrain(), haze_distance_m=1e12, shadow_map_px=512)


def _render(renderer, state, cam, pos, R):
    return renderer.render(state, size=(cam.width_px, cam.height_px), intrinsics=(*cam.focal_px, *cam.principal_point_px),
                           position_m=pos, R_world_cam=R)[0]


def test_heatshield_apparent_diameter_in_the_rdc_matches_its_distance(film):
    # Pinhole: a disc of diameter D at distance d spans f·D/d pixels. At t = 16 s the heat shield
    # hangs ≈ 30 m below the rover (½ g t², schematic); measure its width across the image centre.
    t = 16.0
    cam = film.camera("rdc").scaled(2)
    pos, R = film.camera_pose(cam, t)
    hs = film.tracks.pose("heatshield", t)
    d = pos[2] - hs.position_m[2]
    img, _ = film.radiance(cam, t)
    lum = img @ np.array([0.2126, 0.7152, 0.0722])
    mask = lum > 2.0 * np.median(lum)  # white heat shield against darker ground
    cols = np.nonzero(mask.any(axis=0))[0]
    rows = np.nonzero(mask.any(axis=1))[0]
    width_px = cols[-1] - cols[0] + 1
    height_px = rows[-1] - rows[0] + 1
    expected = cam.focal_px[0] * HEATSHIELD_D_M / d
    assert width_px == pytest.approx(expected, abs=2.0)  # ±2 px: edge pixels and tessellation
    assert height_px == pytest.approx(expected * cam.focal_px[1] / cam.focal_px[0], abs=2.0)


def test_horizon_dips_as_geometry_says():
    # From height h a sphere's horizon lies acos(R/(R+h)) below the horizontal (4.6° at 11 km).
    from edlcam.cameras.camera import Camera, mount_rotation
    from edlcam.cameras.scene import SceneState, terrain_ring_plan
    from edlcam.config.cameras import DEFAULT_VIEWS

    cam = Camera("rdc", DEFAULT_VIEWS["rdc"]).scaled(2)
    h = 11_000.0
    pos = np.array([0.0, 0.0, GROUND_UP_M + h])
    R = mount_rotation([0.0, 1.0, 0.0], [0.0, 0.0, 1.0])  # horizontal, north
    rings = terrain_ring_plan((0.0, 0.0), h, footprint_half_angle_rad=0.3, samples=65)
    sun_behind = np.array([0.0, -0.5, 0.866])
    state = SceneState(0.0, sun_behind, [], rings, GROUND_UP_M)
    img = _render(_renderer(), state, cam, pos, R)
    col = img[:, cam.width_px // 2] @ np.array([0.2126, 0.7152, 0.0722])
    # The sky brightens smoothly toward the horizon; the ground starts at the first sharp drop.
    edge = np.nonzero(np.diff(col) < -0.02)[0][0] + 0.5
    dip = np.arccos(R_MARS_M / (R_MARS_M + h))
    expected = cam.principal_point_px[1] + cam.focal_px[1] * np.tan(dip)
    assert edge == pytest.approx(expected, abs=2.0)  # ±2 px ≈ 0.1°


def test_sun_disc_is_where_its_direction_projects():
    from edlcam.cameras.camera import Camera, mount_rotation
    from edlcam.cameras.scene import SceneState
    from edlcam.config.cameras import DEFAULT_VIEWS

    cam = Camera("ruc", DEFAULT_VIEWS["ruc"]).scaled(2)
    pos = np.array([0.0, 0.0, GROUND_UP_M + 2.0])
    R = mount_rotation(SUN + np.array([0.1, 0.05, 0.0]), [0.0, 0.0, 1.0])
    state = SceneState(0.0, SUN, [], [], GROUND_UP_M)
    img = _render(_renderer(), state, cam, pos, R)
    ys, xs = np.nonzero(img[..., 0] > 1000.0)  # the disc is ~10⁵ brighter than the sky
    expected, _ = cam.project(pos + SUN * 1e6, pos, R)
    assert len(xs) > 0
    assert [xs.mean(), ys.mean()] == pytest.approx(expected[0], abs=1.0)  # disc 0.35° ≈ 4 px wide


def test_known_point_renders_at_its_projected_pixel():
    from edlcam.cameras.camera import Camera, mount_rotation
    from edlcam.cameras.scene import SceneObject, SceneState
    from edlcam.config.cameras import DEFAULT_VIEWS

    cam = Camera("ddc", DEFAULT_VIEWS["ddc"]).scaled(4)
    pos = np.array([5.0, -3.0, GROUND_UP_M + 30.0])
    R = mount_rotation([0.1, 0.2, -1.0], [0.0, 1.0, 0.0])
    target = pos + R @ np.array([2.0, -1.5, 20.0])
    ball = sphere(0.15, color=(1.0, 1.0, 1.0))
    ball = Mesh(ball.positions_m, ball.normals, ball.colors_rgb * 100.0, ball.indices, emissive=True)
    state = SceneState(0.0, SUN, [SceneObject("ball", ball, np.eye(3), target)], [], GROUND_UP_M)
    img = _render(_renderer(), state, cam, pos, R)
    ys, xs = np.nonzero(img[..., 0] > 10.0)
    expected, _ = cam.project(target, pos, R)
    assert [xs.mean(), ys.mean()] == pytest.approx(expected[0], abs=0.3)


def test_frames_are_byte_identical_and_follow_the_camera_rate(film):
    from edlcam.cameras.frames import Frame

    a = list(film.frames("rdc", quality="preview", t_start_s=12.0, t_end_s=12.3))
    b = list(film.frames("rdc", quality="preview", t_start_s=12.0, t_end_s=12.3))
    assert all(isinstance(f, Frame) for f in a)
    assert [f.index for f in a] == [30, 33, 36, 39]  # window starts at 11 s; 30 fps, preview keeps every 3rd
    assert [f.t_s for f in a] == pytest.approx([12.0, 12.1, 12.2, 12.3])
    assert a[0].image.shape == (512, 640, 3) and a[0].image.dtype == np.uint8
    assert all(x.image.tobytes() == y.image.tobytes() for x, y in zip(a, b))
    mono = next(iter(film.frames("lcam", quality="preview")))
    assert mono.image.shape == (256, 256) and mono.t_s == pytest.approx(17.0)  # preview_scale = 4


def test_motion_blur_subframes_follow_the_image_motion(film, monkeypatch):
    # A camera turning at ω during an exposure e sweeps f·ω·e pixels; one sub-frame per pixel.
    cam = film.camera("rdc").scaled(2)
    omega = np.radians(30.0)
    from scipy.spatial.transform import Rotation

    real_pose = film.tracks.pose

    def spinning(name, t_s):
        p = real_pose(name, t_s)
        if p is None or name != "rover":
            return p
        return type(p)(p.name, p.position_m, Rotation.from_rotvec([0.0, omega * t_s, 0.0]).as_matrix(), p.velocity_m_s, p.aux)

    monkeypatch.setattr(film.tracks, "pose", spinning)
    f = cam.focal_px[0]
    t, exposure_s = 13.0, 0.004
    height_m = film.camera_pose(cam, t)[0][2] - GROUND_UP_M  # the checker ground is flat below the capsule
    # Rotation sweeps f·ω·e pixels; the 80 m/s descent moves the ground by f·v·e/h (here 6.4 + 0.3 px).
    motion_px = f * omega * exposure_s + f * 80.0 * exposure_s / height_m
    assert film._blur_subframes(cam, t, 0.0001) == 1
    assert film._blur_subframes(cam, t, exposure_s) == int(np.ceil(motion_px))


def test_dust_grows_as_the_descent_stage_nears_the_ground():
    from edlcam.cameras.scene import dust_particles

    nozzles = np.zeros((4, 3))
    kw = dict(seed=1, count=500, height_limit_m=20.0, ground_up_m=0.0)
    assert dust_particles(nozzles, 0.5, 25.0, 10.0, **kw) is None
    high = dust_particles(nozzles, 0.5, 15.0, 10.0, **kw)
    low = dust_particles(nozzles, 0.5, 5.0, 10.0, **kw)
    # opacity ∝ min(1, throttle (h_ref/h)²) (1 − h/20 m): the plumes' pressure on the ground
    # (scene.dust_particles); same seed and slots, so the sums keep the ratio exactly
    from edlcam.cameras.scene import BROWNOUT_REFERENCE_HEIGHT_M as h_ref

    def strength(h):
        return min(1.0, 0.5 * (h_ref / h) ** 2) * (1.0 - h / 20.0)

    assert low["alpha"].sum() / high["alpha"].sum() == pytest.approx(strength(5.0) / strength(15.0), rel=1e-9)
    assert low["alpha"].sum() > 2.5 * high["alpha"].sum()
    again = dust_particles(nozzles, 0.5, 5.0, 10.0, **kw)
    assert again["position_m"].tobytes() == low["position_m"].tobytes()


def test_terrain_rings_nest_and_reach_the_horizon():
    from edlcam.cameras.scene import terrain_ring_plan

    for h in (11_000.0, 100.0, 2.0):
        rings = terrain_ring_plan((1234.5, -987.0), h, footprint_half_angle_rad=np.radians(20.0), samples=129)
        assert rings[0].size_m >= 3.0 * 2.0 * h * np.tan(np.radians(20.0))
        assert rings[-1].size_m / 2.0 >= np.sqrt(2.0 * R_MARS_M * h)
        for inner, outer in zip(rings, rings[1:]):
            e0, e1, n0, n1 = outer.hole_en_m
            assert (e1 - e0) == inner.size_m
            # the hole's edges fall on the outer ring's grid lines (no cracks)
            assert ((e0 - (outer.center_en_m[0] - outer.size_m / 2)) / outer.spacing_m) % 1.0 == pytest.approx(0.0, abs=1e-9)


def test_the_fisheye_finest_ring_resolves_the_lcam_pixels():
    # The LCAM: f-theta, 90° over 1024 px (Maki et al. 2020) = 1.534 mrad a pixel; at full quality
    # its finest ring spans FISHEYE_RING_COVERAGE footprints of the 45° edge midpoints. Under the
    # frame's centre its texels (4 a vertex spacing) stay within 2 nadir pixels (1.5 footprints: up
    # to 4, 3 footprints: up to 7.6); the finest ring holds the central 70 % of the frame, which
    # benchmarks/realism.py measures (31.5° off the axis), the next ring the edge midpoints (45°) and
    # the one after it the corners (63.6°, 2.02 h out).
    from edlcam.cameras.frames import FISHEYE_RING_COVERAGE
    from edlcam.cameras.renderer import TERRAIN_TEXTURE_FACTOR
    from edlcam.cameras.scene import terrain_ring_plan

    pixel_rad = np.radians(90.0) / 1024

    def reach_m(ring):  # the ring's half size, less the 4 spacings its centre may snap by
        return ring.size_m / 2.0 - 4.0 * ring.spacing_m

    for h in (11_000.0, 8_000.0, 5_100.0, 3_500.0, 2_500.0, 1_400.0):
        rings = terrain_ring_plan((1234.5, -987.0), h, footprint_half_angle_rad=np.radians(45.0), samples=257,
                                  coverage=FISHEYE_RING_COVERAGE)
        texel_m = rings[0].spacing_m / TERRAIN_TEXTURE_FACTOR
        assert texel_m <= 2.0 * h * pixel_rad
        assert reach_m(rings[0]) >= h * np.tan(np.radians(0.35 * 90.0))
        assert reach_m(rings[1]) >= h * np.tan(np.radians(45.0))
        assert reach_m(rings[2]) >= h * np.tan(np.radians(45.0 * np.sqrt(2.0)))


def test_a_fisheye_rendered_smaller_keeps_its_texels_per_pixel(film):
    # The LVS images are the LCAM at [lvs] image_px (512 of 1024 px): pixels twice as large, so
    # the finest ring spans twice the footprints and its texels stay as many per pixel.
    from edlcam.cameras.frames import FISHEYE_RING_COVERAGE, FULL_RING_COVERAGE

    lcam = film.camera("lcam")
    assert film._full_ring_coverage(lcam) == FISHEYE_RING_COVERAGE
    assert film._full_ring_coverage(lcam.scaled(2)) == 2.0 * FISHEYE_RING_COVERAGE
    assert film._full_ring_coverage(film.camera("rdc").scaled(2)) == FULL_RING_COVERAGE


def test_unknown_camera_lists_the_known_ones(film):
    with pytest.raises(RenderError) as err:
        film.camera("navcam")
    assert str(err.value) == "unknown camera 'navcam'; the mission's cameras are: puc_a, puc_b, puc_c, rdc, ddc, ruc, lcam"


def test_time_outside_the_flight_gives_its_range(film, run):
    with pytest.raises(RenderError) as err:
        film.still("rdc", 99.0)
    assert str(err.value) == (
        f"--t 99 s is outside the flight in {run} (0 … 22 s after entry); give a time in that range"
    )


def test_missing_egl_is_a_render_error_naming_the_packages(monkeypatch):
    import ctypes.util

    from edlcam.cameras import renderer

    monkeypatch.setattr(renderer, "_CONTEXT", None)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(RenderError) as err:
        renderer.get_context()
    assert str(err.value) == "no EGL library found (libEGL.so.1); install the Debian packages libegl1 libegl-mesa0 libgl1-mesa-dri"


def test_cli_unknown_camera_is_one_red_line(run, capsys):
    from edlcam.cli import main

    assert main(["render", str(run), "--camera", "navcam", "--t", "13", "-o", str(run / "x.png")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown camera 'navcam'") and "\n" not in err
