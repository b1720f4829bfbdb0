"""Leaky integrate-and-fire neuron (with refractory period and optional white-noise current)."""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core.params import Param
from ..integrators.fixed_step import decay_factor
from ._base import AbstractNeuron


class LIF(AbstractNeuron):
    r"""Leaky integrate-and-fire neuron.

    .. math::

        \tau \frac{dV}{dt} = V_{rest} - V + R I \;(+\ \text{noise})

    When :math:`V \ge V_{th}`: a spike, :math:`V \leftarrow V_{reset}`, and :math:`V` is held at
    :math:`V_{reset}` for ``tau_ref`` (rounded to whole steps). ``I`` is the total input current (pA):
    external input plus synaptic currents.

    With ``noise_sigma > 0`` the membrane follows an Ornstein-Uhlenbeck process whose stationary standard
    deviation (below threshold, at constant input) is ``noise_sigma``; it is integrated exactly:

    .. math::

        V(t+dt) = V_\infty + (V - V_\infty) e^{-dt/\tau} + \sigma \sqrt{1 - e^{-2 dt/\tau}}\,\xi,
        \qquad V_\infty = V_{rest} + R I,\ \xi \sim N(0, 1)

    ===============  =======  =======  =====================================
    parameter        default  unit     meaning
    ===============  =======  =======  =====================================
    ``V_rest``       -65      mV       resting potential
    ``V_reset``      -65      mV       reset potential
    ``V_th``         -50      mV       spike threshold
    ``tau``          10       ms       membrane time constant
    ``R``            1        GOhm     membrane resistance (GOhm x pA = mV)
    ``tau_ref``      0        ms       absolute refractory period
    ``noise_sigma``  0        mV       stationary std of the membrane noise
    ===============  =======  =======  =====================================

    The input current is held constant over each step (as BrainPy's exact LIF does), so the ``exact`` step is
    exact for current inputs. With conductance inputs :math:`I = g (E - V)`, evaluated at the step's start,
    a step maps :math:`V \to r V + (1 - r) (V_{rest} + R g (E - V))` (:math:`r = e^{-dt/\tau}`, or the
    explicit method's polynomial), stable while :math:`R g < (1 + r) / (1 - r)`, about
    :math:`dt\,R\,g / \tau < 2` (a total conductance far above the leak needs a smaller ``dt``). The build
    checks it for the largest conductance the network can deliver in one step (every input of a neuron
    spiking at once: :meth:`max_conductance`).

    State: ``V`` (mV, starts at ``V_rest``), ``refractory`` (steps of refractoriness left).
    Methods: ``exact`` (default; the only one with noise), ``exp_euler``, ``euler``, ``rk2``, ``rk4``.

    Reference: Brette R. et al. (2007) Simulation of networks of spiking neurons: a review of tools and
    strategies. J Comput Neurosci 23:349-398 (the COBA benchmark uses this model).
    """

    parameters = {
        "V_rest": Param(-65.0, "mV"),
        "V_reset": Param(-65.0, "mV"),
        "V_th": Param(-50.0, "mV"),
        "tau": Param(10.0, "ms", "positive"),
        "R": Param(1.0, "GOhm", "positive"),
        "tau_ref": Param(0.0, "ms", "nonneg"),
        "noise_sigma": Param(0.0, "mV", "nonneg"),
    }
    state = {"V": "V_rest", "refractory": 0.0}
    ode_vars = ("V",)
    methods = ("exact", "exp_euler", "euler", "rk2", "rk4")
    noise_param = "noise_sigma"
    time_constant_params = ("tau",)

    def __init__(self, n, **kwargs):
        super().__init__(n, **kwargs)
        if self.uses_noise and self.method != "exact":
            raise ModelDefinitionError(f"LIF({self.n}): noise_sigma > 0 needs method='exact', got {self.method!r}")

    @staticmethod
    def derived(p, dt):
        decay = np.exp(-dt / np.asarray(p["tau"]))
        return {
            "decay": decay,
            "ref_steps": np.round(np.asarray(p["tau_ref"]) / dt),
            "noise_scale": np.asarray(p["noise_sigma"]) * np.sqrt(1.0 - decay**2),
        }

    @staticmethod
    def max_conductance(p, dt, method):
        """Largest total conductance (nS, per neuron) with which a step of ``method`` is stable (see above)."""
        r = decay_factor(method, dt / np.asarray(p["tau"]))
        with np.errstate(divide="ignore"):  # a step so small that r rounds to 1 has no limit (inf)
            return (1.0 + r) / ((1.0 - r) * np.asarray(p["R"]))

    @staticmethod
    def vector_field(xp):
        def f(V, I, V_rest, tau, R):
            return ((V_rest - V + R * I) / tau,)

        return f

    @staticmethod
    def exact(xp):
        def step(V, I, V_rest, R, decay, noise_scale, xi):
            V_inf = V_rest + R * I
            return (V_inf + (V - V_inf) * decay + noise_scale * xi,)

        return step

    @staticmethod
    def threshold_reset(xp):
        def g(V, refractory, V_new, V_th, V_reset, ref_steps):
            held = refractory > 0.0
            spike = xp.where(held, False, xp.spike(V_new - V_th))
            V_out = xp.where(held, V_reset, xp.where(spike, V_reset, V_new))
            ref_out = xp.where(spike, ref_steps, xp.where(held, refractory - 1.0, 0.0))
            return V_out, ref_out, spike

        return g
