"""The result of a run: spikes as compact (time, index) events, monitored traces, population spike counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
        if key.endswith(".spike") and key[: -len(".spike")] in self.spikes:
            return self.spikes[key[: -len(".spike")]]
        raise KeyError(f"{key!r} was not monitored; monitored: {sorted(self.traces) + [k + '.spike' for k in self.spikes]}")

    def mean_rate(self, pop: str, t_from: float | None = None) -> float:
        """Mean firing rate (Hz) of population ``pop`` over the run (or from ``t_from`` ms on)."""
        counts = self.spike_counts[pop]
        first = 0 if t_from is None else int(round((t_from - self.t_start) / self.dt))
        steps = self.n_steps - first
        return float(counts[first:].sum()) / (self.sizes[pop] * steps * self.dt * 1e-3) if steps > 0 else 0.0

    def rate(self, pop: str, window_ms: float = 0.0) -> np.ndarray:
        """Population rate (Hz) per step, optionally smoothed by a centred moving window of ``window_ms``."""
        r = self.spike_counts[pop] / (self.sizes[pop] * self.dt * 1e-3)
        width = int(round(window_ms / self.dt))
        if width > 1:
            r = np.convolve(r, np.ones(width) / width, mode="same")
        return r

    def to_hdf5(self, path, mode: str = "w") -> None:
        """Write everything to HDF5: ``/spikes/<pop>/{times_ms,indices}``, ``/traces/<name>/{values,times_ms,
        indices}``, ``/spike_counts/<pop>``; run facts as attributes of the root."""
        import h5py

        with h5py.File(path, mode) as f:
            f.attrs.update(dt_ms=self.dt, t_start_ms=self.t_start, n_steps=self.n_steps, compile_s=self.compile_s,
                           run_s=self.run_s)
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
        """Read a result written by :meth:`to_hdf5`."""
        import h5py

        with h5py.File(path, "r") as f:
            res = cls(dt=float(f.attrs["dt_ms"]), t_start=float(f.attrs["t_start_ms"]), n_steps=int(f.attrs["n_steps"]),
                      compile_s=float(f.attrs["compile_s"]), run_s=float(f.attrs["run_s"]))
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
