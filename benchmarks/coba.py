"""COBA E/I network: spikeloom against Brian2 (runtime, cpp_standalone) and BrainPy, side by side, and scaling.

Every row runs in a fresh process; peak memory is that process's maximum resident set size. Peers run from
their own virtual environments (``bash benchmarks/peers/setup_peers.sh``); a peer whose venv is missing is
reported as such. Times are medians over ``--repeats`` runs; "compile" is spikeloom's compile or disk-cache
load, or the peer's build (code generation + compilation).

    python benchmarks/coba.py                 # 1 s and 10 s, all peers, then the scaling table
    python benchmarks/coba.py --quick         # 1 s only, no 400 k row
    python benchmarks/coba.py --threads-only  # the threads table alone (1 and 2 threads, 4 k / 40 k / 400 k)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
PEERS = ROOT / ".peers"


def run_child(cmd: list[str], env=None) -> dict:
    """Run ``cmd`` and parse the JSON object of its last stdout line (it reports its own peak RSS)."""
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def spikeloom_cmd(duration, n, fan_in, seed, engine="cpu", device=None):
    return [sys.executable, "-m", "spikeloom.cli", "run", "coba", "--duration", str(duration), "--seed", str(seed),
            "--n", str(n), "--fan-in", str(fan_in), "--engine", engine, *(["--device", device] if device else []),
            "--no-plot", "--out", tempfile.mkdtemp()]


def measure_spikeloom(duration, n, fan_in, repeats, seed=1, engine="cpu", device=None, empty=False):
    """Compile times, each in a fresh process: for a new network structure ("compile_s": the generated loop's
    cache empty, Numba's cache of spikeloom's shared helpers filled, as for every first run of a structure but
    the first on a machine), with every cache empty (``empty``: the first run on a machine, which also compiles
    the shared helpers and construction kernels), and cached."""
    cold_env = dict(os.environ, SPIKELOOM_CACHE_DIR=tempfile.mkdtemp())
    cmd = spikeloom_cmd(duration, n, fan_in, seed, engine, device)
    if empty:  # a Numba cache of its own, empty, which this first run fills for the runs below
        cold_env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp()
        empty_s = run_child(cmd, dict(cold_env, SPIKELOOM_CACHE_DIR=tempfile.mkdtemp()))["compile_s"]
    first = run_child(cmd, cold_env)  # compiles the loop of a structure the cache has not seen
    runs = [run_child(cmd, cold_env) for _ in range(repeats)]
    label = "spikeloom (Numba)" if engine == "cpu" else f"spikeloom (JAX, {first['device']})"
    return {
        "system": label, "compile_s": first["compile_s"], "spikes": first["spikes"],
        **({"empty_compile_s": empty_s} if empty else {}),
        "cached_compile_s": statistics.median(r["compile_s"] for r in runs),
        "run_s": statistics.median(r["run_s"] for r in runs),
        "peak_mb": max(r["peak_rss_mb"] for r in [first] + runs), "n_synapses": first["n_synapses"],
        "rate_e": first["rate_hz"]["E"], "threads": any(r.get("threads") for r in runs),
    }


def measure_peer(name, python, args, duration, n, fan_in, repeats):
    if not pathlib.Path(python).exists():
        return {"system": name, "missing": True}
    cmd = [str(python), *args, "--duration-ms", str(duration), "--n", str(n), "--fan-in", str(fan_in), "--seed", "1"]
    runs = [run_child(cmd) for _ in range(repeats)]
    return {"system": name, "compile_s": statistics.median(r["build_s"] for r in runs),
            "run_s": statistics.median(r["run_s"] for r in runs), "peak_mb": max(r["peak_rss_mb"] for r in runs),
            "n_synapses": runs[0]["n_synapses"], "rate_e": runs[0]["rate_hz"]["E"]}


#: one COBA run in a fresh process: serial or threaded loop (``parallel``), threads from NUMBA_NUM_THREADS
THREAD_CHILD = """
import json, os, sys, time, numba, numpy as np
import spikeloom as sl
from spikeloom.models.coba import COBA
from spikeloom.engines.numba.engine import default_parallel, runnable_now
n, parallel, duration = int(sys.argv[1]), sys.argv[2] == "1", float(sys.argv[3])
# before this run adds to the load: the load average, or the tasks runnable now if more (this one included)
load, auto = max(os.getloadavg()[0], runnable_now()), default_parallel(n)
runner = sl.Runner(COBA(n_exc=4 * n // 5, n_inh=n // 5, p=80.0 / n), dt=0.1, seed=1, parallel=parallel)
result = runner.run(duration)
print(json.dumps({"run_s": result.run_s, "compile_s": result.compile_s, "threads": numba.get_num_threads(),
                  "load": load, "auto": auto, "n_synapses": int(sum(pg.col.size for pg in runner.plan.pgroups)),
                  "state": float(np.sum(runner.get("E.V"))),
                  "spikes": int(sum(c.sum() for c in result.spike_counts.values()))}))
"""


def measure_threads(n, modes, duration, repeats, cache):
    """Median run time of ``repeats`` fresh processes (compile cache ``cache``, filled by a first run) for each
    mode, a ``(parallel, threads)`` pair. The modes take turns, run by run: this machine drifts by 5-8 % over
    an hour, and runs of one mode after the other compared its drift, not the modes."""
    cmds = [([sys.executable, "-c", THREAD_CHILD, str(n), "1" if parallel else "0", str(duration)],
             dict(os.environ, NUMBA_NUM_THREADS=str(threads), SPIKELOOM_CACHE_DIR=cache))
            for parallel, threads in modes]
    firsts = [run_child(cmd, env) for cmd, env in cmds]
    runs = [[] for _ in modes]
    for _ in range(repeats):
        for k, (cmd, env) in enumerate(cmds):
            runs[k].append(run_child(cmd, env))
    return [{**first, "run_s": statistics.median(r["run_s"] for r in rs), "runs": [r["run_s"] for r in rs],
             "load": max(r["load"] for r in rs), "auto": {r["auto"] for r in rs}} for first, rs in zip(firsts, runs)]


def threads_table(sizes, repeats):
    """Serial loop, threaded loop on 1 and on 2 threads: run times (min-max of the repeats), the load when the
    runs started (the highest of the load average and the tasks runnable then, the automatic choice's own
    test; "idle" while half a core stays free, so ~1 on 2 idle cores: the measuring runs follow each other),
    the choice ``default_parallel`` made in the 2-thread runs, and that all three give the same spikes and
    final state."""
    print(f"\n### Threads: COBA at fan-in 80 (medians of {repeats}, range in brackets)\n")
    print("| neurons | synapses | bio time (s) | serial (s) | threaded, 1 thread (s) | threaded, 2 threads (s) "
          "| 2 threads / serial | machine | automatic choice | identical |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    cache = tempfile.mkdtemp()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    for n in sizes:
        duration = 300.0 if n >= 400_000 else 1000.0
        rows = measure_threads(n, ((False, 1), (True, 1), (True, 2)), duration, repeats, cache)
        fmt = lambda r: f"{r['run_s']:.3f} [{min(r['runs']):.3f}-{max(r['runs']):.3f}]"  # noqa: E731
        load = max(r["load"] for r in rows)
        same = len({(r["state"], r["spikes"]) for r in rows}) == 1
        # as the 2-thread runs chose (with one Numba thread it is always serial); both if the load changed
        auto = "/".join(sorted("threads" if c else "serial" for c in rows[2]["auto"]))
        print(f"| {n:,} | {rows[0]['n_synapses']:,} | {duration / 1000:g} | {fmt(rows[0])} | {fmt(rows[1])} | "
              f"{fmt(rows[2])} | {rows[2]['run_s'] / rows[0]['run_s']:.2f} | "
              f"{'idle' if cores - load >= 0.5 else 'busy'} (load {load:.1f}) | {auto} | "
              f"{'yes' if same else 'NO'} |")
        sys.stdout.flush()


#: synthetic load model of one COBA step (fan-in 80, ~20 Hz), per neuron, due synapse or spike, on one core of
#: this machine, and of the thread pool: see benchmarks/README.md ("Threads") for where each number comes from
MODEL = dict(update_ns=0.69, add_ns=1.4, add_miss_ns=5.6, cached_neurons=100_000, piece_ns=1.0, record_ns=10.0,
             threaded_us=1.2, sync_us=1.1, sync_log_us=0.65, bandwidth_cores=12, rate_hz=20.0, fan_in=80,
             dt_s=1e-4)


def model_step_us(n, cores, m=MODEL):
    """Modelled time of one step (us) on ``cores`` threads: the neuron update (split by blocks, limited by
    memory bandwidth beyond ``bandwidth_cores``), the delivery (additions split by target ranges, slower once
    the targets leave the core's L2 cache; every thread reads where its piece of every due row lies), the
    recording of the spikes (each thread its own), what running side by side costs the threads (caches of
    rows both read, measured as their work over one thread's) and the one meeting of the threads per step
    (threads that live for the chunk, engines/numba/persistent.py: a barrier, and the wait for the slowest
    part, fitted to the 2-core measurement)."""
    spikes = n * m["rate_hz"] * m["dt_s"]
    share = min(cores, m["bandwidth_cores"])
    update = n * m["update_ns"] / share / 1e3
    add_ns = m["add_ns"] if n <= m["cached_neurons"] else m["add_miss_ns"]
    adds = spikes * m["fan_in"] * add_ns / share / 1e3
    pieces = 0.0 if cores == 1 else spikes * m["piece_ns"] / 1e3
    record = spikes * m["record_ns"] / cores / 1e3
    sync = 0.0 if cores == 1 else m["sync_us"] + m["sync_log_us"] * math.log2(cores)
    threaded = 0.0 if cores == 1 else m["threaded_us"]
    return update + adds + pieces + record + sync + threaded


def model_table():
    print("\n### Threads beyond this machine: synthetic load model (speed-up over 1 thread, idle cores)\n")
    cores = [1, 2, 8, 16, 32, 64]
    print("| neurons | " + " | ".join(f"{c} cores" for c in cores) + " |")
    print("|---|" + "---|" * len(cores))
    for n in (4000, 40000, 400000, 4000000):
        t1 = model_step_us(n, 1)
        print(f"| {n:,} | " + " | ".join(f"{t1 / model_step_us(n, c):.1f}x" for c in cores) + " |")


def peers(duration, repeats):
    brian2 = PEERS / "brian2" / "bin" / "python"
    brainpy = PEERS / "brainpy" / "bin" / "python"
    b2 = "benchmarks/peers/brian2_coba.py"
    rows = [
        measure_peer("Brian2 runtime (Cython)", brian2, [b2, "--target", "runtime", "--quiet"], duration, 4000, 80, repeats),
        measure_peer("Brian2 cpp_standalone, 1 thread", brian2, [b2, "--target", "cpp_standalone", "--threads", "1", "--quiet"],
                     duration, 4000, 80, repeats),
        measure_peer("Brian2 cpp_standalone, 2 threads", brian2, [b2, "--target", "cpp_standalone", "--threads", "2", "--quiet"],
                     duration, 4000, 80, repeats),
        measure_peer("BrainPy", brainpy, ["benchmarks/peers/brainpy_coba.py"], duration, 4000, 80, repeats),
    ]
    return rows


def print_table(title, ours, rows):
    print(f"\n### {title}\n")
    print("| system | compile/build (s): new structure (all caches empty; cached) | run (s) | peak RSS (MB) "
          "| E rate (Hz) | spikeloom run time / peer's |")
    print("|---|---|---|---|---|---|")
    empty = f"empty {ours['empty_compile_s']:.2f}; " if "empty_compile_s" in ours else ""
    print(f"| {ours['system']} | {ours['compile_s']:.2f} ({empty}cached {ours['cached_compile_s']:.2f}) | "
          f"{ours['run_s']:.3f} | {ours['peak_mb']:.0f} | {ours['rate_e']:.1f} | 1 |")
    for r in rows:
        if r.get("missing"):
            print(f"| {r['system']} | not installed (bash benchmarks/peers/setup_peers.sh) | | | | |")
            continue
        print(f"| {r['system']} | {r['compile_s']:.2f} | {r['run_s']:.3f} | {r['peak_mb']:.0f} | {r['rate_e']:.1f} | "
              f"{ours['run_s'] / r['run_s']:.2f} |")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1 s only, scaling without 400 k")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--threads-only", action="store_true", help="only the threads table")
    ap.add_argument("--jax-device", choices=["cpu", "gpu"], default="cpu",
                    help="device of the JAX engine rows (gpu: also the 4 k to 4 M scaling table)")
    args = ap.parse_args()
    print(f"COBA network, dt 0.1 ms, medians of {args.repeats}; machine: {os.cpu_count()} cores")
    if args.threads_only:
        threads_table([4000, 40000] if args.quick else [4000, 40000, 400000], args.repeats)
        model_table()
        return
    for duration in ([1000] if args.quick else [1000, 10000]):
        ours = measure_spikeloom(duration, 4000, 80, args.repeats, empty=True)
        jax = measure_spikeloom(duration, 4000, 80, args.repeats, engine="jax", device=args.jax_device)
        same = "same spikes" if jax["spikes"] == ours["spikes"] else "different spikes"
        jax["system"] += f" ({same} as Numba)"
        print_table(f"{duration / 1000:g} s of biological time, 4,000 neurons", ours,
                    [jax] + ([] if args.no_peers else peers(duration, args.repeats)))
    print("\n### Scaling at fan-in 80, 1 s of biological time\n")
    print("| neurons | synapses | compile (s) | run (s) | threads | peak RSS (MB) | bytes per synapse (peak RSS / synapses) |")
    print("|---|---|---|---|---|---|---|")
    for n in ([4000, 40000] if args.quick else [4000, 40000, 400000]):
        r = measure_spikeloom(1000, n, 80, 1)
        print(f"| {n:,} | {r['n_synapses']:,} | {r['compile_s']:.2f} | {r['run_s']:.2f} | "
              f"{'yes' if r['threads'] else 'no'} | {r['peak_mb']:.0f} | "
              f"{r['peak_mb'] * 2**20 / r['n_synapses']:.1f} |")
        sys.stdout.flush()
    threads_table([4000, 40000] if args.quick else [4000, 40000, 400000], args.repeats)
    model_table()
    sizes = [4000, 40000, 400000, 1000000, 4000000] if args.jax_device == "gpu" else [4000, 40000]
    print(f"\n### JAX engine ({args.jax_device}) against the Numba engine, fan-in 80, 1 s of biological time\n")
    print("| neurons | JAX compile (s) | JAX run (s) | Numba run (s) | JAX / Numba run time | peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        j = measure_spikeloom(1000, n, 80, 1, engine="jax", device=args.jax_device)
        c = measure_spikeloom(1000, n, 80, 1)
        print(f"| {n:,} | {j['compile_s']:.2f} | {j['run_s']:.2f} | {c['run_s']:.2f} | {j['run_s'] / c['run_s']:.2f} | "
              f"{j['peak_mb']:.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
