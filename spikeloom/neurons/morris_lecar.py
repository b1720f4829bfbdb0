"""Morris-Lecar neuron (calcium and potassium currents; graded potential)."""

from __future__ import annotations

from ..core.params import Param
from ._base import AbstractNeuron


class MorrisLecar(AbstractNeuron):
    r"""Morris-Lecar neuron with an instantaneous calcium activation, as in Neurokernel's graded-potential LPUs.

    .. math::

        C \frac{dV}{dt} = I - g_L (V - V_L) - g_K\, n\, (V - V_K) - g_{Ca}\, m_\infty(V) (V - V_{Ca}) + I_{offset}

        \frac{dn}{dt} = \phi \cosh\!\left(\frac{V - V_3}{2 V_4}\right) \left(n_\infty(V) - n\right)

        m_\infty(V) = \tfrac12 \left(1 + \tanh\frac{V - V_1}{V_2}\right), \qquad
        n_\infty(V) = \tfrac12 \left(1 + \tanh\frac{V - V_3}{V_4}\right)

    The defaults are Neurokernel's kernel constants (volts, milliseconds, unit capacitance) written in
    spikeloom's canonical units: with ``C`` = 1 pF the conductances in nS are rates in 1/ms, so the dynamics
    are Neurokernel's with V in mV and I in pA (= mV/ms here). The model is graded: its output is ``V``;
    for use in spiking networks a spike is an upward crossing of ``V_th``.

    ==============  ========  =====  ==========================================
    parameter       default   unit   meaning
    ==============  ========  =====  ==========================================
    ``V1``          30        mV     half-activation of m_inf
    ``V2``          15        mV     slope of m_inf
    ``V3``          0         mV     half-activation of n_inf
    ``V4``          30        mV     slope of n_inf
    ``phi``         0.025     1/ms   rate scale of n (a plain number)
    ``offset``      0         pA     constant bias current
    ``C``           1         pF     membrane capacitance
    ``g_L``         0.5       nS     leak conductance
    ``g_K``         2.0       nS     potassium conductance
    ``g_Ca``        1.1       nS     calcium conductance
    ``V_L``         -50       mV     leak reversal
    ``V_K``         -70       mV     potassium reversal
    ``V_Ca``        100       mV     calcium reversal
    ``V_th``        0         mV     spike detection level (spiking networks only)
    ==============  ========  =====  ==========================================

    State: ``V`` (starts at -52.14 mV, the resting potential) and ``n`` (starts at 0.02, Neurokernel's
    ``initn``; the resting value is 0.030). Methods: ``euler`` (default; Neurokernel's scheme, which it
    sub-steps at 0.01 ms), ``rk2``, ``rk4``.

    Reference: Morris C., Lecar H. (1981) Voltage oscillations in the barnacle giant muscle fiber.
    Biophys J 35:193-213. Neurokernel, ``neurokernel/LPU/neurons/MorrisLecar.py`` (2016).
    """

    parameters = {
        "V1": Param(30.0, "mV"),
        "V2": Param(15.0, "mV", "positive"),
        "V3": Param(0.0, "mV"),
        "V4": Param(30.0, "mV", "positive"),
        "phi": Param(0.025, "1", "nonneg"),  # a rate in 1/ms, given as a plain number
        "offset": Param(0.0, "pA"),
        "C": Param(1.0, "pF", "positive"),
        "g_L": Param(0.5, "nS", "nonneg"),
        "g_K": Param(2.0, "nS", "nonneg"),
        "g_Ca": Param(1.1, "nS", "nonneg"),
        "V_L": Param(-50.0, "mV"),
        "V_K": Param(-70.0, "mV"),
        "V_Ca": Param(100.0, "mV"),
        "V_th": Param(0.0, "mV"),
    }
    state = {"V": -52.14, "n": 0.02}
    state_units = {"V": "mV", "n": "1"}
    ode_vars = ("V", "n")
    methods = ("euler", "rk2", "rk4")

    @staticmethod
    def time_constants(p):
        # the membrane's fastest relaxation: C over the largest total conductance
        import numpy as np

        return [np.asarray(p["C"]) / (np.asarray(p["g_L"]) + np.asarray(p["g_K"]) + np.asarray(p["g_Ca"]))]

    @staticmethod
    def vector_field(xp):
        def f(V, n, I, V1, V2, V3, V4, phi, offset, C, g_L, g_K, g_Ca, V_L, V_K, V_Ca):
            m_inf = 0.5 * (1.0 + xp.tanh((V - V1) / V2))
            n_inf = 0.5 * (1.0 + xp.tanh((V - V3) / V4))
            x = (V - V3) / (2.0 * V4)
            cosh = 0.5 * (xp.exp(x) + xp.exp(-x))
            dV = (I - g_L * (V - V_L) - g_K * n * (V - V_K) - g_Ca * m_inf * (V - V_Ca) + offset) / C
            return dV, phi * cosh * (n_inf - n)

        return f

    @staticmethod
    def threshold_reset(xp):
        def g(V, n, V_new, n_new, V_th):
            spike = xp.where(V < V_th, V_new >= V_th, False)
            return V_new, n_new, spike

        return g
