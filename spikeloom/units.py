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
    "1": (None, 1.0),
}


def _is_quantity(value) -> bool:
    return hasattr(value, "mantissa") and hasattr(value, "unit") and hasattr(value, "to_decimal")


def to_canonical(value, unit: str, name: str):
    """Return ``value`` as a plain float or float64 array in ``unit`` (one of :data:`CANONICAL`).

    Plain numbers and arrays are taken to be in ``unit`` already. ``name`` is used in error messages.
    """
    if unit not in CANONICAL:
        raise UnitError(f"parameter {name!r}: unknown canonical unit {unit!r}; known: {sorted(CANONICAL)}")
    if _is_quantity(value):
        import brainunit as u

        target = u.UNITLESS if CANONICAL[unit][0] is None else getattr(u, CANONICAL[unit][0])
        if not value.unit.has_same_dim(target):
            raise UnitError(
                f"parameter {name!r} expects a quantity in {unit} (or any unit of that dimension), "
                f"got {value} with dimension {value.unit.dim}"
            )
        return np.asarray(value.to_decimal(target), dtype=np.float64)
    return value
