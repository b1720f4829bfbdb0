r"""Graded coupling: currents that flow every step as a function of the presynaptic state, no spikes needed.

A graded synapse ``k`` from neuron ``i`` to neuron ``j`` adds, at every step ``s``,

.. math::

    y_k \leftarrow u\big(y_k,\ x_i(s - d_k),\ \theta_k,\ dt\big), \qquad
    I_j \mathrel{+}= w_k\, f\big(x_i(s - d_k),\ V_j(s),\ y_k,\ \theta_k\big)

to the post-synaptic neuron's input current, where ``x`` is a presynaptic state variable (its membrane
potential by default) read ``d_k`` steps earlier, ``V_j`` the post-synaptic potential, ``theta`` the model's
parameters, ``w_k`` the synapse's weight and ``y_k`` the synapse's own state (``synapse_state``, optional,
zero at the start; ``update(xp)`` is ``u``, taking and returning it by name). ``f`` is the model's
``current(xp)``, whose arguments after ``x`` and ``V`` are state or parameter names. Units are the caller's
(``f`` returns a current in the unit the post-synaptic neuron takes: pA for spikeloom's neurons with mV and
nS; Neurokernel's LPUs use volts and siemens).

The per-step currents of a projection group are gathered per post-synaptic neuron into the group's state
``I`` (one slot per post neuron, set anew at every step), which the neuron update reads like any synaptic
conductance through the ``CUBA`` output: so these models are synapses whose state ``I`` does not decay
(``decay`` is the identity) and is the current itself (``conductance`` returns it).
"""

from __future__ import annotations

from typing import Callable, ClassVar

from ..core.params import Param
from ._base import AbstractSynapse
from .alpha_euler import AlphaSynapse
from .outputs import COBA
from .power_gpot import PowerGpotGpot


class GradedSynapse(AbstractSynapse):
    """Base of graded synapses: ``current(xp) -> f(x, V, <parameters>)``, the current one synapse of weight 1
    adds to its post-synaptic neuron (see the module docstring)."""

    state: ClassVar[tuple[str, ...]] = ("I",)
    spike_target: ClassVar[str] = "I"
    #: per-synapse state variables (each starts at 0), advanced by ``update(xp)`` before ``current`` reads them
    synapse_state: ClassVar[tuple[str, ...]] = ()
    update: ClassVar[Callable | None] = None
    weight_unit: ClassVar[str | None] = "1"

    @classmethod
    def state_unit(cls, var: str, weight_unit: str) -> str | None:
        return "pA"

    @staticmethod
    def derived(p: dict, dt: float) -> dict:
        return {}

    @staticmethod
    def decay(xp) -> Callable:
        def keep(I):  # noqa: E741 - the current, recomputed by the graded operation every step
            return (I,)

        return keep

    @staticmethod
    def conductance(xp) -> Callable:
        def current(I):  # noqa: E741
            return I

        return current

    @staticmethod
    def current(xp) -> Callable:
        raise NotImplementedError("a graded synapse defines current(xp) -> f(x, V, <states and parameters>)")


class PowerGpot(GradedSynapse):
    r"""Neurokernel's graded-potential synapse ``power_gpot_gpot`` as a graded coupling:

    .. math::

        I = g\,(E - V_{post}) \ \text{(or } I = g \text{ with conductance = 0)}, \qquad g = \min\!\left(g_{sat},\ s\,\max(0,\ x - V_{thr})^{p}\right)

    with ``x`` the presynaptic potential ``d`` steps earlier (:class:`~spikeloom.synapses.PowerGpotGpot`
    gives ``g``, :class:`~spikeloom.synapses.COBA` the current). Units are the caller's (Neurokernel: V, S).

    Reference: Neurokernel, ``neurokernel/LPU/synapses/power_gpot_gpot.py`` (2016).
    """

    parameters = {"threshold": Param(-0.05, "1", doc="V_thr, potential below which g = 0"),
                  "slope": Param(0.8, "1", "nonneg", doc="s, gain"),
                  "power": Param(1.0, "1", "positive", doc="p, exponent"),
                  "saturation": Param(0.03, "1", "nonneg", doc="g_sat, largest conductance"),
                  "E": Param(0.0, "1", doc="reversal potential"),
                  "conductance": Param(1.0, "1", doc="1: I = g (E - V); 0: I = g")}

    @staticmethod
    def current(xp) -> Callable:
        g_of = xp.inline(PowerGpotGpot.conductance(xp))
        out = xp.inline(COBA.current(xp))

        def f(x, V, threshold, slope, power, saturation, E, conductance):
            g = g_of(x, threshold, slope, power, saturation)
            return xp.where(conductance != 0.0, out(g, V, E), g)

        return f


class Gap(GradedSynapse):
    r"""One direction of an electrical synapse (gap junction): :math:`I_{post} = g\,(V_{pre} - V_{post})`,
    ``g`` the synapse's weight (nS with mV gives pA). A :class:`~spikeloom.GapJunction` pairs two of them, one
    each way, so the coupling is symmetric: the current one cell gains the other loses. No delay."""

    parameters: ClassVar[dict] = {}
    weight_unit: ClassVar[str | None] = "nS"

    @staticmethod
    def current(xp) -> Callable:
        def f(x, V):
            return x - V

        return f


class AlphaEuler(GradedSynapse):
    r"""Neurokernel's ``AlphaSynapse`` as a graded coupling: each synapse keeps the forward-Euler alpha state
    :math:`(a_0, a_1, a_2)` of :class:`~spikeloom.synapses.AlphaSynapse`, advanced every step by the
    presynaptic spike flag ``x`` (a state variable that is 1 in a step with a spike, else 0, read ``d`` steps
    earlier), and adds

    .. math::

        I = g\,(E - V_{post}) \ \text{(conductance = 1)}, \qquad I = g \ \text{(conductance = 0)}, \qquad
        g = g_{max}\, a_0

    ``ar``, ``ad`` (1/time) and ``dt`` in the same time unit. Reference: Neurokernel,
    ``neurokernel/LPU/synapses/AlphaSynapse.py`` (2016).
    """

    parameters = {"ar": Param(110.0, "1", "positive", doc="rise rate"),
                  "ad": Param(1900.0, "1", "positive", doc="decay rate"),
                  "gmax": Param(1.0, "1", doc="integral of g per spike"),
                  "E": Param(0.0, "1", doc="reversal potential"),
                  "conductance": Param(1.0, "1", doc="1: I = g (E - V); 0: I = g")}
    synapse_state = ("a0", "a1", "a2")

    @staticmethod
    def update(xp) -> Callable:
        step = xp.inline(AlphaSynapse.step(xp))

        def f(a0, a1, a2, x, ar, ad, dt):
            return step(a0, a1, a2, x != 0.0, ar, ad, dt)

        return f

    @staticmethod
    def current(xp) -> Callable:
        g_of = xp.inline(AlphaSynapse.conductance(xp))
        out = xp.inline(COBA.current(xp))

        def f(x, V, a0, gmax, E, conductance):
            g = g_of(a0, gmax)
            return xp.where(conductance != 0.0, out(g, V, E), g)

        return f
