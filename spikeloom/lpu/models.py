"""The node models of Neurokernel's generic LPU as spikeloom neuron models, so that an LPU is a network.

Time is in the LPU's unit (seconds for :class:`~spikeloom.lpu.GenericLPU`: the network's ``dt`` is the LPU's
``dt``), potentials in volts. Spiking nodes and ports carry a state ``spiked`` (1 in a step with a spike, else
0), the presynaptic quantity that :class:`~spikeloom.synapses.graded.AlphaEuler` synapses read.
"""

from __future__ import annotations

from ..core.params import Param
from ..neurons._base import AbstractNeuron
from ..neurons.lif import LIF
from ..neurons.morris_lecar import MorrisLecar
from ..synapses.graded import GradedSynapse

#: Morris-Lecar constants fixed in Neurokernel's kernel (V, and conductances per unit capacitance in 1/ms)
ML_CONSTANTS = {"C": 1.0, "g_L": 0.5, "g_K": 2.0, "g_Ca": 1.1, "V_L": -0.05, "V_K": -0.07, "V_Ca": 0.1}


class LeakyIAF(LIF):
    """Neurokernel's ``LeakyIAF``: :class:`~spikeloom.LIF` (integrated exactly, rest ``V_rest = 0`` in the LPU,
    ``tau = R C``) with the state ``spiked``."""

    state = {"V": "V_rest", "refractory": 0.0, "spiked": 0.0}
    methods = ("exact",)

    @staticmethod
    def threshold_reset(xp):
        fire = xp.inline(LIF.threshold_reset(xp))

        def g(V, refractory, V_new, V_th, V_reset, ref_steps):
            V_out, ref_out, spike = fire(V, refractory, V_new, V_th, V_reset, ref_steps)
            return V_out, ref_out, xp.where(spike, 1.0, 0.0), spike

        return g


class MorrisLecarSubsteps(AbstractNeuron):
    """Neurokernel's ``MorrisLecar`` kernel: forward Euler in ``SUBSTEPS`` sub-steps per step of the vector field
    of :class:`~spikeloom.neurons.MorrisLecar` (milliseconds, :data:`ML_CONSTANTS`), the step ``dt`` in seconds.
    Graded: it never spikes. The sub-step count is part of the compiled code, so each count is its own class,
    :func:`morris_lecar` (``MorrisLecarSubsteps10`` for 10, importable by that name from this module)."""

    SUBSTEPS = 1
    parameters = {k: Param(MorrisLecar.parameters[k].default * (1e-3 if k[0] == "V" else 1.0), "1")
                  for k in ("V1", "V2", "V3", "V4", "phi", "offset")}
    state = {"V": -0.05214, "n": 0.02}
    ode_vars = ("V", "n")
    methods = ("exact",)

    @staticmethod
    def vector_field(xp):
        field = xp.inline(MorrisLecar.vector_field(xp))
        C, g_L, g_K, g_Ca, V_L, V_K, V_Ca = (ML_CONSTANTS[k] for k in ("C", "g_L", "g_K", "g_Ca", "V_L", "V_K", "V_Ca"))

        def f(V, n, I, V1, V2, V3, V4, phi, offset):  # per ms
            return field(V, n, I, V1, V2, V3, V4, phi, offset, C, g_L, g_K, g_Ca, V_L, V_K, V_Ca)

        return f

    @classmethod
    def exact(cls, xp):
        field = xp.inline(cls.vector_field(xp))
        substeps = cls.SUBSTEPS

        def step(V, n, I, V1, V2, V3, V4, phi, offset, dt):
            h = dt * 1000.0 / substeps
            for _ in range(substeps):
                dV, dn = field(V, n, I, V1, V2, V3, V4, phi, offset)
                V, n = V + h * dV, n + h * dn
            return V, n

        return step

    @staticmethod
    def threshold_reset(xp):
        def g(V_new, n_new):
            return V_new, n_new, False  # graded: never a spike

        return g


_ML_CLASSES: dict[int, type] = {}


def morris_lecar(substeps: int) -> type:
    """The :class:`MorrisLecarSubsteps` class with ``substeps`` sub-steps (made once, then reused)."""
    if substeps not in _ML_CLASSES:
        name = f"MorrisLecarSubsteps{substeps}"
        _ML_CLASSES[substeps] = type(name, (MorrisLecarSubsteps,), {"SUBSTEPS": substeps, "__module__": __name__,
                                                                    "__qualname__": name})
    return _ML_CLASSES[substeps]


def __getattr__(name: str):
    # generated code (and a cached compiled loop in a fresh process) imports the class by its name
    prefix = "MorrisLecarSubsteps"
    if name.startswith(prefix) and name[len(prefix):].isdigit():
        return morris_lecar(int(name[len(prefix):]))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PortRelay(AbstractNeuron):
    """An LPU's input port: ``V`` becomes its input ``I`` every step (the routed value, or the constant given to
    an unconnected port); a spike port spikes when it reaches ``V_th`` (0.5), a graded one never (``V_th`` =
    1e30 by default)."""

    parameters = {"V_th": Param(1e30, "1")}
    state = {"V": 0.0, "spiked": 0.0}
    ode_vars = ("V",)
    methods = ("exact",)

    @staticmethod
    def vector_field(xp):
        def f(V, I):
            return (I - V,)

        return f

    @staticmethod
    def exact(xp):
        def step(I):
            return (I,)

        return step

    @staticmethod
    def threshold_reset(xp):
        def g(V_new, V_th):
            spike = V_new >= V_th
            return V_new, xp.where(spike, 1.0, 0.0), spike

        return g


class Copy(GradedSynapse):
    """The routing of a pattern connection: ``I = x``, the presynaptic quantity itself (into a
    :class:`PortRelay`, which then holds it: the value of the previous step, Neurokernel's one-step latency)."""

    parameters: dict = {}

    @staticmethod
    def current(xp):
        def f(x, V):
            return x

        return f
