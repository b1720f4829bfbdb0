"""Base classes for synapse dynamics and synaptic outputs."""

from __future__ import annotations

import abc
from typing import Callable, ClassVar

from ..core.params import Param, resolve_params


class _Described(abc.ABC):
    parameters: ClassVar[dict[str, Param]]

    def __init__(self, **params):
        self.params = resolve_params(self.parameters, params, 1, type(self).__name__)

    def structure_key(self) -> tuple:
        return (type(self).__module__, type(self).__qualname__)

    def value_key(self) -> tuple:
        return tuple(sorted(self.params.items()))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.params.items())})"


class AbstractSynapse(_Described):
    """Linear synapse dynamics on the post-synaptic side, one state per post-synaptic neuron.

    A model declares ``state`` (names), ``parameters``, ``spike_target`` and:

    - ``derived(p, dt)`` -> per-step constants (propagators), computed once; an optional ``w_scale`` multiplies
      every weight (a normalization folded into the stored weights before the run);
    - ``decay(xp)`` -> ``f(<state>, <constants>) -> new state``: exact evolution over one step without spikes;
    - each spike of weight ``w`` adds ``w * w_scale`` to the state variable ``spike_target``;
    - ``conductance(xp)`` -> ``f(<state>) -> g``: the quantity the output turns into a current (default: the
      first state variable).

    A model with ``in_post = True`` keeps no state: its integrator is part of the post-synaptic neuron model
    (one per neuron, shared by all connections of that type, as on neuromorphic chips), and each spike adds
    ``w`` to the post-synaptic neuron's state variable ``spike_target``; its output is not used.
    """

    state: ClassVar[tuple[str, ...]]
    spike_target: ClassVar[str]
    in_post: ClassVar[bool] = False
    #: canonical unit of the weights when the synapse fixes it (None: the output's ``weight_unit``)
    weight_unit: ClassVar[str | None] = None

    @classmethod
    def state_unit(cls, var: str, weight_unit: str) -> str | None:
        """Canonical unit of state variable ``var`` given the projection's weight unit (None: plain numbers
        only): the conductance (first state variable) has the weights' unit."""
        return weight_unit if var == cls.state[0] else None

    @staticmethod
    @abc.abstractmethod
    def derived(p: dict, dt: float) -> dict: ...

    @staticmethod
    @abc.abstractmethod
    def decay(xp) -> Callable: ...

    @staticmethod
    def conductance(xp) -> Callable:
        def g_of(g):
            return g

        return g_of


class AbstractOutput(_Described):
    """Turns a synapse's conductance ``g`` into a current (pA) into the post-synaptic neuron.

    ``current(xp)`` -> ``f(g, V, <parameters>) -> I``; ``V`` is the post-synaptic neuron's first state variable
    (its membrane potential, mV). ``weight_unit``: the canonical unit of the weights (and of ``g``);
    ``conductance``: True when ``g`` is a conductance, which cannot be negative.
    """

    weight_unit: ClassVar[str] = "pA"
    conductance: ClassVar[bool] = False

    @staticmethod
    @abc.abstractmethod
    def current(xp) -> Callable: ...


class IntoNeuronState(AbstractSynapse):
    """A synapse with no state of its own: a spike adds the weight (pA) to the post-synaptic neuron's variable
    ``spike_target``, whose dynamics the neuron model integrates (NEST-style PSC neurons, DYNAP-SE DPIs)."""

    parameters = {}
    state = ()
    in_post = True
    weight_unit = "pA"

    @staticmethod
    def derived(p, dt):
        return {}

    @staticmethod
    def decay(xp):
        def f():
            return ()

        return f
