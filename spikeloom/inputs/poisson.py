r"""Poisson input per target neuron, with no source neurons: Brian2's ``PoissonInput`` and NEST's
``poisson_generator``.

Each neuron of the target population receives, at every step, the number of spikes of ``n_sources``
independent Poisson trains of rate :math:`\nu` that fall into the step; each spike adds ``weight`` to the
synapse's ``spike_target``, as a spike of a stored projection would. The superposition of independent
Poisson processes is a Poisson process, so the count of a step is drawn as one

.. math::

    k \sim \mathrm{Poisson}(\mu),\qquad \mu = n_{sources}\,\nu\,dt,

exact at any rate (:func:`~spikeloom.core.random.make_poisson`: inversion below a mean of 10, Hörmann's
PTRS above). Brian2's ``PoissonInput`` draws ``Binomial(n_sources, nu dt)`` instead (at most one spike per
source and step), which needs :math:`\nu\,dt \le 1` and has variance :math:`\mu (1 - \nu dt)`: the two
agree to :math:`O(\nu\,dt)` (at 8 Hz and dt = 0.1 ms the binomial variance is 0.9992 of the Poisson one),
and only the Poisson count holds at any rate. NEST's ``poisson_generator`` draws Poisson counts with mean
:math:`\nu\,dt` per step and target, as :class:`PoissonGenerator` does.

Timing: the counts of step ``s`` are spikes at time :math:`(s + 1)\,dt` (the end of the step, as every
spike in spikeloom); with ``delay`` :math:`d` they are added to the target at the start of step
:math:`s + 1 + d/dt`, so the first can be felt from :math:`dt + d`, as for a spike source population
connected with delay :math:`d`, and as in NEST (a generator's spike of step ``s`` carries the stamp
``s + 1`` and is delivered ``d / dt`` steps later). Brian2's ``PoissonInput`` (no delay) adds its counts
from step 0 on, one step earlier.

Randomness: the count of target neuron ``i`` (index within its population) for step ``s`` is keyed by
``(seed, stream, s, i)``; the stream is a hash of the input's name, so the draws do not depend on other
inputs or populations, on chunking or on the engine (both draw the same counts).
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..network.projection import DelayRule, Projection, _label
from ..neurons._base import AbstractNeuron
from ..synapses import COBA, CUBA, AbstractOutput, AbstractSynapse, Exponential

#: largest mean count per step and target neuron (``log k!`` loses its precision in float64 far above it)
MAX_MEAN_PER_STEP = 1e9


class PoissonInput(Projection):
    """Poisson input into every neuron of ``target``, as Brian2's ``PoissonInput(target, n_sources, rate,
    weight)``: no source neurons are simulated (see the module docstring for the count law and its timing).

    Parameters
    ----------
    target:
        The population that receives the input (not a spike source).
    n_sources:
        Number of independent Poisson trains per target neuron (a whole number >= 1).
    rate:
        Rate of each train, Hz (>= 0; a brainunit quantity is converted).
    weight:
        Jump of the synapse state per spike, in the synapse's weight unit: pA for a synapse integrated by the
        neuron (``IafPscExp.excitatory()``) or ``CUBA``, nS for ``COBA`` (>= 0), mV for ``Delta``.
    synapse, output:
        As for a :class:`~spikeloom.Projection` (default ``Exponential()`` with ``COBA()``; ``CUBA()`` for a
        synapse integrated by the neuron). Poisson inputs into one population with the same synapse and output
        (models and parameters), called at the same place of the step, share one synapse state (linear synapses
        add).
    delay:
        Transmission delay, ms (>= 0, a multiple of dt).

    Attach it to a network like a projection (``self.bg = PoissonInput(self.E, ...)``); a custom ``update``
    calls it like a projection (``self.bg()``). A state monitor ``"bg.g"`` records its synapse state.
    """

    def __init__(self, target: AbstractNeuron, n_sources: int, rate, weight, synapse: AbstractSynapse | None = None,
                 output: AbstractOutput | None = None, delay=0.0, name: str | None = None):
        kind = type(self).__name__
        if name is not None and not isinstance(name, str):
            raise ModelDefinitionError(f"{kind}: name must be a string, got {type(name).__name__}")
        self.name = name
        if not isinstance(target, AbstractNeuron):
            raise ModelDefinitionError(f"{kind}: target must be a neuron population (LIF(...), IafPscExp(...), ...), "
                                       f"got {type(target).__name__}")
        if not type(target).ode_vars:
            raise ModelDefinitionError(f"{kind}: target {_label(target)} is a spike source and cannot receive "
                                       "input; give a population of neurons")
        self.pre = self.post = target
        self.conn = None
        owner = self.owner
        self.n_sources = validate.integer(n_sources, "n_sources", owner=owner, low=1)
        self.rate = validate.real(rate, "rate", owner=owner, unit="Hz", low=0.0)
        self.synapse = synapse if synapse is not None else Exponential()
        if not isinstance(self.synapse, AbstractSynapse):
            raise ModelDefinitionError(f"{owner}: synapse must be a synapse model (Exponential, "
                                       f"IafPscExp.excitatory(), ...), got {type(self.synapse).__name__}")
        self.output = output if output is not None else (CUBA() if self.synapse.in_post else COBA())
        if not isinstance(self.output, AbstractOutput):
            raise ModelDefinitionError(f"{owner}: output must be CUBA() or COBA(...), got {type(self.output).__name__}")
        if self.synapse.in_post and self.synapse.spike_target not in type(target).state:
            raise ModelDefinitionError(f"{owner}: {type(self.synapse).__name__} adds to the neuron variable "
                                       f"{self.synapse.spike_target!r}, which {type(target).__name__} does not have; "
                                       f"its variables: {list(type(target).state)}")
        self.weight_unit = self.synapse.weight_unit or self.output.weight_unit
        self.weight = validate.real(weight, "weight", owner=owner, unit=self.weight_unit)
        self._check_sign(self.weight, "weight")
        self.delay = validate.real(delay, "delay", owner=owner, unit="ms", low=0.0)
        self.delay_rule, self.delay_std, self.synapse_init = None, 0.0, {}

    @property
    def owner(self) -> str:
        kind = type(self).__name__
        return f"{kind} {self.name!r}" if self.name else f"{kind}(-> {_label(self.post)})"

    @property
    def storage(self) -> str:
        return "poisson"

    def mean_per_step(self, dt: float) -> float:
        """Mean count per step and target neuron, ``n_sources * rate * dt`` (``dt`` in ms)."""
        mean = self.n_sources * self.rate * dt * 1e-3
        if mean > MAX_MEAN_PER_STEP:
            raise ModelDefinitionError(f"{self.owner}: n_sources * rate * dt = {mean:.3g} spikes per step and neuron; "
                                       f"at most {MAX_MEAN_PER_STEP:.0e} are drawn exactly (use fewer sources, a lower "
                                       "rate, or a smaller dt)")
        return mean

    def offset_steps(self, dt: float) -> int:
        """Steps from the step whose spikes are drawn to the step that receives them: 1 + delay / dt."""
        rule = DelayRule(rounding="exact", below_dt="keep")
        return 1 + int(rule.steps(np.array([self.delay]), dt, self.owner, lambda i: "its spikes")[0])

    def __repr__(self):
        return (f"{type(self).__name__}({self.name!r} -> {self.post.name}, n_sources={self.n_sources}, "
                f"rate={self.rate:g} Hz, weight={self.weight:g} {self.weight_unit}, {self.synapse}, {self.output})")


class PoissonGenerator(PoissonInput):
    """NEST's ``poisson_generator`` connected to every neuron of ``target``: one independent Poisson train of
    ``rate`` (Hz) per target neuron, drawn as a Poisson count with mean ``rate * dt`` per step, each spike adding
    ``weight``; ``delay`` (ms, a multiple of dt) as NEST's connection delay. ``PoissonGenerator(t, rate, w)`` is
    ``PoissonInput(t, 1, rate, w)``; see :class:`PoissonInput` for the other arguments."""

    def __init__(self, target: AbstractNeuron, rate, weight, synapse: AbstractSynapse | None = None,
                 output: AbstractOutput | None = None, delay=0.0, name: str | None = None):
        super().__init__(target, 1, rate, weight, synapse=synapse, output=output, delay=delay, name=name)

    def __repr__(self):
        return (f"PoissonGenerator({self.name!r} -> {self.post.name}, rate={self.rate:g} Hz, "
                f"weight={self.weight:g} {self.weight_unit}, {self.synapse}, {self.output})")
