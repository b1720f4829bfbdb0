"""What every command shares: option checks that name the option, memory estimates, atomic outputs, the JSON line.

Options arrive from argparse as plain numbers (:func:`number`) and are checked here before anything is built,
so a bad value costs no compile time and the message names the option (``--dt``), not an internal parameter.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..io.atomic import atomic_path

#: largest seed: the counter-based generator keys its draws on 32 bits (core/random.py), so larger seeds
#: would repeat the noise of ``seed mod 2**32``
MAX_SEED = 2**32 - 1
#: most steps in one run: beyond this a run takes days even for the smallest network
MAX_STEPS = 10**9
#: spike-monitor entry (step int64 + index int32) and the rate the runner sizes its buffer for (Hz)
SPIKE_ENTRY_BYTES = 12
MONITOR_RATE_HZ = 50.0


def number(text: str) -> int | float:
    """argparse ``type``: an int if ``text`` is an integer literal (exact, however large), else a float
    (``nan`` and ``inf`` included, so that the check names the option); anything else is a usage error."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")


def whole(value, name: str, low: int, high: int | None = None, why: str = "") -> int:
    """A whole number in ``[low, high]``; ``why`` explains the bound in the message."""
    k = validate.integer(value, name)
    if k < low or (high is not None and k > high):
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ModelDefinitionError(f"{name} must be an integer {span}{f' ({why})' if why else ''}, got {k}")
    return k


def seed(value, name: str = "--seed") -> int:
    return whole(value, name, 0, MAX_SEED, "the random generator keys on 32 bits")


def steps(duration: float, dt: float, unit: str = "ms", dt_label: str | None = None) -> int:
    """Number of steps of ``dt`` in ``--duration`` (both already checked finite and > 0): refused unless it is
    whole (a run never silently rounds its length) and at least one. ``dt_label`` names the step option with
    its value (default ``--dt <dt> <unit>``)."""
    label = dt_label or f"--dt {dt:g} {unit}"
    k = duration / dt
    r = round(k)
    if abs(k - r) > 1e-9 * max(1.0, k):
        raise ModelDefinitionError(f"--duration {duration:g} {unit} is not a whole number of steps of {label} "
                                   f"({duration:g} / {dt:g} = {k:.6g}); use a multiple of the step")
    if r < 1:
        raise ModelDefinitionError(f"--duration {duration:g} {unit} is shorter than one step of {label}")
    return int(r)


def step_cap(n_steps: int, duration: float, dt: float, unit: str = "ms", dt_label: str | None = None) -> None:
    """Refuse runs of more than :data:`MAX_STEPS` steps (checked after memory, which usually fails first)."""
    if n_steps > MAX_STEPS:
        raise ModelDefinitionError(f"--duration {duration:g} {unit} in steps of {dt_label or f'--dt {dt:g} {unit}'} "
                                   f"is {n_steps:.3g} steps; at most {MAX_STEPS:.0e} per run: shorten --duration or "
                                   "raise the step")


def network_bytes(n_neurons: float, n_synapses: float, n_steps: int, dt_ms: float, n_pops: int,
                  monitored: float, ring_depth: int = 1, synapse_bytes: float = 32.0) -> float:
    """Memory of a network run: synapses as built (int64 temporaries, then int32 CSR), neuron state and spike
    rings, the spike monitor as the runner first sizes it, per-step population counts and, after the run, the
    population rates (float64) the summary plot smooths."""
    neurons = n_neurons * (96.0 + 4.0 * ring_depth)
    monitor = (monitored * n_steps * dt_ms * 1e-3 * MONITOR_RATE_HZ + 2 * monitored) * SPIKE_ENTRY_BYTES
    per_step = n_steps * n_pops * (2 * 4 + 3 * 8)
    return n_synapses * synapse_bytes + neurons + monitor + per_step


def run_and_save(runner, duration: float, out, plot=None) -> tuple:
    """Run ``runner`` for ``duration`` ms, write ``results.h5`` and, if ``plot`` is given, call
    ``plot(result, path)`` for ``raster.png``; return the result and the names of the files written.

    A run stopped by Ctrl-C returns what was simulated (``result.interrupted``); it is written all the same.
    """
    result = runner.run(duration)
    with naming(out / "results.h5"):
        result.to_hdf5(out / "results.h5")
    files = ["results.h5"]
    if plot is not None and plot(result, out / "raster.png"):
        files.append("raster.png")
    return result, files


def run_facts(result, duration: float, files: list, out) -> dict:
    """JSON keys every network command reports about the run itself: ``duration_ms`` is what was simulated,
    ``duration`` as asked unless the run was interrupted (then the steps done times dt)."""
    interrupted = bool(getattr(result, "interrupted", False))
    return {"duration_ms": result.duration if interrupted else duration, "interrupted": interrupted,
            "files": files, "out": str(out)}


@contextlib.contextmanager
def naming(path):
    """Re-raise an ``OSError`` of the block (h5py's included) as one that names ``path``, the file the user
    asked for (not a temporary name)."""
    try:
        yield
    except OSError as err:
        raise OSError(err.errno, err.strerror or str(err), str(path)) from None


@contextlib.contextmanager
def output_file(path):
    """Yield a temporary path to write ``path`` to; it replaces ``path`` only when complete (atomic)."""
    with naming(path), atomic_path(path) as tmp:
        yield tmp


def save_figure(fig, path, **kwargs) -> None:
    """``fig.savefig`` atomically, then free the figure."""
    import matplotlib.pyplot as plt

    try:
        with output_file(path) as tmp:
            fig.savefig(tmp, **kwargs)
    finally:
        plt.close(fig)


def save_npz(path, **arrays) -> None:
    with output_file(path) as tmp:
        np.savez(tmp, **arrays)


def finite(obj):
    """``obj`` with every non-finite float replaced by ``None`` and numpy scalars made plain, so that the JSON
    line is valid JSON (``NaN`` is not)."""
    if isinstance(obj, dict):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def json_line(summary: dict) -> str:
    return json.dumps(finite(summary), allow_nan=False)


def summary_plotter(title: str):
    """The ``plot(result, path)`` of :func:`run_and_save` that writes the summary figure (raster and rates)."""
    def plot(result, path) -> bool:
        from ..plot import summary_figure

        with naming(path):
            summary_figure(result, path, title=title)
        return True

    return plot
