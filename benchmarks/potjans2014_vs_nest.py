"""The Potjans & Diesmann (2014) microcircuit on spikeloom and on NEST, side by side: per-population rates,
construction time, simulation time and peak memory.

Both simulators build the same model (``spikeloom.models.potjans2014``: the published weights, no correction;
NEST's ``iaf_psc_exp``, ``fixed_total_number`` with autapses and multapses, weights and delays redrawn
Normal laws, ``poisson_generator`` or DC background) and run it for ``--duration`` ms; rates are counted after
``--transient`` ms. Each runs in its own process (NEST from the Python given by ``--nest-python``, e.g. a venv
with ``pip install nest-simulator``; skipped when absent), so peak memory is each one's own ru_maxrss.

    python benchmarks/potjans2014_vs_nest.py --scale 0.1 --duration 1000 --nest-python /path/to/nestvenv/bin/python

Prints one table; the last column is spikeloom's rate relative to NEST's.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

SPIKELOOM = r"""
import json, resource, sys, time
import numpy as np
import spikeloom as sl
from spikeloom.models.potjans2014 import Potjans2014, POPULATIONS
scale, duration, transient, background, seed, threads = sys.argv[1:7]
scale, duration, transient, seed = float(scale), float(duration), float(transient), int(seed)
t0 = time.perf_counter()
net = Potjans2014(scale, background=background)
runner = sl.Runner(net, dt=0.1, monitors=[f"{p}.spike" for p in POPULATIONS], seed=seed, progress=False,
                   parallel=None if threads == "auto" else int(threads) > 1)
t1 = time.perf_counter()
res = runner.run(duration)
rates = {p: res.mean_rate(p, t_from=transient) for p in POPULATIONS}
print(json.dumps({"build_s": t1 - t0, "sim_s": res.run_s, "compile_s": res.compile_s, "rates": rates,
                  "synapses": int(runner.plan.n_synapses),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""

NEST = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[7])
from spikeloom_model_table import *   # noqa: the published numbers, shared with spikeloom's model
import nest
scale, duration, transient, background, seed, threads = sys.argv[1:7]
scale, duration, transient, seed = float(scale), float(duration), float(transient), int(seed)
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1 if threads == "auto" else int(threads),
                      "rng_seed": seed + 1})
t0 = time.perf_counter()
w = psc_of_psp(PSP_MEAN, NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
sizes = [max(1, int(round(n * scale))) for n in FULL_SIZE]
pops, recs = {}, {}
for name, n, k_ext in zip(POPULATIONS, sizes, K_EXT):
    i_e = BACKGROUND_RATE * 1e-3 * k_ext * w * NEURON["tau_syn_ex"] if background == "dc" else 0.0
    pops[name] = nest.Create("iaf_psc_exp", n, params={**NEURON, "I_e": i_e})
    pops[name].V_m = nest.random.normal(*V0)
    recs[name] = nest.Create("spike_recorder", params={"start": transient})
    nest.Connect(pops[name], recs[name])
res = nest.resolution
for source, target, n, mean, d in pathways(scale):
    bounds = dict(min=0.0, max=np.inf) if mean > 0 else dict(min=-np.inf, max=0.0)
    nest.Connect(pops[source], pops[target],
                 {"rule": "fixed_total_number", "N": n, "allow_autapses": True, "allow_multapses": True},
                 {"synapse_model": "static_synapse",
                  "weight": nest.math.redraw(nest.random.normal(mean, abs(mean) * WEIGHT_REL_STD), **bounds),
                  "delay": nest.math.redraw(nest.random.normal(d, d * DELAY_REL_STD), min=0.5 * res, max=np.inf)})
if background == "poisson":
    for name, k_ext in zip(POPULATIONS, K_EXT):
        gen = nest.Create("poisson_generator", params={"rate": BACKGROUND_RATE * k_ext})
        nest.Connect(gen, pops[name], "all_to_all", {"weight": w, "delay": BACKGROUND_DELAY})
nest.Prepare()
t1 = time.perf_counter()
nest.Run(duration)
nest.Cleanup()
t2 = time.perf_counter()
rates = {p: recs[p].n_events / (len(pops[p]) * (duration - transient) * 1e-3) for p in POPULATIONS}
print(json.dumps({"build_s": t1 - t0, "sim_s": t2 - t1, "compile_s": 0.0, "rates": rates,
                  "synapses": int(nest.GetKernelStatus("num_connections")),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


def model_table_module(folder: pathlib.Path) -> None:
    """Write the published numbers of spikeloom's model file as a module NEST's process can import without
    importing spikeloom (which its venv may not have): the constants and the two pure functions."""
    src = (ROOT / "spikeloom" / "models" / "potjans2014.py").read_text()
    head = src.split("\nclass Potjans2014")[0]
    head = head.replace("import spikeloom as sl\n", "").replace("from ..core import validate\n", "")
    (folder / "spikeloom_model_table.py").write_text(head)


def run(python: str, code: str, args: list[str]) -> dict | None:
    proc = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        print(f"{python}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--transient", type=float, default=200.0, help="ms excluded from the rates")
    ap.add_argument("--background", choices=["poisson", "dc"], default="poisson")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", default="2", help="NEST's threads (default 2)")
    ap.add_argument("--spikeloom-threads", default="auto",
                    help="auto (default: threads when they pay), 1 or 2")
    ap.add_argument("--nest-python", default=os.environ.get("NEST_PYTHON"), help="a Python with nest installed")
    ap.add_argument("--skip-spikeloom", action="store_true")
    a = ap.parse_args()
    args = [str(a.scale), str(a.duration), str(a.transient), a.background, str(a.seed), a.threads]
    results = {}
    if not a.skip_spikeloom:
        results["spikeloom"] = run(sys.executable, SPIKELOOM, args[:-1] + [a.spikeloom_threads])
    if a.nest_python:
        with tempfile.TemporaryDirectory() as tmp:
            model_table_module(pathlib.Path(tmp))
            results["NEST"] = run(a.nest_python, NEST, [*args, tmp])
    results = {k: v for k, v in results.items() if v}
    print(f"Potjans & Diesmann 2014 microcircuit, scale {a.scale}, {a.background} background, {a.duration:g} ms "
          f"(rates after {a.transient:g} ms), dt 0.1 ms, NEST threads {a.threads}, spikeloom threads "
          f"{a.spikeloom_threads}; simulate s excludes spikeloom's compile (compile s)")
    names = list(results)
    print(f"{'':14}" + "".join(f"{n:>14}" for n in names) + ("   spikeloom/NEST" if len(names) == 2 else ""))
    rows = [("synapses", "synapses", "{:14.3e}"), ("build s", "build_s", "{:14.2f}"),
            ("compile s", "compile_s", "{:14.2f}"), ("simulate s", "sim_s", "{:14.2f}"),
            ("peak GB", "peak_gb", "{:14.2f}")]
    for label, key, fmt in rows:
        vals = [results[n][key] for n in names]
        ratio = f"{vals[0] / vals[1]:17.3f}" if len(vals) == 2 and vals[1] else ""
        print(f"{label:14}" + "".join(fmt.format(v) for v in vals) + ratio)
    for p in next(iter(results.values()))["rates"] if results else []:
        vals = [results[n]["rates"][p] for n in names]
        ratio = f"{vals[0] / vals[1]:17.3f}" if len(vals) == 2 and vals[1] else ""
        print(f"{p + ' Hz':14}" + "".join(f"{v:14.3f}" for v in vals) + ratio)


if __name__ == "__main__":
    main()
