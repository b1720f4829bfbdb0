r"""Competitive Hebbian learning through STDP (Song, Miller & Abbott 2000): 1000 Poisson inputs onto one
conductance-based LIF neuron through additive STDP; the weights split into a group at zero and a group at
the upper bound while the output rate settles.

Source: Song S., Miller K.D., Abbott L.F. (2000) Competitive Hebbian learning through spike-timing-dependent
synaptic plasticity. Nat Neurosci 3:919-926, with the parameters of Brian2's documented STDP example, against
which this model is checked (``tests/reference/song2000_brian2.npz``, ``benchmarks/peers/song2000_brian2.py``).

- Inputs: ``n_inputs`` = 1000 independent Poisson trains of ``rate`` = 15 Hz (:class:`~spikeloom.PoissonGroup`),
  every one connected to the neuron (``AllToAll``), no delay.
- Neuron: :math:`\tau_m dV/dt = E_L - V + g (E_e - V)` with :math:`\tau_m` = 10 ms, :math:`E_L` = -74 mV,
  :math:`E_e` = 0 mV, threshold -54 mV, reset -60 mV, no refractory period, :math:`V(0) = E_L`. The conductance
  :math:`g` is in units of the leak; spikeloom's ``LIF`` with ``R`` = 1 GOhm and a ``COBA`` output in nS is
  exactly this equation (:math:`R g` is dimensionless), so a weight in nS is the conductance relative to the leak.
- Synapse: exponential conductance, :math:`\tau_e` = 5 ms, :math:`g \mathrel{+}= w` per input spike.
- STDP: additive, all-to-all pairing, :math:`\tau_+ = \tau_-` = 20 ms, :math:`A_+ = 0.01 w_{max}`,
  :math:`A_- = 1.05 A_+`, hard bounds :math:`[0, w_{max}]`, :math:`w_{max}` = 0.01 (nS, i.e. 1 % of the leak);
  initial weights uniform in :math:`[0, w_{max}]`.
"""

from __future__ import annotations

import spikeloom as sl

from ..core import validate

N_INPUTS = 1000
RATE = 15.0  # Hz per input
NEURON = dict(V_rest=-74.0, V_reset=-60.0, V_th=-54.0, tau=10.0, R=1.0, tau_ref=0.0)  # mV, ms, GOhm
E_EXC = 0.0  # mV
TAU_SYN = 5.0  # ms
W_MAX = 0.01  # nS, units of the leak conductance (R = 1 GOhm)
TAU_STDP = 20.0  # ms, both windows
A_PLUS = 0.01  # potentiation step relative to w_max
DEPRESSION_RATIO = 1.05  # A_minus / A_plus (tau_plus = tau_minus)


class Song2000(sl.Network):
    """The model of the module: populations ``inputs`` (Poisson) and ``neuron`` (one LIF), plastic projection
    ``syn`` (weights in nS, bounded by ``w_max``)."""

    def __init__(self, n_inputs: int = N_INPUTS, rate: float = RATE, w_max: float = W_MAX):
        super().__init__()
        n_inputs = validate.integer(n_inputs, "n_inputs", owner="Song2000", low=1)
        w_max = validate.positive(w_max, "w_max", owner="Song2000")
        self.w_max = w_max
        self.inputs = sl.PoissonGroup(n_inputs, rate=rate)
        self.neuron = sl.LIF(1, **NEURON)
        rule = sl.STDP(tau_plus=TAU_STDP, tau_minus=TAU_STDP, A_plus=A_PLUS * w_max,
                       A_minus=DEPRESSION_RATIO * A_PLUS * w_max, w_min=0.0, w_max=w_max,
                       weight_dependence="additive", interaction="all")
        self.syn = sl.Projection(self.inputs, self.neuron, sl.AllToAll(), sl.Uniform(0.0, w_max),
                                 synapse=sl.Exponential(tau=TAU_SYN), output=sl.COBA(E=E_EXC), delay=0.0,
                                 plasticity=rule)
