"""Hodgkin-Huxley neuron with Traub-Miles sodium and potassium currents (the COBAHH benchmark's model)."""

from __future__ import annotations

from ..core.params import Param
from ._base import AbstractNeuron


class HH(AbstractNeuron):
    r"""Hodgkin-Huxley neuron, Traub & Miles (1991) kinetics as in the COBAHH benchmark (Brette et al. 2007).

    .. math::

        C \frac{dV}{dt} = g_L (E_L - V) - g_{Na} m^3 h (V - E_{Na}) - g_K n^4 (V - E_K) + I

        \frac{dx}{dt} = \alpha_x(V) (1 - x) - \beta_x(V) x, \quad x \in \{m, h, n\}

    with :math:`u = V - V_T` (mV) and rates in 1/ms:

    .. math::

        \alpha_m = \frac{0.32 (13 - u)}{e^{(13 - u)/4} - 1},\quad
        \beta_m = \frac{0.28 (u - 40)}{e^{(u - 40)/5} - 1},\quad
        \alpha_h = 0.128 e^{(17 - u)/18},\quad
        \beta_h = \frac{4}{1 + e^{(40 - u)/5}},

        \alpha_n = \frac{0.032 (15 - u)}{e^{(15 - u)/5} - 1},\quad
        \beta_n = 0.5 e^{(10 - u)/40}

    A spike is an upward crossing of ``V_th``; there is no reset. Defaults are the COBAHH cell (area
    20000 um^2: 1 uF/cm^2 -> 200 pF, 5e-5 S/cm^2 -> 10 nS, 100 mS/cm^2 -> 20 uS, 30 mS/cm^2 -> 6 uS).

    ==========  =======  ====  ==============================
    parameter   default  unit  meaning
    ==========  =======  ====  ==============================
    ``C``       200      pF    membrane capacitance
    ``g_L``     10       nS    leak conductance
    ``E_L``     -60      mV    leak reversal
    ``g_Na``    20000    nS    sodium peak conductance
    ``E_Na``    50       mV    sodium reversal
    ``g_K``     6000     nS    delayed-rectifier peak conductance
    ``E_K``     -90      mV    potassium reversal
    ``V_T``     -63      mV    offset of the rate functions
    ``V_th``    -20      mV    spike detection level
    ==========  =======  ====  ==============================

    State: ``V`` (mV, starts at ``E_L``), ``m``, ``h``, ``n`` (start at 0, 1, 0). Methods: ``exp_euler``
    (default; each equation is affine in its own variable, :math:`\dot x = A + B x`, and the model states
    ``A`` and ``B`` in ``linear_form``), ``rk4``, ``rk2``, ``euler``.

    References: Traub R. D., Miles R. (1991) Neuronal Networks of the Hippocampus. Cambridge University Press.
    Brette R. et al. (2007) J Comput Neurosci 23:349-398.
    """

    parameters = {
        "C": Param(200.0, "pF", "positive"),
        "g_L": Param(10.0, "nS", "nonneg"),
        "E_L": Param(-60.0, "mV"),
        "g_Na": Param(20000.0, "nS", "nonneg"),
        "E_Na": Param(50.0, "mV"),
        "g_K": Param(6000.0, "nS", "nonneg"),
        "E_K": Param(-90.0, "mV"),
        "V_T": Param(-63.0, "mV"),
        "V_th": Param(-20.0, "mV"),
    }
    state = {"V": "E_L", "m": 0.0, "h": 1.0, "n": 0.0}
    state_units = {"m": "1", "h": "1", "n": "1"}
    ode_vars = ("V", "m", "h", "n")
    methods = ("exp_euler", "rk4", "rk2", "euler")

    @staticmethod
    def time_constants(p):
        # the sodium activation is the fastest process: about 0.1 ms near threshold
        return [0.1]

    @staticmethod
    def linear_form(xp):
        @xp.inline
        def ratio(x, k):
            # x / (exp(x / k) - 1), continued by its limit k at x = 0
            safe = xp.where(x == 0.0, 1.0, x)
            return xp.where(x == 0.0, k, safe / xp.expm1(safe / k))

        # each equation is affine in its own variable: dx/dt = A + B x
        def ab(V, m, h, n, I, C, g_L, E_L, g_Na, E_Na, g_K, E_K, V_T):
            u = V - V_T
            alpha_m = 0.32 * ratio(13.0 - u, 4.0)
            beta_m = 0.28 * ratio(u - 40.0, 5.0)
            alpha_h = 0.128 * xp.exp((17.0 - u) / 18.0)
            beta_h = 4.0 / (1.0 + xp.exp((40.0 - u) / 5.0))
            alpha_n = 0.032 * ratio(15.0 - u, 5.0)
            beta_n = 0.5 * xp.exp((10.0 - u) / 40.0)
            G_Na = g_Na * m * m * m * h
            G_K = g_K * n * n * n * n
            return ((g_L * E_L + G_Na * E_Na + G_K * E_K + I) / C, -(g_L + G_Na + G_K) / C,
                    alpha_m, -(alpha_m + beta_m), alpha_h, -(alpha_h + beta_h), alpha_n, -(alpha_n + beta_n))

        return ab

    @staticmethod
    def vector_field(xp):
        ab = xp.inline(HH.linear_form(xp))

        def f(V, m, h, n, I, C, g_L, E_L, g_Na, E_Na, g_K, E_K, V_T):
            A_V, B_V, A_m, B_m, A_h, B_h, A_n, B_n = ab(V, m, h, n, I, C, g_L, E_L, g_Na, E_Na, g_K, E_K, V_T)
            return (A_V + B_V * V, A_m + B_m * m, A_h + B_h * h, A_n + B_n * n)

        return f

    @staticmethod
    def threshold_reset(xp):
        def g(V, m, h, n, V_new, m_new, h_new, n_new, V_th):
            spike = xp.where(V < V_th, xp.spike(V_new - V_th), False)
            return V_new, m_new, h_new, n_new, spike

        return g
