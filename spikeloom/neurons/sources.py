"""Spike sources that behave as populations: Poisson spike trains and generators of given spike times."""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core.params import Param
from ._base import AbstractNeuron


class PoissonGroup(AbstractNeuron):
    r"""``n`` independent Poisson spike trains of rate ``rate`` (Hz, scalar or one per neuron).

    In each step a neuron spikes with probability :math:`rate \cdot dt` (rate x dt must stay <= 1). The
    uniform draw is a counter-based function of (seed, population, step, neuron), so the trains do not
    depend on chunking or on the engine.
    """

    parameters = {"rate": Param(10.0, "Hz", "nonneg")}
    state = {}
    ode_vars = ()
    methods = ("exact",)

    @staticmethod
    def derived(p, dt):
        prob = np.asarray(p["rate"]) * dt * 1e-3
        if np.any(prob > 1.0):
            raise ModelDefinitionError(f"PoissonGroup: rate x dt = {np.max(prob)} > 1; lower the rate or dt")
        return {"p_spike": prob}

    @staticmethod
    def vector_field(xp):
        def f(I):
            return ()

        return f

    @staticmethod
    def threshold_reset(xp):
        def g(u01, p_spike):
            return (u01 < p_spike,)

        return g


class SpikeGeneratorGroup(AbstractNeuron):
    """``n`` neurons that spike at given times: ``times`` (ms) and ``indices`` (neuron of each spike).

    Like every spike in spikeloom, a generated spike belongs to the step at whose end it occurs: a time ``t``
    is rounded to the dt grid and emitted by the step ending at ``t`` (times below ``dt`` by the first step,
    i.e. at ``dt``), so zero-delay synapses feel it from ``t`` on. Times must be >= 0. Several spikes of one
    neuron in one step count once; after the last event the group stays silent.
    """

    parameters = {}
    state = {}
    ode_vars = ()
    methods = ("exact",)
    is_generator = True

    def __init__(self, n, times, indices, **kwargs):
        super().__init__(n, **kwargs)
        times = np.asarray(times, dtype=np.float64).ravel()
        indices = np.asarray(indices).ravel()
        if times.shape != indices.shape:
            raise ModelDefinitionError(f"SpikeGeneratorGroup: times {times.shape} and indices {indices.shape} "
                                       "must have the same length")
        if times.size and (not np.all(np.isfinite(times)) or times.min() < 0):
            raise ModelDefinitionError("SpikeGeneratorGroup: times must be finite and >= 0 ms")
        if indices.size and (indices.min() < 0 or indices.max() >= self.n or not np.issubdtype(indices.dtype, np.integer)):
            raise ModelDefinitionError(f"SpikeGeneratorGroup: indices must be integers in [0, {self.n})")
        self.times = times
        self.indices = indices.astype(np.int64)

    def events_by_step(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Return (steps, indices) of the spike events, sorted by step then index.

        A neuron spikes at most once per step; two spikes of one neuron that fall into one step are an
        error (they would otherwise merge silently): lower dt, or spread them over several neurons."""
        steps = np.maximum(np.rint(self.times / dt).astype(np.int64) - 1, 0)
        pairs = np.unique(np.stack([steps, self.indices]), axis=1) if steps.size else np.zeros((2, 0), np.int64)
        if pairs.shape[1] < steps.size:
            order = np.lexsort((self.indices, steps))
            same = np.nonzero((np.diff(steps[order]) == 0) & (np.diff(self.indices[order]) == 0))[0][0]
            i, j = order[same], order[same + 1]
            raise ModelDefinitionError(
                f"SpikeGeneratorGroup {self.name or ''}: neuron {self.indices[i]} has spikes at {self.times[i]:g} "
                f"and {self.times[j]:g} ms, both in step {steps[i]} of dt = {dt:g} ms; a neuron spikes at most "
                "once per step (lower dt or use one generator neuron per spike)")
        return pairs[0], pairs[1]

    def structure_key(self) -> tuple:
        # one group per generator population: each walks its own sorted event list
        return super().structure_key() + (id(self),)

    @staticmethod
    def vector_field(xp):
        def f(I):
            return ()

        return f

    @staticmethod
    def threshold_reset(xp):
        def g():
            return (False,)

        return g
