"""``spikeloom run potjans2014``: the cortical microcircuit of Potjans & Diesmann 2014
(:mod:`spikeloom.models.potjans2014`).

Streams ``results.h5`` into ``--out`` after every chunk and writes ``raster.png`` (file options: see
``_common.add_file_arguments``); the JSON line gives ``spikes`` and
``rate_hz`` per population (rates counted after ``--transient`` ms, as NEST's example discards its start-up),
``n_neurons``, ``n_synapses``, ``build_s``, ``compile_s``, ``run_s`` and ``peak_rss_mb``. The memory of the
synapses (``--scale`` 1: about 3 x 10^8) is estimated before anything is built. Ctrl-C writes what was
simulated and exits 130.
"""

from __future__ import annotations

import time

from .._errors import ModelDefinitionError
from ..core import validate
from . import _common

MODELS = {"potjans2014": "cortical microcircuit, 77 169 x scale exact LIF neurons in 4 layers, 3e8 x scale "
                         "synapses (Potjans & Diesmann 2014)"}

#: smallest --dt (ms): below it the step count explodes before anything useful is simulated; the largest is
#: the shortest mean delay's scale (0.75 ms inhibitory delays are redrawn below one step)
DT_RANGE = (1e-3, 0.5)
#: bytes per stored synapse while building and running (int32 target, float32/64 weight, sorting room)
SYNAPSE_BYTES = 16.0


def add_arguments(run) -> None:
    num = _common.number
    run.add_argument("--scale", type=num, default=0.1,
                     help="fraction of the full model's neurons in (0, 1], in-degrees kept (default 0.1)")
    run.add_argument("--background", choices=["poisson", "dc"], default="poisson",
                     help="external input: Poisson trains (default) or their mean as a constant current")
    run.add_argument("--duration", type=num, default=1000.0, help="biological time in ms (default 1000)")
    run.add_argument("--transient", type=num, default=100.0,
                     help="ms excluded from rate_hz, in [0, --duration) (default 100)")
    run.add_argument("--dt", type=num, default=0.1,
                     help=f"time step in ms, in [{DT_RANGE[0]:g}, {DT_RANGE[1]:g}] (default 0.1)")
    run.add_argument("--seed", type=num, default=0,
                     help=f"seed of connectivity, initial state and background, in [0, {_common.MAX_SEED}]")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--precision", choices=["float32", "float64"], default="float32")
    _common.add_file_arguments(run)


def check_options(args) -> dict:
    """Validated scale, dt, duration, transient, steps and seed (ModelDefinitionError naming the option)."""
    scale = validate.real(args.scale, "--scale", low=0.0, high=1.0, low_open=True)
    dt = validate.real(args.dt, "--dt", unit="ms", low=DT_RANGE[0], high=DT_RANGE[1])
    duration = validate.positive(args.duration, "--duration", unit="ms")
    transient = validate.real(args.transient, "--transient", unit="ms", low=0.0)
    if transient >= duration:
        raise ModelDefinitionError(f"--transient must be below --duration ({duration:g} ms), got {transient:g}")
    return {"scale": scale, "dt": dt, "duration": duration, "transient": transient,
            "n_steps": _common.steps(duration, dt), "seed": _common.seed(args.seed)}


def check_memory(opts: dict, plot: bool) -> None:
    """Refuse, before building, a run this machine cannot hold or that would not end."""
    from ..models.potjans2014 import FULL_SIZE, synapse_numbers

    n = sum(FULL_SIZE) * opts["scale"]
    synapses = float(synapse_numbers(opts["scale"]).sum())
    depth = int(5.0 / opts["dt"]) + 2  # delays up to ~4.5 ms (1.5 ms + 4 sd) are the usual tail
    need = _common.network_bytes(n, synapses, opts["n_steps"], opts["dt"], 8, n if plot else 0, depth,
                                 SYNAPSE_BYTES)
    what = (f"potjans2014 at --scale {opts['scale']:g} ({validate.count_text(n)} neurons, "
            f"{validate.count_text(synapses)} synapses) for {validate.count_text(opts['n_steps'])} steps")
    validate.memory(need, what, fix="lower --scale or --duration")
    _common.step_cap(opts["n_steps"], opts["duration"], opts["dt"])


def run(args) -> dict:
    from ..models.potjans2014 import POPULATIONS, Potjans2014
    from . import peak_rss_mb

    opts = check_options(args)
    check_memory(opts, not args.no_plot)
    identity = {"scale": opts["scale"], "background": args.background, "dt": opts["dt"], "seed": opts["seed"],
                "engine": args.engine, "precision": args.precision}
    plan = _common.file_plan(args, args.model, identity, opts["duration"], opts["dt"])
    out = plan["out"]
    t0 = time.perf_counter()
    net = Potjans2014(opts["scale"], background=args.background)
    runner = _common.make_runner(plan, net, dt=opts["dt"], seed=opts["seed"], engine=args.engine,
                                 precision=args.precision, monitors=[f"{p}.spike" for p in POPULATIONS],
                                 progress=args.progress)
    build_s = time.perf_counter() - t0
    title = f"Potjans & Diesmann 2014, scale {opts['scale']:g}, {args.background} background, seed {opts['seed']}"
    plot = None if args.no_plot else _common.summary_plotter(title)
    result, files = _common.run_and_save(runner, opts["duration"], plan, plot)
    t_from = min(opts["transient"], result.duration)
    return {
        "model": args.model, "engine": args.engine, "dt_ms": opts["dt"], "seed": opts["seed"],
        "precision": args.precision, "scale": opts["scale"], "background": args.background,
        "n_neurons": runner.plan.n_neurons, "n_synapses": runner.n_synapses,
        "spikes": {p: int(result.spike_counts[p].sum()) for p in POPULATIONS},
        "rate_hz": {p: result.mean_rate(p, t_from=t_from) for p in POPULATIONS},
        "transient_ms": opts["transient"],
        "build_s": build_s, "compile_s": result.compile_s, "run_s": result.run_s,
        "threads": getattr(runner.program, "parallel", False), "peak_rss_mb": peak_rss_mb(),
        **_common.run_facts(result, opts["duration"], files, out),
    }
