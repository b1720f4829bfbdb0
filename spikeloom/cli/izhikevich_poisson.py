"""``spikeloom run izhikevich-poisson``: one Izhikevich neuron under Poisson conductance input, event-driven.

Writes into ``--out`` (each file atomically): ``spikes.npz`` (``times_ms``), ``inputs.npz`` (the input spikes
applied: ``times_ms``, ``source``, ``kind`` 0 excitatory / 1 inhibitory) and, on the cpu engine,
``voltage.png`` (the membrane potential sampled every :data:`SAMPLE_DT_MS` from the dense output, spikes
marked). The JAX solver does not sample traces, so ``--engine jax`` writes no ``voltage.png``; the JSON line
lists the files written under ``files``.

The input counts, duration and seed are checked before anything is built, and the memory of the voltage
samples and of the recorded inputs is estimated first. Ctrl-C stops the run without writing anything (exit 130).
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..io.atomic import writable_folder
from . import _common

MODELS = {"izhikevich-poisson": "one Izhikevich RS neuron, 800 exc + 200 inh + 100 unconnected Poisson inputs, "
                                "adaptive solver with exact event times"}

#: voltage sampling step of the figure (ms)
SAMPLE_DT_MS = 0.1
#: bytes per input source (rate, cumulative rate, kind, weight, channel) and per recorded input (time, source)
SOURCE_BYTES, INPUT_BYTES = 48, 16


def add_arguments(run) -> None:
    num = _common.number
    run.add_argument("--n-exc", type=num, default=800, help="excitatory inputs, >= 0 (default 800)")
    run.add_argument("--n-inh", type=num, default=None, help="inhibitory inputs, >= 0 (default n-exc / 4)")
    run.add_argument("--n-unconn", type=num, default=100, help="unconnected inputs, >= 0 (default 100)")
    run.add_argument("--duration", type=num, default=1200.0, help="biological time in ms, > 0 (default 1200)")
    run.add_argument("--seed", type=num, default=0,
                     help=f"seed of the input rates and spike trains, in [0, {_common.MAX_SEED}]")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu",
                     help="cpu (Numba, default) or jax (no voltage trace)")
    run.add_argument("--out", default="out", help="output folder (default ./out)")


def check_options(args) -> dict:
    """Validated input counts, duration and seed (ModelDefinitionError naming the option otherwise)."""
    n_exc = _common.whole(args.n_exc, "--n-exc", 0)
    n_inh = n_exc // 4 if args.n_inh is None else _common.whole(args.n_inh, "--n-inh", 0)
    n_unconn = _common.whole(args.n_unconn, "--n-unconn", 0)
    if n_exc + n_inh + n_unconn == 0:
        raise ModelDefinitionError("--n-exc, --n-inh and --n-unconn are all 0; the experiment needs at least one "
                                   "input source")
    duration = validate.positive(args.duration, "--duration", unit="ms")
    return {"n_exc": n_exc, "n_inh": n_inh, "n_unconn": n_unconn, "duration": duration,
            "seed": _common.seed(args.seed)}


def check_memory(opts: dict, engine: str) -> None:
    from ..models.izhikevich_poisson import IzhikevichPoisson

    sources = opts["n_exc"] + opts["n_inh"] + opts["n_unconn"]
    mean_rate_per_ms = IzhikevichPoisson.parameters["rate_mean"].default * 1e-3
    inputs = 1.2 * opts["duration"] * mean_rate_per_ms * (opts["n_exc"] + opts["n_inh"])
    # samples of v and u, then the figure's copies of v (interpolation, line data)
    samples = (opts["duration"] / SAMPLE_DT_MS + 1) * 5 * 8 if engine == "cpu" else 0.0
    need = sources * SOURCE_BYTES + inputs * INPUT_BYTES + samples
    validate.memory(need, f"izhikevich-poisson with {validate.count_text(sources)} inputs for {opts['duration']:g} ms",
                    fix="lower --duration or the number of inputs")


def run(args) -> dict:
    from ..models.izhikevich_poisson import IzhikevichPoisson
    from . import peak_rss_mb

    opts = check_options(args)
    check_memory(opts, args.engine)
    out = writable_folder(args.out)
    model = IzhikevichPoisson(opts["n_exc"], opts["n_inh"], opts["n_unconn"], seeds=opts["seed"])
    sample_dt = SAMPLE_DT_MS if args.engine == "cpu" else None
    result = model.run(opts["duration"], engine=args.engine, record_inputs=True, sample_dt=sample_dt)
    spikes = result.spike_times(0)
    source = result.input_sources[0]
    _common.save_npz(out / "spikes.npz", times_ms=spikes)
    _common.save_npz(out / "inputs.npz", times_ms=result.input_times[0], source=source, kind=model.kind[source])
    files = ["spikes.npz", "inputs.npz"]
    if result.traces is not None:
        _common.save_figure(_figure(result, spikes, model.params["v_peak"], f"Izhikevich RS, {model.n_exc} exc + "
                                    f"{model.n_inh} inh inputs, seed {opts['seed']}"), out / "voltage.png", dpi=120)
        files.append("voltage.png")
    return {
        "model": args.model, "engine": args.engine, "duration_ms": opts["duration"], "seed": opts["seed"],
        "n_exc": model.n_exc, "n_inh": model.n_inh, "n_unconn": model.n_unconn,
        "n_inputs_applied": int(source.size), "spikes": int(spikes.size), "rate_hz": float(result.rate_hz[0]),
        "n_steps_accepted": int(result.steps_accepted[0]), "n_steps_rejected": int(result.steps_rejected[0]),
        "n_steps_forced": int(result.steps_forced[0]), "compile_s": result.compile_s, "run_s": result.run_s,
        "peak_rss_mb": peak_rss_mb(), "files": files, "out": str(out),
    }


def _figure(result, spikes, v_peak, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3))
    ax.plot(result.trace_times, result.traces["v"][0], lw=0.5)
    ax.vlines(spikes, ymin=np.interp(spikes, result.trace_times, result.traces["v"][0]), ymax=v_peak, lw=0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("v (mV)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
