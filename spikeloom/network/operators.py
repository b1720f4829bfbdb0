"""Plan entries of the event-driven operators that store no synapses: procedural blocks and user operators.

Both are engine-neutral numpy descriptions attached to a :class:`~spikeloom.network.build.ProjectionGroup`
(its ``operator``); the group keeps its synapse state and segments as for stored connectivity, and the
schedule names the operation ``"procedural"`` or ``"custom"`` instead of ``"projections"``.

- :class:`ProceduralBlocks`: one *block* per procedural projection (pre population -> post population, one
  connector, one weight law, one delay law). Blocks are sorted by (read offset bucket, pre population), and
  ``ptr[b, p]:ptr[b, p + 1]`` lists the blocks of bucket ``b`` whose pre population is the ``p``-th of the pre
  neuron group, so a spike finds its blocks without a search. Projections with delay jitter deliver into a
  post-side ring of ``jitter_depth`` rows (one value per synapse-state slot and future step), read back into
  the synapse state when its step comes. A fixed in-degree block keeps the prefix sums of its per-neuron slot
  counts in ``cum[cum_lo:cum_lo + n_src + 1]`` (one array for all blocks; other blocks have ``cum_lo`` 0).
- :class:`CustomOperator`: one user function (:class:`~spikeloom.connectivity.operators.EventOperator`) with
  its parameter arrays, its pre range and its target slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..connectivity.procedural import (CONN_PROB, JITTER_TRUNCATION, UNIT24, WEIGHT_CONST, gap_table, jitter_table,
                                       projection_stream, weight_values)

BLOCK_FIELDS = ("pre_lo", "slot_lo", "n_post", "kind", "value", "noself", "stream", "w_kind", "w_a", "w_b",
                "d_mean", "d_std", "d_limit", "cum_lo")
#: the Numba engine deals the blocks to this many parts by their first target slot (equal slot ranges); the
#: parts add into disjoint slots and run on threads in a parallel run
PROCEDURAL_PARTS = 8
_INT_FIELDS = {"pre_lo", "slot_lo", "n_post", "kind", "noself", "stream", "w_kind", "d_limit", "cum_lo"}


@dataclass
class ProceduralBlocks:
    blocks: dict[str, np.ndarray]  # BLOCK_FIELDS -> one value per block
    ptr: np.ndarray  # (n_buckets, n_pre_pops + 1) int64
    pop_base: int  # global id of the pre group's first population
    jitter_depth: int  # rows of the post-side ring (0: no projection has jitter)
    names: list[str]  # projection of every block
    pre_names: list[str]  # its presynaptic population
    n_synapses: float  # expected number of synapses
    max_post: int
    cum: np.ndarray  # prefix sums of the fixed in-degree blocks, concatenated (int64)
    max_row: int  # most synapses one presynaptic neuron has in one block (bounds the target scratch)
    # alias tables (connectivity/procedural.py: alias_table) of the jittered delays and of the gaps of the
    # probabilities, concatenated (entry 0 unused): block ``q``'s delays ``[d_off[q], d_off[q] + d_limit[q] + 1)``,
    # its gaps ``[g_off[q], g_off[q] + g_n[q])`` (``g_n`` 0: no table, the gaps are logarithms)
    alias_tables: np.ndarray

    def engine_arrays(self, n_slots: int, dtype) -> dict[str, np.ndarray]:
        out = {f"b_{k}": v for k, v in self.blocks.items()}
        out["b_ptr"] = self.ptr
        out["b_pop_base"] = np.array([self.pop_base], np.int64)
        # one row of counters (and of delays) per part: the parts run on threads (engines/numba/codegen.py)
        out["scratch"] = np.zeros((PROCEDURAL_PARTS, max(self.max_row, 1)), np.int64)
        out["b_part"] = self.blocks["slot_lo"] * PROCEDURAL_PARTS // max(n_slots, 1)
        out["cum"] = self.cum
        out["alias_tables"] = self.alias_tables
        if self.jitter_depth:
            out["dring"] = np.zeros((self.jitter_depth, n_slots), dtype)
            out["dscratch"] = np.zeros((PROCEDURAL_PARTS, max(self.max_row, 1)), np.int64)
        return out


@dataclass
class CustomOperator:
    numba: object
    jax: object
    params: list[np.ndarray]
    pre_lo: int
    pre_hi: int
    slot_lo: int
    n_post: int
    n_synapses: float

    def engine_arrays(self, n_slots: int, dtype) -> dict[str, np.ndarray]:
        out = {f"cp{k}": p for k, p in enumerate(self.params)}
        out["c_range"] = np.array([self.pre_lo, self.pre_hi, self.slot_lo, self.n_post], np.int64)
        out["scratch"] = np.zeros(max(self.pre_hi - self.pre_lo, 1), np.int32)
        return out


def read_offset(proj, dt: float, lag: int) -> int:
    steps = proj.delay / dt
    if abs(steps - round(steps)) > 1e-6:
        raise ModelDefinitionError(f"projection {proj.name!r}: delay {proj.delay} ms is not a multiple of dt = {dt} ms")
    return int(round(steps)) + lag


def build_procedural(per_proj, n_pre_pops: int, pop_base: int, dt: float, seed: int
                     ) -> tuple[ProceduralBlocks, np.ndarray]:
    """Blocks of ``per_proj`` = [(projection, pre_lo, pre pop index in group, slot_lo, n_post, w_scale, lag)];
    ``seed`` draws what a connector fixes at build time (the slot counts of a fixed in-degree).

    Returns the blocks and the read offset of every bucket."""
    rows, keys, names, total = [], [], [], 0.0
    cums, cum_size, max_row = [np.zeros(1, np.int64)], 1, 0
    for proj, pre_lo, pre_pop, slot_lo, n_post, w_scale, lag in per_proj:
        kind, value = proj.conn.plan_values(n_post)
        w_kind, w_a, w_b = weight_values(proj.weight, f"projection {proj.name!r}")
        w_a, w_b = w_a * w_scale, w_b * w_scale  # bounds, or mean and std, scale alike
        std = proj.delay_std / dt
        if std > 0:
            low = max(0, int(np.floor(proj.delay / dt - JITTER_TRUNCATION * std)))
            offset = low + lag
            d_mean, d_limit = proj.delay / dt - low, int(np.ceil(proj.delay / dt + JITTER_TRUNCATION * std)) - low
        else:
            offset, d_mean, d_limit = read_offset(proj, dt, lag), 0.0, 0
        noself = int(proj.pre is proj.post and not proj.conn.allow_self)
        stream = projection_stream(proj.name)
        cum = proj.conn.prefix_sums(proj.pre.n, n_post, bool(noself), np.random.default_rng([seed, stream]))
        cum_lo = 0
        if cum is None:
            max_row = max(max_row, n_post)
        else:
            # without self-connections a neuron collects two consecutive blocks of slots
            counts = np.diff(cum)
            longest = counts[:-1] + counts[1:] if noself and counts.size > 1 else counts
            max_row = max(max_row, int(longest.max(initial=0)), int(counts.max(initial=0)))
            cums.append(cum)
            cum_lo, cum_size = cum_size, cum_size + cum.size
        rows.append((pre_lo, slot_lo, n_post, kind, value, noself, stream, w_kind, w_a, w_b, d_mean, std, d_limit,
                     cum_lo))
        keys.append((offset, pre_pop))
        names.append(proj.name)
        total += proj.conn.expected_synapses(proj.pre.n, n_post)
    # a block whose weight is exactly zero (e.g. an area pair without FLN) delivers nothing: it stays in the
    # plan for materialize, after every bucket's range, and no spike visits it
    silent = [rows[r][7] == WEIGHT_CONST and rows[r][8] == 0.0 for r in range(len(rows))]
    order = sorted(range(len(rows)), key=lambda r: (silent[r], keys[r]))
    offsets = np.asarray(sorted({k[0] for k, quiet in zip(keys, silent) if not quiet} or {keys[0][0]}), np.int64)
    counts = np.zeros((offsets.size, n_pre_pops), np.int64)
    for (off, pop), quiet in zip(keys, silent):
        if not quiet:
            counts[np.searchsorted(offsets, off), pop] += 1
    flat = np.concatenate([[0], np.cumsum(counts.ravel())])
    ptr = np.empty((offsets.size, n_pre_pops + 1), np.int64)
    for b in range(offsets.size):
        ptr[b] = flat[b * n_pre_pops:(b + 1) * n_pre_pops + 1]
    blocks = {f: np.asarray([rows[r][j] for r in order], dtype=np.int64 if f in _INT_FIELDS else np.float64)
              for j, f in enumerate(BLOCK_FIELDS)}
    active = ~np.asarray([silent[r] for r in order])
    depth = int(blocks["d_limit"][active].max()) + 1 if np.any(blocks["d_std"][active] > 0) else 0
    blocks["d_off"], blocks["g_off"], blocks["g_n"], alias_tables = _alias_tables(blocks)
    return ProceduralBlocks(blocks=blocks, ptr=ptr, pop_base=pop_base, jitter_depth=depth,
                            names=[names[r] for r in order], pre_names=[per_proj[r][0].pre.name for r in order],
                            n_synapses=total, max_post=int(blocks["n_post"].max()), cum=np.concatenate(cums),
                            max_row=max_row, alias_tables=alias_tables), offsets


def _alias_tables(blocks: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each block's offsets into the concatenated alias tables of its jittered delays and of its gaps (blocks
    of one law share a table; entry 0 is a placeholder, the offset of blocks without one), the sizes of the
    gap tables (0: none), and the tables."""
    n_blocks = blocks["d_std"].size
    d_off, g_off, g_n = (np.zeros(n_blocks, np.int64) for _ in range(3))
    parts, seen, size = [np.full(1, UNIT24 << 32, np.int64)], {}, 1

    def place(law, make) -> tuple[int, int]:
        nonlocal size
        if law not in seen:
            table = make()
            seen[law] = (size, table.size)
            parts.append(table)
            size += table.size
        return seen[law]

    for q in range(n_blocks):
        if blocks["d_std"][q] > 0:
            law = (float(blocks["d_mean"][q]), float(blocks["d_std"][q]), int(blocks["d_limit"][q]))
            d_off[q] = place(("delay", *law), lambda: jitter_table(*law))[0]
        if blocks["kind"][q] == CONN_PROB:
            log_q = float(blocks["value"][q])
            g_off[q], g_n[q] = place(("gap", log_q), lambda: gap_table(log_q))
    return d_off, g_off, g_n, np.concatenate(parts)


def build_custom(proj, pre_lo: int, slot_lo: int, n_post: int, dt: float, lag: int) -> tuple[CustomOperator, np.ndarray]:
    op = proj.conn
    return (CustomOperator(numba=op.numba, jax=op.jax, params=op.params, pre_lo=pre_lo, pre_hi=pre_lo + proj.pre.n,
                           slot_lo=slot_lo, n_post=n_post, n_synapses=op.n_synapses),
            np.asarray([read_offset(proj, dt, lag)], np.int64))
