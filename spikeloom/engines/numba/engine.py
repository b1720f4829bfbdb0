"""Compile a plan into a :class:`NumbaProgram`: write the generated source into the disk cache, import it.

Numba's ``cache=True`` needs a real source file, so the generated module is written to
``$SPIKELOOM_CACHE_DIR/numba`` (default ``~/.cache/spikeloom/numba``) under a name that hashes its source, the
source of the spikeloom package and the Numba version; a second process with the same structure loads the
compiled machine code instead of compiling again.

The cache heals itself; a damaged cache costs a recompilation, never a failed run:

- the source file is written atomically (temporary file in the same folder, then ``os.replace``), so
  concurrent processes never see half a file; a file whose content is not the source it should hold
  (truncated, emptied) is rewritten, and the module is always compiled from the source in memory, never
  from a ``.pyc``;
- a Numba cache entry (``.nbi`` index, ``.nbc`` data) that fails to load or save is removed and the function
  compiled again (:func:`call_healing`); if that fails too, the function runs without Numba's disk cache;
- a cache folder that cannot be created or written (read-only, or ``SPIKELOOM_CACHE_DIR`` naming a file)
  means compiling in a private temporary folder, removed at exit: no persistent cache, but no error.

Each of these says so in a one-line :class:`RuntimeWarning` naming the file or folder.
"""

from __future__ import annotations

import atexit
import functools
import glob
import hashlib
import os
import pathlib
import shutil
import sys
import tempfile
import time
import types
import warnings

# OpenMP workers that sleep between the parallel regions of a step take ~60 us to wake (measured with GNU
# OpenMP: 65 us per step of 4 000 LIF neurons on 2 threads, 5 us with active waiting); threads are only used
# with an idle core, so waiting actively costs no other work. But only for a while: with no limit a worker
# spun on for minutes after a run, a whole core busy while the process slept. 10^6 spins of GNU OpenMP are
# ~10 ms here (Intel/LLVM OpenMP: KMP_BLOCKTIME, in ms), far longer than the gap between steps or chunks:
# COBA ran as fast at 4 k-40 k neurons. Read when Numba loads its OpenMP layer, on the first threaded run; a
# user's own settings win.
os.environ.setdefault("OMP_WAIT_POLICY", "active")
os.environ.setdefault("GOMP_SPINCOUNT", "1000000")
os.environ.setdefault("KMP_BLOCKTIME", "10")

import numba  # noqa: E402
import numba.core.caching  # noqa: E402
import numpy as np  # noqa: E402

from ..._errors import EngineError
from ...io.atomic import atomic_path
from ...network.build import Plan
from . import persistent
from .codegen import MonitorLayout, generate, persistent_threads

#: networks of at least this many neurons update their neurons on threads when cores are idle (break-even
#: measured on an idle 2-core machine: ~10 k neurons of COBA)
PARALLEL_THRESHOLD = 16_000


def default_parallel(n_neurons: int) -> bool:
    """Threads for networks of ``PARALLEL_THRESHOLD`` neurons or more, if Numba may use at least two threads
    and a core is idle.

    Every step the threads meet once or more (each neuron operation, with the deliveries into it: a barrier,
    or a fork/join, see ``codegen.persistent_threads``). Measured on 2 idle cores (``benchmarks/coba.py
    --threads-only``, COBA at fan-in 80), 2 threads against the serial loop: 0.84x the speed at 8 k neurons,
    1.13x at 12 k, 1.37x at 20 k with a fork/join per step; with a barrier 0.83x at 4 k, 1.70-1.74x at 40 k,
    2.06x at 400 k. On a busy machine the threads wait for a descheduled one (COBA at 40 k with one other busy
    process on 2 cores: 0.68 s on 2 threads against 0.40 s serial), so threads need a free core, now and
    lately: the tasks runnable at this moment (:func:`runnable_now`, this process included) and the load
    average must each leave half a core. The load average alone lags a minute behind a job that has just
    started. Results do not depend on the choice (``tests/test_threads.py``).
    """
    if n_neurons < PARALLEL_THRESHOLD or numba.get_num_threads() < 2:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    busy = max(os.getloadavg()[0], runnable_now())
    return cores > 1 and cores - busy >= 0.5


def runnable_now(samples: int = 3) -> int:
    """Tasks of the whole machine runnable right now, this process included (Linux ``/proc/loadavg``), the
    fewest of ``samples`` readings 1 ms apart, so that a short-lived process is not taken for a busy core;
    0 where it cannot be read."""
    fewest = None
    for k in range(samples):
        try:
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0
        fewest = running if fewest is None else min(fewest, running)
        if k + 1 < samples:
            time.sleep(1e-3)
    return fewest


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=2)


