"""Gradient descent through a spiking network (JAX engine, surrogate gradients): fit the input current and
the synaptic weight of LIF neurons driven by Poisson spike trains so that they fire at a target rate.

The spike nonlinearity keeps its exact forward pass; its derivative is replaced by a fast-sigmoid
pseudo-derivative (Zenke & Ganguli 2018), normalised per step, so ``jax.grad`` of a loss over the whole run is
informative (docs/gradients.md: what is differentiable, and the agreement with finite differences).
"""

import os


import spikeloom as sl
from spikeloom.engines.jax import Simulation, descend, surrogate

TARGET_HZ = 25.0


class PoissonDriven(sl.Network):
    def __init__(self, n_in=100, n=40):
        super().__init__()
        self.In = sl.PoissonGroup(n_in, rate=10.0)
        self.E = sl.LIF(n, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=2.0,
                        init={"V": sl.Uniform(-60.0, -50.0)})
        self.InE = sl.Projection(self.In, self.E, sl.FixedProb(0.2), 0.05, synapse=sl.Exponential(tau=5.0),
                                 output=sl.COBA(E=0.0))


def fit(steps: int = 30, duration: float = 200.0, lr: float = 0.2):
    sim = Simulation(PoissonDriven(), duration=duration, inputs={"E": 5.0}, seed=3,
                     surrogate=surrogate("fast_sigmoid", alpha=20.0))
    params = {"E.I_ext": sim.params["E.I_ext"], "InE.weight": sim.params["InE.weight"]}

    def loss(p):
        return (sim(p)["rates"]["E"] / TARGET_HZ - 1.0) ** 2

    history, params = descend(loss, params, steps, lr)
    return history, params, sim


if __name__ == "__main__":
    history, params, sim = fit()
    rate = float(sim(params)["rates"]["E"])
    print(f"loss {history[0]:.3f} -> {history[-1]:.5f}; rate {rate:.1f} Hz (target {TARGET_HZ} Hz); "
          f"input {float(params['E.I_ext'][0]):.2f} pA, weight {float(params['InE.weight']):.3f} nS")
    out = os.environ.get("SPIKELOOM_EXAMPLE_OUT")
    if out:
        import matplotlib.pyplot as plt

        plt.semilogy(history)
        plt.xlabel("gradient step")
        plt.ylabel("loss")
        plt.savefig(os.path.join(out, "jax_fit_rate.png"))
