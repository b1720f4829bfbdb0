"""``spikeloom run stdp-song2000``: 1000 Poisson inputs onto one LIF neuron through additive STDP (Song, Miller
& Abbott 2000, :mod:`spikeloom.models.song2000`).

Writes into ``--out`` (each file atomically): ``weights.npz`` with ``w`` (final weights as a fraction of
``w_max``, one per input, in input order), ``t_ms`` and ``w_mean`` (mean of ``w / w_max`` every
:data:`SAMPLE_MS` from t = 0), and ``weights.png`` (final weight histogram, mean weight over time). The JSON
line gives ``spikes`` and ``rate_hz`` of the output neuron, ``w_mean``, ``frac_low`` (w < 0.1 w_max) and
``frac_high`` (w > 0.9 w_max) of the final weights, ``n_neurons``, ``n_synapses``, ``build_s``, ``compile_s``,
``run_s`` and ``peak_rss_mb``. Ctrl-C writes the weights reached and exits 130.
"""

from __future__ import annotations

import time

import numpy as np

from ..core import validate
from ..io.atomic import writable_folder
from . import _common

MODELS = {"stdp-song2000": "1000 Poisson inputs onto one LIF neuron, additive STDP: bimodal weights (Song, Miller "
                           "& Abbott 2000)"}

DT = 0.1  # ms, the step of the published model and of the Brian2 reference
SAMPLE_MS = 100.0  # mean weight sampling period (ms)
#: fractions of w_max below / above which a weight counts as low / high in the JSON line
LOW, HIGH = 0.1, 0.9
#: weight histogram bins of the figure (fractions of w_max)
BINS = np.linspace(0.0, 1.0, 21)


def add_arguments(run) -> None:
    num = _common.number
    run.add_argument("--duration", type=num, default=100_000.0,
                     help=f"biological time in ms, a multiple of {DT:g} (default 100000, the published 100 s)")
    run.add_argument("--seed", type=num, default=0,
                     help=f"seed of the initial weights and input trains, in [0, {_common.MAX_SEED}]")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--out", default="out", help="output folder (default ./out)")


def check_options(args) -> dict:
    """Validated duration, steps and seed (ModelDefinitionError naming the option otherwise)."""
    duration = validate.positive(args.duration, "--duration", unit="ms")
    n_steps = _common.steps(duration, DT, dt_label=f"the model's step {DT:g} ms")
    return {"duration": duration, "n_steps": n_steps, "seed": _common.seed(args.seed)}


def check_memory(opts: dict) -> None:
    """Refuse, before building, a run whose records this machine cannot hold or that would not end."""
    from ..models.song2000 import N_INPUTS

    samples = (opts["n_steps"] * DT / SAMPLE_MS + 2) * N_INPUTS * 8.0
    need = _common.network_bytes(N_INPUTS + 1, N_INPUTS, opts["n_steps"], DT, 2, 0) + samples
    validate.memory(need, f"stdp-song2000 for {validate.count_text(opts['n_steps'])} steps",
                    fix="lower --duration")
    _common.step_cap(opts["n_steps"], opts["duration"], DT, dt_label=f"the model's step {DT:g} ms")


def weight_summary(w: np.ndarray) -> dict:
    """``w_mean``, ``frac_low`` and ``frac_high`` of weights given as fractions of w_max."""
    return {"w_mean": float(w.mean()), "frac_low": float(np.mean(w < LOW)), "frac_high": float(np.mean(w > HIGH))}


def run(args) -> dict:
    from ..models.song2000 import Song2000
    from ..run import Runner
    from . import peak_rss_mb

    opts = check_options(args)
    check_memory(opts)
    out = writable_folder(args.out)
    t0 = time.perf_counter()
    net = Song2000()
    every = int(round(SAMPLE_MS / DT))
    runner = Runner(net, dt=DT, seed=opts["seed"], engine=args.engine, monitors=[("syn.w", None, every)])
    w0 = runner.connections("syn")[0].toarray()[:, 0] / net.w_max
    build_s = time.perf_counter() - t0
    result = runner.run(opts["duration"])
    w = runner.connections("syn")[0].toarray()[:, 0] / net.w_max
    t_ms = np.concatenate([[0.0], result.trace_times["syn.w"]])
    w_mean = np.concatenate([[w0.mean()], result.traces["syn.w"].mean(axis=1) / net.w_max])
    _common.save_npz(out / "weights.npz", w=w, t_ms=t_ms, w_mean=w_mean)
    _common.save_figure(_figure(w, t_ms, w_mean, f"Song et al. 2000, seed {opts['seed']}"), out / "weights.png",
                        dpi=120)
    spikes = int(result.spike_counts["neuron"].sum())
    return {
        "model": args.model, "engine": args.engine, "device": getattr(runner.program, "platform", "cpu"),
        "dt_ms": DT, "seed": opts["seed"], "precision": runner.dtype.name, "n_neurons": runner.plan.n_neurons,
        "n_synapses": runner.n_synapses, "spikes": spikes, "rate_hz": result.mean_rate("neuron"),
        **weight_summary(w),
        "build_s": build_s, "compile_s": result.compile_s, "run_s": result.run_s, "peak_rss_mb": peak_rss_mb(),
        **_common.run_facts(result, opts["duration"], ["weights.npz", "weights.png"], out),
    }


def _figure(w, t_ms, w_mean, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.hist(w, bins=BINS, color="0.3")
    left.set_xlabel("final weight / w_max")
    left.set_ylabel("synapses")
    right.plot(t_ms / 1e3, w_mean, lw=1)
    right.set_xlabel("time (s)")
    right.set_ylabel("mean weight / w_max")
    right.set_ylim(0.0, 1.0)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
