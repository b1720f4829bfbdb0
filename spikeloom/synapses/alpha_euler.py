"""Neurokernel's alpha synapse: a per-synapse, forward-Euler alpha function (nonlinear through a clamp)."""

from __future__ import annotations


class AlphaSynapse:
    r"""Alpha-function conductance of one synapse, stepped by forward Euler as Neurokernel's ``AlphaSynapse``.

    Discretises :math:`\ddot a + (a_r + a_d)\dot a + a_r a_d\, a = a_r a_d \sum_k \delta(t - t_k)` with state
    :math:`(a_0, a_1, a_2) = (a, \dot a, \ddot a)`, old values on the right:

    .. math::

        a_0' = \max(0,\ a_0 + dt\, a_1), \qquad
        a_1' = a_1 + dt\, a_2 + a_r a_d\,[\text{spike}], \qquad
        a_2' = -(a_r + a_d)\, a_1 - a_r a_d\, a_0, \qquad g = g_{max}\, a_0'

    The continuous response to one spike, :math:`\frac{a_r a_d}{a_r - a_d}(e^{-a_d t} - e^{-a_r t})`, has
    area 1, so ``gmax`` is the time integral of the conductance per spike. The clamp makes the synapse
    nonlinear, so (unlike :class:`~spikeloom.synapses.Alpha`) each synapse keeps its own state.

    =========  ====================  ==========================================
    parameter  unit                  meaning
    =========  ====================  ==========================================
    ``ar``     1/time                rise rate
    ``ad``     1/time                decay rate
    ``gmax``   conductance x time    integral of g per spike
    =========  ====================  ==========================================

    Units are those of the caller (Neurokernel's LPUs use seconds); ``dt`` must be in the same time unit.

    Reference: Neurokernel, ``neurokernel/LPU/synapses/AlphaSynapse.py`` (2016).
    """

    state = ("a0", "a1", "a2")

    @staticmethod
    def step(xp):
        def f(a0, a1, a2, spike, ar, ad, dt):
            new_a0 = xp.maximum(0.0, a0 + dt * a1)
            new_a1 = a1 + dt * a2 + xp.where(spike, ar * ad, 0.0)
            new_a2 = -(ar + ad) * a1 - ar * ad * a0
            return new_a0, new_a1, new_a2

        return f

    @staticmethod
    def conductance(xp):
        def g(a0, gmax):
            return gmax * a0

        return g
