r"""The cortical microcircuit of Potjans & Diesmann (2014): 77,169 exact LIF neurons with exponential current
synapses in four layers (L2/3, L4, L5, L6), an excitatory and an inhibitory population in each, about
3 x 10^8 synapses at full scale.

Source of every number: Potjans T.C., Diesmann M. (2014) The cell-type specific cortical microcircuit:
relating structure and activity in a full-scale spiking network model. Cereb Cortex 24:785-806 (Tables 4-5),
with the conventions of NEST's ``cortical_microcircuit`` example (NEST 3.10), against which this model is
checked (``benchmarks/potjans2014_vs_nest.py``).

- Neurons: NEST's ``iaf_psc_exp`` (:class:`~spikeloom.neurons.IafPscExp`): ``C_m`` 250 pF, ``tau_m`` 10 ms,
  ``tau_syn`` 0.5 ms, ``t_ref`` 2 ms, ``E_L`` = ``V_reset`` = -65 mV, ``V_th`` -50 mV; initial
  :math:`V_m \sim N(-58, 10)` mV.
- Connectivity: for each pair (source, target) of populations, ``K`` synapses drawn uniformly over all pairs
  with autapses and multapses (NEST's ``fixed_total_number``), where ``K`` is the number that gives the
  published connection probability ``p`` between independently drawn pairs:
  :math:`K = \ln(1 - p) / \ln(1 - 1/(N_{pre} N_{post}))` at full size, times ``scale`` (so the in-degree of a
  neuron, and with it the rates, stays that of the full model when ``scale`` < 1).
- Weights: the current amplitude whose PSP peaks at 0.15 mV (87.8 pA), Normal with 10 % standard deviation;
  inhibitory ones ``g`` = -4 times larger; L4E -> L2/3E doubled. Delays Normal(1.5, 0.75) ms from excitatory,
  Normal(0.75, 0.375) ms from inhibitory populations, redrawn below half a step and rounded to the nearest
  step, as NEST's example does (``DelayRule(below_dt="redraw", min_steps=0.5)``).
- Background: ``K_ext`` external inputs of 8 Hz per neuron (L2/3E 1600, L2/3I 1500, L4E 2100, L4I 1900,
  L5E 2000, L5I 1900, L6E 2900, L6I 2100), each with the excitatory mean weight and a 1.5 ms delay, either as
  Poisson trains (``background="poisson"``) or as the constant current of their mean
  (``background="dc"``: :math:`I_e = \nu K_{ext} w \tau_{syn}`).
"""

from __future__ import annotations

import math

import numpy as np

import spikeloom as sl

from ..core import validate

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
#: full-scale population sizes (Table 5)
FULL_SIZE = (20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948)
#: connection probabilities, row = target, column = source, both in POPULATIONS order (Table 5)
CONN_PROB = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
])
#: external (background) inputs per neuron (Table 5)
K_EXT = (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100)
BACKGROUND_RATE = 8.0  # Hz per external input
NEURON = dict(C_m=250.0, tau_m=10.0, tau_syn_ex=0.5, tau_syn_in=0.5, t_ref=2.0, E_L=-65.0, V_reset=-65.0,
              V_th=-50.0)
V0 = (-58.0, 10.0)  # mV, mean and standard deviation of the initial membrane potential
PSP_MEAN = 0.15  # mV, peak of the mean excitatory PSP
WEIGHT_REL_STD = 0.1
G = -4.0  # inhibitory weight relative to excitatory
DELAY = {"E": 1.5, "I": 0.75}  # ms, mean delay by source type
DELAY_REL_STD = 0.5
BACKGROUND_DELAY = 1.5  # ms


