"""Mission-file sections of the flight stage: planet, atmosphere, target, entry, vehicle,
guidance, parachute, powered descent. Defaults equal missions/mars2020.toml, where each value's
source is given."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from edlcam.config.base import Section, UtcText, bounded, check_table, table

__all__ = [
    "PlanetConfig",
    "AtmosphereConfig",
    "TargetConfig",
    "EntryConfig",
    "VehicleConfig",
    "GuidanceConfig",
    "ParachuteConfig",
    "PoweredDescentConfig",
    "SimulationConfig",
]

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]

# Reasoned bounds (edlcam.config.base.bounded): the range each model can use, and why.
Mass = bounded(0, 100_000.0, lo_open=True, why="a lander part of up to 100 t (Mars 2020 enters at 3.4 t)")
DragCoefficient = bounded(0, 3.0, lo_open=True, why="a bluff body's drag coefficient is about 0.5–2; ≤ 0 would push the body forward")
AeroMach = table(0.0, 50.0, increasing=True, why="Mach numbers of an entry run from 0 to about 40")
AeroDrag = table(0.01, 3.0, why="a blunt capsule's drag coefficient is about 1–2 (Mars 2020 1.05–1.68); ≤ 0 would push it forward")
AeroLiftToDrag = table(0.0, 0.6, why="the entry guidance (Apollo-derived, Mendeck & Craig 2011) flies capsules of L/D 0–0.4 (Mars 2020 0.24)")


class PlanetConfig(Section):
    gm_m3_s2: bounded(1e10, 1e16, why="a rocky planet or moon (the Moon 4.9e12, Mars 4.28e13, Earth 3.99e14 m³/s²)") = 4.2828e13
    equatorial_radius_m: bounded(
        500e3, 20_000e3, why="the entry models treat the atmosphere as a thin shell over a planet of 500–20,000 km radius (Mars 3,396 km)"
    ) = 3396.19e3
    polar_radius_m: bounded(500e3, 20_000e3, why="as equatorial_radius_m") = 3376.20e3
    j2: bounded(0.0, 0.02, why="the oblateness term of a planet (Mars 1.96e-3, Earth 1.08e-3); the gravity model is a J2 expansion") = 1960.45e-6
    rotation_rate_rad_s: bounded(
        -1e-3, 1e-3, why="a day longer than 1.75 h (Mars 24.6 h); faster, the surface would near orbital speed"
    ) = 7.0882e-5
    surface_gravity_m_s2: bounded(0.1, 30.0, why="a rocky planet's surface gravity (Mars 3.71, Earth 9.81 m/s²)") = 3.71

    @model_validator(mode="after")
    def _check(self):
        if not 0.9 * self.equatorial_radius_m <= self.polar_radius_m <= self.equatorial_radius_m:
            raise ValueError(
                f"polar_radius_m {self.polar_radius_m:g} must lie between 0.9 × equatorial_radius_m and equatorial_radius_m "
                f"({self.equatorial_radius_m:g}): the planet is an oblate spheroid"
            )
        g = self.gm_m3_s2 / self.equatorial_radius_m**2
        if abs(g - self.surface_gravity_m_s2) > 0.05 * self.surface_gravity_m_s2:
            raise ValueError(
                f"gm_m3_s2 / equatorial_radius_m² is {g:.4g} m/s² but surface_gravity_m_s2 is {self.surface_gravity_m_s2:g}; "
                "make them agree within 5 % (they describe the same planet)"
            )
        if self.rotation_rate_rad_s**2 * self.equatorial_radius_m > 0.25 * g:
            raise ValueError(
                f"rotation_rate_rad_s {self.rotation_rate_rad_s:g} spins the equator at over a quarter of gravity; "
                "the planet would not hold together: give a slower rotation"
            )
        return self


class AtmosphereConfig(Section):
    surface_pressure_pa: bounded(
        1.0, 200_000.0, why="a planetary atmosphere from a trace (1 Pa) to twice Earth's; the parachute and Mach tables assume a thin one"
    ) = 580.0
    gas_constant_j_kg_k: bounded(100.0, 1000.0, why="the specific gas constant of a real gas mix (CO₂ 189, air 287 J/(kg K))") = 192.1
    gamma: Annotated[float, Field(gt=1.0, lt=1.7)] = 1.29
    tail_altitude_m: bounded(
        10_000.0, 80_000.0,
        why="where the NASA Glenn fit hands over to the isothermal tail; the fit's temperature reaches 0 K near 112 km "
        "and is colder than any measured Mars profile above 80 km",
    ) = 45_000.0
    density_scale_low: bounded(0.1, 10.0, why="a multiplier on the model density (MEDLI2 saw up to ×2.5)") = 1.0
    density_scale_high: bounded(0.1, 10.0, why="a multiplier on the model density (MEDLI2 saw up to ×2.5)") = 1.0
    density_split_altitude_m: bounded(1_000.0, 150_000.0, why="an altitude inside the modelled atmosphere") = 40_000.0


class TargetConfig(Section):
    latitude_deg: Annotated[float, Field(ge=-90, le=90)] = 18.4447
    longitude_deg: Annotated[float, Field(ge=-180, le=360)] = 77.4508


class EntryConfig(Section):
    utc: UtcText = "2021-02-18T20:36:50Z"
    altitude_m: Annotated[float, Field(gt=10_000, le=300_000)] = 125_000.0
    latitude_deg: Annotated[float, Field(ge=-90, le=90)] = 15.9630
    longitude_deg: Annotated[float, Field(ge=-180, le=360)] = 66.7356
    speed_m_s: Annotated[float, Field(gt=1000, lt=12_000)] = 5400.0
    flight_path_angle_deg: Annotated[float, Field(gt=-45, lt=0)] = -15.5
    heading_deg: Annotated[float, Field(ge=-360, le=360)] = 74.82


class VehicleConfig(Section):
    entry_mass_kg: Mass = 3440.0
    balance_mass_kg: bounded(0, 100_000.0, why="a lander part of up to 100 t (Mars 2020 enters at 3.4 t)") = 150.0
    heatshield_mass_kg: Mass = 440.0
    backshell_mass_kg: Mass = 575.0
    descent_stage_dry_mass_kg: bounded(
        0, 100_000.0, why="a descent stage of up to 100 t (Mars 2020 ≈ 850 kg); 0: none (a sky crane needs one, [sequence])"
    ) = 850.0
    propellant_mass_kg: Mass = 400.0
    rover_mass_kg: Mass = 1025.0
    diameter_m: bounded(
        0.5, 20.0, why="an entry capsule from probe to crewed size (Mars 2020 4.5 m); the aero tables are a 70° sphere-cone's"
    ) = 4.5
    aero_mach: AeroMach = [0.3, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0]
    aero_drag_coefficient: AeroDrag = [1.05, 1.12, 1.25, 1.37, 1.45, 1.52, 1.58, 1.63, 1.66, 1.68]
    aero_lift_to_drag: AeroLiftToDrag = [0.0, 0.08, 0.12, 0.16, 0.19, 0.21, 0.22, 0.23, 0.24, 0.24]
    # The lift comes from aero_lift_to_drag; the trim angle orients the capsule (its bodies and the
    # cameras on them), so it must be one a 70° sphere-cone flies at: a centre-of-mass offset trims
    # it at small negative angles (MSL/Mars 2020 −16°, Viking −11°); beyond −30° it is not stable.
    trim_angle_of_attack_deg: bounded(
        -30.0, 0.0, why="a 70° sphere-cone trims stably only at small negative angles (Mars 2020 −16°); the lift comes from aero_lift_to_drag"
    ) = -16.0
    heatshield_drag_coefficient: DragCoefficient = 1.2
    backshell_drag_coefficient: DragCoefficient = 1.3
    descent_stage_drag_area_m2: bounded(0, 200.0, lo_open=True, why="the frontal area of a descent stage and rover (est. 6 m²)") = 6.0
    descent_stage_drag_coefficient: DragCoefficient = 1.0

    @model_validator(mode="after")
    def _check(self):
        check_table("aero_mach", self.aero_mach, "aero_drag_coefficient", self.aero_drag_coefficient)
        check_table("aero_mach", self.aero_mach, "aero_lift_to_drag", self.aero_lift_to_drag)
        parts = (
            self.balance_mass_kg
            + self.heatshield_mass_kg
            + self.backshell_mass_kg
            + self.descent_stage_dry_mass_kg
            + self.propellant_mass_kg
            + self.rover_mass_kg
        )
        if abs(parts - self.entry_mass_kg) > 1.0:
            raise ValueError(
                f"entry_mass_kg is {self.entry_mass_kg:g} but the parts (balance, heat shield, backshell, "
                f"descent stage dry, propellant, rover) add up to {parts:g}; make them agree"
            )
        return self


class GuidanceConfig(Section):
    reference_bank_deg: Annotated[float, Field(ge=0, le=90)] = 45.0
    prebank_deg: Annotated[float, Field(ge=0, le=180)] = 45.0
    range_control_drag_g: Positive = 0.2
    overcontrol_gain: Positive = 4.0
    heading_alignment_speed_m_s: Positive = 1100.0
    heading_alignment_gain: Positive = 12.0
    heading_alignment_max_bank_deg: Annotated[float, Field(gt=0, le=90)] = 60.0
    reference_end_speed_m_s: Positive = 450.0
    deadband_high_speed_km: Positive = 8.0
    deadband_low_speed_km: Positive = 1.0
    deadband_reference_speed_m_s: Positive = 5000.0
    bank_rate_limit_deg_s: Positive = 20.0
    bank_acceleration_limit_deg_s2: Positive = 5.0
    sufr_bank_deg: Annotated[float, Field(ge=0, le=30)] = 0.0
    sufr_lead_s: Positive = 8.0
    sufr_max_duration_s: Positive = 15.0
    navigation_position_error_m: Annotated[
        list[bounded(-10_000.0, 10_000.0, why="a navigation error beyond 10 km is far outside what the powered descent can divert")],
        Field(min_length=3, max_length=3),
    ] = [0.0, 0.0, 0.0]  # (east, north, up)


class ParachuteConfig(Section):
    diameter_m: bounded(1.0, 100.0, why="a supersonic parachute's canopy (Mars 2020 21.5 m, the largest flown ≈ 30 m)") = 21.5
    mass_kg: Mass = 70.0
    drag_mach: table(0.0, 10.0, increasing=True, why="a parachute opens below about Mach 3") = [0.2, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5]
    drag_coefficient: table(
        0.01, 2.0, why="a parachute's drag coefficient is about 0.4–0.9; ≤ 0 would push the lander forward"
    ) = [0.56, 0.58, 0.62, 0.64, 0.62, 0.58, 0.53]
    inflation_time_s: Positive = 0.45
    # Overinflation: the canopy's drag area peaks at this multiple of its steady value at full
    # inflation, then settles to it over inflation_settle_s (1 = no overshoot).
    inflation_peak_ratio: bounded(1.0, 3.0, why="a canopy's drag area overshoots its steady value by tens of per cent, never shrinks below it at full inflation") = 1.0
    inflation_settle_s: Positive = 0.5
    deploy_range_to_target_km: Positive = 8.0
    # The other parachute triggers' values ([sequence] parachute_trigger says which fires): unset
    # unless the mission's trigger needs it.
    deploy_velocity_m_s: bounded(100.0, 1500.0, why="a supersonic parachute deploys at a few hundred m/s (MSL ≈ 400 m/s)") | None = None
    deploy_mach: bounded(0.5, 3.0, why="a disk-gap-band parachute is qualified to about Mach 2.3 (Mars 2020 1.4–2.2)") | None = None
    deploy_dynamic_pressure_pa: bounded(
        50.0, 2000.0, why="a Mars parachute deploys at a few hundred Pa (the Mars 2020 box 300–800 Pa)"
    ) | None = None
    deploy_mach_min: Positive = 1.4
    deploy_mach_max: Positive = 2.2
    deploy_dynamic_pressure_min_pa: Positive = 300.0
    deploy_dynamic_pressure_max_pa: Positive = 800.0
    suspension_length_m: Positive = 36.0
    swing_damping_ratio: Annotated[float, Field(ge=0, le=1)] = 0.08
    snatch_swing_deg: Annotated[float, Field(ge=0, le=45)] = 8.0
    heatshield_separation_delay_s: Positive = 20.0
    heatshield_separation_mach_max: Positive = 0.8
    # A lander's legs deploy this long after heat-shield separation ([sequence] leg_deployment =
    # "delay"): unset unless the mission's lander has legs.
    leg_deployment_delay_s: NonNegative | None = None

    @model_validator(mode="after")
    def _check(self):
        check_table("drag_mach", self.drag_mach, "drag_coefficient", self.drag_coefficient)
        if self.deploy_mach_min >= self.deploy_mach_max:
            raise ValueError("deploy_mach_min must be below deploy_mach_max")
        if self.deploy_dynamic_pressure_min_pa >= self.deploy_dynamic_pressure_max_pa:
            raise ValueError("deploy_dynamic_pressure_min_pa must be below deploy_dynamic_pressure_max_pa")
        return self


class PoweredDescentConfig(Section):
    radar_acquisition_height_m: bounded(
        0, 30_000.0, lo_open=True,
        why="a landing radar acquires the ground from at most a few tens of km (Mars 2020's Terminal Descent Sensor ≈ 6 km)",
    ) = 6000.0
    backshell_separation_height_m: Positive = 2100.0
    free_fall_s: NonNegative = 1.0
    engine_count: Annotated[int, Field(ge=1, le=16)] = 8
    engine_thrust_n: bounded(
        0, 50_000.0, lo_open=True,
        why="a throttled descent engine (the Mars Lander Engine ≈ 3.1 kN); far beyond, one step of the powered descent "
        "overshoots and the lander never settles",
    ) = 3100.0
    engine_cant_deg: Annotated[float, Field(ge=0, le=45)] = 15.0
    specific_impulse_s: bounded(
        50.0, 500.0, why="a chemical rocket (hydrazine ≈ 220 s, the best bipropellants ≈ 460 s); it sets the propellant burned"
    ) = 220.0
    min_throttle: Annotated[float, Field(ge=0, lt=1)] = 0.1
    max_divert_m: Positive = 600.0
    approach_duration_s: Positive = 40.0
    approach_max_thrust_fraction: Annotated[float, Field(gt=0, le=1)] = 0.85
    approach_end_height_m: Positive = 100.0
    constant_velocity_m_s: Positive = 20.0
    deceleration_start_height_m: Positive = 50.0
    skycrane_height_m: Positive = 21.0
    skycrane_speed_m_s: Positive = 0.75
    bridle_length_m: Positive = 7.6
    bridle_payout_s: Positive = 6.0
    rover_stowed_height_m: Positive = 1.7
    flyaway_duration_s: Positive = 20.0
    flyaway_distance_m: Positive = 650.0
    # Pulse-modulated thrusters ([sequence] powered_descent = "pulsed"): the pulse period and the
    # shortest pulse; unset unless the mission's engines pulse. (The heights of deceleration and
    # the sky crane are checked against each other where the sequence flies a sky crane:
    # edlcam.config.sequence.check_sequence.)
    pulse_period_s: bounded(
        0, 1.0, lo_open=True, why="pulse-modulated thrusters pulse many times a second (InSight: 10 Hz)"
    ) | None = None
    min_pulse_s: Positive | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.pulse_period_s is not None and self.min_pulse_s is not None and self.min_pulse_s > self.pulse_period_s:
            raise ValueError(f"min_pulse_s ({self.min_pulse_s:g}) must not exceed pulse_period_s ({self.pulse_period_s:g})")
        if self.radar_acquisition_height_m <= self.backshell_separation_height_m:
            raise ValueError(
                f"radar_acquisition_height_m ({self.radar_acquisition_height_m:g}) must exceed backshell_separation_height_m "
                f"({self.backshell_separation_height_m:g}): the backshell separates on the radar's height above ground"
            )
        return self


class SimulationConfig(Section):
    step_s: Annotated[float, Field(gt=0, le=0.5)] = 0.05
    entry_step_s: Annotated[float, Field(gt=0, le=1.0)] = 1.0
    entry_guidance_cycle_s: Annotated[float, Field(gt=0, le=2.0)] = 1.0
    bank_control_cycle_s: Annotated[float, Field(gt=0, le=0.5)] = 0.05
    parachute_step_s: Annotated[float, Field(gt=0, le=2.0)] = 1.0
    powered_step_s: Annotated[float, Field(gt=0, le=0.5)] = 0.1
    parachute_fine_s: NonNegative = 3.0
    # The flight records every step from entry interface; these bound its length (and memory).
    max_duration_s: bounded(
        0, 3600.0, lo_open=True, why="an entry, descent and landing lasts minutes (Mars 2020 ≈ 7 min); the flight is recorded at every step_s"
    ) = 900.0
    post_landing_s: bounded(
        0, 600.0,
        why="the bodies and the microphone are recorded at every step after touchdown; 10 min holds the descent stage's "
        "flyaway (≈ 20 s) and its impact many times over",
    ) = 60.0

    @model_validator(mode="after")
    def _whole_output_steps(self):
        # Every integration step is a whole number of output steps, so that every event falls
        # on the output grid (the flight kernel shortens steps in whole output steps).
        for name in ("entry_step_s", "entry_guidance_cycle_s", "parachute_step_s", "powered_step_s"):
            ratio = getattr(self, name) / self.step_s
            if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
                raise ValueError(f"{name} ({getattr(self, name):g} s) must be a whole multiple of step_s ({self.step_s:g} s)")
        ticks = self.step_s / self.bank_control_cycle_s
        if abs(ticks - round(ticks)) > 1e-9 or round(ticks) < 1:
            raise ValueError(
                f"step_s ({self.step_s:g} s) must be a whole multiple of bank_control_cycle_s ({self.bank_control_cycle_s:g} s)"
            )
        return self
