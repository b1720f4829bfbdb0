"""Distributed runs over MPI ranks: strong and weak scaling of the multi-area model (Joglekar et al. 2018) and of
COBA at 40 k neurons on 1 and 2 ranks, the share of time in spike exchange, and the exchange cost per interval
(latency and bandwidth of ``Allgatherv``) from which docs/scaling.md models 10-1000 ranks.

    python benchmarks/distributed.py              # needs the 'mpi' extra: pip install -e '.[mpi]'
    python benchmarks/distributed.py --quick      # 100 ms runs

Every row is a fresh ``mpiexec -n P`` (P = 1 is a plain process). "run" is the simulation loop of the slowest
rank, "exchange" its time inside exchanges (waiting for the other ranks included); spikes are checked equal to
the 1-rank run of the same model.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def worker(model: str, scale: int, duration: float) -> None:
    """Under mpiexec: build, run, and print (rank 0) one JSON line of timings."""
    from spikeloom.models.coba import COBA
    from spikeloom.models.joglekar2018 import Joglekar2018
    from spikeloom.run import Runner
    from spikeloom.run.distributed import DistributedRunner, world

    comm = world()
    t0 = time.perf_counter()
    if model == "joglekar2018":
        net = Joglekar2018("async-weak", scale=scale)
        inputs = net.inputs()
    else:
        n = 40_000 * scale
        net, inputs = COBA(int(0.8 * n), n - int(0.8 * n), p=80 / n), {"E": 20.0, "I": 20.0}
    kw = dict(dt=0.1, seed=1, inputs=inputs, progress=False, parallel=False)
    runner = Runner(net, **kw) if comm is None else DistributedRunner(net, comm=comm, **kw)
    build_s = time.perf_counter() - t0
    res = runner.run(duration)
    facts = {"spikes": int(sum(c.sum() for c in res.spike_counts.values())), "n_neurons": runner.plan.n_neurons,
             "build_s": build_s, "compile_s": res.compile_s, "run_s": res.run_s, "ranks": 1, "exchange_s": 0.0,
             "exchanges": 0, "bytes": 0}
    if comm is not None:
        ex = comm.allgather((runner.exchange_s, runner.exchanges, runner.sent_bytes))
        facts.update(ranks=comm.Get_size(), exchange_s=max(e[0] for e in ex), exchanges=ex[0][1],
                     bytes=sum(e[2] for e in ex))
        if comm.Get_rank() != 0:
            return
    print(json.dumps(facts))


def exchange_cost() -> None:
    """Under mpiexec -n 2: seconds per Allgather + Allgatherv round (the exchange's two collectives) for
    messages of 8 B to 1 MB per rank; rank 0 prints them."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    sizes, rows = np.empty(comm.Get_size(), np.int64), []
    for n in (1, 16, 256, 4096, 65536, 131072):
        buf = np.zeros(n, np.int64)
        recv = np.empty(n * comm.Get_size(), np.int64)
        reps = 2000 if n < 10_000 else 200
        for k in range(2):  # the first pass warms up
            comm.Barrier()
            t0 = time.perf_counter()
            for _ in range(reps):
                comm.Allgather(np.array([n], np.int64), sizes)
                comm.Allgatherv(buf, [recv, sizes, MPI.INT64_T])
            dt = (time.perf_counter() - t0) / reps
        rows.append((8 * n, dt))
    if comm.Get_rank() == 0:
        print(json.dumps(rows))


def _mpiexec() -> str:
    exe = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if exe is None:
        sys.exit("mpiexec not found: pip install -e '.[mpi]'")
    return exe


def _run(ranks: int, *args) -> dict | list:
    cmd = [sys.executable, __file__, *args]
    if ranks > 1:
        cmd = [_mpiexec(), "-n", str(ranks), *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worker", nargs=3, metavar=("MODEL", "SCALE", "MS"), help=argparse.SUPPRESS)
    ap.add_argument("--exchange-cost", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker[0], int(args.worker[1]), float(args.worker[2]))
    if args.exchange_cost:
        return exchange_cost()
    duration = "100" if args.quick else "300"
    print(f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {duration} ms of simulated time; "
          "run_s and exchange_s are the slowest rank's")
    print(f"{'model':<14}{'kind':<8}{'scale':>6}{'ranks':>6}{'neurons':>9}{'spikes':>8}{'same':>6}{'build_s':>9}"
          f"{'compile_s':>10}{'run_s':>8}{'speedup':>8}{'exch_s':>8}{'exch %':>8}{'exchanges':>10}{'MB':>7}")
    for model in ("joglekar2018", "coba"):
        one = _run(1, "--worker", model, "1", duration)
        rows = [("-", 1, 1, one), ("strong", 1, 2, _run(2, "--worker", model, "1", duration))]
        if model == "joglekar2018":
            rows.append(("weak", 2, 2, _run(2, "--worker", model, "2", duration)))
        for kind, scale, ranks, r in rows:
            same = "yes" if kind != "strong" or r["spikes"] == one["spikes"] else "NO"
            base = one["run_s"] * (scale if kind == "weak" else 1)
            print(f"{model:<14}{kind:<8}{scale:>6}{ranks:>6}{r['n_neurons']:>9}{r['spikes']:>8}{same:>6}"
                  f"{r['build_s']:>9.2f}{r['compile_s']:>10.2f}{r['run_s']:>8.2f}{base / r['run_s']:>8.2f}"
                  f"{r['exchange_s']:>8.2f}{100 * r['exchange_s'] / r['run_s']:>8.1f}{r['exchanges']:>10}"
                  f"{r['bytes'] / 1e6:>7.2f}")
    cost = _run(2, "--exchange-cost")
    print("\n# exchange round (Allgather of the size + Allgatherv), 2 ranks: bytes per rank -> microseconds")
    for nbytes, sec in cost:
        print(f"{nbytes:>10} B {sec * 1e6:>10.1f} us")
    (b0, t0), (b1, t1) = cost[0], cost[-1]
    print(f"# fit: latency {t0 * 1e6:.1f} us per round, {(t1 - t0) / (b1 - b0) * 1e9:.2f} ns per byte received")


if __name__ == "__main__":
    main()
