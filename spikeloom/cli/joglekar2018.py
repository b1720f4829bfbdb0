"""``spikeloom run joglekar2018``: the 29-area macaque cortex model (:mod:`spikeloom.models.joglekar2018`).

Writes ``results.h5`` and ``raster.png`` (per-area raster with area names, per-area rate curves) into ``--out``;
the JSON line adds ``rate_hz_by_area`` (mean E rate per area) and ``peak_rate_hz_by_area`` (the authors'
method: 10-ms window slid in 1-ms steps, maximum from one third of the record on).
"""

from __future__ import annotations

import time

MODELS = {"joglekar2018": "29-area macaque cortex, 58 000 LIF neurons x scale, procedural connectivity "
                          "(Joglekar et al. 2018)"}


def add_arguments(run) -> None:
    from ..models.joglekar2018 import DELAY_MODES, REGIMES

    run.add_argument("--regime", choices=list(REGIMES), default="async-weak",
                     help="asynchronous/synchronous x weak/strong global balanced amplification (default async-weak)")
    run.add_argument("--scale", type=int, default=1,
                     help="neurons per area x K, connection probability / K (in-degrees kept; default 1)")
    run.add_argument("--delays", choices=list(DELAY_MODES), default="jitter",
                     help="long-range delays: per-synapse N(D, 0.1 D) (jitter, the authors') or fixed per area "
                          "pair, truncated to steps (BrainPy's)")
    run.add_argument("--duration", type=float, default=950.0, help="biological time in ms (default 950)")
    run.add_argument("--dt", type=float, default=0.1, help="time step in ms (default 0.1)")
    run.add_argument("--seed", type=int, default=0, help="seed of connectivity, initial state and noise")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--precision", choices=["float32", "float64"], default="float32")
    run.add_argument("--out", default="out", help="output folder (default ./out)")
    run.add_argument("--no-plot", action="store_true", help="skip raster.png")
    run.add_argument("--progress", action="store_true", default=None, help="always show a progress bar")
    run.add_argument("--serial", action="store_true", help="update neurons on one thread (default: threads)")


def run(args) -> dict:
    from ..models.joglekar2018 import Joglekar2018, peak_rates, plot_areas
    from ..run import Runner
    from . import peak_rss_mb, run_and_save

    t0 = time.perf_counter()
    net = Joglekar2018(args.regime, scale=args.scale, delays=args.delays, dt=args.dt)
    pops = list(net.populations())
    monitors = [] if args.no_plot else [f"{p}.spike" for p in net.exc_pops()]
    runner = Runner(net, dt=args.dt, seed=args.seed, engine=args.engine, precision=args.precision,
                    monitors=monitors, inputs=net.inputs(), progress=args.progress,
                    parallel=False if args.serial else None)
    build_s = time.perf_counter() - t0
    result, out = run_and_save(runner, args.duration, args.out)
    if not args.no_plot:
        plot_areas(result, net, out / "raster.png",
                   title=f"Joglekar et al. 2018, {args.regime}, scale {args.scale}, seed {args.seed}")
    peaks = peak_rates(result, net)
    return {
        "model": args.model, "engine": args.engine, "duration_ms": args.duration, "dt_ms": args.dt,
        "seed": args.seed, "precision": args.precision, "n_neurons": runner.plan.n_neurons,
        "n_synapses": runner.plan.n_synapses,
        "spikes": {p: int(result.spike_counts[p].sum()) for p in pops},
        "rate_hz": {p: result.mean_rate(p) for p in pops},
        "build_s": build_s, "compile_s": result.compile_s, "run_s": result.run_s,
        "peak_rss_mb": peak_rss_mb(), "out": str(out),
        "regime": args.regime, "scale": args.scale, "delays": args.delays,
        "rate_hz_by_area": {a: result.mean_rate(p) for a, p in zip(net.area_names, net.exc_pops())},
        "peak_rate_hz_by_area": {a: float(v) for a, v in zip(net.area_names, peaks)},
    }
