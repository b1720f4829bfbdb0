#!/usr/bin/env python3
"""The Joglekar et al. (2018) 29-area model with BrainPy's just-in-time connectivity operator (peer benchmark).

Run with the BrainPy virtual environment (``setup_peers.sh``)::

    .peers/brainpy/bin/python benchmarks/peers/brainpy_joglekar2018.py --duration-ms 950

The model is the one of BrainPy's multi-area example (``MultiAreaNet``, asynchronous weak-GBA parameters, V1
stimulus 15 mV from 300 to 450 ms, 950 ms, dt 0.1 ms), with the per-pair connectivity generated procedurally by
``brainpy.math.jitconn.event_mv_prob_homo`` (p = 0.1, one seed per area pair), vmapped over the 841 area pairs
and over the 29 local inhibitory blocks, and the time loop as one ``jax.lax.scan``. Neurons follow BrainPy's
``LIF`` with noise integrated by the stochastic exponential Euler scheme, refractory inputs masked, fixed
per-pair delays ``int(D / dt)`` steps (2 ms locally), as in that example. Float32, CPU backend of JAX.

``compile_s`` is a first call on a 10-step scan of the same step function (tracing and XLA compilation);
``run_s`` the timed full run (compiled once for its length before timing). The last line is one JSON object.
"""

import argparse
import json
import os
import resource
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration-ms", type=float, default=950.0)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "spikeloom", "models",
                                                   "data", "joglekar2018_data.npz"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import brainpy.math as bm
    import jax
    import jax.numpy as jnp
    import numpy as np

    bm.set_platform("cpu")
    dt, n_e, n_i, p = 0.1, 1600, 400, 0.1
    d = np.load(args.data)
    hier, fln, delay = d["hier_normalized"], d["fln"], d["delay_ms"]
    na = hier.size
    pars = dict(extE=14.2, extI=14.7, wII=.075, wEE=.01, wIE=.075, wEI=.0375, muEE=.0375, muIE=0.0475, alpha=4.0)
    gain = 1 + pars["alpha"] * hier
    # [source, target] weights, local on the diagonal
    w_ee = gain[None, :] * pars["muEE"] * fln.T
    np.fill_diagonal(w_ee, gain * pars["wEE"])
    w_ie = gain[None, :] * pars["muIE"] * fln.T
    np.fill_diagonal(w_ie, gain * pars["wIE"])
    steps = (delay.T / dt).astype(int)
    np.fill_diagonal(steps, int(2.0 / dt))
    depth = int(steps.max()) + 1
    n_steps = int(round(args.duration_ms / dt))
    t = np.arange(n_steps) * dt
    stim = np.where((t >= 300.0) & (t < 450.0), 15.0, 0.0).astype(np.float32)

    pairs_src = np.repeat(np.arange(na), na)
    seeds = np.random.default_rng(args.seed).integers(0, 100000, (3, na * na))
    jit_mv = bm.jitconn.event_mv_prob_homo

    def pair_currents(spk, w, seed, shape):
        return jax.vmap(lambda e, ww, s: jit_mv(e, ww, p, seed=s, shape=shape, transpose=True))(spk, w, seed)

    w_ee_f, w_ie_f = jnp.asarray(w_ee.ravel(), jnp.float32), jnp.asarray(w_ie.ravel(), jnp.float32)
    steps_f = jnp.asarray(steps.ravel())
    seeds = jnp.asarray(seeds)

    def lif(V, t_last, inp, tau, key, t_now, spikes_in):
        not_ref = (t_now - t_last) > 2.0
        V = V + spikes_in * not_ref
        decay = jnp.exp(-dt / tau)
        v_inf = -70.0 + inp
        noise = decay * (3.0 / jnp.sqrt(tau)) * jnp.sqrt(dt) * jax.random.normal(key, V.shape)
        V_new = v_inf + (V - v_inf) * decay + noise
        V_new = jnp.where(not_ref, V_new, V)
        spike = V_new >= -50.0
        return jnp.where(spike, -60.0, V_new), jnp.where(spike, t_now, t_last), spike

    def step(carry, x):
        VE, VI, tE, tI, ringE, ringI, ptr, key = carry
        k, s_v1 = x
        t_now = k * dt
        delayed = ringE[(ptr - steps_f) % depth, pairs_src].astype(jnp.float32)  # (pairs, n_e)
        to_e = pair_currents(delayed, w_ee_f, seeds[0], (n_e, n_e)).reshape(na, na, n_e).sum(0)
        to_i = pair_currents(delayed, w_ie_f, seeds[1], (n_e, n_i)).reshape(na, na, n_i).sum(0)
        spk_i = ringI[(ptr - int(2.0 / dt)) % depth].astype(jnp.float32)
        to_e = to_e + pair_currents(spk_i, jnp.full(na, -pars["wEI"]), seeds[2, :na], (n_i, n_e))
        to_i = to_i + pair_currents(spk_i, jnp.full(na, -pars["wII"]), seeds[2, na:2 * na], (n_i, n_i))
        key, k1, k2 = jax.random.split(key, 3)
        inp_e = jnp.full((na, n_e), pars["extE"]).at[0].add(s_v1)
        VE, tE, sE = lif(VE, tE, inp_e, 20.0, k1, t_now, to_e)
        VI, tI, sI = lif(VI, tI, pars["extI"], 10.0, k2, t_now, to_i)
        ptr = (ptr + 1) % depth
        ringE, ringI = ringE.at[ptr].set(sE), ringI.at[ptr].set(sI)
        return (VE, VI, tE, tI, ringE, ringI, ptr, key), sE.sum(axis=1)

    key = jax.random.PRNGKey(args.seed)
    k0, k1 = jax.random.split(key)
    init = (jax.random.uniform(k0, (na, n_e), minval=-70.0, maxval=-50.0),
            jax.random.uniform(k1, (na, n_i), minval=-70.0, maxval=-50.0),
            jnp.full((na, n_e), -1e7), jnp.full((na, n_i), -1e7),
            jnp.zeros((depth, na, n_e), bool), jnp.zeros((depth, na, n_i), bool), jnp.int32(0), key)

    def run(n):
        return jax.jit(lambda c, xs: jax.lax.scan(step, c, xs))(init, (jnp.arange(n), jnp.asarray(stim[:n])))

    t0 = time.perf_counter()
    jax.block_until_ready(run(10))
    compile_s = time.perf_counter() - t0
    scan = jax.jit(lambda c, xs: jax.lax.scan(step, c, xs)).lower(
        init, (jnp.arange(n_steps), jnp.asarray(stim))).compile()
    t0 = time.perf_counter()
    _, counts = jax.block_until_ready(scan(init, (jnp.arange(n_steps), jnp.asarray(stim))))
    run_s = time.perf_counter() - t0
    counts = np.asarray(counts)
    rate = counts.sum(0) / (n_e * args.duration_ms * 1e-3)
    print(json.dumps({"simulator": "brainpy", "version": __import__("brainpy").__version__, "steps": n_steps,
                      "compile_s": compile_s, "run_s": run_s, "steps_per_s": n_steps / run_s,
                      "rate_hz_V1": float(rate[0]), "rate_hz_mean": float(rate.mean()),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
