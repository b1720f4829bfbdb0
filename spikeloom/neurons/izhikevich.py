"""Izhikevich neuron (the 2007 form with physical units)."""

from __future__ import annotations

import numpy as np

from ..core.params import Param
from ._base import AbstractNeuron


class Izhikevich(AbstractNeuron):
    r"""Izhikevich simple model, in physical units (Izhikevich 2007, chapter 8).

    .. math::

        C \frac{dv}{dt} = k (v - v_r)(v - v_t) - u + I, \qquad
        \frac{du}{dt} = a \left(b (v - v_r) - u\right)

    When :math:`v \ge v_{peak}`: a spike, :math:`v \leftarrow c`, :math:`u \leftarrow u + d`.
    Defaults are the regular-spiking cortical pyramidal neuron.

    ==========  =======  =======  ===================================
    parameter   default  unit     meaning
    ==========  =======  =======  ===================================
    ``C``       100      pF       membrane capacitance
    ``k``       0.7      nS/mV    gain of the quadratic term
    ``v_r``     -60      mV       resting potential
    ``v_t``     -40      mV       instantaneous threshold
    ``v_peak``  35       mV       spike cut-off
    ``a``       0.03     1/ms     recovery rate
    ``b``       -2       nS       sensitivity of u to v
    ``c``       -50      mV       reset potential
    ``d``       100      pA       recovery jump at a spike
    ==========  =======  =======  ===================================

    State: ``v`` (mV, starts at ``v_r``), ``u`` (pA, starts at 0). Methods: ``rk2`` (default), ``rk4``,
    ``euler``.

    Reference: Izhikevich E. M. (2007) Dynamical Systems in Neuroscience. MIT Press.
    """

    parameters = {
        "C": Param(100.0, "pF", "positive"),
        "k": Param(0.7, "nS/mV", "positive"),
        "v_r": Param(-60.0, "mV"),
        "v_t": Param(-40.0, "mV"),
        "v_peak": Param(35.0, "mV"),
        "a": Param(0.03, "1/ms", "positive"),
        "b": Param(-2.0, "nS"),
        "c": Param(-50.0, "mV"),
        "d": Param(100.0, "pA"),
    }
    state = {"v": "v_r", "u": 0.0}
    state_units = {"u": "pA"}
    ode_vars = ("v", "u")
    methods = ("rk2", "rk4", "euler")

    @staticmethod
    def time_constants(p):
        # recovery time 1/a; membrane time C / (k (v_t - v_r)) at rest
        return [1.0 / np.asarray(p["a"]), np.asarray(p["C"]) / (np.asarray(p["k"]) * np.abs(np.asarray(p["v_t"]) - np.asarray(p["v_r"])))]

    @staticmethod
    def vector_field(xp):
        def f(v, u, I, C, k, v_r, v_t, a, b):
            return (k * (v - v_r) * (v - v_t) - u + I) / C, a * (b * (v - v_r) - u)

        return f

    @staticmethod
    def threshold_reset(xp):
        def g(v, u, v_new, u_new, v_peak, c, d):
            spike = xp.spike(v_new - v_peak)
            return xp.where(spike, c, v_new), xp.where(spike, u_new + d, u_new), spike

        return g
