"""Map-relative localization: where a descent image was taken, from landmarks matched to the map.

The Lander Vision System's two-step matching (Johnson et al. 2017, "The Lander Vision System
for Mars 2020 entry descent and landing", AAS 17-038; Johnson et al. 2022, "Mars 2020 Lander
Vision System flight performance", AIAA 2022-1214; JPL Robotics' TRN page):

1. The image is projected onto the ground with the onboard attitude and altitude and resampled
   to the map's orientation and pixel scale (here through the camera model of
   :class:`edlcam.cameras.camera.Camera`, so any lens the cameras stage gives the LCAM is used
   as it is, and the map's elevation).
2. **Coarse**: a few large patches, each correlated over the whole search window of the prior
   against the 12 m/px map (OpenCV's ``matchTemplate``, normalised correlation, computed in the
   frequency domain for templates this large); the largest group of patches that agree on one
   shift gives the position (≈ 200 m after three images in the flight design).
3. **Fine**: up to ≈ 150 small (21 × 21 px) patches at well-textured points (Shi–Tomasi,
   ``cv2.goodFeaturesToTrack``), each searched by normalised cross-correlation only around its
   predicted place in the 6 m/px map, with a sub-pixel peak.
4. Outliers are rejected by RANSAC on a rigid map-plane motion (scikit-image's ``ransac`` with
   ``EuclideanTransform``: the shift is the position error, the rotation the heading error), and
   the nadir point follows from the inliers' least-squares motion, with its covariance.

The result is the camera's **nadir point** (east, north) in the map frame. Written by hand: the
warp, the patch bookkeeping and the covariance are this problem's, while the correlation and the
robust fit are the libraries'.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from edlcam.cameras.camera import Camera

__all__ = ["Fix", "Landmarks", "localize", "nadir_rotation", "camera_for_image", "warp_to_map"]

log = logging.getLogger(__name__)

_GRID_STEP_PX = 8  # the camera model is evaluated every 8 warped pixels and interpolated between
_MAX_WARP_PX = 1024  # largest warped image side (bounds the time per image)
_COARSE_TOL_PX = 2.0  # coarse shifts within this many pixels agree
_HEADING_STEP_DEG = 10.0  # rotation search without a heading
_MIN_FINE_INLIERS = 6  # fewer consistent landmarks than this is no fix


@dataclass(frozen=True)
class Landmarks:
    """Matched landmarks of one image: image pixel (x, y), map point (east, north), score, inlier."""

    image_px: np.ndarray  # (N, 2)
    map_en_m: np.ndarray  # (N, 2)
    score: np.ndarray  # (N,) normalised correlation peak
    inlier: np.ndarray  # (N,) bool

    @classmethod
    def empty(cls) -> "Landmarks":
        z = np.zeros((0, 2))
        return cls(z, z, np.zeros(0), np.zeros(0, bool))


@dataclass(frozen=True)
class Fix:
    """A position fix: the camera's nadir point on the map and its covariance, or ok=False."""

    ok: bool
    east_m: float
    north_m: float
    covariance_m2: np.ndarray  # (2, 2) east/north
    inliers: int
    stage: str  # "coarse", "fine"
    heading_deg: float  # the image's up direction found or used, clockwise from north
    landmarks: Landmarks = field(default_factory=Landmarks.empty)
    seconds: float = 0.0  # CPU time spent
    reason: str = ""

    @property
    def sigma_m(self) -> float:
        """Root of the larger eigenvalue of the covariance: the fix's worst-axis 1σ."""
        return float(math.sqrt(max(np.linalg.eigvalsh(self.covariance_m2).max(), 0.0))) if self.ok else float("nan")


def camera_for_image(camera: Camera, width_px: int, height_px: int) -> Camera:
    """The camera at another image size with the same field of view and lens (an image scaled whole)."""
    if (width_px, height_px) == (camera.width_px, camera.height_px):
        return camera
    return Camera(camera.name, camera.config.model_copy(update={"width_px": int(width_px), "height_px": int(height_px)}))


def nadir_rotation(heading_deg: float) -> np.ndarray:
    """Camera→ENU rotation of a camera looking straight down whose image top points to ``heading_deg``."""
    h = math.radians(heading_deg)
    up_dir = np.array([math.sin(h), math.cos(h), 0.0])
    y = -up_dir  # image down
    z = np.array([0.0, 0.0, -1.0])
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=1)


