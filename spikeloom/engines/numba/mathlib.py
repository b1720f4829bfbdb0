"""The math namespace ``xp`` bound to scalar Numba code: model factories call ``xp.exp``, ``xp.where``, ...

Numba freezes module attributes at compile time, so these cost nothing inside the compiled loop.

This module is the float64 namespace. ``namespace(dtype)`` gives the one a run of another float type binds:
Numba types a Python float literal as float64, so ``0.32 * x`` with a float32 ``x`` would be computed in
float64 (and rounded only when stored), whereas JAX computes it in float32 (its literals are weakly typed).
The run's namespace rewrites the float literals of every function it makes callable (``inline``,
``function``) into the run's float type, so both engines evaluate the same float32 operations.
``exp``, ``expm1``, ``log``, ``cos`` and ``tanh`` are the engine-neutral ones of :mod:`..elementary`, each
compiled once; ``inlined`` holds the same functions inlined at their call sites (frexp read from the bits), and
``kernel`` compiles a helper apart with NumPy's error model, so that loops of random draws vectorize.
"""

import functools
import math
import sys
import types

import numba
import numpy as np
from numba.core import types as nbtypes
from numba.extending import intrinsic

from ..elementary import make_elementary

sqrt = math.sqrt
floor = math.floor
u = np.uint64


def _select(typingctx, cond, a, b, compare=None):
    """Typing and code of ``a if cond else b`` as one LLVM ``select`` (``cond`` is ``compare(a, b)`` when given).

    Written as intrinsics, not as ``inline="always"`` functions: Numba inlines those by copying their IR at
    every call site, which made up a third of the compile time of a model with some 60 selects (the DYNAP-SE
    neuron); a select costs nothing to compile, and has no branch that could stop a loop from vectorizing."""
    out = typingctx.unify_types(a, b)
    scalar = (nbtypes.Boolean, nbtypes.Number)
    if not isinstance(out, scalar) or (compare is None and not isinstance(cond, scalar)):
        return None

    def codegen(context, builder, signature, args):
        x = context.cast(builder, args[-2], signature.args[-2], out)
        y = context.cast(builder, args[-1], signature.args[-1], out)
        if compare is None:
            flag = context.cast(builder, args[0], signature.args[0], nbtypes.boolean)
        elif isinstance(out, nbtypes.Float):
            flag = builder.fcmp_ordered(compare, x, y)
        else:
            flag = (builder.icmp_signed if out.signed else builder.icmp_unsigned)(compare, x, y)
        return builder.select(flag, x, y)

    return (out(cond, a, b) if compare is None else out(a, b)), codegen


@intrinsic
def where(typingctx, cond, a, b):
    """``a if cond else b``."""
    return _select(typingctx, cond, a, b)


@intrinsic
def maximum(typingctx, a, b):
    """``a if a > b else b`` (so ``b`` when either is NaN)."""
    return _select(typingctx, None, a, b, ">")


@intrinsic
def minimum(typingctx, a, b):
    """``a if a < b else b`` (so ``b`` when either is NaN)."""
    return _select(typingctx, None, a, b, "<")


@numba.njit(inline="always")
def mask(x):
    return x & np.uint64(0xFFFFFFFF)


@numba.njit(inline="always")
def to_float(x):
    return np.float64(x)


