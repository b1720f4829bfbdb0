r"""Pair-based spike-timing-dependent plasticity with event-driven traces.

Each synapse reads a presynaptic trace ``apre`` (kept once per presynaptic neuron and delay) and a postsynaptic
trace ``apost`` (once per postsynaptic neuron), dimensionless, which decay between their spikes,
:math:`a(t + \Delta) = a(t) e^{-\Delta/\tau}`, and jump at their own spikes: ``a += 1`` (interaction
``"all"``: every earlier spike counts) or ``a = 1`` (``"nearest"``: only the latest spike counts).
With :math:`x = (w - w_{min}) / (w_{max} - w_{min})`:

.. math::

    \text{pre arrives:}\quad w \leftarrow w - A_- \, a_{post} \, x^{\mu_-}, \qquad
    \text{post spikes:}\quad w \leftarrow w + A_+ \, a_{pre} \, (1 - x)^{\mu_+},

each followed by clipping to :math:`[w_{min}, w_{max}]`, then the spiking side's trace jumps. Far from the
bounds (additive), a single pair gives the window :math:`\Delta w = A_+ e^{-\Delta t/\tau_+}` for
:math:`\Delta t = t_{post} - t_{arrival} > 0` and :math:`-A_- e^{\Delta t/\tau_-}` for :math:`\Delta t \le 0`.
Weight dependence: ``"additive"`` (:math:`\mu_\pm = 0`, hard bounds), ``"multiplicative"`` (van Rossum, Bi &
Turrigiano 2000: additive potentiation, depression proportional to the weight, :math:`\mu_+ = 0, \mu_- = 1`; a
soft lower bound, the upper one hard), ``"power_law"`` (Gütig et al. 2003, exponents ``mu_plus``, ``mu_minus``:
soft bounds on both sides for exponents > 0).

========================  =======  ============  ==============================================
parameter                 default  unit          meaning
========================  =======  ============  ==============================================
``tau_plus``              20       ms            decay of ``apre`` (potentiation window)
``tau_minus``             20       ms            decay of ``apost`` (depression window)
``A_plus``, ``A_minus``   0.01,    weight unit   amplitudes (> 0)
                          0.0105
``w_min``, ``w_max``      0, 1     weight unit   bounds
``mu_plus``, ``mu_minus``  0.5      1             exponents of ``"power_law"`` only
========================  =======  ============  ==============================================
"""

from __future__ import annotations

from .._errors import ModelDefinitionError
from ..core.params import Param
from ._base import PlasticityRule, bounded_trace_rule, clip, exp_decay

WEIGHT_DEPENDENCES = {"additive": (0.0, 0.0), "multiplicative": (0.0, 1.0), "power_law": None}


def power(xp, exponent: float | None = None):
    """``power(x, mu) = x ** mu`` for ``x`` in ``[0, 1]``; exact for ``mu`` 0 (1, also at ``x = 0``) and 1.
    ``exponent`` 0 or 1 (the weight dependence fixes it when the loop is generated): that power alone, without
    the ``exp`` and ``log`` of the general case (a select computes both of its sides)."""

    if exponent == 0.0:
        def f(x, mu):
            return 1.0
    elif exponent == 1.0:
        def f(x, mu):
            return x
    else:
        def f(x, mu):
            return xp.where(mu == 0.0, 1.0, xp.where(mu == 1.0, x, xp.exp(mu * xp.log(xp.maximum(x, 1e-30)))))

    return xp.inline(f)


def trace_jump(xp):
    """A trace at its own spike: ``a + 1`` (all-to-all) or ``1`` (nearest, ``nearest = 1``)."""

    def f(a, nearest):
        return xp.where(nearest > 0.0, 1.0, a + 1.0)

    return xp.inline(f)


class STDP(PlasticityRule):
    """Pair-based STDP (see the module); ``weight_dependence`` and ``interaction`` pick the variant. The traces
    are kept per neuron (``apre`` per presynaptic neuron and delay, ``apost`` per postsynaptic neuron): with
    either interaction they depend on one side's spikes only."""

    parameters = {
        "tau_plus": Param(20.0, "ms", "positive"), "tau_minus": Param(20.0, "ms", "positive"),
        "A_plus": Param(0.01, "1", "nonneg"), "A_minus": Param(0.0105, "1", "nonneg"),
        "w_min": Param(0.0, "1"), "w_max": Param(1.0, "1"),
        "mu_plus": Param(0.0, "1", "nonneg"), "mu_minus": Param(0.0, "1", "nonneg"),
        "nearest": Param(0.0, "1", "nonneg"),
    }
    pre_traces = {"apre": 0.0}
    post_traces = {"apost": 0.0}

    def __init__(self, *, weight_dependence: str = "additive", interaction: str = "all",
                 mu_plus: float | None = None, mu_minus: float | None = None, **params):
        mus = WEIGHT_DEPENDENCES.get(weight_dependence, (0.0, 0.0))
        if mus is None:
            mus = (0.5 if mu_plus is None else mu_plus, 0.5 if mu_minus is None else mu_minus)
        elif (mu_plus is not None or mu_minus is not None) and weight_dependence in WEIGHT_DEPENDENCES:
            raise ModelDefinitionError(f"{type(self).__name__}: mu_plus and mu_minus apply to "
                                       f"weight_dependence='power_law', not {weight_dependence!r}")
        bounded_trace_rule(self, params, interaction, ("mu_plus", "mu_minus"),
                           {"weight_dependence": (weight_dependence, WEIGHT_DEPENDENCES)},
                           {"mu_plus": mus[0], "mu_minus": mus[1]})

    def weight_bounds(self):
        return self.params["w_min"], self.params["w_max"]

    def options(self):
        return {"weight_dependence": self.weight_dependence}

    @staticmethod
    def decay_pre(xp):
        factor = exp_decay(xp)

        def f(elapsed, tau_plus):
            return factor(elapsed, tau_plus)

        return f

    @staticmethod
    def decay_post(xp):
        factor = exp_decay(xp)

        def f(elapsed, tau_minus):
            return factor(elapsed, tau_minus)

        return f

    @staticmethod
    def spike_pre(xp):
        jump = trace_jump(xp)

        def f(apre, nearest):
            return jump(apre, nearest)

        return f

    @staticmethod
    def spike_post(xp):
        jump = trace_jump(xp)

        def f(apost, nearest):
            return jump(apost, nearest)

        return f

    @staticmethod
    def on_pre(xp, weight_dependence="power_law"):
        pw, bound = power(xp, _exponents(weight_dependence)[1]), clip(xp)

        def f(w, apost, A_minus, w_min, w_max, mu_minus):
            x = (w - w_min) / (w_max - w_min)
            w_new = bound(w - A_minus * apost * pw(x, mu_minus), w_min, w_max)
            return w_new, w_new

        return f

    @staticmethod
    def on_post(xp, weight_dependence="power_law"):
        pw, bound = power(xp, _exponents(weight_dependence)[0]), clip(xp)

        def f(w, apre, A_plus, w_min, w_max, mu_plus):
            x = (w - w_min) / (w_max - w_min)
            return bound(w + A_plus * apre * pw(1.0 - x, mu_plus), w_min, w_max)

        return f


def _exponents(weight_dependence: str) -> tuple:
    """``(mu_plus, mu_minus)`` fixed by a weight dependence; ``(None, None)`` for ``"power_law"`` (parameters)."""
    return WEIGHT_DEPENDENCES[weight_dependence] or (None, None)
