"""Adaptive exponential integrate-and-fire neuron (AdEx)."""

from __future__ import annotations

import numpy as np

from ..core.params import Param
from ._base import AbstractNeuron


class AdEx(AbstractNeuron):
    r"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005).

    .. math::

        C \frac{dV}{dt} = -g_L (V - E_L) + g_L \Delta_T e^{(V - V_T)/\Delta_T} - w + I, \qquad
        \tau_w \frac{dw}{dt} = a (V - E_L) - w

    When :math:`V \ge V_{peak}`: a spike, :math:`V \leftarrow V_{reset}`, :math:`w \leftarrow w + b`, and
    :math:`V` is held at :math:`V_{reset}` for ``tau_ref``. The right-hand side is evaluated at
    :math:`\min(V, V_{peak})` (as NEST's ``aeif`` models do): above the cut-off the neuron spikes anyway, and
    the cap keeps the intermediate stages of Runge-Kutta methods from running away (the exponential term
    would otherwise drive both V and w to absurd values within one step).

    ===========  =======  ====  =====================================
    parameter    default  unit  meaning
    ===========  =======  ====  =====================================
    ``C``        281      pF    membrane capacitance
    ``g_L``      30       nS    leak conductance
    ``E_L``      -70.6    mV    leak reversal potential
    ``V_T``      -50.4    mV    threshold slope factor location
    ``Delta_T``  2        mV    slope factor
    ``V_peak``   20       mV    spike cut-off
    ``V_reset``  -70.6    mV    reset potential
    ``tau_w``    144      ms    adaptation time constant
    ``a``        4        nS    subthreshold adaptation
    ``b``        80.5     pA    spike-triggered adaptation
    ``tau_ref``  0        ms    absolute refractory period
    ===========  =======  ====  =====================================

    State: ``V`` (mV, starts at ``E_L``), ``w`` (pA), ``refractory`` (steps left). Methods: ``rk2``
    (default), ``rk4``, ``euler``.

    Reference: Brette R., Gerstner W. (2005) Adaptive exponential integrate-and-fire model as an effective
    description of neuronal activity. J Neurophysiol 94:3637-3642.
    """

    parameters = {
        "C": Param(281.0, "pF", "positive"),
        "g_L": Param(30.0, "nS", "positive"),
        "E_L": Param(-70.6, "mV"),
        "V_T": Param(-50.4, "mV"),
        "Delta_T": Param(2.0, "mV", "positive"),
        "V_peak": Param(20.0, "mV"),
        "V_reset": Param(-70.6, "mV"),
        "tau_w": Param(144.0, "ms", "positive"),
        "a": Param(4.0, "nS"),
        "b": Param(80.5, "pA"),
        "tau_ref": Param(0.0, "ms", "nonneg"),
    }
    state = {"V": "E_L", "w": 0.0, "refractory": 0.0}
    state_units = {"w": "pA"}
    ode_vars = ("V", "w")
    methods = ("rk2", "rk4", "euler")
    time_constant_params = ("tau_w",)

    @staticmethod
    def time_constants(p):
        return [np.asarray(p["tau_w"]), np.asarray(p["C"]) / np.asarray(p["g_L"])]

    @staticmethod
    def derived(p, dt):
        return {"ref_steps": np.round(np.asarray(p["tau_ref"]) / dt)}

    @staticmethod
    def vector_field(xp):
        def f(V, w, I, C, g_L, E_L, V_T, Delta_T, V_peak, tau_w, a):
            V = xp.minimum(V, V_peak)
            spike_current = g_L * Delta_T * xp.exp((V - V_T) / Delta_T)
            return (-g_L * (V - E_L) + spike_current - w + I) / C, (a * (V - E_L) - w) / tau_w

        return f

    @staticmethod
    def threshold_reset(xp):
        def g(V, w, refractory, V_new, w_new, V_peak, V_reset, b, ref_steps):
            held = refractory > 0.0
            spike = xp.where(held, False, xp.spike(V_new - V_peak))
            V_out = xp.where(held, V_reset, xp.where(spike, V_reset, V_new))
            ref_out = xp.where(spike, ref_steps, xp.where(held, refractory - 1.0, 0.0))
            return V_out, xp.where(spike, w_new + b, w_new), ref_out, spike

        return g
