"""Composition overhead of the LPU manager: N generic LPUs of M neurons vs one LPU holding all N*M neurons.

The composed run routes every LPU's output ports into the next LPU's input ports (a chain of one-way
patterns) and calls N LPU steps per step; the single LPU is the disjoint union of the same N graphs (same
neurons and synapses, no ports routed). Overhead = composed / single - 1 of the run time (compile apart).

    python benchmarks/lpu.py [--steps 5000] [--sizes 2,8,32] [--m 10]
"""

from __future__ import annotations

import argparse
import time

import networkx as nx

from spikeloom.lpu import GenericLPU, Manager
from spikeloom.lpu.demo import generic_lpu_graph, one_way_pattern

DT = 1e-4


def composed(n: int, m: int, steps: int) -> float:
    man = Manager(DT)
    lpus = [man.add(GenericLPU(generic_lpu_graph(i, f"lpu_{i}", (m, m, m)), DT, f"lpu_{i}")) for i in range(n)]
    for a, b in zip(lpus, lpus[1:]):
        man.connect(a, b, one_way_pattern(a, b))
    man.run(10)
    t0 = time.perf_counter()
    man.run(steps)
    return time.perf_counter() - t0


def single(n: int, m: int, steps: int) -> float:
    graph = nx.disjoint_union_all([generic_lpu_graph(i, f"lpu_{i}", (m, m, m)) for i in range(n)])
    man = Manager(DT)
    man.add(GenericLPU(graph, DT, "all"))
    man.run(10)
    t0 = time.perf_counter()
    man.run(steps)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--sizes", default="2,8,32")
    ap.add_argument("--m", type=int, default=10, help="neurons per population (3 populations per LPU)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("| N LPUs | neurons per LPU | composed (s) | single LPU (s) | us per step composed | overhead |")
    print("|---|---|---|---|---|---|")
    for n in map(int, args.sizes.split(",")):
        tc = min(composed(n, args.m, args.steps) for _ in range(args.repeat))
        ts = min(single(n, args.m, args.steps) for _ in range(args.repeat))
        print(f"| {n} | {3 * args.m} | {tc:.3f} | {ts:.3f} | {tc / args.steps * 1e6:.1f} | {100 * (tc / ts - 1):+.1f} % |")


if __name__ == "__main__":
    main()
