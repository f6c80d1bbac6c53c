"""Mission-file section of the microphone stage (owned by that stage; declarations only).

``[microphone]`` places the EDLCAM microphone on the rover and sets the strength of each sound
source and path. Defaults equal missions/mars2020.toml, where each value's source is given; most
are engineering estimates ("est."): no source levels of the Mars 2020 landing are published.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from edlcam.config.base import Section

__all__ = ["MicrophoneConfig"]

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Vector3 = Annotated[list[float], Field(min_length=3, max_length=3)]


class MicrophoneConfig(Section):
    """[microphone] table of the mission file."""

    # The microphone and its recorder.
    position_rover_m: Vector3 = [0.2, 1.2, 1.0]
    sample_rate_hz: Annotated[int, Field(ge=8000, le=192_000)] = 48_000
    full_scale_pa: Positive = 1000.0
    highpass_hz: Positive = 20.0
    self_noise_pa: NonNegative = 6.0e-4
    # Structure-borne paths.
    structure_wave_speed_m_s: Positive = 3000.0
    structure_mode_count: Annotated[int, Field(ge=1, le=400)] = 48
    structure_damping_ratio: Annotated[float, Field(gt=0, lt=0.5)] = 0.02
    # Aerodynamic sources.
    buffet_pressure_ratio: NonNegative = 0.01
    panel_mobility_m_s_pa: NonNegative = 2.0e-3
    flow_noise_ratio: NonNegative = 0.01
    # Events (panel velocity at the microphone's side of the structure).
    mortar_position_backshell_m: Vector3 = [0.0, 0.0, 2.3]
    mortar_panel_velocity_m_s: NonNegative = 3.0
    canopy_snap_panel_velocity_m_s: NonNegative = 1.5
    canopy_flutter_mobility_m_s_pa: NonNegative = 2.0e-4
    pyro_panel_velocity_m_s: NonNegative = 1.0
    heatshield_separation_position_backshell_m: Vector3 = [2.1, 0.0, 0.0]
    backshell_separation_position_backshell_m: Vector3 = [0.0, 0.0, 1.4]
    bridle_cut_position_rover_m: Vector3 = [0.0, 0.0, 1.1]
    touchdown_panel_velocity_per_m_s: NonNegative = 0.4
    # Descent engines and winch.
    engine_acoustic_efficiency: Annotated[float, Field(ge=0, le=0.05)] = 0.005
    engine_exit_diameter_m: Positive = 0.25
    engine_peak_strouhal: Positive = 0.03
    engine_position_descent_stage_m: Vector3 = [0.0, 0.0, 0.3]
    winch_sound_power_w: NonNegative = 0.05
    winch_drum_radius_m: Positive = 0.1
    winch_gear_teeth: Annotated[int, Field(ge=1, le=1000)] = 60
    impact_peak_pa_at_1m: NonNegative = 2000.0
    # Surface.
    wind_speed_m_s: NonNegative = 4.0
    wind_gust_fraction: Annotated[float, Field(ge=0, le=1)] = 0.3
    wind_noise_ratio: NonNegative = 0.05
