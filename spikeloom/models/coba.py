"""The COBA E/I balanced network (Brette et al. 2007; parameters of BrainPy's tutorial)."""

from __future__ import annotations

import spikeloom as sl


class COBA(sl.Network):
    """3200 excitatory + 800 inhibitory LIF neurons (refractory 5 ms), exponential conductance synapses
    (tau 5 ms to E_rev 0 mV from E, 10 ms to -80 mV from I), 2 % random connectivity, constant input 20 pA
    (x R = 1 GOhm: 20 mV). ``scale`` multiplies both populations; ``fan_in`` (if given) replaces the
    connection probability by ``fan_in / n_total``."""

    def __init__(self, n_exc: int = 3200, n_inh: int = 800, p: float = 0.02, w_e: float = 0.6, w_i: float = 6.7):
        super().__init__()
        pars = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0, init={"V": sl.Normal(-55.0, 2.0)})
        self.E = sl.LIF(n_exc, **pars)
        self.I = sl.LIF(n_inh, **pars)
        exc = dict(synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0))
        inh = dict(synapse=sl.Exponential(tau=10.0), output=sl.COBA(E=-80.0))
        self.E2E = sl.Projection(self.E, self.E, sl.FixedProb(p), w_e, **exc)
        self.E2I = sl.Projection(self.E, self.I, sl.FixedProb(p), w_e, **exc)
        self.I2E = sl.Projection(self.I, self.E, sl.FixedProb(p), w_i, **inh)
        self.I2I = sl.Projection(self.I, self.I, sl.FixedProb(p), w_i, **inh)