def warp_to_map(image, camera: Camera, position_m, R_world_cam, onboard_map, *, center_en, size_px: int, m_per_px: float):
    """The image resampled onto a north-up map grid around ``center_en`` (size_px², m_per_px).

    Returns (warped float32, valid bool, src_x, src_y): each warped pixel's source pixel in the
    image. Ground heights come from the map's elevation; the camera model from ``camera``.
    """
    import cv2

    half = (size_px - 1) / 2.0
    n_nodes = int(math.ceil((size_px - 1) / _GRID_STEP_PX)) + 1
    k = np.arange(n_nodes) * _GRID_STEP_PX
    east = center_en[0] + (k - half) * m_per_px
    north = center_en[1] - (k - half) * m_per_px
    ge, gn = np.meshgrid(east, north)
    gu = onboard_map.elevation_at(ge, gn)
    pts = np.column_stack([ge.ravel(), gn.ravel(), gu.ravel()])
    xy, depth = camera.project(pts, np.asarray(position_m, float), R_world_cam)
    sx = xy[:, 0].reshape(ge.shape).astype(np.float32)
    sy = xy[:, 1].reshape(ge.shape).astype(np.float32)
    bad = ~np.isfinite(sx) | ~np.isfinite(sy)
    sx[bad], sy[bad] = -1e4, -1e4
    # Dense source coordinates: bilinear between the nodes (the projection is smooth there).
    px = np.arange(size_px, dtype=np.float32) / _GRID_STEP_PX
    qx, qy = np.meshgrid(px, px)
    src_x = cv2.remap(sx, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    src_y = cv2.remap(sy, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    img = image.astype(np.float32)
    h, w = img.shape
    valid = (src_x >= 1) & (src_x <= w - 2) & (src_y >= 1) & (src_y <= h - 2)
    warped = cv2.remap(img, src_x, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return warped, valid, src_x, src_y


def _match_peak(result: np.ndarray) -> tuple[float, float, float]:
    """(dx, dy, score) of the best correlation, sub-pixel by a parabola through its neighbours."""
    _, score, _, (ix, iy) = __import__("cv2").minMaxLoc(result)
    dx = dy = 0.0
    h, w = result.shape
    if 0 < ix < w - 1:
        a, b, c = result[iy, ix - 1], result[iy, ix], result[iy, ix + 1]
        den = a - 2 * b + c
        dx = 0.5 * (a - c) / den if den < 0 else 0.0
    if 0 < iy < h - 1:
        a, b, c = result[iy - 1, ix], result[iy, ix], result[iy + 1, ix]
        den = a - 2 * b + c
        dy = 0.5 * (a - c) / den if den < 0 else 0.0
    return ix + float(np.clip(dx, -0.5, 0.5)), iy + float(np.clip(dy, -0.5, 0.5)), float(score)


def _on_edge(result: np.ndarray, x: float, y: float) -> bool:
    h, w = result.shape
    return x < 0.5 or y < 0.5 or x > w - 1.5 or y > h - 1.5


def _search(map_img: np.ndarray, patch: np.ndarray, col: float, row: float, radius_px: int):
    """Correlate ``patch`` (predicted centred at map pixel col, row) within ± radius_px: the
    matched centre's offset (dcol, drow) from the prediction, the peak score and whether the peak
    lies on the window's edge (the true place may lie outside it); None when the window leaves the map."""
    import cv2

    p = patch.shape[0]
    h = p // 2
    c0, r0 = int(round(col)) - h - radius_px, int(round(row)) - h - radius_px
    size = p + 2 * radius_px
    H, W = map_img.shape
    if c0 < 0 or r0 < 0 or c0 + size > W or r0 + size > H:
        # Clip the window to the map; the search then covers less than asked.
        c1, r1 = max(c0, 0), max(r0, 0)
        c2, r2 = min(c0 + size, W), min(r0 + size, H)
        if c2 - c1 < p + 2 or r2 - r1 < p + 2:
            return None
        window = map_img[r1:r2, c1:c2]
    else:
        c1, r1 = c0, r0
        window = map_img[r0 : r0 + size, c0 : c0 + size]
    res = cv2.matchTemplate(window, patch, cv2.TM_CCOEFF_NORMED)
    x, y, score = _match_peak(res)
    edge = _on_edge(res, x, y) and (c1 == c0 and r1 == r0)
    # The patch's centre matched at map pixel (c1 + x + h, r1 + y + h): its offset from the prediction.
    return c1 + x + h - col, r1 + y + h - row, score, edge


def _texture(img: np.ndarray) -> np.ndarray:
    import cv2

    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    return gx * gx + gy * gy


def _coarse(warped, valid, center_en, m_per_px, map_img, map_res, onboard_map, prior_sigma_m, cfg):
    """Shifts (east, north) of the few large patches that agree, or None."""
    import cv2

    n = warped.shape[0]
    p = min(cfg.coarse_patch_px, (n // 3) | 1)
    if p < 8:
        return None
    tex = _texture(warped)
    # Candidate patch centres on a grid; keep the cfg.coarse_patches most textured fully valid ones.
    step = max(p // 2, 1)
    cands = []
    for r in range(p // 2, n - p // 2, step):
        for c in range(p // 2, n - p // 2, step):
            sl = (slice(r - p // 2, r - p // 2 + p), slice(c - p // 2, c - p // 2 + p))
            if valid[sl].all():
                cands.append((float(tex[sl].mean()), r, c))
    if not cands:
        return None
    cands.sort(reverse=True)
    chosen = []
    for t, r, c in cands:  # spread them: no two closer than a patch
        if all(abs(r - r2) >= p or abs(c - c2) >= p for _, r2, c2 in chosen):
            chosen.append((t, r, c))
        if len(chosen) >= cfg.coarse_patches:
            break
    # The window covers the prior to cfg.coarse_search_sigmas σ per axis: at 3σ (the published
    # 3.2 km design bound) one draw in ≈ 200 fell outside and LVS never got a fix.
    radius = int(math.ceil(cfg.coarse_search_sigmas * prior_sigma_m / map_res)) + 2
    shifts, scores = [], []
    for _, r, c in chosen:
        patch = np.ascontiguousarray(warped[r - p // 2 : r - p // 2 + p, c - p // 2 : c - p // 2 + p])
        if patch.std() < 1e-3:
            continue
        e, nn = center_en[0] + (c - (n - 1) / 2.0) * m_per_px, center_en[1] - (r - (n - 1) / 2.0) * m_per_px
        col, row = onboard_map.en_to_px(e, nn, map_res, map_img.shape)
        got = _search(map_img, patch, float(col), float(row), radius)
        if got is None:
            continue
        dcol, drow, score, edge = got
        if edge or score < cfg.min_correlation * 0.6:
            continue
        shifts.append((dcol * map_res, -drow * map_res))
        scores.append(score)
    if not shifts:
        return None
    s = np.array(shifts)
    tol = _COARSE_TOL_PX * map_res
    best = max(range(len(s)), key=lambda i: (int(np.sum(np.hypot(*(s - s[i]).T) <= tol)), scores[i]))
    group = np.hypot(*(s - s[best]).T) <= tol
    if group.sum() < 2:  # one patch alone agrees with nothing: a chance peak (a real frame over 36 headings found one)
        return None
    return s[group].mean(axis=0), int(group.sum()), float(np.mean(np.array(scores)[group]))


def localize(image, camera: Camera, R_world_cam, *, height_m: float, prior_en, prior_sigma_m: float, onboard_map,
             cfg, stage: str = "auto", heading_search: bool = False) -> Fix:
    """Locate one descent image on the map: the camera's nadir point (east, north) and covariance.

    ``image``: 2-D uint8/float (any size: ``camera`` is scaled to it); ``R_world_cam``: the onboard
    attitude (camera → ENU); ``height_m``: above the ground below (altimetry); ``prior_en`` and
    ``prior_sigma_m``: the onboard position and its 1σ; ``cfg``: the [lvs] section.
    ``stage``: "coarse", "fine" or "auto" (coarse first while 3σ exceeds the fine search, then
    fine). ``heading_search``: the image's rotation about the vertical is unknown (``R_world_cam``
    then only fixes the tilt): it is found by coarse matching over headings.
    """
    t0 = time.process_time()
    img = np.asarray(image)
    if img.ndim != 2:
        raise ValueError(f"localize needs a 2-D grey image, got shape {img.shape}")
    cam = camera_for_image(camera, img.shape[1], img.shape[0])
    fx = cam.focal_px[0]
    e_est, n_est = float(prior_en[0]), float(prior_en[1])
    sigma = float(prior_sigma_m)
    gsd = height_m / fx  # ground metres per image pixel at nadir
    heading = math.degrees(math.atan2(-R_world_cam[0, 1], -R_world_cam[1, 1])) % 360.0
    # Match at the map's resolution, or at the image's own where it is coarser (in half steps
    # of the map's, so that a descent reuses a few reduced maps).
    base = onboard_map.appearance_m_per_px
    map_f = onboard_map.at_resolution(base * max(1.0, math.ceil(2.0 * gsd / base) / 2.0))
    fine_res = onboard_map.size_m / map_f.shape[1]
    coarse_res = max(cfg.coarse_m_per_px, fine_res)

    def pose(e, n, R):
        ground = float(onboard_map.elevation_at(e, n))
        return np.array([e, n, ground + height_m]), R

    def warp(e, n, R, res):
        # The central part of the footprint (±0.7 H: the lens's edge and the hardware at its
        # corners are left out), at most _MAX_WARP_PX wide.
        size = int(min(1.4 * height_m / res, _MAX_WARP_PX)) | 1
        pos, Rw = pose(e, n, R)
        w, valid, sx, sy = warp_to_map(img, cam, pos, Rw, onboard_map, center_en=(e, n), size_px=size, m_per_px=res)
        return w, valid, sx, sy, size

    stage_done = "coarse"
    n_coarse = 0
    do_coarse = stage == "coarse" or (stage == "auto" and 3.0 * sigma > 25.0 * fine_res) or heading_search
    if do_coarse:
        map_c = onboard_map.at_resolution(coarse_res)
        res_c = onboard_map.size_m / map_c.shape[1]
        headings = [heading]
        if heading_search:
            headings = list(np.arange(0.0, 360.0, _HEADING_STEP_DEG))
        best = None
        for hd in headings:
            R = R_world_cam if not heading_search else _with_heading(R_world_cam, hd)
            w, valid, *_ = warp(e_est, n_est, R, res_c)
            got = _coarse(w, valid, (e_est, n_est), res_c, map_c, res_c, onboard_map, sigma, cfg)
            if got is not None and (best is None or (got[1], got[2]) > (best[1][1], best[1][2])):
                best = (hd, got)
        if best is None:
            return Fix(False, e_est, n_est, np.eye(2) * sigma**2, 0, "coarse", heading, seconds=time.process_time() - t0,
                       reason="coarse matching found no agreeing patches")  # fmt: skip
        heading = best[0]
        if heading_search:
            R_world_cam = _with_heading(R_world_cam, heading)
        shift, n_coarse, _score = best[1]
        e_est, n_est = e_est + shift[0], n_est + shift[1]
        sigma = max(2.0 * res_c, 4.0 * fine_res)
        if stage == "coarse":
            cov = np.eye(2) * sigma**2
            return Fix(True, e_est, n_est, cov, n_coarse, "coarse", heading, seconds=time.process_time() - t0)
    # Fine matching around the (possibly updated) estimate.
    w, valid, sx, sy, size = warp(e_est, n_est, R_world_cam, fine_res)
    fix = _fine(w, valid, sx, sy, size, (e_est, n_est), fine_res, map_f, onboard_map, sigma, cfg)
    stage_done = "fine"
    if fix is None:
        if do_coarse and not heading_search:  # the coarse answer stands
            return Fix(True, e_est, n_est, np.eye(2) * sigma**2, n_coarse, "coarse", heading, seconds=time.process_time() - t0)
        if do_coarse:  # a search over headings tries 36 times as many coarse hypotheses: its answer needs the fine stage's
            return Fix(False, float(prior_en[0]), float(prior_en[1]), np.eye(2) * float(prior_sigma_m) ** 2, 0, "coarse",
                       heading, seconds=time.process_time() - t0,
                       reason="the heading search's coarse match was not confirmed by fine matching")  # fmt: skip
        return Fix(False, float(prior_en[0]), float(prior_en[1]), np.eye(2) * float(prior_sigma_m) ** 2, 0, "fine", heading,
                   seconds=time.process_time() - t0, reason="fine matching found too few consistent landmarks")  # fmt: skip
    (e_new, n_new), cov, lms = fix
    return Fix(True, e_new, n_new, cov, int(lms.inlier.sum()), stage_done, heading, lms, seconds=time.process_time() - t0)


def _with_heading(R_world_cam: np.ndarray, heading_deg: float) -> np.ndarray:
    """``R_world_cam`` turned about the vertical so that the image's top points to ``heading_deg``."""
    current = math.degrees(math.atan2(-R_world_cam[0, 1], -R_world_cam[1, 1]))
    a = math.radians(current - heading_deg)  # rotate world vectors by −Δheading about up (clockwise azimuth)
    c, s = math.cos(a), math.sin(a)
    Rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return Rz @ R_world_cam


def _fine(warped, valid, sx, sy, size, center_en, res, map_f, onboard_map, prior_sigma_m, cfg):
    """((east, north), covariance, Landmarks) from the fine landmarks, or None."""
    import cv2
    from skimage.measure import ransac
    from skimage.transform import EuclideanTransform

    res_m = res
    p = cfg.fine_patch_px | 1
    h = p // 2
    mask = cv2.erode(valid.astype(np.uint8), np.ones((p + 2, p + 2), np.uint8))
    corners = cv2.goodFeaturesToTrack(warped, maxCorners=cfg.fine_patches, qualityLevel=0.005, minDistance=max(h, 3),
                                      mask=mask, blockSize=5)  # fmt: skip
    if corners is None or len(corners) < 3:
        return None
    radius = int(min(max(math.ceil(3.0 * prior_sigma_m / res_m) + 1, 2), 40))
    src_en, dst_en, img_px, scores = [], [], [], []
    half = (size - 1) / 2.0
    for cx, cy in corners.reshape(-1, 2):
        c, r = int(round(cx)), int(round(cy))
        patch = np.ascontiguousarray(warped[r - h : r + h + 1, c - h : c + h + 1])
        if patch.shape != (p, p) or patch.std() < 1e-3:
            continue
        e = center_en[0] + (c - half) * res
        n = center_en[1] - (r - half) * res
        col, row = onboard_map.en_to_px(e, n, res_m, map_f.shape)
        got = _search(map_f, patch, float(col), float(row), radius)
        if got is None:
            continue
        dcol, drow, score, edge = got
        if edge or score < cfg.min_correlation:
            continue
        me, mn = onboard_map.px_to_en(float(col) + dcol, float(row) + drow, res_m, map_f.shape)
        src_en.append((e, n))
        dst_en.append((float(me), float(mn)))
        img_px.append((float(sx[r, c]), float(sy[r, c])))
        scores.append(score)
    if len(src_en) < _MIN_FINE_INLIERS:
        return None
    src, dst = np.array(src_en), np.array(dst_en)
    thresh = max(2.0 * res_m, 3.0 * cfg.match_sigma_px * res_m)
    model, inl = ransac((src, dst), EuclideanTransform, min_samples=2, residual_threshold=thresh, max_trials=200, rng=0)
    if model is None or inl is None or inl.sum() < max(_MIN_FINE_INLIERS, int(0.3 * len(src))):
        return None
    tf = EuclideanTransform.from_estimate(src[inl], dst[inl])
    nadir = np.array(center_en, float)
    new = tf(nadir[None, :])[0]
    # Covariance of the nadir point from the rigid least-squares fit: landmark noise σ² over n at
    # the centroid, plus the rotation's variance times the lever arm from the centroid to the
    # nadir; the map's own registration error is common to every landmark and adds whole.
    res_vec = tf(src[inl]) - dst[inl]
    n_in = int(inl.sum())
    sigma_l = cfg.match_sigma_px * res_m
    dof = max(2 * n_in - 3, 1)
    sigma_post = math.sqrt(float(np.sum(res_vec**2)) / dof)
    s2 = max(sigma_l, sigma_post) ** 2
    centroid = src[inl].mean(axis=0)
    spread = float(np.sum((src[inl] - centroid) ** 2))
    lever = nadir - centroid
    var_rot = s2 / max(spread, 1e-9)
    cov = np.eye(2) * (s2 / n_in) + var_rot * np.array([[lever[1] ** 2, -lever[0] * lever[1]], [-lever[0] * lever[1], lever[0] ** 2]])
    # Errors common to every landmark are not averaged away: the map's registration, and a
    # systematic half pixel of the matching scale (appearance differences, the warp's model).
    cov = cov + np.eye(2) * (cfg.map_tie_sigma_m**2 + (0.5 * res_m) ** 2)
    lms = Landmarks(np.array(img_px), dst, np.array(scores), np.asarray(inl, bool))
    return (float(new[0]), float(new[1])), cov, lms
