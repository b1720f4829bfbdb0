r"""Short-term plasticity of Tsodyks & Markram (Tsodyks, Pawelzik & Markram 1998), event-driven.

Each synapse keeps the available resources ``x`` (1 at rest) and the utilization ``u`` (0 at rest). Between
presynaptic spikes, over ``elapsed`` ms:

.. math::

    x \leftarrow 1 - (1 - x) e^{-\Delta/\tau_{rec}}, \qquad u \leftarrow u \, e^{-\Delta/\tau_{facil}}

(``tau_facil = 0``: ``u`` is back to 0 at once, no facilitation). When a spike arrives:
:math:`u \leftarrow u + U (1 - u)`, the delivered weight is :math:`u x w`, then :math:`x \leftarrow x (1 - u)`.
For a regular train of interval :math:`T` without facilitation the amplitudes fall from :math:`U w` to the
steady state :math:`U w (1 - e^{-T/\tau_{rec}}) / (1 - (1 - U) e^{-T/\tau_{rec}})`. The weight ``w`` itself
does not change.

=============  =======  ====  ===========================================
parameter      default  unit  meaning
=============  =======  ====  ===========================================
``U``          0.5      1     utilization increment per spike, in (0, 1]
``tau_rec``    800      ms    recovery of the resources (> 0)
``tau_facil``  0        ms    decay of the utilization (0: no facilitation)
=============  =======  ====  ===========================================
"""

from __future__ import annotations

from .._errors import ModelDefinitionError
from ..core.params import Param
from ._base import PlasticityRule, exp_decay


class TsodyksMarkram(PlasticityRule):
    """Tsodyks-Markram short-term depression and facilitation (see the module)."""

    parameters = {"U": Param(0.5, "1", "positive"), "tau_rec": Param(800.0, "ms", "positive"),
                  "tau_facil": Param(0.0, "ms", "nonneg")}
    state = {"u": 0.0, "x": 1.0}

    def __init__(self, **params):
        super().__init__(**params)
        if self.params["U"] > 1.0:
            raise ModelDefinitionError(f"TsodyksMarkram: U must be in (0, 1], got {self.params['U']:g}")

    @staticmethod
    def decay(xp):
        factor = exp_decay(xp)

        def f(w, u, x, elapsed, tau_rec, tau_facil):
            return w, u * factor(elapsed, tau_facil), 1.0 - (1.0 - x) * factor(elapsed, tau_rec)

        return f

    @staticmethod
    def on_pre(xp):
        def f(w, u, x, U):
            u_new = u + U * (1.0 - u)
            return w, u_new, x * (1.0 - u_new), u_new * x * w

        return f
