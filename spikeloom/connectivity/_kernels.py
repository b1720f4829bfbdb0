"""Compiled loops of construction: sorting and deduplicating the drawn targets of each presynaptic row, rounding
delays to steps, and the counting sort that places every synapse in the plan's CSR per (read offset, row).

Every kernel is serial and releases the GIL (``nogil``): construction runs several blocks of rows at once on
Python threads, each block with its own random stream, so the result does not depend on the number of threads.
The random numbers themselves are drawn by numpy's generators; the kernels only rearrange them.
"""

from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _insertion_sort(x):
    for i in range(1, x.size):
        v = x[i]
        j = i - 1
        while j >= 0 and x[j] > v:
            x[j + 1] = x[j]
            j -= 1
        x[j + 1] = v


@_jit
def sort_rows(cols, ptr, rows, n_choices):
    """Sort ``cols[ptr[r]:ptr[r + 1]]`` (values in ``[0, n_choices)``) in place for every ``r`` in ``rows``.

    A bucket sort: a row of ``m`` values is dealt into ``m`` equal ranges of values, then one insertion sort
    puts each value in place within its range; uniform values (what the connectors draw) leave about one value
    per range, so a row costs O(m) instead of the O(m log m) of a comparison sort."""
    longest = 0
    for r in rows:
        longest = max(longest, ptr[r + 1] - ptr[r])
    start = np.empty(longest + 1, np.int64)
    tmp = np.empty(longest, cols.dtype)
    for r in rows:
        a, b = ptr[r], ptr[r + 1]
        m = b - a
        row = cols[a:b]
        if m < 32:
            _insertion_sort(row)
            continue
        per = m / max(n_choices, 1)
        start[:m + 1] = 0
        for i in range(m):
            start[min(np.int64(row[i] * per), m - 1) + 1] += 1
        for k in range(m):
            start[k + 1] += start[k]
        for i in range(m):
            k = min(np.int64(row[i] * per), m - 1)
            tmp[start[k]] = row[i]
            start[k] += 1
        row[:] = tmp[:m]
        _insertion_sort(row)


@_jit
def repeats(cols, ptr):
    """Positions ``i`` whose value equals the one before it in the same (sorted) row."""
    n = 0
    for r in range(ptr.size - 1):
        for i in range(ptr[r] + 1, ptr[r + 1]):
            n += cols[i] == cols[i - 1]
    out = np.empty(n, np.int64)
    n = 0
    for r in range(ptr.size - 1):
        for i in range(ptr[r] + 1, ptr[r + 1]):
            if cols[i] == cols[i - 1]:
                out[n] = i
                n += 1
    return out


@_jit
def complement_rows(drawn, dptr, counts, n_choices, out):
    """Row ``r`` of ``out`` (``counts[r]`` values, sorted): the drawn distinct values ``drawn[dptr[r]:dptr[r+1]]``
    themselves, or, where fewer were drawn than ``counts[r]``, every value of ``[0, n_choices)`` not drawn."""
    o = 0
    for r in range(counts.size):
        a, b = dptr[r], dptr[r + 1]
        if b - a == counts[r]:
            out[o:o + b - a] = drawn[a:b]
            o += b - a
            continue
        i = a
        for v in range(n_choices):
            if i < b and drawn[i] == v:
                i += 1
            else:
                out[o] = v
                o += 1


@_jit
def skip_self(cols, ptr, row0):
    """Map targets drawn from ``n - 1`` values onto ``[0, n)`` without the diagonal: ``c >= row`` moves up by one
    (row ``r`` of the block is presynaptic neuron ``row0 + r``); monotone, so sorted rows stay sorted."""
    for r in range(ptr.size - 1):
        row = row0 + r
        for i in range(ptr[r], ptr[r + 1]):
            if cols[i] >= row:
                cols[i] += 1


@_jit
def nearest_steps(values, dt, out):
    """``out = floor(values / dt + 0.5)`` (NEST's rounding to the nearest step, halves up); returns the smallest
    and largest step."""
    lo, hi = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    for i in range(values.size):
        s = np.int64(np.floor(values[i] / dt + 0.5))
        out[i] = s
        lo = min(lo, s)
        hi = max(hi, s)
    return lo, hi


@_jit
def count_cells(counts, row0, steps, lag, cells):
    """``cells[offset, row] += 1`` for every synapse: row ``row0 + r`` holds ``counts[r]`` synapses, in order,
    each read at offset ``steps[j] + lag``."""
    j = 0
    for r in range(counts.size):
        for _ in range(counts[r]):
            cells[steps[j] + lag, row0 + r] += 1
            j += 1


@_jit
def scatter(counts, row0, cols, target_lo, weights, w_const, scale, steps, lag, bucket_of, fill, col_out, w_out):
    """Counting sort, second pass: synapse ``j`` (row ``row0 + r``, read offset ``steps[j] + lag``) goes to the
    next free place ``fill[bucket, row]`` of its cell, so synapses keep their order within each cell. Its
    target slot is ``cols[j] + target_lo``; its weight ``weights[j] * scale`` (``w_const * scale`` when
    ``weights`` is empty) is stored, in ``w_out``'s type, unless ``w_out`` is empty. ``steps`` of size one is
    the delay of every synapse."""
    j = 0
    one = steps.size == 1
    for r in range(counts.size):
        row = row0 + r
        for _ in range(counts[r]):
            b = bucket_of[steps[0 if one else j] + lag]
            p = fill[b, row]
            fill[b, row] = p + 1
            col_out[p] = cols[j] + target_lo
            if w_out.size:
                w_out[p] = (weights[j] if weights.size else w_const) * scale
            j += 1
