"""The base class of plasticity rules: per-synapse state changed at presynaptic and postsynaptic events and,
between events, in closed form.

A rule declares, once:

- ``parameters``: name -> :class:`~spikeloom.core.params.Param`; amplitudes and weight bounds are plain numbers
  (unit ``"1"``) in the projection's weight unit (nS, pA or mV);
- ``state``: the per-synapse variables besides the weight ``w`` (name -> initial value); ``variables`` is
  ``("w", *state)``, the order in which every rule function returns them;
- ``decay(xp)``: ``f(<variables>, elapsed, <parameters>) -> <variables>``, the exact evolution over ``elapsed``
  ms without events (called before each event, from the synapse's last event);
- ``on_pre(xp)``: ``f(...) -> (<variables>, delivered)``, applied when a presynaptic spike reaches the synapse;
  ``delivered`` (weight unit) is what the spike adds to the synapse's ``spike_target`` (STDP: the new ``w``;
  short-term plasticity: ``u x w``);
- ``on_post(xp)`` (optional, None: the rule ignores postsynaptic spikes): ``f(...) -> <variables>``, applied when
  the postsynaptic neuron spikes.

Arguments are matched by name, as for neuron models: the variables, ``elapsed`` (``decay`` only, ms), the
parameters, and ``pre_<var>`` / ``post_<var>``, a state variable of the presynaptic / postsynaptic neuron
(read only, its value when the event is processed). The factories are written against the math namespace ``xp``
(``xp.exp``, ``xp.where``, ``xp.minimum``, ...; a helper used inside them is wrapped in ``xp.inline``), so both
engines compile the same functions. A rule never sees an engine.
"""

from __future__ import annotations

import abc
from typing import Callable, ClassVar

from .._errors import ModelDefinitionError
from ..core import validate
from ..core.params import Param, resolve_params


class PlasticityRule(abc.ABC):
    """A plasticity rule of a stored projection (``Projection(..., plasticity=rule)``); see the module."""

    parameters: ClassVar[dict[str, Param]] = {}
    state: ClassVar[dict[str, float]] = {}
    on_post: ClassVar[Callable | None] = None

    def __init__(self, **params):
        self.params = resolve_params(self.parameters, params, 1, type(self).__name__)

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """The per-synapse variables, weight first: the order of every rule function's results."""
        return ("w", *cls.state)

    @staticmethod
    @abc.abstractmethod
    def decay(xp) -> Callable: ...

    @staticmethod
    @abc.abstractmethod
    def on_pre(xp) -> Callable: ...

    def weight_bounds(self) -> tuple[float, float] | None:
        """``(w_min, w_max)`` that every weight must lie in at the start (None: any weight)."""
        return None

    def structure_key(self) -> tuple:
        return (type(self).__module__, type(self).__qualname__)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v:g}' for k, v in self.params.items())})"


def bounded_trace_rule(rule: PlasticityRule, params: dict, interaction: str, reserved: tuple[str, ...],
                       choices: dict[str, tuple[str, object]], values: dict) -> None:
    """The constructor shared by the trace rules with weight bounds (``STDP``, ``TripletSTDP``): check each
    option of ``choices`` (name -> (given, allowed)) and ``interaction`` (``"all"`` or ``"nearest"``), refuse the
    parameters in ``reserved`` (``nearest`` and those the options set) among the user's ``params``, resolve the
    parameters from ``values`` (what the options set) updated by ``params`` and then ``nearest``, and check
    ``w_max > w_min``. Sets ``rule.interaction`` and each option as an attribute."""
    owner = type(rule).__name__
    for name, (given, allowed) in {**choices, "interaction": (interaction, INTERACTIONS)}.items():
        validate.choice(given, name, list(allowed), owner=owner)
        setattr(rule, name, given)
    for name in reserved + ("nearest",):
        if name in params:
            raise ModelDefinitionError(f"{owner}: {name} is set by {' / '.join([*choices, 'interaction'])}")
    PlasticityRule.__init__(rule, **{**values, **params, "nearest": INTERACTIONS[interaction]})
    if not rule.params["w_max"] > rule.params["w_min"]:
        raise ModelDefinitionError(f"{owner}: w_max ({rule.params['w_max']:g}) must be above w_min "
                                   f"({rule.params['w_min']:g})")


#: ``interaction`` of the trace rules -> their parameter ``nearest``
INTERACTIONS = {"all": 0.0, "nearest": 1.0}


def exp_decay(xp):
    """``decay(elapsed, tau) = exp(-elapsed / tau)``: the factor of a trace ``dx/dt = -x / tau`` over
    ``elapsed`` ms (``tau = 0``: 0, a trace that is gone at once)."""

    def f(elapsed, tau):
        return xp.where(tau > 0.0, xp.exp(-elapsed / xp.maximum(tau, 1e-30)), 0.0)

    return xp.inline(f)


def clip(xp):
    """``clip(w, lo, hi)``: ``w`` limited to ``[lo, hi]`` (hard bounds)."""

    def f(w, lo, hi):
        return xp.minimum(xp.maximum(w, lo), hi)

    return xp.inline(f)
