"""The terrain's shadows on itself (edlcam.cameras.terrain_shadow): a ridge's shadow for a given Sun."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edlcam.cameras.terrain_shadow import SUN_RADIUS_RAD, SUN_RAYS, SUN_STEP_DEG, quantised_sun, sun_visibility

SPACING_M = 1.0


def _sun(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.cos(e) * math.sin(a), math.cos(e) * math.cos(a), math.sin(e)])


def _ridge(height_m: float = 50.0, n: int = 401, at: int = 100) -> np.ndarray:
    """A north–south wall ``height_m`` high, one texel wide, at column ``at`` of a flat n × n grid."""
    up = np.zeros((n, n), np.float32)
    up[:, at] = height_m
    return up


def test_a_ridge_shades_the_ground_behind_it_for_h_over_tan_elevation():
    # Sun in the west (azimuth 270°), 40° high: a 50 m wall shades 50 / tan 40° = 59.6 m of the
    # ground east of it (the penumbra there is 59.6 m × 2 × 0.175° ≈ 0.4 m: under one texel).
    # Tolerance: one texel of 1 m at each end.
    up = _ridge()
    vis = sun_visibility(up, SPACING_M, _sun(270.0, 40.0))
    row = vis[200]
    length = 50.0 / math.tan(math.radians(40.0))
    east = np.arange(up.shape[1]) - 100  # metres east of the wall
    assert np.all(row[(east >= 1) & (east <= length - 1)] == 0.0)
    assert np.all(row[east >= length + 1] == 1.0)
    assert np.all(row[east < 0] == 1.0)  # the sunlit side
    shaded = np.count_nonzero(row[east > 0] < 0.5)
    assert shaded == pytest.approx(length, abs=1.0)


def test_the_shadow_falls_away_from_the_sun_and_flat_ground_is_lit():
    up = _ridge()
    east_sun = sun_visibility(up, SPACING_M, _sun(90.0, 40.0))[200]
    assert np.all(east_sun[101:] == 1.0) and np.count_nonzero(east_sun[:100] < 0.5) == pytest.approx(59.6, abs=1.0)
    assert np.all(sun_visibility(np.zeros((64, 64)), SPACING_M, _sun(200.0, 5.0)) == 1.0)
    assert np.all(sun_visibility(np.zeros((64, 64)), SPACING_M, _sun(200.0, -5.0)) == 0.0)  # Sun set


def test_the_shadow_edge_is_the_sun_disc_setting_behind_the_horizon():
    # Behind a wall of height H the top stands atan(H/d) high at distance d: the Sun's centre
    # (40°) sets at d = H / tan 40°, and the disc (radius r = 0.175°) goes from wholly hidden to
    # wholly seen over Δd = 2r (d² + H²) / H ≈ 14.8 m for H = 1 km. Checked: half the disc at the
    # tip, none a penumbra's half-width before it, all of it after (±1/SUN_RAYS: the disc is
    # sampled by that many rays).
    el = math.radians(40.0)
    height = 1000.0
    up = np.zeros((3, 4001), np.float32)
    up[:, 0] = height
    vis = sun_visibility(up, SPACING_M, _sun(270.0, 40.0))[1]
    tip = height / math.tan(el)
    width = 2.0 * SUN_RADIUS_RAD * (tip**2 + height**2) / height
    assert width == pytest.approx(14.8, abs=0.1)
    x = np.arange(up.shape[1], dtype=float)
    expected = np.clip(0.5 + (x - tip) / width, 0.0, 1.0)
    near = np.abs(x - tip) < width
    assert vis[near] == pytest.approx(expected[near], abs=1.0 / SUN_RAYS + 1e-6)
    assert np.all(vis[(x > 0) & (x < tip - width / 2.0 - 1.0)] == 0.0) and np.all(vis[x > tip + width / 2.0 + 1.0] == 1.0)


def test_the_baked_sun_is_quantised_so_frames_do_not_depend_on_render_order():
    k1, d1 = quantised_sun(_sun(250.0, 40.0))
    k2, d2 = quantised_sun(_sun(250.0 + 0.2 * SUN_STEP_DEG, 40.0 - 0.2 * SUN_STEP_DEG))
    assert k1 == k2 and np.array_equal(d1, d2)
    assert np.linalg.norm(d1) == pytest.approx(1.0, abs=1e-12)
    assert quantised_sun(_sun(250.0 + SUN_STEP_DEG, 40.0))[0] != k1
