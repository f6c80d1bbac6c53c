"""Tests of the EDLCAM microphone (edlcam.cameras.microphone) on a small synthetic run folder.

The synthetic run follows docs/run-folder.md and the NASA landing timeline (REFERENCE.md):
parachute at E+240, heat shield off at E+260, backshell off at E+350, sky crane at E+390,
touchdown at E+410, bridle cut half a second later, descent-stage impact 650 m away at E+431.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import signal

from edlcam.cameras import microphone as mic
from edlcam.errors import RenderError, RunFolderError
from edlcam.mission import load_mission

STEP_S = 0.05
GROUND_ALTITUDE_M = -2500.0  # Jezero floor, ≈ −2.5 km MOLA (REFERENCE.md)
TIMELINE = {
    "entry_interface": 0.0,
    "peak_heating": 80.0,
    "peak_deceleration": 90.0,
    "parachute_deploy": 240.0,
    "heatshield_separation": 260.0,
    "backshell_separation": 350.0,
    "powered_descent_start": 351.0,
    "skycrane_start": 390.0,
    "touchdown": 410.0,
}
MINOR = {
    "mortar_fire": 240.0,
    "heatshield_impact": 300.0,
    "bridle_cut": 410.5,
    "flyaway_start": 411.0,
    "descent_stage_impact": 431.0,
    "backshell_impact": 440.0,
}


def write_synthetic_run(run: Path, *, post_landing_s: float = 60.0) -> Path:
    """A run folder with trajectory.parquet, bodies.parquet and events.json of a plausible landing."""
    flight = run / "flight"
    flight.mkdir(parents=True, exist_ok=True)
    t_td = TIMELINE["touchdown"]
    t = np.round(np.arange(0.0, t_td + post_landing_s + STEP_S / 2, STEP_S), 6)
    # Rover origin height above the ground (ENU up, ground at up = 0).
    up = np.interp(t, [0, 80, 120, 240, 260, 350, 390, 396, 410], [127500, 62500, 32500, 13500, 9000, 2100, 21 - 7.6 - 1.2 + 7.6, 10.5, 0.0])
    up = np.where(t >= t_td, 0.0, up)
    q = 10_000.0 * np.exp(-0.5 * ((t - 85.0) / 22.0) ** 2) + np.interp(t, [200, 240, 260, 350, 351], [0, 600, 150, 60, 0])
    q = np.where(t >= TIMELINE["backshell_separation"], 0.0, q)
    throttle = np.interp(t, [351, 352, 380, 390, 410, 411, 431, 431.05], [0.0, 0.8, 0.5, 0.35, 0.3, 1.0, 1.0, 0.0])
    throttle = np.where((t >= 351) & (t < 431.05), throttle, 0.0)
    phase = np.select([t < 240, t < 350, t < 390, t < t_td], ["entry", "parachute", "powered", "skycrane"], "landed")
    vu = np.gradient(up, STEP_S)
    traj_rows = t <= t_td
    traj = {
        "t_s": t,
        "altitude_m": up + GROUND_ALTITUDE_M,
        "height_agl_m": up,
        "east_m": np.zeros_like(t),
        "north_m": np.zeros_like(t),
        "up_m": up,
        "ve_m_s": np.zeros_like(t),
        "vn_m_s": np.zeros_like(t),
        "vu_m_s": vu,
        "speed_m_s": np.abs(vu),
        "dynamic_pressure_pa": q,
        "throttle": throttle,
        "phase": phase,
        "qw": np.ones_like(t),
        "qx": np.zeros_like(t),
        "qy": np.zeros_like(t),
        "qz": np.zeros_like(t),
    }
    pq.write_table(pa.table({k: v[traj_rows] for k, v in traj.items()}), flight / "trajectory.parquet")

    zeros = np.zeros_like(t)
    shell_up = np.where(t < 350, up - 0.35, np.maximum(2100 - 0.35 - 40.0 * (t - 350), 0.0))
    shell_east = np.where(t < 350, 0.0, 12.0 * (t - 350))
    heat_up = np.where(t < 260, up - 0.35, np.maximum(9000 - 0.35 - 225.0 * (t - 260), 0.0))
    chute_aux = np.where(t < 240.8, 0.0, np.clip((t - 240.8) / 0.45, 0.0, 1.0) * (0.9 + 0.1 * np.sin(2 * np.pi * 1.5 * t)))
    stage_up = np.where(t < 390, up + 1.2, np.interp(t, [390, 396, 410, 411, 431], [up[t == 390][0] + 1.2, 10.5 + 8.8, 8.8, 9.5, 0.0]))
    stage_east = np.interp(t, [411, 431], [0.0, 650.0])
    bridle = np.interp(t, [390, 396], [0.0, 7.6])
    bodies = {
        "heatshield": (zeros, heat_up, zeros),
        "backshell": (shell_east, shell_up, zeros),
        "parachute": (shell_east, np.where(t >= 240, shell_up + 36.0, shell_up), chute_aux),
        "descent_stage": (stage_east, np.where(t >= 411, stage_up, stage_up), throttle),
        "rover": (zeros, up, bridle),
    }
    cols: dict[str, list] = {k: [] for k in ["t_s", "body", "east_m", "north_m", "up_m", "ve_m_s", "vn_m_s", "vu_m_s", "qw", "qx", "qy", "qz", "aux"]}
    for name, (east, upb, aux) in bodies.items():
        keep = t >= 240 if name == "parachute" else np.ones_like(t, bool)
        cols["t_s"].append(t[keep])
        cols["body"].append(np.full(keep.sum(), name))
        cols["east_m"].append(east[keep])
        cols["north_m"].append(zeros[keep])
        cols["up_m"].append(upb[keep])
        cols["ve_m_s"].append(np.gradient(east, STEP_S)[keep])
        cols["vn_m_s"].append(zeros[keep])
        cols["vu_m_s"].append(np.gradient(upb, STEP_S)[keep])
        cols["qw"].append(np.ones(keep.sum()))
        for k in ("qx", "qy", "qz"):
            cols[k].append(zeros[keep])
        cols["aux"].append(aux[keep])
    pq.write_table(pa.table({k: np.concatenate(v) for k, v in cols.items()}), flight / "bodies.parquet")

    def event(name, t_s):
        i = int(round(t_s / STEP_S))
        e = {"name": name, "t_s": t_s, "altitude_m": float(up[i] + GROUND_ALTITUDE_M), "height_agl_m": float(up[i]),
             "speed_m_s": float(abs(vu[i])), "mach": 0.0, "dynamic_pressure_pa": float(q[i]), "utc": "2021-02-18T20:36:38.000Z"}
        if name == "touchdown":
            e.update(vertical_speed_m_s=0.75, horizontal_speed_m_s=0.0, miss_distance_m=0.0)
        return e

    doc = {"events": [event(n, v) for n, v in TIMELINE.items()], "minor_events": [event(n, v) for n, v in sorted(MINOR.items(), key=lambda kv: kv[1])]}
    (flight / "events.json").write_text(json.dumps(doc, indent=1))
    return run


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return write_synthetic_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def record(run):
    return mic.load_flight(run)


def _onset(x: np.ndarray, fraction: float = 0.01) -> int:
    return int(np.flatnonzero(np.abs(x) > fraction * np.abs(x).max())[0])


def test_mortar_report_arrives_after_its_structural_delay(record):
    # Geometry of the synthetic stack (identity attitudes): the mortar sits 2.3 m up the backshell
    # axis, the rover origin 0.35 m above the aeroshell origin (docs/run-folder.md), the
    # microphone at (0.2, 1.2, 1.0) m on the rover: d = sqrt(0.2² + 1.2² + 0.95²) = 1.5435 m.
    distance_m = np.sqrt(0.2**2 + 1.2**2 + 0.95**2)
    fs = 48_000
    base = load_mission()
    onsets = {}
    for speed in (3000.0, 300.0):
        mission = base.model_copy(update={"microphone": base.microphone.model_copy(update={"structure_wave_speed_m_s": speed})})
        p = mic.render_pressure(record, mission, sample_rate_hz=fs, sources=["mortar"])
        onsets[speed] = _onset(p)
        expected = (MINOR["mortar_fire"] + distance_m / speed) * fs
        assert abs(onsets[speed] - expected) <= 3  # 3 samples = 0.06 ms: the onset of the ringing
    # The slower structure delays the same report by d (1/300 − 1/3000) = 4.63 ms, to one sample.
    assert abs((onsets[300.0] - onsets[3000.0]) - distance_m * (1 / 300 - 1 / 3000) * fs) <= 1


def test_descent_stage_impact_is_heard_after_the_air_delay(record):
    # The descent stage hits the ground 650 m east at E+431; sound at ≈ 240 m/s takes ≈ 2.7 s.
    fs = 16_000
    mission = load_mission()
    p = mic.render_pressure(record, mission, sample_rate_hz=fs, sources=["impacts"])
    distance = np.hypot(650.0 - 0.2, 1.2)  # the microphone is 1.2 m north, 0.2 m east of the rover origin
    # The impact is on the ground (up 0) and the microphone 1 m up: the slant adds < 1 mm.
    from edlcam.mars.acoustics import mars_sound_speed_m_s

    state = mic._build_scene(record, mission, fs)
    c_low = float(mars_sound_speed_m_s(1.0, state.pressure_pa[-1], state.temperature_k[-1]))
    # After 650 m of CO2 only the infrasonic part of the blast is left (the absorption at 50 Hz is
    # ≈ 0.1 dB/m): its envelope peaks at the low-frequency travel time, within a quarter period of
    # 20 Hz (12 ms) plus the Friedlander pulse's own 20 ms.
    envelope = np.abs(signal.hilbert(p[int(431 * fs) :]))
    arrival = np.argmax(envelope) / fs
    assert arrival == pytest.approx(distance / c_low, abs=0.03)


def test_render_audio_is_deterministic_full_length_and_float32(run):
    a = mic.render_audio(run, sample_rate_hz=8000)
    b = mic.render_audio(run, sample_rate_hz=8000)
    assert a.samples.dtype == np.float32 and a.sample_rate_hz == 8000 and a.t0_s == 0.0
    assert a.samples.size == int(round((TIMELINE["touchdown"] + 60.0) * 8000))
    assert np.array_equal(a.samples, b.samples)
    assert np.all(np.isfinite(a.samples)) and np.abs(a.samples).max() <= 1.0
    other = mic.render_audio(run, sample_rate_hz=8000, mission=load_mission(seed=7))
    assert not np.array_equal(a.samples, other.samples)


def _level_db(x, fs, t0, t1):
    seg = x[int(t0 * fs) : int(t1 * fs)].astype(float)
    return 10 * np.log10(np.mean(seg**2) + 1e-30)


def _band_peak_rise_db(x, fs, t, sos):
    """Peak in the 0.3 s after ``t`` over the peak in the 0.5 s before, in one band [dB]."""
    seg = signal.sosfiltfilt(sos, x[int((t - 0.6) * fs) : int((t + 0.3) * fs)].astype(float))
    return 20 * np.log10(np.abs(seg[int(0.6 * fs) :]).max() / np.abs(seg[: int(0.55 * fs)]).max())


def test_events_in_the_open_stand_out_of_the_recording(run):
    fs = 16_000
    x = mic.render_audio(run, sample_rate_hz=fs).samples
    broadband = signal.butter(4, [300, 3000], "bandpass", fs=fs, output="sos")
    high = signal.butter(4, 5000, "highpass", fs=fs, output="sos")
    assert _band_peak_rise_db(x, fs, MINOR["mortar_fire"], broadband) > 10.0  # over the buffeting
    # Pyro shocks ring the structure up to kHz, where the canopy flutter is weak.
    assert _band_peak_rise_db(x, fs, TIMELINE["heatshield_separation"], high) > 10.0
    assert _band_peak_rise_db(x, fs, TIMELINE["backshell_separation"], high) > 10.0
    # The engines lighting: powered descent is far louder than the parachute ride before it.
    assert _level_db(x, fs, 352, 360) > _level_db(x, fs, 300, 349) + 20
    # Peak dynamic pressure is heard through the structure; at entry interface (ρ ≈ 1e-8 kg/m³)
    # the gas around the microphone carries almost nothing.
    assert _level_db(x, fs, 80, 90) > _level_db(x, fs, 1, 5) + 20
    # Flyaway: the engines at full throttle recede to 650 m; what is left 15 s later is > 30 dB down.
    assert _level_db(x, fs, 426, 428) < _level_db(x, fs, 411, 412) - 30


def test_touchdown_and_bridle_cut_sound_at_their_times_under_the_engines(record):
    # Both are masked by the sky-crane engines 7.6 m above (≈ 7 Pa rms vs ≈ 0.4 Pa), so render them
    # alone: each arrives when it happens, plus its short structural delay (< 1 ms).
    fs = 16_000
    mission = load_mission()
    touchdown = mic.render_pressure(record, mission, sample_rate_hz=fs, sources=["touchdown"])
    assert _onset(touchdown) / fs == pytest.approx(TIMELINE["touchdown"], abs=2e-3)
    pyro = mic.render_pressure(record, mission, sample_rate_hz=fs, sources=["pyro"])
    late = pyro[int(400 * fs) :]
    assert _onset(late) / fs + 400 == pytest.approx(MINOR["bridle_cut"], abs=2e-3)


def test_winch_whine_follows_the_bridle_payout_speed(record):
    # 7.6 m of bridle in 6 s is 1.267 m/s; 60 teeth on a 0.1 m drum sing at 60·v/(2π·0.1) = 121 Hz.
    fs = 8000
    mission = load_mission()
    p = mic.render_pressure(record, mission, sample_rate_hz=fs, sources=["winch"])
    seg = p[int(391.5 * fs) : int(394.5 * fs)]
    f, psd = signal.welch(seg, fs=fs, nperseg=fs * 2)
    expected_hz = 60 * (7.6 / 6.0) / (2 * np.pi * 0.1)
    # Resolution 0.5 Hz; the drum-to-microphone distance grows at 1.27 m/s, a 0.5 % Doppler drop.
    assert f[np.argmax(psd)] == pytest.approx(expected_hz, rel=0.01)


def test_missing_flight_output_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(RunFolderError) as err:
        mic.render_audio(tmp_path)
    assert str(err.value) == f"{tmp_path / 'flight' / 'trajectory.parquet'}: missing; run `edlcam simulate --out {tmp_path}` to make it"


def test_unreasonable_sample_rate_is_refused(run):
    with pytest.raises(RenderError) as err:
        mic.render_audio(run, sample_rate_hz=1000)
    assert str(err.value) == "sample rate 1000 Hz is outside 8000–192000 Hz; use 48000 (EDLCAM records 48 kHz)"


def test_a_body_point_turns_with_the_body_a_quarter_turn_about_up():
    from edlcam.runfolder import BodyTrack

    turn = np.array([np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)])  # +90° about z
    track = BodyTrack("rover", [0.0, 1.0], [[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]], [[1, 0, 0, 0], turn], [0, 0])
    assert np.allclose(track.point(1.0, [1.0, 0.0, 0.0]), [0.0, 1.0, 0.0], atol=1e-12)
    half = np.array([np.cos(np.pi / 8), 0.0, 0.0, np.sin(np.pi / 8)])  # slerp: half way is +45°
    assert np.allclose(track.attitude(0.5), half, atol=1e-12)


def test_listen_writes_the_flac_and_a_spectrogram(run, tmp_path):
    import soundfile

    from edlcam.cli import main

    out = tmp_path / "landing.flac"
    assert main(["listen", str(run), "-o", str(out), "--sample-rate", "8000"]) == 0
    data, fs = soundfile.read(out, dtype="float64")
    assert fs == 8000 and soundfile.info(out).subtype == "PCM_24"
    expected = mic.render_audio(run, sample_rate_hz=8000).samples.astype(np.float64)
    assert data.size == expected.size
    assert np.max(np.abs(data - expected)) <= 2.0**-23  # 24-bit quantisation, nothing else
    png = out.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000


def test_listen_refuses_an_unknown_audio_format(run, tmp_path, capsys):
    from edlcam.cli import main

    assert main(["listen", str(run), "-o", str(tmp_path / "x.mp3")]) == 1
    assert f"-o {tmp_path / 'x.mp3'}: unknown audio format '.mp3'; name the file .flac (or .wav)" in capsys.readouterr().err.replace("\n", "")


def test_listen_refuses_a_missing_run_folder(tmp_path, capsys):
    from edlcam.cli import main

    missing = tmp_path / "nope"
    assert main(["listen", str(missing), "-o", str(tmp_path / "x.flac")]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert f"{missing}: no such run folder; give the folder written by `edlcam simulate --out RUN`" in err
