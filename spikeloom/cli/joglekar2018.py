"""``spikeloom run joglekar2018``: the 29-area macaque cortex model (:mod:`spikeloom.models.joglekar2018`).

Streams ``results.h5`` into ``--out`` after every chunk and writes ``raster.png`` (per-area raster with area
names, per-area rate curves; file options: see ``_common.add_file_arguments``); the JSON line adds
``rate_hz_by_area`` (mean E rate per area) and ``peak_rate_hz_by_area`` (the authors' method: 10-ms window slid
in 1-ms steps, maximum from one third of the record on).

Options are checked before the 58 000 x ``--scale`` neurons are built: ``--dt`` must divide 1 ms (rates are
counted in 1-ms bins) and ``--duration`` must be at least :data:`MIN_DURATION_MS` (the peak-rate window needs
it). Ctrl-C writes what was simulated and exits 130 (the peak rates are ``null`` if fewer than
:data:`MIN_DURATION_MS` were simulated, and the figure is then skipped).
"""

from __future__ import annotations

import time

from .._errors import ModelDefinitionError
from ..core import validate
from . import _common

MODELS = {"joglekar2018": "29-area macaque cortex, 58 000 LIF neurons x scale, procedural connectivity "
                          "(Joglekar et al. 2018)"}

#: neurons per area at scale 1 (1600 E + 400 I) and areas
AREA_NEURONS, N_AREAS = 2000, 29
#: shortest record for which the authors' peak rate exists: n 1-ms bins give n - 9 windows of 10 ms, of
#: which those starting from n // 3 count
MIN_DURATION_MS = 14.0
#: smallest --dt (ms): below it the step count explodes before anything useful is simulated
DT_MIN_MS = 1e-6
#: longest long-range delay of the data (16.6 ms) plus five jitter standard deviations, rounded up
MAX_DELAY_MS = 26.0


def add_arguments(run) -> None:
    from ..models.joglekar2018 import DELAY_MODES, REGIMES

    num = _common.number
    run.add_argument("--regime", choices=list(REGIMES), default="async-weak",
                     help="asynchronous/synchronous x weak/strong global balanced amplification (default async-weak)")
    run.add_argument("--scale", type=num, default=1,
                     help="integer >= 1: neurons per area x K, connection probability / K (in-degrees kept; "
                          "default 1)")
    run.add_argument("--delays", choices=list(DELAY_MODES), default="jitter",
                     help="long-range delays: per-synapse N(D, 0.1 D) (jitter, the authors') or fixed per area "
                          "pair, truncated to steps (BrainPy's)")
    run.add_argument("--duration", type=num, default=950.0,
                     help=f"biological time in ms, >= {MIN_DURATION_MS:g} (default 950)")
    run.add_argument("--dt", type=num, default=0.1, help="time step in ms that divides 1 ms (default 0.1)")
    run.add_argument("--seed", type=num, default=0,
                     help=f"seed of connectivity, initial state and noise, in [0, {_common.MAX_SEED}]")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--precision", choices=["float32", "float64"], default="float32")
    _common.add_file_arguments(run)
    run.add_argument("--serial", action="store_true", help="update neurons on one thread (default: threads)")


def check_options(args) -> dict:
    """Validated scale, dt, duration, steps and seed (ModelDefinitionError naming the option otherwise)."""
    scale = _common.whole(args.scale, "--scale", 1, why="neurons per area x scale")
    dt = validate.real(args.dt, "--dt", unit="ms", low=DT_MIN_MS, high=1.0)
    per_ms = 1.0 / dt
    if abs(per_ms - round(per_ms)) > 1e-9 * per_ms:
        raise ModelDefinitionError(f"--dt must divide 1 ms (area rates are counted in 1-ms bins), e.g. 0.1, 0.05 "
                                   f"or 0.25, got {dt:g}")
    duration = validate.real(args.duration, "--duration", unit="ms", low=MIN_DURATION_MS)
    return {"scale": scale, "dt": dt, "duration": duration, "n_steps": _common.steps(duration, dt),
            "seed": _common.seed(args.seed)}


