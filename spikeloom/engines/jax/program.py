"""Compile a :class:`~spikeloom.network.build.Plan` into one jitted function that runs a chunk of steps.

The step is the same sequence of operations as the Numba engine's generated loop (see
``docs/architecture.md``, "One step"), applied to whole arrays: ring slot cleared, the schedule's
projection deliveries and neuron operations in order, monitors sampled at the end of the step. The model
math comes from the same factories, bound to :mod:`.mathlib`. ``lax.scan`` runs ``chunk`` steps per call; a
step at or past ``s_end`` is computed but not kept (a select), so one compiled program serves every run length.

Spike delivery is event-driven: the indices of the neurons that spiked are extracted with ``lax.top_k``
into a buffer of ``capacity`` entries, and their padded fan-out rows (ELL layout) are scatter-added into
the synapse state: on CPU by a loop with one iteration per spike, elsewhere by one scatter of all
``capacity`` rows (a loop would launch kernels per spike on a GPU). A step in which more
neurons spike than the buffer holds is reported, and the runner redoes the chunk with a buffer that fits
(exact, never dropped; the cost is one recompilation). The step has no ``lax.cond``: XLA:CPU copied the
connectivity into the branches every step, which cost more than the whole step (a ``fori_loop`` does not).
On CPU, XLA applies a scatter's updates in order, so sums happen in the same order as in the Numba engine
and spike trains agree bit for bit.
With a surrogate (``differentiable=True``) spikes are floats and delivery is always dense, so gradients
flow through every synapse.
"""

from __future__ import annotations

import functools
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core as jax_core

from ..._errors import EngineError
from ...core.random import make_random
from ...integrators.fixed_step import integrator_source
from ...network.build import Plan
from ...neurons._base import argnames
from ..elementary import make_elementary
from .mathlib import make_xp
from .plastic import PlasticKernels
from .graded import GradedKernels
from .poisson import PoissonKernels
from .procedural import OperatorKernels

#: firing rate (Hz) for which the delivery buffer is sized: a step with more spikes takes more passes
DELIVERY_RATE_HZ = 20.0
#: firing rate (Hz) for which spike-monitor buffers are first sized: a chunk that overflows is redone
MONITOR_RATE_HZ = 50.0
#: monitored groups up to this size record a bitmap of their spikes per step (n / 8 bytes, no extraction);
#: larger ones record the indices of up to ``monitor_capacity`` spikes per step, extracted with ``lax.top_k``
MONITOR_BITMAP_MAX_NEURONS = 1 << 18
#: platforms on which spikes are delivered by a loop over the spiking rows (elsewhere: one padded scatter)
ROW_LOOP_PLATFORMS = ("cpu",)


def _frexp(x):
    m, e = jnp.frexp(x)
    return m, e.astype(m.dtype)


def _pow2(n):
    """``2**n`` from its bits (``n`` an integer-valued float in the normal exponent range)."""
    if n.dtype == jnp.float32:
        return lax.bitcast_convert_type((n.astype(jnp.int32) + 127) << 23, jnp.float32)
    return lax.bitcast_convert_type((n.astype(jnp.int64) + 1023) << 52, jnp.float64)


#: what :func:`~spikeloom.engines.elementary.make_elementary` needs, in jax.numpy
_PRIMITIVES = SimpleNamespace(where=jnp.where, ffloor=jnp.floor, frexp=_frexp, pow2=_pow2, inline=lambda fn: fn,
                              function=lambda fn: fn)


def elementary_xp(dtype, spike=None) -> SimpleNamespace:
    """The math namespace of the model factories: jax.numpy, with the elementary functions the CPU engine
    uses (XLA's own ``exp`` rounds differently from any other library's)."""
    xp = make_xp(dtype, spike)
    for name, fn in vars(make_elementary(_PRIMITIVES, dtype)).items():
        setattr(xp, name, fn)
    return xp


def _opaque_divisor(y, shape):
    return lax.optimization_barrier(jnp.broadcast_to(y, shape))


