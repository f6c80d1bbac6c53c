"""Mission-file section of the onboard stage: the two data storage units (DSUs), what each one
records when, the umbilical between them, and the downlink products made after landing.

Defaults equal missions/mars2020.toml, where each value's source is given. Camera windows and
frame rates come from ``[cameras.views.<name>]``; ``[onboard.capture.<name>]`` says which DSU
records a source and at what priority, and may override the window.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from edlcam.config.base import Section

__all__ = ["CaptureConfig", "ProductsConfig", "OnboardConfig", "UNITS", "DEFAULT_CAPTURE"]

UNITS = ("descent_stage", "rover")
Positive = Annotated[float, Field(gt=0)]
Priority = Annotated[int, Field(ge=0, le=9)]


class CaptureConfig(Section):
    """Which DSU records a source, at what overflow priority; optionally its own window and rate."""

    unit: Literal["descent_stage", "rover"]
    priority: Priority = 1  # 0 = most important: kept longest when the store fills
    start_event: str | None = None  # None: the camera's own window from [cameras.views.<name>]
    start_offset_s: float | None = None
    end_event: str | None = None
    end_offset_s: float | None = None
    fps: Annotated[float, Field(gt=0, le=1000)] | None = None


DEFAULT_CAPTURE: dict[str, CaptureConfig] = {
    # PUCs and DDC hang off the descent-stage DSU (the backshell's cables run through it); the rover
    # DSU records its own cameras and the microphone (Maki et al. 2020, EDLCAM block diagram).
    "puc_a": CaptureConfig(unit="descent_stage", priority=1),
    "puc_b": CaptureConfig(unit="descent_stage", priority=2),
    "puc_c": CaptureConfig(unit="descent_stage", priority=2),
    "ddc": CaptureConfig(unit="descent_stage", priority=1),
    "rdc": CaptureConfig(unit="rover", priority=0),
    "ruc": CaptureConfig(unit="rover", priority=1),
    "lcam": CaptureConfig(unit="rover", priority=2),
    "microphone": CaptureConfig(
        unit="rover", priority=0, start_event="entry_interface", start_offset_s=0.0,
        end_event="touchdown", end_offset_s=60.0,
    ),
}


class ProductsConfig(Section):
    """Downlink products made by the rover DSU after landing."""

    thumbnail_scale: Annotated[float, Field(gt=0, le=1)] = 0.125
    thumbnail_jpeg_quality: Annotated[int, Field(ge=1, le=100)] = 75
    browse_scale: Annotated[float, Field(gt=0, le=1)] = 0.5
    browse_jpeg_quality: Annotated[int, Field(ge=1, le=100)] = 85
    browse_interval_s: Positive = 1.0
    video_segment_s: Positive = 10.0
    video_crf: Annotated[int, Field(ge=0, le=51)] = 23
    lossless_png_level: Annotated[int, Field(ge=0, le=9)] = 2
    # PNG row filter (ISO/IEC 15948 §9): "adaptive" lets libpng choose per row; one type for every row
    lossless_png_filter: Literal["adaptive", "none", "sub", "up", "average", "paeth"] = "adaptive"
    # priority of each kind (lower goes home first); a source's capture priority is added
    priority_thumbnail: Priority = 1
    priority_audio: Priority = 2
    priority_browse: Priority = 3
    priority_video: Priority = 5
    priority_lossless: Priority = 8


class OnboardConfig(Section):
    """[onboard] table of the mission file."""

    sclk_at_entry_interface_s: Positive = 666_952_679.184
    frame_encoding: Literal["bayer", "raw", "png"] = "bayer"
    png_level: Annotated[int, Field(ge=0, le=9)] = 1
    descent_stage_capacity_bytes: Annotated[int, Field(gt=0)] = 64 * 10**9
    rover_capacity_bytes: Annotated[int, Field(gt=0)] = 64 * 10**9
    segment_bytes: Annotated[int, Field(ge=4096)] = 256 * 2**20
    commit_bytes: Annotated[int, Field(ge=0)] = 32 * 2**20
    commit_records: Annotated[int, Field(ge=1)] = 64
    admit_fraction: Annotated[list[Annotated[float, Field(gt=0, le=1)]], Field(min_length=1, max_length=10)] = [
        1.0, 0.95, 0.85,
    ]
    umbilical_rate_bps: Positive = 1.0e9
    umbilical_cut_event: str = "bridle_cut"
    audio_block_s: Positive = 1.0
    capture: dict[str, CaptureConfig] = Field(default_factory=lambda: dict(DEFAULT_CAPTURE))
    products: ProductsConfig = ProductsConfig()

    @model_validator(mode="after")
    def _check(self):
        if any(b > a for a, b in zip(self.admit_fraction, self.admit_fraction[1:])):
            raise ValueError(
                f"admit_fraction {self.admit_fraction} must not increase: a less important priority "
                "cannot be admitted further than a more important one"
            )
        for name, cap in self.capture.items():
            if cap.priority >= len(self.admit_fraction):
                raise ValueError(
                    f"capture.{name}.priority is {cap.priority} but admit_fraction has "
                    f"{len(self.admit_fraction)} levels (0..{len(self.admit_fraction) - 1}); lower it or add a level"
                )
        return self
