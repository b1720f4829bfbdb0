"""Procedural connectivity and user event operators on the JAX engine (the ``"procedural"`` and ``"custom"``
operations of a plan, see :mod:`spikeloom.network.operators`).

The synapses are regenerated exactly as the CPU engine regenerates them (:mod:`spikeloom.connectivity.procedural`):
the same counter-based numbers, keyed by the same ``(seed, stream, presynaptic index, counter)``, logarithms and
weights in float64, weights rounded to the run's float type before they are added, additions in the same order.
So spike trains agree bit for bit with the CPU engine. Per step, for one projection group:

1. *Events.* The spikes of the ring slot that the smallest read offset reaches are extracted once
   (``JaxProgram._events``) into an index ring ``pidx`` (one row per ring slot, as wide as the pre group; only
   the first ``capacity`` entries of a row are written) with their count ``pcnt``; every offset bucket then
   reads its row of that ring instead of searching the flags again.
2. *Pairs.* Each (bucket, event, block of the event's population in that bucket) is a pair; the valid pairs
   of each *class* (below) are compacted in their order (bucket, event ascending, block) with ``lax.top_k``
   into a buffer of ``pairs`` rows.
3. *Candidates.* A pair of a ``ProceduralProb`` block draws ``width`` geometric gaps at counters ``0 ..
   width - 1``; positions are cumulative sums (an associative scan), those below the number of choices are
   its targets. ``width`` covers the mean plus 8 s.d. of the binomial fan-out; a pair whose last position is
   still a target may have more, and the chunk is redone with twice the width. A ``ProceduralOutDegree``
   block runs Knuth's selection sampling over every target (a scan over the targets, vectorized over pairs):
   target ``t`` is taken when ``count < k - floor(u24 (n - t) / 2**24)``, the integer form of the CPU
   engine's comparison. A ``ProceduralInDegree`` block takes the positions ``cum[cum_lo + i] ..
   cum[cum_lo + i + 1] - 1`` of its prefix sums, padded to the most slots one source owns in the class (known
   at build time, so never short), and without self-connections those of source ``i - 1`` after them; each
   position is permuted by the CPU engine's Feistel network (:func:`~spikeloom.connectivity.procedural.make_feistel`
   bound to ``jax.numpy``), cycle walking as a ``lax.while_loop`` until every slot is below ``n_post * k``
   (:func:`permute_slots`; 64-bit words when a block has ``2**32`` slots or more). Slot ``q`` is kept as on the
   CPU engine (without self-connections: post above ``i`` in the own block, below ``i`` in block ``i - 1``);
   its target is ``q // k`` and its counter ``q``.
4. *Delivery.* Weights (constant, uniform or normal) are drawn per synapse (counter: the target, or the slot
   of an in-degree) and, with jitter, delays (alias tables) keyed by the synapse's position in its row; a
   scatter-add in pair-then-candidate order adds the weights to
   the synapse state (delay 0) or to the post-side ring ``dring[(s + d) mod depth]``, which is drained into
   the state at the start of the operation.

A class groups the blocks whose target slot ranges share one candidate layout (``width`` of the
probability blocks, number of choices of the out-degree blocks, slots per source of the in-degree blocks);
every slot range belongs to one class, so each slot receives its additions in the CPU engine's order. Buffers
that were too small (events, pairs, width) are reported per step and the runner redoes the chunk with larger
ones; nothing is dropped.

A user operator (:class:`~spikeloom.connectivity.EventOperator`) gets the due spikes as a boolean array over
its presynaptic population and returns the increment of the target state.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..._errors import EngineError
from ...connectivity.procedural import (CONN_IN_DEGREE, CONN_OUT_DEGREE, CONN_PROB, UNIT24, WEIGHT_NORMAL,
                                        WEIGHT_UNIFORM, make_feistel)
from ...core.random import make_random
from .mathlib import make_xp

#: connector kinds this module regenerates
KNOWN_KINDS = (CONN_PROB, CONN_OUT_DEGREE, CONN_IN_DEGREE)
#: standard deviations of the binomial fan-out covered by the first candidate width
WIDTH_SD = 8.0
#: firing rate (Hz) for which the event and pair buffers are first sized (they grow when a chunk needs more)
PAIRS_RATE_HZ = 5.0


def _round8(x: float) -> int:
    return 8 * max(1, math.ceil(x / 8))


def alias_draw(tables, offset, n, u):
    """The draw of the alias table ``tables[offset:offset + n]`` (:func:`~spikeloom.connectivity.procedural.
    alias_table`, entries ``threshold << 32 | alias``) for the 24-bit uniform ``u`` in [0, 1), as the CPU
    engine's ``alias_draw``."""
    x = (u * UNIT24).astype(jnp.int64) * n
    entry = tables[offset + (x >> 24)]
    return jnp.where((x & (UNIT24 - 1)) < (entry >> 32), x >> 24, entry & 0xFFFFFFFF)


