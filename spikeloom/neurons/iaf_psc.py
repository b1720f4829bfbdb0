r"""Leaky integrate-and-fire neurons with current-based synapses, integrated exactly (NEST's ``iaf_psc_*``).

The membrane and the synaptic currents form one linear system, so one step of length :math:`h` is a fixed
matrix (the propagator) applied to the state: exact at any ``dt`` for spikes on the grid and currents held
over a step (Rotter S., Diesmann M. (1999) Exact digital simulation of time-invariant linear systems with
applications to neuronal modeling. Biol Cybern 81:381-402). The models and their defaults are NEST's
``iaf_psc_exp`` and ``iaf_psc_alpha`` (NEST 3 model documentation).

Both share, with :math:`u = V_m - E_L` (mV), currents in pA, ``C_m`` in pF, times in ms:

.. math::

    \frac{du}{dt} = -\frac{u}{\tau_m} + \frac{I_{ex} + I_{in} + I_e + I}{C_m}

``I`` is the external input plus the current of any ordinary projection (``Exponential``, ``CUBA``, ...),
held constant over a step (exact for a constant current, as NEST's ``dc_generator``). Spike when
:math:`V_m \ge V_{th}` at the end of a step: :math:`V_m \leftarrow V_{reset}`, held there for
``round(t_ref / dt)`` steps while the synaptic currents keep evolving (NEST's order: a neuron spiking in a
step is clamped over the next ``t_ref``).

The synaptic currents receive spikes through the synapses the class hands out (``excitatory()``,
``inhibitory()``, see :mod:`spikeloom.synapses.psc`): a spike of weight ``w`` (pA; negative for inhibition, as
in NEST) is added at the start of the step it arrives in. These projections need stored connectivity (not
procedural). Ordinary synapses (``Exponential``, ``Alpha`` with ``CUBA`` or ``COBA``) may target these
neurons too, but are not exact: their current enters ``I`` and is held over each step (an ``Exponential``
pulse then injects :math:`w\,dt/(1 - e^{-dt/\tau_s})`, 1.10x the exact charge at ``tau_s`` = 0.5 ms,
``dt`` = 0.1 ms; a ``COBA`` current :math:`g (E - V_m)` is taken at the step's start, error O(dt)).

Propagator entries (``derived``), for a step :math:`h` and a receptor with time constant :math:`\tau_s`:

.. math::

    P_{22} - 1 = \mathrm{expm1}(-h/\tau_m),\quad P_{20} = \frac{\tau_m}{C_m}(1 - e^{-h/\tau_m}),\quad
    P_{11} = e^{-h/\tau_s},\quad
    P_{21} = \frac{\tau_s \tau_m}{C_m(\tau_m - \tau_s)}\left(e^{-h/\tau_m} - e^{-h/\tau_s}\right)

with the limit :math:`P_{21} = (h/C_m) e^{-h/\tau}` for :math:`\tau_m = \tau_s`; near that limit the
difference of exponentials is evaluated as :math:`e^{-h/\tau_s}\,\mathrm{expm1}(x)/x \cdot h`, :math:`x =
h (1/\tau_s - 1/\tau_m)`, which keeps full precision (no separate degenerate branch to fall into).

Precision: ``V_m`` is stored absolute (as NEST reports it) together with ``V_err``, the part of
:math:`V_m - E_L` that ``V_m`` cannot hold (the rounding error of :math:`E_L + u`, recovered exactly each
step). A step works on :math:`u = (V_m - E_L) + V_{err}`, so float32 runs keep :math:`u` to float32
precision of :math:`u` itself rather than of -70 mV (7.6e-6 mV), whose rounding, repeated every step, biased
a PSP by 2 % at ``dt = 0.01`` ms (and stops the decay altogether at smaller steps); for the same reason the
decay enters as a change, :math:`u + (P_{22} - 1) u` (see :func:`membrane_propagators`). Measured against
NEST 3.10: float64 traces within 6e-14 mV, float32 within 6e-6 mV (the resolution of ``V_m`` itself), spike
times under DC input identical in both. The threshold is taken on :math:`u \ge V_{th} - E_L`, as in NEST.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from .._errors import ModelDefinitionError
from ..core.params import Param
from ..synapses.psc import ExcitatoryPSC, ExcitatoryRisingPSC, InhibitoryPSC, InhibitoryRisingPSC
from ._base import AbstractNeuron

#: below this |x| the propagators are evaluated from series / expm1 instead of differences of exponentials
_NEAR = 1.0
#: terms of the series of ``(1 + (x - 1) e^x) / x^2`` used for |x| < _NEAR (the 30th term is below 1e-34)
_SERIES_TERMS = 30


def membrane_propagators(h: float, tau_m, C_m) -> dict:
    """``P22m1 = P22 - 1`` (the step's change of ``V_m - E_L`` per mV of it) and ``P20`` (mV per pA of a current
    held over the step). The decay enters as a change, ``u + P22m1 u``: at small steps ``P22`` rounds to a
    few digits in float32 and its rounding would move the fixed point ``P20 I / (1 - P22)`` (by 6e-5 of it at
    ``dt = 0.01`` ms), while ``P22m1`` keeps its full relative precision."""
    tau_m = np.asarray(tau_m, np.float64)
    decay_m1 = np.expm1(-h / tau_m)
    return {"P22m1": decay_m1, "P20": -tau_m / np.asarray(C_m) * decay_m1}


def exp_current_to_membrane(h: float, tau_m, tau_s, C_m):
    r"""``P21`` (mV per pA): :math:`\frac{1}{C_m}\int_0^h e^{-(h-s)/\tau_m} e^{-s/\tau_s} ds`, the step's
    voltage change from an exponentially decaying current of 1 pA at the step's start."""
    tau_m, tau_s = np.asarray(tau_m, np.float64), np.asarray(tau_s, np.float64)
    d = 1.0 / tau_s - 1.0 / tau_m
    x = h * d
    near = np.abs(x) < _NEAR
    safe_x = np.where(x == 0.0, 1.0, x)
    phi1 = np.where(x == 0.0, 1.0, np.expm1(safe_x) / safe_x)  # (e^x - 1)/x, exact limit 1 at tau_m = tau_s
    safe_d = np.where(near, 1.0, d)
    far = (np.exp(-h / tau_m) - np.exp(-h / tau_s)) / safe_d
    return np.where(near, h * np.exp(-h / tau_s) * phi1, far) / np.asarray(C_m)


