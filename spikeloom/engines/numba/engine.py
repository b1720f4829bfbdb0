"""Compile a plan into a :class:`NumbaProgram`: write the generated source into the disk cache, import it.

Numba's ``cache=True`` needs a real source file, so the generated module is written to
``$SPIKELOOM_CACHE_DIR`` (default ``~/.cache/spikeloom``) under a name that hashes its source, the source of
the spikeloom package and the Numba version; a second process with the same structure loads the compiled
machine code instead of compiling again.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import pathlib
import sys
import time

import numba
import numpy as np

from ...network.build import Plan
from .codegen import MonitorLayout, generate

# Numba's OpenMP threads spin while they wait for work (libgomp's default). With more runnable threads than
# cores, a spinning thread holds the core its partner needs to finish the step: measured on a busy 2-core
# machine, 10 000 parallel steps took 19-49 s spinning and 0.25 s passive. Read when the threading layer
# loads (on the first threaded run); a value set by the user wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

#: networks of at least this many neurons update their neurons on threads when cores are idle (break-even
#: measured on an idle 2-core machine before the project: ~40 k)
PARALLEL_THRESHOLD = 40_000


def default_parallel(n_neurons: int) -> bool:
    """Threads for networks of ``PARALLEL_THRESHOLD`` neurons or more, if at least one core is idle.

    Every step forks and joins the threads; on a busy machine a join waits for a descheduled thread (measured
    on 2 cores with other jobs running: at 40 k neurons 0.76 s per simulated second with threads, 0.58 s
    without). Results do not depend on the choice.
    """
    if n_neurons < PARALLEL_THRESHOLD:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores > 1 and cores - os.getloadavg()[0] >= 1.0


def cache_dir() -> pathlib.Path:
    root = os.environ.get("SPIKELOOM_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "spikeloom")
    path = pathlib.Path(root) / "numba"
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def package_fingerprint() -> str:
    """Hash of spikeloom's own source: generated modules import it, so a change must miss the cache."""
    root = pathlib.Path(__file__).resolve().parents[2]
    h = hashlib.sha256(numba.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _import_generated(source: str) -> object:
    key = hashlib.sha256((source + package_fingerprint()).encode()).hexdigest()[:20]
    name = f"spikeloom_gen_{key}"
    if name in sys.modules:
        return sys.modules[name]
    path = cache_dir() / f"{name}.py"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)  # atomic: concurrent processes never import a half-written file
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class NumbaProgram:
    """One compiled time loop for a plan and its monitor layout."""

    def __init__(self, plan: Plan, monitors: MonitorLayout, parallel: bool | None = None):
        if parallel is None:
            parallel = default_parallel(plan.n_neurons)
        self.parallel = parallel
        self.source, self.arg_names = generate(plan, monitors, parallel)
        self.module = _import_generated(self.source)
        self.compile_s = 0.0

    def compile(self, step: int, seed: int, dt, arrays: dict) -> float:
        """Compile (or load from the disk cache) by running zero steps; return the seconds it took."""
        t0 = time.perf_counter()
        self(step, step, step, seed, dt, arrays)
        self.compile_s = time.perf_counter() - t0
        return self.compile_s

    def __call__(self, s0: int, s1: int, s_run0: int, seed: int, dt, arrays: dict):
        args = [arrays[name] for name in self.arg_names]
        return self.module.run_steps(np.int64(s0), np.int64(s1), np.int64(s_run0), np.int64(seed), dt, *args)
