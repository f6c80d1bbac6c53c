"""Mission-file section of terrain-relative navigation: the Lander Vision System (LVS), its
onboard map, the IMU it fuses, and Safe Target Selection (declarations only; the models are in
:mod:`edlcam.gnc`). Defaults equal the [lvs] table of missions/mars2020.toml, where each value's
source is given.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from edlcam.config.base import Section, UtcText

__all__ = ["LvsConfig", "ImuConfig"]

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class ImuConfig(Section):
    """[lvs.imu]: the inertial measurement unit's error class (1σ values)."""

    accel_bias_ug: NonNegative = 300.0
    accel_scale_ppm: NonNegative = 300.0
    accel_vrw_m_s_sqrt_h: NonNegative = 0.03  # velocity random walk
    gyro_bias_deg_h: NonNegative = 1.0
    gyro_arw_deg_sqrt_h: NonNegative = 0.07
    attitude_sigma_deg: NonNegative = 0.1  # tilt knowledge at LVS start
    rate_hz: Annotated[float, Field(gt=0, le=1000)] = 20.0  # how often the filter propagates


class LvsConfig(Section):
    """[lvs] table of the mission file."""

    enabled: bool = True
    camera: str = "lcam"
    # When images are processed: from this height above ground down to the divert decision.
    start_height_m: Positive = 4200.0
    image_interval_s: Positive = 1.0
    image_px: Annotated[int, Field(ge=64, le=4096)] = 512  # LCAM frames fed to LVS in the loop (the full-quality renderer)
    # The onboard map: extent (centre offset from the target, size) and resolutions.
    map_center_east_m: float = -1178.0
    map_center_north_m: float = 1268.0
    map_size_m: Annotated[float, Field(gt=1000, le=200_000)] = 30_000.0
    appearance_m_per_px: Positive = 6.0
    coarse_m_per_px: Positive = 12.0
    elevation_m_per_px: Positive = 18.0
    preview_map_size_m: Annotated[float, Field(gt=1000, le=200_000)] = 12_000.0
    preview_appearance_m_per_px: Positive = 10.0
    map_sun_utc: UtcText = "2016-05-01T21:18:00Z"
    # Map-relative localization.
    coarse_images: Annotated[int, Field(ge=1, le=20)] = 3
    coarse_patches: Annotated[int, Field(ge=1, le=64)] = 5
    coarse_patch_px: Annotated[int, Field(ge=8, le=512)] = 64
    coarse_search_sigmas: Annotated[float, Field(ge=1, le=10)] = 4.0  # the coarse window's half-width in prior σ per axis
    fine_patches: Annotated[int, Field(ge=3, le=1000)] = 150
    fine_patch_px: Annotated[int, Field(ge=5, le=101)] = 21
    min_correlation: Annotated[float, Field(gt=0, lt=1)] = 0.5
    match_sigma_px: Positive = 0.3  # 1σ of a landmark's sub-pixel match
    map_tie_sigma_m: NonNegative = 3.0  # the map's own registration error
    # Dead reckoning before LVS: position and velocity knowledge error (1σ, per horizontal axis).
    initial_position_sigma_m: Positive = 1070.0
    initial_velocity_sigma_m_s: NonNegative = 1.0
    # Safe Target Selection and the hazard map.
    hazard_cell_m: Positive = 10.0
    hazard_sample_m: Positive = 2.0
    preview_hazard_sample_m: Positive = 5.0
    hazard_size_m: Annotated[float, Field(gt=100, le=100_000)] = 12_000.0
    preview_hazard_size_m: Annotated[float, Field(gt=100, le=100_000)] = 3_000.0
    dtm_size_m: NonNegative = 450.0
    max_slope_deg: Annotated[float, Field(gt=0, lt=90)] = 15.0
    slope_baseline_m: Positive = 4.0
    max_rock_height_m: Positive = 0.55
    touchdown_sigma_m: Positive = 20.0
    imu: ImuConfig = ImuConfig()

    @model_validator(mode="after")
    def _check(self):
        if self.coarse_m_per_px < self.appearance_m_per_px:
            raise ValueError(
                f"coarse_m_per_px {self.coarse_m_per_px:g} is finer than appearance_m_per_px "
                f"{self.appearance_m_per_px:g}; the coarse map is the appearance map reduced"
            )
        if self.hazard_sample_m > self.hazard_cell_m:
            raise ValueError(
                f"hazard_sample_m {self.hazard_sample_m:g} exceeds hazard_cell_m {self.hazard_cell_m:g}; "
                "sample the ground at least once per hazard cell"
            )
        return self
