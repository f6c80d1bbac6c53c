"""The film's sound: the microphone product on the film's time line, made listenable.

The microphone track is physical pressure scaled to the recorder's full scale: entry and the
parachute ride sit at −60…−90 dBFS while the engines reach a few dB below full scale, so played
raw most of the landing is silent. For listening the film applies a slow compressor (level in
20 ms blocks, smoothed over 0.2 s; output level = target + (level − loud reference) / ratio),
which keeps the order of loud and quiet but shrinks a 60 dB range to 20 dB, then a soft limiter
(tanh) against the transients of the mortar and pyros. The gain applied is stated in the film's
overlay and the report. No library in the stack (scipy, soundfile, PyAV) offers a dynamic-range
compressor, hence these few lines by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Soundtrack", "compress_for_listening", "load_soundtrack", "level_dbfs"]

BLOCK_S = 0.02  # level-meter block [s]
SMOOTH_S = 0.2  # gain smoothing window [s]: slower than a syllable, faster than the events
TARGET_DBFS = -16.0  # where the loudest part of the film lands (streaming-loudness practice, est.)
RATIO = 3.0  # compression ratio below the loud reference
MAX_GAIN_DB = 80.0  # never lift the noise floor by more than this
LIMIT = 0.89  # soft-limiter ceiling (−1 dBFS)


@dataclass(frozen=True)
class Soundtrack:
    """Mono samples of the film's span, ready to encode, and the gain applied for listening."""

    samples: np.ndarray  # float32, mono, within ±1
    sample_rate_hz: int
    t0_s: float  # E+ of the first sample
    gain_db_min: float
    gain_db_max: float

    @property
    def note(self) -> str:
        """One line for the overlay and the report."""
        return f"sound: mic compressed {RATIO:g}:1 to listen, gain {self.gain_db_min:+.0f}…{self.gain_db_max:+.0f} dB"


def level_dbfs(samples: np.ndarray, sample_rate_hz: float, block_s: float = BLOCK_S) -> np.ndarray:
    """RMS level [dBFS] of consecutive blocks of ``block_s`` (the last partial block dropped)."""
    n = max(1, int(round(block_s * sample_rate_hz)))
    m = len(samples) // n
    if m == 0:
        return np.array([20 * np.log10(max(float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0, 1e-12))])
    blocks = samples[: m * n].reshape(m, n).astype(np.float64)
    return 10.0 * np.log10(np.maximum(np.mean(blocks * blocks, axis=1), 1e-24))


def compress_for_listening(samples: np.ndarray, sample_rate_hz: float) -> tuple[np.ndarray, float, float]:
    """(listenable samples, least gain [dB], most gain [dB]) of a mono float track."""
    from scipy.ndimage import uniform_filter1d

    x = np.asarray(samples, dtype=np.float64)
    if len(x) == 0:
        return x.astype(np.float32), 0.0, 0.0
    n = max(1, int(round(BLOCK_S * sample_rate_hz)))
    level = level_dbfs(x, sample_rate_hz)
    # Smooth in power, not in dB, so a short loud event is not averaged away by the silence around it.
    power = uniform_filter1d(10 ** (level / 10), size=max(1, int(round(SMOOTH_S / BLOCK_S))), mode="nearest")
    level = 10 * np.log10(np.maximum(power, 1e-24))
    loud_ref = float(np.percentile(level, 99.5))
    gain_db = np.minimum(TARGET_DBFS + (level - loud_ref) / RATIO - level, MAX_GAIN_DB)
    centres = (np.arange(len(gain_db)) + 0.5) * n
    gain = 10 ** (np.interp(np.arange(len(x)), centres, gain_db) / 20)
    y = LIMIT * np.tanh(x * gain / LIMIT)
    return y.astype(np.float32), float(gain_db.min()), float(gain_db.max())


def read_track(path: Path) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate [Hz]) of the FLAC at ``path``."""
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), int(rate)


def load_soundtrack(path: Path, *, t0_s: float, t_start_s: float, t_end_s: float,
                    track: tuple[np.ndarray, int] | None = None) -> Soundtrack:
    """The FLAC at ``path`` (first sample at E+ ``t0_s``) cut to [t_start_s, t_end_s], compressed.

    Silence (zeros) pads any part of the span the recording does not cover. ``track``: the
    file's :func:`read_track`, if already read.
    """
    mono, rate = track if track is not None else read_track(path)
    n = int(round((t_end_s - t_start_s) * rate))
    out = np.zeros(n, dtype=np.float32)
    i0 = int(round((t_start_s - t0_s) * rate))
    src = mono[max(i0, 0): max(i0, 0) + n - max(-i0, 0)]
    out[max(-i0, 0): max(-i0, 0) + len(src)] = src
    y, g0, g1 = compress_for_listening(out, rate)
    return Soundtrack(y, int(rate), t_start_s, g0, g1)
