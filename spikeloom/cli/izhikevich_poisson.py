"""``spikeloom run izhikevich-poisson``: one Izhikevich neuron under Poisson conductance input, event-driven.

Writes into ``--out``: ``voltage.png`` (the membrane potential from the dense output, spikes marked),
``inputs.npz`` (the input spikes applied: ``times_ms``, ``source``, ``kind`` 0 excitatory / 1 inhibitory) and
``spikes.npz`` (``times_ms``).
"""

from __future__ import annotations

import pathlib

import numpy as np

MODELS = {"izhikevich-poisson": "one Izhikevich RS neuron, 800 exc + 200 inh + 100 unconnected Poisson inputs, "
                                "adaptive solver with exact event times"}


def add_arguments(run) -> None:
    run.add_argument("--n-exc", type=int, default=800, help="excitatory inputs (default 800)")
    run.add_argument("--n-inh", type=int, default=None, help="inhibitory inputs (default n-exc / 4)")
    run.add_argument("--n-unconn", type=int, default=100, help="unconnected inputs (default 100)")
    run.add_argument("--duration", type=float, default=1200.0, help="biological time in ms (default 1200)")
    run.add_argument("--seed", type=int, default=0, help="seed of the input rates and spike trains")
    run.add_argument("--engine", choices=["cpu", "jax"], default="cpu", help="cpu (Numba, default) or jax")
    run.add_argument("--out", default="out", help="output folder (default ./out)")


def run(args) -> dict:
    from ..models.izhikevich_poisson import IzhikevichPoisson
    from . import peak_rss_mb

    model = IzhikevichPoisson(args.n_exc, args.n_inh, args.n_unconn, seeds=args.seed)
    result = model.run(args.duration, engine=args.engine, record_inputs=True, sample_dt=0.1)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spikes = result.spike_times(0)
    np.savez(out / "spikes.npz", times_ms=spikes)
    source = result.input_sources[0]
    np.savez(out / "inputs.npz", times_ms=result.input_times[0], source=source, kind=model.kind[source])
    _plot(result, spikes, model.params["v_peak"], out / "voltage.png",
          f"Izhikevich RS, {model.n_exc} exc + {model.n_inh} inh inputs, seed {args.seed}")
    return {
        "model": args.model, "engine": args.engine, "duration_ms": args.duration, "seed": args.seed,
        "n_exc": model.n_exc, "n_inh": model.n_inh, "n_unconn": model.n_unconn,
        "n_inputs_applied": int(source.size), "spikes": int(spikes.size), "rate_hz": float(result.rate_hz[0]),
        "n_steps_accepted": int(result.steps_accepted[0]), "n_steps_rejected": int(result.steps_rejected[0]),
        "n_steps_forced": int(result.steps_forced[0]), "compile_s": result.compile_s, "run_s": result.run_s,
        "peak_rss_mb": peak_rss_mb(), "out": str(out),
    }


def _plot(result, spikes, v_peak, path, title):
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
    fig.savefig(path, dpi=120)
    plt.close(fig)
