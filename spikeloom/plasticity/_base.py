"""The base class of plasticity rules: per-synapse state changed at presynaptic and postsynaptic events and,
between events, in closed form.

A rule declares, once:

- ``parameters``: name -> :class:`~spikeloom.core.params.Param`; amplitudes and weight bounds are plain numbers
  (unit ``"1"``) in the projection's weight unit (nS, pA or mV);
- ``state``: the per-synapse variables besides the weight ``w`` (name -> initial value); ``variables`` is
  ``("w", *state)``, the order in which every synapse function returns them;
- ``decay(xp)`` (optional, None: the synapse variables do not change between events): ``f(<variables>, elapsed,
  <parameters>) -> <variables>``, the exact evolution over ``elapsed`` ms without events (called before each
  event, from the synapse's last event);
- ``on_pre(xp)``: ``f(...) -> (<variables>, delivered)``, applied when a presynaptic spike reaches the synapse;
  ``delivered`` (weight unit) is what the spike adds to the synapse's ``spike_target`` (STDP: the new ``w``;
  short-term plasticity: ``u x w``);
- ``on_post(xp)`` (optional, None: the rule ignores postsynaptic spikes): ``f(...) -> <variables>``, applied when
  the postsynaptic neuron spikes.

A function with one result returns it bare (a rule whose only variable is ``w``: ``on_post`` returns ``w``).

*Traces* (optional): a variable that depends only on the presynaptic spike arrivals (a presynaptic trace of an
all-to-all or nearest-spike rule) or only on the postsynaptic spikes is the same for every synapse it
reaches, so it is kept once per presynaptic neuron and delay (``pre_traces``, name -> initial value) or once
per postsynaptic neuron (``post_traces``) and updated once per spike instead of once per synapse. Traces decay
linearly between their spikes: each side with traces has ``decay_pre(xp)`` / ``decay_post(xp)``:
``f(elapsed, <parameters>) -> <factors>``, one factor per trace of the side (a trace ``a`` becomes ``a x
factor`` over ``elapsed`` ms; the CPU engine tabulates the factors by elapsed steps), and ``spike_pre(xp)`` /
``spike_post(xp)``: ``f(<traces>, <parameters>) -> <traces>``, the traces after the side's spike (applied after
``on_pre`` / ``on_post`` of all the synapses it reaches). The synapse functions read the traces by name (read
only; their values at the event, before the event's own jump).

Arguments are matched by name, as for neuron models: the variables, the traces, ``elapsed`` (decays only, ms),
the parameters, and ``pre_<var>`` / ``post_<var>``, a state variable of the presynaptic / postsynaptic neuron
(read only, its value when the event is processed); the trace functions take their side's traces (spikes),
``elapsed`` (decays) and parameters only. The names are checked when the plan is built. The factories are
written against the math namespace ``xp`` (``xp.exp``, ``xp.where``, ``xp.minimum``, ...; a helper used inside
them is wrapped in ``xp.inline``), so both engines compile the same functions; a rule with structural choices
(``options``) receives them as keyword arguments of the factories that name them. A rule never sees an engine.
"""

from __future__ import annotations

import abc
import inspect
from typing import Callable, ClassVar

from .._errors import ModelDefinitionError
from ..core import validate
from ..core.params import Param, resolve_params
from ..neurons._base import argnames

#: the factories a rule may define, by the engines' names for them; ``on_pre`` is required
FACTORIES = {"decay": "decay", "pre": "on_pre", "post": "on_post", "decay_pre": "decay_pre",
             "spike_pre": "spike_pre", "decay_post": "decay_post", "spike_post": "spike_post"}


