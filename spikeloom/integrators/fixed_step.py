"""Fixed-step integrators, generated as Python source for a model's ODE variables.

Each method is a template that calls the model's vector field ``vf`` (bound by the engine under the name
given) and returns the new values of the ODE variables. The same text runs on every engine.

=============  ==============================================================  ===================
method         update                                                          stable for dt*|l| <
=============  ==============================================================  ===================
``exact``      the model's own closed-form step (linear dynamics, I constant)   any
``exp_euler``  x + f(x) * expm1(B dt) / B with B = df/dx (exact for f affine)  any
``euler``      x + dt f(x)                                                     2
``rk2``        Heun: x + dt/2 (k1 + k2)                                        2
``rk4``        classical fourth-order Runge-Kutta                              2.78
=============  ==============================================================  ===================

``exp_euler`` needs each equation to be affine in its own variable (conditionally linear, as in HH gating
and LIF). A model that states the affine form ``dx/dt = A + B x`` (``linear_form``) gives A and B in one
evaluation; otherwise the slope B comes from a unit finite difference (exact for affine functions), one more
evaluation of the vector field per variable.
"""

from __future__ import annotations

import math

import numpy as np

#: method -> largest stable dt * |eigenvalue| for a linear decay (None: unconditionally stable)
METHODS = {"exact": None, "exp_euler": None, "euler": 2.0, "rk2": 2.0, "rk4": 2.785}


#: order of the Taylor polynomial each explicit method applies to a linear decay
_ORDER = {"euler": 1, "rk2": 2, "rk4": 4}


def decay_factor(method: str, h):
    """Factor ``r`` by which one step of ``method`` multiplies ``x - x_inf`` for ``dx/dt = (x_inf - x) / tau``
    with ``x_inf`` held over the step, ``h = dt / tau``: ``e^-h`` for ``exact`` and ``exp_euler``, the Taylor
    polynomial of order 1, 2, 4 of ``e^-h`` for ``euler``, ``rk2``, ``rk4``. Stability limits of inputs that
    depend on the state (a conductance input) follow from it (``LIF.max_conductance``)."""
    h = np.asarray(h, dtype=np.float64)
    if METHODS[method] is None:
        return np.exp(-h)
    return sum((-h) ** k / math.factorial(k) for k in range(_ORDER[method] + 1))


def integrator_source(method: str, name: str, vf: str, ode_vars: list[str], vf_args: list[str],
                      exact: str | None = None, exact_args: list[str] | None = None, linear: str | None = None) -> str:
    """Source of ``def name(<vf_args...>, <exact_args...>, dt)`` returning the tuple of new ODE values.

    ``linear``: name of the model's ``linear_form`` (same arguments as the vector field, returning ``(A_0, B_0,
    A_1, B_1, ...)``), used by ``exp_euler`` when given."""
    args = list(dict.fromkeys(vf_args + (exact_args or []) + ["dt"]))
    head = f"def {name}({', '.join(args)}):\n"
    n = len(ode_vars)

    def call(subst: dict[str, str]) -> str:
        return f"{vf}({', '.join(subst.get(a, a) for a in vf_args)})"

    if method == "exact":
        if exact is None:
            raise ValueError("method 'exact' needs the model's exact step")
        return head + f"    return {exact}({', '.join(exact_args)})\n"
    if method == "exp_euler" and linear is not None:
        lines = [f"    ab = {linear}({', '.join(vf_args)})"]
        new = []
        for i, x in enumerate(ode_vars):
            lines.append(f"    B{i} = ab[{2 * i + 1}]")
            lines += _exp_factor(i)
            new.append(f"{x} + (ab[{2 * i}] + B{i} * {x}) * G{i}")
        lines.append(f"    return ({', '.join(new)}{',' if n == 1 else ''})")
        return head + "\n".join(lines) + "\n"
    lines = [f"    k1 = {call({})}"]
    if method == "euler":
        new = [f"{x} + dt * k1[{i}]" for i, x in enumerate(ode_vars)]
    elif method == "rk2":
        lines.append(f"    k2 = {call({x: f'({x} + dt * k1[{i}])' for i, x in enumerate(ode_vars)})}")
        new = [f"{x} + (0.5 * dt) * (k1[{i}] + k2[{i}])" for i, x in enumerate(ode_vars)]
    elif method == "rk4":
        lines.append(f"    k2 = {call({x: f'({x} + (0.5 * dt) * k1[{i}])' for i, x in enumerate(ode_vars)})}")
        lines.append(f"    k3 = {call({x: f'({x} + (0.5 * dt) * k2[{i}])' for i, x in enumerate(ode_vars)})}")
        lines.append(f"    k4 = {call({x: f'({x} + dt * k3[{i}])' for i, x in enumerate(ode_vars)})}")
        new = [f"{x} + (dt / 6.0) * (k1[{i}] + 2.0 * k2[{i}] + 2.0 * k3[{i}] + k4[{i}])"
               for i, x in enumerate(ode_vars)]
    elif method == "exp_euler":
        new = []
        for i, x in enumerate(ode_vars):
            lines.append(f"    B{i} = {call({x: f'({x} + 1.0)'})}[{i}] - k1[{i}]")
            lines += _exp_factor(i)
            new.append(f"{x} + k1[{i}] * G{i}")
    else:
        raise ValueError(f"unknown integration method {method!r}; known: {sorted(METHODS)}")
    lines.append(f"    return ({', '.join(new)}{',' if n == 1 else ''})")
    return head + "\n".join(lines) + "\n"


def _exp_factor(i: int) -> list[str]:
    """``G<i> = expm1(B<i> dt) / B<i>`` (``dt`` where ``B<i>`` is 0): x + (A + B x) G is the exact step."""
    # where() with a safe divisor keeps the template valid for array engines and their gradients
    return [f"    S{i} = where(B{i} != 0.0, B{i}, 1.0)", f"    G{i} = where(B{i} != 0.0, expm1(S{i} * dt) / S{i}, dt)"]


#: names the generated source expects the engine to bind from its math namespace
TEMPLATE_NAMES = ("where", "expm1")
