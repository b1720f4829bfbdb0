#!/usr/bin/env python3
"""Benchmark: procedural connectors at the same mean degree, on the CPU engine, one thread.

A balanced E/I network (N_E = 0.8 N, N_I = 0.2 N LIF neurons, delta synapses, 1.5 ms delay) in which every
neuron receives K_E = 0.8 K excitatory and K_I = 0.2 K inhibitory synapses on average, connected by
``ProceduralProb(K / N)``, ``ProceduralOutDegree`` (0.8 K / 0.2 K per presynaptic neuron),
``ProceduralInDegree`` (0.8 K / 0.2 K per post-synaptic neuron) and, for reference, the stored ``FixedProb``.
Each row compiles (first run of 20 ms), then times ``--duration`` ms. The rate columns show that the
dynamics are the same; synaptic events/s = delivered spikes x mean out-degree / run time. Prints a markdown
table.

    python benchmarks/procedural.py [--n 10000] [--k 1000] [--duration 200]
"""

import argparse
import time

import spikeloom as sl


def network(conn_of, n, k):
    n_e, n_i = int(0.8 * n), n - int(0.8 * n)
    lif = dict(tau=20.0, V_rest=0.0, V_th=20.0, V_reset=10.0, tau_ref=2.0, noise_sigma=2.0,
               init={"V": sl.Uniform(0.0, 20.0)})
    E, I = sl.LIF(n_e, **lif), sl.LIF(n_i, **lif)
    net = sl.Network(E=E, I=I)
    for pre, weight, share in ((E, 0.2, 0.8), (I, -1.0, 0.2)):
        for post in (E, I):
            setattr(net, f"{'E' if pre is E else 'I'}2{'E' if post is E else 'I'}",
                    sl.Projection(pre, post, conn_of(share, pre, post), weight, synapse=sl.Delta(tau_m=20.0),
                                  output=sl.CUBA(), delay=1.5))
    return net


CONNECTORS = {
    "ProceduralProb(K / N)": lambda n, k: lambda share, pre, post: sl.ProceduralProb(share * k / pre.n),
    "ProceduralOutDegree": lambda n, k: lambda share, pre, post: sl.ProceduralOutDegree(
        round(share * k * post.n / pre.n)),
    "ProceduralInDegree": lambda n, k: lambda share, pre, post: sl.ProceduralInDegree(round(share * k)),
    "FixedProb (stored)": lambda n, k: lambda share, pre, post: sl.FixedProb(share * k / pre.n),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--k", type=int, default=1000, help="mean in-degree (0.8 K excitatory, 0.2 K inhibitory)")
    ap.add_argument("--duration", type=float, default=200.0)
    args = ap.parse_args()
    print(f"N = {args.n}, K = {args.k}, {args.duration:g} ms at dt = 0.1 ms, one thread\n")
    print("| connectivity | build s | compile s | steps/s | synaptic events/s | E rate Hz | I rate Hz |")
    print("|---|---|---|---|---|---|---|")
    for label, make in CONNECTORS.items():
        t0 = time.perf_counter()
        runner = sl.Runner(network(make(args.n, args.k), args.n, args.k), seed=1, inputs={"E": 22.0, "I": 22.0},
                           monitors=["E.spike", "I.spike"], parallel=False, progress=False)
        build = time.perf_counter() - t0
        first = runner.run(20.0)
        res = runner.run(args.duration)
        spikes = sum(len(res.spikes[p]) for p in ("E", "I"))
        steps = args.duration / 0.1
        print(f"| {label} | {build:.2f} | {first.compile_s:.1f} | {steps / res.run_s:,.0f} | "
              f"{spikes * args.k / res.run_s:.3g} | {res.mean_rate('E'):.1f} | {res.mean_rate('I'):.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
