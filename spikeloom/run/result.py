"""The result of a run: spikes as compact (time, index) events, monitored traces, population spike counts."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .._errors import ModelDefinitionError, UnknownKeyError
from ..core import validate
from ..io.atomic import atomic_path

#: the ``format`` attribute of the root of a result file, so a reader can tell a spikeloom result from other HDF5
FILE_FORMAT = "spikeloom.Result"


@dataclass
class SpikeTrains:
    """Spikes of one population: ``times`` (ms) and ``indices`` (neuron index within the population)."""

    times: np.ndarray
    indices: np.ndarray
    n: int

    def __len__(self):
        return int(self.times.size)

    def counts(self) -> np.ndarray:
        """Number of spikes of every neuron."""
        return np.bincount(self.indices, minlength=self.n)


@dataclass
class Result:
    """What one ``run`` produced. Times are in ms; a spike emitted by the step ending at ``t`` has time ``t``,
    and a trace sample is the state at the end of its step."""

    dt: float
    t_start: float
    n_steps: int
    spikes: dict[str, SpikeTrains] = field(default_factory=dict)
    traces: dict[str, np.ndarray] = field(default_factory=dict)
    trace_times: dict[str, np.ndarray] = field(default_factory=dict)
    trace_indices: dict[str, np.ndarray] = field(default_factory=dict)
    spike_counts: dict[str, np.ndarray] = field(default_factory=dict)  # population -> spikes per step
    sizes: dict[str, int] = field(default_factory=dict)
    compile_s: float = 0.0
    run_s: float = 0.0
    interrupted: bool = False  # the run was stopped (Ctrl-C) before ``duration``: it covers ``n_steps`` only
    # histogram monitors of per-synapse variables ("P.w"): counts (samples, bins), bin edges, sample times (ms)
    histograms: dict[str, np.ndarray] = field(default_factory=dict)
    histogram_edges: dict[str, np.ndarray] = field(default_factory=dict)
    histogram_times: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.n_steps * self.dt

    @property
    def t(self) -> np.ndarray:
        """End time of every step of the run (ms)."""
        return self.t_start + self.dt * np.arange(1, self.n_steps + 1)

    def __getitem__(self, key: str):
        """``result["E.V"]`` is a trace (samples x indices); ``result["E.spike"]`` the spike trains of ``E``."""
        if key in self.traces:
            return self.traces[key]
        if isinstance(key, str) and key.endswith(".spike") and key[: -len(".spike")] in self.spikes:
            return self.spikes[key[: -len(".spike")]]
        monitored = sorted(self.traces) + [k + ".spike" for k in self.spikes]
        raise UnknownKeyError(f"result: {key!r} was not monitored; monitored: {monitored}")

    def _counts(self, pop: str) -> np.ndarray:
        if pop not in self.spike_counts:
            raise UnknownKeyError(f"result: no population named {pop!r}; populations: {sorted(self.spike_counts)}")
        return self.spike_counts[pop]

    def mean_rate(self, pop: str, t_from: float | None = None) -> float:
        """Mean firing rate (Hz) of population ``pop`` over the run (or from ``t_from`` ms on)."""
        counts = self._counts(pop)
        first = 0
        if t_from is not None:
            t_from = validate.real(t_from, "t_from", owner="Result.mean_rate", unit="ms")
            first = min(max(int(round((t_from - self.t_start) / self.dt)), 0), self.n_steps)
        steps = self.n_steps - first
        return float(counts[first:].sum()) / (self.sizes[pop] * steps * self.dt * 1e-3) if steps > 0 else 0.0

    def rate(self, pop: str, window_ms: float = 0.0) -> np.ndarray:
        """Population rate (Hz) per step, optionally smoothed by a centred moving window of ``window_ms``."""
        r = self._counts(pop) / (self.sizes[pop] * self.dt * 1e-3)
        window_ms = validate.real(window_ms, "window_ms", owner="Result.rate", unit="ms", low=0.0,
                                  high=self.duration)  # a wider window would lengthen the "same" convolution
        width = int(round(window_ms / self.dt))
        if width > 1:
            r = np.convolve(r, np.ones(width) / width, mode="same")
        return r

    def to_hdf5(self, path, mode: str = "w") -> None:
        """Write everything to HDF5: ``/spikes/<pop>/{times_ms,indices}``, ``/traces/<name>/{values,times_ms,
        indices}``, ``/spike_counts/<pop>``; run facts as attributes of the root.

        The file is written under a temporary name in its folder and moved over ``path`` when complete, so a
        crash at any moment leaves the previous file or the new one, never a damaged file. ``mode`` ``"w"``
        replaces an existing file, ``"x"`` (or ``"w-"``) refuses to."""
        import h5py

        if mode not in ("w", "x", "w-"):
            raise ModelDefinitionError(f"Result.to_hdf5: mode must be 'w' (replace) or 'x' (fail if the file "
                                       f"exists), got {mode!r}; results are written as a whole file")
        if mode != "w" and os.path.exists(path):
            raise ModelDefinitionError(f"Result.to_hdf5: {os.fspath(path)!r} exists (mode {mode!r})")
        try:
            with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
                self._write(f)
        except OSError as err:
            raise ModelDefinitionError(f"Result.to_hdf5: cannot write {os.fspath(path)!r} "
                                       f"({err.strerror or err})") from None

    def _write(self, f) -> None:
        f.attrs.update(format=FILE_FORMAT, dt_ms=self.dt, t_start_ms=self.t_start, n_steps=self.n_steps,
                       compile_s=self.compile_s, run_s=self.run_s, interrupted=self.interrupted)
        for pop, st in self.spikes.items():
            grp = f.create_group(f"spikes/{pop}")
            grp.create_dataset("times_ms", data=st.times, compression="gzip")
            grp.create_dataset("indices", data=st.indices, compression="gzip")
            grp.attrs["n"] = st.n
        for name, values in self.traces.items():
            grp = f.create_group(f"traces/{name}")
            grp.create_dataset("values", data=values, compression="gzip")
            grp.create_dataset("times_ms", data=self.trace_times[name])
            grp.create_dataset("indices", data=self.trace_indices[name])
        for pop, counts in self.spike_counts.items():
            ds = f.create_dataset(f"spike_counts/{pop}", data=counts, compression="gzip")
            ds.attrs["n"] = self.sizes[pop]

    @classmethod
    def from_hdf5(cls, path, lazy: bool = False) -> "Result":
        """Read a result written by :meth:`to_hdf5` or streamed by a run (``Runner(record_to=...)``); a missing,
        damaged or foreign file is a :class:`~spikeloom.ModelDefinitionError` naming the file.

        ``lazy=True`` reads only the run facts now: spike trains, traces and spike counts are read from the file
        when they are looked up (``result.spikes["E"]``), so a long record need not fit in memory at once. A
        streamed file whose run was killed holds every completed chunk: it reads as ``interrupted`` with
        ``n_steps`` the steps of those chunks."""
        name = repr(os.fspath(path))
        if not os.path.isfile(path):
            raise ModelDefinitionError(f"Result.from_hdf5: {name} "
                                       f"{'is not a file' if os.path.exists(path) else 'does not exist'}")
        try:
            with open_h5(path) as f:
                if f.attrs.get("format", FILE_FORMAT) != FILE_FORMAT or "dt_ms" not in f.attrs:
                    raise ModelDefinitionError(f"Result.from_hdf5: {name} is not a spikeloom result (its root has no "
                                               "'dt_ms' attribute or another 'format'); write one with "
                                               "Result.to_hdf5")
                res = cls._read(f)
                if not lazy:
                    for m in (res.spikes, res.traces, res.trace_times, res.trace_indices, res.spike_counts):
                        m.load()
                return res
        except (KeyError, OSError, ValueError, TypeError) as err:
            if isinstance(err, ModelDefinitionError):
                raise
            raise ModelDefinitionError(f"Result.from_hdf5: {name} is damaged or incomplete ({err})") from None

    @classmethod
    def _read(cls, f, first: int = 0, last: int | None = None) -> "Result":
        """The result of per-step rows ``first .. last - 1`` of an open file (default: all), its records read on
        access. A file that has no ``n_steps`` is being streamed or its run was killed: its complete rows are
        those every population's spike counts reached (they are written last in each chunk)."""
        counts = f.get("spike_counts", {})
        complete = "n_steps" in f.attrs
        rows = int(f.attrs["n_steps"]) if complete else min((ds.shape[0] for ds in counts.values()), default=0)
        dt, t_file = float(f.attrs["dt_ms"]), float(f.attrs["t_start_ms"])
        whole = complete and first == 0 and last is None  # else a part, or a file that may grow
        last = rows if last is None else min(last, rows)
        view = _FileView(f.filename, dt, t_file, first, last, None if whole else rows)
        res = cls(dt=dt, t_start=t_file + first * dt, n_steps=last - first,
                  compile_s=float(f.attrs.get("compile_s", 0.0)), run_s=float(f.attrs.get("run_s", 0.0)),
                  interrupted=bool(f.attrs.get("interrupted", False)) or not complete)
        res.spikes = _Lazy(f.get("spikes", {}), view.spikes)
        res.traces = _Lazy(f.get("traces", {}), view.trace_values)
        res.trace_times = _Lazy(f.get("traces", {}), view.trace_times)
        res.trace_indices = _Lazy(f.get("traces", {}), view.trace_indices)
        res.spike_counts = _Lazy(counts, view.counts)
        res.sizes = {pop: int(ds.attrs["n"]) for pop, ds in counts.items()}
        return res

    def to_nwb(self, path, metadata: dict | None = None, network=None, session_start_time=None) -> None:
        """Write an NWB file (extra ``nwb``): a units table with one row per neuron of every spike-monitored
        population, traces as TimeSeries in SI units (from ``network``'s declarations), ``metadata`` as JSON in
        ``notes``; see :func:`spikeloom.io.nwb.to_nwb`."""
        from ..io.nwb import to_nwb

        to_nwb(self, path, metadata, network, session_start_time)

    def to_neo(self, network=None):
        """This result as a ``neo.Block`` (extra ``neo``), ready for Elephant; see :func:`spikeloom.io.neo.to_neo`."""
        from ..io.neo import to_neo

        return to_neo(self, network)


