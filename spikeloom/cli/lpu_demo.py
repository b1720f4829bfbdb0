"""``spikeloom run lpu-demo``: Neurokernel's intro demo (two random generic LPUs, unconnected then connected).

Writes the LPU graphs (GEXF), inputs and outputs (HDF5, Neurokernel's layout), ``raster.png``,
``waveforms.png`` and ``animation.gif`` into ``--out``.
"""

from __future__ import annotations

import pathlib

import numpy as np

MODELS = {"lpu-demo": "two random generic LPUs (Neurokernel intro demo), run unconnected and connected"}


def add_arguments(run) -> None:
    run.add_argument("--duration", type=float, default=1.0, help="simulated time in s (default 1.0)")
    run.add_argument("--dt", type=float, default=1e-4, help="time step in s (default 1e-4)")
    run.add_argument("--seed", type=int, default=0, help="LPU i is generated with seed + i (default 0)")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--out", default="out", help="output folder (default ./out)")
    run.add_argument("--no-plot", action="store_true", help="skip the figures and the animation")


def run(args) -> dict:
    from .._errors import EngineError, ModelDefinitionError
    from ..lpu.demo import intro_demo
    from . import peak_rss_mb

    if args.engine == "jax":
        raise EngineError("lpu-demo runs on the cpu engine only for now; the JAX engine cannot compile LPUs yet")
    if not (args.duration > 0 and args.dt > 0):
        raise ModelDefinitionError(f"--duration and --dt must be positive, got {args.duration} and {args.dt}")
    out = pathlib.Path(args.out)
    runs = intro_demo(out, duration=args.duration, dt=args.dt, seeds=(args.seed, args.seed + 1))
    outputs = {run: [(lpu.recorded["spike"], lpu.recorded["gpot"]) for lpu in r["lpus"]] for run, r in runs.items()}
    plain, linked = outputs["unconnected"], outputs["connected"]
    same_0 = all(np.array_equal(a, b) for a, b in zip(plain[0], linked[0]))
    changed_1 = any(not np.array_equal(a, b) for a, b in zip(plain[1], linked[1]))
    figures = []
    if not args.no_plot:
        from ..plot.lpu import demo_figures

        figures = demo_figures(outputs, args.dt, out)
    lpus = runs["unconnected"]["lpus"]
    return {
        "model": "lpu-demo", "engine": args.engine, "duration_s": args.duration, "dt_s": args.dt,
        "seed": args.seed, "steps": int(plain[0][0].shape[0]),
        "n_neurons": {lpu.id: lpu.n_neurons for lpu in lpus},
        "n_synapses": {lpu.id: len(lpu.edges) for lpu in lpus},
        "routes": runs["connected"]["routes"],
        "spikes": {run: {f"lpu_{i}": int(o[0].sum()) for i, o in enumerate(outs)} for run, outs in outputs.items()},
        "lpu_0_identical": bool(same_0), "lpu_1_changed": bool(changed_1),
        "compile_s": runs["unconnected"]["timings"]["compile_s"],
        "run_s": {run: r["timings"]["run_s"] for run, r in runs.items()},
        "figures": figures, "peak_rss_mb": peak_rss_mb(), "out": str(out),
    }
