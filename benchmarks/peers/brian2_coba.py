#!/usr/bin/env python3
"""COBA / COBAHH E/I benchmark network in Brian2 (peer simulator for spikeloom).

Run it with the interpreter of the Brian2 virtual environment made by
``setup_peers.sh``, e.g.::

    .peers/brian2/bin/python benchmarks/peers/brian2_coba.py --target runtime --duration-ms 1000
    .peers/brian2/bin/python benchmarks/peers/brian2_coba.py --target cpp_standalone --threads 2

Models
------
``coba``: N LIF neurons (80 % E, 20 % I), tau = 20 ms, V_rest = V_reset = -60 mV,
V_th = -50 mV, 5 ms refractory period (V clamped), constant drive I_ext = 20 mV,
exponential conductances (tau_e = 5 ms, tau_i = 10 ms, E_e = 0 mV,
E_i = -80 mV), jumps w_e = 0.6 and w_i = 6.7 (dimensionless, relative to the
leak), initial V ~ Normal(-55 mV, 2 mV).  The membrane equation is integrated
with ``exponential_euler`` by default (``--method`` changes it).

``cobahh``: Brian2's classic COBAHH example (Traub-Miles HH neurons,
exponential_euler, threshold and refractoriness 'v > -20 mV', no external
input), with the same 80/20 split.

Connectivity: every ordered pair (pre, post) is connected independently with
p = fan_in / N for all four pathways; self-connections ARE allowed (Brian2's
``connect(p=...)`` default).  Spikes act on the conductances with no delay, so
they influence the membrane from the next time step on.  dt = 0.1 ms.

Timing
------
* ``runtime`` (Cython): ``build_s`` = network construction + a 1-step warm-up
  run, which triggers code generation and Cython compilation (or loading from
  the Cython cache ``~/.cython/brian_extensions``).  The state is then restored
  to t = 0 and the timed run (``run_s``) starts.  ``run_s`` still includes
  Brian2's per-run code-object preparation (templating and cache look-up,
  a fraction of a second).  The JSON field ``cython_cache`` is "warm" when no
  new module had to be compiled by this process; the benchmark rows in
  README.md were all taken with a warm cache (one throwaway invocation first).
* ``cpp_standalone``: the project is generated and compiled in a per-process
  temporary directory (removed afterwards unless ``--keep-build``).
  ``build_s`` = construction + code generation + compilation; ``run_s`` =
  the simulation loop time that the binary itself reports
  (``device._last_run_time``); ``binary_wall_s`` is the wall time of the whole
  binary execution (start-up, loading, writing results).

``peak_rss_mb`` is the maximum of this process's peak RSS and the largest
child's peak RSS (for standalone the children are the compiler and the
simulation binary); both are also given separately, and for standalone
``peak_rss_compile_mb`` is the children's peak after compilation only (if
``peak_rss_children_mb`` is larger, the simulation binary set it).

The last line printed is one JSON object.
"""

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", choices=["runtime", "cpp_standalone", "numpy"], default="runtime")
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--n", type=int, default=4000, help="total number of neurons (80%% E, 20%% I)")
    ap.add_argument("--fan-in", type=float, default=80.0, help="expected in-degree per pathway sum; p = fan_in / N")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1,
                    help="OpenMP threads for cpp_standalone (<= 1: serial build without OpenMP)")
    ap.add_argument("--model", choices=["coba", "cobahh"], default="coba")
    ap.add_argument("--method", default=None,
                    help="integration method (default: exponential_euler for both models)")
    ap.add_argument("--window-ms", type=float, nargs=2, default=None, metavar=("T0", "T1"),
                    help="additionally report rates over [T0, T1) ms (records spike times)")
    ap.add_argument("--keep-build", action="store_true", help="keep the standalone build directory")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def _cython_cache_files():
    """Number of compiled modules in Brian2's default Cython cache directory."""
    path = os.path.join(os.path.expanduser("~"), ".cython", "brian_extensions")
    try:
        return sum(1 for f in os.listdir(path) if f.endswith(".so"))
    except OSError:
        return 0


