"""Current inputs, all reduced to one form: piecewise-constant sections (start step, values).

A constant is one section, an array over time one section per row, ``Sections`` one per entry. The compiled
loop applies a section when its start step is reached, so a chunked run sees exactly the same input.

Values are checked where they enter: ``TimedArray`` and ``Sections`` when they are made (real, finite,
scalar or one value per neuron, durations >= 0; brainunit currents and times are converted), and every
input again against its population's size when a runner takes it, so a wrong shape is reported before
anything is compiled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..core.params import steps_of


@dataclass(frozen=True, eq=False)
class TimedArray:
    """Input current (pA) over time: ``values[k]`` (a scalar or one value per neuron) holds from
    ``k * step_ms`` to ``(k + 1) * step_ms`` after the run starts (``step_ms`` defaults to dt); the last row
    holds until the run ends. ``values`` has shape ``(K,)`` or ``(K, neurons)``, ``K >= 1``; brainunit
    quantities (a current, a time for ``step_ms``) are converted."""

    values: object
    step_ms: float | None = None

    def __post_init__(self):
        values = validate.real_array(self.values, "values", owner="TimedArray", unit="pA")
        if values.ndim not in (1, 2) or values.shape[0] == 0:
            raise ModelDefinitionError(f"TimedArray: values must have shape (K,) or (K, neurons) with K >= 1 rows "
                                       f"over time, got shape {values.shape}")
        object.__setattr__(self, "values", values)
        if self.step_ms is not None:
            object.__setattr__(self, "step_ms", validate.positive(self.step_ms, "step_ms", owner="TimedArray",
                                                                  unit="ms"))


@dataclass(frozen=True, eq=False)
class Sections:
    """Piecewise-constant input current: a list of ``(value, duration_ms)`` pairs; the last value holds on.

    A value is a current (pA; a scalar or one per neuron), a duration a time >= 0 (ms); brainunit quantities
    are converted."""

    parts: list

    def __post_init__(self):
        if isinstance(self.parts, (str, bytes, dict)) or not hasattr(self.parts, "__iter__"):
            raise ModelDefinitionError(f"Sections: parts must be a list of (value pA, duration ms) pairs, got "
                                       f"{type(self.parts).__name__} {self.parts!r}")
        parts = [_section(k, part) for k, part in enumerate(self.parts)]
        if not parts:
            raise ModelDefinitionError("Sections: parts is empty; give at least one (value pA, duration ms) pair")
        object.__setattr__(self, "parts", parts)


def _section(k: int, part) -> tuple[np.ndarray, float]:
    """Part ``k`` of a :class:`Sections` as ``(values, duration ms)``, checked."""
    if isinstance(part, (str, bytes)) or not isinstance(part, (tuple, list)) or len(part) != 2:
        raise ModelDefinitionError(f"Sections: part {k} must be a pair (value pA, duration ms), got {part!r}")
    owner = f"Sections part {k}"
    values = validate.real_array(part[0], "value", owner=owner, unit="pA")
    if values.ndim > 1:
        raise ModelDefinitionError(f"{owner}: value must be a scalar or one value per neuron, got shape "
                                   f"{values.shape}")
    # a zero duration is a section that never applies (e.g. a stimulus onset at 0 ms)
    return values, validate.real(part[1], "duration", owner=owner, unit="ms", low=0.0)


def _values(value, n: int, pop: str) -> np.ndarray:
    """One input value for population ``pop`` of ``n`` neurons: shape (1,) or (n,), finite, pA."""
    owner = f"input of population {pop!r}"
    arr = validate.real_array(value, "current", owner=owner, unit="pA")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.shape[0] not in (1, n):
        raise ModelDefinitionError(f"{owner}: a value must be a scalar or have shape ({n},) (one per neuron), "
                                   f"got shape {arr.shape}")
    return arr


def to_sections(spec, n: int, dt: float, pop: str) -> list[tuple[int, np.ndarray]]:
    """Sections ``(start step relative to the run start, values of shape (1,) or (n,))`` of the input ``spec``
    of population ``pop`` (``n`` neurons)."""
    owner = f"input of population {pop!r}"
    if isinstance(spec, TimedArray):
        values = spec.values
        if values.ndim == 2 and values.shape[1] not in (1, n):
            raise ModelDefinitionError(f"{owner}: TimedArray values must have shape (K,) or (K, {n}), got "
                                       f"{values.shape}")
        every = 1 if spec.step_ms is None else steps_of(spec.step_ms, dt, f"{owner}: TimedArray step_ms")
        if every <= 0:
            raise ModelDefinitionError(f"{owner}: TimedArray step_ms = {spec.step_ms} ms is shorter than one "
                                       f"step dt = {dt} ms")
        return [(k * every, _values(v, n, pop)) for k, v in enumerate(values)]
    if isinstance(spec, Sections):
        out, start = [], 0
        for k, (value, duration) in enumerate(spec.parts):
            out.append((start, _values(value, n, pop)))
            start += steps_of(duration, dt, f"{owner}: Sections part {k} duration")
        return out
    return [(0, _values(spec, n, pop))]
