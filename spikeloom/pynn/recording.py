"""Recording for the PyNN backend: spikeloom monitors in, PyNN's Neo segments out (:mod:`pyNN.recording`).

Each recorded variable becomes a monitor of the Runner (spikes, a neuron state variable for the recorded
neurons, or the conductance state of the projections into a receptor, summed). After each run the records
are appended to the current segment. PyNN's signals start with the value at the segment's start, then one
sample every sampling interval (spikeloom samples the state at the end of each step), so the first sample is
taken from the state before the run.
"""

from __future__ import annotations

import numpy as np
from pyNN import recording

from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._clear_simulator()

    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.location is not None:
            raise NotImplementedError("spikeloom.pynn has point neurons only (no recording locations)")
        if sampling_interval is not None:
            every = sampling_interval / self._simulator.state.dt
            if abs(every - round(every)) > 1e-9 or round(every) < 1:
                raise ValueError(f"sampling_interval ({sampling_interval} ms) must be a multiple of the time step")
            self.sampling_interval = sampling_interval
        self._simulator.state.changed()

    def _every(self) -> int:
        return int(round(self.sampling_interval / self._simulator.state.dt))

    def _indices(self, variable) -> np.ndarray:
        ids = sorted(self.recorded[variable])
        return np.asarray(self.population.id_to_index(np.array(ids, dtype=int)), dtype=int)

    def _sources(self, variable):
        """(monitor key, scale spikeloom -> PyNN, offset) for one variable; several keys are summed."""
        pop = self.population
        target = pop.celltype.sl_state.get(variable.name)
        if target is None:
            raise NotImplementedError(f"spikeloom.pynn cannot record {variable.name!r} of {pop.celltype}")
        var, how = target
        if isinstance(how, float):
            return [(f"{pop._sl_name}.{var}", 1.0 / how)]
        # a conductance: the synapse state of every projection into this receptor (a shared state once)
        keys, seen = [], set()
        for prj in self._simulator.state.projections:
            if prj.receptor_type != how:
                continue
            for part in prj._sl_parts:
                if part.post is not pop:
                    continue
                model = part.projection
                segment = (part.pre._sl_model.structure_key(), type(model.synapse), repr(model.synapse.params),
                           repr(model.output.params))
                if model.plasticity is not None or segment not in seen:
                    seen.add(segment)
                    keys.append((f"{part.name}.{var}", 1.0 / 1000.0))
        return keys

    def _monitors(self) -> list:
        """Runner monitors for what this recorder records."""
        pop, out = self.population, []
        for variable in self.recorded:
            if not self.recorded[variable]:
                continue
            if variable.name == "spikes":
                out.append(f"{pop._sl_name}.spike")
                continue
            for key, _ in self._sources(variable):
                indices = None if key.split(".")[0] != pop._sl_name else self._indices(variable)
                out.append((key, indices, self._every()))
        return out

    def _now(self, variable) -> np.ndarray:
        """The PyNN value of ``variable`` of the recorded neurons now (the first sample of a segment)."""
        idx = self._indices(variable)
        runner = self._simulator.state.runner
        total = np.zeros(idx.size)
        for key, scale in self._sources(variable):
            values = runner.get(key)
            if key.split(".")[0] == self.population._sl_name:
                values = values[idx]
                values = values - self.population._sl_offset(variable.name)[idx]
            else:
                values = values[idx]
            total += values * scale
        return total

    def _start_segment(self):
        """Called before the first run of a segment: the first sample of every signal."""
        for variable in self.recorded:
            if variable.name != "spikes" and self.recorded[variable]:
                self._signals.setdefault(variable.name, []).append(self._now(variable)[None, :])

    def _collect(self, result):
        pop = self.population
        for variable in self.recorded:
            if not self.recorded[variable]:
                continue
            if variable.name == "spikes":
                trains = result[f"{pop._sl_name}.spike"]
                self._spikes.append((np.asarray(trains.indices, int), np.asarray(trains.times, float)))
                continue
            idx = self._indices(variable)
            total = None
            for key, scale in self._sources(variable):
                values = np.asarray(result[key], dtype=float)
                if key.split(".")[0] == pop._sl_name:
                    values = values - pop._sl_offset(variable.name)[idx]
                else:
                    values = values[:, idx]
                total = values * scale if total is None else total + values * scale
            if total is None:  # a receptor nothing projects into: zero conductance
                total = np.zeros((result.n_steps // self._every(), idx.size))
            self._signals.setdefault(variable.name, []).append(total)

    # ---- PyNN's Recorder interface ----------------------------------------------------------------------
    def _get_spiketimes(self, ids, clear=False):
        if self._spikes:
            idx = np.concatenate([s[0] for s in self._spikes])
            times = np.concatenate([s[1] for s in self._spikes])
        else:
            idx, times = np.zeros(0, int), np.zeros(0)
        id_array = np.asarray(self.population.all_cells, dtype=int)[idx] if idx.size else np.zeros(0, int)
        keep = np.isin(id_array, np.asarray(ids, dtype=int))
        order = np.argsort(times[keep], kind="stable")
        return id_array[keep][order], times[keep][order]

    def _get_all_signals(self, variable, ids, clear=False):
        parts = self._signals.get(variable.name, [])
        if not parts:
            return np.zeros((0, len(ids))), None
        values = np.concatenate(parts, axis=0)
        recorded = sorted(self.recorded[variable])
        cols = [recorded.index(i) for i in ids]
        return values[:, cols], None

    def _local_count(self, variable, filter_ids=None):
        ids = self.filter_recorded(variable, filter_ids)
        id_array, _ = self._get_spiketimes(sorted(ids))
        counts = {int(i): 0 for i in ids}
        for i, n in zip(*np.unique(id_array, return_counts=True)):
            counts[int(i)] = int(n)
        return counts

    def _clear_simulator(self):
        self._spikes, self._signals = [], {}

    def _reset(self):
        self._clear_simulator()
