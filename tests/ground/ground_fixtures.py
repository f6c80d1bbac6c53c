"""A short seeded run for the ground tests: a compressed made-up flight (schema of
docs/run-folder.md, not physics), small synthetic cameras and microphone filmed by the real
onboard stage, relayed home by the real link stage.

The pictures carry a "flash": every camera's frames exposed at or after FLASH_T_S are bright,
and the microphone has a click at FLASH_T_S, so the ground's time line can be checked end to
end. Cameras run at different rates and phases (PUCs 15 fps from E+9.0 s, RDC 10 fps from
E+11.0 s), so agreement is not an accident of aligned frame times.

Built once per test session (``synthetic_run()``), in a temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import functools
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from edlcam.cameras.frames import Frame  # the real types, so the fakes honour their interface
from edlcam.cameras.microphone import Audio

ENTRY_UTC = "2021-02-18T20:36:50Z"  # the default mission's EI SCET (Abilleira et al. 2021, REFERENCE.md)
# A compressed timeline (E+ s) so the whole pipeline runs in seconds.
EVENTS = {
    "entry_interface": 0.0, "peak_heating": 2.0, "peak_deceleration": 3.0, "parachute_deploy": 10.0,
    "heatshield_separation": 12.0, "backshell_separation": 16.0, "powered_descent_start": 17.0,
    "skycrane_start": 19.0, "touchdown": 21.0,
}
MINOR = {"mortar_fire": 10.0, "radar_lock": 13.0, "bridle_cut": 21.5, "flyaway_start": 22.0}
FLASH_T_S = 12.03  # the event every camera sees and the microphone hears (between frame times)
CAMERA_FPS = {"puc_a": 15.0, "puc_b": 15.0, "puc_c": 15.0, "rdc": 10.0, "lcam": 1.0, "ddc": 10.0, "ruc": 10.0}
WIDTH, HEIGHT = 64, 48
AUDIO_RATE_HZ = 8000




def _utc(t_s: float) -> str:
    from edlcam.link.clock import utc_iso, utc_to_unix_s

    return utc_iso(utc_to_unix_s(ENTRY_UTC) + t_s)


def small_mission():
    """The default mission with small cameras at the rates above, RDC starting at E+11 s."""
    from edlcam.mission import load_mission

    m = load_mission()
    views = {}
    for name, v in m.cameras.views.items():
        update = {"width_px": WIDTH, "height_px": HEIGHT, "fps": CAMERA_FPS[name], "preview_rate_divisor": 1,
                  "max_exposure_s": min(v.max_exposure_s, 0.5 / CAMERA_FPS[name])}
        views[name] = v.model_copy(update=update)
    # every window whole: the ground's tests need the RDC's segments to the end of its 21 s
    cams = m.cameras.model_copy(update={"views": views, "preview_to_film": False})
    mic = m.microphone.model_copy(update={"sample_rate_hz": AUDIO_RATE_HZ})
    return m.model_copy(update={"cameras": cams, "microphone": mic})


def write_flight(run: Path, step_s: float = 0.1) -> None:
    """flight/trajectory.parquet and flight/events.json of a made-up 21 s descent."""
    t = np.round(np.arange(0.0, EVENTS["touchdown"] + 1e-9, step_s), 6)
    height = 12_000.0 * (1 - t / EVENTS["touchdown"]) ** 2
    speed = np.interp(t, [0, 3, 10, 12, 16, 19, 21], [5400, 3000, 420, 160, 89, 0.75, 0.75])
    phase = np.where(t < 10, "entry", np.where(t < 17, "parachute", np.where(t < 19, "powered", "skycrane")))
    phase[-1] = "landed"
    cols = {"t_s": t, "height_agl_m": height, "altitude_m": height - 2570.0, "speed_m_s": speed,
            "vu_m_s": -np.gradient(height, t), "mach": speed / 230.0, "phase": phase}
    (run / "flight").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), run / "flight" / "trajectory.parquet")
    events = []
    for name, ts in EVENTS.items():
        i = int(round(ts / step_s))
        ev = {"name": name, "t_s": ts, "altitude_m": float(cols["altitude_m"][i]),
              "height_agl_m": float(height[i]), "speed_m_s": float(speed[i]), "mach": float(speed[i] / 230.0),
              "dynamic_pressure_pa": 100.0, "utc": _utc(ts)}
        if name == "touchdown":
            ev.update(vertical_speed_m_s=0.75, horizontal_speed_m_s=0.0, miss_distance_m=3.0)
        events.append(ev)
    minor = [{"name": k, "t_s": v, "utc": _utc(v)} for k, v in MINOR.items()]
    (run / "flight" / "events.json").write_text(json.dumps({"events": events, "minor_events": minor}))


def synthetic_image(camera: str, index: int, t_s: float, mono: bool) -> np.ndarray:
    """A smooth per-camera pattern, dark before the flash and bright from it on."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    seed = sum(map(ord, camera))
    base = 40 if t_s < FLASH_T_S else 200
    img = np.stack([base + (x + seed) % 16, base + (y + index) % 16, np.full_like(x, base)], axis=-1)
    img = img.astype(np.uint8)
    return img[:, :, 1] if mono else img


