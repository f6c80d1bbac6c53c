"""The Perseverance rover: body, six wheels on rocker-bogie legs, mast, MMRTG and stowed arm.

Frame (docs/run-folder.md): origin on the ground plane under the deployed wheels, midway between
them; +z up, +x forward (+y to the rover's left).

Published sizes (NASA Mars 2020 rover fact sheet / press kit): ≈ 3 m long without the arm,
2.7 m wide, 2.2 m tall to the top of the mast; wheels 52.5 cm in diameter; ground clearance
≈ 0.6 m (MSL heritage). Everything else is an estimate from photographs ("est."). During EDL the
mobility system is folded up under the body and the remote-sensing mast lies on the deck; the
wheels snap down during the sky-crane descent, the mast rises days after landing.

Seen from the descent stage (the DDC's view, NASA/JPL 2021-02-22) the rover shows the dark finned
MMRTG at the back, the stowed mast and the high-gain antenna on a white deck crossed by dark
cable harnesses and radiators, six wheels on rocker-bogie tubes beside it, the arm across the
front; every one of those is here (:func:`_deck_equipment` for the smaller ones).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from edlcam.cameras.models.mesh import Mesh, box, lathe, rotation_about, strut

__all__ = [
    "BRIDLE_BOTTOM_POINTS_M",
    "ROVER_STOWED_TOP_M",
    "ROVER_LENGTH_M",
    "ROVER_WIDTH_M",
    "ROVER_MAST_HEIGHT_M",
    "WHEEL_DIAMETER_M",
    "rover_mesh",
]

ROVER_LENGTH_M = 3.0  # NASA press kit (without the arm)
ROVER_WIDTH_M = 2.7  # NASA press kit
ROVER_MAST_HEIGHT_M = 2.2  # NASA press kit (top of the mast)
WHEEL_DIAMETER_M = 0.525  # NASA: 52.5 cm
WHEEL_WIDTH_M = 0.40  # est. (MSL heritage)
BODY_BOTTOM_M = 0.62  # est.: ≈ 0.6 m ground clearance
BODY_TOP_M = 1.32  # est.
BODY_X_M = (-1.0, 1.05)  # est.: rear and front faces of the body
BODY_HALF_WIDTH_M = 0.80  # est.
# Highest point of the stowed rover (mast lying on the deck): a descent stage mated above it must
# have its underside (and the BUD, 6 cm below it) higher than this.
ROVER_STOWED_TOP_M = 1.64
_TRACK_Y_M = 0.5 * ROVER_WIDTH_M - 0.5 * WHEEL_WIDTH_M  # wheel centre plane: outer tread at ±1.35 m
_WHEEL_X_M = (1.05, 0.02, -0.98)  # est.: front, middle, rear

_BODY = np.array([0.70, 0.66, 0.57])  # white-beige paint and insulation
_DECK = np.array([0.55, 0.52, 0.46])
_METAL = np.array([0.56, 0.57, 0.59])  # aluminium wheels, titanium legs
_DARK = np.array([0.04, 0.04, 0.045])
_RTG = np.array([0.10, 0.10, 0.11])
_GREY = np.array([0.30, 0.30, 0.32])

# Bridle attachment points on the top of the body: two at the front corners, one at the rear (est.).
BRIDLE_BOTTOM_POINTS_M = np.array([[0.80, 0.60, BODY_TOP_M], [0.80, -0.60, BODY_TOP_M], [-0.75, 0.0, BODY_TOP_M]])
BRIDLE_BOTTOM_POINTS_M.flags.writeable = False


def _wheel(hub_m, side: float) -> Mesh:
    """One wheel, axis along y; ``side`` = +1 left, −1 right (the outer face looks outward)."""
    r_out, w = 0.5 * WHEEL_DIAMETER_M, WHEEL_WIDTH_M
    grouser_m = 0.015
    r = r_out - grouser_m  # the published diameter is over the grousers, which touch the ground
    # profile along the local z (= the axle, pointing outward): inner face, tread, outer face
    tyre = lathe(np.array([[0.08, -w / 2], [r, -w / 2]]), n_around=24, color=_METAL, smooth=False)
    tread = lathe(np.array([[r, -w / 2], [r, w / 2]]), n_around=24, color=_METAL, smooth=False)
    h = w / 2
    outer = lathe([[r, h], [r - 0.03, h], [0.09, h - 0.06]], n_around=24, color=_GREY, smooth=False)
    hub = lathe([[0.09, h - 0.06], [0.09, h - 0.01], [0.0, h - 0.01]], n_around=12, color=_METAL, smooth=False)
    inner_hub = lathe([[0.0, -h - 0.02], [0.08, -h - 0.02], [0.08, -h]], n_around=12, color=_GREY, smooth=False)
    parts = [tyre, tread, outer, hub, inner_hub]
    for k in range(16):  # grousers across the tread (Perseverance has 48; 16 read the same at 10 m)
        a = 2 * np.pi * k / 16
        rc = r + 0.5 * grouser_m
        parts.append(box((grouser_m, w, 0.012), [rc * np.cos(a), rc * np.sin(a), 0.0], color=_METAL,
                         rotation=rotation_about([0, 0, 1], a) @ rotation_about([1, 0, 0], np.pi / 2)))
    # local z (axle) → ±y; local x stays x
    to_y = np.column_stack([[1.0, 0.0, 0.0], [0.0, 0.0, -side], [0.0, side, 0.0]])
    return Mesh.merge(parts).transformed(to_y, hub_m)


def _mobility(side: float, deployed: bool) -> list[Mesh]:
    """Wheels and rocker-bogie links of one side (+1 left, −1 right)."""
    r = 0.5 * WHEEL_DIAMETER_M
    y_leg = side * (_TRACK_Y_M - 0.5 * WHEEL_WIDTH_M - 0.05)  # legs come down inside the wheels
    y_arm = side * (BODY_HALF_WIDTH_M + 0.12)
    if deployed:
        hubs_x, hubs_z = _WHEEL_X_M, (r, r, r)
        pivot, bogie = np.array([0.25, y_arm, 0.88]), np.array([-0.45, y_arm, 0.70])
    else:  # stowed for EDL: wheels folded up beside the body (est.)
        hubs_x, hubs_z = (0.78, 0.08, -0.72), (0.62, 0.70, 0.62)
        pivot, bogie = np.array([0.25, y_arm, 0.95]), np.array([-0.35, y_arm, 0.95])
    hubs = [np.array([x, side * _TRACK_Y_M, z]) for x, z in zip(hubs_x, hubs_z)]
    knees = [np.array([h[0], y_leg, h[2] + 0.42]) for h in hubs]
    parts = [_wheel(h, side) for h in hubs]
    rod = 0.045  # est.: titanium tubes ≈ 9 cm across in photographs
    parts.append(strut(pivot, knees[0], rod, color=_METAL))  # rocker, front arm
    parts.append(strut(pivot, bogie, rod, color=_METAL))  # rocker, rear arm
    parts.append(strut(bogie, knees[1], rod, color=_METAL))  # bogie
    parts.append(strut(bogie, knees[2], rod, color=_METAL))
    for h, k in zip(hubs, knees):
        foot = np.array([h[0], y_leg, h[2]])
        parts.append(strut(k, foot, rod, color=_METAL))
        motor_end = [h[0], side * (_TRACK_Y_M - 0.5 * WHEEL_WIDTH_M), h[2]]  # drive motor into the hub
        parts.append(strut(foot, motor_end, 0.07, color=_GREY, n_sides=10))
    parts.append(strut([pivot[0], side * BODY_HALF_WIDTH_M, pivot[2]], pivot, 0.06, color=_GREY, n_sides=10))
    return parts


def _mast(deployed: bool) -> list[Mesh]:
    """Remote-sensing mast with its head (SuperCam, Mastcam-Z), upright or lying on the deck."""
    base = np.array([0.72, -0.55, BODY_TOP_M])
    mast_len = ROVER_MAST_HEIGHT_M - 0.25 - BODY_TOP_M
    head = [
        box((0.30, 0.52, 0.24), [0.02, 0.0, 0.12], color=_BODY),  # head, centred on the mast top
        strut([0.14, 0.0, 0.14], [0.19, 0.0, 0.14], 0.075, color=_DARK, n_sides=16),  # SuperCam window
        strut([0.14, 0.17, 0.07], [0.19, 0.17, 0.07], 0.04, color=_DARK, n_sides=10),  # Mastcam-Z pair
        strut([0.14, -0.17, 0.07], [0.19, -0.17, 0.07], 0.04, color=_DARK, n_sides=10),
    ]
    head_mesh = Mesh.merge(head)
    if deployed:
        top = base + [0.0, 0.0, mast_len]
        return [strut(base, top, 0.07, color=_BODY, n_sides=12), head_mesh.transformed(np.eye(3), top)]
    # stowed: the mast lies along the deck toward the rear, the head looking up (est.)
    top = base + [-mast_len, 0.0, 0.14]
    lie = rotation_about([0, 1, 0], -np.pi / 2)  # the head's +z (up the mast) now points aft
    return [strut(base + [0, 0, 0.12], top, 0.07, color=_BODY, n_sides=12),
            box((0.1, 0.12, 0.14), base + [0, 0, 0.07], color=_GREY),
            head_mesh.transformed(rotation_about([0, 0, 1], np.pi) @ lie @ rotation_about([0, 0, 1], np.pi), top)]


def _rtg() -> list[Mesh]:
    """MMRTG at the back, tilted up, with its eight cooling fins (est. from photographs)."""
    a = np.array([BODY_X_M[0] - 0.02, 0.0, 0.98])
    direction = np.array([-np.cos(np.radians(35)), 0.0, np.sin(np.radians(35))])
    b = a + 0.68 * direction
    parts = [strut(a, b, 0.20, color=_RTG, n_sides=16)]
    side = np.cross(direction, [0.0, 1.0, 0.0])
    frame = np.column_stack([direction, [0.0, 1.0, 0.0], side])
    frame[:, 2] = np.cross(frame[:, 0], frame[:, 1])
    mid = 0.5 * (a + b)
    for k in range(8):
        phi = 2 * np.pi * (k + 0.5) / 8
        rot = rotation_about(direction, phi)
        radial = rot @ frame[:, 2]
        fin_frame = np.column_stack([direction, np.cross(radial, direction), radial])
        parts.append(box((0.64, 0.015, 0.18), mid + 0.27 * radial, color=_RTG, rotation=fin_frame))
    return parts


def _arm() -> list[Mesh]:
    """The robotic arm stowed across the front, turret (coring drill, PIXL, SHERLOC) at its end (est.)."""
    shoulder = np.array([1.12, -0.62, 1.05])
    elbow = np.array([1.22, 0.55, 1.05])
    wrist = np.array([1.30, 0.05, 0.88])
    return [
        box((0.18, 0.2, 0.2), shoulder, color=_GREY),
        strut(shoulder, elbow, 0.06, color=_BODY, n_sides=10),
        strut(elbow, wrist, 0.055, color=_BODY, n_sides=10),
        box((0.32, 0.42, 0.45), wrist + [0.1, 0.0, -0.15], color=_GREY),
        strut(wrist + [0.1, 0.08, -0.38], wrist + [0.1, 0.08, -0.55], 0.03, color=_METAL),  # drill bit
    ]


def _body() -> list[Mesh]:
    """The chassis box with deck equipment: HGA, UHF antenna, MEDA booms, LCAM/RDC windows (est.)."""
    x0, x1 = BODY_X_M
    z0, z1 = BODY_BOTTOM_M, BODY_TOP_M
    parts = [
        box((x1 - x0, 2 * BODY_HALF_WIDTH_M, z1 - z0), [0.5 * (x0 + x1), 0.0, 0.5 * (z0 + z1)], color=_BODY),
        box((x1 - x0 - 0.2, 2 * BODY_HALF_WIDTH_M - 0.2, 0.04), [0.5 * (x0 + x1), 0.0, z1 + 0.02], color=_DECK),
        # high-gain antenna: an octagonal plate on a gimbal, rear right
        strut([-0.55, -0.45, z1], [-0.55, -0.45, z1 + 0.18], 0.05, color=_GREY),
        strut([-0.55, -0.45, z1 + 0.18], [-0.55, -0.45, z1 + 0.24], 0.30, color=_GREY, n_sides=8),
        # UHF quadrifilar helix, rear left
        strut([-0.6, 0.5, z1], [-0.6, 0.5, z1 + 0.3], 0.06, color=_BODY, n_sides=10),
        # sample-handling and electronics boxes on the deck
        box((0.5, 0.4, 0.14), [0.2, 0.35, z1 + 0.07], color=_DECK),
        box((0.35, 0.3, 0.1), [-0.15, -0.35, z1 + 0.05], color=_GREY),
        # belly: the downward cameras' windows (RDC and LCAM) and the sample caching system
        box((0.12, 0.12, 0.02), [0.7, 0.3, z0 - 0.01], color=_DARK),
        box((0.12, 0.12, 0.02), [0.7, -0.3, z0 - 0.01], color=_DARK),
        box((0.6, 1.0, 0.12), [0.15, 0.0, z0 - 0.06], color=_GREY),
    ]
    return parts + _deck_equipment()


def _deck_equipment() -> list[Mesh]:
    """What the descent stage's camera sees on the deck besides the big parts: the heat-rejection
    radiators beside the MMRTG, the dark electronics and sample-handling covers, and the cable
    harnesses along the deck's edges and down its sides (est. from the NASA/JPL DDC frames and
    rover photographs; positions and sizes est.).
    """
    x0, x1 = BODY_X_M
    z1 = BODY_TOP_M + 0.04  # on the deck plate
    hw = BODY_HALF_WIDTH_M
    parts = [
        # heat-rejection system radiators: two dark panels at the rear corners, around the MMRTG
        box((0.42, 0.34, 0.03), [x0 + 0.26, 0.52, z1 + 0.015], color=_DARK),
        box((0.42, 0.34, 0.03), [x0 + 0.26, -0.52, z1 + 0.015], color=_DARK),
        # grey covers of the avionics and of the sample handling assembly, mid-deck
        box((0.55, 0.28, 0.06), [0.55, 0.25, z1 + 0.03], color=_GREY),
        box((0.30, 0.42, 0.08), [-0.35, 0.05, z1 + 0.04], color=_BODY),
        box((0.22, 0.22, 0.05), [0.05, -0.55, z1 + 0.025], color=_DARK),
    ]
    # cable harnesses: dark bundles around the deck's edge and across it, and down the sides to
    # the mobility actuators
    c = 0.015
    ring = np.array([[x1 - 0.12, hw - 0.08], [x0 + 0.12, hw - 0.08], [x0 + 0.12, -hw + 0.08], [x1 - 0.12, -hw + 0.08]])
    for a, b in zip(ring, np.roll(ring, -1, axis=0)):
        parts.append(strut([a[0], a[1], z1 + c], [b[0], b[1], z1 + c], c, color=_DARK, n_sides=4))
    for a, b in (([0.55, 0.40], [-0.35, 0.26]), ([0.30, 0.10], [0.05, -0.44]), ([-0.35, -0.16], [x0 + 0.26, -0.35])):
        parts.append(strut([a[0], a[1], z1 + c], [b[0], b[1], z1 + c], c, color=_DARK, n_sides=4))
    for side in (1.0, -1.0):
        for x in (0.65, -0.45):
            top = [x, side * (hw + 0.01), BODY_TOP_M - 0.02]
            parts.append(strut(top, [x, side * (hw + 0.01), BODY_BOTTOM_M + 0.25], 0.02, color=_DARK, n_sides=4))
    return parts


@lru_cache(maxsize=4)
def rover_mesh(*, wheels_deployed: bool = True, mast_deployed: bool = False) -> Mesh:
    """The rover; ``wheels_deployed=False`` is the folded EDL configuration.

    ``mast_deployed`` raises the remote-sensing mast (2.2 m tall rover); it stays stowed on the
    deck through EDL, so the default keeps it down. About 4 400 triangles.
    """
    parts = _body() + _rtg() + _arm() + _mast(mast_deployed)
    for side in (1.0, -1.0):
        parts += _mobility(side, wheels_deployed)
    return Mesh.merge(parts)
