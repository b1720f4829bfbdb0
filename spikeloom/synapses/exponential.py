"""Exponentially decaying synapse."""

from __future__ import annotations

import numpy as np

from ..core.params import Param
from ._base import AbstractSynapse


class Exponential(AbstractSynapse):
    r"""Single-exponential synapse.

    .. math::

        \frac{dg}{dt} = -\frac{g}{\tau}, \qquad g \leftarrow g + w \text{ at each presynaptic spike}

    The step is exact: :math:`g(t + dt) = g(t) e^{-dt/\tau}`. ``g`` has the unit of the weights (nS for a
    conductance output, pA for a current output).

    =========  =======  ====  ==================
    parameter  default  unit  meaning
    =========  =======  ====  ==================
    ``tau``    5        ms    decay time constant
    =========  =======  ====  ==================
    """

    parameters = {"tau": Param(5.0, "ms", "positive")}
    state = ("g",)
    spike_target = "g"

    @staticmethod
    def derived(p, dt):
        return {"decay_g": np.exp(-dt / p["tau"])}

    @staticmethod
    def decay(xp):
        def f(g, decay_g):
            return (g * decay_g,)

        return f

