"""Event-driven adaptive integration of a batch of independent neurons with JAX (``vmap`` over the batch).

The same Dormand-Prince 5(4) tableau, controller, dense output and bisection as the CPU engine
(:mod:`spikeloom.integrators.adaptive`), written functionally: one ``lax.while_loop`` per neuron whose
iteration either applies one due input spike, tries one step, or takes one bisection step towards the
threshold crossing of an accepted step that spiked (the CPU engine's stopping rule, so both engines locate
the same crossing). Under ``vmap`` every iteration computes all three for every neuron, so each is kept
small. The loop is vmapped over the batch and jitted once per
model structure and buffer size. Model math comes from the same factories (``vector_field``,
``threshold_reset``, the synapse's ``decay``/``conductance``, the output's ``current``) bound to
``jax.numpy``; Poisson inputs are drawn lazily from the same counter-based generator, so both engines apply
the same input spikes. Runs in float64.

diffrax was measured for this path (``benchmarks/izhikevich_poisson.py``) and is not used; see
``benchmarks/README.md`` for the numbers and the reason.
"""

from __future__ import annotations

import time

import numpy as np

from ..._errors import EngineError, SimulationError
from ...core.random import make_random
from ...integrators import adaptive as dp5
from ...neurons._base import argnames
from ..numba.adaptive import POISSON_STREAM
from .mathlib import make_xp

def _bind(fn, names: dict):
    """Call ``fn`` with its arguments looked up by name in ``names``."""
    args = argnames(fn)
    return lambda values: fn(*(values[a] for a in args))