def exact_divisions(fn):
    """``fn`` with every floating-point division kept a division.

    XLA rewrites ``a / c`` for a scalar ``c`` (a literal or a parameter shared by a group) into ``a * (1 / c)``,
    which rounds twice, while the CPU engine divides. Re-evaluating ``fn``'s jaxpr with each divisor passed
    through an optimization barrier hides it from that rewrite (the barrier costs one materialized array)."""
    def run(*args):
        closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
        env = dict(zip(closed.jaxpr.constvars, closed.consts))
        env.update(zip(closed.jaxpr.invars, jax.tree.leaves(args)))

        def read(v):
            return v.val if isinstance(v, jax_core.Literal) else env[v]

        for eqn in closed.jaxpr.eqns:
            ins = [read(v) for v in eqn.invars]
            out_aval = eqn.outvars[0].aval
            if eqn.primitive is lax.div_p and jnp.issubdtype(out_aval.dtype, jnp.floating):
                outs = [lax.div(ins[0], _opaque_divisor(ins[1], out_aval.shape))]
            else:
                # call-like primitives (custom_jvp: the surrogate spike) rebuild their functions here
                params = eqn.primitive.get_bind_params(eqn.params)
                subfuns, params = params if isinstance(params, tuple) else ((), params)  # older JAX: a pair
                outs = eqn.primitive.bind(*subfuns, *ins, **params)
                outs = outs if eqn.primitive.multiple_results else [outs]
            env.update(zip(eqn.outvars, outs))
        return jax.tree.unflatten(jax.tree.structure(shape), [read(v) for v in closed.jaxpr.outvars])

    return run


@functools.cache
def warn_if_fused():
    """Warn (once) when XLA:CPU fuses multiplies and adds, so that this engine cannot match the CPU engine."""
    from . import NO_FMA_FLAG, exact_cpu_arithmetic

    if os.environ.get("SPIKELOOM_XLA_FMA") == "1" or exact_cpu_arithmetic():
        return
    warnings.warn("JAX's CPU backend started before spikeloom.engines.jax was imported, so XLA fuses multiplies "
                  "and adds: results of engine='jax' will differ from engine='cpu' in the last bits, and spike "
                  "trains of chaotic networks will drift apart. For identical results import spikeloom.engines.jax "
                  f"before anything starts JAX, or set XLA_FLAGS={NO_FMA_FLAG} before starting Python; "
                  "SPIKELOOM_XLA_FMA=1 silences this warning", RuntimeWarning, stacklevel=4)


def select_device(device: str | None):
    """The JAX device for ``"cpu"`` or ``"gpu"`` (None: JAX's default); a clear error if there is none."""
    if device is None:
        return None
    if device not in ("cpu", "gpu"):
        raise EngineError(f"device must be 'cpu' or 'gpu', got {device!r}")
    try:
        return jax.devices(device)[0]
    except RuntimeError as err:
        raise EngineError(f"device={device!r} was requested but JAX finds no {device.upper()} here "
                          f"(available: {[d.platform for d in jax.devices()]}); install jax with CUDA support "
                          "or use device='cpu'") from err


def default_capacity(n: int, dt: float, rate_hz: float) -> int:
    """Event-buffer entries for ``n`` neurons: the mean spikes of one step at ``rate_hz`` plus 3 s.d."""
    expected = n * rate_hz * dt * 1e-3
    return int(min(n, 8 * math.ceil((expected + 3.0 * math.sqrt(expected) + 4) / 8)))


@dataclass
class JaxLayout:
    """What is recorded: spikes of some groups, and state arrays (carry names) at absolute indices."""

    spike_groups: list[int] = field(default_factory=list)
    states: list[tuple[str, np.ndarray]] = field(default_factory=list)


def _ell(starts: np.ndarray, ends: np.ndarray, col: np.ndarray, weight, pad: int, dtype):
    """Padded fan-out rows (n_pre, width) of one bucket, row ``i`` being ``col[starts[i]:ends[i]]``; padding
    targets slot ``pad`` (dropped)."""
    counts = ends - starts
    width = max(int(counts.max()) if counts.size else 0, 1)
    pos = starts[:, None] + np.arange(width)[None, :]
    valid = np.arange(width)[None, :] < counts[:, None]
    safe = np.clip(pos, 0, max(col.size - 1, 0))
    cols = np.where(valid, col[safe] if col.size else pad, pad).astype(np.int32)
    w = None if np.ndim(weight) == 0 else np.where(valid, weight[safe] if col.size else 0, 0).astype(dtype)
    return cols, w


