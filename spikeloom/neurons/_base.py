"""The neuron-population base class: what every neuron model declares and how a population is built."""

from __future__ import annotations

import abc
import inspect
from typing import Callable, ClassVar

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..core.initializers import check_value
from ..core.params import Param, resolve_params
from ..integrators.fixed_step import METHODS


class AbstractNeuron(abc.ABC):
    """A population of ``n`` neurons of one model.

    A model class declares, once:

    - ``parameters``: name -> :class:`~spikeloom.core.params.Param` (default, unit, bound);
    - ``state``: name -> initial value (a number, or the name of a parameter whose value it takes);
    - ``ode_vars``: the state variables integrated by the chosen method (the rest change only in
      :meth:`threshold_reset`);
    - ``vector_field(xp)``: a factory returning ``f(<ode_vars>, I, <params>) -> derivatives`` in units per ms,
      written against the math namespace ``xp`` (scalar on the CPU engine, arrays on the JAX engine);
    - ``threshold_reset(xp)``: a factory returning ``g(<state>, <ode_var>_new..., <params>) -> (<state>..., spike)``
      that applies threshold, reset and refractoriness to the integrated values (old values by their plain
      names, integrated values with a ``_new`` suffix); a threshold crossing is written ``xp.spike(V_new - V_th)``
      (the step function ``x >= 0``, to which the JAX engine attaches a surrogate gradient when differentiating);
    - optionally ``exact(xp)``, the exact one-step solution for ``method="exact"``; ``linear_form(xp)``, for
      models whose every equation is affine in its own variable (``dx/dt = A + B x``): a function of the
      vector field's arguments returning ``(A_0, B_0, A_1, B_1, ...)``, which ``exp_euler`` then uses (write
      the equations there once and let ``vector_field`` return ``A + B x``); and ``derived(p, dt)``, per-step
      constants (decay factors) computed once before the run.

    Arguments of these functions are matched by name: state variables, ``I`` (the total input current, pA),
    ``dt`` (ms), ``xi`` (a standard normal draw per neuron and step, for noise), parameters and derived
    constants.

    Populations are built with ``Model(n, method=..., init={"V": Normal(-55, 2)}, **parameters)``.
    """

    parameters: ClassVar[dict[str, Param]]
    state: ClassVar[dict[str, float | str]]
    ode_vars: ClassVar[tuple[str, ...]]
    methods: ClassVar[tuple[str, ...]]
    #: parameter that switches the normal draw ``xi`` on when nonzero anywhere (None: model has no noise)
    noise_param: ClassVar[str | None] = None
    #: maximal stable ``dt * |eigenvalue|`` is checked against these time constants (ms) for explicit methods
    time_constant_params: ClassVar[tuple[str, ...]] = ()
    #: canonical unit of each state variable whose default is a number (one that defaults to a parameter has
    #: that parameter's unit); a variable not listed takes plain numbers only
    state_units: ClassVar[dict[str, str]] = {}

    def __init__(self, n: int, *, method: str | None = None, init: dict | None = None, name: str | None = None,
                 **params):
        owner = type(self).__name__
        self.n = validate.integer(n, "the number of neurons n", owner=owner, low=1)
        validate.memory(self.bytes_per_neuron() * float(self.n), f"{owner}({self.n})",
                        fix="use fewer neurons")
        self.name = name
        owner = f"{owner}({self.n})"
        self.method = self.methods[0] if method is None else method
        if not isinstance(self.method, str) or self.method not in self.methods:
            raise ModelDefinitionError(
                f"{owner}: method {self.method!r} is not available for this model; choose one of {list(self.methods)}"
                + ("" if isinstance(self.method, str) and self.method in METHODS
                   else f" (known methods: {sorted(METHODS)})")
            )
        self.params = resolve_params(self.parameters, params, self.n, owner)
        if not isinstance(init, (dict, type(None))):
            raise ModelDefinitionError(f"{owner}: init must be a dict {{state variable: value}}, got "
                                       f"{type(init).__name__}")
        init = dict(init or {})
        unknown = set(init) - set(self.state)
        if unknown:
            raise ModelDefinitionError(f"{owner}: unknown state variable(s) {sorted(unknown, key=str)} in init; "
                                       f"state variables: {list(self.state)}")
        self.init = {k: check_value(init[k], self.n, f"{owner}: init[{k!r}]", self.state_unit(k)) if k in init
                     else self._default_init(k) for k in self.state}

    @classmethod
    def bytes_per_neuron(cls) -> int:
        """Bytes a built neuron takes at most (state drawn in float64 and stored, parameters, index, spike
        flags): the estimate checked against free memory before anything is allocated."""
        return 8 * (2 * len(cls.state) + len(cls.parameters) + 2)

    @classmethod
    def state_unit(cls, var: str) -> str | None:
        """Canonical unit of state variable ``var`` (None: plain numbers only)."""
        default = cls.state[var]
        if isinstance(default, str):
            return cls.parameters[default].unit
        return cls.state_units.get(var)

    def _default_init(self, var):
        default = self.state[var]
        return self.params[default] if isinstance(default, str) else default

    # ---- model math (factories over a math namespace) -------------------------------------------------
    @staticmethod
    @abc.abstractmethod
    def vector_field(xp) -> Callable: ...

    @staticmethod
    @abc.abstractmethod
    def threshold_reset(xp) -> Callable: ...

    exact: ClassVar[Callable | None] = None
    linear_form: ClassVar[Callable | None] = None

    @classmethod
    def time_constants(cls, p: dict) -> list:
        """Time constants (ms) that bound dt for explicit methods (see ``integrators.fixed_step.METHODS``)."""
        return [np.asarray(p[k]) for k in cls.time_constant_params]

    def check_dt(self, dt: float) -> None:
        """Refuse a step ``dt`` (ms) for which this population's method is unstable: ``dt < limit * tau`` for
        the explicit methods (``METHODS``) and the smallest time constant of ``time_constant_params``."""
        limit = METHODS[self.method]
        taus = [np.min(t) for t in self.time_constants(self.params)]
        if limit is None or not taus:
            return
        if dt > limit * min(taus):
            raise ModelDefinitionError(
                f"population {self.name!r}: dt = {dt} ms is unstable for method {self.method!r} with a time "
                f"constant of {min(taus):.3g} ms (needs dt < {limit * min(taus):.3g} ms); lower dt or choose "
                "another method")

    #: largest stable total conductance input (nS) per neuron, ``f(params, dt, method)``; None: not checked
    max_conductance: ClassVar[Callable | None] = None

    @staticmethod
    def derived(p: dict, dt: float) -> dict:
        """Constants computed once per run from parameters ``p`` (scalars or arrays) and ``dt`` (ms)."""
        return {}

    # ---- description ----------------------------------------------------------------------------------
    @property
    def uses_noise(self) -> bool:
        if self.noise_param is None:
            return False
        return bool(np.any(np.asarray(self.params[self.noise_param]) != 0))

    def structure_key(self) -> tuple:
        """What decides the compiled code of this population (values of parameters do not)."""
        return (type(self).__module__, type(self).__qualname__, self.method, self.uses_noise)

    def __call__(self, inp=None):
        """Inside a network's ``update``: update this population now, with external input ``inp``."""
        from ..network.tracing import record_neuron_call

        record_neuron_call(self, inp)

    def __repr__(self):
        return f"{type(self).__name__}(n={self.n}, name={self.name!r})"


def argnames(fn) -> list[str]:
    """Names of the positional arguments of a model function (used to wire it into generated code)."""
    return list(inspect.signature(fn).parameters)
