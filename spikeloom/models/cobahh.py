"""The COBAHH benchmark network (Brette et al. 2007): Hodgkin-Huxley neurons with conductance synapses."""

from __future__ import annotations

import spikeloom as sl


class COBAHH(sl.Network):
    """3200 excitatory + 800 inhibitory :class:`~spikeloom.HH` neurons (Traub-Miles, 20000 um^2), exponential
    conductance synapses (tau 5 ms, E 0 mV, 6 nS from E; tau 10 ms, E -80 mV, 67 nS from I), 2 % random
    connectivity, no external input. Initial state as in Brian2's COBAHH example: V = E_L + (5 N(0,1) - 5)
    mV, excitatory conductance (1.5 N(0,1) + 4) x 10 nS, inhibitory (12 N(0,1) + 20) x 10 nS (synapse states
    start at these values on every neuron)."""

    def __init__(self, n_exc: int = 3200, n_inh: int = 800, p: float = 0.02, w_e: float = 6.0, w_i: float = 67.0):
        super().__init__()
        init = {"V": sl.Normal(-65.0, 5.0)}
        self.E = sl.HH(n_exc, init=init)
        self.I = sl.HH(n_inh, init=init)
        exc = dict(synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0), synapse_init={"g": sl.Normal(40.0, 15.0)})
        inh = dict(synapse=sl.Exponential(tau=10.0), output=sl.COBA(E=-80.0),
                   synapse_init={"g": sl.Normal(200.0, 120.0)})
        self.E2E = sl.Projection(self.E, self.E, sl.FixedProb(p), w_e, **exc)
        self.E2I = sl.Projection(self.E, self.I, sl.FixedProb(p), w_e, **exc)
        self.I2E = sl.Projection(self.I, self.E, sl.FixedProb(p), w_i, **inh)
        self.I2I = sl.Projection(self.I, self.I, sl.FixedProb(p), w_i, **inh)