def prob_width(n_choices: int, log_q: float) -> int:
    """Candidates per pair for a ``ProceduralProb`` block: mean + 8 s.d. of Binomial(n, p), plus one to see
    the end of the row, at most ``n + 1``."""
    p = 1.0 - math.exp(log_q)
    mean, sd = n_choices * p, math.sqrt(n_choices * p * (1.0 - p))
    return min(n_choices + 1, _round8(mean + WIDTH_SD * sd + 1))


def _expected(mean: float) -> int:
    """A first buffer size for a Poisson count of this mean: mean + 3 s.d., rounded up to a multiple of 8."""
    return _round8(mean + 3.0 * math.sqrt(mean) + 8)


def _priority(n: int):
    """Keys ``n, n - 1, ..., 1`` for ``lax.top_k``: it then keeps the first valid entries in their order.
    Float keys are much faster on XLA:CPU and exact below 2**24."""
    return (n - jnp.arange(n)).astype(jnp.float32 if n < 2**24 else jnp.int32)


def _slot_counts(blocks: dict) -> np.ndarray:
    """``n_post * k`` slots of every fixed in-degree block, 0 for the other kinds."""
    return np.where(blocks["kind"] == CONN_IN_DEGREE, blocks["n_post"] * blocks["value"].astype(np.int64), 0)


def _wide_xp():
    """The JAX namespace with 64-bit unsigned words, reduced modulo 2**32 where the hash needs it (as the CPU
    engine computes): for blocks of ``2**32`` slots or more, whose numbers do not fit in 32 bits."""
    xp = make_xp(np.float64)
    xp.u = lambda x: x.astype(jnp.uint64) if hasattr(x, "astype") else jnp.uint64(x)
    xp.mask = lambda x: x & jnp.uint64(0xFFFFFFFF)
    return xp


def permute_slots(feistel, seed, stream, pos, m, lo_bits, hi_bits, live):
    """``permute`` of :func:`~spikeloom.connectivity.procedural.make_feistel`, vectorized: one Feistel pass on
    every position, then passes on the values still ``>= m`` until all ``live`` ones are below ``m`` (cycle
    walking as a ``lax.while_loop``; entries not ``live`` must hold a value below ``2**(lo_bits + hi_bits)``)."""
    step = lambda y: feistel(seed, stream, y, lo_bits, hi_bits)  # noqa: E731
    out = lambda y: live & (y >= m)  # noqa: E731
    return lax.while_loop(lambda y: jnp.any(out(y)), lambda y: jnp.where(out(y), step(y), y), step(pos))


class _Class:
    """Blocks of a projection group that share one candidate layout."""

    def __init__(self, blocks: np.ndarray, width: int, width_max: int, choices: int, slots: int, two_sources: bool,
                 wide: bool, w_kinds: set, jitter: bool):
        self.blocks, self.width, self.width_max, self.choices = blocks, width, width_max, choices
        # fixed in-degree: candidates per source block of slots, whether a neuron reads two blocks (no
        # self-connections), whether slot numbers need more than 32 bits
        self.slots, self.two_sources, self.wide = slots, two_sources, wide
        self.w_kinds, self.jitter = w_kinds, jitter


