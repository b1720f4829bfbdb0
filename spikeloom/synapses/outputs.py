"""Synaptic outputs: how a synapse's state enters the post-synaptic neuron's input current."""

from __future__ import annotations

from ..core.params import Param
from ._base import AbstractOutput


class CUBA(AbstractOutput):
    r"""Current-based output: :math:`I = g` (the synapse state is a current, pA; weights in pA)."""

    parameters = {}
    weight_unit = "pA"

    @staticmethod
    def current(xp):
        def f(g, V):
            return g

        return f


class COBA(AbstractOutput):
    r"""Conductance-based output: :math:`I = g (E - V)` (g in nS, E and V in mV, I in pA).

    A conductance is never negative, so its weights must be >= 0: inhibition is a reversal potential ``E``
    below the membrane potential, not a negative weight.

    =========  =======  ====  ======================
    parameter  default  unit  meaning
    =========  =======  ====  ======================
    ``E``      0        mV    reversal potential
    =========  =======  ====  ======================
    """

    parameters = {"E": Param(0.0, "mV")}
    weight_unit = "nS"
    conductance = True

    @staticmethod
    def current(xp):
        def f(g, V, E):
            return g * (E - V)

        return f
