"""Seed 004: one Izhikevich neuron under 1,100 (and 6,500) Poisson inputs for 1.2 s, event-driven, adaptive.

Rows: spikeloom's CPU engine (compile from an empty cache, load from the cache, run), scipy's ``solve_ivp``
(RK45 at the same tolerances, restarted at every input spike of the same input trains, threshold by event
location), the JAX path, and diffrax (Tsit5 + PID controller + event root finding, one ``diffeqsolve`` per
inter-input interval inside a ``lax.while_loop``) on the same input trains. Then a batch of neurons in one
call against the same neurons one call each. Prints markdown tables.

    python benchmarks/izhikevich_poisson.py [--batch 1000] [--one-by-one 50] [--skip-jax]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

#: the seed's Julia run (DifferentialEquations.jl Tsit5, 1,002 state variables), second call, mostly compilation
SEED_JULIA_S = 12.4


def scipy_run(model, times, sources, duration):
    """solve_ivp RK45 at the model's tolerances on (v, u, g_exc, g_inh), restarted at each input time."""
    from scipy.integrate import solve_ivp

    p = model.params
    kind = model.kind

    def rhs(t, y):
        v, u, ge, gi = y
        I = ge * (p["E_exc"] - v) + gi * (p["E_inh"] - v)
        return [(p["k"] * (v - p["v_r"]) * (v - p["v_t"]) - u + I) / p["C"], p["a"] * (p["b"] * (v - p["v_r"]) - u),
                -ge / p["tau_s"], -gi / p["tau_s"]]

    def peak(t, y):
        return y[0] - p["v_peak"]

    peak.terminal, peak.direction = True, 1
    atol = [p["atol_v"], p["atol_u"], 1e-3, 1e-3]
    y, t, spikes, steps = np.array([p["v0"], p["u0"], 0.0, 0.0]), 0.0, [], 0
    uniq, first = np.unique(times, return_index=True)
    bounds = list(uniq) + [duration]
    j = 0
    t0 = time.perf_counter()
    for stop in bounds:
        while t < stop:
            sol = solve_ivp(rhs, (t, stop), y, events=peak, rtol=1e-12, atol=atol, max_step=p["dtmax"],
                            first_step=min(p["dt0"], stop - t))
            steps += sol.t.size - 1
            if sol.status == 1:
                t = sol.t_events[0][0]
                y = sol.y_events[0][0].copy()
                y[0], y[1] = p["c"], y[1] + p["d"]
                spikes.append(t)
            else:
                t, y = stop, sol.y[:, -1].copy()
        while j < times.size and times[j] == stop:
            y[2 + kind[sources[j]]] += p["dg_exc"] if kind[sources[j]] == 0 else p["dg_inh"]
            j += 1
    return np.array(spikes), time.perf_counter() - t0, steps


def diffrax_run(model, times, sources, duration):
    """diffrax Tsit5 with a PID controller and a root-found threshold event, segment by segment (jitted)."""
    import diffrax
    import jax
    import jax.numpy as jnp
    import optimistix as optx

    jax.config.update("jax_enable_x64", True)
    p = model.params
    kind = model.kind[sources]
    dg = jnp.asarray(np.where(kind == 0, p["dg_exc"], p["dg_inh"]))
    idx = jnp.asarray(2 + kind)
    tt = jnp.asarray(np.append(times, np.inf))

    def f(t, y, args):
        v, u, ge, gi = y
        I = ge * (p["E_exc"] - v) + gi * (p["E_inh"] - v)
        return jnp.stack([(p["k"] * (v - p["v_r"]) * (v - p["v_t"]) - u + I) / p["C"],
                          p["a"] * (p["b"] * (v - p["v_r"]) - u), -ge / p["tau_s"], -gi / p["tau_s"]])

    term, solver = diffrax.ODETerm(f), diffrax.Tsit5()
    ctrl = diffrax.PIDController(rtol=0.0, atol=p["atol_v"], dtmin=p["dtmin"], dtmax=p["dtmax"], force_dtmin=True)
    event = diffrax.Event(lambda t, y, args, **kw: y[0] - p["v_peak"], optx.Newton(1e-10, 1e-10))

    @jax.jit
    def run():
        def body(c):
            t, y, i, sp, n_sp, steps = c
            t1 = jnp.minimum(tt[i], duration)
            sol = diffrax.diffeqsolve(term, solver, t, t1, p["dt0"], y, stepsize_controller=ctrl, event=event,
                                      saveat=diffrax.SaveAt(t1=True), max_steps=100_000, throw=False)
            t_end, y_end = sol.ts[-1], sol.ys[-1]
            hit = sol.event_mask
            y_reset = y_end.at[0].set(p["c"]).at[1].add(p["d"])
            y_in = y_end.at[idx[jnp.minimum(i, idx.shape[0] - 1)]].add(dg[jnp.minimum(i, dg.shape[0] - 1)])
            arrived = ~hit & (tt[i] <= duration)
            return (t_end, jnp.where(hit, y_reset, jnp.where(arrived, y_in, y_end)), i + arrived,
                    sp.at[n_sp].set(jnp.where(hit, t_end, sp[n_sp])), n_sp + hit, steps + sol.stats["num_accepted_steps"])

        y0 = jnp.array([p["v0"], p["u0"], 0.0, 0.0])
        c = (jnp.float64(0.0), y0, 0, jnp.zeros(4096), 0, 0)
        return jax.lax.while_loop(lambda c: c[0] < duration, body, c)

    t0 = time.perf_counter()
    jax.block_until_ready(run())
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = jax.block_until_ready(run())
    return np.asarray(out[3][:int(out[4])]), first, time.perf_counter() - t0, int(out[5])


