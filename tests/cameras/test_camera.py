"""Camera model tests: CAHVOR geometry, sensor noise, Bayer colour, auto-exposure, mission defaults.

No OpenGL here (see test_render.py for rendered geometry).
"""

from __future__ import annotations

import numpy as np
import pytest

from edlcam.cameras.camera import (
    Camera,
    ExposureState,
    cahvor_project,
    metered_signal,
    mount_rotation,
    next_exposure,
    sensor_image,
    settle_exposure,
)
from edlcam.config.cameras import DEFAULT_VIEWS, CameraConfig, CamerasConfig
from edlcam.errors import MissionError
from edlcam.mission import load_mission, mission_from_dict

PIXEL_TOL = 1e-6  # px: two implementations of the same closed form


def _nadir_camera(**over) -> Camera:
    cfg = DEFAULT_VIEWS["rdc"].model_copy(update=over)
    return Camera("rdc", cfg)


def test_known_ground_point_projects_to_expected_pixel():
    # Camera 100 m above flat ground, looking straight down, image top to the north: a point
    # 10 m east of nadir lies fx·10/100 pixels right of the principal point (pinhole geometry).
    cam = _nadir_camera()
    R = mount_rotation([0, 0, -1], [0, 1, 0])
    xy, depth = cam.project(np.array([[10.0, 0.0, 0.0], [0.0, -5.0, 0.0]]), np.array([0.0, 0.0, 100.0]), R)
    (fx, fy), (cx, cy) = cam.focal_px, cam.principal_point_px
    assert xy[0] == pytest.approx([cx + fx * 0.1, cy], abs=PIXEL_TOL)
    assert xy[1] == pytest.approx([cx, cy + fy * 0.05], abs=PIXEL_TOL)  # south is down the image
    assert depth == pytest.approx([100.0, 100.0])


def test_rdc_focal_length_matches_its_field_of_view():
    # REFERENCE.md: RDC 1280×1024, FOV ≈ 35°×30°; the image edge is at the half-angle.
    cam = Camera("rdc", DEFAULT_VIEWS["rdc"])
    R = mount_rotation([0, 0, 1], [0, 1, 0])
    edge = np.array([[np.tan(np.radians(17.5)), 0.0, 1.0]])
    xy, _ = cam.project(edge @ R.T, np.zeros(3), R)
    assert xy[0, 0] == pytest.approx(cam.width_px - 0.5, abs=1e-6)  # right edge of the last pixel


def test_cahvor_radial_terms_equal_opencv_distortion():
    # Gennery (2006): CAHVOR with O = A and R = (0, k1, k2) is the Brown radial model OpenCV implements.
    import cv2

    cam = _nadir_camera(k1=-0.08, k2=0.01, hfov_deg=80.0, vfov_deg=70.0)
    R = mount_rotation([0.2, 0.1, -1.0], [0, 1, 0])
    pos = np.array([3.0, -2.0, 50.0])
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(-30, 30, 50), rng.uniform(-30, 30, 50), rng.uniform(-5, 5, 50)])
    ours, _ = cam.project(pts, pos, R)
    rvec, _ = cv2.Rodrigues(R.T)
    tvec = -R.T @ pos
    theirs, _ = cv2.projectPoints(pts, rvec, tvec, cam.K, np.array([cam.config.k1, cam.config.k2, 0.0, 0.0]))
    assert ours == pytest.approx(theirs.reshape(-1, 2), abs=1e-6)


def test_points_behind_the_camera_do_not_project():
    cam = _nadir_camera()
    R = mount_rotation([0, 0, -1], [0, 1, 0])
    xy, depth = cam.project(np.array([[0.0, 0.0, 200.0]]), np.array([0.0, 0.0, 100.0]), R)
    assert np.isnan(xy).all() and depth[0] < 0


