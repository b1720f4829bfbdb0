#!/usr/bin/env python3
"""Regenerate tests/reference/data/dynapse_{protocol,recurrent}.npz: DYNAP-SE DPI traces from Brian2.

Run with the Brian2 virtual environment's interpreter (it imports brian2 and numpy only)::

    .peers/brian2/bin/python tests/reference/make_dynapse_reference.py

The Brian2 model is ``benchmarks/peers/brian2_dynapse.py`` (runtime target, forward Euler, dt = 100 us).
Each file holds its workload (inputs and synapses, see that script), every current of every neuron at
every step (A, Brian2's StateMonitor: the state at the start of each step), the spikes (s, Brian2's
convention: the start of the step of the threshold crossing) and a JSON ``provenance`` string.

- protocol: the seed's single neuron, four 80 Hz inputs (a spike in each step with probability
  rate x dt, ``numpy.random.default_rng(0)``), weights NMDA 10, AMPA 5, GABA_A 1, GABA_B 2, 100 ms.
- recurrent: 16 neurons with random synapses of all four types among them plus 8 input neurons
  (``default_rng(1)``), 100 ms.
"""

import datetime
import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "peers"))

import brian2_dynapse  # noqa: E402

DT_MS, DURATION_MS = 0.1, 100.0


def bernoulli_trains(rng, n, rate_hz):
    draws = rng.random((n, int(round(DURATION_MS / DT_MS))))
    idx, steps = np.nonzero(draws < rate_hz * DT_MS * 1e-3)
    order = np.argsort(steps, kind="stable")
    return steps[order] * DT_MS, idx[order]


def protocol_workload():
    times, idx = bernoulli_trains(np.random.default_rng(0), 4, 80.0)
    return dict(n_neurons=1, n_inputs=4, input_times_ms=times, input_indices=idx, pre=np.arange(4),
                post=np.zeros(4, np.int64), type=np.arange(4), weight=np.array([10.0, 5.0, 1.0, 2.0]),
                from_input=np.ones(4, bool))


def recurrent_workload():
    rng = np.random.default_rng(1)
    n, n_in = 16, 8
    times, idx = bernoulli_trains(rng, n_in, 100.0)
    pre, post, kind, weight, from_input = [], [], [], [], []
    for j in range(n):
        for i in rng.choice(n_in, 2, replace=False):  # two inputs per neuron: AMPA and NMDA
            for t, w in ((1, 4.0), (0, 3.0)):
                pre.append(i), post.append(j), kind.append(t), weight.append(w), from_input.append(True)
        for t, w in ((0, 2.0), (1, 3.0), (2, 1.0), (3, 1.0)):  # three recurrent partners per type
            for i in rng.choice(n, 3, replace=False):
                pre.append(i), post.append(j), kind.append(t), weight.append(w), from_input.append(False)
    return dict(n_neurons=n, n_inputs=n_in, input_times_ms=times, input_indices=idx, pre=np.array(pre),
                post=np.array(post), type=np.array(kind), weight=np.array(weight), from_input=np.array(from_input))


def main():
    import brian2

    for name, workload in (("protocol", protocol_workload()), ("recurrent", recurrent_workload())):
        summary, rec = brian2_dynapse.build_and_run(workload, "runtime", DURATION_MS, DT_MS * 1e3, record=True)
        provenance = {"generator": "tests/reference/make_dynapse_reference.py",
                      "model": "benchmarks/peers/brian2_dynapse.py", "date": datetime.date.today().isoformat(),
                      "brian2": brian2.__version__, "numpy": np.__version__, "python": platform.python_version(),
                      "target": "runtime (Cython)", "method": "euler", "dt_ms": DT_MS, "duration_ms": DURATION_MS,
                      "n_spikes": summary["n_spikes"]}
        path = os.path.join(HERE, "data", f"dynapse_{name}.npz")
        np.savez_compressed(path, **workload, **rec, duration_ms=DURATION_MS, dt_ms=DT_MS,
                            provenance=json.dumps(provenance))
        print(path, json.dumps(provenance))


if __name__ == "__main__":
    main()
