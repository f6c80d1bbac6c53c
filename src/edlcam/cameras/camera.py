"""The camera model: geometry (CAHVOR), exposure with auto-exposure, sensor noise, Bayer colour.

Geometry follows the CAHV model of Yakimovsky & Cunningham (1978), "A system for extracting
three-dimensional measurements from a stereo pair of TV cameras", CGIP 7:195, with the radial
distortion terms O and R of Gennery (2006), "Generalized camera calibration including fish-eye
lenses", IJCV 68:239 (CAHVOR). A pinhole with radial distortion ``x_d = x (1 + k1 r² + k2 r⁴)``
is the CAHVOR special case O = A, R = (0, k1, k2); we keep Gennery's symbols in
:func:`cahvor_project`. A fish-eye (the LCAM) is Gennery's CAHVORE with its linearity L
(``linearity`` in the mission file): the ray at angle θ from the axis lands at the image radius
f·χ, χ = tan(Lθ)/L (L > 0; L = 1 is the pinhole), θ (L = 0, equidistant) or sin(Lθ)/L (L < 0),
times the radial polynomial 1 + ρ0 + ρ1 χ² + ρ2 χ⁴ (:func:`cahvore_project`). Its entrance pupil
is taken as fixed (E = 0): the pupil of a centimetre lens moves by millimetres, 10⁻⁹ rad at the
ranges these cameras see. Pixel (0, 0) is the centre of the top-left pixel; x grows right, y down.

The sensor turns linear scene radiance (1.0 = a white Lambertian surface under the overhead Sun)
into electrons (``sensitivity_e_per_s``), adds shot noise (Poisson, here its Gaussian limit) and
read noise, clips at the full well, quantises to ``bit_depth`` bits, demosaics an RGGB Bayer
mosaic with OpenCV and applies the camera's output LUT (``display_gamma``: 2.2 for the video
cameras, 1 — linear 8-bit — for the LCAM). Auto-exposure meters the clipped signal a real
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
    "CAHVORE",
    "Camera",
    "cahvore_project",
    "chi_of_theta",
    "theta_of_chi",
    "ExposureState",
    "cahvor_project",
    "mount_rotation",
    "settle_exposure",
    "next_exposure",
    "metered_signal",
    "sensor_image",
]

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


@dataclass(frozen=True)
class CAHVORE(CAHVOR):
    """A CAHVORE fish-eye (Gennery 2006) with a fixed entrance pupil (E = 0) and linearity L."""

    L: float = 0.0


def chi_of_theta(theta_rad, L: float):
    """Gennery's (2006) χ(θ) for linearity L: tan(Lθ)/L, θ or sin(Lθ)/L."""
    theta = np.asarray(theta_rad, dtype=float)
    if L > 0.0:
        return np.tan(L * theta) / L
    if L < 0.0:
        return np.sin(L * theta) / L
    return theta


def theta_of_chi(chi, L: float):
    """The inverse of :func:`chi_of_theta`."""
    chi = np.asarray(chi, dtype=float)
    if L > 0.0:
        return np.arctan(L * chi) / L
    if L < 0.0:
        return np.arcsin(np.clip(L * chi, -1.0, 1.0)) / L
    return chi


