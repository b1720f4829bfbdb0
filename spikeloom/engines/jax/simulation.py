"""A network run as a pure function of its parameters: ``jax.grad`` through it, ``jax.vmap`` over it.

>>> sim = Simulation(net, duration=200.0, inputs={"E": 20.0}, surrogate=surrogate("fast_sigmoid", 2.0))
>>> params = sim.params                     # {"E.I_ext": ..., "E2E.weight": ..., "E.V_th": ...}
>>> out = sim(params)                       # out["counts"]["E"]: spikes per step (surrogate floats)
>>> jax.grad(lambda p: loss(sim(p)))(params)
>>> jax.vmap(sim)(batched_params)           # B networks in one compiled call

Keys of ``params``:

- ``"<population>.<parameter>"``: a neuron parameter (``"E+I.tau"`` when several populations of one model
  share the value); derived constants (decay factors) are computed before the run and are keys too;
- ``"<projection>.weight"``: the stored weights of a projection group (scalar, or one per synapse in the
  padded fan-out layout; ``"A+B.weight"`` when projections share a group), including any ``w_scale``;
- ``"<population>.I_ext"``: the constant input current (pA) of a population given in ``inputs``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..._errors import ModelDefinitionError


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
        from ...run.runner import Runner

        self.runner = Runner(net, dt=dt, seed=seed, inputs=inputs, monitors=monitors, engine="jax",
                             precision=precision, device=device, surrogate=surrogate)
        if self.runner.spike_pops:
            raise ModelDefinitionError("Simulation records spike counts per step ('counts'); drop the "
                                       f"spike monitors {self.runner.spike_pops} or use Runner")
        self.n_steps = steps_of(float(duration), dt, "duration")
        prog = self.runner.program
        if prog.operators.groups:  # their buffers grow by redoing chunks, which a pure function cannot
            raise ModelDefinitionError("Simulation does not take procedural connectivity or user operators "
                                       f"(projection groups {prog.operators.groups}); use Runner(engine='jax')")
        prog.chunk = self.n_steps
        if surrogate is None:  # a pure function cannot redo a chunk: the event buffers hold every neuron
            prog.capacity = {gi: g.n for gi, g in enumerate(self.runner.plan.groups)}
        tables = self.runner._input_tables(self.runner.default_inputs, self.n_steps)
        inp_carry, inp_args = prog.input_carry(tables)
        self._carry = {**self.runner.carry, **inp_carry}
        self._args = {**prog.args, **inp_args, "seed": prog._put(np.uint32(seed % 2**32))}
        self._names = self._name_map(tables)
        self._fn = prog.chunk_fn()

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
        """The current values of every differentiable parameter (see the module docstring for the keys)."""
        out = {}
        for key, (arg, part) in self._names.items():
            if isinstance(arg, tuple):
                out[key] = self._args[arg[0]] if len(arg) == 1 else tuple(self._args[x] for x in arg)
            else:
                out[key] = self._args[arg] if part is None else self._args[arg][part]
        return out

    def __call__(self, params: dict | None = None) -> dict:
        args = dict(self._args)
        for key, value in (params or {}).items():
            if key not in self._names:
                raise ModelDefinitionError(f"unknown parameter {key!r}; known: {sorted(self._names)}")
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