class JaxProgram:
    """One compiled chunk function for a plan, monitor layout and event-buffer capacities."""

    def __init__(self, plan: Plan, layout: JaxLayout, *, chunk: int = 2000, capacity: dict | None = None,
                 surrogate=None, device=None):
        self.plan, self.layout, self.chunk = plan, layout, int(chunk)
        self.dtype = np.dtype(plan.dtype)
        if self.dtype == np.float64 and not jax.config.read("jax_enable_x64"):
            jax.config.update("jax_enable_x64", True)  # float64 runs need JAX's 64-bit mode (process-wide)
        self.device = device
        self.platform = device.platform if device is not None else jax.default_backend()
        if self.platform == "cpu":
            warn_if_fused()
        self.differentiable = surrogate is not None
        self.xp = elementary_xp(self.dtype, surrogate)
        self.capacity = {gi: default_capacity(g.n, plan.dt, DELIVERY_RATE_HZ) for gi, g in enumerate(plan.groups)}
        self.capacity.update(capacity or {})
        self.monitor_capacity = {gi: default_capacity(g.n, plan.dt, MONITOR_RATE_HZ) for gi, g in enumerate(plan.groups)}
        self.bitmap_groups = [gi for gi in layout.spike_groups if plan.groups[gi].n <= MONITOR_BITMAP_MAX_NEURONS]
        self.indexed_groups = [gi for gi in layout.spike_groups if gi not in self.bitmap_groups]
        self.operators = OperatorKernels(self)  # procedural connectivity and user operators
        self.poisson = PoissonKernels(self)  # Poisson inputs
        self.graded = GradedKernels(self)  # graded projections and gap junctions
        self.plastic = PlasticKernels(self)  # plastic projections
        self._bind_models()
        self.args = self._static_args()
        self._exe = {}

    # ---- model functions bound to jax.numpy ------------------------------------------------------------
    def _bind_models(self):
        xp = self.xp
        self.uniform, self.normal = make_random(xp)
        self.fn = {}
        for gi, g in enumerate(self.plan.groups):
            m = g.model
            f = {"tr": exact_divisions(m.threshold_reset(xp)), "tr_args": argnames(m.threshold_reset(xp))}
            if m.ode_vars and g.generator_events is None:
                vf = m.vector_field(xp)
                ex = m.exact(xp) if g.method == "exact" else None
                ex_args = argnames(ex) if ex is not None else None
                # exp_euler takes A and B from the model's affine form where it has one, as the CPU engine does
                lf = m.linear_form(xp) if g.method == "exp_euler" and m.linear_form is not None else None
                src = integrator_source(g.method, "integrate", "vf", list(m.ode_vars), argnames(vf),
                                        "ex" if ex is not None else None, ex_args, "lf" if lf is not None else None)
                ns = {"vf": vf, "ex": ex, "lf": lf, "where": xp.where, "expm1": xp.expm1}
                exec(src, ns)  # the same template text the Numba engine compiles
                f["int"] = exact_divisions(ns["integrate"])
                f["int_args"] = list(dict.fromkeys(argnames(vf) + (ex_args or []) + ["dt"]))
            self.fn[gi] = f
        for pi, pg in enumerate(self.plan.pgroups):
            self.fn[("pg", pi)] = {
                "decay": exact_divisions(pg.synapse.decay(xp)), "cond": exact_divisions(pg.synapse.conductance(xp)),
                "out": exact_divisions(pg.output.current(xp)),
                "decay_args": argnames(pg.synapse.decay(xp)), "cond_args": argnames(pg.synapse.conductance(xp)),
                "out_args": argnames(pg.output.current(xp)),
            }

    # ---- arrays: constants of the run (arguments, never baked into the program) --------------------------
    def _put(self, x):
        return jax.device_put(jnp.asarray(x), self.device) if self.device is not None else jnp.asarray(x)

    def _static_args(self) -> dict:
        plan, dtype, a = self.plan, self.dtype, {}
        for gi, g in enumerate(plan.groups):
            for k, v in g.params.items():
                a[f"g{gi}_p_{k}"] = np.asarray(v, dtype)
            if g.generator_events is not None:
                steps, idx = g.generator_events
                a[f"g{gi}_ev_step"] = steps.astype(np.int32)
                a[f"g{gi}_ev_idx"] = idx.astype(np.int32)
        self.ev_width = {gi: (int(np.bincount(g.generator_events[0]).max()) if g.generator_events[0].size else 0)
                         for gi, g in enumerate(plan.groups) if g.generator_events is not None}
        for pi, pg in enumerate(plan.pgroups):
            n_slots = int(pg.seg_n.sum())
            slot_seg = np.repeat(np.arange(pg.seg_n.size), pg.seg_n)
            a[f"pg{pi}_slot_post"] = (pg.seg_post_lo[slot_seg] + np.arange(n_slots) - pg.seg_slot_lo[slot_seg]
                                      ).astype(np.int32)
            for k, v in pg.seg_params.items():
                a[f"pg{pi}_c_{k}"] = np.asarray(v, dtype)[slot_seg]
            if pg.kind != "projections" or pg.plastic is not None:
                continue  # no stored synapses (see self.operators) or plastic ones (see self.plastic)
            # padding points one past the target array: the synapse slots, or the post neurons (in_post)
            pad = plan.groups[pg.post].n if pg.synapse.in_post else n_slots
            for b in range(pg.offsets.size):
                cols, w = _ell(pg.rowptr[:, b], pg.rowptr[:, b + 1], pg.col, pg.weight, pad, dtype)
                a[f"pg{pi}_col{b}"] = cols
                if w is not None:
                    a[f"pg{pi}_w{b}"] = w
            if np.ndim(pg.weight) == 0:
                a[f"pg{pi}_w"] = np.asarray(pg.weight, dtype)
        a.update(self.operators.static_args())
        a.update(self.poisson.static_args())
        a.update(self.graded.static_args())
        a.update(self.plastic.static_args())
        return {k: self._put(v) for k, v in a.items()}

    def initial_carry(self) -> dict:
        """The state at step 0: neuron and synapse states from the plan, empty rings, no input applied."""
        plan, c = self.plan, {}
        spike_dtype = self.dtype if self.differentiable else np.bool_
        for gi, g in enumerate(plan.groups):
            for k, v in g.state.items():
                c[f"g{gi}_{k}"] = v
            c[f"g{gi}_ring"] = np.zeros((g.ring_depth, g.n), spike_dtype)
        for pi, pg in enumerate(plan.pgroups):
            for k, v in pg.state.items():
                c[f"pg{pi}_{k}"] = v
        c.update(self.operators.initial_carry())
        c.update(self.graded.initial_carry())
        c.update(self.plastic.initial_carry())
        return {k: self._put(v) for k, v in c.items()}

    def input_carry(self, tables: dict) -> tuple[dict, dict]:
        """Per-run state (no non-finite state seen yet) and the input sections of every population.

        Sections always cover whole populations, so the input of a population at step ``s`` is its latest
        section that started by ``s``: a lookup, no state and no loop (which would block gradients)."""
        a = {}
        for gi, g in enumerate(self.plan.groups):
            start, lo = tables[f"in{gi}_start"], tables[f"in{gi}_lo"]
            a[f"in{gi}_val"] = np.append(tables[f"in{gi}_val"], 0.0).astype(self.dtype)
            for name, plo, _ in g.pops:
                rows = np.nonzero(lo == plo)[0]
                # a leading section of zeros (value index past the end) holds until the first one starts
                a[f"in{gi}_{name}_start"] = np.append(-1, start[rows]).astype(np.int32)
                a[f"in{gi}_{name}_voff"] = np.append(tables[f"in{gi}_val"].size, tables[f"in{gi}_voff"][rows]
                                                     ).astype(np.int32)
                a[f"in{gi}_{name}_wide"] = np.append(0, tables[f"in{gi}_wide"][rows]).astype(np.int32)
        c = {"nan": np.full(3, -1, np.int32)}  # (step, group, index) of the first non-finite state
        return {k: self._put(v) for k, v in c.items()}, {k: self._put(v) for k, v in a.items()}

    def fits(self, delivered: np.ndarray) -> bool:
        """Grow the delivery buffers to the most spikes per step seen (``delivered``: steps x groups);
        return whether they were large enough already."""
        most = delivered.max(axis=0, initial=0)
        small = {gi: int(m) for gi, m in enumerate(most) if m > self.capacity[gi]}
        for gi, m in small.items():
            self.capacity[gi] = min(self.plan.groups[gi].n, 8 * math.ceil(m / 8))
        return not small

    # ---- one step ----------------------------------------------------------------------------------------
    @staticmethod
    def _events(flags, k: int, start=0):
        """Indices (ascending) of the first ``k`` spiking neurons at or after ``start``, and their validity.

        ``lax.top_k`` on a float priority ``n - i`` (exact below 2**24 neurons per group) is far cheaper on
        XLA:CPU than on integers or than ``jnp.nonzero``, which is a cumsum plus a scatter."""
        n = flags.shape[0]
        order = jnp.arange(n, dtype=jnp.int32)
        key = jnp.where(flags & (order >= start), (n - order).astype(jnp.float32), 0.0)
        vals, idx = lax.top_k(key, k)
        return idx, vals > 0

    def _deliver(self, c, a, pi, s, busiest):
        pg = self.plan.pgroups[pi]
        # an in_post synapse has no state of its own: spikes add to the post-synaptic neurons' variable
        target = f"g{pg.post}_{pg.synapse.spike_target}" if pg.synapse.in_post else f"pg{pi}_{pg.synapse.spike_target}"
        ring = c[f"g{pg.pre}_ring"]
        depth, k = ring.shape[0], min(self.capacity[pg.pre], ring.shape[1])
        state = c[target]
        for b, offset in enumerate(pg.offsets):
            flags = lax.dynamic_index_in_dim(ring, (s - int(offset)) % depth, keepdims=False)
            cols = a[f"pg{pi}_col{b}"]
            w = a.get(f"pg{pi}_w{b}")
            if self.differentiable:  # every row, weighted by the (surrogate) spike: gradients reach all synapses
                upd = (w if w is not None else a[f"pg{pi}_w"]) * flags[:, None]
                state = state.at[cols.ravel()].add(jnp.broadcast_to(upd, cols.shape).ravel(), mode="drop")
                continue

            # the spikes of the step, ascending, through the event buffer; a step with more than k spikes
            # is reported (``counts`` of this delivery) and the runner redoes the chunk with a larger k.
            idx, valid = self._events(flags, k)
            w_const = a[f"pg{pi}_w"] if w is None else None
            if self.platform in ROW_LOOP_PLATFORMS:
                # one row per iteration, as many iterations as spikes: on XLA:CPU this beats one scatter of
                # all k padded rows (95 -> 70 us per step for COBA 4 k)
                def add_row(j, st, idx=idx, cols=cols, w=w, w_const=w_const):
                    row = lax.dynamic_index_in_dim(cols, idx[j], keepdims=False)
                    upd = lax.dynamic_index_in_dim(w, idx[j], keepdims=False) if w is not None else w_const
                    return st.at[row].add(upd, mode="drop")

                state = lax.fori_loop(0, jnp.sum(valid, dtype=jnp.int32), add_row, state)
            else:  # one scatter of the k padded rows: a loop would launch kernels per spike on a GPU
                rows = jnp.where(valid[:, None], cols[idx], state.shape[0])
                upd = w[idx] if w is not None else jnp.broadcast_to(w_const, rows.shape)
                state = state.at[rows.ravel()].add(upd.ravel(), mode="drop")
            busiest[pg.pre] = jnp.maximum(busiest[pg.pre], jnp.sum(flags, dtype=jnp.int32))
        c[target] = state

    def _external_current(self, a, gi, lo, hi, s):
        """Input current of neurons ``lo:hi`` at step ``s``: each population's latest started section."""
        parts = []
        for name, plo, phi in self.plan.groups[gi].pops:
            if plo < lo or phi > hi:
                continue
            q = jnp.searchsorted(a[f"in{gi}_{name}_start"], s, side="right") - 1
            j = jnp.arange(phi - plo, dtype=jnp.int32)
            parts.append(a[f"in{gi}_val"][a[f"in{gi}_{name}_voff"][q] + j * a[f"in{gi}_{name}_wide"][q]])
        return jnp.concatenate(parts)

    def _synaptic_current(self, c, a, gi, lo, hi):
        g = self.plan.groups[gi]
        v_name = g.model.ode_vars[0]
        isyn = jnp.zeros(g.n, self.dtype)
        for pi, pg in enumerate(self.plan.pgroups):
            if pg.post != gi or pg.synapse.in_post:
                continue
            f = self.fn[("pg", pi)]
            post = a[f"pg{pi}_slot_post"]
            inside = pg.seg_post_lo[np.repeat(np.arange(pg.seg_n.size), pg.seg_n)]
            mask = None if (lo == 0 and hi == g.n) else jnp.asarray((inside >= lo) & (inside < hi))
            y = {v: c[f"pg{pi}_{v}"] for v in pg.synapse.state}

            def val(name):
                return y[name] if name in y else a[f"pg{pi}_c_{name}"]

            cur = f["out"](f["cond"](*[y[v] for v in f["cond_args"]]), c[f"g{gi}_{v_name}"][post],
                           *[a[f"pg{pi}_c_{x}"] for x in f["out_args"][2:]])
            if mask is not None:
                cur = jnp.where(mask, cur, 0.0)
            isyn = isyn.at[post].add(cur)
            new = f["decay"](*[val(x) for x in f["decay_args"]])
            for v, nv in zip(pg.synapse.state, new):
                c[f"pg{pi}_{v}"] = nv if mask is None else jnp.where(mask, nv, y[v])
        return isyn

    def _neurons(self, c, a, gi, lo, hi, s, counts):
        g, f = self.plan.groups[gi], self.fn[gi]
        spike_dtype = self.dtype if self.differentiable else jnp.bool_
        if g.generator_events is not None:
            steps, idx, m = a[f"g{gi}_ev_step"], a[f"g{gi}_ev_idx"], self.ev_width[gi]
            spk = jnp.zeros(g.n, spike_dtype)
            if m:
                first = jnp.searchsorted(steps, s, side="left")
                count = jnp.searchsorted(steps, s, side="right") - first
                pick = idx[jnp.clip(first + jnp.arange(m), 0, idx.shape[0] - 1)]
                spk = spk.at[jnp.where(jnp.arange(m) < count, pick, g.n)].set(True, mode="drop")
            lo, hi = 0, g.n
        elif gi in self.poisson.gaps:
            spk = self.poisson.source_spikes(c, a, gi, lo, hi, s).astype(spike_dtype)
        else:
            whole = lo == 0 and hi == g.n
            isyn = self._synaptic_current(c, a, gi, lo, hi) if g.model.ode_vars else None
            names = {"dt": self.plan.dt}
            for v in g.model.state:
                names[v] = c[f"g{gi}_{v}"][lo:hi]
            if isyn is not None:
                # the barrier keeps XLA from folding Iext into the scatter's zeros (Iext + a + b), which
                # would round differently from the CPU engine's (a + b) + Iext
                names["I"] = lax.optimization_barrier(isyn)[lo:hi] + self._external_current(a, gi, lo, hi, s)
            index = jnp.arange(lo, hi, dtype=jnp.uint32)
            step = s.astype(jnp.uint32)
            wanted = set(f["tr_args"]) | set(f.get("int_args", ()))
            if "xi" in wanted:
                names["xi"] = (self.normal(a["seed"], 2 * gi, step, index) if g.uses_noise
                               else jnp.zeros(hi - lo, self.dtype))
            if "u01" in wanted:
                names["u01"] = self.uniform(a["seed"], 2 * gi + 1, step, index)

            def value(name):
                if name in names:
                    return names[name]
                p = a[f"g{gi}_p_{name}"]
                return p if p.ndim == 0 else p[lo:hi]

            if g.model.ode_vars:
                new = f["int"](*[value(x) for x in f["int_args"]])
                names.update({f"{v}_new": x for v, x in zip(g.model.ode_vars, new)})
            # computed once: otherwise XLA:CPU repeats the whole update inside every fusion that reads it
            out = lax.optimization_barrier(f["tr"](*[value(x) for x in f["tr_args"]]))
            *states, spk = out
            for v, x in zip(g.model.state, states):
                x = jnp.broadcast_to(x, (hi - lo,)).astype(self.dtype)
                c[f"g{gi}_{v}"] = x if whole else c[f"g{gi}_{v}"].at[lo:hi].set(x)
            spk = jnp.broadcast_to(spk, (hi - lo,)).astype(spike_dtype)
            if g.model.ode_vars:
                bad = jnp.zeros(hi - lo, bool)
                for v in g.model.ode_vars:
                    bad = bad | ~jnp.isfinite(c[f"g{gi}_{v}"][lo:hi])
                # a min over indices, not argmax: XLA:CPU runs argmax's two-value reduction far slower
                first = jnp.min(jnp.where(bad, jnp.arange(lo, hi, dtype=jnp.int32), hi))
                hit = (first < hi) & (c["nan"][0] < 0)
                c["nan"] = jnp.where(hit, jnp.stack([s, jnp.int32(gi), first]), c["nan"])
        ring = c[f"g{gi}_ring"]
        c[f"g{gi}_ring"] = lax.dynamic_update_slice(ring, spk[None, :], (s % ring.shape[0], jnp.int32(lo)))
        for name, plo, phi in g.pops:
            if lo <= plo and phi <= hi:
                pid = self.plan.pop_index[name][3]
                counts[pid] = jnp.sum(spk[plo - lo:phi - lo], dtype=counts[pid].dtype)

    def step(self, c, s, a):
        """Advance carry ``c`` by step ``s``; return the new carry and what the monitors record."""
        c = dict(c)
        plan = self.plan
        count_dtype = self.dtype if self.differentiable else jnp.int32
        counts = [jnp.zeros((), count_dtype) for _ in plan.pop_index]
        busiest = [jnp.int32(0) for _ in plan.groups]  # most spikes a delivery from each group met this step
        for gi, g in enumerate(plan.groups):
            ring = c[f"g{gi}_ring"]
            c[f"g{gi}_ring"] = lax.dynamic_update_slice(ring, jnp.zeros((1, g.n), ring.dtype),
                                                        (s % ring.shape[0], jnp.int32(0)))
        extra = {}  # buffer use of the procedural operations
        for op in plan.schedule:
            if op[0] == "projections" and plan.pgroups[op[1]].plastic is not None:
                self.plastic.deliver(c, a, op[1], s, busiest)
            elif op[0] == "projections":
                self._deliver(c, a, op[1], s, busiest)
            elif op[0] in ("procedural", "custom"):
                self.operators.deliver(c, a, op[1], s, busiest, extra)
            elif op[0] == "poisson":
                self.poisson.deliver(c, a, op[1], s)
            elif op[0] == "graded":
                self.graded.deliver(c, a, op[1], s)
            else:
                self._neurons(c, a, op[1], op[2], op[3], s, counts)
                self.plastic.post(c, a, op[1], op[2], op[3], s, busiest)
        ys = {"counts": jnp.stack(counts), "delivered": jnp.stack(busiest), **extra}
        for gi in self.layout.spike_groups:
            ring = c[f"g{gi}_ring"]
            flags = lax.dynamic_index_in_dim(ring, s % ring.shape[0], keepdims=False)
            if gi in self.bitmap_groups:
                ys[f"mon{gi}_bits"] = jnp.packbits(flags != 0)
                continue
            idx, valid = self._events(flags != 0, min(self.monitor_capacity[gi], flags.shape[0]))
            ys[f"mon{gi}_idx"] = jnp.where(valid, idx, -1).astype(jnp.int32)
            ys[f"mon{gi}_cnt"] = jnp.sum(flags != 0, dtype=jnp.int32)
        for k, (name, idx) in enumerate(self.layout.states):
            ys[f"smon{k}"] = c[name][jnp.asarray(idx)]
        return c, ys

    # ---- a chunk of steps ----------------------------------------------------------------------------------
    def chunk_fn(self):
        """``run(carry, args, s0, s_end) -> (carry, records)``: steps ``s0 .. s0 + chunk - 1``, those
        at or past ``s_end`` skipped. Pure, so it can be jitted, differentiated and vmapped."""
        def run(carry, args, s0, s_end):
            def body(c, s):
                new, ys = self.step(c, s, args)
                # steps past the end compute but keep the old state: branch-free, as a cond would copy
                return jax.tree.map(lambda x, y: jnp.where(s < s_end, x, y), new, c), ys

            return lax.scan(body, carry, s0 + jnp.arange(self.chunk, dtype=jnp.int32))

        return run

    def spike_events(self, records: list, gi: int) -> tuple[np.ndarray, np.ndarray]:
        """(step within the run, neuron index) of every recorded spike of group ``gi``, in step order, from
        the records of consecutive chunks (bitmaps, or index buffers whose width may differ per chunk)."""
        steps, cols, first = [], [], 0
        for r in records:
            if gi in self.bitmap_groups:  # unpack only the non-zero bytes: most neurons are silent in a step
                packed = r[f"mon{gi}_bits"]
                step, byte = np.nonzero(packed)
                row, bit = np.nonzero(np.unpackbits(packed[step, byte][:, None], axis=1))
                step, col, rows = step[row], 8 * byte[row] + bit, packed.shape[0]
            else:
                idx = r[f"mon{gi}_idx"]
                step, col = np.nonzero(idx >= 0)
                col, rows = idx[step, col], idx.shape[0]
            steps.append(step + first)
            cols.append(col)
            first += rows
        return np.concatenate(steps), np.concatenate(cols)

    def executable(self, carry, args):
        """The chunk function compiled ahead of time for the current buffer sizes and argument shapes."""
        key = (tuple(self.capacity.values()), tuple(self.monitor_capacity.values()), self.operators.key(),
               tuple((k, np.shape(v), str(v.dtype)) for k, v in sorted(args.items())))
        if key not in self._exe:
            zero = jnp.int32(0)
            self._exe[key] = jax.jit(self.chunk_fn()).lower(carry, args, zero, zero).compile()
        return self._exe[key]

    def run(self, carry, args, s_run0: int, n_steps: int, progress=None, keep: bool = True):
        """Run ``n_steps`` from step ``s_run0``; return ``(carry, records, compile_s, nan)``.

        ``records`` holds the monitors' per-step arrays (numpy) of every chunk if ``keep``; ``nan`` is ``None``
        or ``(step, group, index)`` of the first non-finite state (the run stops after that chunk).
        ``progress(done, records, carry)`` is called after each chunk with that chunk's records and the carry
        at its end (a caller that streams them passes ``keep=False``); a truthy return stops the run there. A chunk whose event buffers
        were too small is redone with larger ones; after a crowded chunk (such as the onset of a network)
        the delivery and monitor buffers shrink again when enough steps remain to repay the recompilation."""
        s, s_end, compile_s, records = s_run0, s_run0 + n_steps, 0.0, []
        default = {gi: default_capacity(g.n, self.plan.dt, DELIVERY_RATE_HZ) for gi, g in enumerate(self.plan.groups)}
        default_mon = {gi: default_capacity(g.n, self.plan.dt, MONITOR_RATE_HZ) for gi, g in enumerate(self.plan.groups)}
        while s < s_end:
            t0 = time.perf_counter()
            before = len(self._exe)
            carry = self.operators.fit_carry(carry)
            fn = self.executable(carry, args)
            if len(self._exe) > before:
                compile_s += time.perf_counter() - t0
            new, ys = fn(carry, args, jnp.int32(s), jnp.int32(s_end))
            done = min(self.chunk, s_end - s)
            ys = {k: np.asarray(v)[:done] for k, v in ys.items()}
            crowded = [gi for gi in self.indexed_groups
                       if ys[f"mon{gi}_cnt"].max(initial=0) > self.monitor_capacity[gi]]
            for gi in crowded:
                self.monitor_capacity[gi] = min(self.plan.groups[gi].n, 2 * int(ys[f"mon{gi}_cnt"].max()))
            if not (self.fits(ys["delivered"]) & self.operators.fits(ys)) or crowded:
                continue  # redo this chunk exactly, with the larger buffers
            nan = np.asarray(new["nan"])
            if nan[0] >= 0:
                # the state at the end of the step that went non-finite: the CPU engine stops there too
                new, _ = fn(carry, args, jnp.int32(s), jnp.int32(nan[0] + 1))
                return new, records, compile_s, tuple(int(x) for x in nan)
            carry = new
            if keep:
                records.append(ys)
            s += done
            if progress is not None and progress(done, ys, carry):
                break  # the caller asks to stop (Ctrl-C): return the steps run so far
            if s_end - s >= 2 * self.chunk:  # both buffers shrink together: at most one recompilation
                need = ys["delivered"].max(axis=0)
                for gi, k in self.capacity.items():
                    if k > 2 * max(need[gi], 1) and k > default[gi]:
                        self.capacity[gi] = max(default[gi], 8 * math.ceil(1.25 * need[gi] / 8))
                for gi in self.indexed_groups:
                    most, k = int(ys[f"mon{gi}_cnt"].max(initial=0)), self.monitor_capacity[gi]
                    if k > 2 * max(most, 1) and k > default_mon[gi]:
                        self.monitor_capacity[gi] = max(default_mon[gi], 8 * math.ceil(1.25 * most / 8))
        return carry, records, compile_s, None