def build_network(b2, model, n, fan_in, method, record_times):
    """Create the network objects in the current magic/device context."""
    from brian2 import ms, mV, nS, umetre, cm, ufarad, siemens, msiemens

    n_e = int(round(0.8 * n))
    n_i = n - n_e
    p = fan_in / n
    if not 0.0 < p <= 1.0:
        raise SystemExit("fan_in / N must be in (0, 1]")

    if model == "coba":
        ns = dict(v_rest=-60 * mV, v_th=-50 * mV, v_reset=-60 * mV, tau=20 * ms,
                  I_ext=20 * mV, Ee=0 * mV, Ei=-80 * mV, taue=5 * ms, taui=10 * ms,
                  we=0.6, wi=6.7)
        eqs = """
        dv/dt = (v_rest - v + I_ext + ge*(Ee - v) + gi*(Ei - v)) / tau : volt (unless refractory)
        dge/dt = -ge / taue : 1
        dgi/dt = -gi / taui : 1
        """
        P = b2.NeuronGroup(n, eqs, threshold="v > v_th", reset="v = v_reset",
                           refractory=5 * ms, method=method or "exponential_euler",
                           namespace=ns, name="P")
        P.v = "-55*mV + 2*mV*randn()"
        P.ge = 0
        P.gi = 0
    else:
        area = 20000 * umetre ** 2
        ns = dict(
            Cm=(1 * ufarad * cm ** -2) * area,
            gl=(5e-5 * siemens * cm ** -2) * area,
            El=-60 * mV, EK=-90 * mV, ENa=50 * mV,
            g_na=(100 * msiemens * cm ** -2) * area,
            g_kd=(30 * msiemens * cm ** -2) * area,
            VT=-63 * mV, taue=5 * ms, taui=10 * ms,
            we=6 * nS, wi=67 * nS, Ee=0 * mV, Ei=-80 * mV,
        )
        eqs = """
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v)
                 - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK))/Cm : volt
        dm/dt = alpha_m*(1-m) - beta_m*m : 1
        dn/dt = alpha_n*(1-n) - beta_n*n : 1
        dh/dt = alpha_h*(1-h) - beta_h*h : 1
        dge/dt = -ge*(1./taue) : siemens
        dgi/dt = -gi*(1./taui) : siemens
        alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
        beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
        alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
        beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
        alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
        beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
        """
        P = b2.NeuronGroup(n, eqs, threshold="v > -20*mV", refractory="v > -20*mV",
                           method=method or "exponential_euler", namespace=ns, name="P")
        P.v = "El + (randn()*5 - 5)*mV"
        P.ge = "(randn()*1.5 + 4)*10*nS"
        P.gi = "(randn()*12 + 20)*10*nS"

    Pe = P[:n_e]
    Pi = P[n_e:]
    Ce = b2.Synapses(Pe, P, on_pre="ge += we", namespace=ns, name="Ce")
    Ci = b2.Synapses(Pi, P, on_pre="gi += wi", namespace=ns, name="Ci")
    Ce.connect(p=p)
    Ci.connect(p=p)
    Me = b2.SpikeMonitor(Pe, record=record_times, name="Me")
    Mi = b2.SpikeMonitor(Pi, record=record_times, name="Mi")
    net = b2.Network(P, Ce, Ci, Me, Mi)
    return net, dict(P=P, Ce=Ce, Ci=Ci, Me=Me, Mi=Mi, n_e=n_e, n_i=n_i, p=p)


def _rates(objs, duration_ms, window):
    n_e, n_i = objs["n_e"], objs["n_i"]
    ce = int(objs["Me"].num_spikes)
    ci = int(objs["Mi"].num_spikes)
    out = {
        "spikes": {"E": ce, "I": ci},
        "rate_hz": {"E": ce / n_e / (duration_ms / 1000.0),
                    "I": ci / n_i / (duration_ms / 1000.0)},
    }
    if window is not None:
        import numpy as np
        t0, t1 = window
        res = {}
        for key, mon, cnt in (("E", objs["Me"], n_e), ("I", objs["Mi"], n_i)):
            t = np.asarray(mon.t[:]) * 1000.0  # seconds -> ms
            k = int(np.count_nonzero((t >= t0) & (t < t1)))
            res[key] = k / cnt / ((t1 - t0) / 1000.0)
        out["window_ms"] = [t0, t1]
        out["rate_hz_window"] = res
    return out


