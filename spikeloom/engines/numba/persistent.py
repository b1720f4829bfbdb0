"""Threads that live for a whole chunk of steps and meet once per neuron operation at a spin barrier, instead of
a fork/join of Numba's thread pool per step.

Each thread runs the same compiled loop for its own parts (thread ``me`` takes every ``threads``-th part);
each part records its own spikes into its own region of the spike ring (a start and count per ring slot and
part, ``g<i>_pring_scratch``), so no serial pass is left between two steps: one barrier per step where a
fork/join cost a fork (1.2-1.7 us on 2 cores), a join (1.0 us) and the serial recording (0.8 us at 40 k
neurons). Between chunks the rings are in their usual
form (one list per slot, in index order), so everything that reads them outside the loop is unchanged:
:func:`enter` and :func:`leave` convert.

The barrier counts arrivals with an atomic add and releases the waiters by a generation number (two cache
lines of ``sync``); a thread that waits long yields its core (``sched_yield`` every 4096 spins), so an
overloaded machine still makes progress, slowly (the automatic choice then takes the serial loop anyway).
"""

from __future__ import annotations

import platform
import threading

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: positions in ``sync`` (int64): arrivals, generation, stop (a thread failed), then the parts' non-finite
#: flags, two per part (steps alternate between them), each on a cache line of its own
COUNT, GENERATION, STOP, FLAGS = 0, 8, 16, 24


def sync_array(parts: int) -> np.ndarray:
    return np.zeros(FLAGS + 16 * parts, np.int64)


def _pointer(context, builder, array_type, array, index):
    ary = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, ary, [index], wraparound=False)


@intrinsic
def atomic_add(typingctx, array, index, value):
    """``array[index] += value`` as one atomic operation (sequentially consistent); the value before."""
    def codegen(context, builder, sig, args):
        value = context.cast(builder, args[2], sig.args[2], sig.args[0].dtype)
        return builder.atomic_rmw("add", _pointer(context, builder, sig.args[0], args[0], args[1]), value, "seq_cst")

    return array.dtype(array, index, value), codegen


@intrinsic
def atomic_load(typingctx, array, index):
    """``array[index]``, read with acquire order (int64)."""
    def codegen(context, builder, sig, args):
        return builder.load_atomic(_pointer(context, builder, sig.args[0], args[0], args[1]), "acquire", 8)

    return types.int64(array, index), codegen


@intrinsic
def atomic_store(typingctx, array, index, value):
    """``array[index] = value``, written with release order (int64)."""
    def codegen(context, builder, sig, args):
        value = context.cast(builder, args[2], sig.args[2], types.int64)
        builder.store_atomic(value, _pointer(context, builder, sig.args[0], args[0], args[1]), "release", 8)
        return context.get_dummy_value()

    return types.void(array, index, value), codegen


_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")


@intrinsic
def spin_pause(typingctx):
    """The CPU's spin-wait hint (``pause`` on x86; nothing elsewhere)."""
    def codegen(context, builder, sig, args):
        if _X86:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []),
                                                "llvm.x86.sse2.pause")
            builder.call(fn, [])
        return context.get_dummy_value()

    return types.void(), codegen


@intrinsic
def yield_core(typingctx):
    """``sched_yield()``: let another runnable thread have this core."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()

    return types.void(), codegen


@numba.njit(cache=True, nogil=True, forceinline=True, _nrt=False)
def barrier(sync, threads):
    """Wait until all ``threads`` have arrived; True if a thread failed (``sync[STOP]``), then return at once."""
    generation = atomic_load(sync, GENERATION)
    if atomic_add(sync, COUNT, 1) == threads - 1:
        atomic_store(sync, COUNT, 0)
        atomic_add(sync, GENERATION, 1)
        return False
    spins = 0
    while atomic_load(sync, GENERATION) == generation:
        if atomic_load(sync, STOP) != 0:
            return True
        spin_pause()
        spins += 1
        if spins == 4096:
            yield_core()
            spins = 0
    return False


@numba.njit(cache=True, nogil=True, forceinline=True, _nrt=False)
def any_flag(sync, threads, s):
    """Whether a part set its non-finite flag of step ``s`` (read after the step's barrier)."""
    found = 0
    for part in range(threads):
        found |= atomic_load(sync, FLAGS + 16 * part + 8 * (s & 1))
    return found != 0


@numba.njit(cache=True, nogil=True, forceinline=True, _nrt=False)
def set_flag(sync, part, s, bad):
    atomic_store(sync, FLAGS + 16 * part + 8 * (s & 1), bad)


@numba.njit(cache=True, nogil=True)
def compact(ring_idx, ring_cnt, pring):
    """Each slot's part lists joined in part order (index order) at the start of the slot: the usual rings."""
    for r in range(ring_cnt.shape[0]):
        total = 0
        for p in range(pring.shape[1]):
            first, n = pring[r, p, 0], pring[r, p, 1]
            for k in range(n):  # moves left (first >= total): in place
                ring_idx[r, total + k] = ring_idx[r, first + k]
            total += n
        ring_cnt[r] = total


def enter(arrays: dict, groups: list[int], sections: list[int]) -> None:
    """Before a chunk: each ring slot's list becomes part 0's (the others empty), in the same order; each
    part's section pointer is the shared one."""
    for gi in groups:
        pring = arrays[f"g{gi}_pring_scratch"]
        pring[:] = 0
        pring[:, 0, 1] = arrays[f"g{gi}_ring_cnt"]
    for gi in sections:
        arrays[f"in{gi}_pptr_scratch"][:] = arrays[f"in{gi}_ptr"][0]


def leave(arrays: dict, groups: list[int], sections: list[int]) -> None:
    """After a chunk: the rings in their usual form, the shared section pointer where the parts left it."""
    for gi in groups:
        compact(arrays[f"g{gi}_ring_idx"], arrays[f"g{gi}_ring_cnt"], arrays[f"g{gi}_pring_scratch"])
    for gi in sections:
        arrays[f"in{gi}_ptr"][0] = arrays[f"in{gi}_pptr_scratch"][0]


def run_threads(fn, head: tuple, threads: int, args: list, sync: np.ndarray):
    """``fn(*head, me, threads, *args)`` on ``threads`` threads (this one is ``me = 0``); the result of
    ``me = 0``. A failing thread sets ``sync[STOP]``, so the others leave their barriers, and its error is
    raised here."""
    sync[:] = 0
    errors = []

    def part(me):
        try:
            fn(*head, np.int64(me), np.int64(threads), *args)
        except BaseException as err:  # noqa: BLE001 - re-raised below, after the others stopped
            errors.append(err)
            sync[STOP] = 1

    workers = [threading.Thread(target=part, args=(me,), daemon=True) for me in range(1, threads)]
    for w in workers:
        w.start()
    try:
        result = fn(*head, np.int64(0), np.int64(threads), *args)
    except BaseException:
        sync[STOP] = 1
        raise
    finally:
        for w in workers:
            w.join()
    if errors:
        raise errors[0]
    return result