def alpha_input_to_membrane(h: float, tau_m, tau_s, C_m):
    r"""``P31`` (mV per pA of ``dI``): :math:`\frac{e}{\tau_s C_m}\int_0^h e^{-(h-s)/\tau_m}\, s\, e^{-s/\tau_s} ds`,
    the step's voltage change from the alpha current started by ``dI = 1`` pA at the step's start.

    With :math:`a = 1/\tau_m - 1/\tau_s`, :math:`x = a h`, the integral is
    :math:`(e^{-h/\tau_m} + (x - 1) e^{-h/\tau_s}) / a^2`, which cancels for small :math:`x`; there it is
    :math:`h^2 e^{-h/\tau_m} \sum_k x^k / (k! (k + 2))` (the limit :math:`h^2 e^{-h/\tau}/2` at
    :math:`\tau_m = \tau_s`)."""
    tau_m, tau_s = np.asarray(tau_m, np.float64), np.asarray(tau_s, np.float64)
    a = 1.0 / tau_m - 1.0 / tau_s
    x = h * a
    near = np.abs(x) < _NEAR
    series, term = np.zeros_like(x), np.ones_like(x)
    for k in range(_SERIES_TERMS):
        series = series + term / (k + 2)
        term = term * x / (k + 1)
    safe_a = np.where(near, 1.0, a)
    far = (np.exp(-h / tau_m) + (x - 1.0) * np.exp(-h / tau_s)) / safe_a**2
    integral = np.where(near, h * h * np.exp(-h / tau_m) * series, far)
    return math.e / (tau_s * np.asarray(C_m)) * integral