def make_solver(neuron_cls, synapse_cls, output_cls, record: bool):
    """Return ``solve(arrays) -> outputs`` for one neuron (to be vmapped), bound to these model classes;
    ``record``: keep the applied input spikes (else the loop does not stop when their buffer is full)."""
    import jax
    import jax.numpy as jnp

    xp = make_xp(np.float64)
    uniform, _ = make_random(xp)
    ode = list(neuron_cls.ode_vars)
    n = len(ode)
    vf = neuron_cls.vector_field(xp)
    tr = neuron_cls.threshold_reset(xp)
    decay, cond, out = synapse_cls.decay(xp), synapse_cls.conductance(xp), output_cls.current(xp)
    (g_var,) = synapse_cls.state
    params, out_params = list(neuron_cls.parameters), list(output_cls.parameters)
    A, C, E, P = (jnp.asarray(a) for a in (dp5.A, dp5.C, dp5.E, dp5.P))

    def call(fn, values):
        return fn(*(values[a] for a in argnames(fn)))

    def rhs(s, y, g, lam, OUT, p):
        consts = {a: jnp.exp(lam * s) for a in argnames(decay) if a != g_var}
        gs = call(decay, {g_var: g, **consts})[0]
        I = jnp.sum(call(out, {"g": call(cond, {g_var: gs}), "V": y[0],
                               **{q: OUT[j] for j, q in enumerate(out_params)}}))
        d = call(vf, {**{q: p[j] for j, q in enumerate(params)}, **{v: y[j] for j, v in enumerate(ode)}, "I": I})
        return jnp.stack(d)

    def reset(y0, y1, p):
        r = call(tr, {**{q: p[j] for j, q in enumerate(params)}, **{v: y0[j] for j, v in enumerate(ode)},
                      **{f"{v}_new": y1[j] for j, v in enumerate(ode)}})
        return jnp.stack(r[:n]), r[n]

    def dense(theta, h, y, k):
        w = P[:, 0] * theta + P[:, 1] * theta**2 + P[:, 2] * theta**3 + P[:, 3] * theta**4
        return y + h * (w @ k)

    def uniform48(seed, count, j):
        return (uniform(seed, POISSON_STREAM, count, 2 * j)
                + uniform(seed, POISSON_STREAM, count, 2 * j + 1) * 2.0**-24)

    def solve(a):
        atol, rtol, dtmin, dtmax, event_tol, t_end = (a[k] for k in ("atol", "rtol", "dtmin", "dtmax", "event_tol",
                                                                      "t_end"))
        p, lam, OUT, cum, seed = a["P"], a["LAM"], a["OUT"], a["cum_rate"], a["seed"]
        total = cum[-1]
        cap_s, cap_r = a["sp_t"].shape[0], a["rec_t"].shape[0]

        def interval(m):
            return jnp.where(total > 0, -jnp.log(1.0 - uniform48(seed, m, 0)) / jnp.where(total > 0, total, 1.0),
                             jnp.inf)

        def next_explicit(e):
            return jnp.where(e < a["ex_end"], a["ex_t"][jnp.minimum(e, a["ex_t"].shape[0] - 1)], jnp.inf)

        def apply_input(c):
            from_pois = c["t_pois"] <= next_explicit(c["e"])
            s_pois = jnp.minimum(jnp.searchsorted(cum, uniform48(seed, c["m"], 1) * total, side="right"),
                                 cum.shape[0] - 1)
            s = jnp.where(from_pois, s_pois, a["ex_src"][jnp.minimum(c["e"], a["ex_src"].shape[0] - 1)])
            t_in = jnp.where(from_pois, c["t_pois"], next_explicit(c["e"]))
            full = c["rec_n"] >= cap_r
            g = c["g"].at[a["src_chan"][s]].add(a["src_w"][s])
            m = c["m"] + from_pois
            return dict(c, g=g, m=m, e=c["e"] + (1 - from_pois),
                        t_pois=jnp.where(from_pois, c["t_pois"] + interval(m), c["t_pois"]),
                        rec_t=c["rec_t"].at[jnp.minimum(c["rec_n"], cap_r - 1)].set(jnp.where(full, 0.0, t_in)),
                        rec_src=c["rec_src"].at[jnp.minimum(c["rec_n"], cap_r - 1)].set(jnp.where(full, 0, s)),
                        rec_n=c["rec_n"] + 1)

        def try_step(c):
            t, y, g, h = c["t"], c["y"], c["g"], c["h"]
            t_stop = jnp.minimum(jnp.minimum(t_end, c["t_pois"]), next_explicit(c["e"]))
            h_try = jnp.minimum(h, dtmax)
            last = t + 1.01 * h_try >= t_stop
            h_try = jnp.where(last, t_stop - t, h_try)
            k = jnp.zeros((dp5.N_STAGES, n)).at[0].set(rhs(0.0, y, g, lam, OUT, p))
            for s in range(1, dp5.N_STAGES):
                k = k.at[s].set(rhs(C[s] * h_try, y + h_try * (A[s, :s] @ k[:s]), g, lam, OUT, p))
            y_new = y + h_try * (A[dp5.N_STAGES - 1] @ k)
            scale = atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_new))
            err = jnp.sqrt(jnp.mean((h_try * (E @ k) / scale) ** 2))
            ok = err <= 1.0
            accept = ok | (h_try <= dtmin)
            factor = jnp.where(err == 0.0, dp5.MAX_FACTOR,
                               jnp.where(jnp.isnan(err), dp5.MIN_FACTOR,
                                         jnp.clip(dp5.SAFETY * err ** dp5.ERROR_EXPONENT, dp5.MIN_FACTOR,
                                                  dp5.MAX_FACTOR)))
            h_next = h_try * factor
            h_next = jnp.where(accept & last, jnp.maximum(h_next, h), h_next)
            h_next = jnp.minimum(jnp.maximum(h_next, dtmin), dtmax)
            spiked = accept & reset(y, y_new, p)[1]
            # an accepted step that spikes is not taken yet: the next iterations locate the crossing
            move = accept & ~spiked
            counts = c["counts"] + jnp.stack([accept, ~accept, accept & ~ok]).astype(jnp.int64)
            return dict(c, t=jnp.where(move, jnp.where(last, t_stop, t + h_try), t), y=jnp.where(move, y_new, y),
                        g=jnp.where(move, g * jnp.exp(lam * h_try), g),
                        h=jnp.where(accept, h_next, jnp.maximum(dtmin, h_try * factor)), counts=counts,
                        loc=spiked, lo=jnp.float64(0.0), hi=jnp.float64(1.0), ks=k, hs=h_try,
                        bad=c["bad"] | (move & ~jnp.all(jnp.isfinite(y_new)))
                        | (~accept & (h_try * factor < 1e-12)))

        def locate(c):
            # one bisection step per iteration, with the CPU engine's stopping rule (``locate`` of
            # integrators.adaptive); a 60-step loop inside every step cost two thirds of a vmapped run
            y, k, h_try, lo, hi = c["y"], c["ks"], c["hs"], c["lo"], c["hi"]
            mid = 0.5 * (lo + hi)
            more = ((hi - lo) * h_try > event_tol) & (mid > lo) & (mid < hi)
            # one dense evaluation: the midpoint while bisecting, the crossing (hi) once the bracket is small
            y_reset, hit = reset(y, dense(jnp.where(more, mid, hi), h_try, y, k), p)
            t_spike = c["t"] + hi * h_try
            done = ~more
            room = c["sp_n"] < cap_s
            idx = jnp.minimum(c["sp_n"], cap_s - 1)
            sp_t = c["sp_t"].at[idx].set(jnp.where(done & room, t_spike, c["sp_t"][idx]))
            return dict(c, lo=jnp.where(more & ~hit, mid, lo), hi=jnp.where(more & hit, mid, hi), loc=more,
                        t=jnp.where(done, t_spike, c["t"]), y=jnp.where(done, y_reset, y),
                        g=jnp.where(done, c["g"] * jnp.exp(lam * hi * h_try), c["g"]),
                        sp_t=sp_t, sp_n=c["sp_n"] + done,
                        bad=c["bad"] | (done & ~jnp.all(jnp.isfinite(y_reset))))

        def body(c):
            due = jnp.minimum(c["t_pois"], next_explicit(c["e"])) <= c["t"]
            return jax.lax.switch(jnp.where(c["loc"], 2, jnp.where(due, 0, 1)), (apply_input, try_step, locate), c)

        def running(c):
            due = jnp.minimum(c["t_pois"], next_explicit(c["e"])) <= c["t"]
            room = (c["sp_n"] <= cap_s) & ((c["rec_n"] <= cap_r) if record else True)
            return ((c["t"] < t_end) | due | c["loc"]) & ~c["bad"] & room

        c0 = dict(t=jnp.float64(0.0), y=a["Y"], g=jnp.zeros_like(lam), h=a["H"], m=jnp.int64(0),
                  t_pois=interval(jnp.int64(0)), e=a["ex_start"], counts=jnp.zeros(3, jnp.int64),
                  sp_t=a["sp_t"], sp_n=jnp.int64(0), rec_t=a["rec_t"], rec_src=a["rec_src"], rec_n=jnp.int64(0),
                  bad=jnp.bool_(False), loc=jnp.bool_(False), lo=jnp.float64(0.0), hi=jnp.float64(1.0),
                  ks=jnp.zeros((dp5.N_STAGES, n)), hs=jnp.float64(0.0))
        return jax.lax.while_loop(running, body, c0)

    return solve