def test_mount_rotation_is_a_proper_rotation_with_look_as_optical_axis():
    R = mount_rotation([1.0, 2.0, -3.0], [0.0, 0.0, 1.0])
    assert R.T @ R == pytest.approx(np.eye(3), abs=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert R[:, 2] == pytest.approx(np.array([1.0, 2.0, -3.0]) / np.sqrt(14.0))


def test_distortion_maps_invert_the_projection():
    # Sampling the pinhole image through the maps must give the distorted image: the map of a
    # distorted pixel is the pinhole pixel of the same ray (checked against CAHVOR, 0.01 px).
    cam = Camera("lcam", DEFAULT_VIEWS["lcam"]).scaled(8)
    mx, my = cam.distortion_maps
    R = np.eye(3)
    (fx, fy), (cx, cy) = cam.focal_px, cam.principal_point_px
    for v, u in [(0, 0), (10, 100), (cam.height_px - 1, cam.width_px - 1)]:
        ray = np.array([(mx[v, u] - cx) / fx, (my[v, u] - cy) / fy, 1.0])
        xy, _ = cam.project(ray[None, :], np.zeros(3), R)
        assert xy[0] == pytest.approx([u, v], abs=0.01)


# ------------------------------------------------------------------------------------------ sensor


def _flat(radiance: float, shape=(256, 256)) -> np.ndarray:
    return np.full((*shape, 3), radiance, dtype=np.float32)


def test_flat_field_noise_is_shot_plus_read_noise():
    # EMVA 1288 photon-transfer relation: σ²[e⁻] = signal[e⁻] + σ_read²; checked in raw DN before
    # the output LUT (the video cameras' 2.2 gamma, inverted here).
    cfg = DEFAULT_VIEWS["lcam"].model_copy(update={"display_gamma": 2.2})
    state = ExposureState(exposure_s=2000.0 / cfg.sensitivity_e_per_s, gain=1.0)
    img = sensor_image(_flat(1.0, (512, 512)), state, cfg, np.random.default_rng(5))
    electrons = 1.0 * cfg.sensitivity_e_per_s * state.exposure_s  # 2000 e-
    full = 2**cfg.bit_depth - 1
    linear_dn = (img.astype(float) / 255.0) ** 2.2 * full
    dn_per_e = full / cfg.full_well_e
    expected_sigma_dn = np.sqrt(electrons + cfg.read_noise_e**2) * dn_per_e
    # 8-bit output near mid-grey quantises in steps of ≈ 2.3 DN (linear): add that in quadrature.
    step = full * 2.2 * (img.mean() / 255.0) ** 1.2 / 255.0
    expected = np.sqrt(expected_sigma_dn**2 + step**2 / 12.0)
    assert linear_dn.mean() == pytest.approx(electrons * dn_per_e, rel=0.02)
    assert linear_dn.std() == pytest.approx(expected, rel=0.08)


def test_lcam_output_is_linear_8_bit_so_skylit_shadows_stay_dark():
    # The LCAM's 8-bit output is linear in the signal (mission file, display_gamma = 1): a shadow
    # lit by the skylight alone (0.27 of sunlit level ground at τ = 0.45, Sun 31° high) reads
    # 0.27 of the sunlit grey, as the real frames' scarp shadows (5–15 against ≈ 110 of 255) read
    # darker still; the video cameras' 2.2 gamma would lift it to 0.27^(1/2.2) ≈ 0.55. Tolerance:
    # shot and read noise over 128² pixels and 8-bit steps, ±0.02 of the ratio.
    cfg = DEFAULT_VIEWS["lcam"].model_copy(update={"read_noise_e": 0.0})
    state = ExposureState(cfg.min_exposure_s, 1.0)
    sunlit = 110.0 / 255.0 * cfg.full_well_e / (cfg.sensitivity_e_per_s * cfg.min_exposure_s)  # radiance read as 110
    lit = sensor_image(_flat(sunlit, (128, 128)), state, cfg, np.random.default_rng(1)).mean()
    shadow = sensor_image(_flat(0.27 * sunlit, (128, 128)), state, cfg, np.random.default_rng(2)).mean()
    assert lit == pytest.approx(110.0, abs=1.0)
    assert shadow / lit == pytest.approx(0.27, abs=0.02)
    video = cfg.model_copy(update={"display_gamma": 2.2})
    lit_v = sensor_image(_flat(sunlit, (128, 128)), state, video, np.random.default_rng(1)).mean()
    shadow_v = sensor_image(_flat(0.27 * sunlit, (128, 128)), state, video, np.random.default_rng(2)).mean()
    assert shadow_v / lit_v == pytest.approx(0.27 ** (1 / 2.2), abs=0.02)


def test_sensor_is_deterministic_for_a_seed_and_differs_across_seeds():
    cfg = DEFAULT_VIEWS["rdc"]
    state = ExposureState(1e-3, 1.0)
    a = sensor_image(_flat(0.3, (64, 64)), state, cfg, np.random.default_rng(3))
    b = sensor_image(_flat(0.3, (64, 64)), state, cfg, np.random.default_rng(3))
    c = sensor_image(_flat(0.3, (64, 64)), state, cfg, np.random.default_rng(4))
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()


def test_bayer_mosaic_and_demosaic_keep_the_colour():
    # A uniform butterscotch field must come back with its channel ratios (±3 %, noise and 8-bit).
    cfg = DEFAULT_VIEWS["rdc"].model_copy(update={"read_noise_e": 0.0})
    rgb = np.array([0.8, 0.5, 0.3], dtype=np.float32)
    field = np.broadcast_to(rgb, (128, 128, 3)).copy()
    img = sensor_image(field, ExposureState(1e-3, 1.0), cfg, np.random.default_rng(0))
    lin = (img[8:-8, 8:-8].reshape(-1, 3).mean(axis=0) / 255.0) ** 2.2
    assert lin / lin[0] == pytest.approx(rgb / rgb[0], rel=0.03)
    mono = sensor_image(field, ExposureState(1e-3, 1.0), DEFAULT_VIEWS["lcam"], np.random.default_rng(0))
    assert mono.ndim == 2 and mono.dtype == np.uint8


def test_settled_exposure_hits_the_target_level():
    cfg = DEFAULT_VIEWS["rdc"]
    scene = _flat(0.15)
    state = settle_exposure(scene, cfg)
    assert metered_signal(scene, state, cfg) == pytest.approx(cfg.ae_target, rel=0.01)


def test_auto_exposure_adapts_over_frames_from_bright_sky_to_dark_ground():
    # A real AE loop corrects part of the error each frame: exposure rises monotonically and
    # reaches the target within ~20 frames at ae_speed 0.25 (0.75^20 = 0.3 % of the log error left).
    cfg = DEFAULT_VIEWS["rdc"]
    state = settle_exposure(_flat(0.6), cfg)
    dark = _flat(0.05)
    history = [state.total]
    for _ in range(20):
        state = next_exposure(state, metered_signal(dark, state, cfg), cfg)
        history.append(state.total)
    assert np.all(np.diff(history) > 0)
    assert history[1] < 0.5 * history[-1]  # not instantaneous
    assert metered_signal(dark, state, cfg) == pytest.approx(cfg.ae_target, rel=0.02)


def test_auto_exposure_uses_gain_only_past_the_longest_exposure():
    cfg = DEFAULT_VIEWS["rdc"]
    state = settle_exposure(_flat(1e-4), cfg)
    assert state.exposure_s == cfg.max_exposure_s and state.gain > 1.0
    assert state.gain <= cfg.max_gain


# --------------------------------------------------------------------------------- mission section


def test_default_cameras_follow_reference():
    views = load_mission().cameras.views
    assert set(views) == {"puc_a", "puc_b", "puc_c", "rdc", "ddc", "ruc", "lcam"}
    rdc, lcam = views["rdc"], views["lcam"]
    assert (rdc.width_px, rdc.height_px, rdc.fps, rdc.hfov_deg, rdc.vfov_deg) == (1280, 1024, 30.0, 35.0, 30.0)
    assert (lcam.width_px, lcam.height_px, lcam.colour, lcam.hfov_deg, lcam.fps) == (1024, 1024, "mono", 90.0, 1.0)
    assert views["ddc"].width_px * views["ddc"].height_px == pytest.approx(3.2e6, rel=0.02)  # 3.2 MP
    assert CamerasConfig() == load_mission().cameras  # pydantic defaults = shipped TOML


def test_mission_file_may_override_one_camera_value():
    data = load_mission().model_dump(mode="json")
    data["cameras"]["views"]["rdc"]["fps"] = 15.0
    assert mission_from_dict(data).cameras.views["rdc"].fps == 15.0


def test_exposure_longer_than_a_frame_is_refused_with_the_limit():
    data = load_mission().model_dump(mode="json")
    data["cameras"]["views"]["rdc"]["max_exposure_s"] = 0.05
    with pytest.raises(MissionError) as err:
        mission_from_dict(data, source="m.toml")
    assert str(err.value) == (
        "m.toml: 'cameras.views.rdc': max_exposure_s 0.05 s does not fit in one frame at 30 fps; "
        "make it shorter than 0.0333333 s"
    )


def test_camera_config_rejects_parallel_look_and_up():
    with pytest.raises(ValueError, match="look and up must be non-zero and not parallel"):
        CameraConfig(**{**DEFAULT_VIEWS["rdc"].model_dump(), "up": [0.0, 0.0, -2.0]})


def test_optics_blur_keeps_a_point_from_becoming_a_false_colour_dot():
    # A bright point the size of one photosite on grey ground (a sub-pixel rock in a preview frame):
    # without the optics' spread it lights one colour photosite, and the demosaicked dot's colour
    # (the largest departure of a channel from the pixel's grey) is twice its brightness; with the
    # mission's σ = 1.5 px (est.; 0.75 px at the preview's half scale) it lands on red, green and
    # blue photosites alike. Tolerance: the dot's colour falls ≥ 3× below the unblurred one and
    # below its own brightness. No noise, linear output, the point on a red, a green and a blue site.
    cfg = DEFAULT_VIEWS["rdc"].model_copy(update={"read_noise_e": 0.0, "display_gamma": 1.0})
    preview = Camera("rdc", cfg).scaled(2).config
    assert cfg.optics_blur_px == 1.5 and preview.optics_blur_px == pytest.approx(0.75)
    state = ExposureState(cfg.min_exposure_s, 1.0)
    ground = 0.3 * cfg.full_well_e / (cfg.sensitivity_e_per_s * cfg.min_exposure_s)

    def dot(c: CameraConfig, at: tuple[int, int]) -> tuple[float, float]:
        scene = _flat(ground, (64, 64))
        scene[at] = 3.0 * ground
        img = sensor_image(scene, state, c, np.random.default_rng(3)).astype(float)
        d = img[28:38, 28:38].reshape(-1, 3) - img[4:12, 4:12].reshape(-1, 3).mean(axis=0)
        return float(np.abs(d - d.mean(axis=1, keepdims=True)).max()), float(np.abs(d.mean(axis=1)).max())

    for at in ((32, 32), (32, 33), (33, 33)):
        sharp_colour, sharp_bright = dot(preview.model_copy(update={"optics_blur_px": 0.0}), at)
        colour, bright = dot(preview, at)
        assert sharp_colour > sharp_bright
        assert colour < sharp_colour / 3.0 and colour < bright
