"""``spikeloom run dynapse``: the seed's DYNAP-SE protocol, one DPI neuron driven by four input neurons.

Writes ``traces.npz`` (``t``, ``Imem``, ``Iahp``, ``Inmda``, ``Iampa``, ``Igaba_a``, ``Igaba_b``, ``spike_times``;
SI units, one value per step) and ``comparison.png`` into ``--out``. Times follow the Brian2 DYNAP-SE
simulator: a sample at ``t`` is the state at the start of the step ``[t, t + dt)``; an input spike at ``t``
lands at the end of that step; an output spike time is the start of the step in which it fired.
"""

from __future__ import annotations

import pathlib
import time

import numpy as np

from .._errors import ModelDefinitionError

MODELS = {"dynapse": "DYNAP-SE DPI neuron with NMDA, AMPA, GABA_A, GABA_B inputs (seed protocol)"}


def add_arguments(run) -> None:
    run.add_argument("--input-spikes", default=None, metavar="FILE.npz",
                     help="arrays nmda, ampa, gaba_a, gaba_b of spike times in s (default: 80 Hz Poisson trains)")
    run.add_argument("--weights", default="nmda=10,ampa=5,gaba_a=1,gaba_b=2",
                     help="weight per synapse type (CAM slots), default nmda=10,ampa=5,gaba_a=1,gaba_b=2")
    run.add_argument("--dt-us", type=float, default=100.0, help="time step in us (default 100)")
    run.add_argument("--duration", type=float, default=100.0, help="duration in ms (default 100)")
    run.add_argument("--seed", type=int, default=0, help="seed of the Poisson inputs (default 0)")
    run.add_argument("--out", default="out", help="output folder (default ./out)")


def parse_weights(text: str) -> dict[str, float]:
    from ..dynapse.protocol import SYNAPSE_ORDER

    weights = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in SYNAPSE_ORDER:
            raise ModelDefinitionError(f"--weights: expected type=value with types {list(SYNAPSE_ORDER)}, got {item!r}")
        try:
            weights[key] = float(value)
        except ValueError:
            raise ModelDefinitionError(f"--weights: {key} needs a number, got {value!r}") from None
    missing = [k for k in SYNAPSE_ORDER if k not in weights]
    if missing:
        raise ModelDefinitionError(f"--weights: missing {missing}")
    return weights


def load_input_spikes(path: str) -> dict[str, np.ndarray]:
    from ..dynapse.protocol import SYNAPSE_ORDER

    try:
        data = np.load(path)
    except (OSError, ValueError) as err:
        raise ModelDefinitionError(f"--input-spikes {path!r}: cannot read it as .npz ({err})") from None
    missing = [k for k in SYNAPSE_ORDER if k not in data.files]
    if missing:
        raise ModelDefinitionError(f"--input-spikes {path!r}: missing arrays {missing} (has {data.files})")
    out = {}
    for k in SYNAPSE_ORDER:
        times = np.asarray(data[k], dtype=np.float64).ravel()
        if not np.all(np.isfinite(times)) or (times.size and times.min() < 0):
            raise ModelDefinitionError(f"--input-spikes {path!r}: {k} must hold finite times >= 0 s")
        out[k] = times * 1e3
    return out


def run(args) -> dict:
    from ..dynapse.protocol import CURRENTS, poisson_inputs, run_single_neuron
    from . import peak_rss_mb

    dt_ms = args.dt_us * 1e-3
    if not (np.isfinite(dt_ms) and dt_ms > 0) or not (np.isfinite(args.duration) and args.duration > 0):
        raise ModelDefinitionError(f"--dt-us and --duration must be positive, got {args.dt_us}, {args.duration}")
    weights = parse_weights(args.weights)
    t0 = time.perf_counter()
    inputs = (load_input_spikes(args.input_spikes) if args.input_spikes
              else poisson_inputs(80.0, args.duration, dt_ms, args.seed))
    rec, neuron = run_single_neuron(inputs, weights, args.duration, dt_ms)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for var, key in CURRENTS.items():
        t, values = rec.trace(neuron, var)
        arrays[key] = values[:, 0] * 1e-12
    spike_times = rec.spikes(neuron)[0] * 1e-3
    np.savez(out / "traces.npz", t=t * 1e-3, spike_times=spike_times, **arrays)
    plot_currents(arrays, t * 1e-3, spike_times, out / "comparison.png", stored_reference(inputs, weights, t))
    total_s = time.perf_counter() - t0
    return {
        "model": "dynapse", "engine": "cpu", "duration_ms": args.duration, "dt_ms": dt_ms, "seed": args.seed,
        "precision": "float64", "n_neurons": 1, "n_synapses": 4, "weights": weights,
        "spikes": {"neuron": int(spike_times.size)}, "rate_hz": {"neuron": spike_times.size / args.duration * 1e3},
        "compile_s": rec.result.compile_s, "run_s": rec.result.run_s, "total_s": total_s,
        "peak_rss_mb": peak_rss_mb(), "out": str(out),
    }


def plot_currents(arrays: dict, t: np.ndarray, spike_times: np.ndarray, path, reference: dict | None = None):
    """The seed's figure: membrane current and the four synaptic currents (nA) over time, with an optional
    reference (same keys, e.g. Brian2) dashed over spikeloom's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(12, 8), sharex=True)
    for ax, key in zip(axes.ravel(), ("Imem", "Iahp", "Inmda", "Iampa", "Igaba_a", "Igaba_b")):
        ax.plot(t * 1e3, arrays[key] * 1e9, lw=1.2, label="spikeloom")
        if reference is not None:
            ax.plot(t * 1e3, reference[key] * 1e9, "--", lw=1.2, label="Brian2")
        ax.set_title(key)
        ax.set_ylabel("current (nA)")
        ax.grid(True, alpha=0.3)
    for s in spike_times:
        axes[0, 0].axvline(s * 1e3, color="k", lw=0.5, alpha=0.4)
    axes[0, 0].legend(loc="upper right")
    for ax in axes[-1]:
        ax.set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


#: Brian2 traces of the default protocol (seed 0), in a source checkout (tests/reference/make_dynapse_reference.py)
REFERENCE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "reference" / "data" / "dynapse_protocol.npz"


def stored_reference(inputs: dict, weights: dict, t_ms: np.ndarray) -> dict | None:
    """Brian2's currents for exactly these inputs, weights and steps if stored (else None: no overlay)."""
    from ..dynapse.protocol import SYNAPSE_ORDER

    if not REFERENCE.exists():
        return None
    ref = np.load(REFERENCE)
    same = (ref["t"].size == t_ms.size and np.allclose(ref["t"] * 1e3, t_ms)
            and np.allclose(ref["weight"], [weights[k] for k in SYNAPSE_ORDER]))
    for i, k in enumerate(SYNAPSE_ORDER):
        mine = np.sort(inputs[k])
        theirs = np.sort(ref["input_times_ms"][ref["input_indices"] == i])
        same = same and mine.shape == theirs.shape and np.allclose(mine, theirs)
    return {k: ref[k][0] for k in ("Imem", "Iahp", "Inmda", "Iampa", "Igaba_a", "Igaba_b")} if same else None