def cahvore_project(model: CAHVORE, points_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (N, 2) and range along A [m] (N,) of points (N, 3) through a CAHVORE fish-eye.

    zeta = (P−C)·O, lambda = P−C−zeta·O, theta = atan2(|lambda|, zeta), chi = chi(theta; L),
    rho = chi (1 + rho0 + rho1 chi² + rho2 chi⁴); the point is moved onto the ray at angle
    atan(rho) from O (P' = C + O + rho·lambda/|lambda|) and imaged by CAHV. Points more than
    the lens's reach from the axis (L θ ≥ 90° for L > 0) get NaN pixels.
    """
    p = np.atleast_2d(np.asarray(points_m, dtype=float)) - model.C
    zeta = p @ model.O
    lam = p - zeta[:, None] * model.O
    norm = np.linalg.norm(lam, axis=1)
    theta = np.arctan2(norm, zeta)
    chi = chi_of_theta(theta, model.L)
    rho0, rho1, rho2 = model.R
    rho = chi * (1.0 + rho0 + rho1 * chi**2 + rho2 * chi**4)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(norm[:, None] > 0.0, lam / norm[:, None], 0.0)
    pp = model.O[None, :] + rho[:, None] * unit
    denom = pp @ model.A
    xy = np.stack([pp @ model.H / denom, pp @ model.V / denom], axis=-1)
    if model.L > 0.0:
        xy[model.L * theta >= 0.5 * np.pi] = np.nan
    depth = p @ model.A
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
            update={"width_px": self.config.width_px // factor, "height_px": self.config.height_px // factor,
                    "optics_blur_px": self.config.optics_blur_px / factor}
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

    @property
    def fisheye(self) -> bool:
        """True for a CAHVORE fish-eye (a ``linearity`` given), False for a CAHVOR pinhole."""
        return self.config.linearity is not None

    @cached_property
    def focal_px(self) -> tuple[float, float]:
        """Focal lengths (fx, fy) [px] at the image centre, from the fields of view.

        Pinhole: half the side / tan(half the field). Fish-eye: half the side / χ(half the field),
        so the image's edge midpoints see exactly half the field from the axis.
        """
        c = self.config
        if self.fisheye:
            fx = 0.5 * c.width_px / float(chi_of_theta(np.radians(c.hfov_deg) / 2.0, c.linearity))
            fy = 0.5 * c.height_px / float(chi_of_theta(np.radians(c.vfov_deg) / 2.0, c.linearity))
            return fx, fy
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
        """The camera's CAHVOR (or, for a fish-eye, CAHVORE) model in the world frame for a pose (centre, camera→world)."""
        (fx, fy), (cx, cy) = self.focal_px, self.principal_point_px
        x, y, a = R_world_cam[:, 0], R_world_cam[:, 1], R_world_cam[:, 2]
        parts = dict(C=np.asarray(position_m, dtype=float), A=a, H=fx * x + cx * a, V=fy * y + cy * a, O=a,
                     R=np.array([0.0, self.config.k1, self.config.k2]))
        if self.fisheye:
            return CAHVORE(**parts, L=float(self.config.linearity))
        return CAHVOR(**parts)

    def project(self, points_m, position_m, R_world_cam) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) and depth along the axis [m] of world points seen from a camera pose."""
        model = self.cahvor(position_m, R_world_cam)
        if isinstance(model, CAHVORE):
            return cahvore_project(model, points_m)
        return cahvor_project(model, points_m)

    def pinhole_coordinates(self, pixels) -> np.ndarray:
        """Undistorted pixel coordinates (N, 2): where each pixel's ray crosses the pinhole image of the same K.

        The inverse of the lens: for a fish-eye, rho from the pixel, chi from rho (Newton on the
        radial polynomial), theta from chi, and the ray's pinhole image f·tan(theta). Rays at 90°
        or more from the axis come out NaN.
        """
        px = np.atleast_2d(np.asarray(pixels, dtype=float))
        (fx, fy), (cx, cy) = self.focal_px, self.principal_point_px
        u, v = (px[:, 0] - cx) / fx, (px[:, 1] - cy) / fy
        if not self.fisheye:
            if self.config.k1 == 0.0 and self.config.k2 == 0.0:
                return px.copy()
            import cv2

            dist = np.array([self.config.k1, self.config.k2, 0.0, 0.0], dtype=np.float64)
            # The default 5 iterations leave ~0.01 px at wide-angle corners; iterate to 1e-6.
            criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-9)
            und = cv2.undistortPoints(px.astype(np.float32)[:, None, :], self.K, dist, None, None, self.K, criteria)
            return und.reshape(-1, 2).astype(float)
        rho = np.hypot(u, v)
        k1, k2 = self.config.k1, self.config.k2
        chi = rho.copy()
        for _ in range(20):  # rho = chi (1 + k1 chi² + k2 chi⁴): Newton from chi = rho
            f = chi * (1.0 + k1 * chi**2 + k2 * chi**4) - rho
            chi -= f / (1.0 + 3.0 * k1 * chi**2 + 5.0 * k2 * chi**4)
        theta = theta_of_chi(chi, float(self.config.linearity))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(rho > 0.0, np.tan(theta) / rho, 1.0)
        scale[theta >= 0.5 * np.pi - 1e-6] = np.nan
        return np.column_stack([cx + fx * u * scale, cy + fy * v * scale])

    def pixel_rays(self, pixels) -> np.ndarray:
        """Unit rays (N, 3) in the camera frame (x right, y down, z along the axis) of pixels (N, 2)."""
        und = self.pinhole_coordinates(pixels)
        (fx, fy), (cx, cy) = self.focal_px, self.principal_point_px
        rays = np.column_stack([(und[:, 0] - cx) / fx, (und[:, 1] - cy) / fy, np.ones(len(und))])
        return rays / np.linalg.norm(rays, axis=1, keepdims=True)

    @cached_property
    def distortion_maps(self) -> tuple[np.ndarray, np.ndarray] | None:
        """cv2.remap maps from the distorted image to the pinhole render (None without distortion).

        For each output (distorted) pixel, the pinhole pixel (of the same K) its ray crosses
        (:meth:`pinhole_coordinates`): the render is a pinhole canvas large enough to hold them.
        """
        if not self.fisheye and self.config.k1 == 0.0 and self.config.k2 == 0.0:
            return None
        w, h = self.width_px, self.height_px
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        und = self.pinhole_coordinates(np.column_stack([xs.ravel(), ys.ravel()])).reshape(h, w, 2)
        return und[..., 0].astype(np.float32), und[..., 1].astype(np.float32)

    @cached_property
    def canvas_scale(self) -> np.ndarray | None:
        """(H, W) pinhole-canvas pixels per image pixel at each pixel (the geometric mean of the
        map's two stretches), for sampling an oversampled canvas without aliasing; None without distortion."""
        maps = self.distortion_maps
        if maps is None:
            return None
        mx, my = (m.astype(np.float64) for m in maps)
        jac = np.abs(np.gradient(mx, axis=1) * np.gradient(my, axis=0) - np.gradient(mx, axis=0) * np.gradient(my, axis=1))
        return np.sqrt(jac).astype(np.float32)

    def distort(self, image: np.ndarray, *, offset_px: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
        """Warp a pinhole render (H, W, C) into this camera's image.

        ``offset_px``: where the camera's pixel (0, 0) of the pinhole image lies in ``image`` (a
        canvas padded to hold a wide lens's corners). Where the canvas is sampled more finely than
        the image (a fish-eye's edges), the sample comes from an image pyramid's level that
        matches (trilinear between two levels), as a GPU's mipmaps would.
        """
        maps = self.distortion_maps
        if maps is None:
            return image
        import cv2

        mx, my = maps[0] + np.float32(offset_px[0]), maps[1] + np.float32(offset_px[1])
        out = cv2.remap(image, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        scale = self.canvas_scale
        level = np.log2(np.maximum(scale, 1.0))
        top = int(np.ceil(float(level.max())))
        if top == 0:
            return out
        finer, k = image, 1
        previous = out
        for k in range(1, top + 1):
            finer = cv2.pyrDown(finer)
            f = np.float32(0.5**k)
            coarser = cv2.remap(finer, (mx + 0.5) * f - 0.5, (my + 0.5) * f - 0.5, interpolation=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
            weight = np.clip(level - (k - 1), 0.0, 1.0)
            if out.ndim == 3:
                weight = weight[..., None]
            out = previous * (1.0 - weight) + coarser * weight if k == 1 else out + (coarser - previous) * weight
            previous = coarser
        return out.astype(image.dtype, copy=False)


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


def sensor_image(radiance: np.ndarray, state: ExposureState, cfg: CameraConfig, rng: np.random.Generator, *,
                 mosaic: bool = False) -> np.ndarray:
    """uint8 image (H, W, 3), or (H, W) for mono, from linear radiance (H, W, 3) through the sensor.

    ``mosaic``: a colour camera's frame as it leaves the camera, the 8-bit RGGB mosaic (H, W) of its
    photosites, not demosaicked (what the onboard store records: ``[onboard] frame_encoding = "bayer"``);
    the same noise and output LUT, so each photosite reads what the demosaicked image holds in its own
    colour there (the image's outermost rows and columns aside, which OpenCV's demosaic fills from a
    neighbour).
    """
    import cv2

    full_scale = float(2**cfg.bit_depth - 1)
    scale = np.float32(cfg.sensitivity_e_per_s * state.exposure_s)
    if cfg.optics_blur_px > 0.0:
        # The optics' spread of a point over the photosites, before they sample it (config: optics_blur_px).
        radiance = cv2.GaussianBlur(radiance, (0, 0), cfg.optics_blur_px, borderType=cv2.BORDER_REFLECT)
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
    lut = _display_lut(cfg.bit_depth, cfg.display_gamma)
    if cfg.colour == "mono" or mosaic:
        return np.take(lut, dn)
    rgb16 = cv2.cvtColor(dn, getattr(cv2, _CV_RGGB_TO_RGB))
    return np.take(lut, rgb16)


@lru_cache(maxsize=8)
def _display_lut(bit_depth: int, display_gamma: float) -> np.ndarray:
    """The output LUT: linear DN of ``bit_depth`` bits → 8-bit values, 255 (DN / full scale)^(1/γ)."""
    full_scale = float(2**bit_depth - 1)
    lut = np.rint(255.0 * (np.arange(full_scale + 1) / full_scale) ** (1.0 / display_gamma)).astype(np.uint8)
    lut.flags.writeable = False
    return lut
