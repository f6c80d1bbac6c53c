"""Entry guidance in flight: the ETPC's mode sequence and its bank command (Mendeck & Craig 2011),
the law that :mod:`edlcam.flight.guidance` describes and builds the reference and gains for.

The entry phase (:func:`edlcam.flight.kernel.phases._entry_phase`) runs them once per guidance
cycle; ``P`` is the kernel's :data:`~edlcam.flight.kernel.layout.KernelParams`, ``ref`` the
reference table (speed, R, D, ḣ, L/D, F1, F2, F3 rows).
"""

from __future__ import annotations

import math

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.layout import HEADING_ALIGNMENT, PREBANK, RANGE_CONTROL
from edlcam.flight.kernel.vecmath import _at, _bracket, _clip

__all__ = ["next_entry_mode", "etpc_bank_command"]


@kernel_jit(error_model="numpy", inline="always")
def next_entry_mode(mode, speed_m_s, drag_m_s2, P):
    """Advance the entry guidance's sub-phase: pre-bank → range control once the sensed drag
    reaches ``range_control_drag_g`` → heading alignment below ``heading_alignment_speed_m_s``."""
    if mode == PREBANK and drag_m_s2 >= P.rc_drag:
        mode = RANGE_CONTROL
    if mode == RANGE_CONTROL and speed_m_s < P.ha_speed:
        mode = HEADING_ALIGNMENT
    return mode


@kernel_jit(error_model="numpy", inline="always")
def etpc_bank_command(mode, bank_sign, speed_m_s, drag_m_s2, hdot_m_s, range_to_go_m, crossrange_m, heading_error_rad, lod, ref, P):
    """The ETPC's commanded bank [rad, + lifts to the right] and the updated reversal sign
    (Mendeck & Craig 2011; :mod:`edlcam.flight.guidance`).

    ``range_to_go_m`` to the end of the reference (deploy), ``crossrange_m`` + when the target
    lies to the right, ``heading_error_rad`` + when its bearing is to the right, ``lod`` the
    vehicle's current total L/D, ``ref`` the reference table (speed, R, D, ḣ, L/D, F1, F2, F3)."""
    # Predicted range R_p = R_ref + F1 (D − D_ref) + F2 (ḣ − ḣ_ref); vertical L/D to close the gap.
    j, w = _bracket(speed_m_s, ref[0])
    r_pred = _at(ref[1], j, w) + _at(ref[5], j, w) * (drag_m_s2 - _at(ref[2], j, w)) + _at(ref[6], j, w) * (
        hdot_m_s - _at(ref[3], j, w)
    )
    f3 = _at(ref[7], j, w)
    f3_safe = f3 if abs(f3) > 1.0 else math.copysign(1.0, f3 + 1e-300)
    lod_cmd = _at(ref[4], j, w) + P.overcontrol * (range_to_go_m - r_pred) / f3_safe
    bank_mag = math.acos(_clip(lod_cmd / max(lod, 1e-6), -1.0, 1.0))
    # Reversals: leaving the crossrange deadband (quadratic in V) on the wrong side.
    db = P.db_low + (P.db_high - P.db_low) * (speed_m_s / P.db_speed) ** 2
    if crossrange_m > db:
        bank_sign = 1.0
    elif crossrange_m < -db:
        bank_sign = -1.0
    if mode == PREBANK:
        return bank_sign * P.prebank, bank_sign
    if mode == RANGE_CONTROL:
        return bank_sign * bank_mag, bank_sign
    if mode == HEADING_ALIGNMENT:
        return _clip(P.ha_gain * heading_error_rad, -P.ha_max_bank, P.ha_max_bank), bank_sign
    return P.sufr_bank, bank_sign  # SUFR: lift up
