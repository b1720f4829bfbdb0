#!/usr/bin/env python3
"""Benchmark: cost of stored spike delivery with per-synapse delays, against this machine's memory floor.

A balanced E/I network of LIF neurons (N_E = 0.8 N, N_I = 0.2 N; delta synapses, ``--k`` inputs per neuron
by ``FixedInDegree``: 0.8 K excitatory of ``J`` mV and 0.2 K inhibitory of ``-g J`` mV, J = 200 / K mV, g = 5),
noise and a constant drive that keep it firing steadily at about 10 Hz, with per-synapse delays drawn from
``Normal(--delay-mean, --delay-sd)`` ms (``DelayRule(below_dt="redraw")``): at dt = 0.1 ms they spread over
about 50 offset buckets, so a spike visits one short row per bucket. One thread, the Numba engine, float32.

The network is built once; after ``--warmup`` ms the script times ``--duration`` ms. Delivered synaptic
events = sum over the spikes of the run of the spiking neuron's out-degree. Reported per event:

- *run*: the whole simulation time / events;
- *delivery*: (run time - the time of the same populations without projections under the same drive, i.e. the
  neuron update, whose cost hardly depends on the rate) / events;
- *floor*: the scatter-add ``post[col[k]] += w[k]`` over the network's own stored ``col`` and weights in
  storage order into an array of the targets' size (``benchmarks/bandwidth.py``), best of 3.

``--layouts`` then replays the spikes of the timed run through delivery alone (into a zeroed target array,
checking that every layout gives the same sums) in the engine's layout and order (*pre-major*: the rows of one
presynaptic neuron contiguous, bucket after bucket, ``rowptr[i, b]``: row ``(b, i)`` is
``col[rowptr[i, b]:rowptr[i, b + 1]]``, so consecutive steps read adjacent rows of a spike; row bounds of up
to 512 spikes gathered, then rows added while the rows ``--distance`` spikes ahead are prefetched) and in the
earlier *bucket-major* layout (one CSR per offset bucket) with bounds read in the add loop, gathered, and
gathered with prefetch. The additions run in the same order in all four.

    python benchmarks/delivery.py [--n 100000] [--k 1000] [--duration 200] [--warmup 100] [--layouts]
"""

import argparse
import pathlib
import sys
import time

import numba
import numpy as np

import spikeloom as sl
from spikeloom.engines.numba.prefetch import prefetch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bandwidth import scatter  # noqa: E402

LIF = dict(tau=20.0, V_rest=0.0, V_th=20.0, V_reset=10.0, tau_ref=2.0, noise_sigma=3.0,
           init={"V": sl.Uniform(0.0, 20.0)})
DRIVE = 21.0  # mV: above threshold alone; the recurrent inhibition brings the rate down to a few Hz


def network(n: int, k: int, delay_mean: float, delay_sd: float, connected: bool = True) -> sl.Network:
    n_e = int(0.8 * n)
    E, I = sl.LIF(n_e, **LIF), sl.LIF(n - n_e, **LIF)
    net = sl.Network(E=E, I=I)
    if not connected:
        return net
    j = 200.0 / k
    delay, rule = sl.Normal(delay_mean, delay_sd), sl.DelayRule(below_dt="redraw")
    for pre, name_pre, share, weight in ((E, "E", 0.8, j), (I, "I", 0.2, -5.0 * j)):
        for post, name_post in ((E, "E"), (I, "I")):
            setattr(net, f"{name_pre}2{name_post}",
                    sl.Projection(pre, post, sl.FixedInDegree(round(share * k)), weight,
                                  synapse=sl.Delta(tau_m=20.0), output=sl.CUBA(), delay=delay, delay_rule=rule))
    return net


def out_degree(plan) -> np.ndarray:
    """Synapses of every presynaptic neuron of the single projection group, summed over offset buckets."""
    (pg,) = plan.pgroups
    return pg.rowptr[:, -1] - pg.rowptr[:, 0]


def floor_ns(plan, repeats: int = 3) -> float:
    (pg,) = plan.pgroups
    w = pg.weight if hasattr(pg.weight, "shape") else np.full(pg.col.size, pg.weight, plan.dtype)
    post = np.zeros(int(pg.col.max()) + 1, plan.dtype)
    best = float("inf")
    for _ in range(repeats + 1):  # the first call compiles
        t0 = time.perf_counter()
        scatter(pg.col, w, post, 0, pg.col.size)
        best = min(best, time.perf_counter() - t0)
    return best / pg.col.size * 1e9