def table(rows, head):
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--one-by-one", type=int, default=50, help="neurons timed one call each (extrapolated)")
    ap.add_argument("--skip-jax", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("SPIKELOOM_CACHE_DIR", tempfile.mkdtemp(prefix="slbench_"))
    from spikeloom.models.izhikevich_poisson import IzhikevichPoisson

    rows = []
    for n_exc in (800, 5200):
        model = IzhikevichPoisson(n_exc, seeds=0)
        t0 = time.perf_counter()
        res = model.run(record_inputs=True)
        first = time.perf_counter() - t0
        again = model.run(record_inputs=True)
        times, sources = again.input_times[0], again.input_sources[0]
        label = f"{model.n_sources:,} inputs ({times.size:,} input spikes)"
        rows.append([label, "spikeloom cpu", f"{first:.2f}", f"{again.run_s * 1e3:.1f} ms",
                     f"{again.steps_accepted[0]:,} / {again.steps_rejected[0]:,}", again.spike_times().size, "-"])
        sp, secs, steps = scipy_run(model, times, sources, 1200.0)
        match = np.abs(sp - again.spike_times()).max() if sp.size == again.spike_times().size else "count differs"
        rows.append([label, "scipy solve_ivp RK45", "-", f"{secs:.2f} s", f"{steps:,} / -", sp.size,
                     f"{match:.1e} ms" if not isinstance(match, str) else match])
        if not args.skip_jax:
            jx = model.run(engine="jax", record_inputs=True)
            d = np.abs(jx.spike_times() - again.spike_times()).max()
            rows.append([label, "spikeloom jax (CPU)", f"{jx.compile_s + jx.run_s:.2f}", f"{jx.run_s:.2f} s",
                         f"{jx.steps_accepted[0]:,} / {jx.steps_rejected[0]:,}", jx.spike_times().size, f"{d:.1e} ms"])
            sp, first_s, secs, steps = diffrax_run(model, times, sources, 1200.0)
            d = np.abs(sp - again.spike_times()).max() if sp.size == again.spike_times().size else "count differs"
            rows.append([label, "diffrax Tsit5 (CPU)", f"{first_s:.2f}", f"{secs:.2f} s", f"{steps:,} / -", sp.size,
                         f"{d:.1e} ms" if not isinstance(d, str) else d])
        print(f"compile (empty cache) {res.compile_s:.2f} s, load from cache {again.compile_s:.2f} s", flush=True)
    print(f"\nSeed's Julia run: {SEED_JULIA_S} s (mostly compilation). Spike-time difference vs spikeloom cpu.\n")
    table(rows, ["problem", "solver", "first call incl. compile (s)", "run excl. compile", "steps acc. / rej.",
                 "spikes", "max |dt spike|"])

    # ---- batch vs one by one -----------------------------------------------------------------------------
    brows = []
    seeds = np.arange(args.batch)
    engines = ["cpu"] + ([] if args.skip_jax else ["jax"])
    for engine in engines:
        model = IzhikevichPoisson(800, seeds=seeds)
        model.run(100.0, engine=engine)  # compile
        res = model.run(engine=engine)
        batch_s = res.run_s
        k = args.one_by_one if engine == "cpu" else max(3, args.one_by_one // 5)
        IzhikevichPoisson(800, seeds=int(seeds[-1])).run(engine=engine)  # compile for a batch of one, untimed
        t0 = time.perf_counter()
        for s in seeds[:k]:
            IzhikevichPoisson(800, seeds=int(s)).run(engine=engine)
        per_neuron = (time.perf_counter() - t0) / k
        brows.append([engine, args.batch, f"{batch_s:.2f}", f"{args.batch / batch_s:,.0f}",
                      f"{per_neuron * 1e3:.1f} (over {k})", f"{1 / per_neuron:,.1f}",
                      f"{(args.batch / batch_s) * per_neuron:.1f}x"])
    print()
    table(brows, ["engine", "batch", "batch run (s)", "neurons/s batched", "one by one, ms per neuron (incl. set-up, excl. compile)",
                  "neurons/s one by one", "throughput gain"])


if __name__ == "__main__":
    main()
