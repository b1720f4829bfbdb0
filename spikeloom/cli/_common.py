"""What every command shares: option checks that name the option, memory estimates, atomic outputs, the JSON line.

Options arrive from argparse as plain numbers (:func:`number`) and are checked here before anything is built,
so a bad value costs no compile time and the message names the option (``--dt``), not an internal parameter.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..io.atomic import atomic_path, writable_folder

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


def add_file_arguments(run) -> None:
    """The options of a network command's files and display: ``--out``, ``--checkpoint-every``, ``--resume``,
    ``--nwb``, ``--no-plot``, ``--progress``."""
    run.add_argument("--out", default=None, help="output folder (default ./out; with --resume, the checkpoint's "
                                                 "folder)")
    run.add_argument("--checkpoint-every", type=number, default=None, metavar="MS",
                     help="write checkpoint.h5 into --out every MS ms of simulated time and at the end (each "
                          "write replaces the last atomically)")
    run.add_argument("--resume", default=None, metavar="CHECKPOINT",
                     help="continue the run saved in this checkpoint.h5 up to --duration (then the total "
                          "duration), appending to the results.h5 of its run; give the options of that run")
    run.add_argument("--nwb", action="store_true", help="also write results.nwb (Neurodata Without Borders)")
    run.add_argument("--no-plot", action="store_true", help="skip raster.png")
    run.add_argument("--progress", action="store_true", default=None, help="always show a progress bar")


def file_plan(args, model: str, options: dict, duration: float, dt: float) -> dict:
    """Check the file options before anything is built; return the output folder (created, writable), the
    checkpoint interval, the checkpoint to resume and the metadata a checkpoint keeps (``model`` and the
    ``options`` that define the run: a resumed run must give the same)."""
    from ..run import checkpoint

    metadata = json.loads(json.dumps({"model": model, "options": options}))
    every = None
    if args.checkpoint_every is not None:
        every = validate.positive(args.checkpoint_every, "--checkpoint-every", unit="ms")
        if abs(every / dt - round(every / dt)) > 1e-9 * max(1.0, every / dt):
            raise ModelDefinitionError(f"--checkpoint-every {every:g} ms is not a whole number of steps of --dt "
                                       f"{dt:g} ms")
    folder = args.out
    if args.resume is not None:
        try:
            saved = checkpoint.read(rank_file(args.resume), state=False)
        except ModelDefinitionError as err:
            raise ModelDefinitionError(f"--resume: {err}") from None
        if saved.metadata != metadata:
            raise ModelDefinitionError(f"--resume {args.resume}: the checkpoint is of `{_command(saved.metadata)}`, "
                                       f"this command runs `{_command(metadata)}`; give the options of the "
                                       "checkpointed run")
        t = saved.attrs["step"] * saved.attrs["dt"]
        if duration <= t + 0.5 * dt:
            raise ModelDefinitionError(f"--duration {duration:g} ms: with --resume it is the total duration, and the "
                                       f"checkpoint is at t = {t:g} ms already")
        folder = folder or os.path.dirname(os.path.abspath(args.resume))
    return {"out": writable_folder(folder or "out"), "every": every, "resume": args.resume, "nwb": args.nwb,
            "metadata": metadata}


def _command(metadata: dict) -> str:
    """A checkpoint's metadata as the command line that made it."""
    opts = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in metadata.get("options", {}).items())
    return f"{metadata.get('model')} {opts}".strip()


def make_runner(plan: dict, net, **kwargs):
    """The command's runner: streaming into ``results.h5`` of the output folder, from the checkpoint if the
    command resumes one."""
    from ..run import Runner
    from ..run.distributed import DistributedRunner, world

    make = Runner if world() is None else DistributedRunner  # started by mpiexec with several ranks
    record = plan["out"] / "results.h5"
    if plan["resume"] is not None:
        return make.from_checkpoint(plan["resume"], net, record_to=record, **kwargs)
    return make(net, record_to=record, **kwargs)


def run_and_save(runner, duration: float, plan: dict, plot=None) -> tuple:
    """Run ``runner`` up to ``duration`` ms in all (a resumed runner starts at its checkpoint's time), streaming
    into ``results.h5`` after every chunk (a killed run keeps every completed chunk); write ``checkpoint.h5``
    as ``plan`` asks, ``results.nwb`` with ``--nwb`` and, if ``plot`` is given, call ``plot(result, path)``
    for ``raster.png``. Return the result of the whole run (read from results.h5, so a resumed run's includes
    what ran before the checkpoint) and the names of the files written.

    A run stopped by Ctrl-C returns what was simulated (``result.interrupted``); it is written all the same.
    """
    from ..run import Result

    out = plan["out"]
    ckpt = out / "checkpoint.h5" if plan["every"] is not None else None
    with naming(out / "results.h5"):
        ran = runner.run((round(duration / runner.dt) - runner.step) * runner.dt, checkpoint=ckpt,
                         checkpoint_every=plan["every"], checkpoint_metadata=plan["metadata"])
        result = Result.from_hdf5(out / "results.h5", lazy=True)
    result.compile_s, result.run_s = ran.compile_s, ran.run_s
    files = ["results.h5"] + ([rank_file(ckpt).name] if ckpt is not None else [])
    if not is_root():  # under mpiexec, rank 0 writes the files made from the merged results
        return result, files
    if plan["nwb"]:
        with naming(out / "results.nwb"):
            result.to_nwb(out / "results.nwb", metadata={"model": plan["metadata"]["model"],
                                                         **plan["metadata"]["options"], "duration_ms": duration})
        files.append("results.nwb")
    if plot is not None and plot(result, out / "raster.png"):
        files.append("raster.png")
    return result, files


def run_facts(result, duration: float, files: list, out) -> dict:
    """JSON keys every network command reports about the run itself: ``duration_ms`` is what was simulated,
    ``duration`` as asked unless the run was interrupted (then the steps done times dt)."""
    from ..run.distributed import world

    interrupted = bool(getattr(result, "interrupted", False))
    comm = world()
    return {"duration_ms": result.duration if interrupted else duration, "interrupted": interrupted,
            "files": files, "out": str(out), "ranks": 1 if comm is None else comm.Get_size()}


def is_root() -> bool:
    """Whether this process writes the command's files and prints its JSON line: rank 0 under mpiexec."""
    from ..run.distributed import world

    comm = world()
    return comm is None or comm.Get_rank() == 0


def rank_file(path):
    """This rank's file of a per-rank file ``path`` (a checkpoint) under mpiexec; ``path`` otherwise."""
    from ..run.distributed import rank_path, world

    comm = world()
    return path if comm is None else rank_path(path, comm.Get_rank(), comm.Get_size())


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