@numba.njit(nogil=True)
def replay(s0, s1, offsets, ptr, pre_major, col, w, step_ptr, step_idx, post, distance):
    """Deliver the spikes of steps ``step_ptr`` / ``step_idx`` (spike of step s read at s + offset) in the
    engine's order; ``distance`` > 0 prefetches the row that many rows ahead, ``distance`` < 0 reads each row's
    bounds in the add loop (the engine before its bounds were gathered)."""
    bounds = np.empty((512, 2), np.int64)
    for s in range(s0, s1):
        for b in range(offsets.shape[0]):
            spikes = step_idx[step_ptr[s - offsets[b]]:step_ptr[s - offsets[b] + 1]]
            for c0 in range(0, spikes.shape[0], 512):
                chunk = spikes[c0:c0 + 512]
                for e in range(chunk.shape[0] if distance >= 0 else 0):
                    i = chunk[e]
                    if pre_major:
                        bounds[e, 0], bounds[e, 1] = ptr[i, b], ptr[i, b + 1]
                    else:
                        bounds[e, 0], bounds[e, 1] = ptr[b, i], ptr[b, i + 1]
                for e in range(chunk.shape[0]):
                    if distance < 0:
                        bounds[e, 0], bounds[e, 1] = ptr[b, chunk[e]], ptr[b, chunk[e] + 1]
                    if distance > 0 and e + distance < chunk.shape[0]:
                        for k in range(bounds[e + distance, 0], bounds[e + distance, 1] + 15, 16):
                            prefetch(col, k)
                            prefetch(w, k)
                    targets, weights = col[bounds[e, 0]:bounds[e, 1]], w[bounds[e, 0]:bounds[e, 1]]
                    for k in range(targets.shape[0]):
                        post[np.uint32(targets[k])] += weights[k]


def bucket_major(pg):
    """The group's synapses reordered by (bucket, presynaptic neuron), the layout before the engine's pre-major
    one, and pointers ``ptr[b, i]``: row ``(b, i)`` is ``col[ptr[b, i]:ptr[b, i + 1]]``."""
    n_pre, n_buckets = pg.rowptr.shape[0], pg.rowptr.shape[1] - 1
    counts = np.diff(pg.rowptr, axis=1)  # (pre, bucket)
    ptr = np.zeros((n_buckets, n_pre + 1), np.int64)
    np.cumsum(counts.T, axis=1, out=ptr[:, 1:])
    ptr[1:] += np.cumsum(ptr[:-1, -1])[:, None]
    # pre-major position of each synapse -> its bucket-major position (order within a row kept)
    src = np.repeat(pg.rowptr[:, :-1].ravel(), counts.ravel()) + np.arange(pg.col.size) - \
        np.repeat(np.cumsum(counts.ravel()) - counts.ravel(), counts.ravel())
    dest = np.repeat(ptr[:, :-1].T.ravel(), counts.ravel()) + np.arange(pg.col.size) - \
        np.repeat(np.cumsum(counts.ravel()) - counts.ravel(), counts.ravel())
    col, w = np.empty_like(pg.col), np.empty_like(pg.weight)
    col[dest], w[dest] = pg.col[src], pg.weight[src]
    return ptr, col, w


def layouts(plan, result, n_e, dt, warmup_steps, distance, repeats=3):
    """ns per event of delivery alone, replaying ``result``'s spikes: {layout: ns}, and the events replayed."""
    (pg,) = plan.pgroups
    steps = np.concatenate([np.round(result.spikes[p].times / dt).astype(np.int64) - 1 - warmup_steps
                            for p in ("E", "I")])
    idx = np.concatenate([result.spikes["E"].indices, n_e + result.spikes["I"].indices]).astype(np.int64)
    order = np.lexsort((idx, steps))
    steps, idx = steps[order], idx[order]
    offsets = pg.offsets.astype(np.int64)
    s0, s1 = int(offsets.max()), int(steps.max()) + 1
    step_ptr = np.searchsorted(steps, np.arange(s1 + 1))
    events = sum(int((pg.rowptr[:, b + 1] - pg.rowptr[:, b])[idx[step_ptr[s0 - o]:step_ptr[s1 - o]]].sum())
                 for b, o in enumerate(offsets))
    ptr_b, col_b, w_b = bucket_major(pg)
    post = np.zeros(int(pg.col.max()) + 1, plan.dtype)
    cases = {"bucket-major, bounds read in the add loop (first engine)": (ptr_b, False, col_b, w_b, -1),
             "bucket-major, bounds gathered": (ptr_b, False, col_b, w_b, 0),
             f"bucket-major, prefetch {distance} rows ahead": (ptr_b, False, col_b, w_b, distance),
             f"pre-major, prefetch {distance} rows ahead (engine now)": (pg.rowptr, True, pg.col, pg.weight,
                                                                          distance)}
    best, sums = {}, []
    for _ in range(repeats + 1):  # the first round compiles
        for name, (ptr, major, col, w, dist) in cases.items():
            post[:] = 0
            t0 = time.perf_counter()
            replay(s0, s1, offsets, ptr, major, col, w, step_ptr, idx, post, dist)
            best[name] = min(best.get(name, np.inf), time.perf_counter() - t0)
            sums.append(post.copy())
    if not all(np.array_equal(sums[0], x) for x in sums):
        raise AssertionError("the layouts gave different sums")
    return {name: t / events * 1e9 for name, t in best.items()}, events


