#!/usr/bin/env python3
"""The COBA E/I network in Brian2 cpp_standalone, static or with additive STDP on E -> E (peer of
``benchmarks/plasticity.py``: the cost of plasticity).

The network is that of ``brian2_coba.py`` (Brette et al. 2007, parameters of spikeloom's ``models/coba.py``):
3200 + 800 LIF neurons, tau 20 ms, V_rest = V_reset = -60 mV, V_th = -50 mV, 5 ms refractory, 20 mV drive,
exponential conductances (5 ms to 0 mV from E, 10 ms to -80 mV from I, in units of the leak), w_e = 0.6,
w_i = 6.7, p = 0.02 with self-connections, exponential Euler, dt 0.1 ms, V(0) ~ Normal(-55, 2) mV.
With ``--stdp``, E -> E carries pair-based additive STDP with all-to-all traces in the form of spikeloom's
``sl.STDP``: traces jump by 1 at their own spikes and decay with tau_plus = tau_minus = 20 ms; an arriving
presynaptic spike subtracts A_minus apost, a postsynaptic spike adds A_plus apre, each clipped to [0, w_max];
A_plus = 0.012, A_minus = 0.0126, w_max = 1.2 (``--a-plus`` etc.).

    python benchmarks/peers/coba_stdp_brian2.py --duration 1000 --stdp

Prints one JSON line: ``build_s`` (construction, code generation, C++ build), ``sim_s`` (the loop time the
binary reports), ``rate_hz`` (E), ``w_mean`` (E -> E), ``synapses``.
"""

import argparse
import json
import shutil
import tempfile
import time


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stdp", action="store_true")
    ap.add_argument("--a-plus", type=float, default=0.012)
    ap.add_argument("--a-minus", type=float, default=0.0126)
    ap.add_argument("--w-max", type=float, default=1.2)
    a = ap.parse_args(argv)
    import brian2 as b

    build_dir = tempfile.mkdtemp(prefix="coba_stdp_brian2_")
    b.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    b.defaultclock.dt = 0.1 * b.ms
    b.seed(a.seed)
    ms, mV = b.ms, b.mV
    ns = dict(tau=20 * ms, v_rest=-60 * mV, v_th=-50 * mV, i_ext=20 * mV, Ee=0 * mV, Ei=-80 * mV, taue=5 * ms,
              taui=10 * ms, taupre=20 * ms, taupost=20 * ms, A_plus=a.a_plus, A_minus=a.a_minus, w_max=a.w_max)
    t0 = time.perf_counter()
    eqs = """dv/dt = (v_rest - v + ge * (Ee - v) + gi * (Ei - v) + i_ext) / tau : volt (unless refractory)
             dge/dt = -ge / taue : 1
             dgi/dt = -gi / taui : 1"""
    neurons = b.NeuronGroup(4000, eqs, threshold="v > v_th", reset="v = v_rest", refractory=5 * ms,
                            method="exponential_euler", namespace=ns)
    neurons.v = "-55*mV + 2*mV*randn()"
    exc, inh = neurons[:3200], neurons[3200:]
    if a.stdp:
        ee = b.Synapses(exc, exc, """w : 1
                        dapre/dt = -apre / taupre : 1 (event-driven)
                        dapost/dt = -apost / taupost : 1 (event-driven)""",
                        on_pre="ge_post += w\nw = clip(w - A_minus * apost, 0, w_max)\napre += 1",
                        on_post="w = clip(w + A_plus * apre, 0, w_max)\napost += 1", namespace=ns)
    else:
        ee = b.Synapses(exc, exc, "w : 1", on_pre="ge_post += w", namespace=ns)
    ee.connect(p=0.02)
    ee.w = 0.6
    ei = b.Synapses(exc, inh, on_pre="ge_post += 0.6")
    ei.connect(p=0.02)
    ie = b.Synapses(inh, exc, on_pre="gi_post += 6.7")
    ie.connect(p=0.02)
    ii = b.Synapses(inh, inh, on_pre="gi_post += 6.7")
    ii.connect(p=0.02)
    spikes = b.SpikeMonitor(exc, record=False)
    net = b.Network(neurons, ee, ei, ie, ii, spikes)
    net.run(a.duration * ms)
    b.device.build(directory=build_dir, compile=True, run=True, debug=False, clean=True)
    sim_s = float(b.device._last_run_time)
    total_s = time.perf_counter() - t0
    result = {"peer": "brian2", "model": "coba-stdp" if a.stdp else "coba", "build_s": total_s - sim_s,
              "sim_s": sim_s, "rate_hz": float(spikes.num_spikes / (3200 * a.duration * 1e-3)),
              "w_mean": float(ee.w[:].mean()),
              "synapses": int(len(ee) + len(ei) + len(ie) + len(ii)), "brian2": b.__version__}
    shutil.rmtree(build_dir, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
