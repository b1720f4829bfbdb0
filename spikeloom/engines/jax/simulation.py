"""A network run as a pure function of its parameters: ``jax.grad`` through it, ``jax.vmap`` over it.

>>> sim = Simulation(net, duration=200.0, inputs={"E": 20.0}, surrogate=surrogate())
>>> params = sim.params                     # {"E.I_ext": ..., "E2E.weight": ..., "E.V_th": ...}
>>> out = sim(params)                       # out["counts"]["E"]: spikes per step (surrogate floats)
>>> jax.grad(lambda p: loss(sim(p)))(params)
>>> jax.vmap(sim)(batched_params)           # B networks in one compiled call

Keys of ``params``:

- ``"<population>.<parameter>"``: a neuron parameter (``"E+I.tau"`` when several populations of one model
  share the value); derived constants (decay factors) are keys too. A parameter given in ``params`` that
  enters the run through derived constants (``tau`` through the decay factor) has them recomputed inside
  the traced function, so it is differentiable;
- ``"<projection>.weight"``: the stored weights of a projection group (scalar, or one per synapse in the
  padded fan-out layout; ``"A+B.weight"`` when projections share a group, :meth:`Simulation.weight_mask`
  picks one of them), including any ``w_scale``;
- ``"<population>.I_ext"``: the constant input current (pA) of a population given in ``inputs``.

Differentiating with respect to a key that cannot receive a gradient (a whole number of steps such as
``tau_ref``, a switch of the compiled structure such as the noise of a noiseless group, a constant the
method does not use, a spike source, or anything when there is no surrogate) raises
:class:`~spikeloom.EngineError` naming it, instead of returning 0. See ``docs/gradients.md``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..._errors import EngineError, ModelDefinitionError
from ...neurons._base import argnames
from .surrogate import Surrogate

#: relative step of the central differences that differentiate a model's ``derived`` constants (float64)
DERIVED_STEP = 1e-6
#: relative change of a parameter that finds the derived constants depending on it (moves a count of steps)
PROBE_STEP = 0.1


def _refuse_gradient(reason: str):
    """The identity on values, raising ``EngineError(reason)`` when JAX differentiates through it (a plain
    or vmapped call is untouched), so a gradient that would silently be 0 is refused instead."""
    @jax.custom_jvp
    def identity(x):
        return x

    @identity.defjvp
    def _jvp(primals, tangents):
        raise EngineError(reason)

    return identity


def _derived_dependence(model, base: dict, dt: float) -> dict:
    """``{(derived, parameter): smooth}`` for every derived constant that changes with a parameter (probed
    by ``PROBE_STEP``, enough to move a count of steps); smooth when it also moves on both sides of the
    current value by ``DERIVED_STEP`` (a rounded count of steps stays put on at least one)."""
    ref = model.derived(base, dt)
    out = {}
    for p, v in base.items():
        scale = np.maximum(np.abs(v), 1.0)
        far = [model.derived({**base, p: v + sign * PROBE_STEP * scale}, dt) for sign in (1.0, -1.0)]
        near = [model.derived({**base, p: v + sign * DERIVED_STEP * scale}, dt) for sign in (1.0, -1.0)]
        for d in ref:
            if any(np.any(f[d] != ref[d]) for f in far):
                out[(d, p)] = all(np.any(n[d] != ref[d]) for n in near)
    return out


def _traced_derived(model, dt: float, dtype, base_keys: list, smooth: dict, typical: dict):
    """``model.derived`` as a function of traced base parameters: the values are the numbers the build
    computes (numpy, through a host callback), the derivatives central differences in float64 (derived
    constants are elementwise in the parameters), for the (constant, parameter) pairs in ``smooth``."""
    names = list(model.derived(typical, dt))

    def host(*values):
        return model.derived({k: np.asarray(v, np.float64) for k, v in zip(base_keys, values)}, dt)

    def shapes(values):
        trial = model.derived({k: np.full(np.shape(v), typical[k]) for k, v in zip(base_keys, values)}, dt)
        return [jax.ShapeDtypeStruct(np.shape(trial[d]), dtype) for d in names]

    def values_of(*values):
        d = host(*values)
        return tuple(np.asarray(d[k], dtype) for k in names)

    def slopes_of(*values):
        out = []
        for d, p in smooth:
            i = base_keys.index(p)
            v = np.asarray(values[i], np.float64)
            h = DERIVED_STEP * np.maximum(np.abs(v), 1.0)
            hi = host(*values[:i], v + h, *values[i + 1:])[d]
            lo = host(*values[:i], v - h, *values[i + 1:])[d]
            out.append(np.asarray((np.asarray(hi) - np.asarray(lo)) / (2.0 * h), dtype))
        return tuple(out)

    @jax.custom_jvp
    def derived(*values):
        outs = jax.pure_callback(values_of, tuple(shapes(values)), *values, vmap_method="sequential")
        return dict(zip(names, outs))

    @derived.defjvp
    def _jvp(primals, tangents):
        out = derived(*primals)
        slope_shapes = [jax.ShapeDtypeStruct(out[d].shape, dtype) for d, _ in smooth]
        slopes = jax.pure_callback(slopes_of, tuple(slope_shapes), *primals, vmap_method="sequential")
        dot = {d: jnp.zeros_like(v) for d, v in out.items()}
        for (d, p), slope in zip(smooth, slopes):
            dot[d] = dot[d] + slope * tangents[base_keys.index(p)]
        return out, dot

    return derived


class Simulation:
    """``duration`` ms of ``net`` as a function ``params -> {"counts", "rates", "traces"}`` (JAX engine).

    With a ``surrogate`` (see :mod:`.surrogate`) spikes are floats carrying pseudo-gradients and every
    synapse is processed each step (dense, differentiable); without one the run is event-driven and only
    ``vmap`` applies, with event buffers as large as each group (the Runner redoes a chunk whose buffer
    overflowed; a pure function cannot, and must not drop a spike). Other arguments as for
    :class:`~spikeloom.run.Runner`.
    """

    def __init__(self, net, *, duration: float, dt: float = 0.1, seed: int = 0, inputs: dict | None = None,
                 monitors=(), precision: str = "float32", surrogate=None, device: str | None = None):
        from ...core.params import steps_of
        from ..runners import runner_class

        spike = surrogate.spike_function(dt) if isinstance(surrogate, Surrogate) else surrogate
        self.runner = runner_class()(net, dt=dt, seed=seed, inputs=inputs, monitors=monitors, engine="jax",
                             precision=precision, device=device, surrogate=spike)
        if self.runner.spike_pops:
            raise ModelDefinitionError("Simulation records spike counts per step ('counts'); drop the "
                                       f"spike monitors {self.runner.spike_pops} or use Runner")
        self.n_steps = steps_of(duration, dt, "Simulation: duration")
        prog = self.runner.program
        if prog.operators.groups:  # their buffers grow by redoing chunks, which a pure function cannot
            raise ModelDefinitionError("Simulation does not take procedural connectivity or user operators "
                                       f"(projection groups {prog.operators.groups}); use Runner(engine='jax')")
        if prog.plastic.groups:  # their weights are state, not parameters: the run would not expose them
            raise EngineError("Simulation does not take plastic projections "
                              f"{sorted(n for n, pi in self.runner.plan.proj_index.items() if pi in prog.plastic.groups)}"
                              "; use Runner(engine='jax') or Runner(engine='cpu')")
        prog.chunk = self.n_steps
        if surrogate is None:  # a pure function cannot redo a chunk: the event buffers hold every neuron
            prog.capacity = {gi: g.n for gi, g in enumerate(self.runner.plan.groups)}
        tables = self.runner._input_tables(self.runner.default_inputs, self.n_steps)
        inp_carry, inp_args = prog.input_carry(tables)
        self._carry = {**self.runner.carry, **inp_carry}
        self._args = {**prog.args, **inp_args, "seed": prog._put(np.uint32(seed % 2**32))}
        self._names = self._name_map(tables)
        self._fn = prog.chunk_fn()
        self._surrogate = surrogate is not None
        self._pre = {name: proj.pre.name for name, proj in net.projections().items()}
        self._derived = self._derived_functions()
        self._refused = self._refusals()

    def _name_map(self, tables) -> dict:
        plan, names = self.runner.plan, {}
        for gi, g in enumerate(plan.groups):
            owner = "+".join(p[0] for p in g.pops)
            for k in g.params:
                names[f"{owner}.{k}"] = (f"g{gi}_p_{k}", None)
            for q, (lo, start) in enumerate(zip(tables[f"in{gi}_lo"], tables[f"in{gi}_start"])):
                pop = next(p[0] for p in g.pops if p[1] == lo)
                if f"{pop}.I_ext" in names:
                    raise ModelDefinitionError(f"input of {pop!r} changes during the run; Simulation takes "
                                               "constant inputs only")
                n = tables[f"in{gi}_val"].size if q + 1 == len(tables[f"in{gi}_lo"]) else tables[f"in{gi}_voff"][q + 1]
                names[f"{pop}.I_ext"] = (f"in{gi}_val", slice(int(tables[f"in{gi}_voff"][q]), int(n)))
        for pi, pg in enumerate(plan.pgroups):
            owner = "+".join(pg.projections)
            names[f"{owner}.weight"] = ((f"pg{pi}_w",) if np.ndim(pg.weight) == 0
                                        else tuple(f"pg{pi}_w{b}" for b in range(pg.offsets.size)), None)
        return names

    @property
    def params(self) -> dict:
        """The current values of the parameters that can receive a gradient (with a surrogate), without the
        derived constants computed from them: ``jax.grad(loss)(sim.params)`` differentiates them all. Other
        keys (see the module docstring) are accepted by a call as well."""
        out = {}
        derived = {f"{self._group_owner(gi)}.{d}" for gi, (_, dep, _) in self._derived.items() for d, _ in dep}
        for key, (arg, part) in self._names.items():
            if key in self._refused or key in derived:
                continue
            if isinstance(arg, tuple):
                out[key] = self._args[arg[0]] if len(arg) == 1 else tuple(self._args[x] for x in arg)
            else:
                out[key] = self._args[arg] if part is None else self._args[arg][part]
        return out

    # ---- what can be differentiated ------------------------------------------------------------------
    def _group_owner(self, gi: int) -> str:
        return "+".join(p[0] for p in self.runner.plan.groups[gi].pops)

    def _base(self, gi: int) -> dict:
        g = self.runner.plan.groups[gi]
        return {k: np.asarray(g.params[k], np.float64) for k in g.model.parameters}

    def _derived_functions(self) -> dict:
        """Per neuron group: (base parameter names, dependence, traced ``derived``) for groups whose
        parameters feed derived constants."""
        plan, out = self.runner.plan, {}
        for gi, g in enumerate(plan.groups):
            base = self._base(gi)
            dependence = _derived_dependence(g.model, base, plan.dt)
            if dependence:
                smooth = [pair for pair, ok in dependence.items() if ok]
                typical = {k: float(np.mean(v)) for k, v in base.items()}
                out[gi] = (list(base), dependence,
                           _traced_derived(g.model, plan.dt, self.runner.program.dtype, list(base), smooth, typical))
        return out

    def _used(self, gi: int) -> set:
        """Names the group's compiled step reads: its method's update and its threshold/reset."""
        g = self.runner.plan.groups[gi]
        xp = self.runner.program.xp
        used = set(argnames(g.model.threshold_reset(xp)))
        if g.model.ode_vars:
            update = g.model.exact(xp) if g.method == "exact" else g.model.vector_field(xp)
            used |= set(argnames(update))
        return used

    def _group_refusals(self, gi: int) -> dict:
        g = self.runner.plan.groups[gi]
        owner, model = self._group_owner(gi), g.model
        if not model.ode_vars:
            return {f"{owner}.{k}": f"{owner!r} is a spike source: its spikes are drawn or given, not crossed "
                                    "by a membrane, so they carry no surrogate gradient" for k in g.params}
        used, dependence = self._used(gi), self._derived_functions_of(gi)
        noise = model.noise_param
        noise_only = {d for d, p in dependence if p == noise} if noise and not g.uses_noise else set()
        whole = {d for (d, p), ok in dependence.items() if not ok} - {d for (d, p), ok in dependence.items() if ok}
        reasons = {}
        for k in g.params:
            if k in model.parameters:
                children = [d for (d, p), ok in dependence.items() if p == k and ok and d in used and d not in noise_only]
                if k == noise and not g.uses_noise:
                    reasons[k] = (f"noise is off in {owner!r} ({k} = 0 when built) and whether a group is noisy is "
                                  f"part of the compiled program; build it with {k} > 0 to differentiate {k}")
                elif k not in used and not children:
                    via = sorted(d for d, p in dependence if p == k)
                    reasons[k] = (f"{k} enters the run only as {via} (a whole number of steps), which has no gradient"
                                  if via else f"{k} is not used by method {g.method!r}")
            elif k in noise_only:
                reasons[k] = f"{k} scales the noise, which is off in {owner!r}"
            elif k in whole:
                reasons[k] = f"{k} is a whole number of steps, which has no gradient"
            elif k not in used:
                reasons[k] = f"{k} is not used by method {g.method!r}"
        return {f"{owner}.{k}": why for k, why in reasons.items()}

    def _derived_functions_of(self, gi: int) -> dict:
        return self._derived[gi][1] if gi in self._derived else {}

    def _refusals(self) -> dict:
        """``{key: reason}`` for every key whose gradient is 0 whatever the values (with a surrogate)."""
        out = {}
        for gi in range(len(self.runner.plan.groups)):
            out.update(self._group_refusals(gi))
        return out

    def differentiable(self) -> list[str]:
        """The keys that can receive a gradient: those of :attr:`params`, and derived constants the run uses
        (none without a surrogate)."""
        return sorted(k for k in self._names if k not in self._refused) if self._surrogate else []

    def _guard(self, key: str, value):
        if self._surrogate and key not in self._refused:
            return value
        why = self._refused.get(key, "this Simulation has no surrogate, so spikes are a step function and every "
                                     "gradient through them is 0; build it with surrogate=surrogate()")
        return _refuse_gradient(f"Simulation: no gradient with respect to {key!r}: {why}; differentiable keys: "
                                f"{self.differentiable()}")(value)

    def weight_mask(self, projection: str):
        """1 where a synapse of ``projection`` sits in its group's weight key, 0 elsewhere (same structure as
        that key's value), so ``(grad[key] * mask).sum()`` is the derivative for a common change of that
        projection's weights and ``w + d * mask`` changes only them."""
        plan = self.runner.plan
        if projection not in plan.proj_index:
            raise ModelDefinitionError(f"Simulation.weight_mask: unknown projection {projection!r}; known: "
                                       f"{sorted(plan.proj_index)}")
        pi = plan.proj_index[projection]
        pg = plan.pgroups[pi]
        key = next(k for k, (arg, _) in self._names.items() if isinstance(arg, tuple) and arg[0].startswith(f"pg{pi}_w"))
        if np.ndim(pg.weight) == 0 and len(pg.projections) > 1:
            raise ModelDefinitionError(f"Simulation.weight_mask: projections {sorted(pg.projections)} share one "
                                       f"scalar weight ({key!r}); give them different weights to tell them apart")
        seg, n_syn = pg.projections[projection]
        lo = int(pg.seg_post_lo[seg] if pg.synapse.in_post else pg.seg_slot_lo[seg])
        hi = lo + int(pg.seg_n[seg])
        pre = self._pre[projection]
        _, plo, phi, _ = plan.pop_index[pre]
        masks = []
        for b in range(pg.offsets.size):
            cols = np.asarray(self._args[f"pg{pi}_col{b}"])
            rows = np.arange(cols.shape[0])[:, None]
            masks.append((rows >= plo) & (rows < phi) & (cols >= lo) & (cols < hi))
        if np.ndim(pg.weight) == 0:
            return jnp.ones((), self.runner.program.dtype)
        if sum(int(m.sum()) for m in masks) != n_syn:
            others = sorted(p for p in pg.projections if p != projection and self._pre[p] == pre
                            and pg.projections[p][0] == seg)
            raise ModelDefinitionError(f"Simulation.weight_mask: {projection!r} shares its presynaptic population "
                                       f"and synapse state with {others}; their synapses cannot be told apart")
        out = tuple(jnp.asarray(m, self.runner.program.dtype) for m in masks)
        return out[0] if len(out) == 1 else out

    def __call__(self, params: dict | None = None) -> dict:
        params = dict(params or {})
        for key in params:
            if key not in self._names:
                raise ModelDefinitionError(f"Simulation: unknown parameter {key!r}; known: {sorted(self._names)}")
        params = {key: self._guard(key, value) for key, value in params.items()}
        args = dict(self._args)
        self._recompute_derived(params, args)
        for key, value in params.items():
            arg, part = self._names[key]
            if isinstance(arg, tuple):
                for name, v in zip(arg, value if isinstance(value, tuple) else (value,)):
                    args[name] = jnp.asarray(v, args[name].dtype)
            elif part is None:
                args[arg] = jnp.asarray(value, args[arg].dtype)
            else:
                args[arg] = args[arg].at[part].set(jnp.asarray(value, args[arg].dtype))
        carry, ys = self._fn(self._carry, args, jnp.int32(0), jnp.int32(self.n_steps))
        plan = self.runner.plan
        counts = {name: ys["counts"][:, pid] for name, (_, _, _, pid) in plan.pop_index.items()}
        duration_s = self.n_steps * plan.dt * 1e-3
        return {
            "counts": counts,
            "rates": {name: c.sum() / (duration_s * (hi - lo))
                      for (name, c), (_, lo, hi, _) in zip(counts.items(), plan.pop_index.values())},
            "traces": {key: ys[f"smon{k}"][every - 1::every]
                       for k, (key, _, _, every, _) in enumerate(self.runner.state_monitors)},
        }

    def _recompute_derived(self, params: dict, args: dict) -> None:
        """Derived constants of every group whose parameters are given, computed from them in the trace."""
        for gi, (base_keys, dependence, derived) in self._derived.items():
            owner = self._group_owner(gi)
            given = [k for k in base_keys if f"{owner}.{k}" in params]
            feeds = {d for d, p in dependence if p in given}
            if not feeds:
                continue
            both = sorted(f"{owner}.{d}" for d in feeds if f"{owner}.{d}" in params)
            if both:
                raise ModelDefinitionError(f"Simulation: {both} are computed from {[f'{owner}.{k}' for k in given]}; "
                                           "give either the parameters or the derived constants")
            values = [jnp.asarray(params.get(f"{owner}.{k}", args[f"g{gi}_p_{k}"]), args[f"g{gi}_p_{k}"].dtype)
                      for k in base_keys]
            for d, v in derived(*values).items():
                args[f"g{gi}_p_{d}"] = v

    def jit(self):
        """``jax.jit`` of this simulation (compiled on the first call)."""
        return jax.jit(self.__call__)


def descend(loss, params: dict, steps: int, lr: float) -> tuple[list, dict]:
    """Minimize ``loss(params)`` (a non-negative error, 0 at the target) by ``steps`` steps of normalized
    gradient descent: each parameter moves by ``lr * g / max|g| * max|p| * sqrt(loss)``. A surrogate gradient's
    scale is arbitrary and only its direction counts, so a step is a fraction of the parameter's own size,
    shrinking as the error does. Returns the loss before each step and the final parameters."""
    value_and_grad = jax.jit(jax.value_and_grad(loss))
    history = []
    for _ in range(steps):
        value, grad = value_and_grad(params)
        history.append(float(value))
        params = {k: params[k] - lr * g / (jnp.abs(g).max() + 1e-12) * jnp.abs(params[k]).max() * jnp.sqrt(value)
                  for k, g in grad.items()}
    return history, params
