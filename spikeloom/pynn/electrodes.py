"""Current sources of the PyNN backend: ``DCSource``, ``StepCurrentSource``, ``ACSource``, ``NoisyCurrentSource``.

A source is a function of time, piecewise constant on the step grid: the step that starts at ``t`` carries
the amplitude at ``t`` (so a pulse from ``start`` to ``stop`` acts on the steps in ``[start, stop)``, as NEST's
generators do after PyNN's min_delay correction). Before each run the simulator turns the sources of a
population into :class:`~spikeloom.Sections` (``_breaks``: the steps where a source changes; ``_amplitudes``: its
value, nA, at given times). ``ACSource`` changes every step (sampled at the step's start);
``NoisyCurrentSource`` every ``dt`` of its own, drawn from its RNG (a NumpyRNG seeded by the simulator's seed
unless given). ``record()``/``get_data()`` give the current as the cell sees it, one step after the source (PyNN's
convention).
"""

from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.random import NumpyRNG
from pyNN.standardmodels import build_translations, electrodes

from . import simulator


class _Source:
    """Targets, parameters and the piecewise-constant time course of one source."""

    def __init__(self, **parameters):
        self._cells = []
        self.parameter_space = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        if parameters:
            self.parameter_space.update(**parameters)
        simulator.state.current_sources.append(self)
        simulator.state.changed()

    def set_native_parameters(self, parameters):
        self.parameter_space.update(**parameters)
        self._check()
        simulator.state.changed()

    def get_native_parameters(self):
        return ParameterSpace({k: self._p(k) for k in self.parameter_space.keys()})

    def _p(self, name):
        value = self.parameter_space[name]
        value = value.evaluate(simplify=True) if hasattr(value, "evaluate") else value
        return value.value if isinstance(value, Sequence) else value

    def _check(self):
        pass

    def inject_into(self, cells):
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        known = set(map(int, self._cells))
        self._cells += [cell for cell in cells if int(cell) not in known]  # injecting again adds cells
        simulator.state.changed()

    def _targets(self, pop):
        """Indices into ``pop`` of the cells this source feeds (one list, or nothing)."""
        idx = [pop.id_to_index(c) for c in self._cells if c.parent is pop]
        return [np.asarray(idx, dtype=int)] if idx else []

    def _on(self, t):
        start, stop = float(self._p("start")), float(self._p("stop"))
        dt = simulator.state.dt
        return (t >= start - dt / 2) & (t < stop - dt / 2)

    def _window_breaks(self, grid):
        dt = simulator.state.dt
        return [np.rint((float(self._p(k)) - grid[0]) / dt) for k in ("start", "stop")]

    def record(self):
        """Nothing to switch on: ``get_data`` computes the current from the source itself."""

    def _get_data(self):
        """Times (ms) and current (nA) from 0 to now, one sample per step (the value on the step from t)."""
        state = simulator.state
        t = np.arange(int(round(state.t / state.dt)) + 1) * state.dt
        return t, self._amplitudes(t)


class DCSource(_Source, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"), ("stop", "stop"))

    def _breaks(self, grid):
        return self._window_breaks(grid)

    def _amplitudes(self, t):
        return np.where(self._on(t), float(self._p("amplitude")), 0.0)


class ACSource(DCSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    default_parameters = electrodes.ACSource.default_parameters
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"), ("stop", "stop"),
                                      ("frequency", "frequency"), ("offset", "offset"), ("phase", "phase"))

    def _breaks(self, grid):
        return np.arange(grid.size - 1)

    def _amplitudes(self, t):
        # the phase counts from ``start`` (as PyNN's NEST backend sets it)
        f, phase, start = float(self._p("frequency")), float(self._p("phase")), float(self._p("start"))
        value = float(self._p("offset")) + float(self._p("amplitude")) * np.sin(
            2 * np.pi * f * 1e-3 * (t - start) + np.deg2rad(phase))
        return np.where(self._on(t), value, 0.0)


class StepCurrentSource(_Source, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _check(self):
        """Times >= 0, increasing, then put on the step grid; of several times in one step the last counts."""
        times, amps = np.asarray(self._p("times"), float), np.asarray(self._p("amplitudes"), float)
        if times.size != amps.size:
            raise errors.InvalidParameterValueError("StepCurrentSource: times and amplitudes must have the same "
                                                    "length")
        if times.size and times.min() < 0:
            raise ValueError("StepCurrentSource: times must be >= 0")
        if np.any(np.diff(times) <= 0):
            raise ValueError("StepCurrentSource: times must be strictly increasing")
        dt = simulator.state.dt
        steps = np.rint(times / dt).astype(np.int64)
        last = np.r_[steps[1:] != steps[:-1], True] if steps.size else np.zeros(0, bool)
        self.parameter_space.update(times=Sequence(steps[last] * dt), amplitudes=Sequence(amps[last]))

    def __init__(self, **parameters):
        super().__init__(**parameters)
        self._check()

    def _breaks(self, grid):
        return np.rint((np.asarray(self._p("times"), float) - grid[0]) / simulator.state.dt)

    def _amplitudes(self, t):
        times, amps = np.asarray(self._p("times"), float), np.asarray(self._p("amplitudes"), float)
        k = np.searchsorted(times, t + simulator.state.dt / 2, side="right") - 1
        return np.where(k >= 0, amps[np.maximum(k, 0)] if amps.size else 0.0, 0.0)


class NoisyCurrentSource(_Source, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(("mean", "mean"), ("stdev", "stdev"), ("start", "start"), ("stop", "stop"),
                                      ("dt", "dt"))

    def __init__(self, rng=None, **parameters):
        super().__init__(**parameters)
        self.rng = rng if rng is not None else NumpyRNG(seed=simulator.state.seed)
        self._values = np.zeros(0)

    def _check(self):
        ratio = float(self._p("dt")) / simulator.state.dt
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ValueError("NoisyCurrentSource: dt must be a multiple of the simulation time step")

    def _period(self) -> int:
        self._check()
        return int(round(float(self._p("dt")) / simulator.state.dt))

    def _breaks(self, grid):
        steps = np.rint(grid[:-1] / simulator.state.dt).astype(int)
        return np.nonzero(steps % self._period() == 0)[0]

    def _amplitudes(self, t):
        # one draw per period, kept so that later reads (get_data, a rebuild) see the same values
        k = np.floor(t / float(self._p("dt")) + 1e-9).astype(int)
        need = int(k.max()) + 1 if k.size else 0
        if need > self._values.size:
            extra = self.rng.next(need - self._values.size, "normal", {"mu": 0.0, "sigma": 1.0})
            self._values = np.concatenate([self._values, np.atleast_1d(extra)])
        value = float(self._p("mean")) + float(self._p("stdev")) * self._values[k]
        return np.where(self._on(t), value, 0.0)

