#!/usr/bin/env python3
"""Joglekar et al. (2018) asynchronous regime in Brian2, with the authors' semantics (a check, not a benchmark).

Written from the model description in the specification (equations, parameters, data of
``spikeloom/models/data/joglekar2018_data.npz``), not from the authors' code: 29 areas x (1600 E + 400 I)
LIF neurons, ``dV/dt = (-(V - V_rest) + mu + I_stim) / tau + sigma tau^-1/2 xi (unless refractory)``,
Euler-Maruyama, threshold ``V > -50 mV``, reset -60 mV, 2 ms refractory, delta synapses ``V_post += w``
(local delay 2 ms, long-range delays drawn per synapse from N(D, (0.1 D)^2)), p = 0.1 for every pathway.
All E->E synapses (local and long-range) are one ``Synapses`` object, likewise E->I; weights and delays are
set from the area indices afterwards.

It prints the E and I rates (Hz, 10-ms bins, from the stimulus onset) of a few areas. Run with the
interpreter of the Brian2 environment (``setup_peers.sh``), e.g.::

    .peers/brian2/bin/python benchmarks/peers/brian2_joglekar2018.py --gba strong --onset 150 --duration 420 --seed 2

Cost at K = 1: 271 M synapses, about 14 GB peak resident memory, about 80 s to build and 40-80 s to run
420 ms (Cython, one core). Measured with Brian2 2.9: ``--seed 1`` stays bounded after the stimulus (46d
peaks at about 12 Hz and decays, as in the authors' saved run), ``--seed 2`` ignites the frontal and
prefrontal areas (46d, 9/46d, 8l, 10 at 120-300 Hz) about 70 ms after the stimulus ends, the state
spikeloom's strong-GBA runs show. The late runaway is therefore a property of the published strong-GBA
parameter set for some seeds, not of spikeloom's implementation.
"""

import argparse
import pathlib

import numpy as np
from brian2 import Network, NeuronGroup, SpikeMonitor, Synapses, defaultclock, ms, mV, prefs, seed

DATA = pathlib.Path(__file__).resolve().parents[2] / "spikeloom" / "models" / "data" / "joglekar2018_data.npz"
N_AREAS, N_E, N_I = 29, 1600, 400
SHOWN = {"V1": 0, "V4": 2, "TEO": 8, "TEpd": 18, "8l": 7, "46d": 13, "9/46d": 16, "10": 14}
EQS = """dV/dt = (-(V - V_rest) + mu + stim_gain * stim * int(t >= t_on and t < t_off)) / tau
         + sigma * tau**-0.5 * xi : volt (unless refractory)
mu : volt
tau : second
stim_gain : 1
"""


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gba", choices=["weak", "strong"], default="strong")
    ap.add_argument("--onset", type=float, default=300.0, help="stimulus onset (ms); it lasts 150 ms")
    ap.add_argument("--duration", type=float, default=650.0, help="ms simulated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", default=None, help="write the spikes to this .npz")
    return ap.parse_args(argv)


def connect(pre, post, n_pre, n_post, local_w, long_range, gain, fln, delay_ms):
    """One Synapses object for a pathway; ``long_range`` = mu (long-range pathways over all area pairs) or None."""
    syn = Synapses(pre, post, "w : volt", on_pre="V_post += w")
    if long_range is None:
        syn.connect(j=f"k for k in sample((i // {n_pre}) * {n_post}, (i // {n_pre} + 1) * {n_post}, p=0.1)")
    else:
        syn.connect(p=0.1)
    src, tgt = np.asarray(syn.i[:]) // n_pre, np.asarray(syn.j[:]) // n_post
    local = src == tgt
    if long_range is None:
        syn.w = local_w[tgt] * mV
        syn.delay = 2.0 * ms
    else:
        syn.w = np.where(local, local_w[tgt], long_range * gain[tgt] * fln[tgt, src]) * mV
        mean = delay_ms[tgt, src]
        syn.delay = np.where(local, 2.0, np.random.normal(mean, 0.1 * mean)) * ms
    return syn


def main(argv=None):
    args = parse_args(argv)
    prefs.codegen.target = "cython"
    np.random.seed(args.seed)
    seed(args.seed)
    defaultclock.dt = 0.1 * ms
    with np.load(DATA) as d:
        hier, fln, delay_ms = d["hier_normalized"], d["fln"], d["delay_ms"]
    gain = 1.0 + 4.0 * hier
    w_EI, mu_EE, stim_mv = (0.05, 0.05, 6.3) if args.gba == "strong" else (0.0375, 0.0375, 15.0)
    namespace = {"V_rest": -70 * mV, "sigma": 3 * mV, "stim": stim_mv * mV, "t_on": args.onset * ms,
                 "t_off": (args.onset + 150.0) * ms}
    groups = {}
    for name, n, mu, tau in (("E", N_AREAS * N_E, 14.2, 20.0), ("I", N_AREAS * N_I, 14.7, 10.0)):
        g = NeuronGroup(n, EQS, threshold="V > -50*mV", reset="V = -60*mV", refractory=2 * ms, method="euler",
                        namespace=namespace)
        g.mu, g.tau, g.stim_gain = mu * mV, tau * ms, 0.0
        g.V = "-70*mV + rand() * 20*mV"
        groups[name] = g
    E, I = groups["E"], groups["I"]
    E.stim_gain[:N_E] = 1.0
    synapses = [connect(E, E, N_E, N_E, gain * 0.01, mu_EE, gain, fln, delay_ms),
                connect(E, I, N_E, N_I, gain * 0.075, 0.0475, gain, fln, delay_ms),
                connect(I, E, N_I, N_E, np.full(N_AREAS, -w_EI), None, gain, fln, delay_ms),
                connect(I, I, N_I, N_I, np.full(N_AREAS, -0.075), None, gain, fln, delay_ms)]
    monitors = SpikeMonitor(E), SpikeMonitor(I)
    Network(E, I, *synapses, *monitors).run(args.duration * ms, report="text", report_period=60 * 1e3 * ms)
    spikes = [(np.asarray(m.t / ms), np.asarray(m.i)) for m in monitors]
    if args.save:
        np.savez(args.save, tE=spikes[0][0], iE=spikes[0][1], tI=spikes[1][0], iI=spikes[1][1])
    edges = np.arange(args.onset, args.duration + 1e-9, 10.0)
    print(f"E and I rates (Hz) in 10-ms bins from {args.onset:g} ms, {args.gba} GBA, seed {args.seed}")
    for area, k in SHOWN.items():
        for (t, i), n, kind in zip(spikes, (N_E, N_I), "EI"):
            rate = np.histogram(t[i // n == k], bins=edges)[0] / (n * 0.01)
            print(f"{area:6s} {kind}", " ".join(f"{r:4.0f}" for r in rate))


if __name__ == "__main__":
    main()
