"""The compiled flight kernel: trajectories from entry interface to touchdown, in numba.

:func:`edlcam.flight.sequencer.fly` hands every case to :func:`fly_cases` (or one case to
:func:`fly_recorded`, which records every step), which flies them in W = 32 lanes: each lane steps
its own case (fixed steps: RK4, the midpoint rule in powered flight, the controls held over a
step — the phases, guidance and events described in :mod:`edlcam.flight.sequencer`), and the
lanes' steps are integrated together, the force model running on all of them in vector
instructions. It is written by hand because no library flies a guided multi-phase EDL: the models
are this project's (ETPC entry guidance, the parachute sequence, E-guidance and the sky crane),
and numpy cannot fly them fast enough for a Monte Carlo (an array program pays microseconds per
operation and per step; a Monte Carlo of 2,000 landings is 2 million steps). numba compiles it to
machine code and caches it on disk (:mod:`~edlcam.flight.kernel.cache`).

A trajectory never sees another case: a lane's arithmetic does not depend on the other lanes, so
its result does not depend on the batch, its lane, the number of workers or their order:
reproducibility comes from the structure, not from care in reductions.

One module per concept, the way poliastro's ``core`` keeps its jitted functions in modules named
for what they compute; each imports only those above it:

- :mod:`~edlcam.flight.kernel.layout` — the codes (phases, entry modes, events, statuses), the
  columns of the inputs and outputs, :data:`KernelParams`, the lanes' state and block (plain Python);
- :mod:`~edlcam.flight.kernel.cache` — numba's disk cache keyed on every kernel module's source;
- :mod:`~edlcam.flight.kernel.vecmath` — √, e^x, cos/sin, tables: arithmetic the lanes vectorize;
- :mod:`~edlcam.flight.kernel.frames` — geodetic and ENU coordinates, the target's geometry, the ground;
- :mod:`~edlcam.flight.kernel.dynamics` — the force model: equations of motion, air and wind, aerodynamics, thrust;
- :mod:`~edlcam.flight.kernel.entry` — entry guidance (ETPC) in flight;
- :mod:`~edlcam.flight.kernel.navigation` — entry navigation: the navigated state the guidance flies on;
- :mod:`~edlcam.flight.kernel.powered` — powered-descent guidance (E-guidance, terminal phases, engines);
- :mod:`~edlcam.flight.kernel.steps` — the step policy: each step's length, and when to read the ground;
- :mod:`~edlcam.flight.kernel.phases` — one lane's step of each phase: sense, fail, fly the phase;
- :mod:`~edlcam.flight.kernel.integrate` — the lanes' integrator (RK4 / midpoint, the bank controller);
- :mod:`~edlcam.flight.kernel.lanes` — the lanes: each lane's step, then all integrated; the entry points.

Names with a leading underscore are the kernel's own, shared among its modules; outside the
package only this module's ``__all__`` and :mod:`~edlcam.flight.kernel.layout` are meant to be used
(and the private functions by the tests that check them). Units are SI, angles in radians unless a
name says ``_deg``; vectors are (x, y, z) tuples of floats in the planet-fixed frame unless a name
says ENU (the target's east-north-up frame).
"""

from __future__ import annotations

from edlcam.flight.kernel.layout import (
    CASE_FIELDS,
    EVENT_FIELDS,
    N_EVENT_FIELDS,
    N_EVENTS,
    RECORD_COLUMNS,
    STATUS_CODES,
    SUMMARY_FIELDS,
    KernelParams,
)
from edlcam.lazy import lazy_names

__all__ = [
    "KernelParams",
    "next_entry_mode",
    "etpc_bank_command",
    "RECORD_COLUMNS",
    "SUMMARY_FIELDS",
    "CASE_FIELDS",
    "EVENT_FIELDS",
    "N_EVENTS",
    "N_EVENT_FIELDS",
    "STATUS_CODES",
    "fly_cases",
    "fly_recorded",
]

# The compiled entry points import numba and load the kernel from its cache: on first use, so that
# a process that only reads the layout (the Monte Carlo's client, guidance's reference) never pays.
__getattr__ = lazy_names(
    __name__, {"etpc_bank_command": "entry", "next_entry_mode": "entry", "fly_cases": "lanes", "fly_recorded": "lanes"}
)