@contextlib.contextmanager
def open_h5(path, owner: str = "Result.from_hdf5"):
    """``path`` opened for reading. A file streamed by a run that is still going on or was killed is marked
    open for writing; it is read in single-writer-multiple-reader mode, which its writer keeps consistent."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError:
        try:
            f = h5py.File(path, "r", swmr=True)
        except OSError:
            raise ModelDefinitionError(f"{owner}: {os.fspath(path)!r} is not an HDF5 file (or is damaged)") from None
    with f:
        yield f


class _Lazy(Mapping):
    """A read-only mapping whose values are read from the file when looked up (``load()`` reads them all)."""

    def __init__(self, names, read):
        self._names, self._read, self._loaded = list(names), read, None

    def __getitem__(self, key):
        if self._loaded is not None:
            return self._loaded[key]
        if key not in self._names:
            raise KeyError(key)
        return self._read(key)

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def load(self) -> None:
        self._loaded = {k: self._read(k) for k in self._names}

    def __repr__(self):
        return f"<read on access: {self._names}>"


class _FileView:
    """Per-step rows ``first .. last - 1`` of a result file, read from the file on each access (``rows`` None:
    the whole of a complete file, every entry). Row ``r`` is the step ending at ``t_file + (r + 1) dt``; spikes
    and samples of a part (or of an incomplete file, whose last chunk may lack its counts) are kept by time,
    half a step of margin either side, so rounding of the stored times cannot move one across a boundary."""

    def __init__(self, path, dt: float, t_file: float, first: int, last: int, rows: int | None):
        self.path, self.first, self.last, self.all = path, first, last, rows is None
        self.t_lo, self.t_hi = t_file + (first + 0.5) * dt, t_file + (last + 0.5) * dt

    def _span(self, times) -> slice:
        """Entries of a time-sorted dataset inside the rows (binary search: only the entries it reads)."""
        if self.all:
            return slice(None)
        hi = _first_at_or_after(times, self.t_hi)
        return slice(_first_at_or_after(times, self.t_lo, hi) if self.first else 0, hi)

    def counts(self, pop):
        with open_h5(self.path) as f:
            return f["spike_counts"][pop][self.first:self.last]

    def spikes(self, pop):
        with open_h5(self.path) as f:
            grp = f["spikes"][pop]
            span = self._span(grp["times_ms"])
            return SpikeTrains(grp["times_ms"][span], grp["indices"][span].astype(np.int64), int(grp.attrs["n"]))

    def trace_values(self, name):
        with open_h5(self.path) as f:
            grp = f["traces"][name]
            return grp["values"][self._span(grp["times_ms"])]

    def trace_times(self, name):
        with open_h5(self.path) as f:
            times = f["traces"][name]["times_ms"]
            return times[self._span(times)]

    def trace_indices(self, name):
        with open_h5(self.path) as f:
            return f["traces"][name]["indices"][()]


def _first_at_or_after(ds, value: float, hi: int | None = None) -> int:
    """Index of the first entry of a sorted 1-D dataset that is >= ``value`` (``hi`` bounds the search)."""
    lo, hi = 0, ds.shape[0] if hi is None else hi
    while lo < hi:
        mid = (lo + hi) // 2
        if ds[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo
