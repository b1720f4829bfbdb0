"""Declaration and validation of model parameters (name, default, canonical unit, allowed range)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..units import to_canonical


@dataclass(frozen=True)
class Param:
    """One model parameter: its default value, canonical unit and allowed range.

    ``bound`` is ``"any"``, ``"nonneg"`` (>= 0) or ``"positive"`` (> 0); ``unit`` is a key of
    :data:`spikeloom.units.CANONICAL`.
    """

    default: float
    unit: str
    bound: str = "any"
    doc: str = ""


def _check_bound(name: str, arr: np.ndarray, bound: str, owner: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise ModelDefinitionError(f"{owner}: parameter {name!r} must be finite, got {arr.ravel()[:5]}")
    if bound == "positive" and np.any(arr <= 0):
        raise ModelDefinitionError(f"{owner}: parameter {name!r} must be > 0, got min {arr.min()}")
    if bound == "nonneg" and np.any(arr < 0):
        raise ModelDefinitionError(f"{owner}: parameter {name!r} must be >= 0, got min {arr.min()}")


def resolve_params(spec: dict[str, Param], given: dict, n: int, owner: str) -> dict[str, np.ndarray | float]:
    """Validate user-given values against ``spec``; return canonical floats (scalar) or float64 arrays (n,).

    Unknown names raise with the list of known ones; arrays must have shape (n,) or be scalar.
    """
    unknown = set(given) - set(spec)
    if unknown:
        raise ModelDefinitionError(
            f"{owner}: unknown parameter(s) {sorted(unknown)}; known parameters: {sorted(spec)}"
        )
    out: dict[str, np.ndarray | float] = {}
    for name, p in spec.items():
        value = to_canonical(given.get(name, p.default), p.unit, f"{owner}.{name}")
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim == 0:
            _check_bound(name, arr, p.bound, owner)
            out[name] = float(arr)
        elif arr.shape == (n,):
            _check_bound(name, arr, p.bound, owner)
            out[name] = arr
        else:
            raise ModelDefinitionError(
                f"{owner}: parameter {name!r} must be a scalar or have shape ({n},), got shape {arr.shape}"
            )
    return out


def steps_of(duration_ms: float, dt: float, name: str) -> int:
    """Number of whole steps in ``duration_ms``; raises if it is not a multiple of ``dt`` (to 1e-6 relative)."""
    k = duration_ms / dt
    r = round(k)
    if not math.isfinite(k) or abs(k - r) > 1e-6 * max(1.0, abs(k)):
        raise ModelDefinitionError(f"{name} = {duration_ms} ms is not a whole number of steps of dt = {dt} ms")
    return int(r)
