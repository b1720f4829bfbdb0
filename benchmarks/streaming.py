#!/usr/bin/env python3
"""Benchmark: memory and time of streaming a run's records to HDF5 (``Runner(record_to=...)``) against keeping
them in memory.

COBA 4 k (the bundled model: 3200 + 800 LIF neurons, 2 % connectivity, its background drive), spike monitors on
both populations and the membrane potential of 100 excitatory neurons every step, on the Numba engine, float32,
one thread. Each configuration runs in a fresh process (so that its peak resident memory, ``ru_maxrss``, is its
own): the network is built and compiled, then run for ``--short`` and ``--long`` ms of biological time, streamed
and in memory. The table gives the peak RSS of each, the run time (the loop and its records, without build or
compilation) and, for the long run, the ratio of streaming to in-memory run time and of the long to the short
streamed run's peak memory (the target: within 10 % and at most 10 % slower).

    python benchmarks/streaming.py [--short 5000] [--long 60000]
"""

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = """
import json, resource, sys, time
import numpy as np
import spikeloom as sl
from spikeloom.models.registry import MODELS

duration, record = float(sys.argv[1]), sys.argv[2] or None
spec = MODELS["coba"]
runner = sl.Runner(spec.build(4000, 80.0), seed=0, inputs=spec.inputs, parallel=False, progress=False,
                   monitors=["E.spike", "I.spike", ("E.V", np.arange(0, 3200, 32))], record_to=record)
runner.run(0.1)  # compile
res = runner.run(duration)
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before anything is read back
spikes = sum(int(res.spike_counts[p].sum()) for p in ("E", "I"))
print(json.dumps({"run_s": res.run_s, "rss_mb": rss_mb, "spikes": spikes}))
"""


def measure(duration: float, stream: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        record = f"{folder}/run.h5" if stream else ""
        out = subprocess.run([sys.executable, "-c", CHILD, str(duration), record], capture_output=True, text=True,
                             check=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--short", type=float, default=5000.0, help="short run, ms (default 5000)")
    ap.add_argument("--long", type=float, default=60000.0, help="long run, ms (default 60000)")
    args = ap.parse_args()
    rows = {(d, s): measure(d, s) for d in (args.short, args.long) for s in (True, False)}
    print(f"{'run':>10} {'records':>10} {'peak RSS MiB':>13} {'run s':>8} {'spikes':>9}")
    for (d, s), m in rows.items():
        print(f"{d / 1000:>8g} s {'streamed' if s else 'memory':>10} {m['rss_mb']:>13.1f} {m['run_s']:>8.2f} "
              f"{m['spikes']:>9}")
    long_s, long_m, short_s = rows[(args.long, True)], rows[(args.long, False)], rows[(args.short, True)]
    print(f"streamed peak RSS, {args.long / 1000:g} s / {args.short / 1000:g} s: "
          f"{long_s['rss_mb'] / short_s['rss_mb']:.3f}")
    print(f"run time, streamed / in memory ({args.long / 1000:g} s): {long_s['run_s'] / long_m['run_s']:.3f}")


if __name__ == "__main__":
    main()
