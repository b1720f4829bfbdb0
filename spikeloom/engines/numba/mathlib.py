"""The math namespace ``xp`` bound to scalar Numba code: model factories call ``xp.exp``, ``xp.where``, ...

Numba freezes module attributes at compile time, so these cost nothing inside the compiled loop.
"""

import math

import numba
import numpy as np

exp = math.exp
expm1 = math.expm1
log = math.log
sqrt = math.sqrt
floor = math.floor
cos = math.cos
tanh = math.tanh
u = np.uint64


@numba.njit(inline="always")
def where(cond, a, b):
    return a if cond else b


@numba.njit(inline="always")
def maximum(a, b):
    return a if a > b else b


@numba.njit(inline="always")
def minimum(a, b):
    return a if a < b else b


@numba.njit(inline="always")
def mask(x):
    return x & np.uint64(0xFFFFFFFF)


@numba.njit(inline="always")
def to_float(x):
    return np.float64(x)


def inline(fn):
    """Make a helper of a model factory callable from compiled code (inlined at the call site)."""
    return numba.njit(inline="always")(fn)


@numba.njit(inline="always")
def spike(x):
    """Heaviside step of a threshold distance: ``x >= 0`` (``V_new - V_th >= 0`` iff ``V_new >= V_th``)."""
    return x >= 0.0


def function(fn):
    """Make a larger helper callable from compiled code, compiled once however many places call it."""
    return numba.njit(fn)

