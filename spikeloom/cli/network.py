"""``spikeloom run coba|cobahh``: the bundled networks of :mod:`spikeloom.models.registry`.

Every option is checked before the network is built (ranges in ``--help``; ``--fan-in`` applies with or
without ``--n``), ``--out`` is created and checked writable first, and the memory the run needs is estimated
before anything is allocated. Streams the records into ``results.h5`` in ``--out`` after every chunk of the run
(a killed run leaves every completed chunk readable), then writes ``raster.png`` (atomically); the file options
(``--checkpoint-every``, ``--resume``, ``--nwb``) are those of :func:`._common.add_file_arguments`. Ctrl-C
stops the run at the end of the current chunk: the JSON line says ``"interrupted": true`` and the exit code is
130.
"""

from __future__ import annotations

import time

from .._errors import ModelDefinitionError
from ..core import validate
from ..models.registry import MODELS as _REGISTRY
from . import _common

MODELS = {name: m.description for name, m in _REGISTRY.items()}

#: --dt range (ms): below it the step count explodes before anything useful is simulated; above it delays,
#: refractory periods and synaptic time constants are shorter than one step
DT_RANGE = (1e-6, 10.0)
#: smallest network: 80 % excitatory rounded, the rest inhibitory, both populations non-empty
MIN_NEURONS = 3


def add_arguments(run) -> None:
    num = _common.number
    run.add_argument("--duration", type=num, default=1000.0, help="biological time in ms (default 1000), a whole "
                                                                  "number of steps")
    run.add_argument("--dt", type=num, default=0.1, help=f"time step in ms, in [{DT_RANGE[0]:g}, {DT_RANGE[1]:g}] "
                                                         "(default 0.1)")
    run.add_argument("--seed", type=num, default=0, help="seed of connectivity, initial state and noise, in "
                                                         f"[0, {_common.MAX_SEED}] (default 0)")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--device", choices=["cpu", "gpu"], default=None, help="JAX engine: cpu or gpu")
    run.add_argument("--precision", choices=["float32", "float64"], default="float32")
    run.add_argument("--n", type=num, default=None, help=f"total number of neurons, >= {MIN_NEURONS} (default: "
                                                        "the model's own, 4000)")
    run.add_argument("--fan-in", type=num, default=None, help="mean synapses per neuron, in [0, n] (default: 2 %% "
                                                              "of the model's own size, 80)")
    _common.add_file_arguments(run)


def check_options(args, spec) -> dict:
    """The validated numbers of a run: neurons, fan-in, dt, duration, steps and seed (ModelDefinitionError
    naming the option otherwise)."""
    n = spec.n_default if args.n is None else _common.whole(
        args.n, "--n", MIN_NEURONS, why="80 % excitatory, the rest inhibitory, at least one of each")
    fan_in = 0.02 * spec.n_default if args.fan_in is None else validate.real(args.fan_in, "--fan-in", low=0.0)
    if fan_in > n:
        raise ModelDefinitionError(f"--fan-in must be in [0, --n = {n}] (mean synapses per neuron, one "
                                   f"connection probability for all pairs), got {fan_in:g}")
    dt = validate.real(args.dt, "--dt", unit="ms", low=DT_RANGE[0], high=DT_RANGE[1])
    duration = validate.positive(args.duration, "--duration", unit="ms")
    if args.device is not None and args.engine != "jax":
        raise ModelDefinitionError(f"--device {args.device} applies to --engine jax only")
    return {"n": n, "fan_in": fan_in, "dt": dt, "duration": duration,
            "n_steps": _common.steps(duration, dt), "seed": _common.seed(args.seed)}


def check_memory(opts: dict, model: str) -> None:
    """Refuse, before building, a run this machine cannot hold or that would not end."""
    n, steps = opts["n"], opts["n_steps"]
    need = _common.network_bytes(n, n * opts["fan_in"], steps, opts["dt"], 2, n)
    what = f"{model} with --n {validate.count_text(n)}, --fan-in {opts['fan_in']:g} for {validate.count_text(steps)} steps"
    validate.memory(need, what, fix="lower --n, --fan-in or --duration")
    _common.step_cap(steps, opts["duration"], opts["dt"])
    if n > 2**31 - 1:
        raise ModelDefinitionError(f"--n must be below 2**31 (neuron indices are 32-bit), got {n}")


def run(args) -> dict:
    from . import peak_rss_mb

    spec = _REGISTRY[args.model]
    opts = check_options(args, spec)
    check_memory(opts, args.model)
    identity = {k: opts[k] for k in ("n", "fan_in", "dt", "seed")}
    plan = _common.file_plan(args, args.model, dict(identity, engine=args.engine, precision=args.precision),
                             opts["duration"], opts["dt"])
    t0 = time.perf_counter()
    net = spec.build(opts["n"], opts["fan_in"])
    pops = list(net.populations())
    extra = {"device": args.device} if args.device else {}
    runner = _common.make_runner(plan, net, dt=opts["dt"], seed=opts["seed"], engine=args.engine,
                                 precision=args.precision, **extra, monitors=[f"{p}.spike" for p in pops],
                                 inputs=spec.inputs, progress=args.progress)
    build_s = time.perf_counter() - t0
    plot = None if args.no_plot else _common.summary_plotter(f"{args.model}, seed {opts['seed']}")
    result, files = _common.run_and_save(runner, opts["duration"], plan, plot)
    out = plan["out"]
    return {
        "model": args.model, "engine": args.engine, "device": getattr(runner.program, "platform", "cpu"),
        "dt_ms": opts["dt"], "seed": opts["seed"], "precision": args.precision, "n_neurons": runner.plan.n_neurons,
        "n_synapses": runner.n_synapses,
        "spikes": {p: int(result.spike_counts[p].sum()) for p in pops},
        "rate_hz": {p: result.mean_rate(p) for p in pops},
        "build_s": build_s, "compile_s": result.compile_s, "run_s": result.run_s,
        "threads": getattr(runner.program, "parallel", False), "peak_rss_mb": peak_rss_mb(),
        **_common.run_facts(result, opts["duration"], files, out),
    }
