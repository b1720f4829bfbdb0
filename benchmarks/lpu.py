"""The LPU manager: the intro demo on each engine, and the composition overhead of N LPUs vs one.

Demo rows: ``spikeloom run lpu-demo``'s two LPUs (seeds 1, 2) run unconnected and connected, side by side in
one network (four LPUs), for ``--demo-s`` seconds of simulated time (dt 0.1 ms) on each engine, compile apart
(a first run compiles, or loads the cache); the run time includes streaming the HDF5 outputs. The JAX rows
name JAX's device (``cpu``, or ``gpu`` where one is present). Composition rows: N generic LPUs of M neurons whose output ports
feed the next LPU's input ports (a chain of one-way patterns) vs one LPU holding the disjoint union of the same
N graphs; overhead = composed / single - 1 of the run time.

    python benchmarks/lpu.py [--engines cpu,jax] [--demo-s 1.0] [--steps 5000] [--sizes 2,8,32] [--m 10]

Run it with ``PYTHONPATH`` pointing at another checkout to compare versions (``before``/``after`` rows of
``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import networkx as nx

from spikeloom import SpikeloomError
from spikeloom.lpu import GenericLPU, Manager
from spikeloom.lpu.demo import generic_lpu_graph, intro_demo, one_way_pattern

DT = 1e-4


def demo(engine: str, duration: float) -> float:
    """Run time (s) of the demo's two runs."""
    with tempfile.TemporaryDirectory() as out:
        return intro_demo(out, duration=duration, seeds=(1, 2), engine=engine)["connected"]["timings"]["run_s"]


def label(engine: str) -> str:
    """The engine, and for JAX the device it runs on."""
    if engine != "jax":
        return engine
    import jax

    return f"jax ({jax.default_backend()})"


def composed(n: int, m: int, steps: int, engine: str) -> float:
    man = Manager(DT)
    lpus = [man.add(GenericLPU(generic_lpu_graph(i, f"lpu_{i}", (m, m, m)), DT, f"lpu_{i}")) for i in range(n)]
    for a, b in zip(lpus, lpus[1:]):
        man.connect(a, b, one_way_pattern(a, b))
    man.run(10, engine=engine)
    t0 = time.perf_counter()
    man.run(steps, engine=engine)
    return time.perf_counter() - t0


def single(n: int, m: int, steps: int, engine: str) -> float:
    graph = nx.disjoint_union_all([generic_lpu_graph(i, f"lpu_{i}", (m, m, m)) for i in range(n)])
    man = Manager(DT)
    man.add(GenericLPU(graph, DT, "all"))
    man.run(10, engine=engine)
    t0 = time.perf_counter()
    man.run(steps, engine=engine)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--sizes", default="2,8,32")
    ap.add_argument("--m", type=int, default=10, help="neurons per population (3 populations per LPU)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default="cpu,jax")
    ap.add_argument("--demo-s", type=float, default=1.0, help="simulated seconds of the demo rows (0: none)")
    args = ap.parse_args()
    engines = args.engines.split(",")
    if args.demo_s:
        print("| engine | demo run (s), min / median / max | us per step (min) |")
        print("|---|---|---|")
        for engine in engines:
            try:
                demo(engine, args.demo_s)  # compiles (or loads the cache)
                times = [demo(engine, args.demo_s) for _ in range(args.repeat)]
            except SpikeloomError as err:
                print(f"| {label(engine)} | refused: {err} | |")
                continue
            print(f"| {label(engine)} | {min(times):.3f} / {statistics.median(times):.3f} / {max(times):.3f} | "
                  f"{min(times) / (args.demo_s / DT) * 1e6:.1f} |")
    if not args.sizes:
        return
    print("| engine | N LPUs | neurons per LPU | composed (s) | single LPU (s) | us per step composed | overhead |")
    print("|---|---|---|---|---|---|---|")
    for engine in engines:
        for n in map(int, args.sizes.split(",")):
            tc = min(composed(n, args.m, args.steps, engine) for _ in range(args.repeat))
            ts = min(single(n, args.m, args.steps, engine) for _ in range(args.repeat))
            print(f"| {label(engine)} | {n} | {3 * args.m} | {tc:.3f} | {ts:.3f} | {tc / args.steps * 1e6:.1f} | "
                  f"{100 * (tc / ts - 1):+.1f} % |")


if __name__ == "__main__":
    main()