def _check_reset_below_threshold(pop) -> None:
    """NEST refuses ``V_reset >= V_th`` (a reset neuron would spike again at once); so do we."""
    V_reset, V_th = np.broadcast_arrays(np.asarray(pop.params["V_reset"]), np.asarray(pop.params["V_th"]))
    bad = np.flatnonzero(np.ravel(V_reset >= V_th))
    if bad.size:
        i = int(bad[0])
        where = "" if V_reset.ndim == 0 else f" at neuron {i}"
        raise ModelDefinitionError(f"{type(pop).__name__}({pop.n}): V_reset must be below V_th, got V_reset = "
                                   f"{V_reset.ravel()[i]:g} mV, V_th = {V_th.ravel()[i]:g} mV{where}")


def membrane_threshold(xp):
    """Threshold, reset and refractory clamp (shared by the models): returns ``(V_m, V_err, refractory,
    spike)``. The threshold is taken on ``V_m - E_L`` with its low part ``V_err``, as NEST compares
    ``V_m - E_L`` with ``V_th - E_L``; a refractory neuron is held at ``V_reset`` and cannot spike."""

    def reset(refractory, V_m_new, V_err_new, E_L, V_th, V_reset, ref_steps):
        held = refractory > 0.0
        spike = xp.where(held, False, xp.spike((V_m_new - E_L) + V_err_new - (V_th - E_L)))
        V_out = xp.where(held, V_reset, xp.where(spike, V_reset, V_m_new))
        err_out = xp.where(held, 0.0, xp.where(spike, 0.0, V_err_new))
        ref_out = xp.where(spike, ref_steps, xp.where(held, refractory - 1.0, 0.0))
        return V_out, err_out, ref_out, spike

    return reset


class _IafPsc(AbstractNeuron):
    """Parameters, validation and membrane propagators shared by the exactly integrated ``iaf_psc`` models."""

    parameters = {
        "C_m": Param(250.0, "pF", "positive"),
        "tau_m": Param(10.0, "ms", "positive"),
        "t_ref": Param(2.0, "ms", "nonneg"),
        "E_L": Param(-70.0, "mV"),
        "V_reset": Param(-70.0, "mV"),
        "V_th": Param(-55.0, "mV"),
        "I_e": Param(0.0, "pA"),
    }
    methods = ("exact",)
    state_units = {"I_ex": "pA", "I_in": "pA", "dI_ex": "pA", "dI_in": "pA", "V_err": "mV"}
    excitatory_synapse: type
    inhibitory_synapse: type

    def __init__(self, n, **kwargs):
        super().__init__(n, **kwargs)
        _check_reset_below_threshold(self)

    @classmethod
    def excitatory(cls):
        """The synapse model of a projection onto this neuron's excitatory receptor (weights in pA, > 0)."""
        return cls.excitatory_synapse()

    @classmethod
    def inhibitory(cls):
        """The synapse model of a projection onto this neuron's inhibitory receptor (weights in pA, < 0)."""
        return cls.inhibitory_synapse()

    @staticmethod
    def _membrane_derived(p, dt) -> dict:
        return {**membrane_propagators(dt, p["tau_m"], p["C_m"]), "ref_steps": np.round(np.asarray(p["t_ref"]) / dt)}


#: NEST's synaptic time constants of ``iaf_psc_exp`` and ``iaf_psc_alpha``
_TAU_SYN = {"tau_syn_ex": Param(2.0, "ms", "positive"), "tau_syn_in": Param(2.0, "ms", "positive")}


