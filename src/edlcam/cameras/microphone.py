"""The EDLCAM microphone: what a microphone on the rover's side hears, synthesised from a flight run.

EDLCAM carried a microphone on the rover's port side (Maki et al. 2020, Space Sci. Rev. 216:137).
:func:`render_audio` reads ``RUN/flight/`` (docs/run-folder.md) and returns what that microphone
would record from entry interface (sample 0 is E+0) to ``post_landing_s`` after touchdown.

Every source is driven by the flight and sits on its body; every path is physical:

====================  ======================================  ==========================================
source                driven by                               path to the microphone
====================  ======================================  ==========================================
aero buffeting        dynamic pressure q (trajectory)         structure (rover inside the aeroshell)
flow noise, wind      rover airspeed; surface wind            at the microphone
parachute mortar      ``mortar_fire``                         structure, delayed by distance / wave speed
canopy snap, flutter  parachute inflated fraction (aux), q    suspension lines → backshell → structure
pyro separations      heat shield, backshell, bridle cut      structure
descent engines       descent-stage throttle (aux)            air: spreading, delay, Doppler, CO₂ absorption
sky-crane winch       bridle payout speed (rover aux)         air
touchdown             ``touchdown`` vertical speed            structure (wheels → rover body)
distant impacts       ``*_impact`` events                     air (seconds of delay, high notes absorbed)
====================  ======================================  ==========================================

Structure-borne sound is a panel velocity v near the microphone, which radiates p = ρc·v into the
gas around it (so at entry interface, where ρ ≈ 10⁻⁸ kg/m³, the microphone hears almost nothing).
The structure rings with seeded damped modes. Air paths use :mod:`edlcam.mars.acoustics`.
Free-field sources are given by their sound power W: p_rms² = W ρc / (4π r²).
Random parts come from numpy Generators seeded by the mission seed and the source's name,
so a mission and seed always give the same samples, and one source sounds the same rendered
alone or with the others.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal as sps

from edlcam import runfolder
from edlcam.config.microphone import MicrophoneConfig
from edlcam.errors import RenderError
from edlcam.runfolder import BodyTrack
from edlcam.mars import acoustics
from edlcam.mars.atmosphere import Atmosphere

__all__ = [
    "Audio",
    "BodyTrack",  # re-exported from edlcam.runfolder: the one pose interpolation
    "FlightRecord",
    "SOURCES",
    "load_flight",
    "render_audio",
    "render_pressure",
    "structure_impulse_response",
    "shaped_noise",
    "friedlander",
]

log = logging.getLogger(__name__)

SOURCES = ("aero", "mortar", "canopy", "pyro", "engines", "winch", "touchdown", "impacts", "wind", "self_noise")
STANDARD_GRAVITY_M_S2 = 9.80665  # for exhaust speed = Isp g0 (CGPM 1901)
_COARSE_DT_S = 0.01  # time step of the slowly varying quantities (envelopes, geometry)


@dataclass(frozen=True)
class Audio:
    """Mono audio: ``samples`` float32 in [-1, 1] (1 = the microphone's full scale)."""

    samples: np.ndarray
    sample_rate_hz: int
    t0_s: float

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate_hz

    def times_s(self) -> np.ndarray:
        """Time of each sample [s since entry interface]."""
        return self.t0_s + np.arange(self.samples.size) / self.sample_rate_hz


@dataclass(frozen=True)
class FlightRecord:
    """What the microphone needs from ``RUN/flight/``."""

    trajectory: dict[str, np.ndarray]
    bodies: dict[str, BodyTrack]
    events: dict[str, dict]

    def time_of(self, name: str) -> float | None:
        event = self.events.get(name)
        return None if event is None else float(event["t_s"])


def load_flight(run_dir: str | Path) -> FlightRecord:
    """The flight as the microphone needs it: trajectory, body tracks and events (:mod:`edlcam.runfolder`)."""
    run_dir = Path(run_dir)
    traj = runfolder.read_trajectory(run_dir, ["t_s", "altitude_m", "up_m", "dynamic_pressure_pa", "phase"])
    tracks = runfolder.read_bodies(run_dir)
    if "rover" not in tracks:
        raise runfolder.corrupt(run_dir, run_dir / runfolder.BODIES, "no 'rover' rows, and the microphone rides on the rover")
    events = runfolder.read_events(run_dir)
    events.require("touchdown", "the recording's length is measured from")
    by_name = {e.name: e.as_dict() for e in events.minor}
    by_name.update({e.name: e.as_dict() for e in events.major})
    return FlightRecord(trajectory=traj.as_dict(), bodies=tracks.tracks, events=by_name)


# --- signal building blocks --------------------------------------------------------------------


def structure_impulse_response(sample_rate_hz: float, *, mode_count: int, damping_ratio: float, rng: np.random.Generator):
    """Impulse response of a ringing structure: damped modes, log-uniform 60 Hz–8 kHz, unit energy.

    A modal sum h(t) = Σ aᵢ sin(2πfᵢt) exp(−2π fᵢ ζ t) is the textbook form of a lightly damped
    structure's response (e.g. Ewins, "Modal Testing", 2000); frequencies and amplitudes are seeded
    draws because the real structure's modes are not published.
    """
    f_hi = min(8000.0, 0.45 * sample_rate_hz)
    freqs = np.exp(rng.uniform(np.log(60.0), np.log(f_hi), mode_count))
    amps = rng.uniform(0.3, 1.0, mode_count) / np.sqrt(freqs / 60.0) ** 0.5
    length_s = min(0.6, 5.0 / (2.0 * np.pi * freqs.min() * damping_ratio))
    t = np.arange(int(length_s * sample_rate_hz)) / sample_rate_hz
    h = np.zeros_like(t)
    for f, a in zip(freqs, amps):
        h += a * np.sin(2.0 * np.pi * f * t) * np.exp(-2.0 * np.pi * f * damping_ratio * t)
    return h / np.sqrt(np.sum(h**2))


def shaped_noise(n: int, sample_rate_hz: float, psd: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator):
    """``n`` samples of Gaussian noise with power spectral density ∝ ``psd(f)``, unit variance.

    A linear-phase FIR (scipy.signal.firwin2) shapes white noise; the variance is normalised by the
    filter's energy, so it does not depend on the draw.
    """
    freq = np.linspace(0.0, sample_rate_hz / 2.0, 513)
    gain = np.sqrt(np.maximum(psd(np.maximum(freq, 1e-3)), 0.0))
    gain[0] = 0.0
    fir = sps.firwin2(1023, freq, gain / gain.max(), fs=sample_rate_hz)
    fir /= np.sqrt(np.sum(fir**2))
    white = rng.standard_normal(n + fir.size)
    return sps.oaconvolve(white, fir, mode="valid")[:n]


def friedlander(t_s, duration_s: float, *, decay: float = 1.5):
    """Friedlander blast wave p(t)/p_peak = (1 − t/T) e^(−b t/T) for t ≥ 0 (Friedlander 1946)."""
    t = np.asarray(t_s, dtype=float)
    x = t / duration_s
    return np.where(t >= 0.0, (1.0 - x) * np.exp(-decay * x), 0.0)


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _add(out: np.ndarray, start: int, x: np.ndarray) -> None:
    """Add ``x`` into ``out`` beginning at sample ``start`` (either may overhang)."""
    a, b = max(start, 0), min(start + x.size, out.size)
    if b > a:
        out[a:b] += x[a - start : b - start]


# --- the renderer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scene:
    """Everything the sources share: time grids, geometry, the air at the microphone."""

    fs: int
    n: int
    t_coarse: np.ndarray
    mic_enu: np.ndarray  # (m, 3) on the coarse grid
    pressure_pa: np.ndarray  # at the microphone, coarse grid
    temperature_k: np.ndarray
    impedance: np.ndarray  # ρc at the microphone [Pa s/m]
    density: np.ndarray
    record: FlightRecord
    cfg: MicrophoneConfig
    mission: object
    seed: int

    def coarse(self, values: np.ndarray, i0: int, i1: int) -> np.ndarray:
        """Coarse-grid ``values`` interpolated onto samples i0..i1."""
        return np.interp(np.arange(i0, i1) / self.fs, self.t_coarse, values)

    def at(self, values: np.ndarray, t_s: float) -> float:
        return float(np.interp(t_s, self.t_coarse, values))

    def mic(self, t_s) -> np.ndarray:
        return np.stack([np.interp(t_s, self.t_coarse, self.mic_enu[:, k]) for k in range(3)], axis=-1)

    def sample(self, t_s: float) -> int:
        return int(round(t_s * self.fs))

    def structure_ir(self, name: str) -> np.ndarray:
        return structure_impulse_response(
            self.fs,
            mode_count=self.cfg.structure_mode_count,
            damping_ratio=self.cfg.structure_damping_ratio,
            rng=_rng(self.seed, "structure:" + name),
        )


def _build_scene(record: FlightRecord, mission, fs: int) -> _Scene:
    cfg: MicrophoneConfig = mission.microphone
    t_end = record.time_of("touchdown") + mission.simulation.post_landing_s
    n = int(round(t_end * fs))
    t_c = np.arange(0.0, t_end + _COARSE_DT_S, _COARSE_DT_S)
    rover = record.bodies["rover"]
    mic = rover.point(t_c, cfg.position_rover_m)
    traj = record.trajectory
    offset = np.interp(t_c, traj["t_s"], np.asarray(traj["altitude_m"], float) - np.asarray(traj["up_m"], float))
    atmosphere = Atmosphere.from_mission(mission)
    state = atmosphere.state(mic[:, 2] + offset)
    c0 = acoustics.mars_sound_speed_m_s(1.0, state.pressure_pa, state.temperature_k)
    return _Scene(
        fs=fs,
        n=n,
        t_coarse=t_c,
        mic_enu=mic,
        pressure_pa=np.asarray(state.pressure_pa, float),
        temperature_k=np.asarray(state.temperature_k, float),
        impedance=np.asarray(state.density_kg_m3 * c0, float),
        density=np.asarray(state.density_kg_m3, float),
        record=record,
        cfg=cfg,
        mission=mission,
        seed=int(mission.mission.seed),
    )


def _structure_event(scene: _Scene, out, name: str, t_s: float | None, source_enu, excitation, panel_velocity_m_s: float, ir: str):
    """A transient carried by the structure: excitation ⊛ ringing, scaled to v_peak·ρc, delayed by d/c_s."""
    if t_s is None:
        log.info("no %s event in this run: its sound is left out", name)
        return
    rung = sps.oaconvolve(excitation, scene.structure_ir(ir))
    rung *= panel_velocity_m_s * scene.at(scene.impedance, t_s) / np.max(np.abs(rung))
    distance = float(np.linalg.norm(np.asarray(source_enu) - scene.mic(t_s)))
    delay_s = distance / scene.cfg.structure_wave_speed_m_s
    _add(out, scene.sample(t_s + delay_s), rung)


def _pyro_excitation(fs: int, rng: np.random.Generator, length_s: float = 0.002) -> np.ndarray:
    m = max(4, int(length_s * fs))
    return rng.standard_normal(m) * np.exp(-np.arange(m) / (0.3 * m))


def _aero(scene: _Scene, out) -> None:
    """Buffeting inside the aeroshell (structure-borne, ∝ q) until backshell separation."""
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    t_bs = rec.time_of("backshell_separation") or rec.time_of("touchdown")
    i1 = min(scene.n, scene.sample(t_bs))
    if i1 <= 0:
        return
    q = np.interp(scene.t_coarse, rec.trajectory["t_s"], np.asarray(rec.trajectory["dynamic_pressure_pa"], float))
    # Wall pressure p_w = C·q on the backshell in separated flow; panel v = mobility·p_w; p = ρc·v.
    env = cfg.buffet_pressure_ratio * q * cfg.panel_mobility_m_s_pa * scene.impedance
    rng = _rng(scene.seed, "aero")
    noise = shaped_noise(i1, fs, lambda f: 1.0 / (1.0 + (f / 150.0) ** 2), rng)
    x = sps.oaconvolve(noise * scene.coarse(env, 0, i1), scene.structure_ir("aeroshell"))[:i1]
    # Fade over the last 50 ms: after separation the rover is out in the open air.
    x[-min(i1, fs // 20) :] *= np.linspace(1.0, 0.0, min(i1, fs // 20))
    out[:i1] += x


def _wind(scene: _Scene, out) -> None:
    """Flow noise at the microphone once it is in the open: relative airspeed, then surface wind."""
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    t_bs = rec.time_of("backshell_separation") or rec.time_of("touchdown")
    i0 = min(scene.n, scene.sample(t_bs))
    if i0 >= scene.n:
        return
    rng = _rng(scene.seed, "wind")
    # Gusts: Ornstein–Uhlenbeck process with a 2 s correlation time (est.) on the coarse grid.
    m = scene.t_coarse.size
    a = np.exp(-_COARSE_DT_S / 2.0)
    gust = sps.lfilter([np.sqrt(1 - a * a)], [1.0, -a], rng.standard_normal(m))
    wind = np.maximum(cfg.wind_speed_m_s * (1.0 + cfg.wind_gust_fraction * gust), 0.0)
    v = rec.bodies["rover"].velocity(scene.t_coarse)
    # Turbulent pressure at the microphone p_rms = C·½ρV²: the rover's own airspeed while it
    # descends in the open, then the surface wind once it has landed.
    env = 0.5 * scene.density * (cfg.flow_noise_ratio * np.sum(v**2, axis=-1) + cfg.wind_noise_ratio * wind**2)
    env = np.where(scene.t_coarse >= t_bs, env, 0.0)
    noise = shaped_noise(scene.n - i0, fs, lambda f: 1.0 / (1.0 + (f / 40.0) ** (5.0 / 3.0)), rng)
    out[i0:] += noise * scene.coarse(env, i0, scene.n)


def _mortar(scene: _Scene, out) -> None:
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    t = rec.time_of("mortar_fire")
    if t is None:
        t = rec.time_of("parachute_deploy")
    if t is None or "backshell" not in rec.bodies:
        return
    rng = _rng(scene.seed, "mortar")
    tt = np.arange(int(0.08 * fs)) / fs
    excitation = friedlander(tt, 0.004) + 0.3 * rng.standard_normal(tt.size) * np.exp(-tt / 0.015)
    source = rec.bodies["backshell"].point(t, cfg.mortar_position_backshell_m)
    _structure_event(scene, out, "mortar_fire", t, source, excitation, cfg.mortar_panel_velocity_m_s, "aeroshell")


def _canopy(scene: _Scene, out) -> None:
    """Inflation snap at full inflation, then flutter ∝ q·inflated fraction, through the lines."""
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    chute, shell = rec.bodies.get("parachute"), rec.bodies.get("backshell")
    t_dep = rec.time_of("mortar_fire") or rec.time_of("parachute_deploy")
    t_bs = rec.time_of("backshell_separation") or rec.time_of("touchdown")
    if chute is None or shell is None or t_dep is None:
        return
    rng = _rng(scene.seed, "canopy")
    lines_top = cfg.mortar_position_backshell_m  # the suspension lines meet the backshell at the mortar
    after = chute.t_s >= t_dep
    full = np.flatnonzero(after & (chute.aux >= 0.95))
    t_snap = float(chute.t_s[full[0]]) if full.size else t_dep + scene.mission.parachute.inflation_time_s
    tt = np.arange(int(0.25 * fs)) / fs
    excitation = np.sin(2 * np.pi * 45.0 * tt) * np.exp(-tt / 0.04) + 0.5 * rng.standard_normal(tt.size) * np.exp(-tt / 0.006)
    _structure_event(
        scene, out, "canopy inflation", t_snap, shell.point(t_snap, lines_top), excitation, cfg.canopy_snap_panel_velocity_m_s, "aeroshell"
    )
    i0, i1 = scene.sample(t_dep), min(scene.n, scene.sample(t_bs))
    if i1 <= i0:
        return
    q = np.interp(scene.t_coarse, rec.trajectory["t_s"], np.asarray(rec.trajectory["dynamic_pressure_pa"], float))
    aux = chute.aux_at(scene.t_coarse)
    breathing = np.abs(np.gradient(aux, _COARSE_DT_S))  # the canopy's breathing beats the flutter
    env = cfg.canopy_flutter_mobility_m_s_pa * q * aux * (1.0 + 2.0 * np.minimum(breathing, 1.0)) * scene.impedance
    noise = shaped_noise(i1 - i0, fs, lambda f: (f / 30.0) ** 2 / (1.0 + (f / 30.0) ** 2) / (1.0 + (f / 400.0) ** 2), rng)
    x = sps.oaconvolve(noise * scene.coarse(env, i0, i1), scene.structure_ir("aeroshell"))[: i1 - i0]
    x[-min(x.size, fs // 20) :] *= np.linspace(1.0, 0.0, min(x.size, fs // 20))
    out[i0:i1] += x


def _pyro(scene: _Scene, out) -> None:
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    shell, rover = rec.bodies.get("backshell"), rec.bodies["rover"]
    for name, body, point, ir in (
        ("heatshield_separation", shell, cfg.heatshield_separation_position_backshell_m, "aeroshell"),
        ("backshell_separation", shell, cfg.backshell_separation_position_backshell_m, "aeroshell"),
        ("bridle_cut", rover, cfg.bridle_cut_position_rover_m, "rover"),
    ):
        t = rec.time_of(name)
        if body is None or t is None:
            log.info("no %s in this run: its pyrotechnic report is left out", name)
            continue
        # Sample the pose just before the event: at separation the parts start to move apart.
        source = body.point(t - 1e-3, point)
        _structure_event(scene, out, name, t, source, _pyro_excitation(fs, _rng(scene.seed, name)), cfg.pyro_panel_velocity_m_s, ir)


def _air_source(scene: _Scene, out, i0: int, i1: int, at_1m: np.ndarray, source_enu_coarse: np.ndarray) -> None:
    """Add a free-field source (pressure at 1 m, samples i0..i1) heard through the air."""
    if i1 <= i0:
        return
    mic = scene.mic_enu
    distance = np.linalg.norm(source_enu_coarse - mic, axis=-1)
    heard = acoustics.propagate_moving(
        at_1m,
        scene.fs,
        scene.coarse(distance, i0, i1),
        scene.coarse(scene.pressure_pa, i0, i1),
        scene.coarse(scene.temperature_k, i0, i1),
    )
    out[i0:i1] += heard


def _engines(scene: _Scene, out) -> None:
    """The eight descent engines: sound power η·½·F·v_e (NASA SP-8072, Eldred 1971), heard through the air."""
    rec, cfg, fs, pd = scene.record, scene.cfg, scene.fs, scene.mission.powered_descent
    stage = rec.bodies.get("descent_stage")
    if stage is None:
        return
    throttle = np.clip(stage.aux_at(scene.t_coarse), 0.0, 1.0)
    t_bs = rec.time_of("backshell_separation")
    if t_bs is not None:
        throttle = np.where(scene.t_coarse >= t_bs, throttle, 0.0)
    firing = np.flatnonzero(throttle > 0.0)
    if firing.size == 0:
        return
    i0 = scene.sample(scene.t_coarse[firing[0]])
    i1 = min(scene.n, scene.sample(scene.t_coarse[firing[-1]]) + int(3.5 * fs))  # room for the last sound to arrive
    v_exhaust = pd.specific_impulse_s * STANDARD_GRAVITY_M_S2
    power_w = cfg.engine_acoustic_efficiency * pd.engine_count * 0.5 * throttle * pd.engine_thrust_n * v_exhaust
    p_1m = np.sqrt(power_w * scene.impedance / (4.0 * np.pi))
    f_peak = cfg.engine_peak_strouhal * v_exhaust / cfg.engine_exit_diameter_m
    # Rocket-noise spectrum rising +6 dB/octave to the Strouhal peak and falling −6 dB/octave above
    # it: the broad single hump of NASA SP-8072's normalised spectrum (est. slopes).
    psd = lambda f: (f / f_peak) ** 2 / (1.0 + (f / f_peak) ** 2) ** 2  # noqa: E731
    noise = shaped_noise(i1 - i0, fs, psd, _rng(scene.seed, "engines"))
    source = stage.point(scene.t_coarse, cfg.engine_position_descent_stage_m)
    _air_source(scene, out, i0, i1, noise * scene.coarse(p_1m, i0, i1), source)


def _winch(scene: _Scene, out) -> None:
    """The sky-crane bridle winch: gear whine at teeth × drum revolutions, ∝ payout speed."""
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    stage, rover = rec.bodies.get("descent_stage"), rec.bodies["rover"]
    if stage is None:
        return
    length = rover.aux_at(scene.t_coarse)
    speed = np.maximum(np.gradient(length, _COARSE_DT_S), 0.0)
    speed = np.convolve(speed, np.ones(5) / 5.0, mode="same")
    active = np.flatnonzero(speed > 0.02)
    if active.size == 0:
        return
    i0 = scene.sample(scene.t_coarse[active[0]]) - fs // 10
    i1 = min(scene.n, scene.sample(scene.t_coarse[active[-1]]) + fs // 2)
    i0 = max(i0, 0)
    v = scene.coarse(speed, i0, i1)
    f0 = cfg.winch_gear_teeth * v / (2.0 * np.pi * cfg.winch_drum_radius_m)
    phase = 2.0 * np.pi * np.cumsum(f0) / fs
    tone = np.sin(phase) + 0.5 * np.sin(2 * phase + 0.3) + 0.25 * np.sin(3 * phase + 1.1)
    rng = _rng(scene.seed, "winch")
    rattle = 0.3 * shaped_noise(i1 - i0, fs, lambda f: 1.0 / (1.0 + (f / 2000.0) ** 2), rng)
    v_max = max(float(speed.max()), 1e-6)
    power_w = cfg.winch_sound_power_w * (v / v_max) ** 2
    p_1m = np.sqrt(power_w * scene.coarse(scene.impedance, i0, i1) / (4.0 * np.pi))
    unit = (tone + rattle) / np.sqrt(1.3125 + 0.09)  # unit rms: ½(1 + ¼ + 1/16) + 0.3²
    source = stage.point(scene.t_coarse, [0.0, 0.0, 0.0])
    _air_source(scene, out, i0, i1, unit * p_1m, source)


def _touchdown(scene: _Scene, out) -> None:
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    t = rec.time_of("touchdown")
    vz = abs(float(rec.events["touchdown"].get("vertical_speed_m_s", 0.75)))
    rng = _rng(scene.seed, "touchdown")
    tt = np.arange(int(0.4 * fs)) / fs
    # A suspension thump (≈ 30 Hz, est.) and the crunch of wheels on gravel.
    excitation = np.sin(2 * np.pi * 30.0 * tt) * np.exp(-tt / 0.08) + 0.6 * rng.standard_normal(tt.size) * np.exp(-tt / 0.05)
    wheels = rec.bodies["rover"].point(t, [0.0, 0.0, 0.0])
    _structure_event(scene, out, "touchdown", t, wheels, excitation, cfg.touchdown_panel_velocity_per_m_s * vz, "rover")


def _impacts(scene: _Scene, out) -> None:
    """Distant impacts of the jettisoned parts, heard through the air once the rover is in the open."""
    rec, cfg, fs = scene.record, scene.cfg, scene.fs
    t_bs = rec.time_of("backshell_separation")
    for name, body in (("descent_stage_impact", "descent_stage"), ("backshell_impact", "backshell"), ("heatshield_impact", "heatshield")):
        t, track = rec.time_of(name), rec.bodies.get(body)
        if t is None or track is None or t_bs is None or t < t_bs:
            continue  # before backshell separation there is no air path to the rover
        where = track.position(t)
        distance = float(np.linalg.norm(where - scene.mic(t)))
        c0 = scene.at(scene.impedance, t) / scene.at(scene.density, t)
        i0 = scene.sample(t)
        i1 = min(scene.n, i0 + int((distance / c0 + 1.0) * fs))
        if i1 <= i0:
            continue
        rng = _rng(scene.seed, name)
        tt = np.arange(i1 - i0) / fs
        pulse = friedlander(tt, 0.02) + 0.2 * rng.standard_normal(tt.size) * np.exp(-tt / 0.1)
        at_1m = cfg.impact_peak_pa_at_1m * pulse
        _air_source(scene, out, i0, i1, at_1m, np.broadcast_to(where, scene.mic_enu.shape))


def _self_noise(scene: _Scene, out) -> None:
    out += scene.cfg.self_noise_pa * _rng(scene.seed, "self_noise").standard_normal(scene.n)


_RENDERERS = {
    "aero": _aero,
    "mortar": _mortar,
    "canopy": _canopy,
    "pyro": _pyro,
    "engines": _engines,
    "winch": _winch,
    "touchdown": _touchdown,
    "impacts": _impacts,
    "wind": _wind,
    "self_noise": _self_noise,
}


def render_pressure(
    record: FlightRecord,
    mission,
    *,
    sample_rate_hz: int | None = None,
    sources: Collection[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> np.ndarray:
    """Sound pressure at the microphone [Pa], one float64 per sample from E+0, before the recorder.

    ``sample_rate_hz`` defaults to the mission's ``[microphone] sample_rate_hz``.
    """
    if sample_rate_hz is None:
        sample_rate_hz = int(mission.microphone.sample_rate_hz)
    if not 8000 <= sample_rate_hz <= 192_000:
        raise RenderError(f"sample rate {sample_rate_hz} Hz is outside 8000–192000 Hz; use 48000 (EDLCAM records 48 kHz)")
    chosen = tuple(SOURCES if sources is None else sources)
    unknown = [s for s in chosen if s not in _RENDERERS]
    if unknown:
        raise RenderError(f"unknown sound source(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    scene = _build_scene(record, mission, int(sample_rate_hz))
    out = np.zeros(scene.n)
    for k, name in enumerate(chosen):
        if progress:
            progress(k / len(chosen), name)
        _RENDERERS[name](scene, out)
    if progress:
        progress(1.0, "done")
    return out


def render_audio(
    run_dir: str | Path,
    *,
    sample_rate_hz: int | None = None,
    mission=None,
    sources: Collection[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Audio:
    """What the rover's microphone records from entry interface to touchdown + ``post_landing_s``.

    Reads ``run_dir/flight`` and the run's ``mission.toml`` (the default mission when the run has
    none, or ``mission`` if given). Returns float32 samples scaled so that 1.0 is the
    microphone's ``full_scale_pa``, high-passed at ``highpass_hz`` and clipped like an ADC;
    sample 0 is E+0. ``sources`` renders a subset of :data:`SOURCES` (all by default);
    ``sample_rate_hz`` defaults to the mission's ``[microphone] sample_rate_hz``.
    """
    run_dir = Path(run_dir)
    if mission is None:
        mission = runfolder.load_run_mission(run_dir, default_if_missing=True)
    if sample_rate_hz is None:
        sample_rate_hz = int(mission.microphone.sample_rate_hz)
    record = load_flight(run_dir)
    pressure = render_pressure(record, mission, sample_rate_hz=sample_rate_hz, sources=sources, progress=progress)
    cfg = mission.microphone
    sos = sps.butter(2, cfg.highpass_hz, btype="highpass", fs=sample_rate_hz, output="sos")
    samples = np.clip(sps.sosfilt(sos, pressure) / cfg.full_scale_pa, -1.0, 1.0).astype(np.float32)
    return Audio(samples=samples, sample_rate_hz=int(sample_rate_hz), t0_s=0.0)
