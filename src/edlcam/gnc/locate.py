"""``edlcam lvs locate``: where one nadir image was taken over a map image, for any image.

The image is taken to come from a camera of the LCAM's geometry (its field of view and lens from
the mission's ``[cameras.views.lcam]``, scaled to the image's size) looking straight down from
``altitude_m`` above a flat ground; the map is an orthoimage (north up) of ``m_per_px``. The
answer is the camera's nadir point in metres from the map image's centre (east = image right,
north = image up), found with the Lander Vision System's coarse-then-fine matching
(:func:`edlcam.gnc.mrl.localize`). Without a heading the rotation is searched too.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edlcam.errors import NavigationError
from edlcam.gnc.mrl import Fix, localize, nadir_rotation
from edlcam.gnc.onboard_map import OnboardMap

__all__ = ["locate_image", "read_grey", "LocateResult"]


@dataclass(frozen=True)
class LocateResult:
    """What ``edlcam lvs locate --json`` prints."""

    fix: Fix

    def as_json(self) -> dict:
        f = self.fix
        clean = lambda x: round(float(x), 3) if math.isfinite(float(x)) else None  # noqa: E731
        return {"ok": bool(f.ok), "east_m": clean(f.east_m), "north_m": clean(f.north_m), "sigma_m": clean(f.sigma_m),
                "inliers": int(f.inliers), "heading_deg": clean(f.heading_deg), "stage": f.stage,
                "seconds": round(f.seconds, 3)}  # fmt: skip


def read_grey(path: str | Path, what: str) -> np.ndarray:
    """An image file as 2-D uint8 grey (colour is reduced to luminance); NavigationError naming it."""
    import cv2

    p = Path(path)
    if not p.is_file():
        raise NavigationError(f"{p}: no such {what} file; give a PNG or JPEG")
    img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
    if img is None or img.ndim != 2 or min(img.shape) < 16:
        raise NavigationError(f"{p}: not a readable {what} image (PNG, JPEG or TIFF of at least 16×16 pixels expected)")
    return img


def locate_image(image: np.ndarray, map_image: np.ndarray, *, m_per_px: float, altitude_m: float, camera, cfg,
                 heading_deg: float | None = None, prior_en: tuple[float, float] | None = None,
                 prior_sigma_m: float | None = None, image_name: str = "IMAGE", map_name: str = "MAP") -> LocateResult:
    """Locate ``image`` over ``map_image`` (see the module docstring); NavigationError for bad input."""
    if not (math.isfinite(altitude_m) and altitude_m > 0):
        raise NavigationError(f"--altitude-m is {altitude_m:g}; give the camera's height above the ground in metres (> 0)")
    if not (math.isfinite(m_per_px) and m_per_px > 0):
        raise NavigationError(f"--map-m-per-px is {m_per_px:g}; give the map's ground pixel size in metres (> 0)")
    onboard = OnboardMap.from_image(map_image, m_per_px)
    half_fov = math.radians(camera.config.hfov_deg) / 2.0
    footprint_m = 2.0 * altitude_m * math.tan(half_fov)
    if min(onboard.size_m, onboard.height_m) < footprint_m:
        raise NavigationError(
            f"{map_name}: the map covers {onboard.size_m / 1e3:.2f} × {onboard.height_m / 1e3:.2f} km, smaller than the image's "
            f"footprint of {footprint_m / 1e3:.2f} km from {altitude_m:g} m; give a larger map or check --altitude-m and --map-m-per-px"
        )
    given = [prior_en is not None, prior_sigma_m is not None]
    if any(given) and not all(given):
        raise NavigationError("--prior-east-m, --prior-north-m and --prior-sigma-m go together; give all three or none")
    if prior_sigma_m is not None and not (math.isfinite(prior_sigma_m) and prior_sigma_m > 0):
        raise NavigationError(f"--prior-sigma-m is {prior_sigma_m:g}; give the prior's 1σ in metres (> 0)")
    if prior_en is None:
        # No prior: anywhere on the map (its half-diagonal as 3σ).
        prior_en = (0.0, 0.0)
        prior_sigma_m = math.hypot(onboard.size_m, onboard.height_m) / 6.0
    elif not onboard.contains(prior_en[0], prior_en[1]):
        raise NavigationError(
            f"the prior ({prior_en[0]:g}, {prior_en[1]:g}) m lies outside {map_name} (±{onboard.size_m / 2:g} m east, "
            f"±{onboard.height_m / 2:g} m north of its centre); give a prior on the map"
        )
    R = nadir_rotation(0.0 if heading_deg is None else heading_deg)
    fix = localize(image, camera, R, height_m=altitude_m, prior_en=prior_en, prior_sigma_m=float(prior_sigma_m),
                   onboard_map=onboard, cfg=cfg, heading_search=heading_deg is None)  # fmt: skip
    if fix.ok and not onboard.contains(fix.east_m, fix.north_m):  # the nadir point must lie on the map it was found on
        fix = dataclasses.replace(fix, ok=False, reason=f"the match put the nadir point ({fix.east_m:.0f}, {fix.north_m:.0f}) m off the map")
    return LocateResult(fix)
