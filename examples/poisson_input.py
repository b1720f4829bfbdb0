"""Poisson background without source neurons: Brian2's ``PoissonInput`` and NEST's ``poisson_generator``.

Each target neuron draws, at every step, the number of spikes its Poisson sources send in that step (one
Poisson count, exact at any rate), so no source neuron is simulated or stored.

Shows: ``PoissonInput(target, n_sources, rate, weight)`` through an ``Exponential`` current synapse onto ``LIF``;
``PoissonGenerator(target, rate, weight)`` onto the exact ``IafPscExp`` (``I_ex``) with a delay, at a rate
whose mean count per step exceeds 1 (which a ``PoissonGroup`` source could not give); a monitor of an input's
synapse state. Output goes to ``$SPIKELOOM_EXAMPLE_OUT``.
"""

import os
import pathlib
import tempfile

import math

import brainunit as u

import spikeloom as sl


def network() -> sl.Network:
    net = sl.Network()
    # Brian2's PoissonInput(L, 'g', N=1000, rate=8 Hz, weight=...): 1000 sources per neuron, one count per step
    net.L = sl.LIF(200, tau=20.0, V_rest=-65.0, V_reset=-65.0, V_th=-50.0, R=0.1)
    net.bgL = sl.PoissonInput(net.L, 1000, 8 * u.Hz, 10.0, synapse=sl.Exponential(tau=5.0), output=sl.CUBA())
    # NEST's poisson_generator (rate 20 kHz: 2 spikes per 0.1 ms step on average) onto iaf_psc_exp, delay 1 ms
    net.E = sl.IafPscExp(200)
    net.bgE = sl.PoissonGenerator(net.E, 20 * u.kHz, 20.0, synapse=sl.IafPscExp.excitatory(), delay=1.0)
    return net


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    runner = sl.Runner(network(), dt=0.1, seed=1, monitors=["L.spike", "E.spike", "bgL.g"])
    result = runner.run(1000.0)
    g = result.traces["bgL.g"][500:]
    # mean of g sampled at the ends of steps: w x (n_sources x rate x dt) x sum over m >= 1 of decay**m
    decay = math.exp(-0.1 / 5.0)
    expected = 10.0 * (1000 * 8.0 * 1e-4) * decay / (1.0 - decay)
    print(f"bgL.g: mean {g.mean():.1f} pA over neurons and time (expected {expected:.1f} pA)")
    rates = {pop: result.mean_rate(pop) for pop in ("L", "E")}
    print(f"rates: L {rates['L']:.1f} Hz, E {rates['E']:.1f} Hz; run {result.run_s:.2f} s")
    (out / "poisson_input.txt").write_text(f"{rates}\n")


if __name__ == "__main__":
    main()