@numba.njit(inline="always")
def ffloor(x):
    return np.floor(x)


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float whose IEEE bits are ``bits`` (int32 -> float32, int64 -> float64): no call, vectorizes."""
    out = {nbtypes.int32: nbtypes.float32, nbtypes.int64: nbtypes.float64}.get(bits)
    if out is None:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(out))

    return out(bits), codegen


@intrinsic
def _bits_of_float(typingctx, x):
    """The IEEE bits of ``x`` (float32 -> int32, float64 -> int64): no call, vectorizes."""
    out = {nbtypes.float32: nbtypes.int32, nbtypes.float64: nbtypes.int64}.get(x)
    if out is None:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(out))

    return out(x), codegen


@numba.njit(inline="always")
def frexp_normal(x):
    """``frexp`` of a normal float64 (not 0, subnormal, inf or NaN) from its bits: no call, vectorizes."""
    b = _bits_of_float(x)
    m = _float_from_bits(np.int64((b & -0x7FF0000000000001) | (1022 << 52)))
    return m, np.float64(((b >> 52) & 0x7FF) - 1022)


@numba.njit(inline="always")
def pow2(n):
    return _float_from_bits(np.int64(int(n) + 1023) << np.int64(52))


@numba.njit(inline="always")
def frexp(x):
    m, e = math.frexp(x)
    return m, to_float(e)


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


def kernel(fn):
    """Compile a loop of draws apart, with NumPy's error model: its float divisions then carry no zero check
    (IEEE results instead of an exception), so that a loop with no other call vectorizes."""
    return numba.njit(fn, nogil=True, error_model="numpy")


def typed_literals(fn, dtype):
    """``fn`` with its float literals, and the floats, float tuples and functions it closes over, in ``dtype``.

    Numba dispatchers found in the closure (helpers made with ``inline``/``function``) are rebuilt from their
    Python function with the same options. Integer literals are left alone: they index tuples."""
    scalar = np.dtype(dtype).type

    def convert(value):
        if type(value) is float:
            return scalar(value)
        if type(value) is tuple:
            return tuple(convert(v) for v in value)
        if isinstance(value, types.FunctionType):
            return typed_literals(value, dtype)
        if isinstance(value, numba.core.registry.CPUDispatcher) and isinstance(value.py_func, types.FunctionType) \
                and value.py_func.__module__ != __name__:
            options = {k: v for k, v in value.targetoptions.items() if k != "nopython"}
            return numba.njit(**options)(typed_literals(value.py_func, dtype))
        return value

    code = fn.__code__
    consts = tuple(convert(c) if not isinstance(c, types.CodeType) else c for c in code.co_consts)
    cells = None if fn.__closure__ is None else tuple(types.CellType(convert(c.cell_contents))
                                                     for c in fn.__closure__)
    new = types.FunctionType(code.replace(co_consts=consts), fn.__globals__, fn.__name__, fn.__defaults__, cells)
    new.__kwdefaults__, new.__qualname__ = fn.__kwdefaults__, fn.__qualname__
    return new


@functools.cache
def namespace(dtype: str) -> types.ModuleType:
    """The math namespace of runs in float type ``dtype`` (a module: Numba reads a module's attributes at
    compile time, not a SimpleNamespace's). For float64 it is this module."""
    if np.dtype(dtype) == np.float64:
        return sys.modules[__name__]
    scalar = np.dtype(dtype).type
    ns = types.ModuleType(f"{__name__}.{np.dtype(dtype).name}")
    ns.__dict__.update({k: v for k, v in globals().items() if not k.startswith("__")})

    @numba.njit(inline="always")
    def to_float_(x):
        return scalar(x)

    @numba.njit(inline="always")
    def frexp_(x):
        m, e = math.frexp(x)
        return m, scalar(e)

    @numba.njit(inline="always")
    def pow2_(n):
        return _float_from_bits(np.int32((int(n) + 127) << 23))

    @numba.njit(inline="always")
    def frexp_normal_(x):
        b = _bits_of_float(x)
        m = _float_from_bits(np.int32((b & -0x7F800001) | (126 << 23)))
        return m, scalar(((b >> 23) & 0xFF) - 126)

    ns.to_float, ns.frexp, ns.pow2, ns.frexp_normal = to_float_, frexp_, pow2_, frexp_normal_
    ns.inline = lambda fn: numba.njit(inline="always")(typed_literals(fn, dtype))
    ns.function = lambda fn: numba.njit(typed_literals(fn, dtype))
    ns.kernel = lambda fn: kernel(typed_literals(fn, dtype))
    _add_elementary(ns, dtype)
    sys.modules[ns.__name__] = ns
    return ns


def _add_elementary(ns, dtype):
    for name, fn in vars(make_elementary(ns, dtype)).items():
        setattr(ns, name, fn)
    # the same functions inlined where they are called, their frexp read from the bits (the logarithm takes
    # frexp of normal numbers only): a loop of random draws then has no call and vectorizes (core/random.py)
    inlined = types.SimpleNamespace(where=ns.where, ffloor=ns.ffloor, pow2=ns.pow2, frexp=ns.frexp_normal,
                                    inline=ns.inline, function=ns.inline)
    ns.inlined = make_elementary(inlined, dtype)


_add_elementary(sys.modules[__name__], np.float64)