def psc_of_psp(psp: float, C_m: float, tau_m: float, tau_s: float) -> float:
    r"""Amplitude (pA) of the exponential current whose PSP on a LIF membrane peaks at ``psp`` mV:
    :math:`u(t) = \frac{w \tau_s \tau_m}{C_m(\tau_m - \tau_s)}(e^{-t/\tau_m} - e^{-t/\tau_s})`, largest at
    :math:`t^* = \frac{\tau_m \tau_s}{\tau_m - \tau_s}\ln(\tau_m/\tau_s)`."""
    t_peak = tau_m * tau_s / (tau_m - tau_s) * math.log(tau_m / tau_s)
    unit_peak = tau_s * tau_m / (C_m * (tau_m - tau_s)) * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_s))
    return psp / unit_peak


def synapse_numbers(scale: float) -> np.ndarray:
    """Synapses per (target, source) pair at ``scale`` (rounded): the full model's number times ``scale``."""
    n = np.asarray(FULL_SIZE, np.float64)
    pairs = np.outer(n, n)
    full = np.log1p(-CONN_PROB) / np.log1p(-1.0 / pairs)
    return np.rint(full * scale).astype(np.int64)


def pathways(scale: float) -> list[tuple[str, str, int, float, float]]:
    """The model's projections at ``scale``: ``(source, target, synapses, mean weight pA, mean delay ms)`` for
    every connected population pair, in (target, source) order. Peers' scripts build from this list too."""
    w = psc_of_psp(PSP_MEAN, NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
    counts = synapse_numbers(scale)
    out = []
    for t, target in enumerate(POPULATIONS):
        for s, source in enumerate(POPULATIONS):
            if counts[t, s]:
                kind = source[-1]
                mean = w * (G if kind == "I" else 1.0) * (2.0 if (source, target) == ("L4E", "L23E") else 1.0)
                out.append((source, target, int(counts[t, s]), mean, DELAY[kind]))
    return out


class Potjans2014(sl.Network):
    """The microcircuit at ``scale`` (population sizes times ``scale``, in-degrees kept), background
    ``"poisson"`` or ``"dc"``. Populations are attributes named as in :data:`POPULATIONS`; projections
    ``<source>_<target>`` (e.g. ``L4E_L23E``), Poisson inputs ``bg_<population>``."""

    def __init__(self, scale: float = 1.0, background: str = "poisson"):
        super().__init__()
        scale = validate.real(scale, "scale", owner="Potjans2014", low=0.0, high=1.0)
        if scale == 0.0:
            raise sl.ModelDefinitionError("Potjans2014: scale must be > 0 (the fraction of the full model's "
                                          "neurons), got 0")
        validate.choice(background, "background", ("poisson", "dc"), owner="Potjans2014")
        w = psc_of_psp(PSP_MEAN, NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
        sizes = [max(1, int(round(n * scale))) for n in FULL_SIZE]
        pops = {}
        for name, n, k_ext in zip(POPULATIONS, sizes, K_EXT):
            i_e = BACKGROUND_RATE * 1e-3 * k_ext * w * NEURON["tau_syn_ex"] if background == "dc" else 0.0
            pops[name] = sl.IafPscExp(n, I_e=i_e, **NEURON, init={"V_m": sl.Normal(*V0)})
            setattr(self, name, pops[name])
        rule = sl.DelayRule(below_dt="redraw", min_steps=0.5)
        for source, target, n, mean, d in pathways(scale):
            post = pops[target]
            synapse = post.excitatory() if source[-1] == "E" else post.inhibitory()
            setattr(self, f"{source}_{target}", sl.Projection(
                pops[source], post, sl.FixedTotalNumber(n, allow_self=True, multapses=True),
                sl.Normal(mean, abs(mean) * WEIGHT_REL_STD), synapse=synapse, delay=sl.Normal(d, d * DELAY_REL_STD),
                delay_rule=rule))
        if background == "poisson":
            for name, k_ext in zip(POPULATIONS, K_EXT):
                post = pops[name]
                setattr(self, f"bg_{name}", sl.PoissonInput(post, n_sources=k_ext, rate=BACKGROUND_RATE, weight=w,
                                                            synapse=post.excitatory(), delay=BACKGROUND_DELAY))
