"""Population, PopulationView and Assembly of the PyNN backend (on :mod:`pyNN.common`).

A population keeps its native (spikeloom-named, spikeloom-unit) parameters as one array per parameter; the
cell type (:mod:`spikeloom.pynn.cells`) turns them into a spikeloom population when the network is built.
Initial values are PyNN's own (``Population.initial_values``); set after a run, they are written into the
running state at once (as on NEST).
"""

from __future__ import annotations

import numpy as np
from pyNN import common
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .cells import SpikeSourceArray, _DrawnSource
from .recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator


class _Parameters:
    """Reading and writing parameters through the cell type's translations (shared by populations and views)."""

    def _get_parameters(self, *names):
        if not isinstance(self.celltype, StandardCellType):
            raise NotImplementedError("spikeloom.pynn supports PyNN's standard cell types only")
        if any(name in self.celltype.computed_parameters() for name in names):
            native_names = self.celltype.get_native_names()  # a computed one needs all of them
        else:
            native_names = self.celltype.get_native_names(*names)
        return self.celltype.reverse_translate(self._get_native_parameters(*native_names))

    def _get_native_parameters(self, *names):
        values = {name: simplify(self._native_view(name)) for name in names}
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        """``parameter_space`` holds native parameters."""
        parameter_space.evaluate(simplify=False)
        if isinstance(self.celltype, SpikeSourceArray) and "spike_times" in parameter_space.keys():
            self.celltype.sl_check({"spike_times": parameter_space["spike_times"]})
        for name, value in parameter_space.items():
            self._native_store(name, value)
        simulator.state.changed()

    def _set_initial_value_array(self, variable, initial_values):
        pop = self.grandparent if hasattr(self, "grandparent") else self
        runner = simulator.state.runner
        if runner is None or not simulator.state.running or pop._sl_name not in runner.plan.pop_index:
            return  # read from initial_values when the network is built
        sl_var = pop.celltype.sl_state.get(variable)
        if sl_var is None or not isinstance(sl_var[1], float):
            raise NotImplementedError(f"spikeloom.pynn: {variable} cannot be set during a simulation")
        key = f"{pop._sl_name}.{sl_var[0]}"
        current = runner.get(key)
        idx = self._sl_indices()
        values = initial_values.evaluate(simplify=False) if hasattr(initial_values, "evaluate") else initial_values
        current[idx] = np.broadcast_to(values, (idx.size,)) * sl_var[1] + pop._sl_offset(variable)[idx]
        runner.set(key, current)


class PopulationView(_Parameters, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _native_view(self, name):
        value = self.parent._native_view(name)
        return value[self.mask] if isinstance(value, np.ndarray) and value.ndim else value

    def _native_store(self, name, value):
        idx = self._sl_indices()
        self.grandparent._native_store_at(name, idx, value)

    def _sl_indices(self):
        return np.asarray(self.grandparent.id_to_index(self.all_cells), dtype=int)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_Parameters, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        if not isinstance(self.celltype, StandardCellType):
            raise NotImplementedError("spikeloom.pynn supports PyNN's standard cell types only (got "
                                      f"{type(self.celltype).__name__})")
        state = simulator.state
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        space = self.celltype.native_parameters
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self._native = {k: np.array(v, dtype=object if k == "spike_times" else float) for k, v in space.items()}
        if isinstance(self.celltype, SpikeSourceArray):
            self.celltype.sl_check(self._native)
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        state.populations.append(self)
        self._sl_name = None
        self._sl_current = None
        state.changed()

    def _native_view(self, name):
        return self._native[name]

    def _native_store(self, name, value):
        self._native_store_at(name, slice(None), value)

    def _native_store_at(self, name, idx, value):
        array = self._native[name]
        array[idx] = value

    def _sl_indices(self):
        return np.arange(self.size)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _sl_offset(self, variable):
        """Added to a PyNN state value (after scaling) to give spikeloom's (Izhikevich's u only)."""
        shift = getattr(self.celltype, "sl_shift", None)
        if variable == "u" and shift is not None:
            return np.broadcast_to(shift(self._native), (self.size,))
        return np.zeros(self.size)

    def _sl_build(self, t_now: float, t_stop: float):
        """The spikeloom population for the current parameters and initial values (sources: their spikes
        from ``t_now`` on)."""
        cell, state = self.celltype, simulator.state
        if isinstance(cell, SpikeSourceArray):
            return cell.sl_neuron(self.size, self._native, {}, dt=state.dt, t_now=t_now)
        if isinstance(cell, _DrawnSource):
            rng = np.random.default_rng([state.seed, int(self.first_id), int(round(t_now / state.dt))])
            return cell.sl_neuron(self.size, self._native, {}, rng=rng, t_now=t_now, t_stop=t_stop, dt=state.dt)
        init = {}
        for variable, values in self.initial_values.items():
            target = cell.sl_state.get(variable)
            if target is None or not isinstance(target[1], float):
                continue
            values = np.broadcast_to(values.evaluate(simplify=False), (self.size,))
            init[target[0]] = values * target[1] + self._sl_offset(variable)
        self._sl_current = cell.sl_current(self._native)
        return cell.sl_neuron(self.size, self._native, init)

