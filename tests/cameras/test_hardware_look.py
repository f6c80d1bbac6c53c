"""The hardware as the real EDL footage shows it: the canopy lit through by the Sun, the rover and
descent stage at their published sizes, the sky crane's brown-out.

Renders use a bare scene (no terrain) or the models alone, so each expectation follows from the
shading or the geometry that the test names.
"""

from __future__ import annotations

import numpy as np
import pytest

from edlcam.cameras.models.mesh import Mesh

SUN = np.array([0.0, 0.5, 0.8660254])  # 60° elevation
HAZE_M = 24_700.0  # the mission's haze distance: τ = 11.1 km / 24.7 km = 0.45 (mars2020.toml)


def _sheet(translucency: float) -> Mesh:
    """A horizontal 2 m square of white nylon (albedo 0.8) facing +z (up, toward the Sun)."""
    pos = np.array([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]])
    return Mesh(pos, np.tile([0.0, 0.0, 1.0], (4, 1)), np.full((4, 3), 0.8), [[0, 1, 2], [0, 2, 3]],
                translucency=translucency)


def _radiance_from_below(mesh: Mesh) -> np.ndarray:
    """Radiance at the image centre of a camera 1 m under the sheet looking straight up."""
    pytest.importorskip("moderngl")
    from edlcam.cameras.camera import Camera, mount_rotation
    from edlcam.cameras.renderer import Renderer
    from edlcam.cameras.scene import SceneObject, SceneState
    from edlcam.config.cameras import DEFAULT_VIEWS

    cam = Camera("puc_a", DEFAULT_VIEWS["puc_a"]).scaled(8)
    renderer = Renderer(terrain=None, haze_distance_m=HAZE_M, shadow_map_px=256)
    pos = np.array([0.0, 0.0, -1.0])
    R = mount_rotation([0.0, 0.0, 1.0], [0.0, 1.0, 0.0])
    state = SceneState(0.0, SUN, [SceneObject("sheet", mesh, np.eye(3), np.zeros(3))], [], -100.0)
    img, _ = renderer.render(state, size=(cam.width_px, cam.height_px),
                             intrinsics=(*cam.focal_px, *cam.principal_point_px), position_m=pos, R_world_cam=R)
    h, w = img.shape[:2]
    return img[h // 2 - 2 : h // 2 + 2, w // 2 - 2 : w // 2 + 2].reshape(-1, 3).mean(axis=0)


def test_sunlit_canopy_fabric_glows_through_from_below():
    # Seen from below, an opaque sheet shows only the skylight on its underside, albedo × sky × 0.2
    # (the shader's 0.6 + 0.4 n_z with n_z = −1); translucent fabric adds albedo × t × (sun μ₀ +
    # sky), the light on its top. The real PUC footage shows the canopy glowing white and orange
    # (NASA/JPL 2021-02-22); t = CANOPY_TRANSLUCENCY (est.). Tolerance 2 %: float32 shading and
    # the air light of the 1 m path (≈ 4e-5 of the sky's).
    from edlcam.cameras.models.parachute import CANOPY_TRANSLUCENCY
    from edlcam.cameras.photometry import illumination

    tau = 11_100.0 / HAZE_M  # as the renderer derives it
    sun_irr, sky_irr = illumination(tau, SUN[2])
    opaque = _radiance_from_below(_sheet(0.0))
    glowing = _radiance_from_below(_sheet(CANOPY_TRANSLUCENCY))
    assert opaque[1] == pytest.approx(0.8 * 0.2 * sky_irr, rel=0.02)
    expected = 0.8 * 0.2 * sky_irr + 0.8 * CANOPY_TRANSLUCENCY * (SUN[2] * sun_irr + sky_irr)
    assert glowing[1] == pytest.approx(expected, rel=0.02)
    assert glowing[1] > 5.0 * opaque[1]


def test_parachute_cloth_is_translucent_and_its_rigging_opaque():
    from edlcam.cameras.models.parachute import CANOPY_TRANSLUCENCY, parachute_mesh

    m = parachute_mesh(1.0, coarse=True)
    t = m.translucency.astype(float)
    assert np.unique(t) == pytest.approx([0.0, CANOPY_TRANSLUCENCY])
    # lines, tapes and riser stay opaque (the dark silhouettes of the real footage): the cloth
    # is every vertex of a gore colour
    cloth = np.isclose(m.colors_rgb[:, 1], 0.10) | np.isclose(m.colors_rgb[:, 1], 0.80)
    assert np.all(t[cloth] == pytest.approx(CANOPY_TRANSLUCENCY))
    assert np.all(t[~cloth] == 0.0)


def test_translucency_must_lie_in_zero_one():
    with pytest.raises(ValueError, match="translucency"):
        _sheet(1.5)


class _CheckerGround:
    """Test double of the terrain: flat ground at 0 m of 1 m checkers (albedo 0.12 / 0.30)."""

    def surface_up_m(self, east_m, north_m):
        return 0.0 * np.asarray(east_m, float)

    def heightmap(self, *, center_east_m, center_north_m, size_m, samples):
        a = np.linspace(-size_m / 2, size_m / 2, samples)
        east, north = np.meshgrid(center_east_m + a, center_north_m + a)
        chk = (np.floor(east) + np.floor(north)) % 2
        rgb = np.repeat((0.12 + 0.18 * chk)[..., None], 3, axis=-1).astype(np.float32)
        return east, north, np.zeros_like(east), rgb


def _ground_contrast(stage_height_m: float, *, dust: bool = True) -> float:
    """std/mean of the ground seen from the DDC's place on a stage that high, in its dust or without."""
    pytest.importorskip("moderngl")
    from edlcam.cameras.camera import Camera, mount_rotation
    from edlcam.cameras.renderer import Renderer
    from edlcam.cameras.scene import SceneState, dust_particles, dust_sources_m, terrain_ring_plan
    from edlcam.config.cameras import DEFAULT_VIEWS

    cam = Camera("ddc", DEFAULT_VIEWS["ddc"]).scaled(8)
    h = stage_height_m
    pos = np.array([0.2, 0.95, h])
    R = mount_rotation([0.0, 0.0, -1.0], [1.0, 0.0, 0.0])
    rings = terrain_ring_plan((0.0, 0.0), h, footprint_half_angle_rad=0.4, samples=65)
    # the sky crane's throttle at the end (≈ 0.3, flight/bodies.parquet of the demo run)
    puffs = dust_particles(dust_sources_m([0.0, 0.0, h], h, 0.0), 0.3, h, 17.3, seed=3, count=4000,
                           height_limit_m=20.0, ground_up_m=0.0)
    state = SceneState(17.3, SUN, [], rings, 0.0, dust=puffs if dust else None)
    renderer = Renderer(terrain=_CheckerGround(), haze_distance_m=HAZE_M, shadow_map_px=256, preview=True)
    img, _ = renderer.render(state, size=(cam.width_px, cam.height_px),
                             intrinsics=(*cam.focal_px, *cam.principal_point_px), position_m=pos, R_world_cam=R)
    lum = img @ np.array([0.2126, 0.7152, 0.0722])
    return float(lum.std() / lum.mean())


def test_brownout_hides_the_ground_in_the_sky_cranes_last_seconds():
    # The real DDC and RUC films end in a dust cloud that hides the ground (NASA/JPL 2021-02-22).
    # Ground contrast (std/mean) in the dust ÷ without it, from the same place: with the stage
    # 9.5 m up (the rover on the ground) the dust takes most of it away (measured 0.19), with the
    # stage 18 m up (lifting just begun; dust_height_m 20 m) little of it (measured 0.84); in
    # between it thickens as the stage comes down. Bounds are ±0.1 around the measured ratios.
    ratio = {h: _ground_contrast(h) / _ground_contrast(h, dust=False) for h in (18.0, 12.0, 9.5)}
    assert ratio[18.0] > 0.7
    assert ratio[9.5] < 0.45
    assert ratio[9.5] < ratio[12.0] < ratio[18.0]


def _dust_over_ground(puffs: list[tuple[tuple[float, float, float], float, float]], *, preview: bool,
                      size_px: int = 600, f_px: float = 1000.0) -> np.ndarray:
    """Luminance the dust adds to the checker ground seen straight down from 10 m: ((east, north,
    up) [m], diameter [m], opacity) per puff, drawn as the renderer draws them (back to front)."""
    pytest.importorskip("moderngl")
    from edlcam.cameras.camera import mount_rotation
    from edlcam.cameras.renderer import Renderer
    from edlcam.cameras.scene import SceneState, terrain_ring_plan

    h = 10.0
    rings = terrain_ring_plan((0.0, 0.0), h, footprint_half_angle_rad=0.5, samples=65)
    R = mount_rotation([0.0, 0.0, -1.0], [1.0, 0.0, 0.0])
    renderer = Renderer(terrain=_CheckerGround(), haze_distance_m=HAZE_M, shadow_map_px=256, preview=preview)
    dust = {"position_m": np.array([p[0] for p in puffs], float), "size_m": np.array([p[1] for p in puffs], float),
            "alpha": np.array([p[2] for p in puffs], float), "shade": np.ones(len(puffs))}
    lum = []
    for d in (dust, None):
        img, _ = renderer.render(SceneState(17.3, SUN, [], rings, 0.0, dust=d), size=(size_px, size_px),
                                 intrinsics=(f_px, f_px, size_px / 2, size_px / 2), position_m=np.array([0.0, 0.0, h]),
                                 R_world_cam=R)
        lum.append(img @ np.array([0.2126, 0.7152, 0.0722]))
    return lum[0] - lum[1]


@pytest.mark.parametrize("preview", [True, False])
def test_a_dust_puff_near_the_camera_is_drawn_at_its_size(preview):
    # A 2 m puff 5 m below a camera of f = 1000 px spans 2 · 1000 / 5 = 400 px; as a GL point
    # sprite it was capped at llvmpipe's largest point, 255 px. Its disc's width ± 4 px (its
    # opacity falls to 0 at the rim, 1 − r²: the outer pixels add less than the threshold).
    added = np.abs(_dust_over_ground([((0.0, 0.0, 5.0), 2.0, 0.8)], preview=preview))
    width = np.count_nonzero(added[300] > 1e-3)
    assert width == pytest.approx(400, abs=4)


def test_a_puff_does_not_hide_the_puffs_drawn_after_it():
    # Dust draws no depth (it is translucent): puff A, off axis, is farther from the camera than
    # puff B on the axis, so A is drawn first (back to front), but A's disc is nearer in depth
    # (7 m against 8 m) and covers the axis. B must still add its dust on the axis: when the
    # depth mask was left on (moderngl 5 keeps it on the framebuffer, not the context) A's depth
    # hid B there and cut every puff drawn after another into hard-edged arcs.
    a = ((6.0, 0.0, 3.0), 14.0, 0.3)
    b = ((0.0, 0.0, 2.0), 2.0, 0.9)
    both, a_alone = (_dust_over_ground(p, preview=True, size_px=200, f_px=100.0)[100, 100] for p in ([a, b], [a]))
    b_alone = _dust_over_ground([b], preview=True, size_px=200, f_px=100.0)[100, 100]
    assert abs(b_alone) > 0.05
    # over A's dust, B's share is its opacity × (its colour − what lies under it): well away from 0
    assert abs(both - a_alone) > 0.5 * abs(b_alone)


def test_rover_mesh_has_the_published_size():
    # NASA Mars 2020 press kit / rover fact sheet: 3.0 m long without the arm, 2.7 m wide, 2.2 m
    # tall to the top of the mast, wheels 52.5 cm across. Tolerances: 2 cm on width and wheels
    # (tessellation), 5 cm on the mast top, 10 cm on the length (the MMRTG's tilt, est.).
    from edlcam.cameras.models import rover
    from edlcam.cameras.models.rover import rover_mesh

    m = rover_mesh(wheels_deployed=True, mast_deployed=True)
    p = m.positions_m.astype(float)
    lo, hi = p.min(axis=0), p.max(axis=0)
    assert hi[1] - lo[1] == pytest.approx(2.7, abs=0.02)
    assert hi[2] == pytest.approx(2.2, abs=0.05)
    assert lo[2] == pytest.approx(0.0, abs=0.005)  # the wheels stand on the ground
    front_of_wheels = max(rover._WHEEL_X_M) + 0.5 * rover.WHEEL_DIAMETER_M
    assert front_of_wheels - lo[0] == pytest.approx(3.0, abs=0.10)  # MMRTG's back to the front wheels
    wheel = p[(np.abs(p[:, 1]) > 1.0) & (np.abs(p[:, 0] - max(rover._WHEEL_X_M)) < 0.3)]
    assert wheel[:, 2].max() - wheel[:, 2].min() == pytest.approx(0.525, abs=0.02)
    assert m.triangle_count < 6000  # a preview budget: the DDC draws it every frame


def test_rover_shows_the_parts_seen_from_the_descent_stage():
    # From above (the DDC) the rover is more than a white box: radiators, covers and cable
    # harnesses show dark on the deck (NASA/JPL DDC frames). Vertices on the deck, inside the
    # body's outline (the MMRTG, behind it, not counted): the box alone had no dark ones.
    from edlcam.cameras.models.rover import BODY_HALF_WIDTH_M, BODY_TOP_M, BODY_X_M, rover_mesh

    m = rover_mesh(wheels_deployed=True)
    p, c = m.positions_m, m.colors_rgb
    deck = ((p[:, 2] > BODY_TOP_M + 0.02) & (p[:, 0] > BODY_X_M[0]) & (p[:, 0] < BODY_X_M[1])
            & (np.abs(p[:, 1]) < BODY_HALF_WIDTH_M))
    assert np.count_nonzero(deck & (c.max(axis=1) < 0.15)) > 200
    assert np.count_nonzero(deck & (c.min(axis=1) > 0.45)) > 100
    assert np.count_nonzero(p[:, 0] < BODY_X_M[0] - 0.2) > 100  # the MMRTG behind the body


def test_descent_stage_has_eight_canted_engines_and_the_bud():
    # NASA/JPL: eight throttleable Mars Lander Engines; canted outward by the mission's
    # [powered_descent] engine_cant_deg; bridles and umbilical leave the BUD under the centre.
    from edlcam.cameras.models.descent_stage import (BRIDLE_TOP_POINTS_M, engine_exhaust_directions,
                                                     engine_exit_points_m)
    from edlcam.config.flight import PoweredDescentConfig

    cant = float(PoweredDescentConfig.model_fields["engine_cant_deg"].default)
    d = engine_exhaust_directions()
    assert d.shape == (8, 3)
    assert np.degrees(np.arccos(-d[:, 2])) == pytest.approx(np.full(8, cant), abs=1e-9)
    exits = engine_exit_points_m()
    assert np.all(np.hypot(exits[:, 0], exits[:, 1]) > 1.3)  # at the corners, outside the rover's 2.7 m width / 2
    assert np.all(np.hypot(BRIDLE_TOP_POINTS_M[:, 0], BRIDLE_TOP_POINTS_M[:, 1]) < 0.25)


def _mated_view(camera: str) -> tuple[np.ndarray, float]:
    """Luminance seen by ``camera`` with the rover still mated under the descent stage (its first
    frames: the windows open 2 s before rover separation), 20 m over checkered ground, and the
    fraction of the frame that is ground or sky (not hardware)."""
    pytest.importorskip("moderngl")
    from edlcam.cameras.camera import Camera
    from edlcam.cameras.models import descent_stage_mesh, rover_mesh
    from edlcam.cameras.renderer import Renderer
    from edlcam.cameras.scene import SceneObject, SceneState, terrain_ring_plan
    from edlcam.config.cameras import DEFAULT_VIEWS
    from edlcam.config.flight import PoweredDescentConfig

    stowed_m = float(PoweredDescentConfig.model_fields["rover_stowed_height_m"].default)
    cam = Camera(camera, DEFAULT_VIEWS[camera]).scaled(8)
    ds = np.array([0.0, 0.0, 20.0])
    rover = ds - [0.0, 0.0, stowed_m]
    body = ds if cam.config.mount == "descent_stage" else rover
    pos = body + np.asarray(cam.config.position_m, float)
    R = cam.R_body_cam
    hardware = [SceneObject("ds", descent_stage_mesh(), np.eye(3), ds),
                SceneObject("rover", rover_mesh(wheels_deployed=False), np.eye(3), rover)]
    rings = terrain_ring_plan((0.0, 0.0), 20.0, footprint_half_angle_rad=0.5, samples=65)
    size = (cam.width_px, cam.height_px)
    intr = (*cam.focal_px, *cam.principal_point_px)
    renderer = Renderer(terrain=_CheckerGround(), haze_distance_m=HAZE_M, shadow_map_px=256, preview=True)
    with_hw, _ = renderer.render(SceneState(0.0, SUN, hardware, rings, 0.0), size=size, intrinsics=intr,
                                 position_m=pos, R_world_cam=R)
    bare, _ = renderer.render(SceneState(0.0, SUN, [], rings, 0.0), size=size, intrinsics=intr,
                              position_m=pos, R_world_cam=R)
    lum = with_hw @ np.array([0.2126, 0.7152, 0.0722])
    open_fraction = float(np.mean(np.all(np.isclose(with_hw, bare, rtol=1e-4, atol=1e-7), axis=-1)))
    return lum, open_fraction


@pytest.mark.parametrize(("camera", "least_open"), [("ddc", 0.07), ("ruc", 0.4)])
def test_first_sky_crane_frames_are_not_a_grey_wash(camera, least_open):
    # The DDC and RUC start before rover separation (REFERENCE.md windows; mars2020.toml). Mounted
    # where nothing fills the lens, their first frames show the mated hardware beside ground (DDC)
    # or sky (RUC), what the real films open on (NASA/JPL 2021-02-22), not one surface 4–30 cm
    # away that the auto-exposure stretches into a grey wash. Measured open fractions 0.10 and
    # 0.53 (the old mounts: 0 and 0); bounds a quarter below them. Contrast (std/mean) > 0.3.
    lum, open_fraction = _mated_view(camera)
    assert open_fraction > least_open
    assert lum.std() / lum.mean() > 0.3
