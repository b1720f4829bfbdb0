#!/usr/bin/env python3
"""Song, Miller & Abbott (2000) in Brian2: 1000 Poisson inputs onto one LIF neuron through additive STDP
(peer simulator for spikeloom's ``models/song2000.py``).

Source of the model: Song S., Miller K.D., Abbott L.F. (2000) Competitive Hebbian learning through
spike-timing-dependent synaptic plasticity. Nat Neurosci 3:919-926, with the parameters of Brian2's documented
STDP example (``examples/synapses/STDP.py`` in the Brian2 documentation):

- N = 1000 Poisson inputs at F = 15 Hz, all connected to one neuron;
- neuron: dv/dt = (ge (Ee - v) + El - v) / taum, taum = 10 ms, Ee = 0 mV, El = -74 mV, threshold v > vt =
  -54 mV, reset to vr = -60 mV, no refractory period; the conductance ge is in units of the leak
  (dimensionless) and decays with taue = 5 ms; a presynaptic spike adds w to ge;
- additive STDP with all-to-all traces: Apre (tau 20 ms, + dApre = 0.01 gmax per presynaptic spike) and Apost
  (tau 20 ms, + dApost = -1.05 dApre per postsynaptic spike); a presynaptic spike adds Apost to w, a
  postsynaptic spike adds Apre, each time clipped to [0, gmax], gmax = 0.01;
- w starts uniform in [0, gmax]; v starts at El (the documented example leaves it at 0 mV, one spike at t = 0).

dt = 0.1 ms. Three numerical conventions are spikeloom's (and partly NEST's) by default, each an option; with
``--method euler --deliver before --coincident potentiate`` the script is the documented example:

- ``--method exponential_euler`` (default): ge decays exactly; the example's forward Euler shrinks each
  conductance's integral by dt / (2 taue) = 1 %, which lowers the output rate by ~10 % at fixed weights;
- ``--deliver updated`` (default): a presynaptic spike adds the weight after its depression (as NEST's
  ``stdp_synapse`` and spikeloom's ``STDP`` do); the example adds it before (``before``);
- ``--coincident depress`` (default): a presynaptic and a postsynaptic spike in the same step pair as post
  before pre (the postsynaptic pathway runs first: the presynaptic spike acts on v from the next step on, as
  in spikeloom); the example pairs them as pre before post (``potentiate``).

With the example's conventions the output rate over 100 s is ~26 Hz; with spikeloom's, ~19 Hz (the weights
spread the same way, the mean weight falls faster). Run it with the interpreter of a
virtual environment with ``pip install brian2``::

    python benchmarks/peers/song2000_brian2.py --standalone --duration 100 --seed 0 --out song_seed0.npz

Writes ``--out`` (npz): ``w`` (final weights / gmax), ``t_ms``/``w_mean`` (mean of w / gmax every 100 ms
from t = 0, and at the end), ``rate_hz`` (output rate over the run), ``spike_t_ms``
(the output neuron's spike times), ``build_s``, ``sim_s`` (for standalone the loop time the
binary reports), and prints one JSON line with the scalars.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

SAMPLE_MS = 100.0


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=100.0, help="biological time in s (default 100)")
    ap.add_argument("--seed", type=int, default=0)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--standalone", dest="standalone", action="store_true", default=True,
                      help="cpp_standalone (default)")
    mode.add_argument("--runtime", dest="standalone", action="store_false", help="runtime target (Cython)")
    ap.add_argument("--method", default="exponential_euler", help="Brian2 integration method (default "
                    "exponential_euler)")
    ap.add_argument("--deliver", choices=["updated", "before"], default="updated",
                    help="weight a presynaptic spike adds: after (default) or before its depression")
    ap.add_argument("--coincident", choices=["depress", "potentiate"], default="depress",
                    help="pre and post spikes in one step pair as post-pre (default) or pre-post")
    ap.add_argument("--no-monitor", action="store_true", help="record only the final weights (timing runs)")
    ap.add_argument("--out", default=None, help="npz file to write (optional)")
    return ap.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    import brian2 as b

    build_dir = None
    if a.standalone:
        build_dir = tempfile.mkdtemp(prefix="song2000_brian2_")
        b.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    b.defaultclock.dt = 0.1 * b.ms
    b.seed(a.seed)
    ms, mV, Hz = b.ms, b.mV, b.Hz
    ns = dict(taum=10 * ms, Ee=0 * mV, vt=-54 * mV, vr=-60 * mV, El=-74 * mV, taue=5 * ms,
              taupre=20 * ms, taupost=20 * ms, gmax=0.01)
    ns["dApre"] = 0.01 * ns["gmax"]
    ns["dApost"] = -ns["dApre"] * ns["taupre"] / ns["taupost"] * 1.05
    t0 = time.perf_counter()
    inputs = b.PoissonGroup(1000, rates=15 * Hz)
    neuron = b.NeuronGroup(1, "dv/dt = (ge * (Ee - v) + El - v) / taum : volt\ndge/dt = -ge / taue : 1",
                           threshold="v > vt", reset="v = vr", method=a.method, namespace=ns)
    neuron.v = ns["El"]
    syn = b.Synapses(inputs, neuron,
                     "w : 1\ndApre/dt = -Apre / taupre : 1 (event-driven)\n"
                     "dApost/dt = -Apost / taupost : 1 (event-driven)",
                     on_pre=("Apre += dApre\nw = clip(w + Apost, 0, gmax)\nge += w" if a.deliver == "updated"
                             else "ge += w\nApre += dApre\nw = clip(w + Apost, 0, gmax)"),
                     on_post="Apost += dApost\nw = clip(w + Apre, 0, gmax)", namespace=ns)
    syn.connect()
    if a.coincident == "depress":
        syn.post.order = -1  # the postsynaptic pathway before the presynaptic one within a step
    syn.w = "rand() * gmax"
    spikes = b.SpikeMonitor(neuron)
    objs = [inputs, neuron, syn, spikes]
    if not a.no_monitor:
        w_mon = b.StateMonitor(syn, "w", record=np.arange(1000), dt=SAMPLE_MS * ms, when="end")
        objs.append(w_mon)
    net = b.Network(*objs)
    if a.standalone:
        net.run(a.duration * b.second)
        b.device.build(directory=build_dir, compile=True, run=True, debug=False, clean=True)
        sim_s = float(b.device._last_run_time)
    else:
        t1 = time.perf_counter()
        net.run(a.duration * b.second)
        sim_s = time.perf_counter() - t1
    total_s = time.perf_counter() - t0
    gmax = ns["gmax"]
    w = np.asarray(syn.w[:], np.float64) / gmax
    out = {"w": w, "rate_hz": np.float64(spikes.num_spikes / a.duration),
           "spike_t_ms": np.asarray(spikes.t / ms, np.float64), "build_s": np.float64(total_s - sim_s),
           "sim_s": np.float64(sim_s), "seed": np.int64(a.seed), "duration_s": np.float64(a.duration)}
    if not a.no_monitor:
        # samples at t = 0, 100, ... ms (taken at the end of that step), then the final weights
        out["t_ms"] = np.append(np.asarray(w_mon.t / ms, np.float64), a.duration * 1e3)
        out["w_mean"] = np.append(np.asarray(w_mon.w[:], np.float64).mean(axis=0) / gmax, w.mean())
    if build_dir is not None:
        shutil.rmtree(build_dir, ignore_errors=True)
    if a.out:
        np.savez(a.out, **out)
    print(json.dumps({"peer": "brian2", "target": "cpp_standalone" if a.standalone else "runtime",
                      "method": a.method, "deliver": a.deliver, "coincident": a.coincident, "seed": a.seed,
                      "duration_s": a.duration,
                      "rate_hz": float(out["rate_hz"]), "w_mean": float(w.mean()),
                      "frac_low": float(np.mean(w < 0.1)), "frac_high": float(np.mean(w > 0.9)),
                      "build_s": float(out["build_s"]), "sim_s": sim_s, "python": sys.version.split()[0],
                      "brian2": b.__version__, "pid": os.getpid()}))


if __name__ == "__main__":
    main()
