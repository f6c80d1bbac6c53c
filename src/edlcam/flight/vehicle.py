"""The vehicle as the flight dynamics sees it: masses, areas and aerodynamic tables.

Built once from the mission (:meth:`Vehicle.from_mission`); everything is SI. Tables are
interpolated linearly in Mach and held constant beyond their ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Vehicle"]


@dataclass(frozen=True)
class Vehicle:
    """Mass and aerodynamic properties of every configuration of the Mars 2020 stack."""

    entry_mass_kg: float
    balance_mass_kg: float
    heatshield_mass_kg: float
    backshell_mass_kg: float
    descent_stage_dry_mass_kg: float
    propellant_mass_kg: float
    rover_mass_kg: float
    reference_area_m2: float
    aero_mach: np.ndarray
    aero_cd: np.ndarray
    aero_lod: np.ndarray
    trim_angle_of_attack_rad: float
    heatshield_cd: float
    backshell_cd: float
    descent_stage_cda_m2: float
    chute_area_m2: float
    chute_mach: np.ndarray
    chute_cd_table: np.ndarray
    chute_inflation_s: float
    chute_peak_ratio: float
    chute_settle_s: float
    chute_mass_kg: float
    max_thrust_n: float
    exhaust_speed_m_s: float
    min_throttle: float
    nose_radius_m: float

    @classmethod
    def from_mission(cls, mission) -> "Vehicle":
        v, p, pd = mission.vehicle, mission.parachute, mission.powered_descent
        return cls(
            entry_mass_kg=v.entry_mass_kg,
            balance_mass_kg=v.balance_mass_kg,
            heatshield_mass_kg=v.heatshield_mass_kg,
            backshell_mass_kg=v.backshell_mass_kg,
            descent_stage_dry_mass_kg=v.descent_stage_dry_mass_kg,
            propellant_mass_kg=v.propellant_mass_kg,
            rover_mass_kg=v.rover_mass_kg,
            reference_area_m2=math.pi * (v.diameter_m / 2.0) ** 2,
            aero_mach=np.asarray(v.aero_mach, float),
            aero_cd=np.asarray(v.aero_drag_coefficient, float),
            aero_lod=np.asarray(v.aero_lift_to_drag, float),
            trim_angle_of_attack_rad=math.radians(v.trim_angle_of_attack_deg),
            heatshield_cd=v.heatshield_drag_coefficient,
            backshell_cd=v.backshell_drag_coefficient,
            descent_stage_cda_m2=v.descent_stage_drag_area_m2 * v.descent_stage_drag_coefficient,
            chute_area_m2=math.pi * (p.diameter_m / 2.0) ** 2,
            chute_mach=np.asarray(p.drag_mach, float),
            chute_cd_table=np.asarray(p.drag_coefficient, float),
            chute_inflation_s=p.inflation_time_s,
            chute_peak_ratio=p.inflation_peak_ratio,
            chute_settle_s=p.inflation_settle_s,
            chute_mass_kg=p.mass_kg,
            # Engines are canted outward; only the cosine of the cant pushes along the thrust axis.
            max_thrust_n=pd.engine_count * pd.engine_thrust_n * math.cos(math.radians(pd.engine_cant_deg)),
            exhaust_speed_m_s=pd.specific_impulse_s * 9.80665,
            min_throttle=pd.min_throttle,
            # 70° sphere-cone with a nose radius of half the base radius (MSL: 1.125 m of 2.25 m), est.
            nose_radius_m=v.diameter_m / 4.0,
        )

    @property
    def powered_mass_kg(self) -> float:
        """Mass at backshell separation: descent stage (wet) and rover."""
        return self.descent_stage_dry_mass_kg + self.propellant_mass_kg + self.rover_mass_kg

    def capsule_cd(self, mach):
        """Entry-capsule drag coefficient at ``mach`` (table of the mission file)."""
        return np.interp(mach, self.aero_mach, self.aero_cd)

    def capsule_lod(self, mach):
        """Entry-capsule trim lift-to-drag ratio at ``mach``."""
        return np.interp(mach, self.aero_mach, self.aero_lod)

    def chute_cd(self, mach):
        """Disk-gap-band drag coefficient at ``mach``."""
        return np.interp(mach, self.chute_mach, self.chute_cd_table)

    def chute_inflated_fraction(self, t_since_deploy_s):
        """Fraction of the canopy's drag area open, 0 → 1 over the inflation time.

        Area grows with the square of time during inflation, the usual "constant filling distance"
        shape for a supersonic DGB (Cruz et al. 2014), then stays at 1.
        """
        x = np.clip(np.asarray(t_since_deploy_s, float) / self.chute_inflation_s, 0.0, 1.0)
        return x * x

    def chute_drag_area_factor(self, t_since_deploy_s):
        """The canopy's drag area over its steady value: the inflated fraction times the
        overinflation (:func:`edlcam.flight.kernel.dynamics._inflation_factor`, which the flight
        flies; this is its NumPy twin for the run folder's readers)."""
        dt = np.asarray(t_since_deploy_s, float)
        s = np.clip((dt - self.chute_inflation_s) / self.chute_settle_s, 0.0, 1.0)
        return self.chute_inflated_fraction(dt) * (self.chute_peak_ratio - (self.chute_peak_ratio - 1.0) * s)
