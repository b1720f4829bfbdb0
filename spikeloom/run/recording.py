"""Where a run's records go, chunk by chunk: into memory (the default) or streamed into an HDF5 file.

The runner hands over one :class:`Chunk` after every chunk of steps, already by population and monitor. A
:class:`MemoryRecorder` fills arrays sized for the run; a :class:`FileRecorder` appends each chunk to resizable,
chunked, compressed datasets and flushes them, so the run's memory is bounded by one chunk, not by its
duration. The file has the layout :meth:`Result.to_hdf5` writes (``/spikes/<pop>/{times_ms,indices}``,
``/traces/<name>/{values,times_ms,indices}``, ``/spike_counts/<pop>``), so :meth:`Result.from_hdf5` reads both.

A streamed file is written in HDF5's single-writer-multiple-reader mode, whose writer orders its writes so that
the file on disk is consistent at every moment: a process killed at any point leaves every flushed chunk
readable. Within a chunk the spike counts are written last; a reader takes the steps that every population's
counts reached as complete (``Result._read``). ``n_steps`` and the run times are root attributes written when
the run ends; a file without them was killed (or is still being written).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from .._errors import ModelDefinitionError
from ..io.atomic import atomic_path
from .result import FILE_FORMAT, Result, SpikeTrains, open_h5

#: rows per HDF5 chunk of the 1-D event datasets (spike times and indices)
EVENT_CHUNK = 1 << 16
#: rows (steps) per HDF5 chunk of a population's spike counts: every append recompresses the last, partly
#: filled chunk of each population, so a small one (16 KB) keeps the append cheap (the 58 populations of the
#: Joglekar model: 46 ms per chunk of the run at 2**16 rows, 8 % of its time; 13 ms at 2**12)
COUNT_CHUNK = 1 << 12
#: bytes per HDF5 chunk of a trace (rows x monitored indices)
TRACE_CHUNK_BYTES = 1 << 18
#: gzip level 1 with byte shuffling: most of level 9's size at a fraction of its time
COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": True}
#: how long the writer waits for a reader's file lock when it opens the record file: retries x wait (s)
LOCK_RETRIES, LOCK_WAIT_S = 200, 0.01


@dataclass
class Layout:
    """What a run records: populations with their sizes, spike-monitored populations, and state monitors
    ``key -> (indices, dtype, every)``."""

    dt: float
    sizes: dict[str, int]
    spike_pops: list[str]
    traces: dict[str, tuple[np.ndarray, np.dtype, int]] = field(default_factory=dict)


@dataclass
class Chunk:
    """The records of ``n_steps`` consecutive steps: spike counts per step and population, spikes as (time ms,
    index within the population), and the trace samples taken in these steps with their times."""

    n_steps: int
    counts: dict[str, np.ndarray]
    spikes: dict[str, tuple[np.ndarray, np.ndarray]]
    traces: dict[str, np.ndarray]
    trace_times: dict[str, np.ndarray]


class MemoryRecorder:
    """Records of one run kept in memory: per-step counts and traces in arrays sized for the run (``n_steps``),
    spikes in one array per chunk, joined at the end."""

    def __init__(self, layout: Layout, t_start: float, n_steps: int):
        self.layout, self.t_start, self.done = layout, t_start, 0
        self.counts = {p: np.zeros(n_steps, np.int32) for p in layout.sizes}
        self.spikes = {p: [] for p in layout.spike_pops}
        self.traces = {k: np.zeros((n_steps // every, idx.size), dtype)
                       for k, (idx, dtype, every) in layout.traces.items()}
        self.trace_times = {k: [] for k in layout.traces}
        self.rows = dict.fromkeys(layout.traces, 0)

    def append(self, chunk: Chunk) -> None:
        for p, c in chunk.counts.items():
            self.counts[p][self.done:self.done + chunk.n_steps] = c
        for p, ev in chunk.spikes.items():
            self.spikes[p].append(ev)
        for k, rows in chunk.traces.items():
            self.traces[k][self.rows[k]:self.rows[k] + rows.shape[0]] = rows
            self.rows[k] += rows.shape[0]
            self.trace_times[k].append(chunk.trace_times[k])
        self.done += chunk.n_steps

    def result(self, compile_s: float, run_s: float) -> Result:
        lay = self.layout
        res = Result(dt=lay.dt, t_start=self.t_start, n_steps=self.done, compile_s=compile_s, run_s=run_s,
                     sizes=dict(lay.sizes))
        res.spike_counts = {p: c[:self.done] for p, c in self.counts.items()}
        for p, parts in self.spikes.items():
            times = np.concatenate([t for t, _ in parts]) if parts else np.zeros(0)
            idx = np.concatenate([i for _, i in parts]) if parts else np.zeros(0, np.int64)
            res.spikes[p] = SpikeTrains(times, idx.astype(np.int64), lay.sizes[p])
        for k, (idx, _, _) in lay.traces.items():
            res.traces[k] = self.traces[k][:self.rows[k]]  # an interrupted run filled only the first rows
            parts = self.trace_times[k]
            res.trace_times[k] = np.concatenate(parts) if parts else np.zeros(0)
            res.trace_indices[k] = idx
        return res


class FileRecorder:
    """Records streamed into the HDF5 file ``path``, chunk by chunk.

    :meth:`create` starts a new file (written atomically with its layout first, so an older file at ``path`` is
    replaced only by a valid one); :meth:`resume` keeps the first rows of an existing file (a checkpoint's
    positions) and continues it; :meth:`open` continues a file this recorder closed after an earlier run."""

    def __init__(self, path, layout: Layout):
        self.path, self.layout = os.fspath(path), layout
        self.f = None
        self.first_row = 0  # per-step row of the current run's first step

    # ---- the file --------------------------------------------------------------------------------------
    def create(self, t_start: float) -> None:
        import h5py

        with atomic_path(self.path) as tmp, h5py.File(tmp, "w", libver="latest") as f:
            self._layout(f, t_start)

    def _layout(self, f, t_start: float) -> None:
        lay = self.layout
        f.attrs.update(format=FILE_FORMAT, dt_ms=lay.dt, t_start_ms=t_start)
        for p, n in lay.sizes.items():
            ds = f.create_dataset(f"spike_counts/{p}", (0,), np.int32, maxshape=(None,), chunks=(COUNT_CHUNK,),
                                  **COMPRESSION)
            ds.attrs["n"] = n
        for p in lay.spike_pops:
            grp = f.create_group(f"spikes/{p}")
            grp.attrs["n"] = lay.sizes[p]
            for name, dtype in (("times_ms", np.float64), ("indices", np.int32)):
                grp.create_dataset(name, (0,), dtype, maxshape=(None,), chunks=(EVENT_CHUNK,), **COMPRESSION)
        for k, (idx, dtype, _) in lay.traces.items():
            grp = f.create_group(f"traces/{k}")
            width = max(idx.size, 1)
            rows = max(1, TRACE_CHUNK_BYTES // (width * np.dtype(dtype).itemsize))
            grp.create_dataset("values", (0, idx.size), dtype, maxshape=(None, idx.size), chunks=(rows, width),
                               **COMPRESSION)
            grp.create_dataset("times_ms", (0,), np.float64, maxshape=(None,), chunks=(EVENT_CHUNK,), **COMPRESSION)
            grp.create_dataset("indices", data=idx)

    def open(self) -> None:
        """Open the file for appending; the run facts of a finished run are removed until this run ends, so a
        kill in between leaves a file that reads as interrupted, with its complete chunks."""
        import h5py

        # opened in single-writer mode at once: a file opened for plain writing is unreadable if killed
        fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
        fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
        # a reader that opened the new file before this writer (a monitoring script) holds HDF5's file lock for
        # a moment: wait for it rather than fail the run
        for attempt in range(LOCK_RETRIES + 1):
            try:
                fid = h5py.h5f.open(os.fsencode(self.path), h5py.h5f.ACC_RDWR | h5py.h5f.ACC_SWMR_WRITE, fapl=fapl)
                break
            except OSError as err:
                if attempt == LOCK_RETRIES or "lock" not in str(err):
                    raise
                time.sleep(LOCK_WAIT_S)
        self.f = h5py.File(fid)
        for key in ("n_steps", "compile_s", "run_s", "interrupted"):
            if key in self.f.attrs:
                del self.f.attrs[key]
        self.f.flush()
        self.first_row = self.rows()

    def resume(self, positions: dict[str, int], t_start: float) -> None:
        """Continue the file at ``path`` from a checkpoint: its datasets are cut to ``positions`` (the rows
        they had when the checkpoint was written; a run that went on after it wrote more) and copied, a block at
        a time, into a new file that replaces it atomically. Without a file and with no rows to keep, a new file
        starts at ``t_start``."""
        import h5py

        if not os.path.exists(self.path):
            if any(positions.values()):
                raise ModelDefinitionError(f"cannot continue the record {self.path!r}: the file is missing (the "
                                           "checkpoint was written while recording into it)")
            return self.create(t_start)
        with open_h5(self.path, "record_to") as old, atomic_path(self.path) as tmp, h5py.File(tmp, "w", libver="latest") as f:
            if old.attrs.get("format") != FILE_FORMAT or "dt_ms" not in old.attrs:
                raise ModelDefinitionError(f"cannot continue {self.path!r}: it is not a spikeloom result")
            self._layout(f, float(old.attrs["t_start_ms"]))
            if float(old.attrs["dt_ms"]) != self.layout.dt or set(_datasets(f)) != set(positions):
                raise ModelDefinitionError(f"cannot continue {self.path!r}: its dt or monitors are not those of the "
                                           "checkpoint's run (resume with the same monitors and record file)")
            for name, n in positions.items():
                src, dst = old[name], f[name]
                if src.shape[0] < n:
                    raise ModelDefinitionError(f"cannot continue {self.path!r}: {name} has {src.shape[0]} rows, "
                                               f"fewer than the {n} the checkpoint recorded (a different file?)")
                dst.resize(n, axis=0)
                for lo in range(0, n, 1 << 22):
                    dst[lo:min(n, lo + (1 << 22))] = src[lo:min(n, lo + (1 << 22))]

    def positions(self) -> dict[str, int]:
        """Rows of every growing dataset: what a checkpoint stores so that a resumed run continues here."""
        if self.f is not None:
            return {name: ds.shape[0] for name, ds in _datasets(self.f).items()}
        with open_h5(self.path, "record_to") as f:
            return {name: ds.shape[0] for name, ds in _datasets(f).items()}

    def rows(self) -> int:
        return _rows(self.f)

    # ---- the records ---------------------------------------------------------------------------------------
    def append(self, chunk: Chunk) -> None:
        """Append and flush one chunk: spikes and traces first, the spike counts (which mark the chunk
        complete) last."""
        f = self.f
        for p, (times, idx) in chunk.spikes.items():
            _extend(f[f"spikes/{p}/times_ms"], times)
            _extend(f[f"spikes/{p}/indices"], idx.astype(np.int32))
        for k, rows in chunk.traces.items():
            _extend(f[f"traces/{k}/values"], rows)
            _extend(f[f"traces/{k}/times_ms"], chunk.trace_times[k])
        for p, c in chunk.counts.items():
            _extend(f[f"spike_counts/{p}"], c)

    def close(self, compile_s: float, run_s: float, interrupted: bool) -> None:
        """End the run: the file is complete (``n_steps`` and the run facts are written) and closed."""
        if self.f is None:
            return
        self.f.attrs.update(n_steps=self.rows(), compile_s=compile_s, run_s=run_s, interrupted=interrupted)
        self.f.close()
        self.f = None

    def abandon(self) -> None:
        """Close after a failed run without the run facts: the file reads as interrupted, chunks kept."""
        if self.f is not None:
            self.f.close()
            self.f = None

    def result(self, first: int | None = None) -> Result:
        """The records of rows ``first`` on (default: this run's), read from the file on access."""
        with open_h5(self.path, "record_to") as f:
            return Result._read(f, self.first_row if first is None else first, _rows(f))


def _rows(f) -> int:
    """Complete per-step rows: those every population's spike counts reached."""
    return min((ds.shape[0] for ds in f["spike_counts"].values()), default=0)


def _datasets(f) -> dict:
    """The datasets that grow with the run, by path."""
    out = {f"spike_counts/{p}": ds for p, ds in f["spike_counts"].items()}
    for p, grp in f.get("spikes", {}).items():
        out.update({f"spikes/{p}/times_ms": grp["times_ms"], f"spikes/{p}/indices": grp["indices"]})
    for k, grp in f.get("traces", {}).items():
        out.update({f"traces/{k}/values": grp["values"], f"traces/{k}/times_ms": grp["times_ms"]})
    return out


def _extend(ds, values: np.ndarray) -> None:
    n = ds.shape[0]
    if values.shape[0]:
        ds.resize(n + values.shape[0], axis=0)
        ds[n:] = values
    ds.flush()
