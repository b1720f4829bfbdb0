"""Simulator state of the PyNN backend: the model collected so far, and the spikeloom Runner built from it.

spikeloom compiles a whole network, so PyNN's incremental construction is collected first (populations,
projections with their connections drawn by PyNN's connectors, current sources, what to record) and turned
into one :class:`~spikeloom.Network` and :class:`~spikeloom.Runner` at the first ``run``. Further runs continue
that Runner. A change of the model after a run (new objects, parameters, recordings, weights) marks the
state *dirty*: the next run builds a new Runner and copies into it the state of every neuron, synapse and
plastic weight of the old one, at the same step. ``reset`` drops the Runner; the next run starts from the
initial values.
"""

from __future__ import annotations

import numpy as np
from pyNN import common

import spikeloom as sl

from .cells import _DrawnSource

name = "spikeloom"


class ID(int, common.IDMixin):
    """A cell's global id (an int), as PyNN's backends define it."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Everything ``setup`` starts afresh: time, the collected model and the Runner built from it."""

    def __init__(self):
        super().__init__()
        self.mpi_rank, self.num_processes = 0, 1
        self.dt = 0.1
        self.seed = 0
        self.precision = "float64"
        self.min_delay_auto = True
        self.clear()

    def clear(self):
        self.populations, self.projections, self.current_sources = [], [], []
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.runner = None
        self.built_until = 0.0  # end of the pre-drawn spike windows of the current Runner (ms)
        self.reset()

    def reset(self):
        """Back to t = 0 with the initial values (plastic weights keep their values, as on NEST); the next
        run builds a new Runner."""
        for prj in getattr(self, "projections", ()):
            prj._pull()
        self.running = False
        self.t = 0.0
        self.t_start = 0
        self.segment_counter += 1
        for rec in self.recorders:
            rec._clear_simulator()
        self.runner = None
        self.dirty = True

    def changed(self):
        """The model changed: the next run builds a new Runner (carrying the current state over)."""
        self.dirty = True

    # ---- running ----------------------------------------------------------------------------------------
    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        steps = int(round((tstop - self.t) / self.dt))
        if steps <= 0:
            return
        if self.dirty or self.runner is None or tstop > self.built_until + 1e-9:
            self._build(tstop)
        if not self.running:
            for rec in self.recorders:
                rec._start_segment()
        self.running = True
        result = self.runner.run(steps * self.dt, inputs=self._inputs(steps))
        self.t = self.runner.step * self.dt
        for prj in self.projections:
            prj._stale = any(part.projection.plasticity is not None for part in prj._sl_parts)
        for rec in self.recorders:
            rec._collect(result)

    def _inputs(self, steps: int) -> dict:
        """The current of every population with current sources or an offset, for the next ``steps`` steps:
        piecewise constant on the step grid (:class:`~spikeloom.Sections`, pA)."""
        s0 = self.runner.step
        grid = (s0 + np.arange(steps + 1)) * self.dt
        inputs = {}
        for pop in self.populations:
            offset = pop._sl_current
            sources = [(src, idx) for src in self.current_sources for idx in src._targets(pop)]
            if offset is None and not sources:
                continue
            breaks = {0, steps}
            for src, _ in sources:
                breaks.update(int(k) for k in src._breaks(grid) if 0 <= k < steps)
            breaks = np.array(sorted(breaks))
            values = np.zeros((breaks.size - 1, pop.size))
            if offset is not None:
                values += offset
            for src, idx in sources:
                values[:, idx] += 1000.0 * src._amplitudes(grid[breaks[:-1]])[:, None]  # nA -> pA
            parts = [(row, (b1 - b0) * self.dt) for row, b0, b1 in zip(values, breaks[:-1], breaks[1:])]
            inputs[pop._sl_name] = sl.Sections(parts + [(np.zeros(pop.size), 0.0)])
        return inputs

    # ---- building ---------------------------------------------------------------------------------------
    def _build(self, tstop):
        """Build the Network and Runner for the collected model; carry the old Runner's state over."""
        old = self.runner
        for prj in self.projections:
            prj._pull()  # plastic weights as the old Runner left them
        net = sl.Network()
        t_now = old.step * self.dt if old is not None else 0.0
        # pre-drawn Poisson windows reach at least 1 s ahead, so a run in many short pieces rarely rebuilds
        t_stop = max(tstop, t_now + 1000.0)
        self.built_until = np.inf
        for k, pop in enumerate(self.populations):
            pop._sl_name = f"p{k}"
            model = pop._sl_model = pop._sl_build(t_now, t_stop)
            if isinstance(model, sl.SpikeGeneratorGroup) and isinstance(pop.celltype, _DrawnSource):
                self.built_until = t_stop  # drawn trains end there
            setattr(net, pop._sl_name, model)
        for j, prj in enumerate(self.projections):
            prj._sl_parts = prj._sl_build(f"c{j}")
            for part in prj._sl_parts:
                setattr(net, part.name, part.projection)
        if self.min_delay_auto:
            delays = [prj._columns()["delay"] for prj in self.projections if len(prj)]
            self.min_delay = float(min(d.min() for d in delays)) if delays else self.dt
        monitors = [m for rec in self.recorders for m in rec._monitors()]
        runner = sl.Runner(net, dt=self.dt, monitors=monitors, seed=self.seed, precision=self.precision,
                           progress=False)
        if old is not None:
            _carry_state(old, runner)
            runner.step = old.step
        self.runner, self.dirty = runner, False


def _carry_state(old: sl.Runner, new: sl.Runner) -> None:
    """Copy every neuron and synapse state present in both Runners (plastic weights travel with the
    projections' connection lists)."""
    for pname, (gi, lo, hi, _) in old.plan.pop_index.items():
        if pname in new.plan.pop_index:
            for var in old.plan.groups[gi].state:
                new.set(f"{pname}.{var}", old.get(f"{pname}.{var}"))
    for cname, pi in old.plan.proj_index.items():
        if cname not in new.plan.proj_index:
            continue
        for var in old.plan.pgroups[pi].state:
            new.set(f"{cname}.{var}", old.get(f"{cname}.{var}"))


state = State()
