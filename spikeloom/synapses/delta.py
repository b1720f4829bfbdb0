"""Delta synapse: each spike makes the post-synaptic membrane potential jump."""

from __future__ import annotations

import numpy as np

from ..core.params import Param
from ._base import AbstractSynapse


class Delta(AbstractSynapse):
    r"""Instantaneous (delta-pulse) synapse: each spike of weight ``w`` (mV) moves the membrane potential of
    the post-synaptic LIF neuron by ``w`` within the step it arrives.

    .. math::

        \tau_m \frac{dV}{dt} = V_{rest} - V + R I + \tau_m \sum_k w_k \delta(t - t_k)

    Realised as a current held for one step (use it with the ``CUBA`` output): the state ``I`` receives
    :math:`w / (R (1 - e^{-dt/\tau_m}))` per spike and is cleared after the step, so the exact LIF step moves
    :math:`V` by exactly :math:`w` (plus its noise and leak, as for any input). A neuron held refractory ignores
    it, as in BrainPy's and Brian2's delta synapses of the multi-area model (Joglekar et al. 2018).

    =========  =======  ======  ================================================
    parameter  default  unit    meaning
    =========  =======  ======  ================================================
    ``tau_m``  10       ms      membrane time constant of the post-synaptic LIF
    ``R``      1        GOhm    membrane resistance of the post-synaptic LIF
    =========  =======  ======  ================================================
    """

    parameters = {"tau_m": Param(10.0, "ms", "positive"), "R": Param(1.0, "GOhm", "positive")}
    state = ("I",)
    spike_target = "I"
    weight_unit = "mV"

    @classmethod
    def state_unit(cls, var, weight_unit):
        return "pA"  # the one-step current that makes the jump

    @staticmethod
    def derived(p, dt):
        return {"zero": 0.0, "w_scale": 1.0 / (p["R"] * -np.expm1(-dt / p["tau_m"]))}

    @staticmethod
    def decay(xp):
        def f(I, zero):
            return (I * zero,)

        return f

    @staticmethod
    def conductance(xp):
        def current(I):
            return I

        return current