def timed(runner: sl.Runner, warmup: float, duration: float):
    runner.run(warmup)
    return runner.run(duration)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--k", type=int, default=1000, help="in-degree (0.8 K excitatory, 0.2 K inhibitory)")
    ap.add_argument("--delay-mean", type=float, default=2.0, help="ms")
    ap.add_argument("--delay-sd", type=float, default=0.7, help="ms")
    ap.add_argument("--duration", type=float, default=200.0, help="timed ms")
    ap.add_argument("--warmup", type=float, default=100.0, help="ms run before timing")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs (best is reported)")
    ap.add_argument("--layouts", action="store_true", help="also replay the spikes through other layouts")
    ap.add_argument("--distance", type=int, default=4, help="rows ahead to prefetch (--layouts)")
    args = ap.parse_args()
    kw = dict(seed=1, inputs={"E": DRIVE, "I": DRIVE}, monitors=["E.spike", "I.spike"], parallel=False,
              progress=False)

    t0 = time.perf_counter()
    runner = sl.Runner(network(args.n, args.k, args.delay_mean, args.delay_sd), **kw)
    build = time.perf_counter() - t0
    plan = runner.plan
    (pg,) = plan.pgroups
    degree = out_degree(plan)
    runs = [timed(runner, args.warmup, args.duration)]
    runs += [runner.run(args.duration) for _ in range(args.repeats - 1)]  # runner.step: the end of the last
    best = min(runs, key=lambda r: r.run_s)
    n_e = int(0.8 * args.n)
    events = int(degree[best.spikes["E"].indices].sum() + degree[n_e + best.spikes["I"].indices].sum())
    spikes = len(best.spikes["E"]) + len(best.spikes["I"])
    rate = spikes / args.n / (args.duration / 1000.0)

    bare = sl.Runner(network(args.n, args.k, 0, 0, connected=False), **kw)
    bare_s = min(timed(bare, args.warmup, args.duration).run_s for _ in range(args.repeats))
    floor = floor_ns(plan)
    run_ns = best.run_s / events * 1e9
    delivery_ns = (best.run_s - bare_s) / events * 1e9

    print(f"N = {args.n:,}, K = {args.k}, {pg.col.size:,} stored synapses, {pg.offsets.size} offset buckets "
          f"(delays {pg.offsets.min() - 1}-{pg.offsets.max() - 1} steps), weights "
          f"{'per synapse' if hasattr(pg.weight, 'shape') else 'one scalar'} ({plan.dtype.name}); build "
          f"{build:.0f} s; {args.duration:g} ms timed after {args.warmup:g} ms, rate {rate:.1f} Hz, "
          f"{events:,} delivered events; best of {args.repeats}\n")
    print("| run s | without projections s | ns/event, run | ns/event, delivery | floor ns/event | "
          "delivery / floor |")
    print("|---|---|---|---|---|---|")
    print(f"| {best.run_s:.2f} | {bare_s:.2f} | {run_ns:.2f} | {delivery_ns:.2f} | {floor:.2f} | "
          f"{delivery_ns / floor:.1f} |", flush=True)
    if args.layouts:
        start = runner.step - round(args.duration / plan.dt)  # first step of the last timed run
        ns, replayed = layouts(plan, runs[-1], n_e, plan.dt, start, args.distance)
        print(f"\nDelivery alone, replaying the last timed run ({replayed:,} events):\n")
        print("| layout | ns/event | / floor |")
        print("|---|---|---|")
        for name, value in ns.items():
            print(f"| {name} | {value:.2f} | {value / floor:.1f} |", flush=True)


if __name__ == "__main__":
    main()
