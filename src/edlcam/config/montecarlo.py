"""Mission-file section of the Monte Carlo stage: how many dispersed landings, in what batches,
and the distribution of every dispersed input. Defaults equal the [montecarlo] table of
missions/mars2020.toml, where each value's source is given.

Every dispersion is drawn per case from the mission seed (see :mod:`edlcam.flight.dispersions`);
a dispersion left out of the table is not dispersed. Multipliers ("scale") apply to the mission's
nominal value; offsets ("_m", "_kg", "_m_s") add to it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from edlcam.config.base import Section, bounded

__all__ = ["Distribution", "EntryDelivery", "EntryNavigation", "WindProfile", "DensityProfile", "Dispersions", "MontecarloConfig", "ENTRY_DELIVERY_AXES"]

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]

# Order of the entry-delivery axes in EntryDelivery.correlation.
ENTRY_DELIVERY_AXES = ("flight_path_angle_deg", "speed_m_s", "downrange_m", "crossrange_m", "heading_deg")


class Distribution(Section):
    """One dispersed quantity: ``kind`` and its parameters.

    normal: ``mean``, ``sigma``; uniform: ``low``, ``high``; lognormal: ``median`` and ``sigma``
    (the standard deviation of the natural logarithm).
    """

    kind: Literal["normal", "uniform", "lognormal"]
    mean: float = 0.0
    sigma: NonNegative = 0.0
    median: Positive = 1.0
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "uniform":
            if self.low is None or self.high is None:
                raise ValueError('a uniform distribution needs both low and high, e.g. { kind = "uniform", low = 0.9, high = 1.1 }')
            if not self.low < self.high:
                raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        elif self.low is not None or self.high is not None:
            raise ValueError(f"low and high belong to uniform distributions; a {self.kind} one takes " + (
                "mean and sigma" if self.kind == "normal" else "median and sigma"))
        return self


class EntryDelivery(Section):
    """Entry-interface delivery errors: a zero-mean multivariate normal over
    (flight-path angle, speed, downrange, crossrange, heading) with these standard deviations
    and ``correlation`` (rows and columns in that order)."""

    flight_path_angle_sigma_deg: NonNegative = 0.067
    speed_sigma_m_s: NonNegative = 0.5
    downrange_sigma_m: NonNegative = 1500.0
    crossrange_sigma_m: NonNegative = 500.0
    heading_sigma_deg: NonNegative = 0.01
    correlation: list[list[float]] = [
        [1.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 1.0],
    ]

    @property
    def sigmas(self) -> tuple[float, ...]:
        return (
            self.flight_path_angle_sigma_deg,
            self.speed_sigma_m_s,
            self.downrange_sigma_m,
            self.crossrange_sigma_m,
            self.heading_sigma_deg,
        )

    @model_validator(mode="after")
    def _check(self):
        import numpy as np

        k = len(ENTRY_DELIVERY_AXES)
        c = self.correlation
        if len(c) != k or any(len(row) != k for row in c):
            raise ValueError(f"correlation must be a {k}×{k} matrix over {', '.join(ENTRY_DELIVERY_AXES)}")
        m = np.asarray(c, float)
        if not np.allclose(np.diag(m), 1.0):
            raise ValueError("correlation must have 1.0 on its diagonal")
        if not np.allclose(m, m.T) or np.any(np.abs(m) > 1.0):
            raise ValueError("correlation must be symmetric with entries between -1 and 1")
        if np.linalg.eigvalsh(m).min() < -1e-9:
            raise ValueError("correlation is not positive semi-definite; no joint distribution has it")
        return self


class EntryNavigation(Section):
    """Entry navigation errors (:mod:`edlcam.flight.kernel.navigation`), 1σ: the state's knowledge
    at entry interface (along and across the entry heading, and vertical velocity) and the IMU's
    accelerometer scale factor and misalignment, which grow with the velocity it integrates."""

    position_downrange_sigma_m: NonNegative = 800.0
    position_crossrange_sigma_m: NonNegative = 400.0
    velocity_downrange_sigma_m_s: NonNegative = 0.2
    velocity_crossrange_sigma_m_s: NonNegative = 0.1
    velocity_vertical_sigma_m_s: NonNegative = 0.2
    accel_scale_factor_sigma_ppm: NonNegative = 300.0
    misalignment_sigma_deg: NonNegative = 0.04


def _check_nodes(heights_m: list[float], sigma_name: str, sigma: list[float], nodes: int) -> None:
    """A profile's nodes: ``nodes`` heights above the ground, increasing from 0 m or more, and one
    standard deviation (``sigma_name``) at each."""
    if len(heights_m) != nodes or len(sigma) != nodes:
        raise ValueError(f"heights_m and {sigma_name} need {nodes} values each (the profile's nodes)")
    if heights_m[0] < 0.0 or any(b <= a for a, b in zip(heights_m, heights_m[1:])):
        raise ValueError("heights_m must be increasing heights above the ground, from 0 m or more")


class WindProfile(Section):
    """The wind's change with height: at each of the heights ``heights_m`` above the target's ground
    each component (east, north) is a zero-mean normal of standard deviation ``sigma_m_s``, the
    nodes correlated as exp(−|Δh| / ``correlation_length_m``); linear between the nodes, held
    beyond them (:mod:`edlcam.flight.dispersions`)."""

    heights_m: list[float] = [0.0, 2000.0, 5000.0, 10000.0, 20000.0]
    sigma_m_s: list[NonNegative] = [5.0, 8.0, 10.5, 13.0, 20.0]
    correlation_length_m: Positive = 3000.0

    @model_validator(mode="after")
    def _check(self):
        from edlcam.flight.kernel.layout import N_WIND_NODES

        _check_nodes(self.heights_m, "sigma_m_s", self.sigma_m_s, N_WIND_NODES)
        return self


class DensityProfile(Section):
    """The atmosphere's density perturbation changing with height, as Mars-GRAM's perturbation
    model: at each of the heights ``heights_m`` above the target's ground the relative density
    perturbation is a zero-mean normal of standard deviation ``sigma`` (a fraction of the density),
    the nodes correlated as exp(−|Δh| / ``correlation_length_m``); linear between the nodes, held
    beyond them, on top of the density scales (:mod:`edlcam.flight.dispersions`). ``sigma`` all
    zero turns it off."""

    heights_m: list[float] = [0.0, 10000.0, 20000.0, 30000.0, 40000.0]
    sigma: list[bounded(0.0, 0.2, why="a fraction of the density; beyond 0.2 a 5σ draw would make the density negative")] = [
        0.02, 0.03, 0.05, 0.08, 0.12]  # fmt: skip
    correlation_length_m: Positive = 5000.0

    @model_validator(mode="after")
    def _check(self):
        from edlcam.flight.kernel.layout import N_DENSITY_NODES

        _check_nodes(self.heights_m, "sigma", self.sigma, N_DENSITY_NODES)
        return self


class Dispersions(Section):
    """The per-case random inputs (None: not dispersed)."""

    density_scale_low: Distribution | None = Distribution(kind="normal", mean=1.0, sigma=0.05)
    density_scale_high: Distribution | None = Distribution(kind="lognormal", median=1.0, sigma=0.35)
    wind_east_m_s: Distribution | None = None  # a wind constant with height (the profile: MontecarloConfig.wind)
    wind_north_m_s: Distribution | None = None
    drag_scale: Distribution | None = Distribution(kind="normal", mean=1.0, sigma=0.02)
    lift_to_drag_scale: Distribution | None = Distribution(kind="normal", mean=1.0, sigma=0.03)
    entry_mass_offset_kg: Distribution | None = Distribution(kind="normal", mean=0.0, sigma=5.0)
    cg_radial_offset_m: Distribution | None = Distribution(kind="normal", mean=0.0, sigma=0.002)
    chute_drag_scale: Distribution | None = Distribution(kind="lognormal", median=1.0, sigma=0.04)
    thrust_scale: Distribution | None = Distribution(kind="normal", mean=1.0, sigma=0.01)
    nav_error_east_m: Distribution | None = Distribution(kind="normal", mean=-0.2, sigma=4.6)
    nav_error_north_m: Distribution | None = Distribution(kind="normal", mean=1.1, sigma=3.7)
    nav_error_up_m: Distribution | None = Distribution(kind="normal", mean=0.0, sigma=0.3)
    divert_east_m: Distribution | None = Distribution(kind="normal", mean=0.0, sigma=100.0)
    divert_north_m: Distribution | None = Distribution(kind="normal", mean=0.0, sigma=100.0)


class MontecarloConfig(Section):
    """[montecarlo] table of the mission file."""

    cases: Annotated[int, Field(ge=1)] = 2000
    batch_cases: Annotated[int, Field(ge=1)] = 2000
    ellipse_probability: Annotated[float, Field(gt=0, lt=1)] = 0.99
    trim_cg_radial_offset_m: Positive = 0.06
    published_ellipse_major_km: Positive = 7.7
    published_ellipse_minor_km: Positive = 6.6
    published_ellipse_azimuth_deg: Annotated[float, Field(ge=-360, le=360)] = 74.82
    published_ellipse_source: str = "NASA Photojournal PIA24350"
    divert_from_navigated: bool = True
    entry_delivery: EntryDelivery = EntryDelivery()
    entry_navigation: EntryNavigation = EntryNavigation()
    wind: WindProfile = WindProfile()
    density_profile: DensityProfile = DensityProfile()
    dispersions: Dispersions = Dispersions()

    @model_validator(mode="after")
    def _check(self):
        if self.published_ellipse_minor_km > self.published_ellipse_major_km:
            raise ValueError("published_ellipse_minor_km must not exceed published_ellipse_major_km")
        return self
