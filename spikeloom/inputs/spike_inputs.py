"""Input spike trains for event-driven simulation: explicit spike times, and Poisson trains generated lazily.

A Poisson input is described by its rates only; the engine draws its spikes while it integrates, so a long
run never holds every input spike in memory. The superposition of independent Poisson trains of rates
:math:`\\lambda_i` is a Poisson process of rate :math:`\\Lambda = \\sum_i \\lambda_i` in which each event
belongs to train :math:`i` with probability :math:`\\lambda_i / \\Lambda`, independently of everything else;
the engines draw the merged process this way (one exponential interval and one categorical draw per event,
both from the counter-based generator of :mod:`spikeloom.core.random`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate


@dataclass(frozen=True)
class LogNormalRates:
    """Lognormal distribution of firing rates with mean ``mean`` (Hz) and log-standard deviation ``sigma``.

    A rate is :math:`\\lambda = e^{\\mu + \\sigma Z}`, :math:`Z \\sim N(0, 1)`, with
    :math:`\\mu = \\ln(mean) - \\sigma^2 / 2` so that :math:`E[\\lambda] = mean`; the variance of the rates is
    :math:`(e^{\\sigma^2} - 1)\\, mean^2`. ``mean`` may be a brainunit quantity of frequency.
    """

    mean: float = 4.0
    sigma: float = math.sqrt(0.6)

    def __post_init__(self):
        object.__setattr__(self, "mean", validate.positive(self.mean, "mean", owner="LogNormalRates", unit="Hz"))
        object.__setattr__(self, "sigma", validate.real(self.sigma, "sigma", owner="LogNormalRates", low=0.0))

    @property
    def mu(self) -> float:
        return math.log(self.mean) - 0.5 * self.sigma**2

    @property
    def variance(self) -> float:
        return math.expm1(self.sigma**2) * self.mean**2

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rates in Hz."""
        return rng.lognormal(self.mu, self.sigma, size=n)


@dataclass(frozen=True)
class InputSpikes:
    """Explicit input spikes: ``times`` (ms, >= 0) and the ``sources`` they come from (indices)."""

    times: np.ndarray
    sources: np.ndarray

    def __post_init__(self):
        times = validate.real_array(self.times, "times", owner="InputSpikes", unit="ms").ravel()
        if times.size and times.min() < 0:
            raise ModelDefinitionError(f"InputSpikes: times must be finite and >= 0 ms, got {times.min():g} (spike "
                                       f"{int(np.argmin(times))})")
        sources = np.asarray(self.sources).ravel() if not isinstance(self.sources, (str, bytes)) else None
        if sources is None or (sources.size and (sources.dtype.kind not in "iu" or sources.min() < 0)):
            raise ModelDefinitionError(f"InputSpikes: sources must be non-negative integers (source indices), got "
                                       f"{self.sources!r:.80}")
        if times.shape != sources.shape:
            raise ModelDefinitionError(f"InputSpikes: times {times.shape} and sources {sources.shape} must have "
                                       "the same length")
        order = np.argsort(times, kind="stable")
        object.__setattr__(self, "times", times[order])
        object.__setattr__(self, "sources", sources.astype(np.int64)[order])
