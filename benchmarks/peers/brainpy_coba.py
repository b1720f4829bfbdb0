#!/usr/bin/env python3
"""COBA E/I benchmark network in BrainPy 2.x (peer simulator for spikeloom).

Run it with the interpreter of the BrainPy virtual environment made by
``setup_peers.sh``, e.g.::

    .peers/brainpy/bin/python benchmarks/peers/brainpy_coba.py --duration-ms 1000

The network is written the way the BrainPy E/I-network tutorial writes it:
``bp.dyn.LifRef`` populations, one ``bp.dyn.FullProjAlignPost`` per pathway
with ``bp.dnn.EventCSRLinear`` on a ``bp.conn.FixedProb`` connectivity,
``bp.dyn.Expon`` conductances and ``bp.dyn.COBA`` outputs, driven by a
``bp.DSRunner`` with ``jit=True``.  Parameters are those of the Brian2 peer
(``brian2_coba.py``): N neurons (80 % E, 20 % I), p = fan_in / N per pathway,
self-connections allowed (``FixedProb(include_self=True)``), constant input
20 (mV), w_e = 0.6, w_i = 6.7, tau_e = 5 ms, tau_i = 10 ms, E_e = 0 mV,
E_i = -80 mV, V ~ Normal(-55, 2) mV, dt = 0.1 ms, no synaptic delay
(a spike acts on the conductances at the next step).  BrainPy's default
float32 and its default integrator (``exp_auto``: exponential Euler) are used.
Only ``--model coba`` is implemented.

Timing (CPU backend of JAX):
* ``construct_s``: building the network (connectivity included).
* ``compile_s``: a 1-step ``runner.run(dt)``, i.e. tracing + XLA compilation
  of the scan (its cost does not depend on the number of steps).
* ``first_run_s``: the first ``runner.run(duration)`` (compiles again for the
  new number of steps, then simulates).
* ``run_s``: a second ``runner.run(duration)`` continuing from the state the
  first run left (same number of steps, so the compiled function is reused).
* ``build_s`` = construct_s + compile_s.

``spikes`` / ``rate_hz`` are counted over the first run (which starts after
the 1-step warm-up, t = 0.1 ms; like the Brian2 peer it includes the onset);
``rate_hz_second_run`` gives the rates of the timed second run.
The last line printed is one JSON object.
"""

import argparse
import json
import os
import resource
import sys
import time


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", default="jit", help="ignored (kept for CLI symmetry with brian2_coba.py)")
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--fan-in", type=float, default=80.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=None,
                    help="1: disable XLA's multi-threaded Eigen (XLA_FLAGS); default: JAX's own choice")
    ap.add_argument("--model", choices=["coba"], default="coba")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None and args.threads <= 1:
        # XLA:CPU has no exact thread-count flag; this disables Eigen's intra-op threading.
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false").strip()
    t_imp = time.perf_counter()
    import numpy as np
    import jax
    import brainpy as bp
    import brainpy.math as bm
    import_s = time.perf_counter() - t_imp

    bm.set_platform("cpu")
    bm.set_dt(0.1)
    bm.random.seed(args.seed)

    n = args.n
    n_e = int(round(0.8 * n))
    n_i = n - n_e
    p = args.fan_in / n

    class Exponential(bp.Projection):
        def __init__(self, pre, post, prob, g_max, tau, E, seed):
            super().__init__()
            self.proj = bp.dyn.FullProjAlignPost(
                pre=pre,
                delay=None,
                comm=bp.dnn.EventCSRLinear(
                    bp.conn.FixedProb(prob, pre=pre.num, post=post.num, include_self=True, seed=seed),
                    g_max),
                syn=bp.dyn.Expon(size=post.num, tau=tau),
                out=bp.dyn.COBA(E=E),
                post=post,
            )

    class EINet(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            pars = dict(V_rest=-60., V_th=-50., V_reset=-60., tau=20., tau_ref=5.,
                        V_initializer=bp.init.Normal(-55., 2.))
            self.E = bp.dyn.LifRef(n_e, **pars)
            self.I = bp.dyn.LifRef(n_i, **pars)
            s = args.seed * 4
            self.E2E = Exponential(self.E, self.E, p, 0.6, 5., 0., s + 1)
            self.E2I = Exponential(self.E, self.I, p, 0.6, 5., 0., s + 2)
            self.I2E = Exponential(self.I, self.E, p, 6.7, 10., -80., s + 3)
            self.I2I = Exponential(self.I, self.I, p, 6.7, 10., -80., s + 4)

        def update(self):
            inp = 20.  # constant external drive (mV)
            self.E2E()
            self.E2I()
            self.I2E()
            self.I2I()
            self.E(inp)
            self.I(inp)

    t0 = time.perf_counter()
    net = EINet()
    n_syn = 0
    for proj in (net.E2E, net.E2I, net.I2E, net.I2I):
        n_syn += int(proj.proj.comm.indices.size)
    runner = bp.DSRunner(
        net,
        monitors={"nE": lambda: net.E.spike.sum(), "nI": lambda: net.I.spike.sum()},
        jit=True,
        progress_bar=False,
    )
    construct_s = time.perf_counter() - t0

    def timed_run():
        t = time.perf_counter()
        runner.run(args.duration_ms)
        jax.block_until_ready(net.E.V.value)
        el = time.perf_counter() - t
        return el, int(np.sum(runner.mon["nE"])), int(np.sum(runner.mon["nI"]))

    t = time.perf_counter()
    runner.run(0.1)  # one step: trace + compile
    jax.block_until_ready(net.E.V.value)
    compile_s = time.perf_counter() - t

    first_run_s, e1, i1 = timed_run()
    run_s, e2, i2 = timed_run()
    sec = args.duration_ms / 1000.0

    result = {
        "peer": "brainpy",
        "model": args.model,
        "n_neurons": n,
        "n_synapses": n_syn,
        "duration_ms": args.duration_ms,
        "build_s": construct_s + compile_s,
        "run_s": run_s,
        "construct_s": construct_s,
        "compile_s": compile_s,
        "first_run_s": first_run_s,
        "import_s": import_s,
        "spikes": {"E": e1, "I": i1},
        "rate_hz": {"E": e1 / n_e / sec, "I": i1 / n_i / sec},
        "rate_hz_second_run": {"E": e2 / n_e / sec, "I": i2 / n_i / sec},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "seed": args.seed,
        "fan_in": args.fan_in,
        "self_connections": True,
        "dt_ms": 0.1,
        "brainpy_version": bp.__version__,
        "jax_version": jax.__version__,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
    }
    sys.stdout.flush()
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
