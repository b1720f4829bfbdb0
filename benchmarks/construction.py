"""Construction of the Potjans & Diesmann (2014) microcircuit's synapses in spikeloom, NEST and Brian2: seconds,
synapses per second and peak memory, side by side.

The network is the published model's connectivity (``spikeloom.models.potjans2014``: 77,169 neurons in 8
populations at ``--scale 1``, about 3 x 10^8 synapses; population sizes and synapse numbers both times
``--scale``). The number of synapses of each (source, target) pair is NEST's microcircuit example's
conversion of the connection probabilities of Potjans & Diesmann 2014 (Cereb Cortex 24:785, Table 5),
``K = ln(1 - p) / ln(1 - 1 / (N_pre N_post))``; weights Normal(87.8 pA, 10 %) (inhibitory x -4, L4E -> L2/3E
doubled), delays Normal(1.5, 0.75) ms from excitatory and Normal(0.75, 0.375) ms from inhibitory populations,
redrawn below half a step and rounded to the nearest step, dt 0.1 ms. No background input is built (DC).

- spikeloom: the network and ``Runner(net)``, which builds the plan (CSR per read offset, float32 weights);
  nothing is compiled or run.
- NEST (``--nest-python``, a Python with ``nest-simulator``): ``Create``, ``Connect`` with
  ``fixed_total_number`` (autapses and multapses), then ``nest.Prepare()`` (which sorts the connections),
  ``--threads`` threads.
- Brian2 ``cpp_standalone`` (``--brian2-python``): Brian2 has no fixed total number, so each pair is connected
  with the probability that ``K`` uniform draws hit it at least once, ``1 - (1 - 1/(N_pre N_post))^K``: the
  same connected pairs in expectation, without multapses (so somewhat fewer synapses; compare synapses per
  second). Its synapses are created by the compiled program, so the table's seconds and memory are that
  program's, run for 0 ms; code generation and compilation are printed apart.

Each runs in its own process; peak memory is that process's ``ru_maxrss``. A peer whose Python is missing is
skipped. One table is printed; "x spikeloom" is the peer's seconds over spikeloom's.

    python benchmarks/construction.py --scale 0.1 --nest-python /path/nestvenv/bin/python \
        --brian2-python /path/brianvenv/bin/python
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

# the published numbers for peers without spikeloom, and a peer process that returns its JSON line
from potjans2014_vs_nest import model_table_module, run

ROOT = pathlib.Path(__file__).resolve().parent.parent

SPIKELOOM = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import spikeloom as sl
from spikeloom.models.potjans2014 import Potjans2014
scale, seed = float(sys.argv[1]), int(sys.argv[2])
t1 = time.perf_counter()
runner = sl.Runner(Potjans2014(scale, background="dc"), dt=0.1, seed=seed, precision="float32", progress=False)
t2 = time.perf_counter()
plan = runner.plan
held = sum(pg.col.nbytes + getattr(pg.weight, "nbytes", 0) + pg.rowptr.nbytes for pg in plan.pgroups)
print(json.dumps({"seconds": t2 - t1, "import_s": t1 - t0, "synapses": int(plan.n_synapses),
                  "plan_gb": held / 2**30, "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""

NEST = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[4])
from spikeloom_model_table import *  # noqa: the published numbers
import nest
scale, seed, threads = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": threads, "rng_seed": seed + 1})
t0 = time.perf_counter()
sizes = [max(1, int(round(n * scale))) for n in FULL_SIZE]
pops = {name: nest.Create("iaf_psc_exp", n, params=NEURON) for name, n in zip(POPULATIONS, sizes)}
res = nest.resolution
for source, target, n, mean, d in pathways(scale):
    nest.Connect(pops[source], pops[target],
                 {"rule": "fixed_total_number", "N": n, "allow_autapses": True, "allow_multapses": True},
                 {"synapse_model": "static_synapse",
                  "weight": nest.random.normal(mean, abs(mean) * WEIGHT_REL_STD),
                  "delay": nest.math.redraw(nest.random.normal(d, d * DELAY_REL_STD), min=0.5 * res, max=np.inf)})
nest.Prepare()
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "synapses": int(nest.GetKernelStatus("num_connections")),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
nest.Cleanup()
"""

