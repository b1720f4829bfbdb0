#!/usr/bin/env python3
"""Song, Miller & Abbott (2000) in NEST: 1000 Poisson inputs onto one conductance-based LIF neuron through
additive ``stdp_synapse`` (peer simulator for spikeloom's ``models/song2000.py``, timing comparison).

Same model as ``song2000_brian2.py`` (source: Song S., Miller K.D., Abbott L.F. (2000) Nat Neurosci
3:919-926, parameters of Brian2's documented STDP example), expressed in NEST's models:

- inputs: one ``poisson_generator`` (15 Hz) into 1000 ``parrot_neuron`` (an independent train each; STDP needs
  a neuron as presynaptic side);
- neuron: ``iaf_cond_exp`` with g_L = 1 nS and C_m = 10 pF (tau_m = 10 ms), so a weight in nS is the
  conductance in units of the leak; E_L = -74 mV, E_ex = 0 mV, V_th = -54 mV, V_reset = -60 mV,
  tau_syn_ex = 5 ms, t_ref = 0;
- ``stdp_synapse`` with mu_plus = mu_minus = 0 (additive, hard bounds at 0 and Wmax = 0.01 nS),
  lambda = 0.01 (potentiation step dApre / gmax), alpha = 1.05 (depression / potentiation),
  tau_plus = 20 ms, the neuron's tau_minus = 20 ms; all-to-all pairing (NEST's default);
  w uniform in [0, Wmax].

Differences from the Brian2 model: NEST integrates ``iaf_cond_exp`` with an adaptive Runge-Kutta-Fehlberg
solver (GSL) instead of a fixed step, detects the threshold at the end of each 0.1 ms step as Brian2 does;
the smallest NEST delay is one step, so each input spike is felt 0.1 ms later (generator -> parrot -> neuron
adds 0.2 ms in all) and STDP pairs spikes through that 0.1 ms dendritic delay.

    python benchmarks/peers/song2000_nest.py --duration 100 --seed 0 --out song_nest.npz

Writes ``--out`` (npz, optional) with ``w`` (final weights / Wmax), ``t_ms``/``w_mean`` (every 100 ms, unless
``--no-monitor``: then the run is one ``Simulate`` call, for timing), ``rate_hz``, ``build_s``, ``sim_s``;
prints one JSON line with the scalars.
"""

import argparse
import json
import sys
import time

import numpy as np

SAMPLE_MS = 100.0
W_MAX = 0.01  # nS = units of the leak (g_L = 1 nS)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=100.0, help="biological time in s (default 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-monitor", action="store_true", help="one Simulate call, final weights only")
    ap.add_argument("--out", default=None)
    return ap.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "rng_seed": a.seed + 1, "local_num_threads": a.threads})
    t0 = time.perf_counter()
    gen = nest.Create("poisson_generator", params={"rate": 15.0})
    parrots = nest.Create("parrot_neuron", 1000)
    neuron = nest.Create("iaf_cond_exp", params={"C_m": 10.0, "g_L": 1.0, "E_L": -74.0, "E_ex": 0.0,
                                                 "V_th": -54.0, "V_reset": -60.0, "tau_syn_ex": 5.0,
                                                 "t_ref": 0.0, "V_m": -74.0, "tau_minus": 20.0})
    rec = nest.Create("spike_recorder")
    nest.Connect(gen, parrots, "all_to_all", {"delay": 0.1})
    nest.Connect(parrots, neuron, "all_to_all",
                 {"synapse_model": "stdp_synapse", "delay": 0.1, "weight": nest.random.uniform(0.0, W_MAX),
                  "Wmax": W_MAX, "lambda": 0.01, "alpha": 1.05, "mu_plus": 0.0, "mu_minus": 0.0,
                  "tau_plus": 20.0})
    nest.Connect(neuron, rec)
    conns = nest.GetConnections(parrots, neuron)
    nest.Prepare()
    t1 = time.perf_counter()
    duration_ms = a.duration * 1e3
    t_ms, w_mean = [], []
    if a.no_monitor:
        nest.Run(duration_ms)
    else:
        n_chunks = int(round(duration_ms / SAMPLE_MS))
        for k in range(n_chunks):
            t_ms.append(k * SAMPLE_MS)
            w_mean.append(np.mean(conns.get("weight")) / W_MAX)
            nest.Run(SAMPLE_MS)
    nest.Cleanup()
    t2 = time.perf_counter()
    w = np.asarray(conns.get("weight"), np.float64) / W_MAX
    out = {"w": w, "rate_hz": np.float64(rec.n_events / a.duration), "build_s": np.float64(t1 - t0),
           "sim_s": np.float64(t2 - t1), "seed": np.int64(a.seed), "duration_s": np.float64(a.duration)}
    if not a.no_monitor:
        out["t_ms"] = np.append(t_ms, duration_ms)
        out["w_mean"] = np.append(w_mean, w.mean())
    if a.out:
        np.savez(a.out, **out)
    print(json.dumps({"peer": "nest", "seed": a.seed, "duration_s": a.duration, "rate_hz": float(out["rate_hz"]),
                      "w_mean": float(w.mean()), "frac_low": float(np.mean(w < 0.1)),
                      "frac_high": float(np.mean(w > 0.9)), "build_s": t1 - t0, "sim_s": t2 - t1,
                      "nest": nest.__version__, "python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
