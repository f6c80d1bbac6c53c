"""Image statistics that say how much a descent frame looks like the real ones (benchmarks/realism.py).

Each statistic is computed on the central part of a grey image (``central_crop``: the middle
70 % of each side, where the LCAM sees ground and neither lens edge nor hardware), on grey levels
as stored (8-bit display values), so a rendered frame and a real JPEG go through the same steps:

- ``global_contrast``: std / mean of the grey levels — haze, the opposition surge and the units
  together set it;
- ``block_variation``: std / mean of the means of 32 × 32-pixel blocks — the brightness of
  geologic units and the large-scale shading, with the fine texture averaged out;
- ``spectral_slope``: the slope of the radially averaged power spectrum in log–log between
  ``k_lo`` and ``k_hi`` cycles per crop (natural terrain images fall as k^-2 to k^-3; a slope
  steeper than the real one means too little mid-scale structure). The mean is removed and a
  Hann window applied first, so the crop's edges add no spurious k^-2 power;
- ``fine_detail``: std / mean of the image minus its Gaussian blur (σ = 2 px) — sharp craters,
  ripples and rocks; JPEG compression of the real frames lowers it a little.

``stretch_like`` puts a frame through a per-frame linear stretch that clips the same shares of
pixels at both ends as another frame (the published real frames evidently went through one:
benchmarks/realism.py), so the statistics above, which a black level changes, can be compared.

Pure functions on numpy arrays, no I/O. The radial spectrum is the usual one (e.g. van der
Schaaf & van Hateren 1996, "Modelling the power spectra of natural images", Vision Res. 36:2759);
OpenCV does the blurs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["central_crop", "global_contrast", "block_variation", "spectral_slope", "fine_detail", "frame_statistics",
           "stretch_like", "STATISTICS"]

CENTRAL_FRACTION = 0.70  # the part of each side the statistics look at
BLOCK_PX = 32  # block size for the unit-scale variation (at the frame size they are computed on)
FINE_SIGMA_PX = 2.0  # Gaussian blur removed for the fine-detail statistic
STATISTICS = ("global_contrast", "block_variation", "spectral_slope", "fine_detail")
CLIP_LO, CLIP_HI = 2, 253  # 8-bit grey levels counted as clipped at the black and the white end


def central_crop(image: np.ndarray, fraction: float = CENTRAL_FRACTION) -> np.ndarray:
    """The middle ``fraction`` of each side of a 2-D image, as float64."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"image statistics need a 2-D grey image, got shape {img.shape}")
    h, w = img.shape
    dh, dw = int(round(h * (1.0 - fraction) / 2.0)), int(round(w * (1.0 - fraction) / 2.0))
    return img[dh:h - dh, dw:w - dw]


def global_contrast(grey: np.ndarray) -> float:
    """std / mean of the grey levels (0 for a uniform image)."""
    g = np.asarray(grey, dtype=np.float64)
    m = float(g.mean())
    return float(g.std() / m) if m > 0 else 0.0


def block_variation(grey: np.ndarray, block_px: int = BLOCK_PX) -> float:
    """std / mean of the means of ``block_px`` square blocks (the partial blocks at the edges dropped)."""
    g = np.asarray(grey, dtype=np.float64)
    nb_y, nb_x = g.shape[0] // block_px, g.shape[1] // block_px
    if nb_y < 2 or nb_x < 2:
        raise ValueError(f"image {g.shape} holds fewer than 2×2 blocks of {block_px} px")
    blocks = g[: nb_y * block_px, : nb_x * block_px].reshape(nb_y, block_px, nb_x, block_px).mean(axis=(1, 3))
    return global_contrast(blocks)


