"""Names of the EDL events the flight records (docs/run-folder.md; read them with
:func:`edlcam.runfolder.read_events`): Mars 2020's in flight order, then the events of other
sequences (``[sequence]``, :mod:`edlcam.config.sequence`), appended so that the codes of the
first stay what they were (the live telemetry sends an event as its index here). The run
folder lists the events that happened in the order they happened.

A module of its own, free of heavy imports, so that every later stage can name the events.
"""

from __future__ import annotations

__all__ = ["EVENT_NAMES", "MINOR_EVENT_NAMES", "EVENT_LABELS"]

EVENT_NAMES = (
    "entry_interface",
    "peak_heating",
    "peak_deceleration",
    "parachute_deploy",
    "heatshield_separation",
    "backshell_separation",
    "powered_descent_start",
    "skycrane_start",
    "touchdown",
    "leg_deployment",  # a lander's legs (Phoenix, InSight), after heat-shield separation
)
MINOR_EVENT_NAMES = (
    "range_control_start",
    "heading_alignment_start",
    "sufr_start",
    "balance_mass_jettison",
    "mortar_fire",
    "radar_lock",
    "constant_velocity_start",
    "deceleration_start",
)

# How people read the events (film captions, mission control, the web viewer).
EVENT_LABELS = {
    "entry_interface": "Entry interface",
    "peak_heating": "Peak heating",
    "peak_deceleration": "Peak deceleration",
    "parachute_deploy": "Parachute deploy",
    "heatshield_separation": "Heat shield separation",
    "backshell_separation": "Backshell separation",
    "powered_descent_start": "Powered descent",
    "skycrane_start": "Sky crane",
    "touchdown": "Touchdown",
    "leg_deployment": "Leg deployment",
}
