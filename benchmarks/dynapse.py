#!/usr/bin/env python3
"""DYNAP-SE emulation speed: spikeloom vs Brian2 (runtime and cpp_standalone) on the same workloads.

Workloads (1 s of chip time, dt = 100 us, forward Euler, float64):
- ``single``: the seed's protocol, one neuron, four 80 Hz inputs (NMDA 10, AMPA 5, GABA_A 1, GABA_B 2);
- ``chip``: 1024 neurons (4 cores), each with 2 input neurons (AMPA 4, NMDA 3) of 256 at 20 Hz and 2 random
  partners per synapse type within its chip (NMDA 1, AMPA 1, GABA_B 2 CAM slots: 22 of 64; recurrent
  GABA_A drives forward Euler at dt = 100 us into its unstable regime, which spikeloom refuses);
- ``4chips``: the same on 4 chips (4096 neurons).

Inputs are explicit spike times shared by both simulators, so the spike counts must agree too. spikeloom runs
in fresh processes: first with every compile cache empty ("empty": code generation and Numba compilation of
the loop, spikeloom's shared helpers and construction kernels, as on a machine's first run), then for a new
structure ("compile": the loop's cache empty, Numba's cache of the shared helpers filled, as for every later
first run), then twice more with both filled ("cached": loading the machine code; run time: the faster of the
two).

    .venv/bin/python benchmarks/dynapse.py [--only single,chip,4chips] [--no-peers] [--duration-ms 1000]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
PEER = ROOT / "benchmarks" / "peers" / "brian2_dynapse.py"
BRIAN2_PY = os.environ.get("BRIAN2_PYTHON", str(ROOT / ".peers" / "brian2" / "bin" / "python"))
DT_MS = 0.1


def trains(rng, n, rate_hz, duration_ms):
    idx, steps = np.nonzero(rng.random((n, int(round(duration_ms / DT_MS)))) < rate_hz * DT_MS * 1e-3)
    return steps * DT_MS, idx


def workload(name, duration_ms, seed=0):
    rng = np.random.default_rng(seed)
    if name == "single":
        times, idx = trains(rng, 4, 80.0, duration_ms)
        return dict(n_neurons=1, n_inputs=4, input_times_ms=times, input_indices=idx, pre=np.arange(4),
                    post=np.zeros(4, np.int64), type=np.arange(4), weight=np.array([10.0, 5.0, 1.0, 2.0]),
                    from_input=np.ones(4, bool))
    n_chips = {"chip": 1, "4chips": 4}[name]
    n = 1024 * n_chips
    n_in = 256 * n_chips
    times, idx = trains(rng, n_in, 20.0, duration_ms)
    post = np.arange(n)
    chip_of = post // 1024
    ins = rng.integers(0, 256, (n, 2)) + 256 * chip_of[:, None]
    pre = [ins[:, 0], ins[:, 1]]
    kind, weight, posts, from_input = [np.full(n, 1), np.full(n, 0)], [np.full(n, 4.0), np.full(n, 3.0)], [post, post], \
        [np.ones(n, bool), np.ones(n, bool)]
    for t, w in ((0, 1.0), (1, 1.0), (3, 2.0)):
        partners = rng.integers(0, 1024, (n, 2)) + 1024 * chip_of[:, None]
        pre.append(partners.ravel()), posts.append(np.repeat(post, 2)), kind.append(np.full(2 * n, t))
        weight.append(np.full(2 * n, w)), from_input.append(np.zeros(2 * n, bool))
    return dict(n_neurons=n, n_inputs=n_in, input_times_ms=times, input_indices=idx, pre=np.concatenate(pre),
                post=np.concatenate(posts), type=np.concatenate(kind), weight=np.concatenate(weight),
                from_input=np.concatenate(from_input))


def spikeloom_child(path, duration_ms):
    """One run of a saved workload in this process (the child of :func:`run_spikeloom`): prints its JSON."""
    sys.path.insert(0, str(ROOT))
    from spikeloom.dynapse.protocol import chip_from_workload

    wl = dict(np.load(path))
    t0 = time.perf_counter()
    chip, cores, _ = chip_from_workload(wl, integer_weights=False)
    c0 = time.process_time()
    rec = chip.run(duration_ms, dt=DT_MS, record=[(c, "spike") for c in cores])
    cpu = time.process_time() - c0  # build, compile (or cache load) and run: on a busy machine, closer than wall
    total = time.perf_counter() - t0
    spikes = sum(len(rec.spikes(c)[0]) for c in cores)
    print(json.dumps({"compile_s": rec.result.compile_s, "run_s": rec.result.run_s, "cpu_s": cpu,
                      "build_s": total - rec.result.run_s, "n_spikes": spikes}))


def run_spikeloom(path, duration_ms):
    """A run with every cache empty, one for a new structure, then two cached ones, each in a fresh process."""
    with tempfile.TemporaryDirectory() as numba_cache, tempfile.TemporaryDirectory() as empty, \
            tempfile.TemporaryDirectory() as cache:
        runs = []
        for loop_cache in (empty, cache, cache, cache):
            env = dict(os.environ, SPIKELOOM_CACHE_DIR=loop_cache, NUMBA_CACHE_DIR=numba_cache)
            proc = subprocess.run([sys.executable, __file__, "--child", str(path), "--duration-ms", str(duration_ms)],
                                  capture_output=True, text=True, env=env, check=True)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"empty_s": runs[0]["compile_s"], "compile_s": runs[1]["compile_s"],
            "cached_s": min(r["compile_s"] for r in runs[2:]), "run_s": min(r["run_s"] for r in runs[2:]),
            "cpu_s": min(r["cpu_s"] for r in runs[2:]), "n_spikes": runs[1]["n_spikes"]}


def run_brian2(path, target, duration_ms):
    proc = subprocess.run([BRIAN2_PY, str(PEER), str(path), "--target", target, "--duration-ms", str(duration_ms)],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        return {"error": proc.stderr[-500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="single,chip,4chips")
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)  # internal: run one saved workload, print its JSON
    args = ap.parse_args(argv)
    if args.child:
        return spikeloom_child(args.child, args.duration_ms)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only.split(","):
            wl = workload(name, args.duration_ms)
            path = pathlib.Path(tmp) / f"{name}.npz"
            np.savez(path, **wl)
            sl = run_spikeloom(path, args.duration_ms)
            row = {"workload": name, "neurons": int(wl["n_neurons"]), "synapses": int(wl["pre"].size), "spikeloom": sl}
            if not args.no_peers:
                for target in ("runtime", "cpp_standalone"):
                    row[target] = run_brian2(path, target, args.duration_ms)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\n1 s = {args.duration_ms:g} ms of chip time, dt 0.1 ms; run times in s (compile/build apart)\n")
    print("| workload | neurons | synapses | spikeloom run | x real time | Brian2 runtime run | cpp_standalone run "
          "| speed-up vs runtime | vs standalone | spikes (spikeloom / Brian2) "
          "| spikeloom compile: new structure (empty caches; cached) "
          "| cpp_standalone build | spikeloom CPU s (cached run, build included) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s = r["spikeloom"]
        rt, cs = r.get("runtime", {}), r.get("cpp_standalone", {})
        fmt = lambda d: f"{d['run_s']:.3f}" if "run_s" in d else "-"  # noqa: E731
        ratio = lambda d: f"{d['run_s'] / s['run_s']:.1f}x" if "run_s" in d else "-"  # noqa: E731
        build = f"{cs['build_s']:.1f}" if "build_s" in cs else "-"
        print(f"| {r['workload']} | {r['neurons']} | {r['synapses']} | {s['run_s']:.4f} | "
              f"{args.duration_ms * 1e-3 / s['run_s']:.0f} | {fmt(rt)} | {fmt(cs)} | {ratio(rt)} | {ratio(cs)} | "
              f"{s['n_spikes']} / {rt.get('n_spikes', cs.get('n_spikes', '-'))} | {s['compile_s']:.2f} "
              f"({s['empty_s']:.2f}; {s['cached_s']:.2f}) | {build} | {s['cpu_s']:.3f} |")


if __name__ == "__main__":
    main()
