"""Elementary functions (exp, expm1, log, cos, tanh) written once, so that both engines compute them alike.

Each library's ``exp`` is a different approximation: XLA's and glibc's differ in the last bit for about 10 %
of float32 arguments and 15 % of float64 ones, and a chaotic network (COBAHH) turns one such bit into
different spike trains within 100 ms. Here each function is a fixed sequence of IEEE operations (+, -, *, /,
floor, and exact scaling by powers of two), which every engine rounds the same way as long as it does not
fuse a multiply and an add (see ``engines/jax/__init__.py``) and evaluates in the run's float type (see
``engines/numba/mathlib.py``). Accuracy: within a few units in the last place, in float32 and float64.

XLA:CPU flushes subnormal numbers to zero and Numba does not, so results below the smallest normal number
are flushed here explicitly on both engines (``exp(x)`` is 0 below about -87.3 in float32, -708.4 in float64;
``log`` of a subnormal number is ``-inf``).

``make_elementary(p, dtype)`` takes the engine's primitives: ``where``, ``ffloor`` (floor, as a float),
``pow2(n)`` (``2**n`` for an integer-valued float ``n`` in the normal exponent range, built from its bits),
``frexp(x)`` (mantissa in [0.5, 1) and
exponent as a float), ``inline`` (makes a small helper callable from the engine's compiled code) and ``function``
(the same for a larger one, compiled once however many places call it).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

#: per float type: Cody-Waite split of ln 2 (the high part has few enough bits that ``n * hi`` is exact),
#: split of pi/2 in three parts, Taylor degrees reaching half an ulp on the reduced ranges, and the range
_CONSTANTS = {
    np.dtype(np.float32): dict(
        ln2=(0.693359375, -2.12194440e-4), pio2=(1.5703125, 4.837512969970703125e-4, 7.54978995489188216e-8),
        exp_deg=8, log_deg=6, trig_deg=6, tiny=float(np.finfo(np.float32).tiny), big=88.72283935546875,
        nmin=-152.0, nmax=129.0, m1=-18.0, tanh_one=9.1),
    np.dtype(np.float64): dict(
        ln2=(6.93147180369123816490e-01, 1.90821492927058770002e-10),
        pio2=(1.57079632673412561417e+00, 6.07710050650619224932e-11, 2.02226624879595063154e-21),
        exp_deg=14, log_deg=12, trig_deg=10, tiny=float(np.finfo(np.float64).tiny), big=709.782712893384,
        nmin=-1077.0, nmax=1025.0, m1=-38.0, tanh_one=19.5),
}


def _horner(coeffs):
    """``poly(x)`` = sum of ``coeffs[k] * x**k`` by Horner's rule, written out (no loop for a compiler to unroll)."""
    body = repr(coeffs[-1])
    for c in coeffs[-2::-1]:
        body = f"({body}) * x + {c!r}"
    ns = {}
    exec(f"def poly(x):\n    return {body}\n", ns)
    return ns["poly"]


def make_elementary(p, dtype) -> SimpleNamespace:
    """``exp``, ``expm1``, ``log``, ``cos``, ``tanh`` for float type ``dtype`` on primitives ``p``."""
    k = _CONSTANTS[np.dtype(dtype)]
    ln2_hi, ln2_lo = k["ln2"]
    pio2_1, pio2_2, pio2_3 = k["pio2"]
    tiny, big, nmin, nmax, m1, tanh_one = k["tiny"], k["big"], k["nmin"], k["nmax"], k["m1"], k["tanh_one"]
    log2e, two_over_pi, sqrt_half = 1.0 / math.log(2.0), 2.0 / math.pi, math.sqrt(0.5)
    inf, nan = math.inf, math.nan
    # (expm1(r) - r) / r^2 = 1/2 + r/6 + ...; log(m) = s (2 + 2 s^2 / 3 + ...), s = (m - 1) / (m + 1); cos, sin
    em1 = p.function(_horner(tuple(1.0 / math.factorial(j + 2) for j in range(k["exp_deg"] - 1))))
    atanh = p.function(_horner(tuple(2.0 / (2 * j + 1) for j in range(k["log_deg"]))))
    cos_p = p.function(_horner(tuple((-1.0) ** j / math.factorial(2 * j) for j in range(k["trig_deg"]))))
    sin_p = p.function(_horner(tuple((-1.0) ** j / math.factorial(2 * j + 1) for j in range(k["trig_deg"]))))
    where, ffloor, pow2, frexp = p.where, p.ffloor, p.pow2, p.frexp

    @p.function
    def ldexp(y, n):
        """``y * 2**n`` in two exact halves, so that neither factor leaves the normal range."""
        half = ffloor(n * 0.5)
        return (y * pow2(half)) * pow2(n - half)

    @p.function
    def reduce_ln2(x):
        """``(n, r)`` with ``x = n ln 2 + r``, ``|r| <= ln(2) / 2``; ``n`` clamped to the float type's range."""
        n = ffloor(x * log2e + 0.5)
        n = where(n > nmax, nmax, where(n < nmin, nmin, n))
        return n, (x - n * ln2_hi) - n * ln2_lo

    @p.function
    def exp(x):
        n, r = reduce_ln2(x)
        y = ldexp(1.0 + (r + r * (r * em1(r))), n)
        y = where(y < tiny, 0.0, where(x > big, inf, y))
        return where(x == x, y, x)

    @p.function
    def expm1(x):
        n, r = reduce_ln2(x)
        n = where(x * x < 0.1, 0.0, n)  # small arguments: no reduction, full relative accuracy
        r = where(x * x < 0.1, x, r)
        q = r + r * (r * em1(r))  # expm1(r)
        scale = ldexp(1.0, n)
        y = scale * q + (scale - 1.0)
        y = where(x > big, inf, where(x < m1, -1.0, where(y < tiny, where(y > -tiny, 0.0, y), y)))
        return where(x == x, y, x)

    @p.function
    def log(x):
        m, e = frexp(where(x < tiny, 1.0, x))
        low = m < sqrt_half
        m = where(low, m + m, m)
        e = where(low, e - 1.0, e)
        s = (m - 1.0) / (m + 1.0)
        y = e * ln2_hi + (s * atanh(s * s) + e * ln2_lo)
        y = where(x < tiny, where(x < 0.0, nan, -inf), where(x == inf, inf, y))
        return where(x == x, y, x)

    @p.function
    def cos(x):
        q = ffloor(x * two_over_pi + 0.5)
        r = ((x - q * pio2_1) - q * pio2_2) - q * pio2_3
        z = r * r
        c, s = cos_p(z), r * sin_p(z)
        quadrant = q - 4.0 * ffloor(q * 0.25)
        y = where(quadrant == 0.0, c, where(quadrant == 1.0, -s, where(quadrant == 2.0, -c, s)))
        return where(x - x == 0.0, y, x - x)  # NaN for NaN and +-inf

    @p.function
    def tanh(x):
        a = where(x < 0.0, -x, x)
        e = expm1(a + a)
        t = where(a > tanh_one, 1.0, e / (e + 2.0))
        return where(x == x, where(x < 0.0, -t, t), x)

    return SimpleNamespace(exp=exp, expm1=expm1, log=log, cos=cos, tanh=tanh)
