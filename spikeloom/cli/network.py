"""``spikeloom run coba|cobahh``: the bundled networks of :mod:`spikeloom.models.registry`.

Writes ``results.h5`` and ``raster.png`` into ``--out``.
"""

from __future__ import annotations

import time

from ..models.registry import MODELS as _REGISTRY

MODELS = {name: m.description for name, m in _REGISTRY.items()}


def add_arguments(run) -> None:
    run.add_argument("--duration", type=float, default=1000.0, help="biological time in ms (default 1000)")
    run.add_argument("--dt", type=float, default=0.1, help="time step in ms (default 0.1)")
    run.add_argument("--seed", type=int, default=0, help="seed of connectivity, initial state and noise")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--device", choices=["cpu", "gpu"], default=None, help="JAX engine: cpu or gpu")
    run.add_argument("--precision", choices=["float32", "float64"], default="float32")
    run.add_argument("--n", type=int, default=None, help="total number of neurons (default: the model's own)")
    run.add_argument("--fan-in", type=float, default=80.0, help="mean synapses per neuron when --n is given")
    run.add_argument("--out", default="out", help="output folder (default ./out)")
    run.add_argument("--no-plot", action="store_true", help="skip raster.png")
    run.add_argument("--progress", action="store_true", default=None, help="always show a progress bar")


def run(args) -> dict:
    from ..run import Runner
    from . import peak_rss_mb, run_and_save

    spec = _REGISTRY[args.model]
    n_total = args.n or spec.n_default
    fan_in = args.fan_in if args.n else 0.02 * spec.n_default
    t0 = time.perf_counter()
    net = spec.build(n_total, fan_in)
    pops = list(net.populations())
    extra = {"device": args.device} if args.device else {}
    runner = Runner(net, dt=args.dt, seed=args.seed, engine=args.engine, precision=args.precision, **extra,
                    monitors=[f"{p}.spike" for p in pops], inputs=spec.inputs, progress=args.progress)
    build_s = time.perf_counter() - t0
    result, out = run_and_save(runner, args.duration, args.out)
    if not args.no_plot:
        from ..plot import summary_figure

        summary_figure(result, out / "raster.png", title=f"{args.model}, seed {args.seed}")
    return {
        "model": args.model, "engine": args.engine, "device": getattr(runner.program, "platform", "cpu"),
        "duration_ms": args.duration, "dt_ms": args.dt,
        "seed": args.seed, "precision": args.precision, "n_neurons": runner.plan.n_neurons,
        "n_synapses": runner.plan.n_synapses,
        "spikes": {p: int(result.spike_counts[p].sum()) for p in pops},
        "rate_hz": {p: result.mean_rate(p) for p in pops},
        "build_s": build_s, "compile_s": result.compile_s, "run_s": result.run_s, "threads": getattr(runner.program, "parallel", False),
        "peak_rss_mb": peak_rss_mb(), "out": str(out),
    }
