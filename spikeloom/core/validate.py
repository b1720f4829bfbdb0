"""Checks applied where a value enters spikeloom, one function per kind of value.

Every check returns the value in the form the rest of the code uses (a plain ``float``, ``int`` or float64
array, canonical units) or raises :class:`~spikeloom.ModelDefinitionError` whose message names the owner (a
population, projection, option, file, ...), the parameter, what was given and what would be valid. Memory
requests are estimated before allocation with :func:`memory`, which raises :class:`~spikeloom.ResourceError`.

``owner`` is prefixed to the message (``"projection 'E2I': weight must be finite, got nan"``); pass ``None``
for a bare parameter name (``"--duration must be > 0 ms, got -1.0"``).
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from .._errors import ModelDefinitionError, ResourceError
from ..units import _is_quantity, to_canonical


def _where(owner: str | None, name: str) -> str:
    return f"{owner}: {name}" if owner else name


def _unit_text(unit: str | None) -> str:
    return f" {unit}" if unit and unit != "1" else ""


def _bound_text(x) -> str:
    return str(x) if isinstance(x, numbers.Integral) else f"{x:g}"


def _range_text(low, high, low_open: bool, high_open: bool, unit: str | None) -> str:
    u = _unit_text(unit)
    lo, hi = _bound_text(low) if low is not None else None, _bound_text(high) if high is not None else None
    if lo is not None and hi is not None:
        return f"in {'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}{u}"
    if lo is not None:
        return f"{'>' if low_open else '>='} {lo}{u}"
    if hi is not None:
        return f"{'<' if high_open else '<='} {hi}{u}"
    return "finite"


def _plain(value, name: str, owner: str | None, unit: str | None):
    """``value`` with a quantity converted to ``unit``; anything that is not a real number (or array of them)
    is refused with its type named."""
    where = _where(owner, name)
    if _is_quantity(value):
        if unit is None:
            raise ModelDefinitionError(f"{where} is dimensionless, got the quantity {value}")
        return to_canonical(value, unit, where)
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise ModelDefinitionError(f"{where} must be a number, got {type(value).__name__} {value!r}")
    return value


def real(value, name: str, *, owner: str | None = None, unit: str | None = None, low: float | None = None,
         high: float | None = None, low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number in ``[low, high]`` (open ends on request), in canonical ``unit`` if given."""
    where = _where(owner, name)
    value = _plain(value, name, owner, unit)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (complex, np.complexfloating)) or not isinstance(value, numbers.Real):
        raise ModelDefinitionError(f"{where} must be a real number, got {type(value).__name__} {value!r}")
    x = float(value)
    bad = (not math.isfinite(x) or (low is not None and (x <= low if low_open else x < low))
           or (high is not None and (x >= high if high_open else x > high)))
    if bad:
        rng = _range_text(low, high, low_open, high_open, unit)
        raise ModelDefinitionError(f"{where} must be {'finite and ' if rng != 'finite' else ''}{rng}, got {value!r}")
    return x


def positive(value, name: str, *, owner: str | None = None, unit: str | None = None) -> float:
    """A finite real number > 0."""
    return real(value, name, owner=owner, unit=unit, low=0.0, low_open=True)


def integer(value, name: str, *, owner: str | None = None, low: int | None = None, high: int | None = None) -> int:
    """A whole number (an int, or a float with no fractional part) in ``[low, high]``."""
    where = _where(owner, name)
    value = _plain(value, name, owner, None)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, numbers.Integral):
        k = int(value)
    elif isinstance(value, numbers.Real) and not isinstance(value, (complex, np.complexfloating)) \
            and math.isfinite(float(value)) and float(value).is_integer():
        k = int(value)
    else:
        raise ModelDefinitionError(f"{where} must be a whole number, got {type(value).__name__} {value!r}")
    if (low is not None and k < low) or (high is not None and k > high):
        raise ModelDefinitionError(f"{where} must be an integer {_range_text(low, high, False, False, None)}, "
                                   f"got {k}")
    return k


def probability(value, name: str, *, owner: str | None = None) -> float:
    """A probability in [0, 1]."""
    return real(value, name, owner=owner, low=0.0, high=1.0)


def choice(value, name: str, options, *, owner: str | None = None):
    """One of ``options`` (compared with ``==``; strings must match exactly)."""
    options = list(options)
    if isinstance(value, str) or not isinstance(value, (list, dict, set, np.ndarray)):
        for opt in options:
            if type(value) is type(opt) and value == opt:
                return value
    raise ModelDefinitionError(f"{_where(owner, name)} must be one of {options}, got {value!r}")


def real_array(value, name: str, *, owner: str | None = None, unit: str | None = None, shape=None,
               low: float | None = None, high: float | None = None, low_open: bool = False,
               high_open: bool = False) -> np.ndarray:
    """A float64 array of finite reals (in canonical ``unit`` if given), of ``shape`` if given (a tuple whose
    ``None`` entries match any length), every element in range."""
    where = _where(owner, name)
    value = _plain(value, name, owner, unit)
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ModelDefinitionError(f"{where} must be an array of numbers, got {type(value).__name__} ({err})") from None
    if raw.dtype.kind not in "biuf":
        kind = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "objects", "M": "dates"}.get(
            raw.dtype.kind, f"dtype {raw.dtype}")
        raise ModelDefinitionError(f"{where} must hold real numbers, got {kind}")
    arr = raw.astype(np.float64)
    if shape is not None and (arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape))):
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ModelDefinitionError(f"{where} must have shape {want}, got shape {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.all():
        i = int(np.flatnonzero(~finite.ravel())[0])
        raise ModelDefinitionError(f"{where} must be finite, got {arr.ravel()[i]} at flat index {i}")
    if arr.size:
        lo_bad = None if low is None else (arr <= low if low_open else arr < low)
        hi_bad = None if high is None else (arr >= high if high_open else arr > high)
        for bad in (lo_bad, hi_bad):
            if bad is not None and bad.any():
                i = int(np.flatnonzero(bad.ravel())[0])
                raise ModelDefinitionError(f"{where} must be {_range_text(low, high, low_open, high_open, unit)}, "
                                           f"got {arr.ravel()[i]:g} at flat index {i}")
    return arr


def available_memory() -> int:
    """Bytes of memory this process may still allocate: ``MemAvailable`` of /proc/meminfo, else physical
    memory, capped by ``RLIMIT_AS`` when one is set."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            avail = 1 << 62
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            avail = min(avail, soft)
    except (ImportError, OSError, ValueError):
        pass
    return avail


def human_bytes(n: float) -> str:
    """``n`` bytes as a short text with a binary prefix (``"74.5 GiB"``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"


def count_text(n: float) -> str:
    """A count for a message: exact while readable, in powers of ten beyond."""
    return f"{int(n)}" if n < 1e12 else f"{float(n):.3g}"


def memory(nbytes: float, what: str, *, fix: str = "") -> None:
    """Raise :class:`ResourceError` before allocating ``nbytes`` for ``what`` if this machine cannot hold them
    (more than 90 % of :func:`available_memory`)."""
    avail = available_memory()
    if not math.isfinite(nbytes) or nbytes > 0.9 * avail:
        hint = f"; {fix}" if fix else ""
        raise ResourceError(f"{what} needs {human_bytes(nbytes)}, but only {human_bytes(avail)} of memory is "
                            f"available{hint}")
