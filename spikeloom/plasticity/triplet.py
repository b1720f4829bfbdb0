r"""Triplet STDP (Pfister & Gerstner 2006, J. Neurosci. 26:9673), with event-driven traces.

Presynaptic traces ``r1`` (:math:`\tau_+`) and ``r2`` (:math:`\tau_x`), kept per presynaptic neuron and
delay, postsynaptic traces ``o1`` (:math:`\tau_-`) and ``o2`` (:math:`\tau_y`), kept per postsynaptic neuron,
dimensionless, decay exponentially between events and jump at their
own spikes (``+= 1``, or ``= 1`` with ``interaction="nearest"``). Each trace is read just before its own jump:

.. math::

    \text{pre arrives:}\quad w \leftarrow w - o_1 (A_2^- + A_3^- r_2), \qquad
    \text{post spikes:}\quad w \leftarrow w + r_1 (A_2^+ + A_3^+ o_2),

then ``w`` is clipped to :math:`[w_{min}, w_{max}]`. ``form="all_to_all"`` is the full model with the paper's
all-to-all fit to the visual-cortex data (Sjöström et al. 2001; Table 4: :math:`\tau_+ = 16.8, \tau_- = 33.7,
\tau_x = 101, \tau_y = 125` ms, :math:`A_2^+ = 5 \cdot 10^{-10}, A_3^+ = 6.2 \cdot 10^{-3}, A_2^- = 7 \cdot
10^{-3}, A_3^- = 2.3 \cdot 10^{-4}`); ``form="minimal"`` is the minimal model (:math:`A_2^+ = A_3^- = 0`, pair
depression and triplet potentiation only) with its all-to-all visual-cortex fit (:math:`\tau_y = 125` ms,
:math:`A_3^+ = 6.5 \cdot 10^{-3}, A_2^- = 7.1 \cdot 10^{-3}`). Amplitudes and bounds are in the projection's
weight unit; any parameter may be given to override the form's value.
"""

from __future__ import annotations

from ..core.params import Param
from ._base import PlasticityRule, bounded_trace_rule, clip, exp_decay
from .stdp import trace_jump

#: Pfister & Gerstner (2006), Table 4, visual cortex, all-to-all interactions
FORMS = {
    "all_to_all": {"tau_x": 101.0, "tau_y": 125.0, "A2_plus": 5e-10, "A3_plus": 6.2e-3, "A2_minus": 7e-3,
                   "A3_minus": 2.3e-4},
    "minimal": {"tau_x": 101.0, "tau_y": 125.0, "A2_plus": 0.0, "A3_plus": 6.5e-3, "A2_minus": 7.1e-3,
                "A3_minus": 0.0},
}


class TripletSTDP(PlasticityRule):
    """Triplet STDP (see the module)."""

    parameters = {
        "tau_plus": Param(16.8, "ms", "positive"), "tau_minus": Param(33.7, "ms", "positive"),
        "tau_x": Param(101.0, "ms", "positive"), "tau_y": Param(125.0, "ms", "positive"),
        "A2_plus": Param(5e-10, "1", "nonneg"), "A3_plus": Param(6.2e-3, "1", "nonneg"),
        "A2_minus": Param(7e-3, "1", "nonneg"), "A3_minus": Param(2.3e-4, "1", "nonneg"),
        "w_min": Param(0.0, "1"), "w_max": Param(1.0, "1"), "nearest": Param(0.0, "1", "nonneg"),
    }
    pre_traces = {"r1": 0.0, "r2": 0.0}  # per presynaptic neuron and delay
    post_traces = {"o1": 0.0, "o2": 0.0}  # per postsynaptic neuron

    def __init__(self, *, form: str = "all_to_all", interaction: str = "all", **params):
        bounded_trace_rule(self, params, interaction, (), {"form": (form, FORMS)}, FORMS.get(form, {}))

    def weight_bounds(self):
        return self.params["w_min"], self.params["w_max"]

    @staticmethod
    def decay_pre(xp):
        factor = exp_decay(xp)

        def f(elapsed, tau_plus, tau_x):
            return factor(elapsed, tau_plus), factor(elapsed, tau_x)

        return f

    @staticmethod
    def decay_post(xp):
        factor = exp_decay(xp)

        def f(elapsed, tau_minus, tau_y):
            return factor(elapsed, tau_minus), factor(elapsed, tau_y)

        return f

    @staticmethod
    def spike_pre(xp):
        jump = trace_jump(xp)

        def f(r1, r2, nearest):
            return jump(r1, nearest), jump(r2, nearest)

        return f

    @staticmethod
    def spike_post(xp):
        jump = trace_jump(xp)

        def f(o1, o2, nearest):
            return jump(o1, nearest), jump(o2, nearest)

        return f

    @staticmethod
    def on_pre(xp):
        bound = clip(xp)

        def f(w, r2, o1, A2_minus, A3_minus, w_min, w_max):
            w_new = bound(w - o1 * (A2_minus + A3_minus * r2), w_min, w_max)
            return w_new, w_new

        return f

    @staticmethod
    def on_post(xp):
        bound = clip(xp)

        def f(w, r1, o2, A2_plus, A3_plus, w_min, w_max):
            return bound(w + r1 * (A2_plus + A3_plus * o2), w_min, w_max)

        return f
