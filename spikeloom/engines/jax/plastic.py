"""Plastic projections on the JAX engine (a plan's projection groups with a
:class:`~spikeloom.network.build.PlasticGroup`), with the CPU engine's semantics and order.

The rule's ``decay``, ``on_pre`` and ``on_post`` are the same functions the CPU engine compiles, bound to the
JAX math namespace and applied to a block of synapses at once; each division is kept a division
(:func:`~.program.exact_divisions`). Per step:

- *Presynaptic events* (where the projection delivers in the schedule): the due (bucket, presynaptic neuron)
  pairs of all offset buckets at once (each bucket reads its ring slot) go through one event buffer
  (``JaxProgram._events`` over the flattened bucket x neuron flags, so in the order bucket, then neuron); their
  padded rows of synapse positions (``pg<pi>_syn``, storage order) are gathered, every one of those synapses is
  brought to the event step (``decay`` over ``(event step - last) dt``) and takes ``on_pre``, and the delivered
  weights times ``w_scale`` are scatter-added to their target slots in the order (bucket, spike, synapse), the
  CPU engine's order, so sums round alike. A synapse receives at most one presynaptic event per step. (One
  buffer for all buckets: a loop over buckets made XLA compile minutes for 30 buckets of random delays.)
- *Postsynaptic events* (right after each neuron operation of the post group): the spikes of that operation go
  through the event buffer, their padded rows of incoming synapses (``pg<pi>_in``, post-major) take ``decay``
  and ``on_post`` at event step ``s + 1``.

A step with more spikes than the event buffer is reported like a static delivery (``busiest``) and the
runner redoes the chunk with a larger buffer. The per-synapse variables are carry entries named as the CPU
engine's arrays (``pg<pi>_w``, ``pg<pi>_r_<var>``, ``pg<pi>_last``), so monitors, ``connections``,
``set_weights`` and checkpoints read and write them by the same names.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..._errors import EngineError
from ...neurons._base import argnames


def padded_rows(starts: np.ndarray, ends: np.ndarray, values: np.ndarray, pad: int) -> np.ndarray:
    """Rows ``values[starts[i]:ends[i]]`` padded with ``pad`` to the longest one (at least 1 wide), int32."""
    counts = ends - starts
    width = max(int(counts.max()) if counts.size else 0, 1)
    pos = starts[:, None] + np.arange(width)[None, :]
    valid = np.arange(width)[None, :] < counts[:, None]
    picked = values[np.clip(pos, 0, max(values.size - 1, 0))] if values.size else np.zeros(pos.shape, np.int64)
    return np.where(valid, picked, pad).astype(np.int32)


class PlasticKernels:
    """The plastic projection groups of a :class:`~.program.JaxProgram`: arrays, carry and the two pathways."""

    def __init__(self, program):
        from .program import exact_divisions  # (program imports this module)

        self.prog = program
        plan = program.plan
        self.groups = [pi for pi, pg in enumerate(plan.pgroups) if pg.plastic is not None]
        if self.groups and program.differentiable:
            names = sorted(n for n, pi in plan.proj_index.items() if pi in self.groups)
            raise EngineError(f"projection(s) {names} have plasticity, whose event-driven updates have no surrogate "
                              "gradient; run them without a surrogate (Runner(engine='jax'))")
        self.fn = {}
        for pi in self.groups:
            rule = type(plan.pgroups[pi].plastic.rule)
            fns = {"decay": rule.decay(program.xp), "pre": rule.on_pre(program.xp)}
            if rule.on_post is not None:
                fns["post"] = rule.on_post(program.xp)
            self.fn[pi] = {k: (exact_divisions(f), argnames(f)) for k, f in fns.items()}

    # ---- arrays and carry --------------------------------------------------------------------------------
    def static_args(self) -> dict:
        plan, dtype, a = self.prog.plan, self.prog.dtype, {}
        for pi in self.groups:
            pg = plan.pgroups[pi]
            pl = pg.plastic
            n = pg.col.size
            # row b * n_pre + i: the synapses of neuron i in bucket b
            a[f"pg{pi}_syn"] = padded_rows(pg.rowptr[:, :-1].T.ravel(), pg.rowptr[:, 1:].T.ravel(), np.arange(n), n)
            a[f"pg{pi}_in"] = padded_rows(pl.tptr[:-1], pl.tptr[1:], pl.tsyn, n)
            # one entry past the synapses: the padding's target, one past the target array (dropped)
            pad = plan.groups[pg.post].n if pg.synapse.in_post else int(pg.seg_n.sum())
            a[f"pg{pi}_target"] = np.append(pg.col, pad).astype(np.int32)
            a[f"pg{pi}_pre_of"] = np.append(pl.pre_of, 0).astype(np.int32)
            a[f"pg{pi}_post_of"] = np.append(pl.post_of, 0).astype(np.int32)
            a[f"pg{pi}_wscale"] = np.asarray(pl.w_scale, dtype)
            for k, v in pl.params.items():
                a[f"pg{pi}_rp_{k}"] = np.asarray(v, dtype)
        return a

    def initial_carry(self) -> dict:
        """The per-synapse variables (CPU engine names) and ``last``, the event step of each synapse's last
        update (int32: the JAX engine counts steps in 32-bit integers)."""
        c = {}
        for pi in self.groups:
            pl = self.prog.plan.pgroups[pi].plastic
            for var, values in pl.state.items():
                c[f"pg{pi}_w" if var == "w" else f"pg{pi}_r_{var}"] = np.array(values)
            c[f"pg{pi}_last"] = pl.last.astype(np.int32)
        return c

    # ---- one step ----------------------------------------------------------------------------------------
    def _event(self, c, a, pi, kind: str, syn, t_event):
        """Synapses ``syn`` (positions; ``n`` is padding) brought to event step ``t_event``, then rule function
        ``kind`` ("pre" or "post") applied; returns the delivered weights of ``"pre"`` (else None). The carry's
        variables are updated in place (padding dropped)."""
        pg = self.prog.plan.pgroups[pi]
        names = type(pg.plastic.rule).variables()
        arrays = {v: f"pg{pi}_w" if v == "w" else f"pg{pi}_r_{v}" for v in names}
        y = {v: c[arrays[v]].at[syn].get(mode="fill", fill_value=0) for v in names}
        last = c[f"pg{pi}_last"].at[syn].get(mode="fill", fill_value=0)
        elapsed = (t_event - last).astype(self.prog.dtype) * jnp.asarray(self.prog.plan.dt, self.prog.dtype)

        def value(arg):
            if arg in y:
                return y[arg]
            if arg == "elapsed":
                return elapsed
            if arg.startswith("pre_"):
                return c[f"g{pg.pre}_{arg[4:]}"][a[f"pg{pi}_pre_of"][syn]]
            if arg.startswith("post_"):
                return c[f"g{pg.post}_{arg[5:]}"][a[f"pg{pi}_post_of"][syn]]
            return a[f"pg{pi}_rp_{arg}"]

        for fn_kind in ("decay", kind):
            fn, args = self.fn[pi][fn_kind]
            out = fn(*[value(x) for x in args])
            out = out if isinstance(out, tuple) else (out,)
            y = {v: jnp.broadcast_to(x, syn.shape).astype(self.prog.dtype) for v, x in zip(names, out)}
        for v in names:
            c[arrays[v]] = c[arrays[v]].at[syn].set(y[v], mode="drop")
        c[f"pg{pi}_last"] = c[f"pg{pi}_last"].at[syn].set(jnp.broadcast_to(t_event, syn.shape), mode="drop")
        return jnp.broadcast_to(out[len(names)], syn.shape).astype(self.prog.dtype) if kind == "pre" else None

    def deliver(self, c, a, pi, s, busiest):
        """Presynaptic events of plastic group ``pi`` in step ``s`` (see the module)."""
        prog = self.prog
        pg = prog.plan.pgroups[pi]
        target = f"g{pg.post}_{pg.synapse.spike_target}" if pg.synapse.in_post else f"pg{pi}_{pg.synapse.spike_target}"
        ring = c[f"g{pg.pre}_ring"]
        flags = ring[(s - jnp.asarray(pg.offsets, jnp.int32)) % ring.shape[0]].ravel()  # bucket-major
        idx, valid = prog._events(flags, min(prog.capacity[pg.pre], flags.shape[0]))
        syn = jnp.where(valid[:, None], a[f"pg{pi}_syn"][idx], pg.col.size)
        dlv = self._event(c, a, pi, "pre", syn, s + 1 - pg.plastic.lag)
        c[target] = c[target].at[a[f"pg{pi}_target"][syn].ravel()].add((dlv * a[f"pg{pi}_wscale"]).ravel(),
                                                                       mode="drop")
        # the buffer holds the events of all buckets: the pre group's buffer grows to the most of them
        busiest[pg.pre] = jnp.maximum(busiest[pg.pre], jnp.sum(flags, dtype=jnp.int32))

    def post(self, c, a, gi, lo, hi, s, busiest):
        """Postsynaptic events: the spikes of neuron operation ``[lo, hi)`` of group ``gi`` in step ``s``."""
        prog = self.prog
        for pi in self.groups:
            if prog.plan.pgroups[pi].post != gi or "post" not in self.fn[pi]:
                continue
            ring = c[f"g{gi}_ring"]
            flags = ring[s % ring.shape[0]]
            if lo > 0 or hi < flags.shape[0]:
                order = jnp.arange(flags.shape[0])
                flags = flags & (order >= lo) & (order < hi)
            idx, valid = prog._events(flags, min(prog.capacity[gi], flags.shape[0]))
            syn = jnp.where(valid[:, None], a[f"pg{pi}_in"][idx], prog.plan.pgroups[pi].col.size)
            self._event(c, a, pi, "post", syn, s + 1)
            busiest[gi] = jnp.maximum(busiest[gi], jnp.sum(flags, dtype=jnp.int32))
