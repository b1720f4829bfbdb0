"""Compiled helpers that the generated loops call instead of carrying their own copy of the code.

Each helper is compiled once per argument types and kept in Numba's disk cache, so a network structure that
calls it compiles only its own ``run_steps`` around it: Numba types, lowers and pre-optimizes the helper once
per machine, not once per call site and structure (written out in ``run_steps`` once per projection group, the
stored delivery cost 0.25-0.4 s of compile time per copy; the DYNAP-SE chip has five).

``forceinline``: LLVM inlines the helper's optimized code at each call, so the loop runs the same machine code
as when the helper was written out in it (a call cost 3-5 % of the DYNAP-SE chip's run time). ``_nrt=False``:
no reference counting inside (a helper allocates nothing); with it, every inlined call kept an atomic
increment and decrement per array argument and step. Same code, same order of operations: results are the
same bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .prefetch import prefetch

#: (bucket, spike) rows whose bounds the stored delivery gathers before adding them (16 bytes each, stays in L1)
ROW_CHUNK = 512
#: spikes ahead whose rows the stored delivery prefetches (4-8 measured best at 10^8 synapses: nearer rows
#: arrive late, farther ones are evicted before use; benchmarks/delivery.py)
PREFETCH_ROWS = 4


def _element_pointer(context, builder, array_type, array, index):
    """Pointer to ``array[index]``, without negative-index wraparound or bounds check."""
    ary = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, ary, [index], wraparound=False)


@intrinsic
def line_elements(typingctx, array):
    """Elements of ``array`` (at least 4 bytes each, as the int32 targets) per 64-byte cache line, a constant of
    the compiled code."""
    n = 64 // max(4, array.dtype.bitwidth // 8)
    return types.intp(array), lambda context, builder, sig, args: context.get_constant(types.intp, n)


@intrinsic
def weight_at(typingctx, w, k):
    """Weight of synapse ``k``: ``w[k]`` for one weight per synapse (no wraparound: ``k >= 0``), or ``w``, the
    single weight of all (an intrinsic: no function of its own to compile)."""
    if isinstance(w, types.Array):
        def codegen(context, builder, sig, args):
            return builder.load(_element_pointer(context, builder, sig.args[0], args[0], args[1]))

        return w.dtype(w, k), codegen
    return w(w, k), lambda context, builder, sig, args: args[0]


@intrinsic
def prefetch_weight(typingctx, w, k):
    """Prefetch ``w[k]`` when there is one weight per synapse; nothing for a single weight."""
    def codegen(context, builder, sig, args):
        if isinstance(sig.args[0], types.Array):
            ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1])
            i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                                "llvm.prefetch.p0")
            builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(w, k), codegen


@numba.njit(cache=True, nogil=True, error_model="numpy", forceinline=True, _nrt=False)
def deliver(s, ring_cnt, ring_idx, offsets, rowptr, col, w, target, bounds):
    """Stored delivery of step ``s``: every spike due in an offset bucket adds its row of that bucket
    (``col[rowptr[i, b]:rowptr[i, b + 1]]``; weights ``w``, one per synapse or one for all) to ``target``, in
    the order (bucket, spike, synapse); ``bounds`` is scratch of ``(ROW_CHUNK, 2)`` int64.

    The row bounds of up to ``ROW_CHUNK`` spikes of a bucket are read first, in a loop of independent loads
    whose cache misses overlap, and only then are the rows added: read inside the add loop, each spike's
    ``rowptr`` miss waited behind the scattered adds of the previous row (per-synapse delays: one short row per
    bucket, a random ``rowptr`` and ``col`` line each; delivery alone 1.5x faster at 10^8 synapses, see
    ``benchmarks/delivery.py``). While a row is added, the rows ``PREFETCH_ROWS`` spikes ahead are prefetched
    (a hint, never a fault), so their misses overlap the adds (another 2x). The order of the additions, hence
    every sum, is unchanged. Rows are read through views indexed from 0, targets as unsigned indices: no
    negative-index wraparound. Serial on purpose: scattered adds from many spikes would race under threads.
    """
    line = line_elements(target)  # elements per cache line (int32 targets, weights)
    for b in range(offsets.shape[0]):
        r = (s - offsets[b] + ring_cnt.shape[0]) % ring_cnt.shape[0]
        spikes = ring_idx[r, :ring_cnt[r]]
        for c0 in range(0, spikes.shape[0], ROW_CHUNK):
            chunk = spikes[c0:c0 + ROW_CHUNK]
            for e in range(chunk.shape[0]):
                bounds[e, 0], bounds[e, 1] = rowptr[chunk[e], b], rowptr[chunk[e], b + 1]
            for e in range(chunk.shape[0]):
                if e + PREFETCH_ROWS < chunk.shape[0]:
                    for k in range(bounds[e + PREFETCH_ROWS, 0], bounds[e + PREFETCH_ROWS, 1] + line - 1, line):
                        prefetch(col, k)
                        prefetch_weight(w, k)
                first = bounds[e, 0]
                targets = col[first:bounds[e, 1]]
                for k in range(targets.shape[0]):
                    target[np.uint32(targets[k])] += weight_at(w, first + k)


@numba.njit(cache=True, nogil=True, forceinline=True, _nrt=False)
def apply_sections(s, ptr, start, lo, hi, val, voff, wide, Iext):
    """External input sections that start by step ``s`` set ``Iext`` (held until the next section); ``ptr[0]``
    is the next section to apply."""
    apply_sections_range(s, ptr, start, lo, hi, val, voff, wide, Iext, 0, Iext.shape[0])


@numba.njit(cache=True, nogil=True, forceinline=True, _nrt=False)
def apply_sections_range(s, ptr, start, lo, hi, val, voff, wide, Iext, first, end):
    """:func:`apply_sections` to the neurons ``[first, end)`` only (a thread's part, with a pointer of its own:
    each part passes every section)."""
    while ptr[0] < start.shape[0] and start[ptr[0]] <= s:
        q = ptr[0]
        for j in range(max(lo[q], first), min(hi[q], end)):
            Iext[j] = val[voff[q] + (j - lo[q]) * wide[q]]
        ptr[0] = q + 1


@numba.njit(cache=True, nogil=True, forceinline=True, _nrt=False)
def first_nonfinite(lo, hi, states):
    """The first neuron of ``[lo, hi)`` with a non-finite value in one of the arrays ``states`` (a tuple; ``x - x``
    is NaN for inf and NaN), or ``hi``: the report after a neuron update that counted one."""
    for i in range(lo, hi):
        for x in states:
            if x[i] - x[i] != 0.0:
                return i
    return hi


@numba.njit(cache=True, nogil=True, forceinline=True, _nrt=False)
def slot_key(c, slot_lo, shift):
    """``c + shift[q]`` for the last segment ``q`` with ``slot_lo[q] <= c`` (``slot_lo`` ascending): with
    ``shift = post_lo - slot_lo``, the post neuron of target slot ``c``; with one segment of shift 0, ``c``."""
    lo, hi = 0, slot_lo.shape[0]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if slot_lo[mid] <= c:
            lo = mid
        else:
            hi = mid
    return c + shift[lo]


@numba.njit(cache=True, nogil=True)
def rows_ascending(rowptr, col, slot_lo, shift):
    """Whether every row ``(i, b)`` (``col[rowptr[i, b]:rowptr[i, b + 1]]``) lists its targets in ascending
    order of :func:`slot_key` (called once per run, not from a loop)."""
    for i in range(rowptr.shape[0]):
        for b in range(rowptr.shape[1] - 1):
            last = -1
            for k in range(rowptr[i, b], rowptr[i, b + 1]):
                key = slot_key(col[k], slot_lo, shift)
                if key < last:
                    return False
                last = key
    return True


@numba.njit(cache=True, nogil=True)
def row_splits(rowptr, col, slot_lo, shift, first, out):
    """For the threaded delivery, called once per run (not from a loop): ``out[i, b, q, t]`` is the position in
    ``col`` of the first synapse of row ``(i, b)`` whose :func:`slot_key` is at least ``first[q, t]`` (rows
    ascending in that key); a binary search per row and bound, no memory beyond ``out``."""
    for i in range(rowptr.shape[0]):
        for b in range(rowptr.shape[1] - 1):
            for q in range(first.shape[0]):
                for t in range(first.shape[1]):
                    lo, hi = rowptr[i, b], rowptr[i, b + 1]
                    while lo < hi:
                        mid = (lo + hi) // 2
                        if slot_key(col[mid], slot_lo, shift) < first[q, t]:
                            lo = mid + 1
                        else:
                            hi = mid
                    out[i, b, q, t] = lo
