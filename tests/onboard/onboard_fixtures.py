"""Fixtures of the onboard tests: a compressed EDL timeline, small cameras, synthetic sources."""

from __future__ import annotations

import json
import math

import numpy as np

from edlcam.cameras.frames import Frame  # the real types, so the fakes honour their interface
from edlcam.cameras.microphone import Audio

from edlcam.mission import load_mission

# A compressed timeline (seconds since EI) so a whole film runs in a few seconds of test time.
EVENTS = {
    "entry_interface": 0.0, "peak_heating": 2.0, "peak_deceleration": 3.0, "parachute_deploy": 10.0,
    "heatshield_separation": 12.0, "backshell_separation": 16.0, "powered_descent_start": 17.0,
    "skycrane_start": 19.0, "touchdown": 21.0,
}
MINOR = {"mortar_fire": 10.0, "radar_lock": 13.0, "bridle_cut": 21.5, "flyaway_start": 22.0}


AUDIO_RATE_HZ = 8000  # the microphone's [microphone] sample_rate_hz in these missions


def small_mission(fps: float = 10.0, width: int = 64, height: int = 48, **onboard):
    """The default mission with small, slow cameras, an 8 kHz microphone (and any [onboard] overrides)."""
    m = load_mission()
    views = {name: v.model_copy(update={"width_px": width, "height_px": height, "fps": min(v.fps, fps)})
             for name, v in m.cameras.views.items()}
    cams = m.cameras.model_copy(update={"views": views})
    ob = m.onboard.model_copy(update=onboard)
    mic = m.microphone.model_copy(update={"sample_rate_hz": AUDIO_RATE_HZ})
    return m.model_copy(update={"cameras": cams, "onboard": ob, "microphone": mic})


def write_events(run_dir, events=EVENTS, minor=MINOR) -> None:
    (run_dir / "flight").mkdir(parents=True, exist_ok=True)
    doc = {"events": [{"name": k, "t_s": v} for k, v in events.items()],
           "minor_events": [{"name": k, "t_s": v} for k, v in minor.items()]}
    (run_dir / "flight" / "events.json").write_text(json.dumps(doc))


def synthetic_image(camera: str, index: int, height: int, width: int, mono: bool) -> np.ndarray:
    """A deterministic, compressible picture that differs per camera and frame."""
    y, x = np.mgrid[0:height, 0:width]
    seed = sum(map(ord, camera))
    r = (x * 4 + index * 3 + seed) % 256
    g = (y * 5 + index) % 256
    b = ((x + y) * 2 + seed * 7) % 256
    img = np.stack([r, g, b], axis=-1).astype(np.uint8)
    return img[:, :, 1] if mono else img


class SyntheticCameras:
    """Frame source with the cameras stage's signature; records every call."""

    def __init__(self, mission):
        self.views = mission.cameras.views
        self.calls: list[tuple] = []

    def __call__(self, run_dir, camera, *, quality, t_start_s=None, t_end_s=None, rate=None):
        self.calls.append((camera, quality, t_start_s, t_end_s))
        v = self.views[camera]
        fps = rate.rate_hz if rate is not None else v.fps / (v.preview_rate_divisor if quality == "preview" else 1)
        n = int(math.floor((t_end_s - t_start_s) * fps + 1e-9)) + 1
        for k in range(n):
            yield Frame(camera, k, t_start_s + k / fps,
                        synthetic_image(camera, k, v.height_px, v.width_px, v.colour == "mono"))


def synthetic_audio(run_dir, *, sample_rate_hz=AUDIO_RATE_HZ, mission=None) -> Audio:
    rate = float(sample_rate_hz)
    t = np.arange(int(90 * rate)) / rate
    return Audio((0.25 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32), rate, 0.0)


