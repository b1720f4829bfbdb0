"""PyNN scripts on spikeloom.pynn and on PyNN's NEST backend, side by side: rates and run times.

Three PyNN scripts, written once against a backend module ``sim`` (only the import differs):

- ``va``: the Vogels-Abbott networks of Brette et al. (2007), benchmark 1 (COBA: IF_cond_exp, 6 / 67 nS,
  tau_syn 5 / 10 ms, E_rev 0 / -80 mV, E_leak -60 mV) and benchmark 2 (CUBA: IF_curr_exp, total PSPs of
  0.405 / -4.5 mV, E_leak -49 mV): 4000 neurons (80 % excitatory), connection probability 0.02, C = 200 pF,
  tau_m = 20 ms, V_th = -50 mV, V_reset = -60 mV, t_ref = 5 ms, delays 0.1 ms, initial V ~ N(-55, 5) mV,
  1 s, started by 20 Poisson sources (100 Hz for the first 50 ms, p = 0.1 onto the excitatory cells). Connectivity is drawn by PyNN's connectors from a NumpyRNG with a fixed seed, so both backends
  simulate the same synapses.
- ``stdp``: 200 Poisson inputs at 15 Hz onto one IF_cond_exp neuron through additive STDP synapses (Song,
  Miller & Abbott 2000 style; A_+ = 0.01, A_- = 0.0105, tau 20 ms, w_max = 0.5 nS, weights uniform in
  [0, w_max]), 10 s: output rate, mean final weight and the fraction of weights above w_max / 2.

Usage::

    python benchmarks/pynn.py [--n 4000] [--t-stop 1000] [--repeats 2] [--peer-python PY]

``--peer-python`` is a Python with PyNN 0.13 and NEST (e.g. a venv made with ``pip install nest-simulator
PyNN``); the script runs itself there with ``--backend pyNN.nest --json`` and prints both columns. The VA
networks are built and run ``--repeats`` times in one process, each with its own seed (rates: the range over
the repeats). Timings (wall clock, s): ``build`` is construction (populations, PyNN's connectors) up to the
run; ``run_first`` the ``sim.run`` of the first repeat (spikeloom: building the Runner and compiling, or
loading the compiled loop from the disk cache, included); ``run`` the later repeats.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time

import numpy as np


def va(sim, kind: str, n: int, t_stop: float, seed: int = 42) -> dict:
    """One Vogels-Abbott network (``kind`` "COBA" or "CUBA"); rates (Hz) and wall times (s)."""
    t0 = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0)
    rng = sim.NumpyRNG(seed=seed)
    common = dict(cm=0.2, tau_m=20.0, v_reset=-60.0, v_thresh=-50.0, tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
    if kind == "COBA":
        cell = sim.IF_cond_exp(v_rest=-60.0, e_rev_E=0.0, e_rev_I=-80.0, **common)
        w_exc, w_inh, w_stim = 0.006, 0.067, 0.02  # uS
    else:
        cell = sim.IF_curr_exp(v_rest=-49.0, **common)
        # nA: total PSPs of 0.405 mV and -4.5 mV (Brian2's CUBA example)
        w_exc, w_inh, w_stim = 0.0162, -0.09, 0.1
    cells = sim.Population(n, cell, label=kind)
    cells.initialize(v=sim.RandomDistribution("normal", mu=-55.0, sigma=5.0, rng=rng))
    n_exc = int(0.8 * n)
    exc, inh = cells[:n_exc], cells[n_exc:]
    conn = sim.FixedProbabilityConnector(0.02 * 4000 / n, rng=rng)
    sim.Projection(exc, cells, conn, sim.StaticSynapse(weight=w_exc, delay=0.1), receptor_type="excitatory")
    sim.Projection(inh, cells, conn, sim.StaticSynapse(weight=w_inh, delay=0.1), receptor_type="inhibitory")
    # a kick that starts the self-sustained activity: 20 Poisson sources at 100 Hz for the first 50 ms
    stim = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0))
    sim.Projection(stim, exc, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=w_stim, delay=0.1), receptor_type="excitatory")
    cells.record("spikes")
    t1 = time.perf_counter()
    sim.run(t_stop)
    t2 = time.perf_counter()
    seg = cells.get_data().segments[0]
    counts = np.array([st.size for st in seg.spiketrains])
    sim.end()
    return {"rate_exc": counts[:n_exc].mean() / t_stop * 1e3, "rate_inh": counts[n_exc:].mean() / t_stop * 1e3,
            "build": t1 - t0, "run": t2 - t1}


W_MAX = 0.0005  # uS: 0.5 nS, a twentieth of the leak conductance


def stdp(sim, t_stop: float = 10000.0, seed: int = 3) -> dict:
    """Poisson inputs through additive STDP onto one conductance-based neuron."""
    t0 = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=0.1)
    rng = sim.NumpyRNG(seed=seed)
    inputs = sim.Population(200, sim.SpikeSourcePoisson(rate=15.0))
    neuron = sim.Population(1, sim.IF_cond_exp(tau_m=20.0, cm=0.2, v_rest=-70.0, v_reset=-60.0, v_thresh=-54.0,
                                               e_rev_E=0.0, e_rev_I=-70.0, tau_syn_E=5.0, tau_refrac=1.0))
    rule = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.0105),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX),
        weight=sim.RandomDistribution("uniform", low=0.0, high=W_MAX, rng=rng), delay=0.1)
    prj = sim.Projection(inputs, neuron, sim.AllToAllConnector(), rule, receptor_type="excitatory")
    w0 = np.array(prj.get("weight", format="list", with_address=False), float)
    neuron.record("spikes")
    inputs.record("spikes")
    t1 = time.perf_counter()
    sim.run(t_stop)
    t2 = time.perf_counter()
    w = np.array(prj.get("weight", format="list", with_address=False), float)
    out = neuron.get_data().segments[0].spiketrains[0].size / t_stop * 1e3
    inp = sum(st.size for st in inputs.get_data().segments[0].spiketrains) / 200 / t_stop * 1e3
    sim.end()
    return {"rate_in": inp, "rate_out": out, "w_mean_start": float(w0.mean()), "w_mean_end": float(w.mean()),
            "frac_w_high": float(np.mean(w > 0.5 * W_MAX)), "build": t1 - t0, "run": t2 - t1}


def measure(backend: str, n: int, t_stop: float, repeats: int) -> dict:
    sim = importlib.import_module(backend)
    out = {}
    for kind in ("COBA", "CUBA"):
        runs = [va(sim, kind, n, t_stop, seed=42 + k) for k in range(repeats)]
        out[kind] = {k: [r[k] for r in runs] for k in runs[0]}
        out[kind]["run_first"], out[kind]["run"] = out[kind]["run"][:1], out[kind]["run"][1:] or out[kind]["run"]
    runs = [stdp(sim) for _ in range(2)]  # the same network twice: the second run shows the cached compile
    out["STDP"] = {k: [runs[0][k]] for k in runs[0]}
    out["STDP"]["run_first"], out["STDP"]["run"] = [runs[0]["run"]], [runs[1]["run"]]
    return out


def _cell(values, fmt):
    lo, hi = min(values), max(values)
    return format(lo, fmt) if np.isclose(lo, hi, rtol=0.05) else f"{format(lo, fmt)}-{format(hi, fmt)}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="spikeloom.pynn")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--t-stop", type=float, default=1000.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--peer-python", default=None, help="a Python with PyNN and NEST")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON only")
    args = parser.parse_args(argv)
    columns = {args.backend: measure(args.backend, args.n, args.t_stop, args.repeats)}
    if args.json:
        print(json.dumps(columns[args.backend]))
        return
    if args.peer_python:
        cmd = [args.peer_python, __file__, "--backend", "pyNN.nest", "--json", "--n", str(args.n),
               "--t-stop", str(args.t_stop), "--repeats", str(args.repeats)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        columns["pyNN.nest"] = json.loads(done.stdout.strip().splitlines()[-1])
    names = list(columns)
    print(f"N = {args.n}, {args.t_stop:g} ms (VA, {args.repeats} repeats with different seeds); STDP 10 s")
    print(f"{'model':<6} {'quantity':<14}" + "".join(f"{name:>22}" for name in names))
    for model, fields in (("COBA", ("rate_exc", "rate_inh", "build", "run_first", "run")),
                          ("CUBA", ("rate_exc", "rate_inh", "build", "run_first", "run")),
                          ("STDP", ("rate_in", "rate_out", "w_mean_start", "w_mean_end", "frac_w_high", "build",
                                    "run_first", "run"))):
        for field in fields:
            fmt = ".5f" if field.startswith("w_") else ".2f"
            unit = " (s)" if field in ("build", "run", "run_first") else (" (Hz)" if "rate" in field else "")
            print(f"{model:<6} {field + unit:<14}" + "".join(f"{_cell(columns[n][model][field], fmt):>22}"
                                                              for n in names))


if __name__ == "__main__":
    sys.exit(main())
