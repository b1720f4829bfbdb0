"""Adaptive Runge-Kutta integration with error control, dense output and event location.

The method is the embedded Dormand-Prince 5(4) pair (Dormand & Prince 1980; the same tableau as MATLAB's
``ode45``, scipy's ``RK45`` and Julia's ``DP5``): seven stages, the last one evaluated at the new point and
reused as the first of the next step (FSAL), a fifth-order solution and a fourth-order error estimate. The
dense output is Shampine's (1986) quartic interpolant over the seven stages.

Error control, per variable ``i``: a step of size ``h`` is accepted when

.. math::

    \\sqrt{\\frac{1}{n}\\sum_i \\left(\\frac{e_i}{atol_i + rtol_i \\max(|y_i|, |y_i^{new}|)}\\right)^2} \\le 1

and the next step is ``h * clip(0.9 * err**(-1/5), 0.2, 10)``, kept within ``[dtmin, dtmax]``. A step no
longer than ``dtmin`` is accepted whatever its error (the engines count those steps).

Events: a scheduled event (an input spike at a known time) ends a step exactly at its time; a state event
(the model's ``threshold_reset`` reports a spike at the end of an accepted step) is located by bisection on
the dense output to ``event_tol`` ms, the step is cut there and the reset applied. A crossing that is undone
within one step (possible only for models that come back below threshold by themselves) is not seen; the
step never exceeds ``dtmax``.

The functions here are engine-neutral source: :func:`make_dp5` binds them to an engine's math namespace
(``xp.inline`` for small helpers with few callers, ``xp.function`` for those called from several places, which
keeps compile time low) and to a right-hand side; the CPU engine compiles them (``engines/numba/adaptive.py``), the JAX engine uses the
same tableau (``engines/jax/adaptive.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError

# ---- Dormand-Prince 5(4) tableau -------------------------------------------------------------------------
C2, C3, C4, C5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9
A21 = 1 / 5
A31, A32 = 3 / 40, 9 / 40
A41, A42, A43 = 44 / 45, -56 / 15, 32 / 9
A51, A52, A53, A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
A61, A62, A63, A64, A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
# fifth-order weights (= the seventh stage's row: first same as last)
B1, B3, B4, B5, B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
# error weights: fifth- minus fourth-order solution
E1, E3, E4, E5, E6, E7 = -71 / 57600, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40
# Shampine's dense output: y(t + theta h) = y + h sum_j k_j sum_m P[j][m] theta^(m+1) (stage 2 has no weight)
P = np.array((
    (1.0, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432),
    (0.0, 0.0, 0.0, 0.0),
    (0.0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799),
    (0.0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072),
    (0.0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632),
    (0.0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844),
    (0.0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423),
))
#: the tableau as arrays: row s of A gives stage s (row 6 = the fifth-order weights), C the stage times
A = np.array([
    [0.0] * 7,
    [A21, 0, 0, 0, 0, 0, 0],
    [A31, A32, 0, 0, 0, 0, 0],
    [A41, A42, A43, 0, 0, 0, 0],
    [A51, A52, A53, A54, 0, 0, 0],
    [A61, A62, A63, A64, A65, 0, 0],
    [B1, 0, B3, B4, B5, B6, 0],
])
C = np.array([0.0, C2, C3, C4, C5, 1.0, 1.0])
E = np.array([E1, 0.0, E3, E4, E5, E6, E7])
#: exponent of the step-size controller (the error estimate is of order 4)
ERROR_EXPONENT = -1 / 5
SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 10.0
N_STAGES = 7


@dataclass(frozen=True)
class AdaptiveOptions:
    """Tolerances and step bounds of the adaptive solver (times in ms, tolerances in the variables' units).

    ``atol`` and ``rtol`` are one number for every ODE variable or a dict ``{variable: value}`` naming each.
    ``dt0`` is the first trial step; ``dtmin`` the step below which error control gives up (0: never);
    ``dtmax`` the longest step; ``event_tol`` the accuracy of a located threshold crossing.
    """

    atol: float | dict = 1e-6
    rtol: float | dict = 1e-6
    dtmin: float = 0.0
    dtmax: float = 0.5
    dt0: float = 0.01
    event_tol: float = 1e-10

    def per_variable(self, ode_vars: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """``(atol, rtol)`` as float64 arrays in the order of ``ode_vars``; raises on unknown names or bad values."""
        out = []
        for name, value in (("atol", self.atol), ("rtol", self.rtol)):
            if isinstance(value, dict):
                if set(value) != set(ode_vars):
                    raise ModelDefinitionError(f"AdaptiveOptions.{name} must name each ODE variable {list(ode_vars)} "
                                               f"once, got {sorted(value)}")
                arr = np.array([float(value[v]) for v in ode_vars])
            else:
                arr = np.full(len(ode_vars), float(value))
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ModelDefinitionError(f"AdaptiveOptions.{name} must be finite and >= 0, got {arr}")
            out.append(arr)
        atol, rtol = out
        if np.any(atol + rtol <= 0):
            raise ModelDefinitionError("AdaptiveOptions: atol + rtol must be > 0 for every variable, got "
                                       f"atol {atol}, rtol {rtol}")
        for name in ("dtmax", "dt0", "event_tol"):
            if not (np.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ModelDefinitionError(f"AdaptiveOptions.{name} must be > 0 ms, got {getattr(self, name)}")
        if not (0 <= self.dtmin <= self.dtmax):
            raise ModelDefinitionError(f"AdaptiveOptions: need 0 <= dtmin <= dtmax, got dtmin {self.dtmin}, "
                                       f"dtmax {self.dtmax}")
        return atol, rtol


def make_dp5(xp, rhs, crossed):
    """Bind the solver to a right-hand side and a spike test; return its functions (in-place on arrays).

    ``rhs(s, y, ctx, out)`` writes dy/dt at time ``t + s`` (``t`` the start of the current step) into ``out``;
    ``crossed(y0, y1, ctx, scratch)`` says whether the model spikes when going from ``y0`` to ``y1``. ``ctx`` is
    passed through untouched. Returned: ``step``, ``error_norm``, ``step_factor``, ``dense``, ``locate``.
    ``k`` is a ``(7, n)`` array whose row 0 holds ``f(t, y)`` before a step and row 6 ``f(t + h, y_new)`` after.
    """

    @xp.inline
    def step(h, y, k, ctx, y_new, y_err, tmp):
        # one loop over the stages: the right-hand side appears once, which keeps compile time low
        n = y.shape[0]
        for s in range(1, N_STAGES):
            for i in range(n):
                acc = 0.0
                for j in range(s):
                    acc += A[s, j] * k[j, i]
                tmp[i] = y[i] + h * acc
            rhs(C[s] * h, tmp, ctx, k[s])
        for i in range(n):  # the last stage was evaluated at the new point
            y_new[i] = tmp[i]
            acc = 0.0
            for j in range(N_STAGES):
                acc += E[j] * k[j, i]
            y_err[i] = h * acc

    @xp.inline
    def error_norm(y, y_new, y_err, atol, rtol):
        acc = 0.0
        for i in range(y.shape[0]):
            scale = atol[i] + rtol[i] * xp.maximum(abs(y[i]), abs(y_new[i]))
            e = y_err[i] / scale
            acc += e * e
        return xp.sqrt(acc / y.shape[0])

    @xp.inline
    def step_factor(err):
        if err == 0.0:
            return MAX_FACTOR
        if not (err == err):  # NaN: the trial left the domain; shrink as much as allowed
            return MIN_FACTOR
        return xp.minimum(MAX_FACTOR, xp.maximum(MIN_FACTOR, SAFETY * err ** ERROR_EXPONENT))

    @xp.function
    def dense(theta, h, y, k, out):
        t2 = theta * theta
        t3 = t2 * theta
        t4 = t3 * theta
        for i in range(y.shape[0]):
            acc = 0.0
            for j in range(N_STAGES):
                w = P[j, 0] * theta + P[j, 1] * t2 + P[j, 2] * t3 + P[j, 3] * t4
                acc += w * k[j, i]
            out[i] = y[i] + h * acc

    @xp.function
    def locate(h, y, k, ctx, tol, tmp, scratch):
        # bisection on the spike test along the dense output: returns the earliest theta known to spike
        lo, hi = 0.0, 1.0
        while (hi - lo) * h > tol:
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            dense(mid, h, y, k, tmp)
            if crossed(y, tmp, ctx, scratch):
                hi = mid
            else:
                lo = mid
        dense(hi, h, y, k, tmp)
        return hi

    return step, error_norm, step_factor, dense, locate
