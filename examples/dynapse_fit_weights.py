"""Fit DYNAP-SE synaptic weights by gradient descent (JAX engine, surrogate spike gradient): four DPI neurons
driven by eight 80 Hz Poisson inputs through AMPA synapses should fire at a target rate.

The chip's equations are the ones validated against Brian2 (``tests/test_dynapse.py``); the forward pass is
unchanged, only the derivative of the spike step is replaced by a fast-sigmoid pseudo-derivative on the
distance of the membrane current to its threshold (pA).
"""

import os

import jax.numpy as jnp

from spikeloom.dynapse import DynapSE
from spikeloom.engines.jax import Simulation, descend, surrogate

TARGET_HZ = 40.0


def fit(steps: int = 25, duration: float = 100.0, lr: float = 0.3):
    chip = DynapSE(integer_weights=False, seed=1)
    neurons = chip.get_neurons(4, core=1)
    chip.connect(chip.poisson(8, rate_hz=80.0, name="inp"), neurons, "ampa", weight=3.0)
    sim = Simulation(chip.build(0.1), duration=duration, dt=0.1, precision="float64",
                     surrogate=surrogate("fast_sigmoid", alpha=0.1))
    key = next(k for k in sim.params if k.endswith("ampa.weight"))
    params = {key: sim.params[key]}

    def loss(p):
        return (sim(p)["rates"]["chip0_core1"] / TARGET_HZ - 1.0) ** 2

    history, params = descend(loss, params, steps, lr)
    return history, params, sim


if __name__ == "__main__":
    history, params, sim = fit()
    rate = float(sim(params)["rates"]["chip0_core1"])
    weight = float(jnp.mean(next(iter(params.values()))))
    print(f"loss {history[0]:.3f} -> {history[-1]:.5f}; rate {rate:.1f} Hz (target {TARGET_HZ} Hz); "
          f"mean stored AMPA jump {weight:.1f} pA")
    out = os.environ.get("SPIKELOOM_EXAMPLE_OUT")
    if out:
        import matplotlib.pyplot as plt

        plt.semilogy(history)
        plt.xlabel("gradient step")
        plt.ylabel("loss")
        plt.savefig(os.path.join(out, "dynapse_fit_weights.png"))
