"""Alpha-function synapse."""

from __future__ import annotations

import math

import numpy as np

from ..core.params import Param
from ._base import AbstractSynapse


class Alpha(AbstractSynapse):
    r"""Alpha synapse, normalized so that one spike of weight ``w`` peaks at ``g = w`` at ``t = tau``.

    .. math::

        \frac{dg}{dt} = -\frac{g}{\tau} + h, \qquad \frac{dh}{dt} = -\frac{h}{\tau}, \qquad
        h \leftarrow h + \frac{e\, w}{\tau} \text{ at each presynaptic spike}

    so that after one spike :math:`g(t) = w \frac{t}{\tau} e^{1 - t/\tau}`. Exact step with
    :math:`e_\tau = e^{-dt/\tau}`: :math:`h' = h e_\tau`, :math:`g' = (g + h\, dt) e_\tau`.

    =========  =======  ====  =====================
    parameter  default  unit  meaning
    =========  =======  ====  =====================
    ``tau``    2        ms    time to peak
    =========  =======  ====  =====================
    """

    parameters = {"tau": Param(2.0, "ms", "positive")}
    state = ("g", "h")
    spike_target = "h"

    @staticmethod
    def derived(p, dt):
        e = np.exp(-dt / p["tau"])
        return {"e_tau": e, "dt_e_tau": dt * e, "w_scale": math.e / p["tau"]}

    @staticmethod
    def decay(xp):
        def f(g, h, e_tau, dt_e_tau):
            return g * e_tau + h * dt_e_tau, h * e_tau

        return f

