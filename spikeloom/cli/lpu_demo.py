"""``spikeloom run lpu-demo``: Neurokernel's intro demo (two random generic LPUs, unconnected and connected).

Writes the LPU graphs (GEXF), inputs and outputs (HDF5, Neurokernel's layout), ``raster.png``,
``waveforms.png`` and ``animation.gif`` into ``--out``.

Checked before anything is generated: ``--dt`` (seconds, in :data:`DT_RANGE_S`) must divide ``--duration``
(no silent rounding of the step count), the seed leaves room for LPU 1's ``seed + 1``, the memory of the
recorded outputs is estimated. ``--engine cpu`` (Numba) and ``--engine jax`` run the same network and print
the same spike counts. Ctrl-C stops the run (exit 130).
"""

from __future__ import annotations

import numpy as np

from ..core import validate
from ..io.atomic import writable_folder
from . import _common

MODELS = {"lpu-demo": "two random generic LPUs (Neurokernel intro demo), run unconnected and connected"}

#: --dt range (s): Neurokernel's demo uses 1e-4; above 1 ms the alpha synapses (rise 1/110 s, decay
#: 1/1900 s) are shorter than one step, below 1 us the step count explodes
DT_RANGE_S = (1e-6, 1e-3)
#: recorded per step: two runs x two LPUs x (spike, gpot) x up to 120 neurons (float64), the input pulses
#: and the figures' copies
BYTES_PER_STEP = 2 * 2 * 2 * 120 * 8 * 2


def add_arguments(run) -> None:
    num = _common.number
    run.add_argument("--duration", type=num, default=1.0, help="simulated time in s (default 1.0), a whole number "
                                                               "of steps")
    run.add_argument("--dt", type=num, default=1e-4,
                     help=f"time step in s, in [{DT_RANGE_S[0]:g}, {DT_RANGE_S[1]:g}] (default 1e-4)")
    run.add_argument("--seed", type=num, default=0,
                     help=f"LPU i is generated with seed + i, seed in [0, {_common.MAX_SEED - 1}] (default 0)")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--out", default="out", help="output folder (default ./out)")
    run.add_argument("--no-plot", action="store_true", help="skip the figures and the animation")


def check_options(args) -> dict:
    """Validated duration, dt, steps and seed (ModelDefinitionError naming the option otherwise)."""
    duration = validate.positive(args.duration, "--duration", unit="s")
    dt = validate.real(args.dt, "--dt", unit="s", low=DT_RANGE_S[0], high=DT_RANGE_S[1])
    seed = _common.whole(args.seed, "--seed", 0, _common.MAX_SEED - 1,
                         "LPU 1 uses seed + 1 and the generator keys on 32 bits")
    return {"duration": duration, "dt": dt, "n_steps": _common.steps(duration, dt, unit="s"), "seed": seed}


def run(args) -> dict:
    from ..lpu.demo import intro_demo
    from . import peak_rss_mb

    opts = check_options(args)
    validate.memory(opts["n_steps"] * BYTES_PER_STEP, f"lpu-demo for {validate.count_text(opts['n_steps'])} steps",
                    fix="lower --duration or raise --dt")
    _common.step_cap(opts["n_steps"], opts["duration"], opts["dt"], unit="s")
    out = writable_folder(args.out)
    runs = intro_demo(out, duration=opts["duration"], dt=opts["dt"], seeds=(opts["seed"], opts["seed"] + 1),
                      engine=args.engine)
    outputs = {run: [(lpu.recorded["spike"], lpu.recorded["gpot"]) for lpu in r["lpus"]] for run, r in runs.items()}
    plain, linked = outputs["unconnected"], outputs["connected"]
    same_0 = all(np.array_equal(a, b) for a, b in zip(plain[0], linked[0]))
    changed_1 = any(not np.array_equal(a, b) for a, b in zip(plain[1], linked[1]))
    figures = []
    if not args.no_plot and _common.is_root():  # under mpiexec, rank 0 draws
        from ..plot.lpu import demo_figures

        figures = demo_figures(outputs, opts["dt"], out)
    lpus = runs["unconnected"]["lpus"]
    return {
        "model": "lpu-demo", "engine": args.engine, "duration_s": opts["duration"], "dt_s": opts["dt"],
        "seed": opts["seed"], "steps": int(plain[0][0].shape[0]),
        "n_neurons": {f"lpu_{i}": lpu.n_neurons for i, lpu in enumerate(lpus)},
        "n_synapses": {f"lpu_{i}": len(lpu.edges) for i, lpu in enumerate(lpus)},
        "routes": runs["connected"]["routes"],
        "spikes": {run: {f"lpu_{i}": int(o[0].sum()) for i, o in enumerate(outs)} for run, outs in outputs.items()},
        "lpu_0_identical": bool(same_0), "lpu_1_changed": bool(changed_1),
        "compile_s": runs["connected"]["timings"]["compile_s"],
        "run_s": runs["connected"]["timings"]["run_s"],  # both runs, side by side in one network
        "figures": figures, "peak_rss_mb": peak_rss_mb(), "out": str(out), "ranks": _ranks(),
    }


def _ranks() -> int:
    from ..run.distributed import world

    comm = world()
    return 1 if comm is None else comm.Get_size()