def main(argv=None):
    args = parse_args(argv)
    t_start = time.perf_counter()
    import brian2 as b2
    from brian2 import ms, prefs, set_device, device, defaultclock
    import numpy as np
    import_s = time.perf_counter() - t_start

    if args.quiet:
        b2.BrianLogger.suppress_name("brian2")
    record_times = args.window_ms is not None
    duration = args.duration_ms * ms
    result = {
        "peer": "brian2-standalone" if args.target == "cpp_standalone" else
                ("brian2-runtime" if args.target == "runtime" else "brian2-numpy"),
        "model": args.model,
        "n_neurons": args.n,
    }
    build_dir = None
    if args.target == "cpp_standalone":
        build_dir = tempfile.mkdtemp(prefix="brian2_standalone_%d_" % os.getpid())
        set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
        result["openmp_threads"] = args.threads if args.threads > 1 else 0
    else:
        prefs.codegen.target = "cython" if args.target == "runtime" else "numpy"
        cache_before = _cython_cache_files() if args.target == "runtime" else None

    defaultclock.dt = 0.1 * ms
    b2.seed(args.seed)
    np.random.seed(args.seed)

    try:
        t0 = time.perf_counter()
        net, objs = build_network(b2, args.model, args.n, args.fan_in, args.method, record_times)
        if args.target == "cpp_standalone":
            net.run(duration, report=None)
            t_cons = time.perf_counter() - t0
            # generate + compile, without running
            t1 = time.perf_counter()
            device.build(directory=build_dir, compile=True, run=False, with_output=False)
            compile_s = time.perf_counter() - t1
            compile_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
            t2 = time.perf_counter()
            device.run(directory=build_dir, with_output=False, run_args=[])
            binary_wall_s = time.perf_counter() - t2
            run_s = float(device._last_run_time)
            build_s = t_cons + compile_s
            result.update(construct_s=t_cons, compile_s=compile_s, binary_wall_s=binary_wall_s,
                          peak_rss_compile_mb=compile_rss_mb)
        else:
            # Connect synapses etc. happens lazily in Brian2 runtime: a 1-step warm-up run
            # triggers connectivity generation, code generation and (Cython) compilation.
            # store/restore then puts the network back to t = 0 (connectivity kept).
            net.store("init")
            t_cons = time.perf_counter() - t0
            t1 = time.perf_counter()
            net.run(defaultclock.dt, report=None)
            warmup_s = time.perf_counter() - t1
            net.restore("init")
            build_s = time.perf_counter() - t0
            t2 = time.perf_counter()
            net.run(duration, report=None)
            run_s = time.perf_counter() - t2
            result.update(construct_s=t_cons, warmup_s=warmup_s)

        n_syn = int(len(objs["Ce"])) + int(len(objs["Ci"]))
        result.update(
            n_synapses=n_syn,
            duration_ms=args.duration_ms,
            build_s=build_s,
            run_s=run_s,
            import_s=import_s,
        )
        result.update(_rates(objs, args.duration_ms, args.window_ms))
    finally:
        if build_dir is not None and not args.keep_build:
            shutil.rmtree(build_dir, ignore_errors=True)

    if args.target == "runtime":
        # 'warm' when no new module had to be compiled in this process
        new = _cython_cache_files() - cache_before
        result["cython_cache"] = "warm" if new == 0 else "cold (%d modules compiled)" % new
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    result.update(
        peak_rss_mb=max(self_mb, child_mb),
        peak_rss_self_mb=self_mb,
        peak_rss_children_mb=child_mb,
        seed=args.seed,
        fan_in=args.fan_in,
        self_connections=True,
        dt_ms=0.1,
        brian2_version=b2.__version__,
        numpy_version=np.__version__,
    )
    sys.stdout.flush()
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