class IafPscExp(_IafPsc):
    r"""LIF neuron with exponential synaptic currents, integrated exactly: NEST's ``iaf_psc_exp``.

    .. math::

        \frac{dI_{ex}}{dt} = -\frac{I_{ex}}{\tau_{syn,ex}},\qquad \frac{dI_{in}}{dt} = -\frac{I_{in}}{\tau_{syn,in}}

    and the membrane equation of :mod:`spikeloom.neurons.iaf_psc`. One step:
    :math:`I_s \leftarrow P_{11,s} I_s`, :math:`u \leftarrow u + (P_{22} - 1) u + P_{21,ex} I_{ex} + P_{21,in} I_{in}
    + P_{20}(I_e + I)`. A spike of weight ``w`` gives the current :math:`w e^{-t/\tau_s}` (charge
    :math:`w \tau_s`, whatever ``dt``) and the PSP
    :math:`\frac{w \tau_s \tau_m}{C_m(\tau_m - \tau_s)}(e^{-t/\tau_m} - e^{-t/\tau_s})`.

    ==============  =======  ====  ==========================================
    parameter       default  unit  meaning (defaults: NEST 3 ``iaf_psc_exp``)
    ==============  =======  ====  ==========================================
    ``C_m``         250      pF    membrane capacitance
    ``tau_m``       10       ms    membrane time constant
    ``tau_syn_ex``  2        ms    excitatory synaptic current time constant
    ``tau_syn_in``  2        ms    inhibitory synaptic current time constant
    ``t_ref``       2        ms    refractory period (rounded to whole steps)
    ``E_L``         -70      mV    resting potential
    ``V_reset``     -70      mV    reset potential (must be below ``V_th``)
    ``V_th``        -55      mV    spike threshold
    ``I_e``         0        pA    constant input current
    ==============  =======  ====  ==========================================

    State: ``V_m`` (mV, absolute, starts at ``E_L``), ``I_ex``, ``I_in`` (pA), ``V_err`` (mV, low part of
    ``V_m - E_L``, see :mod:`spikeloom.neurons.iaf_psc`), ``refractory`` (steps left).
    Synapses: ``IafPscExp.excitatory()`` adds ``w`` to ``I_ex``, ``IafPscExp.inhibitory()`` to ``I_in``.
    """

    parameters = {**_IafPsc.parameters, **_TAU_SYN}
    state = {"V_m": "E_L", "I_ex": 0.0, "I_in": 0.0, "V_err": 0.0, "refractory": 0.0}
    ode_vars = ("V_m", "I_ex", "I_in", "V_err")
    excitatory_synapse = ExcitatoryPSC
    inhibitory_synapse = InhibitoryPSC

    @staticmethod
    def derived(p, dt):
        out = _IafPsc._membrane_derived(p, dt)
        for r in ("ex", "in"):
            tau_s = np.asarray(p[f"tau_syn_{r}"])
            out[f"P11_{r}"] = np.exp(-dt / tau_s)
            out[f"P21_{r}"] = exp_current_to_membrane(dt, p["tau_m"], tau_s, p["C_m"])
        return out

    @staticmethod
    def vector_field(xp):
        def f(V_m, I_ex, I_in, V_err, I, E_L, tau_m, C_m, I_e, tau_syn_ex, tau_syn_in):
            return ((E_L - V_m - V_err) / tau_m + (I_ex + I_in + I_e + I) / C_m, -I_ex / tau_syn_ex,
                    -I_in / tau_syn_in, 0.0 * V_err)

        return f

    @staticmethod
    def exact(xp):
        def step(V_m, I_ex, I_in, V_err, I, E_L, I_e, P22m1, P20, P11_ex, P21_ex, P11_in, P21_in):
            u0 = (V_m - E_L) + V_err
            u = u0 + (P22m1 * u0 + P21_ex * I_ex + P21_in * I_in + P20 * (I_e + I))
            V_new = E_L + u
            return V_new, P11_ex * I_ex, P11_in * I_in, u - (V_new - E_L)

        return step

    @staticmethod
    def threshold_reset(xp):
        reset = xp.inline(membrane_threshold(xp))

        def g(refractory, V_m_new, I_ex_new, I_in_new, V_err_new, E_L, V_th, V_reset, ref_steps):
            V_out, err_out, ref_out, spike = reset(refractory, V_m_new, V_err_new, E_L, V_th, V_reset, ref_steps)
            return V_out, I_ex_new, I_in_new, err_out, ref_out, spike

        return g


