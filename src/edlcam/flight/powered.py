"""Powered-descent guidance: the Apollo explicit (E-guidance) law for the powered approach, then
velocity-tracking terminal phases (constant velocity, constant deceleration, sky crane).

Powered approach — the explicit guidance law of Cherry (1964, "A general, explicit, optimizing
guidance law for rocket-propelled spaceflight", AIAA 64-638), the root of Apollo's lunar descent
guidance (Klumpp, "Apollo Lunar Descent Guidance", Automatica 10, 1974). With a linear-in-time
acceleration (constant jerk) that meets position ``r_f`` and velocity ``v_f`` after the
time-to-go ``T``, the acceleration required now is::

    a = 6 (r_f − r) / T²  −  (4 v + 2 v_f) / T

and the thrust acceleration is ``a − g``. Klumpp's quadratic form also meets a target
acceleration; we drop that term (the terminal phases that follow take over the final state),
which is why this is E-guidance rather than the full P63/P64 programme. Chosen over convex
G-FOLD because it is closed-form (no iteration, a few operations per control cycle) and is the law MSL's
powered approach descends from (Singh, San Martin & Wong, IEEE Aerospace 2007).

The laws fly in the flight kernel (:mod:`edlcam.flight.kernel`: ``_e_guidance``,
``_time_to_go``, the terminal phases and the bridle's payout rate); this module keeps the length
of bridle paid out, for the bodies' tracks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bridle_length_m"]


def bridle_length_m(t_since_start_s, *, length_m: float, payout_s: float):
    """Bridle paid out [m]: a smooth (half-cosine) payout from 0 to ``length_m`` in ``payout_s``."""
    x = np.clip(np.asarray(t_since_start_s, float) / payout_s, 0.0, 1.0)
    return length_m * 0.5 * (1.0 - np.cos(np.pi * x))