_COMPILED: dict = {}
_EXECUTABLES: dict = {}


def run_batch(system, args: dict, spike_capacity: int, record_inputs: bool) -> dict:
    """Run the batch of ``system`` with arrays ``args`` (see ``EventDrivenNeurons.arrays``) on JAX."""
    import jax

    jax.config.update("jax_enable_x64", True)  # tolerances down to 1e-10 need float64
    import jax.numpy as jnp

    if args["tr_y"].shape[1]:
        raise EngineError("engine 'jax': trace sampling (sample_dt) is available on the cpu engine only")
    key = (type(system.neuron), system.synapse_cls, system.output_cls, bool(record_inputs))
    if key not in _COMPILED:
        _COMPILED[key] = jax.jit(jax.vmap(make_solver(*key), in_axes=(_AXES,)))
    fn = _COMPILED[key]
    n = args["Y"].shape[0]
    ex_ptr = args["ex_ptr"]
    ex_t = args["ex_t"] if args["ex_t"].size else np.zeros(1)
    ex_src = args["ex_src"] if args["ex_src"].size else np.zeros(1, np.int64)
    cap_r = 16 + int(1.2 * args["t_end"] * args["cum_rate"][:, -1].max()) if record_inputs else 1
    cap_r = max(cap_r, 16 + int(np.diff(ex_ptr).max(initial=0))) if record_inputs else 1
    compile_s = run_s = 0.0
    while True:
        batch = {
            "atol": args["atol"], "rtol": args["rtol"], "dtmin": args["dtmin"], "dtmax": args["dtmax"],
            "event_tol": args["event_tol"], "t_end": args["t_end"], "P": args["P"], "LAM": args["LAM"],
            "OUT": args["OUT"], "cum_rate": args["cum_rate"], "seed": args["seeds"], "src_chan": args["src_chan"],
            "src_w": args["src_w"], "ex_t": ex_t, "ex_src": ex_src, "ex_start": ex_ptr[:-1], "ex_end": ex_ptr[1:],
            "Y": args["Y"], "H": args["H"], "sp_t": np.zeros((n, spike_capacity)),
            "rec_t": np.zeros((n, cap_r)), "rec_src": np.zeros((n, cap_r), np.int64),
        }
        batch = {k: jnp.asarray(v) for k, v in batch.items()}
        t0 = time.perf_counter()
        shapes = (key, tuple((k, v.shape, str(v.dtype)) for k, v in sorted(batch.items())))
        if shapes not in _EXECUTABLES:  # a new batch size or buffer size: compile once, reuse after
            _EXECUTABLES[shapes] = fn.lower(batch).compile()
        compiled = _EXECUTABLES[shapes]
        compile_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        res = jax.block_until_ready(compiled(batch))
        run_s += time.perf_counter() - t0
        res = {k: np.asarray(v) for k, v in res.items()}
        if np.any(res["bad"]):
            i = int(np.flatnonzero(res["bad"])[0])
            raise SimulationError(f"event-driven run (jax): neuron {i} stopped at t = {res['t'][i]:.6g} ms: a state "
                                  f"became non-finite or the step size underflowed; state {res['y'][i]}")
        grow_s, grow_r = np.any(res["sp_n"] > spike_capacity), record_inputs and np.any(res["rec_n"] > cap_r)
        if not (grow_s or grow_r):
            break
        spike_capacity, cap_r = spike_capacity * (2 if grow_s else 1), cap_r * (2 if grow_r else 1)
    return dict(args, Y=res["y"], counts=res["counts"], sp_t=res["sp_t"], sp_n=res["sp_n"], rec_t=res["rec_t"],
                rec_src=res["rec_src"], rec_n=np.minimum(res["rec_n"], cap_r), T=res["t"], compile_s=compile_s,
                run_s=run_s)


#: which inputs of one neuron's ``solve`` carry the batch axis
_AXES = {k: (0 if k in ("P", "cum_rate", "seed", "ex_start", "ex_end", "Y", "H", "sp_t", "rec_t", "rec_src") else None)
         for k in ("atol", "rtol", "dtmin", "dtmax", "event_tol", "t_end", "P", "LAM", "OUT", "cum_rate", "seed",
                   "src_chan", "src_w", "ex_t", "ex_src", "ex_start", "ex_end", "Y", "H", "sp_t", "rec_t", "rec_src")}
