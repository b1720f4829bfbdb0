"""Neurokernel's graded-potential synapse: a conductance that is a saturating power of the presynaptic V."""

from __future__ import annotations


class PowerGpotGpot:
    r"""Conductance set by the (delayed) presynaptic potential, Neurokernel's ``power_gpot_gpot``.

    .. math::

        g = \min\!\left(g_{sat},\ s \cdot \max\left(0,\ V_{pre}(t - d) - V_{thr}\right)^{p}\right)

    and the postsynaptic current is :math:`-g\,(V_{post} - E_{rev})` (the conductance output, see
    :class:`~spikeloom.synapses.COBA`). No state: the delay line holds the presynaptic potentials.

    ==============  ==========================================
    parameter       meaning
    ==============  ==========================================
    ``threshold``   V_thr, potential below which g = 0
    ``slope``       s, gain
    ``power``       p, exponent
    ``saturation``  g_sat, largest conductance
    ``delay``       d, in ms (Neurokernel's unit), rounded to whole steps by the caller
    ==============  ==========================================

    Reference: Neurokernel, ``neurokernel/LPU/synapses/power_gpot_gpot.py`` (2016).
    """

    state = ()

    @staticmethod
    def conductance(xp):
        def g(V_pre, threshold, slope, power, saturation):
            return xp.minimum(saturation, slope * xp.maximum(0.0, V_pre - threshold) ** power)

        return g
