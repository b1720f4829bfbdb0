"""Current inputs, all reduced to one form: piecewise-constant sections (start step, values).

A constant is one section, an array over time one section per row, ``Sections`` one per entry. The compiled
loop applies a section when its start step is reached, so a chunked run sees exactly the same input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..core.params import steps_of
from ..units import to_canonical


@dataclass(frozen=True, eq=False)
class TimedArray:
    """Input current (pA) over time: ``values[k]`` (a scalar or one value per neuron) holds from
    ``k * step_ms`` to ``(k + 1) * step_ms`` after the run starts (``step_ms`` defaults to dt); the last row
    holds until the run ends."""

    values: object
    step_ms: float | None = None


@dataclass(frozen=True, eq=False)
class Sections:
    """Piecewise-constant input current: a list of ``(value, duration_ms)``; the last value holds on."""

    parts: list


def _values(value, n: int, name: str) -> np.ndarray:
    arr = np.asarray(to_canonical(value, "pA", name), dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.shape[0] not in (1, n):
        raise ModelDefinitionError(f"input {name}: a value must be a scalar or have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ModelDefinitionError(f"input {name}: values must be finite")
    return arr


def to_sections(spec, n: int, dt: float, name: str) -> list[tuple[int, np.ndarray]]:
    """Sections ``(start step relative to the run start, values of shape (1,) or (n,))`` of an input spec."""
    if isinstance(spec, TimedArray):
        values = np.asarray(to_canonical(spec.values, "pA", name), dtype=np.float64)
        if values.ndim not in (1, 2) or (values.ndim == 2 and values.shape[1] != n):
            raise ModelDefinitionError(f"input {name}: TimedArray values must have shape (K,) or (K, {n}), "
                                       f"got {values.shape}")
        every = 1 if spec.step_ms is None else steps_of(spec.step_ms, dt, f"input {name}: step_ms")
        if every <= 0:
            raise ModelDefinitionError(f"input {name}: step_ms must be > 0")
        return [(k * every, _values(v, n, name)) for k, v in enumerate(values)]
    if isinstance(spec, Sections):
        out, start = [], 0
        for value, duration in spec.parts:
            out.append((start, _values(value, n, name)))
            start += steps_of(duration, dt, f"input {name}: section duration")
        return out
    return [(0, _values(spec, n, name))]
