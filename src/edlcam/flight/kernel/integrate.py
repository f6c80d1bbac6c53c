"""The lanes' integrator: one step of every lane of the block at once — the bank controller through
the step, then classical RK4 (in powered flight the midpoint rule) over the force model of
:mod:`edlcam.flight.kernel.dynamics` — in loops over the lanes that LLVM compiles to vector
instructions (AVX-512 holds 8 doubles; tests/flight/test_kernel.py checks for packed square
roots and divisions). Nothing in those loops may branch on a lane or call an opaque function:
the force model selects among its phases' terms, and the elementary functions are the kernel's
own (:mod:`edlcam.flight.kernel.vecmath`).

The block ``X`` is one flat array of rows of W columns (``layout.BLOCK_ROWS``): each lane that
steps writes its step's start, length, controls and forces into one column
(:func:`edlcam.flight.kernel.lanes._step`), and reads the step's end back from it.
"""

from __future__ import annotations

from edlcam.flight.kernel.cache import kernel_jit
from edlcam.flight.kernel.dynamics import _aero_thrust, _atmosphere, _gravity_rotating
from edlcam.flight.kernel.frames import _geodetic
from edlcam.flight.kernel.layout import (
    B_A_SOUND, B_BANK, B_BANK_CMD, B_BANK_MID, B_BANK_RATE, B_C0, B_C1, B_C2, B_CHUTE, B_DENSITY_D0, B_DENSITY_HIGH, B_DENSITY_LOW,
    B_DRAG, B_DT, B_END_A_SOUND, B_END_ALT, B_END_BANK, B_END_BANK_RATE, B_END_COS_LAT, B_END_M, B_END_PRES, B_END_RHO,
    B_END_SIN_LAT, B_END_TEMP, B_END_RX, B_END_RY, B_END_RZ, B_END_VX, B_END_VY, B_END_VZ,
    B_HEATSHIELD_ON, B_KM, B_KX, B_KY, B_KZ, B_LIFT_ON, B_LOD, B_M, B_PHASE, B_RHO, B_RX, B_RY, B_RZ, B_S0, B_S1, B_S2,
    B_SUM_M, B_SUM_RX, B_SUM_RY, B_SUM_RZ, B_SUM_VX, B_SUM_VY, B_SUM_VZ, B_T, B_T_DEPLOY, B_TICKS, B_TX, B_TY, B_TZ,
    B_UX, B_UY, B_UZ, B_VX, B_VY, B_VZ, B_WIND_X, B_WIND_Y, B_WIND_Z, FREEFALL, W,
)  # fmt: skip
from edlcam.flight.kernel.vecmath import _clip, _cos_sin, _floor, _sqrt, _wrap_once

__all__: list[str] = []  # the kernel's own integrator, called by its lanes


@kernel_jit(error_model="numpy", inline="always")
def _bank_control(X, front, P):
    """The attitude controller of every lane in entry: it tracks the held command time-optimally
    under rate and acceleration limits, with one constant angular acceleration per control tick
    (dt_bank; the ticks fall on a grid from t = 0 whatever the steps), ``ticks`` of them through
    the step. Writes the bank at the step's middle and end, its rate at the end, and the cosine
    and sine of the bank at the start, middle and end. All lanes tick together (a lane with fewer
    ticks holds still), so this too runs as vector instructions."""
    rate_lim, acc_lim, dtb = P.bank_rate_lim, P.bank_acc_lim, P.dt_bank
    most = 0.0
    for i in range(front):  # entry lanes fly RK4: they are in the front columns
        X[B_BANK_MID * W + i] = X[B_END_BANK * W + i] = X[B_BANK * W + i]
        X[B_END_BANK_RATE * W + i] = X[B_BANK_RATE * W + i]
        most = max(most, X[B_TICKS * W + i])
    for k in range(int(most)):
        for i in range(front):
            bank, rate, ticks = X[B_END_BANK * W + i], X[B_END_BANK_RATE * W + i], X[B_TICKS * W + i]
            err = _wrap_once(X[B_BANK_CMD * W + i] - bank)
            speed = min(rate_lim, _sqrt(2.0 * acc_lim * abs(err)))
            want = speed if err > 0.0 else (-speed if err < 0.0 else 0.0)
            acc = _clip(want - rate, -acc_lim * dtb, acc_lim * dtb) / dtb
            # The middle of the step lies in tick ⌊ticks / 2⌋ (at its start when ticks is even).
            tau = 0.5 * X[B_DT * W + i] - k * dtb
            moving = k < ticks
            mid = moving and k == _floor(0.5 * ticks)
            X[B_BANK_MID * W + i] = bank + tau * (rate + 0.5 * acc * tau) if mid else X[B_BANK_MID * W + i]
            rate_new = rate + acc * dtb
            X[B_END_BANK * W + i] = _wrap_once(bank + 0.5 * (rate + rate_new) * dtb) if moving else bank
            X[B_END_BANK_RATE * W + i] = rate_new if moving else rate
    for i in range(front):
        X[B_C0 * W + i], X[B_S0 * W + i] = _cos_sin(X[B_BANK * W + i])
        X[B_C1 * W + i], X[B_S1 * W + i] = _cos_sin(X[B_BANK_MID * W + i])
        X[B_C2 * W + i], X[B_S2 * W + i] = _cos_sin(X[B_END_BANK * W + i])