class IafPscAlpha(_IafPsc):
    r"""LIF neuron with alpha-shaped synaptic currents, integrated exactly: NEST's ``iaf_psc_alpha``.

    Each receptor has two states, the current ``I_s`` and its input ``dI_s`` (both pA):

    .. math::

        \frac{d\,dI_s}{dt} = -\frac{dI_s}{\tau_s},\qquad
        \frac{dI_s}{dt} = -\frac{I_s}{\tau_s} + \frac{e}{\tau_s} dI_s

    so a spike of weight ``w`` (added to ``dI_s``) gives the current :math:`w \frac{e\,t}{\tau_s}
    e^{-t/\tau_s}`, peaking at ``w`` pA at :math:`t = \tau_s` (NEST's normalization), charge
    :math:`w e \tau_s`. One step: :math:`dI_s \leftarrow P_{11} dI_s`, :math:`I_s \leftarrow P_{11} I_s +
    \frac{e h}{\tau_s} P_{11} dI_s` (``Prise``, ``Pdecay``, ``Pd``), :math:`u \leftarrow u + (P_{22} - 1) u +
    \sum_s (P_{31,s} dI_s + P_{21,s} I_s) + P_{20}(I_e + I)` with ``P31`` from :func:`alpha_input_to_membrane`.
    The PSP is :math:`\frac{w e}{\tau_s C_m} \frac{e^{-t/\tau_m} + (a t - 1) e^{-t/\tau_s}}{a^2}`,
    :math:`a = 1/\tau_m - 1/\tau_s`.

    Parameters and defaults as :class:`IafPscExp` (NEST 3 ``iaf_psc_alpha``: the same values; NEST's optional
    lower bound ``V_min`` is not offered). State: ``V_m`` (mV, starts at ``E_L``), ``dI_ex``, ``I_ex``,
    ``dI_in``, ``I_in`` (pA), ``V_err`` (mV), ``refractory``. Synapses: ``IafPscAlpha.excitatory()`` adds ``w``
    to ``dI_ex``, ``IafPscAlpha.inhibitory()`` to ``dI_in``.
    """

    parameters = {**_IafPsc.parameters, **_TAU_SYN}
    state = {"V_m": "E_L", "dI_ex": 0.0, "I_ex": 0.0, "dI_in": 0.0, "I_in": 0.0, "V_err": 0.0, "refractory": 0.0}
    ode_vars = ("V_m", "dI_ex", "I_ex", "dI_in", "I_in", "V_err")
    excitatory_synapse = ExcitatoryRisingPSC
    inhibitory_synapse = InhibitoryRisingPSC

    @staticmethod
    def derived(p, dt):
        out = _IafPsc._membrane_derived(p, dt)
        for r in ("ex", "in"):
            tau_s = np.asarray(p[f"tau_syn_{r}"])
            out[f"Prise_{r}"] = out[f"Pdecay_{r}"] = np.exp(-dt / tau_s)
            out[f"Pd_{r}"] = math.e * dt / tau_s * np.exp(-dt / tau_s)
            out[f"P21_{r}"] = exp_current_to_membrane(dt, p["tau_m"], tau_s, p["C_m"])
            out[f"P31_{r}"] = alpha_input_to_membrane(dt, p["tau_m"], tau_s, p["C_m"])
        return out

    @staticmethod
    def vector_field(xp):
        def f(V_m, dI_ex, I_ex, dI_in, I_in, V_err, I, E_L, tau_m, C_m, I_e, tau_syn_ex, tau_syn_in):
            e = 2.718281828459045
            return ((E_L - V_m - V_err) / tau_m + (I_ex + I_in + I_e + I) / C_m,
                    -dI_ex / tau_syn_ex, (e * dI_ex - I_ex) / tau_syn_ex,
                    -dI_in / tau_syn_in, (e * dI_in - I_in) / tau_syn_in, 0.0 * V_err)

        return f

    @staticmethod
    def exact(xp):
        def step(V_m, dI_ex, I_ex, dI_in, I_in, V_err, I, E_L, I_e, P22m1, P20, Prise_ex, Pdecay_ex, Pd_ex, P21_ex,
                 P31_ex, Prise_in, Pdecay_in, Pd_in, P21_in, P31_in):
            u0 = (V_m - E_L) + V_err
            u = u0 + (P22m1 * u0 + P31_ex * dI_ex + P21_ex * I_ex + P31_in * dI_in + P21_in * I_in
                      + P20 * (I_e + I))
            V_new = E_L + u
            return (V_new, Prise_ex * dI_ex, Pdecay_ex * I_ex + Pd_ex * dI_ex,
                    Prise_in * dI_in, Pdecay_in * I_in + Pd_in * dI_in, u - (V_new - E_L))

        return step

    @staticmethod
    def threshold_reset(xp):
        reset = xp.inline(membrane_threshold(xp))

        def g(refractory, V_m_new, dI_ex_new, I_ex_new, dI_in_new, I_in_new, V_err_new, E_L, V_th, V_reset,
              ref_steps):
            V_out, err_out, ref_out, spike = reset(refractory, V_m_new, V_err_new, E_L, V_th, V_reset, ref_steps)
            return V_out, dI_ex_new, I_ex_new, dI_in_new, I_in_new, err_out, ref_out, spike

        return g