class SyntheticCameras:
    """Frame source with the cameras stage's signature (``edlcam.cameras.frames``)."""

    def __init__(self, mission):
        self.views = mission.cameras.views

    def __call__(self, run_dir, camera, *, quality, t_start_s=None, t_end_s=None, rate=None):
        fps = rate.rate_hz if rate is not None else self.views[camera].fps
        mono = self.views[camera].colour == "mono"
        n = int(math.floor((t_end_s - t_start_s) * fps + 1e-9)) + 1
        for k in range(n):
            t = t_start_s + k / fps
            yield Frame(camera, k, t, synthetic_image(camera, k, t, mono))


def synthetic_audio(run_dir, *, sample_rate_hz=AUDIO_RATE_HZ, mission=None) -> Audio:
    """Low hiss with a click (a 5 ms burst) at the flash."""
    rng = np.random.default_rng(7)
    n = int(40 * sample_rate_hz)
    samples = (1e-4 * rng.standard_normal(n)).astype(np.float32)
    i = int(round(FLASH_T_S * sample_rate_hz))
    samples[i: i + 40] += 0.5
    return Audio(samples, float(sample_rate_hz), 0.0)


def build_run(run: Path, *, days: float = 1.0) -> Path:
    """Flight, mission, film and relay of the short run into ``run``."""
    from edlcam.link.relay import run_relay
    from edlcam.mission import write_mission
    from edlcam.onboard.film import film
    from edlcam.staging import sha256_file, write_provenance

    run.mkdir(parents=True, exist_ok=True)
    mission = small_mission()
    write_mission(mission, run / "mission.toml")
    write_flight(run)
    # what `edlcam simulate` records of its flight, so that the later stages record what they were made from
    flight = run / "flight"
    write_provenance(flight, stage="simulate", inputs={"mission.toml": sha256_file(run / "mission.toml")},
                     files={n: flight / n for n in ("trajectory.parquet", "events.json")})
    film(run, quality="preview", mission=mission, frame_source=SyntheticCameras(mission),
         audio_source=synthetic_audio)
    run_relay(run, mission=mission, days=days)
    return run


@functools.lru_cache(maxsize=1)
def synthetic_run() -> Path:
    """The short run, relayed for one day (everything comes home), built once per session."""
    root = Path(tempfile.mkdtemp(prefix="edlcam-ground-"))
    atexit.register(shutil.rmtree, root, True)
    return build_run(root / "run")


def copy_run(dest: Path) -> Path:
    """A private copy of the short run (for tests that change it)."""
    return Path(shutil.copytree(synthetic_run(), dest / "run"))
