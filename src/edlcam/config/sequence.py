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
- ``leg_deployment``: ``none`` (a rover on wheels) or ``delay`` — a lander's legs deploy
  ``[parachute] leg_deployment_delay_s`` after heat-shield separation (Phoenix, InSight);
- ``backshell_separation``: ``radar_height`` — at ``[powered_descent]
  backshell_separation_height_m`` above the ground the radar measures (the only model);
- ``powered_descent``: ``throttleable`` engines (Mars 2020's and MSL's eight MLEs) or ``pulsed``
  — pulse-modulated thrusters at full thrust or off, the thrust a duty cycle over each
  ``[powered_descent] pulse_period_s`` in steps of ``min_pulse_s`` (Phoenix's and InSight's twelve
  MR-107N);
- ``terminal_descent``: ``skycrane`` (the rover lowered on bridles from a descent stage) or
  ``legs`` (the lander keeps ``[powered_descent] constant_velocity_m_s`` down to the ground);
- ``touchdown``: ``bridle`` (the descent stage senses the rover's weight come off the bridles) or
  ``leg_switch`` (a leg's touchdown sensor trips and the engines cut). The kernel ends the flight
  at the ground's contact either way; what a touchdown survives is the touchdown's
  (:data:`TOUCHDOWN_LIMITS_M_S`).

A sequence the vehicle cannot fly is refused when the mission loads (:func:`check_sequence`):
a trigger without its parameter, a sky crane without a descent stage, a touchdown on legs that
never deploy, pulsed thrusters without their pulse. The choices compile into integer codes of
the kernel's parameters (:mod:`edlcam.flight.kernel.layout`), so the kernel's phase steps
branch on them without leaving compiled code.
"""

from __future__ import annotations

from typing import Literal

from edlcam.config.base import Section

__all__ = ["SequenceConfig", "check_sequence", "TRIGGER_PARAMETER", "TOUCHDOWN_LIMITS_M_S"]

#: The [parachute] field each parachute trigger fires on.
TRIGGER_PARAMETER = {
    "range": "deploy_range_to_target_km",
    "navigated_velocity": "deploy_velocity_m_s",
    "mach": "deploy_mach",
    "dynamic_pressure": "deploy_dynamic_pressure_pa",
}


#: The touchdown a lander survives, (vertical, horizontal) [m/s], by what senses it: the rover on
#: its wheels under a sky crane (est., as before: Mars 2020's nominal 0.75 m/s, its rocker-bogie
#: sized for more) or a lander on crushable legs (est.: Phoenix's and InSight's legs land at the
#: nominal 2.4 m/s, NASA/JPL; the margin above it est.).
TOUCHDOWN_LIMITS_M_S = {"bridle": (2.0, 1.0), "leg_switch": (3.5, 1.0)}


class SequenceConfig(Section):
    entry: Literal["guided", "ballistic"] = "guided"
    parachute_trigger: Literal["range", "navigated_velocity", "mach", "dynamic_pressure"] = "range"
    heatshield_separation: Literal["delay"] = "delay"
    leg_deployment: Literal["none", "delay"] = "none"
    backshell_separation: Literal["radar_height"] = "radar_height"
    powered_descent: Literal["throttleable", "pulsed"] = "throttleable"
    terminal_descent: Literal["skycrane", "legs"] = "skycrane"
    touchdown: Literal["bridle", "leg_switch"] = "bridle"


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
    _check_legs(seq, pc)
    _check_engines(seq, mission.powered_descent, mission.simulation)
    _check_terminal(seq, mission.powered_descent)


def _check_legs(seq, pc) -> None:
    """Legs that deploy need their delay; a touchdown on legs needs legs."""
    if seq.leg_deployment == "delay" and pc.leg_deployment_delay_s is None:
        raise ValueError(
            "'sequence.leg_deployment' is 'delay' but '[parachute] leg_deployment_delay_s' is not given; add it (how long "
            "after heat-shield separation the legs deploy)"
        )
    if seq.terminal_descent == "legs" and seq.leg_deployment == "none":
        raise ValueError(
            "'sequence.terminal_descent' is 'legs' but 'sequence.leg_deployment' is 'none': the lander would touch down on "
            "legs it never deployed; set leg_deployment = \"delay\""
        )
    if seq.touchdown == "leg_switch" and seq.terminal_descent != "legs":
        raise ValueError(
            f"'sequence.touchdown' is 'leg_switch' but 'sequence.terminal_descent' is {seq.terminal_descent!r}: leg switches "
            "sense a lander's legs touching down; use terminal_descent = \"legs\" or touchdown = \"bridle\""
        )
    if seq.touchdown == "bridle" and seq.terminal_descent != "skycrane":
        raise ValueError(
            f"'sequence.touchdown' is 'bridle' but 'sequence.terminal_descent' is {seq.terminal_descent!r}: only a sky crane "
            "has bridles to sense the rover's weight come off; use touchdown = \"leg_switch\""
        )


def _check_engines(seq, pd, sim) -> None:
    """Pulsed thrusters need their pulse period and shortest pulse, and the control step whole periods."""
    if seq.powered_descent != "pulsed":
        return
    for name in ("pulse_period_s", "min_pulse_s"):
        if getattr(pd, name) is None:
            raise ValueError(
                f"'sequence.powered_descent' is 'pulsed' but '[powered_descent] {name}' is not given; add it (pulse-modulated "
                "thrusters fire a duty cycle of each pulse period, in steps of the shortest pulse)"
            )
    periods = sim.powered_step_s / pd.pulse_period_s
    if abs(periods - round(periods)) > 1e-9 or round(periods) < 1:
        raise ValueError(
            f"'simulation.powered_step_s' is {sim.powered_step_s:g} s but pulsed thrusters need whole pulse periods "
            f"('[powered_descent] pulse_period_s' = {pd.pulse_period_s:g} s) in each control step"
        )


def _check_terminal(seq, pd) -> None:
    """A sky crane's heights fall in order, and its rover hangs clear of the ground when it starts."""
    if seq.terminal_descent != "skycrane":
        return
    if not (pd.approach_end_height_m > pd.deceleration_start_height_m > pd.skycrane_height_m):
        raise ValueError(
            "'powered_descent' heights must fall in order: approach_end_height_m > deceleration_start_height_m > "
            "skycrane_height_m"
        )
    if pd.skycrane_height_m <= pd.bridle_length_m + pd.rover_stowed_height_m:
        raise ValueError("'powered_descent.skycrane_height_m' must exceed bridle_length_m + rover_stowed_height_m")