def radial_power_spectrum(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, P(k)): the power spectrum averaged over rings of integer radius k [cycles per image side].

    The image is made square (its centre), mean-removed and Hann-windowed before the FFT.
    """
    g = np.asarray(grey, dtype=np.float64)
    n = min(g.shape)
    y0, x0 = (g.shape[0] - n) // 2, (g.shape[1] - n) // 2
    g = g[y0:y0 + n, x0:x0 + n]
    g = g - g.mean()
    win = np.hanning(n)
    power = np.abs(np.fft.fftshift(np.fft.fft2(g * np.outer(win, win)))) ** 2
    yy, xx = np.indices(power.shape)
    r = np.rint(np.hypot(yy - n // 2, xx - n // 2)).astype(np.int64)
    sums = np.bincount(r.ravel(), power.ravel())
    counts = np.bincount(r.ravel())
    k = np.arange(1, n // 2)
    return k.astype(np.float64), sums[1:n // 2] / np.maximum(counts[1:n // 2], 1)


def spectral_slope(grey: np.ndarray, k_lo: float = 4.0, k_hi_fraction: float = 0.25) -> float:
    """Least-squares slope of log P against log k for k in [k_lo, k_hi_fraction × the side]."""
    k, p = radial_power_spectrum(grey)
    n = 2 * (len(k) + 1)
    sel = (k >= k_lo) & (k <= k_hi_fraction * n) & (p > 0)
    if sel.sum() < 3:
        raise ValueError(f"image of side {n} px is too small for a spectral slope between k = {k_lo:g} and {k_hi_fraction:g}·n")
    slope, _ = np.polyfit(np.log(k[sel]), np.log(p[sel]), 1)
    return float(slope)


def fine_detail(grey: np.ndarray, sigma_px: float = FINE_SIGMA_PX) -> float:
    """std of (image − Gaussian blur of σ = ``sigma_px``) / mean of the image."""
    import cv2

    g = np.asarray(grey, dtype=np.float32)
    blurred = cv2.GaussianBlur(g, (0, 0), sigma_px, borderType=cv2.BORDER_REFLECT)
    m = float(g.mean(dtype=np.float64))
    return float(np.std(g - blurred, dtype=np.float64) / m) if m > 0 else 0.0


def frame_statistics(image: np.ndarray, *, size_px: int | None = None) -> dict[str, float]:
    """All of STATISTICS (and the mean grey level) for a grey frame's central crop.

    ``size_px``: the frame is first resampled (area average) to this square size, so frames of
    different resolutions are measured at the same pixel scale.
    """
    img = np.asarray(image)
    if img.ndim == 3:
        img = img.mean(axis=2)
    if size_px is not None and img.shape != (size_px, size_px):
        import cv2

        img = cv2.resize(img.astype(np.float32), (size_px, size_px), interpolation=cv2.INTER_AREA)
    crop = central_crop(img)
    return {
        "mean_grey": float(crop.mean()),
        "global_contrast": global_contrast(crop),
        "block_variation": block_variation(crop),
        "spectral_slope": spectral_slope(crop),
        "fine_detail": fine_detail(crop),
    }


def stretch_like(image: np.ndarray, reference: np.ndarray, *, measure=None) -> np.ndarray:
    """8-bit ``image`` stretched linearly so the same shares of its pixels clip at 0 and at 255 as
    ``reference``'s (grey levels ≤ CLIP_LO and ≥ CLIP_HI): a frame put through the per-frame
    stretch another evidently went through, so statistics that a black level changes compare.
    ``measure`` (e.g. :func:`central_crop`) picks the part of both where the shares and levels
    are read (the stretch applies to the whole image)."""
    ref, img = np.asarray(reference), np.asarray(image, dtype=np.float64)
    ref_m, img_m = (ref, img) if measure is None else (measure(ref), measure(img))
    lo_share, hi_share = float(np.mean(ref_m <= CLIP_LO)), float(np.mean(ref_m >= CLIP_HI))
    lo, hi = np.percentile(img_m, [100.0 * lo_share, 100.0 * (1.0 - hi_share)])
    if hi <= lo:
        return np.asarray(image, dtype=np.uint8).copy()
    # lo → CLIP_LO and hi → CLIP_HI: what lies beyond them clips as in the reference (± half a level).
    return np.clip(np.rint(CLIP_LO + (img - lo) * ((CLIP_HI - CLIP_LO) / (hi - lo))), 0, 255).astype(np.uint8)
