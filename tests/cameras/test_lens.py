"""The LCAM's CAHVORE fish-eye against Maki et al. (2020) and Gennery's (2006) special cases."""

import math

import numpy as np
import pytest

from edlcam.cameras.camera import CAHVORE, Camera, cahvor_project, cahvore_project, chi_of_theta, theta_of_chi
from edlcam.config.cameras import DEFAULT_VIEWS
from edlcam.mission import load_mission

NADIR = np.eye(3)  # camera frame = world frame: the axis along +z


def _lcam(scale: int = 1) -> Camera:
    return Camera("lcam", load_mission().cameras.views["lcam"]).scaled(scale)


def _angle_deg(cam: Camera, px) -> np.ndarray:
    rays = cam.pixel_rays(np.asarray(px, float))
    return np.degrees(np.arccos(rays[:, 2]))


def test_lcam_field_of_view_is_makis_90_by_90():
    # Maki et al. (2020), Space Sci. Rev. 216:137: LCAM 1024 × 1024, 90° × 90° field of view.
    # The outer edges of the edge-midpoint pixels lie 45° from the axis (±0.01°).
    cam = _lcam()
    assert cam.fisheye and (cam.width_px, cam.height_px) == (1024, 1024)
    c = (cam.width_px - 1) / 2.0
    edges = [[-0.5, c], [cam.width_px - 0.5, c], [c, -0.5], [c, cam.height_px - 0.5]]
    assert _angle_deg(cam, edges) == pytest.approx([45.0] * 4, abs=0.01)


def test_lcam_ifov_is_the_field_over_the_pixels():
    # 90° over 1024 px: 1.534 mrad per pixel; an equidistant fish-eye keeps it across the field
    # (the pinhole of the same field would go from 1.95 mrad at the centre to 0.98 at the edge).
    cam = _lcam()
    c = (cam.width_px - 1) / 2.0
    xs = np.array([c, c + 1.0, 900.0, 901.0])
    ang = np.radians(_angle_deg(cam, np.column_stack([xs, np.full(4, c)])))
    ifov_centre, ifov_edge = ang[1] - ang[0], ang[3] - ang[2]
    expected = math.radians(90.0) / 1024
    assert ifov_centre == pytest.approx(expected, rel=1e-3)
    assert ifov_edge == pytest.approx(expected, rel=1e-3)
    # The corners see 45° × √2 = 63.6° from the axis.
    assert _angle_deg(cam, [[-0.5, -0.5]])[0] == pytest.approx(45.0 * math.sqrt(2.0), abs=0.01)


def test_projection_and_rays_are_inverse():
    cam = _lcam(4)
    rng = np.random.default_rng(2)
    px = rng.uniform(0, cam.width_px - 1, (200, 2))
    rays = cam.pixel_rays(px)
    back, depth = cam.project(rays * 1000.0, np.zeros(3), NADIR)
    assert back == pytest.approx(px, abs=1e-6) and np.all(depth > 0)


def test_linearity_one_is_the_pinhole_and_zero_is_equidistant():
    # Gennery (2006): chi = tan(L theta)/L → tan theta at L = 1 (CAHVOR with R = 0), theta at L = 0.
    theta = np.linspace(0.0, 1.2, 7)
    assert chi_of_theta(theta, 1.0) == pytest.approx(np.tan(theta), abs=1e-12)
    assert chi_of_theta(theta, 0.0) == pytest.approx(theta, abs=1e-12)
    assert chi_of_theta(theta, -1.0) == pytest.approx(np.sin(theta), abs=1e-12)
    for L in (1.0, 0.5, 0.0, -0.5):
        assert theta_of_chi(chi_of_theta(theta, L), L) == pytest.approx(theta, abs=1e-12)
    cam = Camera("rdc", DEFAULT_VIEWS["rdc"]).scaled(4)
    pinhole = cam.cahvor(np.zeros(3), NADIR)
    fish = CAHVORE(**{k: getattr(pinhole, k) for k in "CAHVOR"}, L=1.0)
    pts = np.random.default_rng(1).uniform([-50, -50, 20], [50, 50, 200], (50, 3))
    assert cahvore_project(fish, pts)[0] == pytest.approx(cahvor_project(pinhole, pts)[0], abs=1e-9)


def test_equidistant_image_radius_is_f_theta():
    cam = _lcam()
    (fx, _), (cx, cy) = cam.focal_px, cam.principal_point_px
    theta = math.radians(30.0)
    xy, _ = cam.project(np.array([[math.sin(theta), 0.0, math.cos(theta)]]), np.zeros(3), NADIR)
    assert xy[0] == pytest.approx([cx + fx * theta, cy], abs=1e-9)


def test_fisheye_render_samples_a_pinhole_canvas_without_aliasing():
    # The maps send each fish-eye pixel to the pinhole pixel of its ray; where the canvas is finer
    # than the image (the edges) the pyramid's coarser level is blended in: a fine checkerboard
    # canvas (period 2 px) comes out mid-grey at the corners instead of aliased stripes.
    cam = _lcam(8)
    mx, my = cam.distortion_maps
    ox = float(np.ceil(max(-mx.min(), mx.max() - (cam.width_px - 1)))) + 1.0
    oy = float(np.ceil(max(-my.min(), my.max() - (cam.height_px - 1)))) + 1.0
    h, w = int(cam.height_px + 2 * oy), int(cam.width_px + 2 * ox)
    board = (np.indices((h, w)).sum(0) % 2).astype(np.float32)
    out = cam.distort(board, offset_px=(ox, oy))
    assert out.shape == (cam.height_px, cam.width_px)
    corner = out[:8, :8]
    assert abs(float(corner.mean()) - 0.5) < 0.05 and float(corner.std()) < 0.1
    assert cam.canvas_scale[0, 0] > 2.0 and cam.canvas_scale[cam.height_px // 2, cam.width_px // 2] == pytest.approx(1.0, abs=0.02)
