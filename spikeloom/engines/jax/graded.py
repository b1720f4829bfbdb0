"""Graded projections and gap junctions on the JAX engine (the ``"graded"`` operation of a plan, see
:mod:`spikeloom.network.graded`): the presynaptic variable enters the history ring, every synapse's own state
advances and its current ``w * current(x delayed, V post, ...)`` is computed, all synapses at once, then
scatter-added in storage order into zeros: the CPU engine's order, so both engines add the same numbers."""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from ...neurons._base import argnames


class GradedKernels:
    """The graded operations of a plan, bound to one :class:`~.program.JaxProgram`."""

    def __init__(self, program):
        from .program import exact_divisions  # (program imports this module)

        self.prog, plan, xp = program, program.plan, program.xp
        self.groups = [pi for pi, pg in enumerate(plan.pgroups) if pg.kind == "graded"]
        self.fn = {}
        for pi in self.groups:
            syn = plan.pgroups[pi].synapse
            self.fn[pi] = {"current": exact_divisions(syn.current(xp)), "current_args": argnames(syn.current(xp))[2:]}
            if syn.update is not None:
                self.fn[pi].update(update=exact_divisions(syn.update(xp)), update_args=argnames(syn.update(xp)))

    def _arrays(self, pi: int) -> dict:
        pg = self.prog.plan.pgroups[pi]
        return pg.operator.engine_arrays(int(pg.seg_n.sum()), self.prog.dtype)

    @staticmethod
    def _carried(name: str) -> bool:
        """The arrays the step changes: the history ring and the synapses' own states."""
        return name in ("gr_hist", "gr_s")

    def static_args(self) -> dict:
        return {f"pg{pi}_{k}": v for pi in self.groups for k, v in self._arrays(pi).items() if not self._carried(k)}

    def initial_carry(self) -> dict:
        return {f"pg{pi}_{k}": v for pi in self.groups for k, v in self._arrays(pi).items() if self._carried(k)}

    def deliver(self, c, a, pi, s):
        pg, plan, f = self.prog.plan.pgroups[pi], self.prog.plan, self.fn[pi]
        hist = c[f"pg{pi}_gr_hist"]
        depth = hist.shape[0]
        x_now = c[f"g{pg.pre}_{pg.operator.variable}"].astype(hist.dtype)
        hist = lax.dynamic_update_slice(hist, x_now[None, :], (s % depth, jnp.int32(0)))
        c[f"pg{pi}_gr_hist"] = hist
        pre, post, slot, delay = a[f"pg{pi}_gr_idx"]
        x = hist[(s + depth - delay) % depth, pre]
        states, params = pg.synapse.synapse_state, dict(zip(pg.synapse.parameters, a[f"pg{pi}_gr_p"]))
        y = dict(zip(states, c[f"pg{pi}_gr_s"]))

        def value(name):
            return y[name] if name in y else x if name == "x" else self.prog.plan.dt if name == "dt" else params[name]

        if "update" in f:
            y = dict(zip(states, f["update"](*[value(n) for n in f["update_args"]])))
            c[f"pg{pi}_gr_s"] = jnp.stack([jnp.broadcast_to(y[v], x.shape) for v in states]).astype(hist.dtype)
        v_post = c[f"g{pg.post}_{plan.groups[pg.post].model.ode_vars[0]}"][post]
        cur = a[f"pg{pi}_gr_w"] * f["current"](x, v_post, *[value(n) for n in f["current_args"]])
        c[f"pg{pi}_I"] = jnp.zeros_like(c[f"pg{pi}_I"]).at[slot].add(cur.astype(c[f"pg{pi}_I"].dtype))