@kernel_jit(error_model="numpy")
def _integrate(X, n_rk4, P, aero):
    """One step of every lane of the block ``X``: classical RK4 (nodes 0, ½, ½, 1; weights 1, 2, 2,
    1 over 6), or in powered flight the midpoint rule (nodes 0, ½; weights 0, 6 over 6): over a
    0.1 s control cycle the thrust is held and gravity and the little drag left barely change, so
    its h³ error is below a millimetre. The ``n_rk4`` RK4 steps are in the front columns; stages 2
    and 3 run over those (in whole vectors of 8; a midpoint step among them ignores them). The
    first stage is the step's start, whose air the lane already computed.

    In entry the bank moves through the step under the attitude controller (:func:`_bank_control`);
    the stages see it at the step's start, middle and end.

    Each stage is one loop over the lanes with no branch and no call, which LLVM compiles to
    vector instructions (checked by a test)."""
    front = min(W, -(-n_rk4 // 8) * 8)
    _bank_control(X, front, P)
    for i in range(W):
        X[B_KX * W + i] = X[B_KY * W + i] = X[B_KZ * W + i] = X[B_KM * W + i] = 0.0  # the previous stage's v̇, ṁ
        X[B_UX * W + i], X[B_UY * W + i], X[B_UZ * W + i] = X[B_VX * W + i], X[B_VY * W + i], X[B_VZ * W + i]  # its ṙ
        X[B_SUM_RX * W + i] = X[B_SUM_RY * W + i] = X[B_SUM_RZ * W + i] = 0.0
        X[B_SUM_VX * W + i] = X[B_SUM_VY * W + i] = X[B_SUM_VZ * W + i] = X[B_SUM_M * W + i] = 0.0
    for stage in range(4 if n_rk4 > 0 else 2):
        rk_weight = 2.0 if stage == 1 or stage == 2 else 1.0
        rc = B_C0 if stage == 0 else (B_C1 if stage < 3 else B_C2)
        rs = B_S0 if stage == 0 else (B_S1 if stage < 3 else B_S2)
        for i in range(W if stage < 2 else front):
            dt = X[B_DT * W + i]
            phase = X[B_PHASE * W + i]
            midpoint = phase >= FREEFALL
            a = 0.0 if stage == 0 else (dt if stage == 3 else 0.5 * dt)
            weight = (6.0 if stage == 1 else 0.0) if midpoint else rk_weight
            kx, ky, kz, km = X[B_KX * W + i], X[B_KY * W + i], X[B_KZ * W + i], X[B_KM * W + i]
            qx, qy, qz = X[B_VX * W + i] + a * kx, X[B_VY * W + i] + a * ky, X[B_VZ * W + i] + a * kz
            sx = X[B_RX * W + i] + a * X[B_UX * W + i]
            sy = X[B_RY * W + i] + a * X[B_UY * W + i]
            sz = X[B_RZ * W + i] + a * X[B_UZ * W + i]
            sm = X[B_M * W + i] + a * km
            if stage == 0:  # the step's start: the lane computed its air already
                rho, a_sound = X[B_RHO * W + i], X[B_A_SOUND * W + i]
            else:
                _sl, _cl, h = _geodetic(sx, sy, sz, P)
                rho, _p, _t, a_sound = _atmosphere(
                    h, X[B_DENSITY_LOW * W + i], X[B_DENSITY_HIGH * W + i], X, B_DENSITY_D0 * W + i, W, P
                )
            ax, ay, az, km = _aero_thrust(
                X[B_T * W + i] + a, sx, sy, sz, qx, qy, qz, sm, rho, a_sound, X[rc * W + i], X[rs * W + i], phase,
                X[B_T_DEPLOY * W + i], X[B_HEATSHIELD_ON * W + i], X[B_LIFT_ON * W + i],
                X[B_TX * W + i], X[B_TY * W + i], X[B_TZ * W + i], X[B_WIND_X * W + i], X[B_WIND_Y * W + i],
                X[B_WIND_Z * W + i], X[B_DRAG * W + i], X[B_LOD * W + i], X[B_CHUTE * W + i], P, aero,
            )  # fmt: skip
            gx, gy, gz = _gravity_rotating(sx, sy, sz, qx, qy, qz, P)
            kx, ky, kz = gx + ax, gy + ay, gz + az
            X[B_KX * W + i], X[B_KY * W + i], X[B_KZ * W + i], X[B_KM * W + i] = kx, ky, kz, km
            X[B_UX * W + i], X[B_UY * W + i], X[B_UZ * W + i] = qx, qy, qz
            counts = weight != 0.0
            X[B_SUM_RX * W + i] += weight * qx if counts else 0.0
            X[B_SUM_RY * W + i] += weight * qy if counts else 0.0
            X[B_SUM_RZ * W + i] += weight * qz if counts else 0.0
            X[B_SUM_VX * W + i] += weight * kx if counts else 0.0
            X[B_SUM_VY * W + i] += weight * ky if counts else 0.0
            X[B_SUM_VZ * W + i] += weight * kz if counts else 0.0
            X[B_SUM_M * W + i] += weight * km if counts else 0.0
    for i in range(W):
        s6 = X[B_DT * W + i] / 6.0
        X[B_END_RX * W + i] = X[B_RX * W + i] + s6 * X[B_SUM_RX * W + i]
        X[B_END_RY * W + i] = X[B_RY * W + i] + s6 * X[B_SUM_RY * W + i]
        X[B_END_RZ * W + i] = X[B_RZ * W + i] + s6 * X[B_SUM_RZ * W + i]
        X[B_END_VX * W + i] = X[B_VX * W + i] + s6 * X[B_SUM_VX * W + i]
        X[B_END_VY * W + i] = X[B_VY * W + i] + s6 * X[B_SUM_VY * W + i]
        X[B_END_VZ * W + i] = X[B_VZ * W + i] + s6 * X[B_SUM_VZ * W + i]
        X[B_END_M * W + i] = X[B_M * W + i] + s6 * X[B_SUM_M * W + i]
    # Where each lane's step ends and its air there: what the lane's next step senses first
    # (phases._sense). In scalar code these are chains of square roots, divisions and exps that
    # each wait on the last (≈ a fifth of a step's time, perf); here 8 lanes share each instruction.
    # The same operations in the same order as the scalar code, so the same bits.
    for i in range(W):
        sin_lat, cos_lat, alt = _geodetic(X[B_END_RX * W + i], X[B_END_RY * W + i], X[B_END_RZ * W + i], P)
        rho, pres, temp, a_sound = _atmosphere(alt, X[B_DENSITY_LOW * W + i], X[B_DENSITY_HIGH * W + i], X, B_DENSITY_D0 * W + i, W, P)
        X[B_END_SIN_LAT * W + i], X[B_END_COS_LAT * W + i], X[B_END_ALT * W + i] = sin_lat, cos_lat, alt
        X[B_END_RHO * W + i], X[B_END_PRES * W + i] = rho, pres
        X[B_END_TEMP * W + i], X[B_END_A_SOUND * W + i] = temp, a_sound
