"""Spike sources that behave as populations: Poisson spike trains and generators of given spike times."""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..connectivity.generators import index_array
from ..core import validate
from ..core.params import Param
from ..core.random import geometric_log, make_geometric
from ..units import gather
from ._base import AbstractNeuron


class PoissonGroup(AbstractNeuron):
    r"""``n`` independent Poisson spike trains of rate ``rate`` (Hz, scalar or one per neuron).

    In each step a neuron spikes with probability :math:`p = rate \cdot dt` (rate x dt must stay <= 1),
    independently of every other step: a Bernoulli process on the step grid, the discrete Poisson process
    (:meth:`threshold_reset` states this rule). The engines do not draw a number per neuron and step: each
    neuron keeps the step of its next spike (plan state ``next``, int64, -1 until first drawn) and, when it
    spikes in step ``s``, draws the number of steps to its following spike, the waiting time of the Bernoulli
    process counted from step ``s + 1``: geometric, :math:`P(G = k) = (1 - p)^{k - 1} p` (:meth:`spike_gap`,
    ``core/random.py: make_geometric``); its first spike is drawn the same way from the first step run. Since
    a geometric waiting time is exactly the law of the first success of independent trials, the trains have
    the per-step statistics above (to the 52-bit resolution of the uniform numbers), at the cost of one draw
    per spike. A gap drawn from step ``t`` is keyed by (seed, stream of the group, ``t``, neuron), so the
    trains do not depend on chunking, checkpoints or the engine. A next step in the past (one set by hand) is
    drawn afresh from the current step. The law's parameter ``log_q = log(1 - p)`` is a per-step constant in
    the run's float type (float32: ``p`` to a relative 1e-7).
    """

    parameters = {"rate": Param(10.0, "Hz", "nonneg")}
    state = {}
    ode_vars = ()
    methods = ("exact",)
    #: int64 plan state of each source: the step of its next spike (:data:`UNDRAWN` until the first is drawn)
    next_state = "next"
    UNDRAWN = -1

    @classmethod
    def bytes_per_neuron(cls) -> int:
        return super().bytes_per_neuron() + 8  # the next spike step

    def check_dt(self, dt):
        """A spike probability per step ``rate x dt`` above 1 would silently cap the rate."""
        top = float(np.max(self.params["rate"]))
        if top * dt * 1e-3 > 1.0:
            raise ModelDefinitionError(f"population {self.name!r}: rate x dt = {top:g} Hz x {dt:g} ms = "
                                       f"{top * dt * 1e-3:g} > 1 spike per step; use dt <= {1e3 / top:g} ms or a "
                                       "lower rate")

    @staticmethod
    def derived(p, dt):
        p_spike = np.asarray(p["rate"]) * dt * 1e-3
        return {"p_spike": p_spike, "log_q": geometric_log(p_spike)}

    @staticmethod
    def vector_field(xp):
        def f(I):
            return ()

        return f

    @staticmethod
    def threshold_reset(xp):
        """The per-step rule (a uniform ``u01`` below ``p_spike``), whose waiting times :meth:`spike_gap`
        draws."""
        def g(u01, p_spike):
            return (u01 < p_spike,)

        return g

    @staticmethod
    def spike_gap(xp):
        """``gap(seed, stream, step, index, log_q)``: steps from ``step`` to the first spike on or after it,
        plus one (a float64 integer >= 1; a float64 namespace ``xp``; ``log_q = log(1 - p_spike)``). The next spike after one in step ``s``
        is in step ``s + gap(.., s + 1, ..)``; the first spike from step ``s0`` on in ``s0 - 1 + gap(.., s0, ..)``."""
        return make_geometric(xp)


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
        owner = f"SpikeGeneratorGroup({self.n})"
        times = validate.real_array(gather(times, f"{owner}: times"), "times", owner=owner, unit="ms", low=0.0)
        times = np.atleast_1d(times)
        if times.ndim != 1:
            raise ModelDefinitionError(f"{owner}: times must be one-dimensional, got shape {times.shape}")
        indices = index_array(indices, "indices", owner, self.n)
        if times.shape != indices.shape:
            raise ModelDefinitionError(f"{owner}: times ({times.size}) and indices ({indices.size}) must have the "
                                       "same length")
        self.times = times
        self.indices = indices

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