class OperatorKernels:
    """The procedural and custom operations of a plan, bound to one :class:`~.program.JaxProgram`."""

    def __init__(self, program):
        self.prog, plan = program, program.plan
        self.groups = [pi for pi, pg in enumerate(plan.pgroups) if pg.kind in ("procedural", "custom")]
        for pi in self.groups:
            pg = plan.pgroups[pi]
            if pg.kind == "custom" and pg.operator.jax is None:
                raise EngineError(f"projection group {pi} ({sorted(pg.projections)}): its EventOperator has no jax "
                                  "function, which the JAX engine needs (EventOperator(jax=...))")
            if pg.kind == "procedural":
                kinds = set(np.unique(pg.operator.blocks["kind"]).tolist()) - set(KNOWN_KINDS)
                if kinds:
                    raise EngineError(f"projections {sorted(pg.projections)}: procedural connector kind {sorted(kinds)} "
                                      "has no JAX kernel yet; use engine='cpu'")
        if self.groups and program.differentiable:
            raise EngineError("procedural connectivity and user operators have no surrogate-gradient form; "
                              "run them without a surrogate")
        if self.groups and not jax.config.read("jax_enable_x64"):
            # the regenerated synapses need float64 logs and weights, as on the CPU engine (process-wide switch)
            jax.config.update("jax_enable_x64", True)
        from .program import elementary_xp  # (program imports this module)

        xp64 = elementary_xp(np.float64)  # the CPU engine's logarithm and cosine, not XLA's
        self.log = xp64.log
        self.uniform, self.normal = make_random(xp64)
        self.halves, narrow, _ = make_feistel(xp64)
        # 64-bit words exist only in JAX's 64-bit mode, switched on above when there is anything to run
        self.feistel = {False: narrow, True: make_feistel(_wide_xp())[1] if self.groups else None}
        self.classes: dict[int, list[_Class]] = {}
        self.sizes: dict[tuple, int] = {}
        for pi in self.groups:
            if plan.pgroups[pi].kind == "procedural":
                self._classify(pi)

    # ---- layout ---------------------------------------------------------------------------------------------
    def _classify(self, pi: int):
        op = self.prog.plan.pgroups[pi].operator
        b = op.blocks
        active = int(op.ptr[-1, -1])  # blocks past this one (zero weight) are never visited
        choices = b["n_post"] - b["noself"]
        pre_n = np.asarray([self.prog.plan.pop_index[name][2] - self.prog.plan.pop_index[name][1]
                            for name in op.pre_names])
        layout = {}  # slot_lo -> (prob width, out-degree choices, in-degree slots of one source)
        for q in range(active):
            w, c, d = layout.get(int(b["slot_lo"][q]), (0, 0, 0))
            if b["kind"][q] == CONN_PROB:
                w = max(w, prob_width(int(choices[q]), float(b["value"][q])))
            elif b["kind"][q] == CONN_OUT_DEGREE:
                c = max(c, int(choices[q]))
            else:
                cum_lo = int(b["cum_lo"][q])
                d = max(d, 1, int(np.diff(op.cum[cum_lo:cum_lo + pre_n[q] - b["noself"][q] + 1]).max(initial=0)))
            layout[int(b["slot_lo"][q])] = (w, c, d)
        rate = PAIRS_RATE_HZ * self.prog.plan.dt * 1e-3
        slots = _slot_counts(b)
        classes = {}
        for q in range(active):
            classes.setdefault(layout[int(b["slot_lo"][q])], []).append(q)
        self.classes[pi] = []
        for k, ((width, n_choices, n_slots), qs) in enumerate(sorted(classes.items())):
            qs = np.asarray(qs)
            width_max = int(choices[qs].max()) + 1 if width else 0
            indeg = qs[b["kind"][qs] == CONN_IN_DEGREE]
            self.classes[pi].append(_Class(qs, width, width_max, n_choices, n_slots, bool(np.any(b["noself"][indeg])),
                                           bool(np.any(slots[indeg] >= 2**32)), set(b["w_kind"][qs].tolist()),
                                           bool(np.any(b["d_std"][qs] > 0))))
            self.sizes[(pi, "pairs", k)] = _expected(pre_n[qs].sum() * rate)
            self.sizes[(pi, "width", k)] = width
        # (bucket, population) keys that hold blocks: each spike of such a population is one event
        keys = np.diff(op.ptr, axis=1) > 0
        pops = self.prog.plan.groups[self.prog.plan.pgroups[pi].pre].pops
        self.sizes[(pi, "events", 0)] = _expected((keys * [hi - lo for _, lo, hi in pops]).sum() * rate)

    def key(self) -> tuple:
        """Part of the compiled program's key: the buffer sizes."""
        return tuple(sorted(self.sizes.items()))

    def static_args(self) -> dict:
        plan, a = self.prog.plan, {}
        for pi in self.groups:
            pg = plan.pgroups[pi]
            op = pg.operator
            if pg.kind == "custom":
                for k, p in enumerate(op.params):
                    a[f"pg{pi}_cp{k}"] = p
                continue
            b = op.blocks
            for f in ("pre_lo", "slot_lo", "kind", "noself", "w_kind", "d_limit", "cum_lo"):
                a[f"pg{pi}_b_{f}"] = b[f].astype(np.int32)
            a[f"pg{pi}_b_d_off"] = b["d_off"].astype(np.int64)
            a[f"pg{pi}_b_g_off"], a[f"pg{pi}_b_g_n"] = b["g_off"].astype(np.int64), b["g_n"].astype(np.int64)
            a[f"pg{pi}_alias_tables"] = op.alias_tables
            a[f"pg{pi}_b_choices"] = (b["n_post"] - b["noself"]).astype(np.int32)
            slots = _slot_counts(b)
            a[f"pg{pi}_b_slots"] = slots
            a[f"pg{pi}_b_halves"] = np.asarray([self.halves(int(m)) for m in slots], np.int32).reshape(-1, 2)
            a[f"pg{pi}_cum"] = op.cum.astype(np.int64)
            a[f"pg{pi}_b_stream"] = b["stream"].astype(np.uint32)
            for f in ("value", "w_a", "w_b", "d_mean", "d_std"):
                a[f"pg{pi}_b_{f}"] = b[f].astype(np.float64)
            a[f"pg{pi}_b_ptr"] = op.ptr.astype(np.int32)
            cls = np.full(max(len(op.names), 1), -1, np.int32)
            for k, c in enumerate(self.classes[pi]):
                cls[c.blocks] = k
            a[f"pg{pi}_b_class"] = cls
            a[f"pg{pi}_pop"] = (plan.groups[pg.pre].pop_ids - op.pop_base).astype(np.int32)
        return a

    def initial_carry(self) -> dict:
        plan, c = self.prog.plan, {}
        for pi in self.groups:
            pg = plan.pgroups[pi]
            if pg.kind != "procedural":
                continue
            g = plan.groups[pg.pre]
            c[f"pg{pi}_pidx"] = np.zeros((g.ring_depth, self._pidx_width(pi)), np.int32)
            c[f"pg{pi}_pcnt"] = np.zeros(g.ring_depth, np.int32)
            if pg.operator.jitter_depth:
                c[f"pg{pi}_dring"] = np.zeros((pg.operator.jitter_depth, int(pg.seg_n.sum())), plan.dtype)
        return c

    def _pidx_width(self, pi: int, now: int = 0) -> int:
        g = self.prog.plan.groups[self.prog.plan.pgroups[pi].pre]
        return max(now, min(self.prog.capacity[self.prog.plan.pgroups[pi].pre], g.n))

    def fit_carry(self, carry: dict) -> dict:
        """Widen the index rings to the event capacity (never narrower: their rows keep every event they
        hold). Called before each chunk, as the capacity may have grown."""
        carry = dict(carry)
        for pi in self.groups:
            name = f"pg{pi}_pidx"
            if name in carry:
                old = carry[name]
                width = self._pidx_width(pi, old.shape[1])
                if width > old.shape[1]:
                    carry[name] = jnp.pad(old, ((0, 0), (0, width - old.shape[1])))
                self.sizes[(pi, "ring", 0)] = width
        return carry

    def fits(self, ys: dict) -> bool:
        """Grow the pair buffers and candidate widths that were too small in a chunk; return whether all fit."""
        ok = True
        for key in list(self.sizes):
            pi, what, k = key
            if what == "ring":
                continue
            seen = int(np.max(ys[f"pg{pi}_{what}{k}"], initial=0))
            if what in ("pairs", "events") and seen > self.sizes[key]:
                self.sizes[key], ok = _round8(1.25 * seen), False
            elif what == "width" and seen:
                self.sizes[key], ok = min(2 * self.sizes[key], self.classes[pi][k].width_max), False
        return ok

    # ---- one step -------------------------------------------------------------------------------------------
    def deliver(self, c, a, pi, s, busiest, ys):
        if self.prog.plan.pgroups[pi].kind == "custom":
            self._custom(c, a, pi, s)
        else:
            self._procedural(c, a, pi, s, busiest, ys)

    def _custom(self, c, a, pi, s):
        pg = self.prog.plan.pgroups[pi]
        op = pg.operator
        ring = c[f"g{pg.pre}_ring"]
        flags = lax.dynamic_index_in_dim(ring, (s - int(pg.offsets[0])) % ring.shape[0], keepdims=False)
        params = [a[f"pg{pi}_cp{k}"] for k in range(len(op.params))]
        inc = op.jax(flags[op.pre_lo:op.pre_hi], s, a["seed"], *params)
        target = f"pg{pi}_{pg.synapse.spike_target}"
        c[target] = c[target].at[op.slot_lo:op.slot_lo + op.n_post].add(jnp.asarray(inc).astype(self.prog.dtype))

    def _procedural(self, c, a, pi, s, busiest, ys):
        prog, pg = self.prog, self.prog.plan.pgroups[pi]
        op = pg.operator
        target = f"pg{pi}_{pg.synapse.spike_target}"
        state = c[target]
        dring = c.get(f"pg{pi}_dring")
        if dring is not None:  # jittered spikes due now, then the row is free for step s + depth
            row = s % dring.shape[0]
            state = state + lax.dynamic_index_in_dim(dring, row, keepdims=False)
            dring = lax.dynamic_update_slice(dring, jnp.zeros((1, dring.shape[1]), dring.dtype), (row, jnp.int32(0)))

        # 1. the events of the newest slot any bucket reads, into the index ring
        ring, pidx, pcnt = c[f"g{pg.pre}_ring"], c[f"pg{pi}_pidx"], c[f"pg{pi}_pcnt"]
        depth, width = ring.shape[0], pidx.shape[1]
        row = (s - int(pg.offsets.min())) % depth
        flags = lax.dynamic_index_in_dim(ring, row, keepdims=False)
        idx, _ = prog._events(flags, min(prog.capacity[pg.pre], width))
        count = jnp.sum(flags, dtype=jnp.int32)
        busiest[pg.pre] = jnp.maximum(busiest[pg.pre], count)
        pidx = lax.dynamic_update_slice(pidx, idx.astype(jnp.int32)[None, :], (row, jnp.int32(0)))
        pcnt = pcnt.at[row].set(count)
        c[f"pg{pi}_pidx"], c[f"pg{pi}_pcnt"] = pidx, pcnt

        # 2. (bucket, event) pairs whose population has blocks in the bucket, in the CPU engine's order, then
        # (bucket, event, block) triples
        rows = (s - jnp.asarray(pg.offsets, jnp.int32)) % depth
        ev = pidx[rows]  # (buckets, width)
        pop = a[f"pg{pi}_pop"][ev]
        ptr = a[f"pg{pi}_b_ptr"]
        lo = jnp.take_along_axis(ptr, pop, axis=1)
        n_blocks = jnp.take_along_axis(ptr, pop + 1, axis=1) - lo
        has = ((jnp.arange(width)[None, :] < pcnt[rows][:, None]) & (n_blocks > 0)).ravel()
        ys[f"pg{pi}_events0"] = jnp.sum(has, dtype=jnp.int32)
        vals, sel = lax.top_k(jnp.where(has, _priority(has.shape[0]), 0), min(self.sizes[(pi, "events", 0)], has.shape[0]))
        ev, lo, n_blocks = ev.ravel()[sel], lo.ravel()[sel], jnp.where(vals > 0, n_blocks.ravel()[sel], 0)
        n_q = max(int(np.diff(op.ptr, axis=1).max(initial=0)), 1)
        j = jnp.arange(n_q, dtype=jnp.int32)[None, :]
        ok = (j < n_blocks[:, None]).ravel()
        q = jnp.minimum(lo[:, None] + j, a[f"pg{pi}_b_class"].shape[0] - 1).ravel()
        ev = jnp.broadcast_to(ev[:, None], (ev.shape[0], n_q)).ravel()
        cls = a[f"pg{pi}_b_class"][q]
        prio = _priority(ok.shape[0])
        for kc, klass in enumerate(self.classes[pi]):
            mine = ok & (cls == kc)
            ys[f"pg{pi}_pairs{kc}"] = jnp.sum(mine, dtype=jnp.int32)
            vals, sel = lax.top_k(jnp.where(mine, prio, 0), min(self.sizes[(pi, "pairs", kc)], ok.shape[0]))
            state, dring, short = self._pairs(a, pi, klass, kc, s, ev[sel], q[sel], vals > 0, state, dring)
            ys[f"pg{pi}_width{kc}"] = short
        c[target] = state
        if dring is not None:
            c[f"pg{pi}_dring"] = dring

    def _pairs(self, a, pi, klass: _Class, kc: int, s, i, q, valid, state, dring):
        """Targets, weights and delays of ``pairs`` (presynaptic neuron ``i``, block ``q``) of one class,
        scatter-added in pair order; returns the new state and ring and whether a row needed more width."""
        b = lambda f: a[f"pg{pi}_b_{f}"][q][:, None]  # noqa: E731  (one value per pair, broadcast over targets)
        seed = a["seed"]
        il = (i - b("pre_lo")[:, 0]).astype(jnp.uint32)[:, None]
        stream, choices, noself = b("stream"), b("choices"), b("noself")
        # parts: (target, counter, kept); the counter of a probability or out-degree synapse is its target
        parts, short = [], jnp.zeros((), bool)

        def by_target(t, kept):
            t = t + ((noself > 0) & (t >= il.astype(jnp.int32))).astype(jnp.int32)
            return t, t.astype(jnp.uint32), kept

        if klass.width:
            width = self.sizes[(pi, "width", kc)]
            cnt = jnp.arange(width, dtype=jnp.uint32)[None, :]
            u = self.uniform(seed, stream, il, cnt)
            n_ch = choices.astype(jnp.float64)
            # from the gap's alias table where the block has one (connectivity/procedural.py: gap_table)
            drawn = alias_draw(a[f"pg{pi}_alias_tables"], b("g_off"), b("g_n"), u).astype(jnp.float64)
            gap = jnp.where(b("g_n") > 0, drawn, jnp.floor(self.log(1.0 - u) / b("value")))
            gap = jnp.minimum(gap, n_ch)
            pos = lax.associative_scan(jnp.add, gap + 1.0, axis=1) - 1.0  # integers, exact in float64
            prob = valid[:, None] & (b("kind") == CONN_PROB)
            short = jnp.any(prob[:, 0] & (pos[:, -1] < n_ch[:, 0]))
            inside = prob & (pos < n_ch)
            parts.append(by_target(jnp.where(inside, pos, 0.0).astype(jnp.int32), inside))
        if klass.choices:
            t = jnp.arange(klass.choices, dtype=jnp.int32)[None, :]
            u24 = (self.uniform(seed, stream, il, t.astype(jnp.uint32)) * 16777216.0)
            # taken iff u24 (n - t) < (k - count) 2**24, i.e. count < k - floor(u24 (n - t) / 2**24): exact integers
            thr = b("value").astype(jnp.int32) - jnp.floor(u24 * (choices - t) / 16777216.0).astype(jnp.int32)
            thr = jnp.where(t < choices, thr, 0)

            def take(count, th):
                hit = count < th
                return count + hit, hit

            _, hits = lax.scan(take, jnp.zeros(thr.shape[0], jnp.int32), thr.T)
            parts.append(by_target(jnp.broadcast_to(t, thr.shape),
                                   valid[:, None] & (b("kind") == CONN_OUT_DEGREE) & hits.T))
        if klass.slots:
            parts.append(self._in_degree(a, pi, klass, q, il.astype(jnp.int64), valid))
        t = jnp.concatenate([p[0] for p in parts], axis=1)
        tu = jnp.concatenate([p[1] for p in parts], axis=1)
        keep = jnp.concatenate([p[2] for p in parts], axis=1)
        w_kind, w_a, w_b = b("w_kind"), b("w_a"), b("w_b")
        w = jnp.broadcast_to(w_a, t.shape)
        if WEIGHT_UNIFORM in klass.w_kinds:
            w = jnp.where(w_kind == WEIGHT_UNIFORM, w_a + (w_b - w_a) * self.uniform(seed, stream + 1, il, tu), w)
        if WEIGHT_NORMAL in klass.w_kinds:
            w = jnp.where(w_kind == WEIGHT_NORMAL, w_a + w_b * self.normal(seed, stream + 1, il, tu), w)
        w = w.astype(state.dtype)  # rounded to the run's type before it is added, as on the CPU engine
        slot = b("slot_lo") + t
        pad = state.shape[0]
        if klass.jitter:
            d_std = b("d_std")
            # keyed by the synapse's position in its row (its rank among the kept candidates), as on the CPU
            position = (jnp.cumsum(keep, axis=1) - 1).astype(jnp.uint32)
            # drawn from the block's alias table with a 24-bit uniform (connectivity/procedural.py: jitter_table)
            d = alias_draw(a[f"pg{pi}_alias_tables"], b("d_off"), b("d_limit") + 1,
                           self.uniform(seed, stream + 2, il, position))
            d = jnp.where(d_std > 0.0, d, 0).astype(jnp.int32)
            later = keep & (d > 0)
            rows = jnp.where(later, (s + d) % dring.shape[0], dring.shape[0])
            dring = dring.at[rows.ravel(), slot.ravel()].add(w.ravel(), mode="drop")
            keep = keep & (d == 0)
        state = state.at[jnp.where(keep, slot, pad).ravel()].add(w.ravel(), mode="drop")
        return state, dring, short

    def _in_degree(self, a, pi, klass: _Class, q, il, valid):
        """(target, counter, kept) of the ``ProceduralInDegree`` pairs: the permuted slots of source block
        ``il`` (its post above ``il`` without self-connections), then, without self-connections, those of block
        ``il - 1`` whose post lies below ``il``; each block padded to ``klass.slots``, in the CPU engine's order."""
        g = lambda f: a[f"pg{pi}_b_{f}"][q][:, None]  # noqa: E731
        cum, cum_lo, noself, k = a[f"pg{pi}_cum"], g("cum_lo"), g("noself") > 0, g("value").astype(jnp.int64)
        mine = valid[:, None] & (g("kind") == CONN_IN_DEGREE)
        j = jnp.arange(klass.slots, dtype=jnp.int64)[None, :]
        sources = [(il, mine & (~noself | (il < g("choices"))))]
        if klass.two_sources:
            sources.append((il - 1, mine & noself & (il > 0)))
        pos, inside = [], []
        for r, on in sources:
            lo = cum[jnp.clip(cum_lo + r, 0, cum.shape[0] - 1)]
            hi = cum[jnp.clip(cum_lo + r + 1, 0, cum.shape[0] - 1)]
            inside.append(on & (lo + j < hi))
            pos.append(jnp.where(inside[-1], lo + j, 0))  # padding permutes 0: every walk ends
        pos, inside = jnp.concatenate(pos, axis=1), jnp.concatenate(inside, axis=1)
        word = jnp.uint64 if klass.wide else jnp.uint32
        halves = a[f"pg{pi}_b_halves"][q]
        slot = permute_slots(self.feistel[klass.wide], a["seed"], g("stream"), pos.astype(word),
                             g("slots").astype(word), halves[:, :1], halves[:, 1:], inside).astype(jnp.int64)
        post = slot // jnp.maximum(k, 1)
        # own block: every slot, or without self-connections those whose post is above il; block il - 1: below
        above = jnp.concatenate([~noself | (post[:, :klass.slots] > il)] +
                                ([post[:, klass.slots:] < il] if klass.two_sources else []), axis=1)
        return post.astype(jnp.int32), slot.astype(jnp.uint32), inside & above
