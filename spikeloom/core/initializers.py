"""Initial values of state variables (and drawn weights and delays): constants, uniform, normal and log-normal
draws (seeded, drawn before the loop).

Arguments are checked when the initializer is made (finite, ``low <= high``, ``std >= 0``). They may be
``brainunit`` quantities: they are converted then to the canonical unit of their dimension (all arguments
must share one dimension; a plain number among them is read in that unit), and :meth:`Initializer.resolve`
checks that unit against the one of the value initialized (a state variable, a weight) before drawing.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .._errors import ModelDefinitionError, UnitError
from ..units import gather, rescale, split_quantity
from . import validate


class Initializer(abc.ABC):
    """Produces ``n`` initial values from a numpy random generator."""

    #: canonical unit of the quantities given as arguments (None: plain numbers, read in the target's unit)
    unit: str | None

    @abc.abstractmethod
    def __call__(self, n: int, rng: np.random.Generator) -> np.ndarray: ...

    def _numbers(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if f.name != "unit")

    def __post_init__(self):
        # quantities become floats in the canonical unit of their dimension, so that the range checks below
        # and the draws compare plain numbers; the dimension is kept in ``unit`` for resolve()
        owner = type(self).__name__
        unit = None
        for name in self._numbers():
            value, u = split_quantity(getattr(self, name), f"{owner}: {name}")
            if u is not None and unit is not None and u != unit:
                raise UnitError(f"{owner}: {name} is in {u} but an earlier argument is in {unit}; give every "
                                "argument in one dimension")
            unit = unit or u
            object.__setattr__(self, name, validate.real(value, name, owner=owner))
        object.__setattr__(self, "unit", unit)
        self._check()

    def _check(self) -> None:
        """Relations between the arguments (each is already a finite float)."""

    def resolve(self, unit: str | None, name: str) -> "Initializer":
        """This initializer with plain arguments in canonical ``unit`` (the unit of the value it initializes,
        None for a value without unit); :class:`UnitError` naming ``name`` if the dimensions differ."""
        if self.unit is None:
            return self
        return replace(self, **{k: float(rescale(getattr(self, k), self.unit, unit, f"{name} ({self!r})"))
                                for k in self._numbers()})


@dataclass(frozen=True)
class Constant(Initializer):
    value: float
    unit: str | None = field(default=None, init=False)

    def __call__(self, n, rng):
        return np.full(n, self.value, dtype=np.float64)


@dataclass(frozen=True)
class Uniform(Initializer):
    low: float
    high: float
    unit: str | None = field(default=None, init=False)

    def _check(self):
        if self.high < self.low:
            raise ModelDefinitionError(f"Uniform: high ({self.high:g}) must be >= low ({self.low:g})")

    def __call__(self, n, rng):
        # the values of rng.uniform(low, high, n) (low + (high - low) u), without its broadcasting machinery
        x = rng.random(n)
        x *= self.high - self.low
        x += self.low
        return x


@dataclass(frozen=True)
class Normal(Initializer):
    mean: float
    std: float
    unit: str | None = field(default=None, init=False)

    def _check(self):
        if self.std < 0:
            raise ModelDefinitionError(f"Normal: std must be >= 0, got {self.std:g}")

    def __call__(self, n, rng):
        return rng.normal(self.mean, self.std, n)


@dataclass(frozen=True)
class LogNormal(Initializer):
    """Positive values whose logarithm is normal, given by the ``mean`` and ``std`` of the values themselves
    (so both carry the value's unit and a quantity converts like any other argument):

        x = exp(mu + sigma z),  z ~ N(0, 1),  sigma^2 = ln(1 + std^2 / mean^2),  mu = ln(mean) - sigma^2 / 2,

    which gives E[x] = mean and sd[x] = std. NEST's ``nest.random.lognormal(mean, std)`` and numpy's
    ``lognormal(mean, sigma)`` take instead the parameters ``mu``, ``sigma`` of the underlying normal
    (dimensionless, since ``mu`` is a logarithm): :meth:`from_log` converts them."""

    mean: float
    std: float
    unit: str | None = field(default=None, init=False)

    def _check(self):
        if self.mean <= 0:
            raise ModelDefinitionError(f"LogNormal: mean must be > 0 (log-normal values are positive), got "
                                       f"{self.mean:g}")
        if self.std < 0:
            raise ModelDefinitionError(f"LogNormal: std must be >= 0, got {self.std:g}")

    @classmethod
    def from_log(cls, mu: float, sigma: float) -> "LogNormal":
        """The law ``exp(N(mu, sigma))`` of NEST's ``lognormal(mean=mu, std=sigma)`` (plain numbers, read in the
        unit of the value they initialize)."""
        mu = validate.real(mu, "mu", owner="LogNormal.from_log")
        sigma = validate.real(sigma, "sigma", owner="LogNormal.from_log", low=0.0)
        mean = math.exp(mu + 0.5 * sigma * sigma)
        return cls(mean, mean * math.sqrt(math.expm1(sigma * sigma)))

    def log_params(self) -> tuple[float, float]:
        """``(mu, sigma)`` of the underlying normal."""
        s2 = math.log1p((self.std / self.mean) ** 2)
        return math.log(self.mean) - 0.5 * s2, math.sqrt(s2)

    def __call__(self, n, rng):
        mu, sigma = self.log_params()
        return rng.lognormal(mu, sigma, n)


def check_value(init, n: int, owner: str, unit: str | None = None, low: float | None = None):
    """``init`` made ready to draw ``n`` values in canonical ``unit``: an :class:`Initializer` (resolved to
    ``unit``), else a finite number or float64 array of shape ``(n,)`` (quantities converted), each ``>= low``
    if given. Called where the value is given, so a bad one is refused before anything is built."""
    if isinstance(init, Initializer):
        return init.resolve(unit, owner)
    if callable(init) or isinstance(init, (dict, set)):
        raise ModelDefinitionError(f"{owner} must be a number, an array of shape ({n},) or an initializer "
                                   f"(Constant, Uniform, Normal, LogNormal), got {type(init).__name__}")
    arr = validate.real_array(gather(init, owner), owner, unit=unit, low=low)
    if arr.ndim == 0:
        return float(arr)
    if arr.shape != (n,):
        raise ModelDefinitionError(f"{owner} must be a number or have shape ({n},), got shape {arr.shape}")
    return arr


def draw(init, n: int, rng: np.random.Generator, owner: str, unit: str | None = None) -> np.ndarray:
    """Turn an initializer, a number or an array of shape (n,) into float64 values of shape (n,)."""
    init = check_value(init, n, owner, unit)
    if isinstance(init, Initializer):
        return init(n, rng)
    return np.full(n, init) if np.ndim(init) == 0 else init.copy()
