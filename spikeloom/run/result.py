"""The result of a run: spikes as compact (time, index) events, monitored traces, population spike counts."""

from __future__ import annotations

import os
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
    def from_hdf5(cls, path) -> "Result":
        """Read a result written by :meth:`to_hdf5`; a missing, damaged or foreign file is a
        :class:`~spikeloom.ModelDefinitionError` naming the file."""
        import h5py

        name = repr(os.fspath(path))
        if not os.path.isfile(path):
            raise ModelDefinitionError(f"Result.from_hdf5: {name} "
                                       f"{'is not a file' if os.path.exists(path) else 'does not exist'}")
        try:
            f = h5py.File(path, "r")
        except OSError:
            raise ModelDefinitionError(f"Result.from_hdf5: {name} is not an HDF5 file (or is damaged)") from None
        with f:
            if f.attrs.get("format", FILE_FORMAT) != FILE_FORMAT or "dt_ms" not in f.attrs:
                raise ModelDefinitionError(f"Result.from_hdf5: {name} is not a spikeloom result (its root has no "
                                           "'dt_ms' attribute or another 'format'); write one with Result.to_hdf5")
            try:
                return cls._read(f)
            except (KeyError, OSError, ValueError, TypeError) as err:
                raise ModelDefinitionError(f"Result.from_hdf5: {name} is damaged or incomplete ({err})") from None

    @classmethod
    def _read(cls, f) -> "Result":
        res = cls(dt=float(f.attrs["dt_ms"]), t_start=float(f.attrs["t_start_ms"]), n_steps=int(f.attrs["n_steps"]),
                  compile_s=float(f.attrs["compile_s"]), run_s=float(f.attrs["run_s"]),
                  interrupted=bool(f.attrs.get("interrupted", False)))
        for pop, grp in f.get("spikes", {}).items():
            res.spikes[pop] = SpikeTrains(grp["times_ms"][()], grp["indices"][()], int(grp.attrs["n"]))
        for name, grp in f.get("traces", {}).items():
            res.traces[name] = grp["values"][()]
            res.trace_times[name] = grp["times_ms"][()]
            res.trace_indices[name] = grp["indices"][()]
        for pop, ds in f.get("spike_counts", {}).items():
            res.spike_counts[pop] = ds[()]
            res.sizes[pop] = int(ds.attrs["n"])
        return res
