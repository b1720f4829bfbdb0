"""The DPI (differential-pair integrator) circuits of DYNAP-SE: math factories and the neuron model.

Every function here is a factory over a math namespace ``xp`` (see :mod:`spikeloom.neurons._base`): the CPU
engine binds it to scalar Numba code, the JAX engine to ``jax.numpy``. Currents are in pA, capacitances in
pF, voltages in mV, times in ms (pF x mV / pA = ms).
"""

from __future__ import annotations

import numpy as np

from ..core.params import Param
from ..neurons._base import AbstractNeuron

#: largest current a chip can carry (1 A, in pA): the upper end of every clip, as in the reference
I_MAX = 1e12
#: dark current I_0 (pA), the floor of every current: a constant of the silicon in both references
I0 = 1.0

#: DPI synapse type -> (state variable, prefix of its parameters)
SYNAPSE_TYPES = {"nmda": ("Inmda", "nmda"), "ampa": ("Iampa", "ampa"),
                 "gaba_a": ("Igaba_a", "gaba_a"), "gaba_b": ("Igaba_b", "gaba_b")}


def dpi_synapse_rate(xp):
    """dS/dt of one DPI synapse (see :class:`DPINeuron`, "synapses"); ``r = kappa / (C U_T)`` (1/(pF mV)), so
    that ``tau = 1 / (r I_tau')``. The quotient ``(-S - I_g' + 2 l) / (tau (I_g'/S + 1))`` is computed as
    ``(-S - I_g' + 2 l) r I_tau' S / (I_g' + S)``: one division instead of three (divisions bound the update
    loop's speed); ``I_g' + S > 0`` for every ``S >= 0``."""

    def rate(S, I_tau, alpha, r):
        on = S > I0
        floor = xp.where(on, 0.0, I0)
        Itau_s = xp.where(on, I_tau, 0.0) + floor
        Ig_s = xp.where(on, alpha * I_tau, 0.0) + floor
        return xp.where(S > 0.0, (-S - Ig_s + 2.0 * floor) * (r * Itau_s) * S / (Ig_s + S), 0.0)

    return rate


def dpi_soma(xp):
    """Soma terms shared by the vector field and the stability bookkeeping: returns
    ``(I_sum, Itau_s, Ig_s, I_ahp_s, floor, clipped I)`` for membrane current ``Imem``; ``pfb_slope`` is
    ``1 / Isoma_pfb_norm`` (1/pA)."""

    # the engine's exp inlined where the namespace offers that (Numba): a call would stop the update loop
    # from vectorizing (the same function, so the same numbers)
    exp = getattr(getattr(xp, "inlined", xp), "exp", xp.exp)

    def soma_terms(Imem, Iahp, Igaba_a, Isoma_dpi_tau, alpha_soma, Isoma_pfb_gain, Isoma_pfb_th, pfb_slope):
        on = Imem > I0
        floor = xp.where(on, 0.0, I0)
        I_clip = xp.minimum(xp.maximum(Imem, I0), I_MAX)
        I_pfb = Isoma_pfb_gain / (1.0 + exp((Isoma_pfb_th - Imem) * pfb_slope))
        Itau_s = xp.where(on, Isoma_dpi_tau, 0.0) + floor
        Ig_s = xp.where(on, alpha_soma * Itau_s, 0.0) + floor
        I_pfb_s = xp.where(on, I_pfb, 0.0) + floor
        I_ahp_s = xp.where(on, Iahp, 0.0) + floor
        I_gaba_a_s = xp.where(on, Igaba_a, 0.0) + floor
        I_sum = Itau_s + I_ahp_s + I_gaba_a_s - I_pfb_s - floor
        return I_sum, Itau_s, Ig_s, I_ahp_s, floor, I_clip

    return soma_terms


