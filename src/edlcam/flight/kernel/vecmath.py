"""The kernel's arithmetic that the lanes can vectorize: √x, ⌊x⌋, e^x, (cos x, sin x), angle
wrapping, clipping and the table reads of the guidance reference and the vehicle's Mach tables.

The force model runs on W lanes at once (:func:`edlcam.flight.kernel.integrate._integrate`), and
LLVM turns that loop into vector instructions only if nothing in it is an opaque call. numba's
math.sqrt and math.exp are calls into libm (sqrt one that may set errno); these are the LLVM
intrinsic for the square root (IEEE, so the same bits as libm's) and an exp of this project's:
Cody–Waite reduction by ln 2 and a degree-13 Taylor polynomial, within an ulp or two of libm's.
(numba vectorizes libm's exp only through Intel's SVML with ``fastmath``, which would change results
with the CPU; nothing in the kernel uses ``fastmath``.)
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from edlcam.flight.kernel.cache import kernel_jit

__all__: list[str] = []  # the kernel's own helpers, imported by its modules

# ----------------------------------------------------------------------------------------------
# Tables


@kernel_jit(error_model="numpy", inline="always")
def _bracket(x, xs):
    """Index ``j`` and weight ``w`` such that ``ys[j] + w (ys[j+1] − ys[j])`` interpolates any
    column ``ys`` of a table on ``xs`` at ``x`` (held at the ends, as np.interp): one search
    for several columns."""
    n = xs.shape[0]
    if x <= xs[0]:
        return 0, 0.0
    if x >= xs[n - 1]:
        return n - 2, 1.0
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo, (x - xs[lo]) / (xs[hi] - xs[lo])


@kernel_jit(error_model="numpy", inline="always")
def _at(ys, j, w):
    return ys[j] + w * (ys[j + 1] - ys[j])


@kernel_jit(error_model="numpy", inline="always")
def _table_pair(x, xs, ya, yb):
    """np.interp for one point of two columns ``ya``, ``yb`` of a small table given as tuples (the
    vehicle's Mach tables), the same arithmetic as ``_at(ys, *_bracket(x, xs))`` but without a
    branch: the lanes of :func:`edlcam.flight.kernel.integrate._integrate` each pick their own
    row (a chain of selects) and stay in one vector."""
    n = len(xs)
    x0, x1, a0, a1, b0, b1 = xs[0], xs[1], ya[0], ya[1], yb[0], yb[1]
    for k in range(1, n - 1):
        up = xs[k] <= x
        x0 = xs[k] if up else x0
        x1 = xs[k + 1] if up else x1
        a0 = ya[k] if up else a0
        a1 = ya[k + 1] if up else a1
        b0 = yb[k] if up else b0
        b1 = yb[k + 1] if up else b1
    w = (x - x0) / (x1 - x0)
    w = 0.0 if x <= xs[0] else w
    w = 1.0 if x >= xs[n - 1] else w
    return a0 + w * (a1 - a0), b0 + w * (b1 - b0)


@kernel_jit(error_model="numpy", inline="always")
def _table_at(x, xs, ys):
    """:func:`_table_pair` of one column."""
    return _table_pair(x, xs, ys, ys)[0]


# ----------------------------------------------------------------------------------------------
# Vectorizable elementary functions


@intrinsic
def _sqrt(typingctx, x):
    """√x as the llvm.sqrt intrinsic."""

    def codegen(context, builder, sig, args):
        return builder.call(builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()]), [args[0]])

    return types.float64(types.float64), codegen


@intrinsic
def _floor(typingctx, x):
    """⌊x⌋ as the llvm.floor intrinsic."""

    def codegen(context, builder, sig, args):
        return builder.call(builder.module.declare_intrinsic("llvm.floor", [ir.DoubleType()]), [args[0]])

    return types.float64(types.float64), codegen


@intrinsic
def _bits_as_f64(typingctx, x):
    """The float64 whose bits are the int64 ``x``."""

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts: n·_LN2_HI is exact for |n| < 2^11
_LN2_LO = 1.90821492927058770002e-10
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = (1.0 / math.factorial(k) for k in range(2, 14))


@kernel_jit(error_model="numpy", inline="always")
def _exp(x):
    """e^x for x in [−708, 709] (clamped there): e^x = 2^n e^r, n = round(x / ln 2), |r| ≤ ln2 / 2,
    e^r − 1 = r + r² Σ r^k / (k + 2)! to k = 11, summed by Estrin's scheme (short dependency chains:
    the scalar step waits on it)."""
    x = min(max(x, -708.0), 709.0)
    n = _floor(x * _LOG2E + 0.5)
    r = (x - n * _LN2_HI) - n * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    b0 = (_E2 + _E3 * r) + (_E4 + _E5 * r) * r2
    b1 = (_E6 + _E7 * r) + (_E8 + _E9 * r) * r2
    b2 = (_E10 + _E11 * r) + (_E12 + _E13 * r) * r2
    p = r + r2 * ((b0 + b1 * r4) + b2 * (r4 * r4))  # e^r − 1
    scale = _bits_as_f64((np.int64(n) + 1023) << 52)  # 2^n
    return scale + scale * p


_2_OVER_PI = 2.0 / math.pi
_PIO2_HI = 1.57079632673412561417e00  # π/2 in two parts (fdlibm's pio2_1, pio2_1t): n·_PIO2_HI is exact
_PIO2_LO = 6.07710050650619224932e-11
_S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8 = ((-1.0) ** k / math.factorial(2 * k + 1) for k in range(1, 9))  # r^3 … r^17
_C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8 = ((-1.0) ** k / math.factorial(2 * k) for k in range(1, 9))  # r^2 … r^16


@kernel_jit(error_model="numpy", inline="always")
def _cos_sin(x):
    """(cos x, sin x) for |x| < 10^5 (bank angles), within an ulp or two of libm's: x = n π/2 + r,
    |r| ≤ π/4, Taylor polynomials of r to degree 16 and 17, the quadrant n mod 4 by selects."""
    n = _floor(x * _2_OVER_PI + 0.5)
    r = (x - n * _PIO2_HI) - n * _PIO2_LO
    r2 = r * r
    sp = _S1 + r2 * (_S2 + r2 * (_S3 + r2 * (_S4 + r2 * (_S5 + r2 * (_S6 + r2 * (_S7 + r2 * _S8))))))
    cp = _C1 + r2 * (_C2 + r2 * (_C3 + r2 * (_C4 + r2 * (_C5 + r2 * (_C6 + r2 * (_C7 + r2 * _C8))))))
    s = r + r * r2 * sp
    c = 1.0 + r2 * cp
    q = np.int64(n) & 3
    sin_x = s if q == 0 else (c if q == 1 else (-s if q == 2 else -c))
    cos_x = c if q == 0 else (-s if q == 1 else (-c if q == 2 else s))
    return cos_x, sin_x


@kernel_jit(error_model="numpy", inline="always")
def _wrap_once(x):
    """``x`` in [−π, π) for ``x`` in [−3π, 3π): a difference of two angles in [−π, π), or one
    moved by a small step (the bank actuator wraps 40 times a second; no division needed)."""
    x = x - 2.0 * math.pi if x >= math.pi else x
    return x + 2.0 * math.pi if x < -math.pi else x


@kernel_jit(error_model="numpy", inline="always")
def _clip(x, lo, hi):
    return min(max(x, lo), hi)

