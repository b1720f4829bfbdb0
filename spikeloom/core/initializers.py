"""Initial values of state variables: constants, uniform and normal draws (seeded, drawn before the loop)."""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np


class Initializer(abc.ABC):
    """Produces ``n`` initial values from a numpy random generator."""

    @abc.abstractmethod
    def __call__(self, n: int, rng: np.random.Generator) -> np.ndarray: ...


@dataclass(frozen=True)
class Constant(Initializer):
    value: float

    def __call__(self, n, rng):
        return np.full(n, self.value, dtype=np.float64)


@dataclass(frozen=True)
class Uniform(Initializer):
    low: float
    high: float

    def __call__(self, n, rng):
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True)
class Normal(Initializer):
    mean: float
    std: float

    def __call__(self, n, rng):
        return rng.normal(self.mean, self.std, n)


def draw(init, n: int, rng: np.random.Generator, owner: str) -> np.ndarray:
    """Turn an initializer, a number or an array of shape (n,) into float64 values of shape (n,)."""
    from .._errors import ModelDefinitionError

    if isinstance(init, Initializer):
        return init(n, rng)
    arr = np.asarray(init, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ModelDefinitionError(f"{owner}: initial value must be scalar or shape ({n},), got {arr.shape}")
    return arr.copy()
