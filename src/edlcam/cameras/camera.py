"""The camera model: geometry (CAHVOR), exposure with auto-exposure, sensor noise, Bayer colour.

Geometry follows the CAHV model of Yakimovsky & Cunningham (1978), "A system for extracting
three-dimensional measurements from a stereo pair of TV cameras", CGIP 7:195, with the radial
distortion terms O and R of Gennery (2006), "Generalized camera calibration including fish-eye
lenses", IJCV 68:239 (CAHVOR). A pinhole with radial distortion ``x_d = x (1 + k1 r² + k2 r⁴)``
is the CAHVOR special case O = A, R = (0, k1, k2); we keep Gennery's symbols in
:func:`cahvor_project`. Pixel (0, 0) is the centre of the top-left pixel; x grows right, y down.

The sensor turns linear scene radiance (1.0 = a white Lambertian surface under the overhead Sun)
into electrons (``sensitivity_e_per_s``), adds shot noise (Poisson, here its Gaussian limit) and
read noise, clips at the full well, quantises to ``bit_depth`` bits, demosaics an RGGB Bayer
mosaic with OpenCV and applies a display gamma. Auto-exposure meters the clipped signal a real
sensor sees and corrects a fraction ``ae_speed`` of the log-exposure error per frame, exposure
first, then gain — so a camera swung from bright sky to dark ground takes a few frames to adapt.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from edlcam.config.cameras import CameraConfig

__all__ = [
    "bayer_mosaic",
    "CAHVOR",
    "Camera",
    "ExposureState",
    "cahvor_project",
    "mount_rotation",
    "settle_exposure",
    "next_exposure",
    "metered_signal",
    "sensor_image",
]

DISPLAY_GAMMA = 2.2  # the camera's output LUT (est.: sRGB-like), linear DN → 8-bit
_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # Rec. 709 luminance weights


@dataclass(frozen=True)
class CAHVOR:
    """A CAHVOR camera model (Gennery 2006): centre C, axis A, horizontal H and vertical V vectors,
    distortion axis O and radial terms R = (rho0, rho1, rho2); vectors in one frame, metres/pixels."""

    C: np.ndarray
    A: np.ndarray
    H: np.ndarray
    V: np.ndarray
    O: np.ndarray
    R: np.ndarray


def cahvor_project(model: CAHVOR, points_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (N, 2) and range along A [m] (N,) of points (N, 3), per Gennery (2006).

    zeta = (P−C)·O, lambda = P−C−zeta·O, tau = lambda·lambda/zeta², mu = rho0 + rho1·tau + rho2·tau²,
    P' = P + mu·lambda; x = (P'−C)·H / (P'−C)·A, y = (P'−C)·V / (P'−C)·A. Points behind the camera
    get NaN pixels.
    """
    p = np.atleast_2d(np.asarray(points_m, dtype=float)) - model.C
    zeta = p @ model.O
    lam = p - zeta[:, None] * model.O
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.einsum("ij,ij->i", lam, lam) / zeta**2
        mu = model.R[0] + model.R[1] * tau + model.R[2] * tau**2
        pp = p + mu[:, None] * lam
        denom = pp @ model.A
        xy = np.stack([pp @ model.H / denom, pp @ model.V / denom], axis=-1)
    depth = p @ model.A
    xy[depth <= 0] = np.nan
    return xy, depth


def mount_rotation(look, up) -> np.ndarray:
    """Rotation (3×3) taking camera-frame vectors (x right, y down, z along look) to the body frame."""
    z = np.asarray(look, dtype=float)
    z = z / np.linalg.norm(z)
    down = -np.asarray(up, dtype=float)
    y = down - (down @ z) * z
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=1)


