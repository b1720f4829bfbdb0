"""One cortical Izhikevich neuron (or a batch of independent ones) under Poisson conductance input.

The experiment: ``n_exc`` excitatory and ``n_inh`` inhibitory Poisson inputs with lognormally distributed
rates drive one regular-spiking Izhikevich neuron through exponential conductance synapses; ``n_unconn``
further inputs are not connected. Integrated event-driven with the adaptive solver: input spikes act at their
exact times, spikes are located threshold crossings.

.. math::

    C \\frac{dv}{dt} = k (v - v_r)(v - v_t) - u - g_{exc} (v - E_{exc}) - g_{inh} (v - E_{inh}), \\qquad
    \\frac{du}{dt} = a (b (v - v_r) - u), \\qquad \\frac{dg_x}{dt} = -\\frac{g_x}{\\tau_s}

An input spike of kind ``x`` adds ``dg_x`` to ``g_x``; at ``v >= v_peak``: ``v <- c``, ``u <- u + d``. All
synapses of a kind share ``tau_s`` and ``E_x``, so their conductances add up into one ``g_x`` exactly. Input
rates: lognormal with mean ``rate_mean`` and log-standard deviation ``rate_sigma``.

==============  =========  ======  ================================================================
parameter       default    unit    meaning
==============  =========  ======  ================================================================
``C``           100        pF      membrane capacitance
``k``           0.7        nS/mV   steepness of dv/dt's parabola
``v_r``         -60        mV      resting potential
``v_t``         -40        mV      instantaneous threshold
``a``           0.03       1/ms    1 / time constant of ``u``
``b``           -2         nS      how strongly deviations of ``v`` from ``v_r`` increase ``u``
``v_peak``      35         mV      spike cut-off
``c``           -50        mV      reset voltage
``d``           100        pA      ``u`` increase at a spike
``E_exc``       0          mV      excitatory reversal potential
``E_inh``       -65        mV      inhibitory reversal potential
``tau_s``       7          ms      synaptic time constant
``dg_exc``      0.1        nS      conductance jump per excitatory input spike
``dg_inh``      0.4        nS      conductance jump per inhibitory input spike
``v0``          -80        mV      initial ``v``
``u0``          0          pA      initial ``u``
``rate_mean``   4          Hz      mean input rate
``rate_sigma``  sqrt(0.6)  1       standard deviation of the log input rate
``atol_v``      0.01       mV      absolute tolerance of ``v``
``atol_u``      0.01       pA      absolute tolerance of ``u``
``rtol``        0          1       relative tolerance (0: absolute tolerances only)
``dtmin``       0.01       ms      shortest error-controlled step
``dtmax``       0.5        ms      longest step
``dt0``         0.1        ms      first trial step
==============  =========  ======  ================================================================

The tolerances are the seed's absolute tolerances times its correction factor 0.1. The seed sets
``reltol = 1`` with the comment "only use abstol"; a relative tolerance of 1 allows errors as large as the
state itself, so the intent (absolute tolerances only) is ``rtol = 0``, the default here.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..core.params import Param, resolve_params
from ..inputs.spike_inputs import LogNormalRates
from ..integrators.adaptive import AdaptiveOptions
from ..neurons.izhikevich import Izhikevich
from ..run.event_driven import EventDrivenNeurons, EventDrivenResult, InputChannel
from ..synapses.exponential import Exponential
from ..synapses.outputs import COBA

#: seed's simulated duration (ms)
DURATION = 1200.0

_NEURON = ("C", "k", "v_r", "v_t", "a", "b", "v_peak", "c", "d")


class IzhikevichPoisson:
    """The experiment for ``len(seeds)`` independent neurons (one per seed; an int gives one neuron).

    Parameters (table in the module docstring) accept brainunit quantities and are checked for their
    dimension; a neuron parameter may be an array over the batch. Each seed draws its own input rates and
    input spike trains; source ``j`` is excitatory for ``j < n_exc``, inhibitory for the next ``n_inh``, and
    unconnected after that (``kind`` 0, 1, -1).
    """

    parameters = {
        **{name: Izhikevich.parameters[name] for name in _NEURON},
        "E_exc": Param(0.0, "mV"),
        "E_inh": Param(-65.0, "mV"),
        "tau_s": Param(7.0, "ms", "positive"),
        "dg_exc": Param(0.1, "nS", "nonneg"),
        "dg_inh": Param(0.4, "nS", "nonneg"),
        "v0": Param(-80.0, "mV"),
        "u0": Param(0.0, "pA"),
        "rate_mean": Param(4.0, "Hz", "positive"),
        "rate_sigma": Param(math.sqrt(0.6), "1", "nonneg"),
        "atol_v": Param(0.01, "mV", "nonneg"),
        "atol_u": Param(0.01, "pA", "nonneg"),
        "rtol": Param(0.0, "1", "nonneg"),
        "dtmin": Param(0.01, "ms", "nonneg"),
        "dtmax": Param(0.5, "ms", "positive"),
        "dt0": Param(0.1, "ms", "positive"),
    }

    def __init__(self, n_exc: int = 800, n_inh: int | None = None, n_unconn: int = 100, seeds=0, **params):
        n_exc = validate.integer(n_exc, "n_exc", owner="IzhikevichPoisson", low=0)
        n_inh = n_exc // 4 if n_inh is None else validate.integer(n_inh, "n_inh", owner="IzhikevichPoisson", low=0)
        n_unconn = validate.integer(n_unconn, "n_unconn", owner="IzhikevichPoisson", low=0)
        if n_exc + n_inh + n_unconn == 0:
            raise ModelDefinitionError("IzhikevichPoisson: n_exc, n_inh and n_unconn are all 0; the experiment "
                                       "needs at least one input source")
        self.n_exc, self.n_inh, self.n_unconn = n_exc, n_inh, n_unconn
        self.seeds = np.atleast_1d(np.asarray(seeds))
        if self.seeds.ndim != 1 or not np.issubdtype(self.seeds.dtype, np.integer) or np.any(self.seeds < 0):
            raise ModelDefinitionError(f"IzhikevichPoisson: seeds must be an int >= 0 or a list of them, got {seeds!r}")
        self.params = resolve_params(self.parameters, params, self.seeds.size, "IzhikevichPoisson")
        for name in self.parameters:
            if name not in _NEURON and np.ndim(self.params[name]):
                raise ModelDefinitionError(f"IzhikevichPoisson: only neuron parameters may differ across the batch; "
                                           f"{name!r} must be a scalar")

    @property
    def n_sources(self) -> int:
        return self.n_exc + self.n_inh + self.n_unconn

    @property
    def kind(self) -> np.ndarray:
        """Kind of each input source: 0 excitatory, 1 inhibitory, -1 unconnected."""
        return np.repeat(np.array([0, 1, -1]), [self.n_exc, self.n_inh, self.n_unconn])

    def rates(self) -> np.ndarray:
        """Input rates (Hz), one row per neuron, drawn from the lognormal distribution with each neuron's seed."""
        dist = LogNormalRates(self.params["rate_mean"], self.params["rate_sigma"])
        return np.stack([dist.sample(self.n_sources, np.random.default_rng([int(s), 1])) for s in self.seeds])

    def options(self) -> AdaptiveOptions:
        p = self.params
        return AdaptiveOptions(atol={"v": p["atol_v"], "u": p["atol_u"]}, rtol=p["rtol"], dtmin=p["dtmin"],
                               dtmax=p["dtmax"], dt0=p["dt0"])

    def simulation(self) -> EventDrivenNeurons:
        p = self.params
        neuron = Izhikevich(self.seeds.size, init={"v": p["v0"], "u": p["u0"]}, **{k: p[k] for k in _NEURON})
        synapse = Exponential(tau=p["tau_s"])
        channels = {"exc": InputChannel(synapse, COBA(E=p["E_exc"])), "inh": InputChannel(synapse, COBA(E=p["E_inh"]))}
        names = {0: "exc", 1: "inh", -1: None}
        weight = np.array([p["dg_exc"], p["dg_inh"], 0.0])[self.kind]
        return EventDrivenNeurons(neuron, channels, [names[k] for k in self.kind], weight, rates=self.rates(),
                                  seeds=self.seeds)

    def run(self, duration: float = DURATION, engine: str = "cpu", record_inputs: bool = False,
            sample_dt: float | None = None, parallel: bool | None = None) -> EventDrivenResult:
        return self.simulation().run(duration, self.options(), engine=engine, record_inputs=record_inputs,
                                     sample_dt=sample_dt, parallel=parallel)
