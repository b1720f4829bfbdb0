"""Units at the API boundary: plain numbers are read in spikeloom's canonical units, quantities are converted.

Canonical units (what every compiled kernel sees as plain floats):

============  =========  ==============================================
dimension     unit       note
============  =========  ==============================================
voltage       mV
time          ms
conductance   nS         nS x mV = pA
current       pA
capacitance   pF         pA / pF = mV / ms
resistance    GOhm       GOhm x pA = mV
frequency     Hz
rate          1/ms       e.g. Izhikevich's recovery rate ``a``
gain          nS/mV      e.g. Izhikevich's quadratic gain ``k``
============  =========  ==============================================

Quantities from ``brainunit`` (optional dependency, extra ``units``) are checked for their dimension and
converted once, when a model is built; a quantity of the wrong dimension raises :class:`UnitError`.
"""

from __future__ import annotations

import numpy as np

from ._errors import UnitError

#: canonical unit name -> (brainunit attribute name, SI scale of the canonical unit)
CANONICAL = {
    "mV": ("mV", 1e-3),
    "ms": ("ms", 1e-3),
    "nS": ("nS", 1e-9),
    "pA": ("pA", 1e-12),
    "pF": ("pF", 1e-12),
    "GOhm": ("Gohm", 1e9),
    "Hz": ("Hz", 1.0),
    "1/ms": ("1/ms", 1e3),
    "nS/mV": ("nS/mV", 1e-6),
    "1": (None, 1.0),
}


def _is_quantity(value) -> bool:
    return hasattr(value, "mantissa") and hasattr(value, "unit") and hasattr(value, "to_decimal")


def _brainunit(name: str):
    """The brainunit unit named ``name``: an attribute (``"mV"``) or a ratio of two (``"nS/mV"``, ``"1/ms"``)."""
    import brainunit as u

    if name is None:
        return u.UNITLESS
    num, _, den = name.partition("/")
    if not den:
        return getattr(u, num)
    return getattr(u, den) ** -1 if num == "1" else getattr(u, num) / getattr(u, den)


def to_canonical(value, unit: str, name: str):
    """Return ``value`` as a plain float or float64 array in ``unit`` (one of :data:`CANONICAL`).

    Plain numbers and arrays are taken to be in ``unit`` already. ``name`` is used in error messages.
    """
    if unit not in CANONICAL:
        raise UnitError(f"parameter {name!r}: unknown canonical unit {unit!r}; known: {sorted(CANONICAL)}")
    if _is_quantity(value):
        target = _brainunit(CANONICAL[unit][0])
        if not value.unit.has_same_dim(target):
            raise UnitError(
                f"parameter {name!r} expects a quantity in {unit} (or any unit of that dimension), "
                f"got {value} with dimension {value.unit.dim}"
            )
        return np.asarray(value.to_decimal(target), dtype=np.float64)
    return value


def _dimension_text(value) -> str:
    dim = str(value.unit.dim)
    return "dimensionless" if dim in ("", "1") else f"dimension {dim}"


def gather(value, name: str):
    """A list or tuple holding quantities as one quantity array (their units must share a dimension), so that
    ``[1 * u.ms, 2 * u.ms]`` is accepted wherever ``[1, 2] * u.ms`` is; anything else unchanged."""
    if not isinstance(value, (list, tuple)) or not any(_is_quantity(v) for v in value):
        return value
    import brainunit as u

    try:
        return u.math.asarray(value)
    except Exception as err:  # brainunit raises several types for mixed or plain entries
        raise UnitError(f"{name}: the entries of {value!r} must be quantities of one dimension ({err})") from None


def split_quantity(value, name: str):
    """``(plain, unit)``: a quantity as a float64 value in the canonical unit of its dimension (``unit``, a key
    of :data:`CANONICAL`), anything else unchanged with ``unit`` None.

    Used where the unit a value must have is known only later (an initializer is drawn against the state
    variable it initializes); :func:`rescale` then checks and converts it."""
    value = gather(value, name)
    if not _is_quantity(value):
        return value, None
    for unit, (attr, _) in CANONICAL.items():
        target = _brainunit(attr)
        if value.unit.has_same_dim(target):
            return np.asarray(value.to_decimal(target), dtype=np.float64), unit
    raise UnitError(f"{name}: {value} has {_dimension_text(value)}, which no spikeloom quantity has "
                    f"(canonical units: {', '.join(u for u in CANONICAL if u != '1')})")


def rescale(plain, unit: str | None, target: str | None, name: str):
    """``plain`` (read in canonical ``unit``; None: a plain number, already in ``target``) converted to the
    canonical unit ``target``; :class:`UnitError` if the two differ in dimension or ``target`` is None (a
    value that takes no unit) while ``unit`` is not."""
    if unit is None or unit == target:
        return plain
    if target is None:
        raise UnitError(f"{name} takes a plain number (it has no unit), got a quantity in {unit}")
    if target not in CANONICAL or not _brainunit(CANONICAL[unit][0]).has_same_dim(_brainunit(CANONICAL[target][0])):
        raise UnitError(f"{name} expects a quantity in {target} (or any unit of that dimension), got one in {unit}")
    return plain * (CANONICAL[unit][1] / CANONICAL[target][1])