def cache_dir() -> pathlib.Path | None:
    """The folder of generated modules (created if needed), or ``None`` with a warning when it cannot be
    created or written: then programs are compiled without a persistent cache."""
    root = os.environ.get("SPIKELOOM_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "spikeloom")
    path = pathlib.Path(root) / "numba"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        reason = "is not a folder" if pathlib.Path(root).is_file() else f"cannot be created ({err.strerror})"
        _warn(f"spikeloom: compile cache {str(path)!r} {reason} (set SPIKELOOM_CACHE_DIR to a writable folder); "
              "compiling without a persistent cache")
        return None
    return path


@functools.cache
def _private_folder() -> pathlib.Path:
    """A folder of this process only, for generated modules when the cache folder is unusable."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="spikeloom-nocache-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _write_source(path: pathlib.Path, source: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(source)


def _source_file(name: str, source: str) -> pathlib.Path:
    """A file holding exactly ``source``: in the cache folder if it can be read and written, else private."""
    folder = cache_dir()
    if folder is not None:
        path = folder / f"{name}.py"
        try:
            if path.is_file() and path.read_bytes() == source.encode():
                return path
            if path.exists():
                _warn(f"spikeloom: cached source {str(path)!r} is damaged (not the generated code); rewriting it")
            _write_source(path, source)
            return path
        except OSError as err:
            _warn(f"spikeloom: cannot write into the compile cache {str(folder)!r} ({err.strerror or err}); "
                  "compiling without a persistent cache")
    path = _private_folder() / f"{name}.py"
    try:
        _write_source(path, source)
    except OSError as err:
        raise EngineError(f"cannot write generated code into {str(path.parent)!r} ({err.strerror or err}); set "
                          "SPIKELOOM_CACHE_DIR to a writable folder") from None
    return path


def exec_source(name: str, path, source: str) -> types.ModuleType:
    """Module ``name`` made from ``source`` whose file is ``path`` (Numba keys its disk cache to that file).
    The code is compiled from ``source`` in memory, never read from a ``.pyc``, so a damaged bytecode file
    cannot break it; the module is registered in ``sys.modules``, where Numba looks it up to load cached
    machine code."""
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _failed_cache(err: BaseException):
    """The Numba disk cache of the innermost function whose cache code raised ``err``, or None."""
    found = None
    tb = err.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename == numba.core.caching.__file__:
            owner = frame.f_locals.get("self")
            if isinstance(owner, numba.core.caching.Cache):
                found = owner
        tb = tb.tb_next
    return found


def _remove_entry(cache, what: str) -> bool:
    """Delete the index and data files of one function's Numba cache (saying so); False if that failed."""
    try:
        base = os.path.join(cache.cache_path, cache._cache_file._index_name[: -len(".nbi")])
        for path in glob.glob(glob.escape(base) + ".*"):
            os.unlink(path)
    except (OSError, AttributeError):  # a read-only folder, or a Numba without these internals
        return False
    _warn(f"spikeloom: compile cache entry {base}.nbi could not be used ({what}); removed it and its data, "
          "compiling again")
    return True


def call_healing(fn, *args):
    """``fn(*args)`` for a compiled function whose machine code may come from Numba's disk cache.

    An exception raised inside Numba's cache code (a truncated or empty ``.nbi``/``.nbc`` file, an entry that
    cannot be saved) removes that function's entry, with a one-line warning, and the call is repeated, which
    compiles it again; if that is impossible or fails again, that function's disk cache is switched off for
    this process. Other exceptions pass through. The ``try`` costs nothing when no exception is raised, so
    every call may go through here.
    """
    tries: dict[int, int] = {}
    while True:
        try:
            return fn(*args)
        except Exception as err:
            cache = _failed_cache(err)
            if cache is None or tries.get(id(cache), 0) >= 2:
                raise
            tries[id(cache)] = tries.get(id(cache), 0) + 1
            what = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            if tries[id(cache)] == 1 and _remove_entry(cache, what):
                continue
            cache.disable()
            _warn(f"spikeloom: compile cache {cache.cache_path!r} could not be used ({what}); compiling "
                  "without it")


@functools.cache
def package_fingerprint() -> str:
    """Hash of spikeloom's own source: generated modules import it, so a change must miss the cache."""
    root = pathlib.Path(__file__).resolve().parents[2]
    h = hashlib.sha256(numba.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _import_generated(source: str) -> types.ModuleType:
    """The module of generated ``source``, from this process's modules or made from its cached file."""
    key = hashlib.sha256((source + package_fingerprint()).encode()).hexdigest()[:20]
    name = f"spikeloom_gen_{key}"
    if name in sys.modules:
        return sys.modules[name]
    path = _source_file(name, source)
    try:
        return exec_source(name, path, source)
    except RuntimeError as err:  # Numba found no writable folder for the machine code of a file in the cache
        if _failed_cache(err) is None or path.parent == _private_folder():
            raise
        _warn(f"spikeloom: no writable place for the compiled code of {str(path)!r} ({err}); compiling without "
              "a persistent cache")
        private = _private_folder() / path.name
        _write_source(private, source)
        return exec_source(name, private, source)


class NumbaProgram:
    """One compiled time loop for a plan and its monitor layout."""

    def __init__(self, plan: Plan, monitors: MonitorLayout, parallel: bool | None = None):
        if parallel is None:
            parallel = default_parallel(plan.n_neurons)
        self.parallel = parallel
        # threads that live for a chunk where the program's shape allows (codegen.persistent_threads)
        self.persistent = parallel and persistent_threads(plan, monitors)
        self.updated = sorted({op[1] for op in plan.schedule if op[0] == "neurons"})
        self.source, self.arg_names = generate(plan, monitors, parallel, self.persistent)
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
        head = (np.int64(s0), np.int64(s1), np.int64(s_run0), np.int64(seed), dt)
        if not self.persistent:
            return call_healing(self.module.run_steps, *head, *args)
        # one thread per part, at most as many as Numba may use (a thread takes every threads-th part)
        threads = min(arrays["pcount_scratch"].shape[0], numba.get_num_threads())
        if s1 <= s0:  # compiles (or loads) on this thread alone
            return call_healing(self.module.run_steps, *head, np.int64(0), np.int64(threads), *args)
        persistent.enter(arrays, self.updated, self.updated)
        try:
            return persistent.run_threads(self.module.run_steps, head, threads, args, arrays["sync_scratch"])
        finally:
            persistent.leave(arrays, self.updated, self.updated)
