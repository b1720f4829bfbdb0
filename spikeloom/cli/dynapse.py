"""``spikeloom run dynapse``: the seed's DYNAP-SE protocol, one DPI neuron driven by four input neurons.

Writes ``traces.npz`` (``t``, ``Imem``, ``Iahp``, ``Inmda``, ``Iampa``, ``Igaba_a``, ``Igaba_b``, ``spike_times``;
SI units, one value per step) and ``comparison.png`` into ``--out``, each atomically. Times follow the Brian2
DYNAP-SE simulator: a sample at ``t`` is the state at the start of the step ``[t, t + dt)``; an input spike at
``t`` lands at the end of that step; an output spike time is the start of the step in which it fired.

Every option is checked before the chip is built: ``--dt-us`` and ``--duration`` (a whole number of steps),
``--weights`` (finite, >= 0, at most the neuron's 64 CAM slots in all) and the ``--input-spikes`` archive
(every array named, 1-D, real, finite, in ``[0, duration)`` seconds: a spike after the run would be dropped
silently). Ctrl-C stops the run without writing anything (exit 130).
"""

from __future__ import annotations

import pathlib
import time
import zipfile
import zlib

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..io.atomic import writable_folder
from . import _common

MODELS = {"dynapse": "DYNAP-SE DPI neuron with NMDA, AMPA, GABA_A, GABA_B inputs (seed protocol)"}

#: --dt-us range: below 1 ns the step count explodes; above 1 ms forward Euler on the soma is far past its
#: stability limit for any activity
DT_US_RANGE = (1e-3, 1000.0)
#: per step: the four Bernoulli draws of the default inputs, six recorded currents (state, SI copy, figure)
BYTES_PER_STEP = 4 * 8 + 6 * 8 * 3
#: what np.load may raise on a damaged archive or member
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def add_arguments(run) -> None:
    num = _common.number
    run.add_argument("--input-spikes", default=None, metavar="FILE.npz",
                     help="arrays nmda, ampa, gaba_a, gaba_b of spike times in s, each in [0, duration) "
                          "(default: 80 Hz Poisson trains)")
    run.add_argument("--weights", default="nmda=10,ampa=5,gaba_a=1,gaba_b=2",
                     help="weight per synapse type (CAM slots, >= 0, 64 in all), default "
                          "nmda=10,ampa=5,gaba_a=1,gaba_b=2")
    run.add_argument("--dt-us", type=num, default=100.0,
                     help=f"time step in us, in [{DT_US_RANGE[0]:g}, {DT_US_RANGE[1]:g}] (default 100)")
    run.add_argument("--duration", type=num, default=100.0,
                     help="duration in ms, a whole number of steps (default 100)")
    run.add_argument("--seed", type=num, default=0,
                     help=f"seed of the Poisson inputs, in [0, {_common.MAX_SEED}] (default 0)")
    run.add_argument("--out", default="out", help="output folder (default ./out)")


def parse_weights(text: str) -> dict[str, float]:
    """``nmda=10,ampa=5,...`` -> weights, each type exactly once, finite and >= 0, within the CAM slots."""
    from ..dynapse.chip import MAX_FAN_IN
    from ..dynapse.protocol import SYNAPSE_ORDER

    weights = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in SYNAPSE_ORDER:
            raise ModelDefinitionError(f"--weights: expected type=value with types {list(SYNAPSE_ORDER)}, got {item!r}")
        if key in weights:
            raise ModelDefinitionError(f"--weights: {key} is given twice")
        try:
            number = float(value)
        except ValueError:
            raise ModelDefinitionError(f"--weights: {key} needs a number, got {value!r}") from None
        weights[key] = validate.real(number, f"--weights {key}", low=0.0)
    missing = [k for k in SYNAPSE_ORDER if k not in weights]
    if missing:
        raise ModelDefinitionError(f"--weights: missing {missing}")
    slots = sum(int(np.ceil(w)) for w in weights.values())
    if slots > MAX_FAN_IN:
        raise ModelDefinitionError(f"--weights: the neuron would use {slots} CAM slots (each weight rounded up); a "
                                   f"DYNAP-SE neuron has {MAX_FAN_IN}")
    return weights


def _archive(path: str):
    """The open .npz archive at ``path``; a file of another kind is named for what it is."""
    name = f"--input-spikes {path!r}"
    file = pathlib.Path(path)
    if not file.is_file():
        raise ModelDefinitionError(f"{name}: {'is a folder' if file.is_dir() else 'no such file'}; expected a .npz "
                                   "archive (np.savez)")
    try:
        with open(file, "rb") as f:
            head = f.read(6)
    except OSError as err:
        raise ModelDefinitionError(f"{name}: cannot read it ({err.strerror})") from None
    if not head:
        raise ModelDefinitionError(f"{name}: the file is empty; expected a .npz archive (np.savez)")
    if head == b"\x93NUMPY":
        raise ModelDefinitionError(f"{name}: is a .npy file (one array); expected a .npz archive with one array per "
                                   "synapse type (np.savez)")
    if not head.startswith(b"PK"):
        raise ModelDefinitionError(f"{name}: is not a .npz archive (np.savez writes one)")
    try:
        return np.load(file, allow_pickle=False)
    except _READ_ERRORS as err:
        raise ModelDefinitionError(f"{name}: cannot read it as a .npz archive ({err})") from None