class PlasticityRule(abc.ABC):
    """A plasticity rule of a stored projection (``Projection(..., plasticity=rule)``); see the module."""

    parameters: ClassVar[dict[str, Param]] = {}
    state: ClassVar[dict[str, float]] = {}
    pre_traces: ClassVar[dict[str, float]] = {}
    post_traces: ClassVar[dict[str, float]] = {}
    decay: ClassVar[Callable | None] = None
    on_post: ClassVar[Callable | None] = None
    decay_pre: ClassVar[Callable | None] = None
    spike_pre: ClassVar[Callable | None] = None
    decay_post: ClassVar[Callable | None] = None
    spike_post: ClassVar[Callable | None] = None

    def __init__(self, **params):
        self.params = resolve_params(self.parameters, params, 1, type(self).__name__)

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """The per-synapse variables, weight first: the order of every rule function's results."""
        return ("w", *cls.state)

    @staticmethod
    @abc.abstractmethod
    def on_pre(xp) -> Callable: ...

    def options(self) -> dict:
        """Structural choices, passed as keyword arguments to the factories that name them (fixed when the loop
        is generated, so a choice costs nothing at run time); plain Python values whose ``repr`` evaluates to
        them."""
        return {}

    def factory_options(self, name: str) -> dict:
        """The options that factory ``name`` (``"on_pre"``, ...) takes."""
        accepted = inspect.signature(getattr(type(self), name)).parameters
        return {k: v for k, v in self.options().items() if k in accepted}

    def functions(self, xp) -> dict[str, Callable]:
        """The rule's functions bound to ``xp``, by engine name (see :data:`FACTORIES`; absent: not defined)."""
        cls = type(self)
        return {k: getattr(cls, name)(xp, **self.factory_options(name)) for k, name in FACTORIES.items()
                if getattr(cls, name) is not None}

    def weight_bounds(self) -> tuple[float, float] | None:
        """``(w_min, w_max)`` that every weight must lie in at the start (None: any weight)."""
        return None

    def structure_key(self) -> tuple:
        return (type(self).__module__, type(self).__qualname__, tuple(sorted(self.options().items())))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v:g}' for k, v in self.params.items())})"


def needs_post_events(rule: PlasticityRule) -> bool:
    """Whether postsynaptic spikes change anything: the rule has ``on_post`` or postsynaptic traces."""
    return type(rule).on_post is not None or bool(type(rule).post_traces)


def check_rule(rule: PlasticityRule, owner: str, pre: tuple[str, tuple], post: tuple[str, tuple]) -> None:
    """Refuse a rule whose functions name something that does not exist, when the plan is built: each argument
    must be a variable, a trace, a parameter, ``elapsed`` (decays only) or ``pre_<var>`` / ``post_<var>`` of a
    state variable of the neuron model (``pre``/``post``: population name and its variables); a trace function
    takes its side's traces (spike functions), ``elapsed`` (decays) and parameters only. Also checks that a side
    with traces has its decay and spike functions and that no name is used twice."""
    cls, name = type(rule), type(rule).__name__
    names = [*cls.variables(), *cls.pre_traces, *cls.post_traces]
    if len(set(names)) < len(names):
        raise ModelDefinitionError(f"{owner}: {name} uses a name twice among its variables and traces {names}")
    for side in ("pre", "post"):
        if getattr(cls, f"{side}_traces"):
            for fn in (f"decay_{side}", f"spike_{side}"):
                if getattr(cls, fn) is None:
                    raise ModelDefinitionError(f"{owner}: {name} has {side}_traces but no {fn}")
    for kind, fn in rule.functions(_Names()).items():
        trace_side = kind.partition("_")[2]  # "pre" / "post" for the trace functions, "" for the synapse's
        own = () if kind.startswith("decay_") else getattr(cls, f"{trace_side}_traces") if trace_side else names
        known = set(own) | set(rule.params)
        for arg in argnames(fn):
            side, _, var = arg.partition("_")
            if arg in known or (arg == "elapsed" and kind.startswith("decay")):
                continue
            if side in ("pre", "post") and var and not trace_side:
                pop, variables = pre if side == "pre" else post
                if var in variables:
                    continue
                raise ModelDefinitionError(f"{owner}: {name}.{FACTORIES[kind]} argument {arg!r}: the {side}synaptic "
                                           f"population {pop!r} has no state variable {var!r}; its variables: "
                                           f"{sorted(variables)}")
            raise ModelDefinitionError(f"{owner}: {name}.{FACTORIES[kind]} argument {arg!r} is none of "
                                       f"{sorted(known - set(rule.params))}, the parameters {sorted(rule.params)}"
                                       f"{', elapsed' if kind.startswith('decay') else ''}"
                                       f"{'' if trace_side else ', pre_<var> or post_<var>'}")


class _Names:
    """A stand-in ``xp`` for reading a factory's argument names (its functions are never called)."""

    def __getattr__(self, name):
        return (lambda fn: fn) if name == "inline" else (lambda *args: None)


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
