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
from ...plasticity._base import needs_post_events


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
            fns = plan.pgroups[pi].plastic.rule.functions(program.xp)
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
            a[f"pg{pi}_xslot"] = np.append(pl.xslot, 0).astype(np.int32)
            a[f"pg{pi}_post_of"] = np.append(pl.post_of, 0).astype(np.int32)
            a[f"pg{pi}_wscale"] = np.asarray(pl.w_scale, dtype)
            for k, v in pl.params.items():
                a[f"pg{pi}_rp_{k}"] = np.asarray(v, dtype)
        return a

    def initial_carry(self) -> dict:
        """The per-synapse variables and traces (CPU engine names), ``last``, the event step of each synapse's
        last update, and the traces' ``xlast_pre`` / ``xlast_post`` (int32: the JAX engine counts steps in
        32-bit integers)."""
        c = {}
        for pi in self.groups:
            pl = self.prog.plan.pgroups[pi].plastic
            for var, values in pl.state.items():
                c[f"pg{pi}_w" if var == "w" else f"pg{pi}_r_{var}"] = np.array(values)
            for var, values in pl.traces.items():
                c[f"pg{pi}_x_{var}"] = np.array(values)
            c[f"pg{pi}_last"] = pl.last.astype(np.int32)
            c[f"pg{pi}_xlast_pre"] = pl.pre_last.astype(np.int32)
            c[f"pg{pi}_xlast_post"] = pl.post_last.astype(np.int32)
        return c

    # ---- one step ----------------------------------------------------------------------------------------
    def _call(self, c, a, pi, kind: str, values: dict, pre, post):
        """Rule function ``kind`` with its arguments by name: ``values`` (variables, traces, ``elapsed``), the
        neurons' state at indices ``pre`` / ``post``, the parameters; its results as a tuple."""
        pg = self.prog.plan.pgroups[pi]

        def value(arg):
            if arg in values:
                return values[arg]
            if arg.startswith("pre_") and arg not in pg.plastic.params:
                return c[f"g{pg.pre}_{arg[4:]}"][pre]
            if arg.startswith("post_") and arg not in pg.plastic.params:
                return c[f"g{pg.post}_{arg[5:]}"][post]
            return a[f"pg{pi}_rp_{arg}"]

        fn, args = self.fn[pi][kind]
        out = fn(*[value(x) for x in args])
        return out if isinstance(out, tuple) else (out,)

    def _traces(self, c, a, pi, side: str, slots, t_event) -> dict:
        """The ``side`` traces of ``slots`` (padding: past the end, read as 0) decayed to event step
        ``t_event`` (not stored; trace times the rule's factor), by name."""
        names = list(getattr(type(self.prog.plan.pgroups[pi].plastic.rule), f"{side}_traces"))
        if not names:
            return {}
        dtype = self.prog.dtype
        last = c[f"pg{pi}_xlast_{side}"].at[slots].get(mode="fill", fill_value=0)
        elapsed = (t_event - last).astype(dtype) * jnp.asarray(self.prog.plan.dt, dtype)
        factors = self._call(c, a, pi, f"decay_{side}", {"elapsed": elapsed}, None, None)
        return {v: (c[f"pg{pi}_x_{v}"].at[slots].get(mode="fill", fill_value=0) * f).astype(dtype)
                for v, f in zip(names, factors)}

    def _trace_spike(self, c, a, pi, side: str, slots, traces: dict, t_event):
        """The ``side`` traces of ``slots`` (decayed, ``traces``) after their spike, stored with ``t_event``."""
        if not traces:
            return
        out = self._call(c, a, pi, f"spike_{side}", traces, None, None)
        for v, x in zip(traces, out):
            c[f"pg{pi}_x_{v}"] = c[f"pg{pi}_x_{v}"].at[slots].set(jnp.broadcast_to(x, slots.shape)
                                                                  .astype(self.prog.dtype), mode="drop")
        c[f"pg{pi}_xlast_{side}"] = c[f"pg{pi}_xlast_{side}"].at[slots].set(
            jnp.broadcast_to(t_event, slots.shape).astype(jnp.int32), mode="drop")

    def _event(self, c, a, pi, kind: str, syn, t_event, own: dict):
        """Synapses ``syn`` (event rows x positions; ``n`` is padding) at event step ``t_event``: the other
        side's traces read, the synapses brought up to date (``decay``, if the rule has one), then rule function
        ``kind`` ("pre" or "post"); ``own``: the event side's decayed traces, one per row. Returns the delivered
        weights of ``"pre"`` (else None). The carry's variables are updated in place (padding dropped)."""
        pg = self.prog.plan.pgroups[pi]
        dtype = self.prog.dtype
        names = type(pg.plastic.rule).variables()
        arrays = {v: f"pg{pi}_w" if v == "w" else f"pg{pi}_r_{v}" for v in names}
        pre, post = a[f"pg{pi}_pre_of"][syn], a[f"pg{pi}_post_of"][syn]
        other = (self._traces(c, a, pi, "post", post, t_event) if kind == "pre"
                 else self._traces(c, a, pi, "pre", a[f"pg{pi}_xslot"][syn], t_event))
        values = {v: jnp.broadcast_to(x[:, None], syn.shape) for v, x in own.items()} | other
        values |= {v: c[arrays[v]].at[syn].get(mode="fill", fill_value=0) for v in names}
        if "decay" in self.fn[pi]:
            last = c[f"pg{pi}_last"].at[syn].get(mode="fill", fill_value=0)
            elapsed = (t_event - last).astype(dtype) * jnp.asarray(self.prog.plan.dt, dtype)
            out = self._call(c, a, pi, "decay", values | {"elapsed": elapsed}, pre, post)
            values |= {v: jnp.broadcast_to(x, syn.shape).astype(dtype) for v, x in zip(names, out)}
            c[f"pg{pi}_last"] = c[f"pg{pi}_last"].at[syn].set(jnp.broadcast_to(t_event, syn.shape), mode="drop")
        out = self._call(c, a, pi, kind, values, pre, post)
        for v, x in zip(names, out):
            c[arrays[v]] = c[arrays[v]].at[syn].set(jnp.broadcast_to(x, syn.shape).astype(dtype), mode="drop")
        return jnp.broadcast_to(out[len(names)], syn.shape).astype(dtype) if kind == "pre" else None

    def deliver(self, c, a, pi, s, busiest):
        """Presynaptic events of plastic group ``pi`` in step ``s`` (see the module)."""
        prog = self.prog
        pg = prog.plan.pgroups[pi]
        target = f"g{pg.post}_{pg.synapse.spike_target}" if pg.synapse.in_post else f"pg{pi}_{pg.synapse.spike_target}"
        ring = c[f"g{pg.pre}_ring"]
        flags = ring[(s - jnp.asarray(pg.offsets, jnp.int32)) % ring.shape[0]].ravel()  # bucket-major
        idx, valid = prog._events(flags, min(prog.capacity[pg.pre], flags.shape[0]))
        syn = jnp.where(valid[:, None], a[f"pg{pi}_syn"][idx], pg.col.size)
        slots = jnp.where(valid, idx, flags.shape[0])  # presynaptic trace slot b * n_pre + i: the flag's index
        t_pre = s + 1 - pg.plastic.lag
        own = self._traces(c, a, pi, "pre", slots, t_pre)
        dlv = self._event(c, a, pi, "pre", syn, t_pre, own)
        self._trace_spike(c, a, pi, "pre", slots, own, t_pre)
        c[target] = c[target].at[a[f"pg{pi}_target"][syn].ravel()].add((dlv * a[f"pg{pi}_wscale"]).ravel(),
                                                                       mode="drop")
        # the buffer holds the events of all buckets: the pre group's buffer grows to the most of them
        busiest[pg.pre] = jnp.maximum(busiest[pg.pre], jnp.sum(flags, dtype=jnp.int32))

    def post(self, c, a, gi, lo, hi, s, busiest):
        """Postsynaptic events: the spikes of neuron operation ``[lo, hi)`` of group ``gi`` in step ``s``."""
        prog = self.prog
        for pi in self.groups:
            if prog.plan.pgroups[pi].post != gi or not needs_post_events(prog.plan.pgroups[pi].plastic.rule):
                continue
            ring = c[f"g{gi}_ring"]
            flags = ring[s % ring.shape[0]]
            if lo > 0 or hi < flags.shape[0]:
                order = jnp.arange(flags.shape[0])
                flags = flags & (order >= lo) & (order < hi)
            idx, valid = prog._events(flags, min(prog.capacity[gi], flags.shape[0]))
            slots = jnp.where(valid, idx, flags.shape[0])
            own = self._traces(c, a, pi, "post", slots, s + 1)
            if "post" in self.fn[pi]:
                syn = jnp.where(valid[:, None], a[f"pg{pi}_in"][idx], prog.plan.pgroups[pi].col.size)
                self._event(c, a, pi, "post", syn, s + 1, own)
            self._trace_spike(c, a, pi, "post", slots, own, s + 1)
            busiest[gi] = jnp.maximum(busiest[gi], jnp.sum(flags, dtype=jnp.int32))