def peak_time(tau_rise, tau_decay):
    r"""Time (ms) at which :math:`e^{-t/\tau_d} - e^{-t/\tau_r}` peaks: :math:`\tau_d\,\mathrm{log1p}(r)/r`,
    :math:`r = (\tau_d - \tau_r)/\tau_r` (the usual :math:`\tau_r\tau_d \ln(\tau_d/\tau_r)/(\tau_d - \tau_r)`
    without its cancellation), :math:`\tau` when both are equal."""
    tau_rise, tau_decay = np.asarray(tau_rise, np.float64), np.asarray(tau_decay, np.float64)
    r = (tau_decay - tau_rise) / tau_rise
    safe = np.where(r == 0.0, 1.0, r)
    return tau_decay * np.where(r == 0.0, 1.0, np.log1p(safe) / safe)


def dual_input_to_membrane(h: float, tau_m, tau_rise, tau_decay, C_m, norm):
    r"""``P31`` of the dual exponential (mV per pA of ``dI``): :math:`\frac{c}{C_m}` times the convolution of
    :math:`e^{-t/\tau_m}`, :math:`e^{-t/\tau_d}`, :math:`e^{-t/\tau_r}` at :math:`h`, read off the matrix
    exponential of the chain :math:`dI \to I \to u`. The states are scaled by :math:`h` and :math:`h^2` so
    the matrix's entries are all of order one and the entry read is about 1/2 (full relative precision);
    the chain has confluent rates whenever two time constants are equal, which this handles without a case."""
    taus = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (tau_m, tau_rise, tau_decay)))
    # one 3x3 exponential per distinct triple (arrays of parameters often repeat a few values)
    triples, back = np.unique(np.stack([t.ravel() for t in taus], axis=1), axis=0, return_inverse=True)
    M = np.zeros((len(triples), 3, 3))
    for k in range(3):
        M[:, k, k] = -h / triples[:, k]
    M[:, 0, 2] = M[:, 2, 1] = 1.0  # (u, dI h^2, I h): du += I, dI feeds I
    conv = (h * h * scipy.linalg.expm(M)[:, 0, 1])[back.ravel()].reshape(taus[0].shape)
    return np.asarray(norm) / np.asarray(C_m) * conv


