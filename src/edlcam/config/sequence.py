"""The mission's EDL sequence: what flies each phase and what ends it (``[sequence]``).

The flight kernel flies the phases in one order — entry, parachute (heat shield off, then radar
lock), backshell separation, free fall, powered approach, terminal descent, touchdown — and the
mission chooses, phase by phase, the model that flies it and the trigger that ends it:

- ``entry``: ``guided`` (the Entry Terminal Point Controller steers the lift by banking,
  Mendeck & Craig 2011) or ``ballistic`` (no bank steering: the capsule flies lift up, or with
  no lift at all when its L/D table is zero);
- ``parachute_trigger``: ``range`` (the range to the target, ``[parachute]
  deploy_range_to_target_km``: Mars 2020's Range Trigger), ``navigated_velocity`` (the navigated
  planet-relative speed, ``deploy_velocity_m_s``: MSL), ``mach`` (``deploy_mach``) or
  ``dynamic_pressure`` (``deploy_dynamic_pressure_pa``, once the Mach is inside the deploy box);
- ``heatshield_separation``: ``delay`` — after ``[parachute] heatshield_separation_delay_s``
  below ``heatshield_separation_mach_max`` (the only model flown so far);
- ``backshell_separation``: ``radar_height`` — at ``[powered_descent]
  backshell_separation_height_m`` above the ground the radar measures (the only model);
- ``powered_descent``: ``throttleable`` engines (Mars 2020's and MSL's eight MLEs);
- ``terminal_descent``: ``skycrane`` (the rover lowered on bridles from a descent stage);
- ``touchdown``: ``bridle`` (the descent stage senses the rover's weight come off the bridles).

A sequence the vehicle cannot fly is refused when the mission loads (:func:`check_sequence`):
a trigger without its parameter, a sky crane without a descent stage. The choices compile into
integer codes of the kernel's parameters (:mod:`edlcam.flight.kernel.layout`), so the kernel's
phase steps branch on them without leaving compiled code.
"""

from __future__ import annotations

from typing import Literal

from edlcam.config.base import Section

__all__ = ["SequenceConfig", "check_sequence", "TRIGGER_PARAMETER"]

#: The [parachute] field each parachute trigger fires on.
TRIGGER_PARAMETER = {
    "range": "deploy_range_to_target_km",
    "navigated_velocity": "deploy_velocity_m_s",
    "mach": "deploy_mach",
    "dynamic_pressure": "deploy_dynamic_pressure_pa",
}


class SequenceConfig(Section):
    entry: Literal["guided", "ballistic"] = "guided"
    parachute_trigger: Literal["range", "navigated_velocity", "mach", "dynamic_pressure"] = "range"
    heatshield_separation: Literal["delay"] = "delay"
    backshell_separation: Literal["radar_height"] = "radar_height"
    powered_descent: Literal["throttleable"] = "throttleable"
    terminal_descent: Literal["skycrane"] = "skycrane"
    touchdown: Literal["bridle"] = "bridle"


def check_sequence(mission) -> None:
    """Refuse a sequence the vehicle cannot fly, naming the field (ValueError, one line)."""
    seq, pc, veh = mission.sequence, mission.parachute, mission.vehicle
    trigger = seq.parachute_trigger
    parameter = TRIGGER_PARAMETER[trigger]
    value = getattr(pc, parameter)
    if value is None:
        raise ValueError(
            f"'sequence.parachute_trigger' is {trigger!r} but '[parachute] {parameter}' is not given; "
            f"add it (the value the {trigger.replace('_', ' ')} trigger deploys the parachute at) or choose another trigger"
        )
    if trigger == "mach" and not pc.deploy_mach_min <= value <= pc.deploy_mach_max:
        raise ValueError(
            f"'parachute.deploy_mach' is {value:g} but the deploy box is Mach {pc.deploy_mach_min:g}–{pc.deploy_mach_max:g} "
            "('parachute.deploy_mach_min' … 'deploy_mach_max'); put the trigger inside the box"
        )
    if seq.terminal_descent == "skycrane" and veh.descent_stage_dry_mass_kg <= 0.0:
        raise ValueError(
            "'sequence.terminal_descent' is 'skycrane' but '[vehicle] descent_stage_dry_mass_kg' is 0: a sky crane needs a "
            "descent stage to lower the rover from; give its mass"
        )
