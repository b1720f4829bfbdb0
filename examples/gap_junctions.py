"""Electrical and graded coupling: two cells joined by a gap junction relax together, and a graded synapse
passes a current that depends on the presynaptic potential at every step (no spikes). Runs on both engines.

A gap junction of conductance g between passive cells (tau dV/dt = -V + R I) leaves the mean potential to
decay with tau and makes the difference decay with tau / (1 + 2 R g).
"""

import numpy as np

import spikeloom as sl


class Coupled(sl.Network):
    def __init__(self):
        passive = dict(V_rest=0.0, V_th=1e9, tau=10.0, R=1.0)  # ms, GOhm: never fires
        self.A = sl.LIF(1, **passive, init={"V": 10.0})
        self.B = sl.LIF(1, **passive, init={"V": -4.0})
        self.C = sl.LIF(1, **passive, init={"V": 0.0})
        self.gap = sl.GapJunction(self.A, self.B, sl.FromList([(0, 0)]), weight=0.5)  # nS
        # C receives g(V_A 1 ms earlier) (E - V_C): Neurokernel's power_gpot_gpot with mV-scale parameters
        self.graded = sl.GradedProjection(self.A, self.C, sl.FromList([(0, 0)]),
                                          sl.PowerGpot(threshold=0.0, slope=0.1, power=1.0, saturation=0.5, E=20.0),
                                          delay=1.0)


for engine in ("cpu", "jax"):
    res = sl.Runner(Coupled(), dt=0.1, monitors=["A.V", "B.V", "C.V"], engine=engine, precision="float64").run(20.0)
    diff = res["A.V"][:, 0] - res["B.V"][:, 0]
    t = np.arange(1, diff.size + 1) * 0.1
    rate = -np.polyfit(t, np.log(diff), 1)[0]
    print(f"{engine}: V_A - V_B decays at {rate:.4f}/ms (1 + 2 R g) / tau = {(1 + 2 * 0.5) / 10:.4f}/ms; "
          f"V_C after 20 ms: {res['C.V'][-1, 0]:.3f} mV")
    assert abs(rate - 0.2) < 0.01 and res["C.V"][-1, 0] > 1.0