def check_memory(opts: dict, plot: bool) -> None:
    """Refuse, before building, a run this machine cannot hold or that would not end."""
    n, steps = AREA_NEURONS * N_AREAS * opts["scale"], opts["n_steps"]
    depth = int(MAX_DELAY_MS / opts["dt"]) + 2
    # two rings per neuron: spikes by delay, and jittered arrivals by delay
    need = _common.network_bytes(n, 0, steps, opts["dt"], 2 * N_AREAS, 0.8 * n if plot else 0, 2 * depth)
    what = f"joglekar2018 at --scale {opts['scale']} ({validate.count_text(n)} neurons) for {validate.count_text(steps)} steps"
    validate.memory(need, what, fix="lower --scale or --duration")
    _common.step_cap(steps, opts["duration"], opts["dt"])


def run(args) -> dict:
    from ..models.joglekar2018 import Joglekar2018
    from . import peak_rss_mb

    opts = check_options(args)
    check_memory(opts, not args.no_plot)
    identity = {"regime": args.regime, "scale": opts["scale"], "delays": args.delays, "dt": opts["dt"],
                "seed": opts["seed"], "engine": args.engine, "precision": args.precision, "plot": not args.no_plot}
    plan = _common.file_plan(args, args.model, identity, opts["duration"], opts["dt"])
    out = plan["out"]
    t0 = time.perf_counter()
    net = Joglekar2018(args.regime, scale=opts["scale"], delays=args.delays, dt=opts["dt"])
    pops = list(net.populations())
    monitors = [] if args.no_plot else [f"{p}.spike" for p in net.exc_pops()]
    runner = _common.make_runner(plan, net, dt=opts["dt"], seed=opts["seed"], engine=args.engine,
                                 precision=args.precision, monitors=monitors, inputs=net.inputs(),
                                 progress=args.progress, parallel=False if args.serial else None)
    build_s = time.perf_counter() - t0
    title = f"Joglekar et al. 2018, {args.regime}, scale {opts['scale']}, seed {opts['seed']}"
    result, files = _common.run_and_save(runner, opts["duration"], plan,
                                         None if args.no_plot else _plotter(net, title))
    return {
        "model": args.model, "engine": args.engine, "dt_ms": opts["dt"],
        "seed": opts["seed"], "precision": args.precision, "n_neurons": runner.plan.n_neurons,
        "n_synapses": runner.n_synapses,
        "spikes": {p: int(result.spike_counts[p].sum()) for p in pops},
        "rate_hz": {p: result.mean_rate(p) for p in pops},
        "build_s": build_s, "compile_s": result.compile_s, "run_s": result.run_s,
        "peak_rss_mb": peak_rss_mb(), "regime": args.regime, "scale": opts["scale"], "delays": args.delays,
        "rate_hz_by_area": {a: result.mean_rate(p) for a, p in zip(net.area_names, net.exc_pops())},
        "peak_rate_hz_by_area": _peak_rates(result, net),
        **_common.run_facts(result, opts["duration"], files, out),
    }


def _long_enough(result) -> bool:
    """Whether the record holds the :data:`MIN_DURATION_MS` the peak rates need (an interrupted run may not)."""
    return result.duration >= MIN_DURATION_MS - 1e-9


def _peak_rates(result, net) -> dict:
    """Area -> peak rate (Hz); NaN (``null`` in the JSON line) when the record is too short to have one."""
    from ..models.joglekar2018 import peak_rates

    return dict(zip(net.area_names, map(float, peak_rates(result, net))))


def _plotter(net, title: str):
    def plot(result, path) -> bool:
        if not _long_enough(result):
            return False
        import matplotlib

        matplotlib.use("Agg")
        from ..models.joglekar2018 import plot_areas

        _common.save_figure(plot_areas(result, net, None, title), path, dpi=120)
        return True

    return plot