@dataclass(frozen=True)
class Camera:
    """One camera of the mission: its name and configuration, with the derived intrinsics."""

    name: str
    config: CameraConfig

    def scaled(self, factor: int) -> "Camera":
        """This camera at 1/factor of its resolution (same field of view), e.g. 2 for previews."""
        if factor == 1:
            return self
        cfg = self.config.model_copy(
            update={"width_px": self.config.width_px // factor, "height_px": self.config.height_px // factor}
        )
        return Camera(self.name, cfg)

    @property
    def width_px(self) -> int:
        return self.config.width_px

    @property
    def height_px(self) -> int:
        return self.config.height_px

    @property
    def mono(self) -> bool:
        return self.config.colour == "mono"

    @cached_property
    def focal_px(self) -> tuple[float, float]:
        """Focal lengths (fx, fy) [px] of the pinhole part, from the fields of view."""
        c = self.config
        fx = 0.5 * c.width_px / np.tan(np.radians(c.hfov_deg) / 2.0)
        fy = 0.5 * c.height_px / np.tan(np.radians(c.vfov_deg) / 2.0)
        return float(fx), float(fy)

    @cached_property
    def principal_point_px(self) -> tuple[float, float]:
        return (self.config.width_px - 1) / 2.0, (self.config.height_px - 1) / 2.0

    @cached_property
    def K(self) -> np.ndarray:
        """The 3×3 intrinsic matrix (OpenCV convention)."""
        (fx, fy), (cx, cy) = self.focal_px, self.principal_point_px
        return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])

    @cached_property
    def R_body_cam(self) -> np.ndarray:
        """Rotation taking camera-frame vectors to the mount body's frame."""
        return mount_rotation(self.config.look, self.config.up)

    def cahvor(self, position_m: np.ndarray, R_world_cam: np.ndarray) -> CAHVOR:
        """The camera's CAHVOR model in the world frame for a given pose (centre, camera→world)."""
        (fx, fy), (cx, cy) = self.focal_px, self.principal_point_px
        x, y, a = R_world_cam[:, 0], R_world_cam[:, 1], R_world_cam[:, 2]
        return CAHVOR(
            C=np.asarray(position_m, dtype=float),
            A=a,
            H=fx * x + cx * a,
            V=fy * y + cy * a,
            O=a,
            R=np.array([0.0, self.config.k1, self.config.k2]),
        )

    def project(self, points_m, position_m, R_world_cam) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) and depth along the axis [m] of world points seen from a camera pose."""
        return cahvor_project(self.cahvor(position_m, R_world_cam), points_m)

    @cached_property
    def distortion_maps(self) -> tuple[np.ndarray, np.ndarray] | None:
        """cv2.remap maps from the distorted image to the pinhole render (None without distortion).

        For each output (distorted) pixel OpenCV inverts the radial polynomial iteratively
        (``cv2.undistortPoints``), giving the pinhole pixel to sample.
        """
        if self.config.k1 == 0.0 and self.config.k2 == 0.0:
            return None
        import cv2

        w, h = self.width_px, self.height_px
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        pts = np.stack([xs.ravel(), ys.ravel()], axis=-1)[:, None, :]
        dist = np.array([self.config.k1, self.config.k2, 0.0, 0.0], dtype=np.float64)
        # The default 5 iterations leave ~0.01 px at wide-angle corners; iterate to 1e-6.
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-9)
        und = cv2.undistortPoints(pts, self.K, dist, None, None, self.K, criteria).reshape(h, w, 2)
        return und[..., 0].astype(np.float32), und[..., 1].astype(np.float32)

    def distort(self, image: np.ndarray) -> np.ndarray:
        """Warp a pinhole render (H, W, C) into this camera's distorted image."""
        maps = self.distortion_maps
        if maps is None:
            return image
        import cv2

        return cv2.remap(image, maps[0], maps[1], interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class ExposureState:
    """The auto-exposure's state carried from frame to frame: exposure time [s] and analogue gain."""

    exposure_s: float
    gain: float

    @property
    def total(self) -> float:
        return self.exposure_s * self.gain


def _split(total: float, cfg: CameraConfig) -> ExposureState:
    # Real AE prefers exposure time (no noise penalty) and adds gain only past the longest exposure.
    exposure = float(np.clip(total, cfg.min_exposure_s, cfg.max_exposure_s))
    gain = float(np.clip(total / exposure, 1.0, cfg.max_gain))
    return ExposureState(exposure, gain)


def metered_signal(radiance: np.ndarray, state: ExposureState, cfg: CameraConfig) -> float:
    """Mean signal as a fraction of full scale that the sensor reports (clipped, as a real meter sees)."""
    lum = radiance @ _LUMA if radiance.ndim == 3 else radiance
    signal = lum * (cfg.sensitivity_e_per_s * state.total / cfg.full_well_e)
    return float(np.mean(np.minimum(signal, 1.0), dtype=np.float64))


def next_exposure(state: ExposureState, measured: float, cfg: CameraConfig, *, speed: float | None = None) -> ExposureState:
    """The exposure for the next frame: move ``ae_speed`` of the way (in log) toward the target level."""
    speed = cfg.ae_speed if speed is None else speed
    measured = max(measured, 1e-6)
    # A clipped meter under-reads bright scenes; cap the step up/down at 8x per frame as real AE loops do.
    ratio = float(np.clip(cfg.ae_target / measured, 1.0 / 8.0, 8.0))
    return _split(state.total * ratio**speed, cfg)


def settle_exposure(radiance: np.ndarray, cfg: CameraConfig, *, iterations: int = 8) -> ExposureState:
    """The exposure the auto-exposure converges to on a still scene (used for a first frame)."""
    state = _split(cfg.max_exposure_s / 4.0, cfg)
    for _ in range(iterations):
        state = next_exposure(state, metered_signal(radiance, state, cfg), cfg, speed=1.0)
    return state


def bayer_mosaic(rgb: np.ndarray) -> np.ndarray:
    """RGGB mosaic (H, W) of an (H, W, 3) image: each photosite keeps its filter's channel."""
    raw = np.empty(rgb.shape[:2], dtype=rgb.dtype)
    raw[0::2, 0::2] = rgb[0::2, 0::2, 0]
    raw[0::2, 1::2] = rgb[0::2, 1::2, 1]
    raw[1::2, 0::2] = rgb[1::2, 0::2, 1]
    raw[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return raw


# OpenCV names a Bayer pattern by the 2×2 block starting at the second row and column, so the
# RGGB layout above (R at (0, 0)) is its "BayerBG".
_CV_RGGB_TO_RGB = "COLOR_BayerBG2RGB"


def sensor_image(radiance: np.ndarray, state: ExposureState, cfg: CameraConfig, rng: np.random.Generator) -> np.ndarray:
    """uint8 image (H, W, 3), or (H, W) for mono, from linear radiance (H, W, 3) through the sensor."""
    import cv2

    full_scale = float(2**cfg.bit_depth - 1)
    scale = np.float32(cfg.sensitivity_e_per_s * state.exposure_s)
    if cfg.colour == "mono":
        photo = radiance @ _LUMA
    else:
        photo = bayer_mosaic(radiance)
    electrons = np.maximum(photo.astype(np.float32) * scale, 0.0)
    # Shot noise (Poisson, in its Gaussian limit: photosites hold hundreds to thousands of
    # electrons) and read noise are independent Gaussians, so one draw with the summed variance
    # gives both (EMVA 1288: σ² = signal + σ_read²) at half the cost of two; a saturated
    # photosite then reads full scale exactly instead of full well ± read noise.
    sigma = np.sqrt(electrons + np.float32(cfg.read_noise_e**2))
    noisy = electrons + sigma * rng.standard_normal(electrons.shape, dtype=np.float32)
    noisy = np.minimum(noisy, np.float32(cfg.full_well_e))
    dn = np.clip(noisy * np.float32(state.gain * full_scale / cfg.full_well_e), 0.0, full_scale)
    dn = np.rint(dn).astype(np.uint16)
    lut = _display_lut(cfg.bit_depth)
    if cfg.colour == "mono":
        return np.take(lut, dn)
    rgb16 = cv2.cvtColor(dn, getattr(cv2, _CV_RGGB_TO_RGB))
    return np.take(lut, rgb16)


@lru_cache(maxsize=8)
def _display_lut(bit_depth: int) -> np.ndarray:
    """The output LUT: linear DN of ``bit_depth`` bits → 8-bit display values (gamma DISPLAY_GAMMA)."""
    full_scale = float(2**bit_depth - 1)
    lut = np.rint(255.0 * (np.arange(full_scale + 1) / full_scale) ** (1.0 / DISPLAY_GAMMA)).astype(np.uint8)
    lut.flags.writeable = False
    return lut