# generates and compiles the standalone program (not run); prints its folder
BRIAN2 = r"""
import json, math, sys, time
sys.path.insert(0, sys.argv[5])
from spikeloom_model_table import *  # noqa: the published numbers
import brian2 as b2
scale, seed, threads, folder = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
b2.set_device("cpp_standalone", directory=folder, build_on_run=False)
b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{threads}"]
b2.seed(seed)
t0 = time.perf_counter()
eqs = '''dv/dt = (E_L - v) / tau_m + (I_ex + I_in) / C_m : volt (unless refractory)
         dI_ex/dt = -I_ex / tau_syn : amp
         dI_in/dt = -I_in / tau_syn : amp'''
ns = dict(E_L=NEURON["E_L"] * b2.mV, tau_m=NEURON["tau_m"] * b2.ms, C_m=NEURON["C_m"] * b2.pF,
          tau_syn=NEURON["tau_syn_ex"] * b2.ms)
sizes = [max(1, int(round(n * scale))) for n in FULL_SIZE]
pops = {name: b2.NeuronGroup(n, eqs, threshold="v > -50*mV", reset="v = -65*mV", refractory=2 * b2.ms,
                             method="exact", namespace=ns, name=name) for name, n in zip(POPULATIONS, sizes)}
net = b2.Network(*pops.values())
for source, target, n, mean, d in pathways(scale):
    kind = "ex" if source[-1] == "E" else "in"
    syn = b2.Synapses(pops[source], pops[target], "w : amp", on_pre=f"I_{kind}_post += w", name=f"{source}_{target}")
    # the probability that the fixed total number connects a pair at least once
    syn.connect(p=-math.expm1(n * math.log1p(-1.0 / (pops[source].N * pops[target].N))))
    syn.w = f"({mean} + {abs(mean) * WEIGHT_REL_STD} * randn()) * pA"
    syn.delay = f"clip({d} + {d * DELAY_REL_STD} * randn(), 0.1, 1e9) * ms"
    net.add(syn)
net.run(0 * b2.ms)
b2.device.build(directory=folder, compile=True, run=False)
print(json.dumps({"codegen_compile_s": time.perf_counter() - t0}))
"""

# runs the compiled program of BRIAN2 and measures it (its own process: ru_maxrss of the child)
RUN_BINARY = r"""
import glob, json, os, resource, subprocess, sys, time
folder = sys.argv[1]
t0 = time.perf_counter()
subprocess.run(["./main"], cwd=folder, check=True, stdout=subprocess.DEVNULL)
t1 = time.perf_counter()
# the program writes every array at its end: the presynaptic index of each synapse is one int32
pre = glob.glob(os.path.join(folder, "results", "*__synaptic_pre*"))
print(json.dumps({"seconds": t1 - t0, "synapses": sum(os.path.getsize(f) for f in pre) // 4,
                  "peak_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20}))
"""


def usable(python: str | None, module: str) -> bool:
    """Whether ``python`` exists and imports ``module`` (else the peer is skipped, saying why)."""
    if not python:
        return False
    ok = subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0
    if not ok:
        print(f"skipping {module}: {python} cannot import it", file=sys.stderr)
    return ok


def brian2(python: str, a, table: pathlib.Path) -> dict | None:
    with tempfile.TemporaryDirectory() as folder:
        made = run(python, BRIAN2, [str(a.scale), str(a.seed), str(a.threads), folder, str(table)])
        if made is None:
            return None
        ran = run(sys.executable, RUN_BINARY, [folder])
        if ran is None:
            return None
        return {**ran, "codegen_compile_s": made["codegen_compile_s"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.1, help="1.0: the full model, about 3e8 synapses")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="threads of NEST and of Brian2's compiler")
    ap.add_argument("--nest-python", default=os.environ.get("NEST_PYTHON"), help="a Python with nest installed")
    ap.add_argument("--brian2-python", default=os.environ.get("BRIAN2_PYTHON"), help="a Python with brian2")
    ap.add_argument("--skip-spikeloom", action="store_true")
    a = ap.parse_args()
    results = {}
    if not a.skip_spikeloom:
        results["spikeloom"] = run(sys.executable, SPIKELOOM, [str(a.scale), str(a.seed)])
    with tempfile.TemporaryDirectory() as tmp:
        model_table_module(pathlib.Path(tmp))
        if usable(a.nest_python, "nest"):
            results["NEST"] = run(a.nest_python, NEST, [str(a.scale), str(a.seed), str(a.threads), tmp])
        if usable(a.brian2_python, "brian2"):
            results["Brian2 standalone"] = brian2(a.brian2_python, a, pathlib.Path(tmp))
    results = {k: v for k, v in results.items() if v}
    base = results.get("spikeloom")
    print(f"Construction of the Potjans & Diesmann 2014 microcircuit, scale {a.scale:g}, dt 0.1 ms, Normal weights "
          f"and delays")
    print(f"{'':20}{'synapses':>12}{'seconds':>10}{'synapses/s':>12}{'peak GB':>9}{'x spikeloom':>13}")
    for name, r in results.items():
        ratio = f"{r['seconds'] / base['seconds']:13.2f}" if base else f"{'':13}"
        print(f"{name:20}{r['synapses']:12.4g}{r['seconds']:10.2f}{r['synapses'] / r['seconds']:12.3g}"
              f"{r['peak_gb']:9.2f}{ratio}")
    if base is not None:
        print(f"spikeloom: plan {base['plan_gb']:.3f} GB (CSR rowptr per bucket, int32 targets, float32 weights); "
              f"peak / plan {base['peak_gb'] / base['plan_gb']:.2f}; import {base['import_s']:.2f} s (not counted)")
    if "Brian2 standalone" in results:
        print(f"Brian2: code generation and compilation {results['Brian2 standalone']['codegen_compile_s']:.1f} s "
              "(not counted)")


if __name__ == "__main__":
    main()