def load_input_spikes(path: str, duration_ms: float) -> dict[str, np.ndarray]:
    """Spike times (ms) per synapse type from the .npz archive at ``path`` (times in s)."""
    from ..dynapse.protocol import SYNAPSE_ORDER

    name = f"--input-spikes {path!r}"
    out = {}
    with _archive(path) as data:
        missing = [k for k in SYNAPSE_ORDER if k not in data.files]
        if missing:
            raise ModelDefinitionError(f"{name}: missing arrays {missing} (has {data.files})")
        for k in SYNAPSE_ORDER:
            try:
                raw = data[k]
            except _READ_ERRORS as err:
                raise ModelDefinitionError(f"{name}: array {k!r} cannot be read ({err})") from None
            if not isinstance(raw, np.ndarray) or raw.dtype.kind == "b":
                kind = "booleans" if isinstance(raw, np.ndarray) else "not a .npy member"
                raise ModelDefinitionError(f"{name}: array {k!r} must hold spike times in s, got {kind}")
            times = validate.real_array(raw, f"array {k!r}", owner=name, unit="s", shape=(None,), low=0.0)
            late = times >= duration_ms * 1e-3
            if late.any():
                raise ModelDefinitionError(f"{name}: array {k!r} has {int(late.sum())} spike time(s) at or after the "
                                           f"end of the run ({times[late].min():g} s >= --duration "
                                           f"{duration_ms:g} ms); they would never be delivered")
            out[k] = times * 1e3
    return out


def check_options(args) -> dict:
    """Validated dt, duration, steps, seed and weights (ModelDefinitionError naming the option otherwise)."""
    dt_us = validate.real(args.dt_us, "--dt-us", unit="us", low=DT_US_RANGE[0], high=DT_US_RANGE[1])
    duration = validate.positive(args.duration, "--duration", unit="ms")
    dt_ms = dt_us * 1e-3
    label = f"--dt-us {dt_us:g} ({dt_ms:g} ms)"
    return {"dt_ms": dt_ms, "dt_label": label, "duration": duration,
            "n_steps": _common.steps(duration, dt_ms, dt_label=label), "seed": _common.seed(args.seed),
            "weights": parse_weights(args.weights)}


def run(args) -> dict:
    from ..dynapse.protocol import CURRENTS, poisson_inputs, run_single_neuron
    from . import peak_rss_mb

    opts = check_options(args)
    inputs = load_input_spikes(args.input_spikes, opts["duration"]) if args.input_spikes else None
    validate.memory(opts["n_steps"] * BYTES_PER_STEP, f"dynapse for {validate.count_text(opts['n_steps'])} steps",
                    fix="lower --duration or raise --dt-us")
    _common.step_cap(opts["n_steps"], opts["duration"], opts["dt_ms"], dt_label=opts["dt_label"])
    out = writable_folder(args.out)
    t0 = time.perf_counter()
    if inputs is None:
        inputs = poisson_inputs(80.0, opts["duration"], opts["dt_ms"], opts["seed"])
    rec, neuron = run_single_neuron(inputs, opts["weights"], opts["duration"], opts["dt_ms"])
    if getattr(rec.result, "interrupted", False):  # the runner stopped early on Ctrl-C: traces would be short
        raise KeyboardInterrupt
    arrays = {}
    for var, key in CURRENTS.items():
        t, values = rec.trace(neuron, var)
        arrays[key] = values[:, 0] * 1e-12
    spike_times = rec.spikes(neuron)[0] * 1e-3
    _common.save_npz(out / "traces.npz", t=t * 1e-3, spike_times=spike_times, **arrays)
    _common.save_figure(currents_figure(arrays, t * 1e-3, spike_times,
                                        stored_reference(inputs, opts["weights"], t)), out / "comparison.png", dpi=110)
    total_s = time.perf_counter() - t0
    return {
        "model": "dynapse", "engine": "cpu", "duration_ms": opts["duration"], "dt_ms": opts["dt_ms"],
        "seed": opts["seed"], "precision": "float64", "n_neurons": 1, "n_synapses": 4, "weights": opts["weights"],
        "spikes": {"neuron": int(spike_times.size)},
        "rate_hz": {"neuron": spike_times.size / opts["duration"] * 1e3},
        "compile_s": rec.result.compile_s, "run_s": rec.result.run_s, "total_s": total_s,
        "peak_rss_mb": peak_rss_mb(), "files": ["traces.npz", "comparison.png"], "out": str(out),
    }


def currents_figure(arrays: dict, t: np.ndarray, spike_times: np.ndarray, reference: dict | None = None):
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
    return fig


def plot_currents(arrays: dict, t: np.ndarray, spike_times: np.ndarray, path, reference: dict | None = None):
    """:func:`currents_figure` saved to ``path`` (atomically)."""
    _common.save_figure(currents_figure(arrays, t, spike_times, reference), path, dpi=110)


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