class IafPscDualExp(IafPscAlpha):
    r"""LIF neuron with dual-exponential (beta) synaptic currents, integrated exactly.

    NEST has no current-based model of this kind; the parameter names and the normalization (peak current =
    weight) are those of NEST's conductance-based ``iaf_cond_beta``, and the rest as :class:`IafPscExp`.
    Each receptor has a rise and a decay time constant (:math:`\tau_r`, :math:`\tau_d`, ms):

    .. math::

        \frac{d\,dI_s}{dt} = -\frac{dI_s}{\tau_r},\qquad \frac{dI_s}{dt} = -\frac{I_s}{\tau_d} + c\,dI_s,
        \qquad c = \frac{1/\tau_r - 1/\tau_d}{e^{-t_p/\tau_d} - e^{-t_p/\tau_r}}

    so a spike of weight ``w`` gives :math:`I_s(t) = w\,c\,(e^{-t/\tau_d} - e^{-t/\tau_r}) / (1/\tau_r -
    1/\tau_d)`, peaking at ``w`` pA at :math:`t_p` (:func:`peak_time`), charge :math:`w\,c\,\tau_r\tau_d`;
    with :math:`\tau_r = \tau_d` it is :class:`IafPscAlpha`'s current. The step is :class:`IafPscAlpha`'s with
    ``Prise`` :math:`= e^{-h/\tau_r}`, ``Pdecay`` :math:`= e^{-h/\tau_d}`, ``Pd`` :math:`= c\,P_{21}(h;
    \tau_d, \tau_r, 1)`, ``P21`` for :math:`\tau_d` and ``P31`` from :func:`dual_input_to_membrane`.

    Parameters (beyond :class:`IafPscExp`'s, without ``tau_syn_*``): ``tau_rise_ex`` (0.5 ms),
    ``tau_decay_ex`` (2 ms), ``tau_rise_in`` (0.5 ms), ``tau_decay_in`` (2 ms): our defaults (``iaf_cond_beta``'s
    are conductance time constants). State and synapses as :class:`IafPscAlpha`.
    """

    parameters = {**_IafPsc.parameters,
                  **{f"tau_{k}_{r}": Param(0.5 if k == "rise" else 2.0, "ms", "positive")
                     for r in ("ex", "in") for k in ("rise", "decay")}}

    @staticmethod
    def derived(p, dt):
        out = _IafPsc._membrane_derived(p, dt)
        for r in ("ex", "in"):
            tau_r, tau_d = np.asarray(p[f"tau_rise_{r}"]), np.asarray(p[f"tau_decay_{r}"])
            norm = 1.0 / exp_current_to_membrane(peak_time(tau_r, tau_d), tau_d, tau_r, 1.0)
            out[f"norm_{r}"] = norm
            out[f"Prise_{r}"] = np.exp(-dt / tau_r)
            out[f"Pdecay_{r}"] = np.exp(-dt / tau_d)
            out[f"Pd_{r}"] = norm * exp_current_to_membrane(dt, tau_d, tau_r, 1.0)
            out[f"P21_{r}"] = exp_current_to_membrane(dt, p["tau_m"], tau_d, p["C_m"])
            out[f"P31_{r}"] = dual_input_to_membrane(dt, p["tau_m"], tau_r, tau_d, p["C_m"], norm)
        return out

    @staticmethod
    def vector_field(xp):
        def f(V_m, dI_ex, I_ex, dI_in, I_in, V_err, I, E_L, tau_m, C_m, I_e, tau_rise_ex, tau_decay_ex, norm_ex,
              tau_rise_in, tau_decay_in, norm_in):
            return ((E_L - V_m - V_err) / tau_m + (I_ex + I_in + I_e + I) / C_m,
                    -dI_ex / tau_rise_ex, norm_ex * dI_ex - I_ex / tau_decay_ex,
                    -dI_in / tau_rise_in, norm_in * dI_in - I_in / tau_decay_in, 0.0 * V_err)

        return f
