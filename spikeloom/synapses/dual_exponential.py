"""Dual-exponential synapse (distinct rise and decay time constants)."""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core.params import Param
from ._base import AbstractSynapse


def _peak_of_unit_kernel(tau_rise: float, tau_decay: float) -> float:
    """Peak of (e^{-t/tau_d} - e^{-t/tau_r}) / (1/tau_r - 1/tau_d): the response g(t) to h(0) = 1."""
    t_peak = np.log(tau_decay / tau_rise) * tau_rise * tau_decay / (tau_decay - tau_rise)
    return (np.exp(-t_peak / tau_decay) - np.exp(-t_peak / tau_rise)) / (1.0 / tau_rise - 1.0 / tau_decay)


class DualExponential(AbstractSynapse):
    r"""Dual-exponential synapse, normalized so that one spike of weight ``w`` peaks at ``g = w``.

    .. math::

        \frac{dg}{dt} = -\frac{g}{\tau_d} + h, \qquad \frac{dh}{dt} = -\frac{h}{\tau_r}, \qquad
        h \leftarrow h + w / K \text{ at each presynaptic spike}

    After one spike at :math:`t = 0` (from rest), :math:`g(t) = \frac{w}{K}
    \frac{e^{-t/\tau_d} - e^{-t/\tau_r}}{1/\tau_r - 1/\tau_d}`, with :math:`K` the peak of that kernel for
    unit weight, reached at :math:`t_p = \ln(\tau_d/\tau_r)\, \tau_r \tau_d / (\tau_d - \tau_r)`. The step is the
    exact propagator of the linear system: :math:`h' = h e_r`, :math:`g' = g e_d + h (e_r - e_d) /
    (1/\tau_d - 1/\tau_r)` with :math:`e_x = e^{-dt/\tau_x}`.

    ==============  =======  ====  ======================
    parameter       default  unit  meaning
    ==============  =======  ====  ======================
    ``tau_rise``    1        ms    rise time constant
    ``tau_decay``   10       ms    decay time constant (> tau_rise)
    ==============  =======  ====  ======================
    """

    parameters = {"tau_rise": Param(1.0, "ms", "positive"), "tau_decay": Param(10.0, "ms", "positive")}
    state = ("g", "h")
    spike_target = "h"

    def __init__(self, **params):
        super().__init__(**params)
        if not self.params["tau_decay"] > self.params["tau_rise"]:
            raise ModelDefinitionError(
                f"DualExponential: tau_decay ({self.params['tau_decay']} ms) must exceed tau_rise "
                f"({self.params['tau_rise']} ms); use Alpha for equal time constants"
            )

    @staticmethod
    def derived(p, dt):
        tr, td = p["tau_rise"], p["tau_decay"]
        e_r, e_d = np.exp(-dt / tr), np.exp(-dt / td)
        return {"e_r": e_r, "e_d": e_d, "c_hg": (e_r - e_d) / (1.0 / td - 1.0 / tr),
                "w_scale": 1.0 / _peak_of_unit_kernel(tr, td)}

    @staticmethod
    def decay(xp):
        def f(g, h, e_r, e_d, c_hg):
            return g * e_d + h * c_hg, h * e_r

        return f

