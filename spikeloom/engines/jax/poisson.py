"""Poisson inputs on the JAX engine (the ``"poisson"`` operation of a plan, see
:mod:`spikeloom.network.poisson_plan`), and the spikes of Poisson sources (``PoissonGroup``: each source keeps
the step of its next spike and draws a geometric gap when it spikes, see its docstring).

The counts are drawn with the CPU engine's sampler (:func:`~spikeloom.core.random.make_poisson`, bound to
jax.numpy in float64 with the engine-neutral logarithm) on the whole target population of an input at once:
by inversion, the count of each neuron is the number of entries of the input's distribution table below its
uniform (one broadcast comparison); by PTRS, attempt ``j`` runs for every neuron not yet accepted, in a
``lax.while_loop`` that ends when all are. Which method an input takes is known when the program is built.
The increments ``w * k`` (``k`` in the run's float type) are added input by input, in the CPU engine's order.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ...core.random import POISSON_INVERSION_MAX_MEAN, make_poisson
from ...network.poisson_plan import ROW_FLOAT_FIELDS


class PoissonKernels:
    """The Poisson operations of a plan and its Poisson spike sources, bound to one
    :class:`~.program.JaxProgram`."""

    def __init__(self, program):
        self.prog, plan = program, program.plan
        self.groups = [pi for pi, pg in enumerate(plan.pgroups) if pg.kind == "poisson"]
        sources = [gi for gi, g in enumerate(plan.groups) if getattr(g.model, "spike_gap", None) is not None]
        if (self.groups or sources) and not jax.config.read("jax_enable_x64"):
            # counts and gaps are drawn in float64, as on the CPU engine (process-wide switch)
            jax.config.update("jax_enable_x64", True)
        from .program import elementary_xp  # (program imports this module)

        xp = elementary_xp(np.float64)  # the CPU engine's logarithm, not XLA's
        xp.ffloor = jnp.floor  # floor as a float (the CPU namespace's ffloor)
        self.sampler = make_poisson(xp)
        self.gaps = {gi: plan.groups[gi].model.spike_gap(xp) for gi in sources}

    def source_spikes(self, c, a, gi, lo, hi, s):
        """Spike flags of sources ``[lo, hi)`` of group ``gi`` (a ``PoissonGroup``) in step ``s``, and their
        next spike steps written back to the carry: as the CPU engine, a next step in the past is drawn from
        step ``s`` on, and a source due now draws its gap from step ``s + 1``. The draws are computed for every
        source (branch-free); only those that are used are kept."""
        model = self.prog.plan.groups[gi].model
        name = f"g{gi}_{model.next_state}"
        log_q = a[f"g{gi}_p_log_q"]
        log_q = (log_q if log_q.ndim == 0 else log_q[lo:hi]).astype(jnp.float64)
        index = jnp.arange(lo, hi, dtype=jnp.uint32)
        gap, stream, step = self.gaps[gi], 2 * gi + 1, s.astype(jnp.int64)

        def after(t):
            return gap(a["seed"], stream, t.astype(jnp.uint32), index, log_q).astype(jnp.int64)

        nxt = c[name][lo:hi]
        nxt = jnp.where(nxt < step, step - 1 + after(step), nxt)
        spk = nxt == step
        nxt = jnp.where(spk, step + after(step + 1), nxt)
        c[name] = nxt if (lo == 0 and hi == c[name].shape[0]) else c[name].at[lo:hi].set(nxt)
        return spk

    def static_args(self) -> dict:
        a = {}
        for pi in self.groups:
            op = self.prog.plan.pgroups[pi].operator
            for f in ROW_FLOAT_FIELDS:
                a[f"pg{pi}_q_{f}"] = op.rows[f]
            a[f"pg{pi}_q_offset"] = op.rows["offset"].astype(np.int32)
            a[f"pg{pi}_q_stream"] = op.rows["stream"].astype(np.uint32)
            a[f"pg{pi}_q_cdf"] = op.cdf
            a[f"pg{pi}_w"] = op.weight.astype(self.prog.dtype)  # per input (Simulation's "<input>.weight")
        return a

    def _counts(self, a, pi, r, s):
        """Counts (float64) of input ``r`` of group ``pi`` for its whole target population at step ``s``."""
        p, rows = self.sampler, self.prog.plan.pgroups[pi].operator.rows
        q = {f: a[f"pg{pi}_q_{f}"][r] for f in ROW_FLOAT_FIELDS}
        src = s - a[f"pg{pi}_q_offset"][r]
        step = jnp.maximum(src, 0).astype(jnp.uint32)
        index = jnp.arange(int(rows["n"][r]), dtype=jnp.uint32)
        key = p.key(a["seed"], a[f"pg{pi}_q_stream"][r], step, index)
        if rows["mean"][r] < POISSON_INVERSION_MAX_MEAN:
            lo, n = int(rows["cdf_lo"][r]), int(rows["cdf_n"][r])
            cdf = a[f"pg{pi}_q_cdf"][lo:lo + n]
            v = p.uniform52(key, step, index, 0) * cdf[n - 1]
            k = jnp.sum(v[:, None] > cdf[None, :], axis=1).astype(jnp.float64)
        else:
            def attempt(st):
                j, k, done = st
                kj, us, v, quick, admissible = p.ptrs_candidate(key, step, index, j, q["mean"], q["a"], q["b"],
                                                                q["vr"])
                ok = quick | (admissible & p.ptrs_accept(kj, us, v, q["mean"], q["log_mean"], q["a"], q["b"],
                                                         q["inv_alpha"]))
                return j + 1, jnp.where(done, k, kj), done | ok

            start = (jnp.int32(0), jnp.zeros(index.shape, jnp.float64), jnp.zeros(index.shape, bool))
            k = lax.while_loop(lambda st: ~jnp.all(st[2]), attempt, start)[1]
        return jnp.where(src >= 0, k, 0.0)

    def deliver(self, c, a, pi, s):
        pg = self.prog.plan.pgroups[pi]
        syn, rows = pg.synapse, pg.operator.rows
        target = f"g{pg.post}_{syn.spike_target}" if syn.in_post else f"pg{pi}_{syn.spike_target}"
        for r in range(rows["n"].size):
            lo, n = int(rows["lo"][r]), int(rows["n"][r])
            inc = a[f"pg{pi}_w"][r] * self._counts(a, pi, r, s).astype(self.prog.dtype)
            c[target] = c[target].at[lo:lo + n].add(inc)
