"""Mission-file section of the terrain: the Jezero-like landscape, its craters, rocks and
roughness. Defaults equal the [terrain] table of missions/mars2020.toml, where each value's source
is given."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from edlcam.config.base import Section

__all__ = ["TerrainConfig", "UnitConfig", "DEFAULT_UNITS"]

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=360)]


UnitRGB = Annotated[list[Annotated[float, Field(gt=0, le=1)]], Field(min_length=3, max_length=3)]


class UnitConfig(Section):
    """[terrain.units.<name>]: how one geologic unit of the unit map (edlcam.mars.geology) looks."""

    albedo_rgb: UnitRGB  # linear albedo (red, green, blue) of the unit's surface
    mottling: Annotated[float, Field(ge=0, le=4)] = 1.0  # × the albedo patches' contrast (texture at 0.4–400 m)
    roughness: Annotated[float, Field(ge=0, le=4)] = 1.0  # × the fractal roughness's RMS relief
    crater_retention: Annotated[float, Field(ge=0, le=1.5)] = 1.0  # × the relief of craters ≥ 100 m (1: all kept)
    bedform_contrast: Annotated[float, Field(ge=0, le=1)] = 0.0  # crest-to-trough albedo ± this fraction (0: no bedforms)


# The defaults equal missions/mars2020.toml's [terrain.units.*], where each value's source is given.
DEFAULT_UNITS = {
    "cf_fr": UnitConfig(albedo_rgb=[0.40, 0.30, 0.24], mottling=1.5, roughness=1.0, crater_retention=1.0),
    "delta": UnitConfig(albedo_rgb=[0.62, 0.50, 0.41], mottling=2.0, roughness=1.6, crater_retention=0.5),
    "cf_f": UnitConfig(albedo_rgb=[0.54, 0.42, 0.34], mottling=2.0, roughness=1.5, crater_retention=0.6),
    "ripples": UnitConfig(albedo_rgb=[0.27, 0.21, 0.17], mottling=1.0, roughness=0.6, crater_retention=0.3,
                          bedform_contrast=0.35),
    "smooth": UnitConfig(albedo_rgb=[0.32, 0.24, 0.19], mottling=0.7, roughness=0.5, crater_retention=0.5),
}


class TerrainConfig(Section):
    """[terrain] table of the mission file."""

    # The host crater (Jezero) and its surroundings.
    crater_center_latitude_deg: Latitude = 18.38
    crater_center_longitude_deg: Longitude = 77.58
    crater_diameter_m: Annotated[float, Field(gt=1000, le=200_000)] = 45_000.0
    floor_altitude_m: float = -2570.0
    plain_altitude_m: float = -2200.0
    rim_height_m: NonNegative = 450.0
    floor_radius_fraction: Annotated[float, Field(gt=0.1, lt=0.95)] = 0.85
    regional_slope_m_per_km: NonNegative = 4.0
    regional_slope_azimuth_deg: Annotated[float, Field(ge=0, lt=360)] = 110.0
    # The western delta (a fan from the inlet on the rim toward the crater centre).
    delta_azimuth_deg: Annotated[float, Field(ge=0, lt=360)] = 295.0
    delta_radius_m: Positive = 12_000.0
    delta_half_angle_deg: Annotated[float, Field(gt=5, lt=90)] = 42.0
    delta_front_thickness_m: NonNegative = 70.0
    delta_apex_thickness_m: NonNegative = 110.0
    delta_scarp_width_m: Annotated[float, Field(ge=25, le=2000)] = 40.0  # the mapped delta's front: 10–90 % of its rise
    delta_relief_m: Annotated[float, Field(ge=0, le=200)] = 15.0  # the delta top's erosional remnants: their height (0: a smooth plateau)
    delta_relief_scale_m: Annotated[float, Field(ge=25, le=2000)] = 60.0  # … and the correlation length of the field they are cut from
    # A central mound (Gale's Aeolis Mons): a cosine bell of mound_height_m above the floor,
    # mound_radius_m at its base, centred at the given point; mound_height_m = 0: none (Jezero).
    mound_latitude_deg: Latitude = 0.0
    mound_longitude_deg: Longitude = 0.0
    mound_height_m: Annotated[float, Field(ge=0, le=25_000)] = 0.0
    mound_radius_m: Annotated[float, Field(gt=100, le=200_000)] = 20_000.0
    # Superposed craters: Ivanov (2001) production function with the Hartmann & Neukum (2001)
    # chronology, capped at an equilibrium density (a fraction of geometric saturation).
    plains_age_gyr: Annotated[float, Field(gt=0, le=4.5)] = 3.8
    floor_age_gyr: Annotated[float, Field(gt=0, le=4.5)] = 2.6
    equilibrium_fraction: Annotated[float, Field(gt=0, le=0.2)] = 0.05
    crater_min_diameter_m: Annotated[float, Field(ge=0.25, le=100)] = 0.5
    crater_depth_ratio: Annotated[float, Field(gt=0, le=0.3)] = 0.2
    crater_rim_height_ratio: Annotated[float, Field(ge=0, le=0.1)] = 0.04
    # Degradation: craters are seen until their depth falls to this fraction of the fresh depth
    # (edlcam.mars.crater_stats.crater_degradation); 1 would keep every crater fresh.
    crater_visible_depth_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    # Rocks: Golombek & Rapp (1997) cumulative fractional area F_k(D) = k exp(-q D).
    rock_abundance_k: Annotated[float, Field(gt=0, le=0.4)] = 0.06
    rock_max_diameter_m: Annotated[float, Field(gt=0.05, le=10)] = 2.5
    rock_height_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    # Fractal roughness (spectral synthesis of fractional Brownian surfaces).
    roughness_rms_at_100m_m: NonNegative = 1.0
    hurst_exponent: Annotated[float, Field(gt=0, lt=1)] = 0.8
    floor_roughness_factor: Annotated[float, Field(ge=0, le=2)] = 0.35
    # Real ground under the landing point (edlcam.mars.hirise): "jezero" = the shipped HiRISE DTM
    # and orthomosaic where they cover the model, "none" = procedural ground only.
    site_data: Literal["jezero", "none"] = "jezero"
    site_blend_width_m: Annotated[float, Field(ge=5, le=200)] = 40.0
    site_albedo_blend_width_m: Annotated[float, Field(ge=1, le=200)] = 20.0
    site_detail_cutoff_m: Annotated[float, Field(ge=1, le=64)] = 4.0
    site_level_taper_m: Annotated[float, Field(ge=500, le=20_000)] = 2500.0
    # Geologic units around the landing point (edlcam.mars.geology): "jezero" = the shipped unit map
    # (src/edlcam/data/jezero/units.geojson), "none" = the floor as one unit; one table per unit.
    unit_map: Literal["jezero", "none"] = "jezero"
    bedform_wavelength_m: Annotated[float, Field(gt=1, le=500)] = 30.0  # crest spacing of the bedform fields
    bedform_azimuth_deg: Annotated[float, Field(ge=0, lt=180)] = 45.0  # their crests' trend, clockwise from north
    units: dict[str, UnitConfig] = Field(default_factory=lambda: dict(DEFAULT_UNITS))
    # Extent of the modelled region; beyond it the ground is the regional plain.
    model_radius_m: Annotated[float, Field(ge=30_000, le=300_000)] = 80_000.0
    blend_width_m: Annotated[float, Field(ge=1000, le=100_000)] = 20_000.0

    @model_validator(mode="after")
    def _check(self):
        if self.floor_altitude_m >= self.plain_altitude_m + self.rim_height_m:
            raise ValueError(
                f"floor_altitude_m {self.floor_altitude_m:g} lies above the rim "
                f"(plain_altitude_m + rim_height_m = {self.plain_altitude_m + self.rim_height_m:g}); lower the floor"
            )
        if self.delta_apex_thickness_m < self.delta_front_thickness_m:
            raise ValueError("delta_apex_thickness_m must be at least delta_front_thickness_m (the delta rises toward its apex)")
        if "cf_fr" not in self.units:
            raise ValueError("units needs a [terrain.units.cf_fr] table: the crater floor where the unit map names nothing")
        if self.rock_max_diameter_m <= 0.05:
            raise ValueError("rock_max_diameter_m must exceed 0.05 m, the smallest rock modelled")
        return self
