"""Mission-file section of the link stage (owned by that stage; declarations only).

Defaults equal the ``[link]`` table of missions/mars2020.toml, where each value's source is given.
The pass schedule (positive rates, no overlaps) is checked by :mod:`edlcam.link.passes`, which
raises :class:`edlcam.errors.LinkError` naming the pass.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from edlcam.config.base import Section, UtcText, bounded

__all__ = ["LinkConfig", "PassConfig", "ChannelConfig", "UhfConfig", "CfdpConfig"]

Probability = Annotated[float, Field(ge=0.0, lt=1.0)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]

MARS_SOLAR_DAY_S = 88_775.244  # mean solar day (sol), NSSDC Mars Fact Sheet: 24.6597 h


class PassConfig(Section):
    """One relay pass of the daily (per-sol) schedule, repeated every sol after landing."""

    orbiter: Literal["MRO", "MAVEN", "ODY", "TGO"]
    start_s: Annotated[float, Field(ge=0, lt=MARS_SOLAR_DAY_S)]  # into each sol, counted from touchdown
    duration_s: bounded(
        0, 7200.0, lo_open=True,
        why="an orbiter stays in the rover's view for minutes (MRO, ODY, TGO ≈ 8–15 min; MAVEN's longer orbit under an hour, est.); "
        "every frame of a pass is simulated",
    )
    # > 0 is checked by edlcam.link.passes, so that a bad schedule is a LinkError naming the pass.
    rate_bps: bounded(hi=8.0e6, why="Electra-class proximity radios reach 2.048 Mbit/s; every frame of a pass is simulated")


class ChannelConfig(Section):
    """Impairments of the relay link (per frame), applied by :class:`edlcam.link.channel.LossyChannel`."""

    loss: Probability = 0.0
    burst_enter: Probability = 0.0  # Gilbert–Elliott: good → bad per frame
    burst_exit: Annotated[float, Field(gt=0.0, le=1.0)] = 0.25  # bad → good per frame
    burst_loss: Annotated[float, Field(ge=0.0, le=1.0)] = 0.9  # loss probability in the bad state
    reorder: Probability = 0.0
    reorder_max_delay_frames: Annotated[int, Field(ge=1, le=1000)] = 8
    duplicate: Probability = 0.0
    bit_error_rate: Annotated[float, Field(ge=0.0, lt=1e-2)] = 0.0


class UhfConfig(Section):
    """Live EDL telemetry over UHF to MRO, and the geometry that decides its dropouts."""

    rate_bps: Positive = 8000.0
    interval_s: Positive = 1.0
    blackout_heating_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    antenna_max_off_axis_deg: Annotated[float, Field(gt=0.0, le=180.0)] = 85.0
    orbiter_min_elevation_deg: Annotated[float, Field(ge=-10.0, lt=90.0)] = 5.0
    orbiter_altitude_m: Positive = 300_000.0
    orbiter_overhead_t_s: float = 400.0
    orbiter_crosstrack_m: float = 100_000.0
    orbiter_heading_deg: float = 78.0
    # Who relays the live stream to Earth (named on each record: MRO for Mars 2020, MarCO for
    # InSight) and the delay the relay adds before its own downlink (store and forward).
    relay: Annotated[str, Field(min_length=1, max_length=40)] = "MRO"
    relay_latency_s: NonNegative = 0.0


class CfdpConfig(Section):
    """CFDP class 2 parameters of the rover → ground file transfers."""

    segment_bytes: Annotated[int, Field(ge=64, le=60_000)] = 8192
    concurrent_transactions: Annotated[int, Field(ge=1, le=1024)] = 256
    ack_timer_s: Positive = 2.0
    ack_limit: Annotated[int, Field(ge=1)] = 50
    nak_timer_s: Positive = 2.0
    nak_limit: Annotated[int, Field(ge=1)] = 50
    return_rate_bps: Positive = 128_000.0
    proximity_delay_s: NonNegative = 0.005
    forward_latency_s: NonNegative = 0.0


def _default_passes() -> list[PassConfig]:
    return [
        PassConfig(orbiter="MRO", start_s=7_200.0, duration_s=600.0, rate_bps=500_000.0),
        PassConfig(orbiter="TGO", start_s=18_000.0, duration_s=720.0, rate_bps=500_000.0),
        PassConfig(orbiter="ODY", start_s=30_000.0, duration_s=480.0, rate_bps=256_000.0),
        PassConfig(orbiter="MAVEN", start_s=40_000.0, duration_s=900.0, rate_bps=250_000.0),
        PassConfig(orbiter="MRO", start_s=51_600.0, duration_s=600.0, rate_bps=500_000.0),
        PassConfig(orbiter="TGO", start_s=62_400.0, duration_s=720.0, rate_bps=500_000.0),
        PassConfig(orbiter="ODY", start_s=74_400.0, duration_s=480.0, rate_bps=256_000.0),
    ]


class LinkConfig(Section):
    """[link] table of the mission file."""

    sclk_epoch_utc: UtcText = "2000-01-01T11:58:55.816Z"
    sclk_rate: Annotated[float, Field(gt=0.99, lt=1.01)] = 1.0
    auto_send_max_priority: int = 50
    uhf: UhfConfig = UhfConfig()
    channel: ChannelConfig = ChannelConfig()
    cfdp: CfdpConfig = CfdpConfig()
    passes: list[PassConfig] = Field(default_factory=_default_passes)  # checked by edlcam.link.passes
