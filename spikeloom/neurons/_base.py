"""The neuron-population base class: what every neuron model declares and how a population is built."""

from __future__ import annotations

import abc
import inspect
from typing import Callable, ClassVar

import numpy as np

from .._errors import ModelDefinitionError
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

    def __init__(self, n: int, *, method: str | None = None, init: dict | None = None, name: str | None = None,
                 **params):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            raise ModelDefinitionError(f"{type(self).__name__}: the number of neurons must be a positive int, got {n!r}")
        self.n = int(n)
        self.name = name
        owner = f"{type(self).__name__}({self.n})"
        self.method = method or self.methods[0]
        if self.method not in self.methods:
            raise ModelDefinitionError(
                f"{owner}: method {self.method!r} is not available for this model; choose one of {list(self.methods)}"
                + ("" if self.method in METHODS else f" (known methods: {sorted(METHODS)})")
            )
        self.params = resolve_params(self.parameters, params, self.n, owner)
        init = dict(init or {})
        unknown = set(init) - set(self.state)
        if unknown:
            raise ModelDefinitionError(f"{owner}: unknown state variable(s) {sorted(unknown)} in init; "
                                       f"state variables: {list(self.state)}")
        self.init = {k: init.get(k, self._default_init(k)) for k in self.state}

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