def dpi_input(xp):
    """The soma's input current: NMDA gated by the membrane, AMPA, minus GABA_B, constant and external input."""

    def soma_input(Inmda, Iampa, Igaba_b, Isoma_const, I, Inmda_thr, I_clip):
        I_nmda_gated = Inmda * I_clip / (I_clip + Inmda_thr)  # Inmda / (1 + Inmda_thr / I_clip), one division
        return xp.minimum(xp.maximum(I_nmda_gated + Iampa - Igaba_b + Isoma_const + I, I0), I_MAX)

    return soma_input


class DPINeuron(AbstractNeuron):
    r"""DYNAP-SE adaptive exponential DPI neuron with its four DPI synapses (NMDA, AMPA, GABA_A, GABA_B).

    The model of the Brian2 DYNAP-SE simulator and DynapSEtorch (Chicca et al. 2014, Proc. IEEE 102:1367;
    Bartolozzi & Indiveri 2007, Neural Comput. 19:2581). A neuron has one DPI integrator per synapse type;
    every connection of that type adds to it (``S += I_w0 * alpha * w`` per spike, ``w`` = number of CAM
    slots, applied by :class:`~spikeloom.dynapse.synapses.DPISynapse` projections). Below,
    :math:`m_X = [X > I_0]`, :math:`\ell_X = I_0 [X \le I_0]`, :math:`\mathrm{clip}(X) = \min(\max(X, I_0), 1\,A)`
    and every time constant is :math:`\tau = C U_T / (\kappa I_\tau)`, :math:`\kappa = (\kappa_n + \kappa_p)/2`.

    Synapses (S = ``Inmda``, ``Iampa``, ``Igaba_a``, ``Igaba_b``; for S > I0 a plain decay -S/tau):

    .. math::

        I_\tau' = I_\tau m_S + \ell_S,\quad I_g' = \alpha I_\tau m_S + \ell_S,\quad
        \frac{dS}{dt} = \frac{-S - I_g' + 2\ell_S}{\tau(I_\tau')\,(I_g'/S + 1)}

    Soma (I = ``Imem``, J = ``Iahp``, :math:`\tilde I = \mathrm{clip}(I)`, m, l of I; frozen while refractory):

    .. math::

        I_{in} &= \mathrm{clip}\big(I_{nmda}/(1 + I_{nmda,thr}/\tilde I) + I_{ampa} - I_{gaba,b}
                  + I_{const} + I_{ext}\big) \\
        I_{pfb} &= I_{pfb,gain} / (1 + e^{-(I - I_{pfb,th})/I_{pfb,norm}}) \\
        I_\Sigma &= I_\tau' + (J m + \ell) + (I_{gaba,a} m + \ell) - (I_{pfb} m + \ell) - \ell \\
        \frac{dI}{dt} &= \frac{\alpha_{soma}(I_{in} - I_\Sigma) - (I_\Sigma - \ell)\tilde I/I_\tau'}
                             {\tau_{soma}(1 + I_g'/\tilde I)}

    NMDA is gated by the membrane ("voltage"-dependent), GABA_B subtracts from the input, GABA_A adds to the
    leak (shunting: subtractive and divisive). Adaptation, with :math:`I_{ahp,s} = J m + \ell`:

    .. math::

        \frac{dJ}{dt} = \frac{-I_g'(J) - J + 2\ell_J}{\tau_{ahp}(1 + I_g'(J)/I_{ahp,s})}\quad(0 \text{ if } I_{ahp,s} = 0)

    Spike when :math:`I > I_{soma,th}` (strict): :math:`J \mathrel{+}= I_{ahp,w}\alpha_{ahp}`,
    :math:`I \leftarrow I_{reset}`; the soma stays frozen for the next round(refP/dt) - 1 steps (Brian2's
    ``refractory`` with ``unless refractory``); adaptation and synapses keep running. ``I`` (external input,
    pA) adds to the input like ``Isoma_const``. Integration: forward Euler (``method="euler"``), the
    reference's scheme; the synaptic jumps of a step land after its update (see
    :class:`~spikeloom.dynapse.chip.DynapSE`).

    Stability: forward Euler multiplies a deviation of the membrane current by :math:`1 - dt\,\lambda` per
    step, :math:`\lambda = -\partial \dot I/\partial I`; strong shunting inhibition makes :math:`dt\,\lambda`
    exceed 2 and the current oscillate and diverge. For :math:`I > I_0` (feedback and NMDA-gate slopes left
    out) :math:`\lambda = [I_\Sigma (I^2 + 2 I I_g)/I_\tau - \alpha (I_{in} - I_\Sigma) I_g] / (\tau_{soma}
    (I + I_g)^2)`, which tends to :math:`I_\Sigma/(I_\tau \tau_{soma})` for large I. State ``euler_load``
    keeps the largest :math:`dt\,\lambda` seen;
    :meth:`DynapSE.run <spikeloom.dynapse.chip.DynapSE.run>` raises when it reached 2 and names the largest
    stable dt.

    Parameters (defaults of the reference): ``Ut`` (25 mV), ``kn``, ``kp`` (0.75, 0.66), ``alpha_<x>`` (4) for soma, ahp, nmda, ampa, gaba_a, gaba_b;
    soma ``Csoma_mem`` (2 pF), ``Isoma_dpi_tau`` (5 pA), ``Isoma_th`` (2000 pA), ``Isoma_reset`` (1.2 pA),
    ``Isoma_const`` (1 pA), ``soma_refP`` (5 ms), ``Isoma_pfb_gain``/``_th``/``_norm`` (100/1000/20 pA);
    adaptation ``Csoma_ahp`` (4 pF), ``Isoma_ahp_tau`` (2 pA), ``Isoma_ahp_w`` (1 pA); per synapse type x:
    ``C<x>`` (2 pF), ``I<x>_tau`` (nmda 2, ampa 20, gaba_a 5, gaba_b 5 pA), ``I<x>_w0`` (100 pA), and
    ``Inmda_thr`` (1 pA). State: ``Imem`` (starts at 1.1 pA), ``Iahp`` (0), ``Inmda``, ``Iampa``, ``Igaba_a``,
    ``Igaba_b`` (``I0`` = 1 pA, a module constant: the dark current), ``refractory`` (frozen steps left), ``euler_load``.
    """

    parameters = {
        "Ut": Param(25.0, "mV", "positive"),
        "kn": Param(0.75, "1", "positive"), "kp": Param(0.66, "1", "positive"),
        **{f"alpha_{x}": Param(4.0, "1", "positive") for x in ("soma", "ahp", "nmda", "ampa", "gaba_a", "gaba_b")},
        "Csoma_mem": Param(2.0, "pF", "positive"), "Isoma_dpi_tau": Param(5.0, "pA", "positive"),
        "Isoma_th": Param(2000.0, "pA", "positive"), "Isoma_reset": Param(1.2, "pA", "positive"),
        "Isoma_const": Param(1.0, "pA", "nonneg"), "soma_refP": Param(5.0, "ms", "nonneg"),
        "Csoma_ahp": Param(4.0, "pF", "positive"), "Isoma_ahp_tau": Param(2.0, "pA", "positive"),
        "Isoma_ahp_w": Param(1.0, "pA", "nonneg"),
        "Isoma_pfb_gain": Param(100.0, "pA", "nonneg"), "Isoma_pfb_th": Param(1000.0, "pA", "positive"),
        "Isoma_pfb_norm": Param(20.0, "pA", "positive"),
        "Cnmda": Param(2.0, "pF", "positive"), "Inmda_tau": Param(2.0, "pA", "positive"),
        "Inmda_w0": Param(100.0, "pA", "nonneg"), "Inmda_thr": Param(1.0, "pA", "positive"),
        "Campa": Param(2.0, "pF", "positive"), "Iampa_tau": Param(20.0, "pA", "positive"),
        "Iampa_w0": Param(100.0, "pA", "nonneg"),
        "Cgaba_a": Param(2.0, "pF", "positive"), "Igaba_a_tau": Param(5.0, "pA", "positive"),
        "Igaba_a_w0": Param(100.0, "pA", "nonneg"),
        "Cgaba_b": Param(2.0, "pF", "positive"), "Igaba_b_tau": Param(5.0, "pA", "positive"),
        "Igaba_b_w0": Param(100.0, "pA", "nonneg"),
    }
    state = {"Imem": 1.1 * I0, "Iahp": 0.0, "Inmda": I0, "Iampa": I0, "Igaba_a": I0, "Igaba_b": I0,
             "refractory": 0.0, "euler_load": 0.0}
    ode_vars = ("Imem", "Iahp", "Inmda", "Iampa", "Igaba_a", "Igaba_b")
    methods = ("euler",)

    @staticmethod
    def time_constants(p):
        kappa = (np.asarray(p["kn"]) + np.asarray(p["kp"])) / 2.0
        pairs = [("Csoma_mem", "Isoma_dpi_tau"), ("Csoma_ahp", "Isoma_ahp_tau"), ("Cnmda", "Inmda_tau"),
                 ("Campa", "Iampa_tau"), ("Cgaba_a", "Igaba_a_tau"), ("Cgaba_b", "Igaba_b_tau")]
        return [np.asarray(p[c]) * np.asarray(p["Ut"]) / (kappa * np.asarray(p[i])) for c, i in pairs]

    @staticmethod
    def derived(p, dt):
        kappa = (np.asarray(p["kn"]) + np.asarray(p["kp"])) / 2.0
        # r = kappa / (C U_T) (every tau = 1 / (r I_tau)): the loop multiplies by it instead of dividing
        r = {f"r_{x}": kappa / (np.asarray(p[c]) * np.asarray(p["Ut"])) for x, c in _CAPACITANCES.items()}
        # frozen steps after the spike step: Brian2 integrates again once timestep(t - lastspike) >= refP/dt
        ref = np.floor(np.asarray(p["soma_refP"]) / dt + 1e-3) - 1.0
        # the AHP gain current (the reference's Isoma_ahp_g), precomputed for the same 30-argument reason
        ahp_g = np.asarray(p["alpha_ahp"]) * np.asarray(p["Isoma_ahp_tau"])
        return {**r, "Isoma_ahp_g": ahp_g, "ref_steps": np.maximum(ref, 0.0),
                "pfb_slope": 1.0 / np.asarray(p["Isoma_pfb_norm"])}

    @staticmethod
    def vector_field(xp):
        syn = xp.inline(dpi_synapse_rate(xp))
        soma_terms = xp.inline(dpi_soma(xp))
        soma_input = xp.inline(dpi_input(xp))

        def f(Imem, Iahp, Inmda, Iampa, Igaba_a, Igaba_b, I, alpha_soma, Isoma_ahp_g, alpha_nmda, alpha_ampa,
              alpha_gaba_a, alpha_gaba_b, r_soma, r_ahp, r_nmda, r_ampa, r_gaba_a, r_gaba_b, Isoma_dpi_tau,
              Isoma_const, Isoma_ahp_tau, Isoma_pfb_gain, Isoma_pfb_th, pfb_slope, Inmda_tau, Inmda_thr,
              Iampa_tau, Igaba_a_tau, Igaba_b_tau):
            I_sum, Itau_s, Ig_s, I_ahp_s, floor, I_clip = soma_terms(
                Imem, Iahp, Igaba_a, Isoma_dpi_tau, alpha_soma, Isoma_pfb_gain, Isoma_pfb_th, pfb_slope)
            I_in = soma_input(Inmda, Iampa, Igaba_b, Isoma_const, I, Inmda_thr, I_clip)
            # the equation's quotient with numerator and denominator times Itau_s I_clip: one division
            dImem = (alpha_soma * (I_in - I_sum) * Itau_s - (I_sum - floor) * I_clip) * (r_soma * I_clip) / (
                I_clip + Ig_s)
            # adaptation: its denominator uses the soma-gated I_ahp_s, zero until the first spike
            on_j = Iahp > I0
            floor_j = xp.where(on_j, 0.0, I0)
            Itau_a = xp.where(on_j, Isoma_ahp_tau, 0.0) + floor_j
            Ig_a = xp.where(on_j, Isoma_ahp_g, 0.0) + floor_j
            dIahp = xp.where(I_ahp_s > 0.0,
                             (-Ig_a - Iahp + 2.0 * floor_j) * (r_ahp * Itau_a) * I_ahp_s / (I_ahp_s + Ig_a), 0.0)
            return (dImem, dIahp,
                    syn(Inmda, Inmda_tau, alpha_nmda, r_nmda),
                    syn(Iampa, Iampa_tau, alpha_ampa, r_ampa),
                    syn(Igaba_a, Igaba_a_tau, alpha_gaba_a, r_gaba_a),
                    syn(Igaba_b, Igaba_b_tau, alpha_gaba_b, r_gaba_b))

        return f

    @staticmethod
    def threshold_reset(xp):
        soma_terms = xp.inline(dpi_soma(xp))
        soma_input = xp.inline(dpi_input(xp))

        def g(Imem, Iahp, Inmda, Iampa, Igaba_a, Igaba_b, I, refractory, euler_load, Imem_new, Iahp_new, Inmda_new,
              Iampa_new, Igaba_a_new, Igaba_b_new, dt, alpha_soma, alpha_ahp, r_soma, Isoma_dpi_tau, Isoma_const,
              Isoma_th, Isoma_reset, Isoma_ahp_w, Isoma_pfb_gain, Isoma_pfb_th, pfb_slope, Inmda_thr,
              ref_steps):
            I_sum, Itau_s, Ig_s, _, floor, I_clip = soma_terms(
                Imem, Iahp, Igaba_a, Isoma_dpi_tau, alpha_soma, Isoma_pfb_gain, Isoma_pfb_th, pfb_slope)
            I_in = soma_input(Inmda, Iampa, Igaba_b, Isoma_const, I, Inmda_thr, I_clip)
            # load = -dt d(dImem/dt)/dImem for Imem > I0 (feedback and NMDA-gate slopes left out) = dt r_soma
            # slope, slope with one division: forward Euler oscillates and diverges once the load exceeds 2
            slope = ((I_sum - floor) * (I_clip * I_clip + 2.0 * I_clip * Ig_s)
                     - alpha_soma * (I_in - I_sum) * Ig_s * Itau_s) / ((I_clip + Ig_s) * (I_clip + Ig_s))
            held = refractory > 0.0
            # the soma is frozen while refractory (Brian2's "unless refractory"): keep the old value
            Imem_int = xp.where(held, Imem, Imem_new)
            spike = xp.where(held, False, xp.spike(Imem_int - Isoma_th))
            load = xp.where(held | (Imem <= I0), 0.0, dt * r_soma * slope)
            return (xp.where(spike, Isoma_reset, Imem_int),
                    xp.where(spike, Iahp_new + Isoma_ahp_w * alpha_ahp, Iahp_new),
                    Inmda_new, Iampa_new, Igaba_a_new, Igaba_b_new,
                    xp.where(spike, ref_steps, xp.where(held, refractory - 1.0, 0.0)),
                    xp.maximum(euler_load, load),
                    spike)

        return g


#: DPI block -> its capacitance parameter
_CAPACITANCES = {"soma": "Csoma_mem", "ahp": "Csoma_ahp", "nmda": "Cnmda", "ampa": "Campa", "gaba_a": "Cgaba_a",
                 "gaba_b": "Cgaba_b"}
