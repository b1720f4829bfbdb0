#!/usr/bin/env python3
"""Benchmark: this machine's memory floors for spike delivery (Numba, one and two threads).

- *copy*: ``b[:] = a`` over two float64 arrays far larger than the last-level cache; GB/s counts the bytes
  read plus the bytes written (STREAM's "copy" convention).
- *scatter*: ``post[col[k]] += w[k]`` over ``--synapses`` synapses with targets drawn uniformly from ``--post``
  slots (int32 ``col``, float32 or float64 ``w`` and ``post``), in storage order: the least any delivery of
  that many stored synapses into that many targets can cost (every synapse read once, one add each).
  ns per event = time / synapses.
- *scatter, rows in random order*: the same synapses cut into rows of ``--row`` synapses, visited in a random
  order of rows (as a delivery visits the row of each spike and offset bucket), to show what the row
  boundaries cost over the stream.

Two threads split the synapses in halves, each adding into its own ``post`` array (no race; the sum of the
two arrays would be the result). Prints a markdown table, best of ``--repeats``.

    python benchmarks/bandwidth.py [--synapses 100000000] [--post 100000] [--row 25] [--repeats 3]
"""

import argparse
import time

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def copy(a, b):
    for k in range(a.shape[0]):
        b[k] = a[k]


@numba.njit(cache=True, nogil=True, parallel=True)
def copy2(a, b):
    half = a.shape[0] // 2
    for t in numba.prange(2):
        lo, hi = t * half, (a.shape[0] if t else half)
        for k in range(lo, hi):
            b[k] = a[k]


@numba.njit(cache=True, nogil=True)
def scatter(col, w, post, lo, hi):
    for k in range(lo, hi):
        post[np.uint32(col[k])] += w[k]


@numba.njit(cache=True, nogil=True, parallel=True)
def scatter2(col, w, posts):
    half = col.shape[0] // 2
    for t in numba.prange(2):
        scatter(col, w, posts[t], t * half, col.shape[0] if t else half)


@numba.njit(cache=True, nogil=True)
def scatter_rows(col, w, post, order, row, lo, hi):
    for j in range(lo, hi):
        k0 = order[j] * row
        targets, weights = col[k0:k0 + row], w[k0:k0 + row]
        for k in range(targets.shape[0]):
            post[np.uint32(targets[k])] += weights[k]


@numba.njit(cache=True, nogil=True, parallel=True)
def scatter_rows2(col, w, posts, order, row):
    half = order.shape[0] // 2
    for t in numba.prange(2):
        scatter_rows(col, w, posts[t], order, row, t * half, order.shape[0] if t else half)


def best(fn, repeats):
    fn()  # compile / warm the pages
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--synapses", type=int, default=100_000_000)
    ap.add_argument("--post", type=int, default=100_000, help="target slots (the post array's length)")
    ap.add_argument("--row", type=int, default=25, help="synapses per row for the random row order")
    ap.add_argument("--copy-mb", type=int, default=512, help="size of each copy array (MB)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    rng = np.random.default_rng(1)

    a = np.ones(args.copy_mb * 2**20 // 8)
    b = np.zeros_like(a)
    rows = [("copy", "GB/s", lambda f: 2 * a.nbytes / 1e9 / f, lambda: copy(a, b), lambda: copy2(a, b))]
    del_rows = []
    n = args.synapses - args.synapses % (2 * args.row)
    col = rng.integers(0, args.post, n, dtype=np.int32)
    order = rng.permutation(n // args.row).astype(np.int64)
    for dtype in (np.float32, np.float64):
        w = rng.random(n).astype(dtype)
        post, posts = np.zeros(args.post, dtype), np.zeros((2, args.post), dtype)
        per_event = lambda f: f / n * 1e9  # noqa: E731
        name = np.dtype(dtype).name
        del_rows += [
            (f"scatter, {name}, storage order", "ns/event", per_event,
             lambda w=w, post=post: scatter(col, w, post, 0, n), lambda w=w, posts=posts: scatter2(col, w, posts)),
            (f"scatter, {name}, rows of {args.row} in random order", "ns/event", per_event,
             lambda w=w, post=post: scatter_rows(col, w, post, order, args.row, 0, order.shape[0]),
             lambda w=w, posts=posts: scatter_rows2(col, w, posts, order, args.row)),
        ]
    print(f"{n:,} synapses into {args.post:,} targets; copy arrays {args.copy_mb} MB each; best of "
          f"{args.repeats}\n")
    print("| floor | unit | 1 thread | 2 threads |")
    print("|---|---|---|---|")
    for label, unit, conv, one, two in rows + del_rows:
        t1, t2 = best(one, args.repeats), best(two, args.repeats)
        print(f"| {label} | {unit} | {conv(t1):.3g} | {conv(t2):.3g} |", flush=True)


if __name__ == "__main__":
    main()
