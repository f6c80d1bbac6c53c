"""The realism statistics on images whose answer is known by construction."""

import numpy as np
import pytest

from edlcam.cameras.image_stats import (
    block_variation,
    central_crop,
    fine_detail,
    frame_statistics,
    global_contrast,
    spectral_slope,
    stretch_like,
)


def _power_law_field(n: int, beta: float, seed: int = 3) -> np.ndarray:
    """A Gaussian random field whose power spectrum is k^-beta (built in the Fourier domain)."""
    rng = np.random.default_rng(seed)
    ky, kx = np.meshgrid(np.fft.fftfreq(n) * n, np.fft.fftfreq(n) * n, indexing="ij")
    k = np.hypot(kx, ky)
    k[0, 0] = 1.0
    amp = k ** (-beta / 2.0)
    amp[0, 0] = 0.0
    spec = amp * (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    return np.real(np.fft.ifft2(spec))


def test_uniform_image_has_no_contrast_and_no_detail():
    img = np.full((200, 200), 120.0)
    assert global_contrast(img) == 0.0
    assert block_variation(img) == 0.0
    assert fine_detail(img) == pytest.approx(0.0, abs=1e-7)


def test_two_level_blocks_give_their_contrast_at_both_scales():
    # 64-px squares of 100 and 200: std/mean = 50/150 at the pixel and at the 32-px block scale.
    y, x = np.indices((256, 256))
    img = np.where(((y // 64) + (x // 64)) % 2 == 0, 100.0, 200.0)
    assert global_contrast(img) == pytest.approx(1.0 / 3.0, abs=1e-12)
    assert block_variation(img) == pytest.approx(1.0 / 3.0, abs=1e-12)
    # The blur only touches the squares' edges: fine detail is small but not zero.
    assert 0.0 < fine_detail(img) < 0.1


@pytest.mark.parametrize("beta", [2.0, 3.0])
def test_spectral_slope_of_a_power_law_field(beta):
    field = 128.0 + 20.0 * _power_law_field(512, beta) / _power_law_field(512, beta).std()
    # Averaged over ~100 rings the fitted slope is within 0.15 of the field's exponent.
    assert spectral_slope(field) == pytest.approx(-beta, abs=0.15)


def test_steeper_spectrum_has_less_fine_detail():
    a = 128.0 + 20.0 * _power_law_field(512, 2.0) / _power_law_field(512, 2.0).std()
    b = 128.0 + 20.0 * _power_law_field(512, 3.5) / _power_law_field(512, 3.5).std()
    assert fine_detail(a) > 3.0 * fine_detail(b)


def test_central_crop_and_resampling():
    img = np.zeros((100, 100))
    img[15:85, 15:85] = 1.0
    assert central_crop(img).shape == (70, 70) and central_crop(img).min() == 1.0
    big = np.kron(np.where(np.indices((16, 16)).sum(0) % 2 == 0, 80.0, 160.0), np.ones((64, 64)))
    s = frame_statistics(big, size_px=512)
    assert s["mean_grey"] == pytest.approx(120.0, abs=1.0)
    assert set(s) == {"mean_grey", "global_contrast", "block_variation", "spectral_slope", "fine_detail"}
    with pytest.raises(ValueError, match="2-D grey image"):
        central_crop(np.zeros((4, 4, 3, 1)))


def test_stretch_clips_the_reference_shares_and_keeps_the_order():
    # A smooth ramp of 100 000 distinct levels 60–140 stretched like a reference with 1 % of its
    # pixels at 0 and 2 % at 255: ≈ 1 % and 2 % clip (± half a grey level of the ramp), the rest is a
    # linear, order-keeping map; std/mean rises as the offset goes.
    img = np.linspace(60.0, 140.0, 100_000).reshape(250, 400)
    ref = np.full((100, 100), 120, np.uint8)
    ref.flat[:100] = 0
    ref.flat[100:300] = 255
    out = stretch_like(img, ref)
    assert np.mean(out <= 2) == pytest.approx(0.01, abs=0.003)
    assert np.mean(out >= 253) == pytest.approx(0.02, abs=0.003)
    assert np.all(np.diff(out.ravel().astype(int)) >= 0)
    assert out.std() / out.mean() > 2.0 * img.std() / img.mean()
    # Black corners (a frame's hardware) hold the black point at 0 unless the levels are read on
    # the central crop only: then the ramp there is stretched as above.
    framed = np.pad(img, ((40, 40), (60, 60)))  # all outside the central 70 %
    whole, crop = stretch_like(framed, ref), stretch_like(framed, ref, measure=central_crop)
    assert global_contrast(central_crop(crop)) > 1.5 * global_contrast(central_crop(whole))
