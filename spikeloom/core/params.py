"""Declaration and validation of model parameters (name, default, canonical unit, allowed range)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..units import to_canonical
from . import validate


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


_BOUNDS = {"any": {}, "nonneg": {"low": 0.0}, "positive": {"low": 0.0, "low_open": True}}


def resolve_params(spec: dict[str, Param], given: dict, n: int, owner: str) -> dict[str, np.ndarray | float]:
    """Validate user-given values against ``spec``; return canonical floats (scalar) or float64 arrays (n,).

    Unknown names raise with the list of known ones; a value must be a real number or an array of shape (n,)
    of them, finite and within the parameter's bound (strings, booleans, None and complex numbers are
    refused rather than cast).
    """
    unknown = set(given) - set(spec)
    if unknown:
        raise ModelDefinitionError(
            f"{owner}: unknown parameter(s) {sorted(unknown)}; known parameters: {sorted(spec)}"
        )
    out: dict[str, np.ndarray | float] = {}
    for name, p in spec.items():
        value = to_canonical(given.get(name, p.default), p.unit, f"{owner}.{name}")
        arr = validate.real_array(value, f"parameter {name!r}", owner=owner, unit=p.unit, **_BOUNDS[p.bound])
        if arr.ndim == 0:
            out[name] = float(arr)
        elif arr.shape == (n,):
            out[name] = arr
        else:
            raise ModelDefinitionError(
                f"{owner}: parameter {name!r} must be a scalar or have shape ({n},), got shape {arr.shape}"
            )
    return out


def steps_of(duration_ms, dt: float, name: str) -> int:
    """Number of whole steps in ``duration_ms`` (a number of ms or a brainunit time); raises naming ``name``
    if it is not a finite multiple of ``dt`` (to 1e-6 relative)."""
    duration_ms = validate.real(duration_ms, name, unit="ms")
    k = duration_ms / dt
    r = round(k) if math.isfinite(k) else 0
    if not math.isfinite(k) or abs(k - r) > 1e-6 * max(1.0, abs(k)):
        raise ModelDefinitionError(f"{name} = {duration_ms} ms is not a whole number of steps of dt = {dt} ms")
    return int(r)
