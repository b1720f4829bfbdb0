"""The manager: connects LPUs by patterns and runs them as one network, compiled once on either engine.

The LPUs' networks become sub-networks of one :class:`~spikeloom.Network` (LPU ``i`` under ``lpu<i>``), and
each pattern connection a :class:`~spikeloom.GradedProjection` with the :class:`~spikeloom.lpu.models.Copy`
model from the source's output neuron (its ``V``, or its ``spiked`` state) to the destination's input
:class:`~spikeloom.lpu.models.PortRelay`. Every step updates all populations, then all projections, so an LPU
sees in step ``s`` what its sources produced in step ``s - 1`` (Neurokernel's one-step latency). The
:class:`~spikeloom.Runner` runs it in chunks; each LPU's external input enters per chunk and its records leave
per chunk (``LPU.inputs``, ``LPU.after_chunk``).
"""

from __future__ import annotations

import pathlib
import re
import tempfile
import time

import numpy as np

from .._errors import ModelDefinitionError, SimulationError
from ..connectivity.generators import FromList
from ..core import validate
from ..inputs.currents import Sections
from ..network.graded import GradedProjection
from ..network.network import Network
from ..run.distributed import DistributedRunner, world
from ..run.runner import ENGINES, Runner
from . import selectors as sel
from .lpu import LPU
from .models import Copy, PortRelay
from .pattern import Pattern


class Manager:
    """Holds LPUs and the patterns between them; :meth:`run` compiles and runs them together.

    ``dt`` is the step in the LPUs' time unit (seconds for :class:`~spikeloom.lpu.GenericLPU`).
    """

    def __init__(self, dt: float):
        self.dt = validate.positive(dt, "dt", owner="Manager")
        self.lpus: dict[str, LPU] = {}
        self.routes: list[tuple[str, tuple, str, tuple, str]] = []  # (src lpu, port, dst lpu, port, type)
        self.step = 0
        self.timings: dict[str, float] = {}

    def add(self, lpu: LPU) -> LPU:
        if not isinstance(lpu, LPU):
            raise ModelDefinitionError(f"Manager.add expects an LPU, got {type(lpu).__name__} {lpu!r}")
        if lpu.id in self.lpus:
            raise ModelDefinitionError(f"Manager: an LPU with id {lpu.id!r} was already added")
        self.lpus[lpu.id] = lpu
        return lpu

    def connect(self, lpu_0: LPU, lpu_1: LPU, pattern: Pattern, int_0: int = 0, int_1: int = 1) -> None:
        """Route ``pattern``'s connections: its interface ``int_0`` is ``lpu_0``'s side, ``int_1`` ``lpu_1``'s
        (each an added LPU or its id).

        Every connected port must be an out-port of the source LPU and an in-port of the destination LPU,
        with the same type (and the pattern's type, if it sets one). A destination fed twice (by this or
        another pattern) is rejected.
        """
        lpu_0, lpu_1 = self._added(lpu_0), self._added(lpu_1)
        if not isinstance(pattern, Pattern):
            raise ModelDefinitionError(f"Manager.connect: pattern must be a Pattern, got {type(pattern).__name__}")
        known = sorted(pattern.interface.interface_ids)
        for name, i in (("int_0", int_0), ("int_1", int_1)):
            if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or i not in known:
                raise ModelDefinitionError(f"Manager.connect: {name} must be one of the pattern's interfaces {known}, "
                                           f"got {i!r}")
        if int_0 == int_1:
            raise ModelDefinitionError(f"Manager.connect: int_0 and int_1 must differ, got {int_0} for both")
        side = {int_0: lpu_0, int_1: lpu_1}
        fed = {(r[2], r[3]) for r in self.routes}
        new = []
        for src, dst in pattern.connected_port_pairs():
            i, j = pattern.interface.get(src, "interface"), pattern.interface.get(dst, "interface")
            if i not in side or j not in side:
                raise ModelDefinitionError(
                    f"Manager.connect: the pattern connects interface {i} to {j}, but only "
                    f"{sorted(side)} are mapped to LPUs")
            a, b = side[i], side[j]
            name = f"{a.id}:{sel.to_identifier(src)} -> {b.id}:{sel.to_identifier(dst)}"
            for lpu, port, io in ((a, src, "out"), (b, dst, "in")):
                if port not in lpu.interface:
                    raise ModelDefinitionError(
                        f"Manager.connect: {name}: {sel.to_identifier(port)} is not a port of LPU "
                        f"{lpu.id!r}")
                if lpu.interface.get(port, "io") != io:
                    raise ModelDefinitionError(
                        f"Manager.connect: {name}: {sel.to_identifier(port)} must be an {io}-port of "
                        f"LPU {lpu.id!r}, it is {lpu.interface.get(port, 'io')!r}")
            ta, tb, tp = a.interface.get(src, "type"), b.interface.get(dst, "type"), pattern.interface.get(src, "type")
            if ta != tb or (tp is not None and tp != ta):
                raise ModelDefinitionError(
                    f"Manager.connect: {name}: port types differ ({ta} -> {tb}"
                    f"{'' if tp is None else f', pattern says {tp}'})")
            if (b.id, dst) in fed:
                raise ModelDefinitionError(
                    f"Manager.connect: fan-in at {b.id}:{sel.to_identifier(dst)}: an input port may have "
                    "only one source")
            fed.add((b.id, dst))
            new.append((a.id, src, b.id, dst, ta))
        self.routes.extend(new)

    def _added(self, lpu) -> LPU:
        """``lpu`` if it was added to this manager (an LPU object or its id)."""
        if isinstance(lpu, str):
            if lpu not in self.lpus:
                raise ModelDefinitionError(f"Manager: unknown LPU id {lpu!r}; added: {sorted(self.lpus)}")
            return self.lpus[lpu]
        if not isinstance(lpu, LPU):
            raise ModelDefinitionError(f"Manager: expected an LPU, got {type(lpu).__name__} {lpu!r}")
        if self.lpus.get(lpu.id) is not lpu:
            raise ModelDefinitionError(f"Manager.connect: LPU {lpu.id!r} has not been added; call Manager.add first")
        return lpu

    # ---- the compiled run -----------------------------------------------------------------------------
    def _compose(self) -> "_Composed":
        lpus = list(self.lpus.values())
        net = _Composed(**{f"lpu{i}": lpu.network for i, lpu in enumerate(lpus)})
        prefix = {lpu.id: f"lpu{i}." for i, lpu in enumerate(lpus)}
        pops = net.populations()  # (names assigned)
        grouped: dict[tuple, list] = {}
        for src, sport, dst, dport, typ in self.routes:
            (spop, si), (dpop, di) = self.lpus[src].sites[sport], self.lpus[dst].sites[dport]
            grouped.setdefault((prefix[src] + spop, prefix[dst] + dpop, typ), []).append((si, di))
        for n, ((spop, dpop, typ), pairs) in enumerate(grouped.items()):
            setattr(net, f"route{n}", GradedProjection(pops[spop], pops[dpop], FromList(pairs), Copy(),
                                                       variable="V" if typ == "gpot" else "spiked"))
        net.prefix = prefix
        return net

    def _relay_values(self, net) -> dict[str, np.ndarray]:
        """Per input-port population: the port data of its ports (the constant input of unrouted ones)."""
        routed = {(r[2], r[3]) for r in self.routes}
        out = {}
        for lpu in self.lpus.values():
            for typ in ("gpot", "spike"):
                pm = lpu.pm[typ]
                for port in pm.ports[: pm.n_in]:
                    pop, i = lpu.sites[port]
                    path = net.prefix[lpu.id] + pop
                    if path not in out:
                        out[path] = np.zeros(net.populations()[path].n)
                    if (lpu.id, port) not in routed:
                        out[path][i] = pm.data[pm.index[port]]
        return out

    def _start(self, net, runner: Runner) -> None:
        """Before the first step: input ports hold their port data, and a routed graded port the source's initial
        value (what it would have received from step 0 of its source, whose output row 0 is its initial state)."""
        for path, values in self._relay_values(net).items():
            runner.set(f"{path}.V", values)
        for name, proj in net.projections().items():
            if isinstance(proj.synapse, Copy) and proj.variable == "V":
                pre, post, _, _ = proj.pairs(np.random.default_rng(0), self.dt)
                current = runner.get(f"{name}.I").copy()
                current[post] += runner.get(f"{proj.pre.name}.V")[pre]
                runner.set(f"{name}.I", current)

    def run(self, steps: int, *, engine: str = "cpu", seed: int = 0, chunk: int = 1000) -> dict:
        """Run every LPU for ``steps`` steps (a whole number >= 1) from the current step; returns timings (s).

        ``engine``: ``"cpu"`` (Numba) or ``"jax"``. A state of an LPU that becomes non-finite stops the run with
        a :class:`~spikeloom.SimulationError`; every LPU keeps (and writes) the steps of the chunks before it.
        """
        validate.choice(engine, "engine", ENGINES, owner="Manager.run")
        steps = validate.integer(steps, "steps", owner="Manager.run", low=1)
        chunk = validate.integer(chunk, "chunk", owner="Manager.run", low=1)
        seed = validate.integer(seed, "seed", owner="Manager.run", low=0, high=2**63 - 1)
        if not self.lpus:
            raise ModelDefinitionError("Manager.run: no LPUs were added")
        t0 = time.perf_counter()
        lpus = list(self.lpus.values())
        key = (tuple(self.lpus), tuple(map(id, lpus)), tuple(self.routes), engine, seed)
        if getattr(self, "_key", None) != key:
            net = self._compose()
            monitors = [f"{net.prefix[lpu.id]}{pop}.{var}" for lpu in lpus for parts in lpu.records().values()
                        for pop, var in parts]
            self._kwargs = dict(dt=self.dt, monitors=monitors, seed=seed, engine=engine, precision="float64",
                                progress=False)
            self._runner = _runner_class()(net, **self._kwargs)
            self._net, self._key, self._s0 = net, key, self.step  # network step k is LPU step k + 1 + _s0
            self._start(net, self._runner)
        net, runner = self._net, self._runner
        relays = {path: v for path, v in self._relay_values(net).items() if np.any(v)}
        chunk = min(chunk, steps)
        compile_s = 0.0
        saved = tempfile.TemporaryDirectory()
        try:
            comm = world()
            for lpu in lpus:  # under mpiexec, rank 0 writes the output files
                if comm is None or comm.Get_rank() == 0:
                    lpu.prepare(self.step, steps, self.dt, chunk)
                else:
                    lpu.prepare(self.step, steps, self.dt, chunk, write=False)
            # the state at the start, from which a run that fails is replayed up to the failing step
            start = pathlib.Path(saved.name) / "start.h5"
            runner.save_checkpoint(start)
            build_s = time.perf_counter() - t0
            t2 = time.perf_counter()
            s, end = self.step, self.step + steps
            while s < end:
                n = min(chunk, end - s)
                try:
                    rows = self._chunk(net, runner, lpus, s, n, relays)
                except _Fault as fault:
                    rows = self._replay(start, net, lpus, end - steps, s, chunk, relays, fault.step)
                    for lpu in lpus:
                        lpu.after_chunk(s, rows[lpu.id])
                    raise fault.error from None
                compile_s = compile_s or (getattr(runner, "compile_s", None) or 0.0)
                s += n
                self.step = s
                for lpu in lpus:
                    lpu.after_chunk(s - n, rows[lpu.id])
            run_s = time.perf_counter() - t2 - compile_s
        finally:
            saved.cleanup()
            for lpu in lpus:
                lpu.finish()
            self._port_data(net, runner)
        self.timings = {"build_s": build_s, "compile_s": compile_s, "run_s": run_s}
        return dict(self.timings)

    def _replay(self, start, net, lpus: list, s0: int, s_fail: int, chunk: int, relays: dict, t_fail: int) -> dict:
        """The records of LPU steps ``s_fail .. t_fail - 1``, run again from the state saved at ``start`` (LPU
        step ``s0``) in the same chunks, so that the outputs keep every step before the one that failed."""
        runner = _runner_class().from_checkpoint(start, net, **self._kwargs)
        for s in range(s0, s_fail, chunk):
            self._chunk(net, runner, lpus, s, chunk, relays)
        return self._chunk(net, runner, lpus, s_fail, t_fail - s_fail, relays)

    def _chunk(self, net, runner: Runner, lpus: list, s: int, n: int, relays: dict) -> dict:
        """Run LPU steps ``s .. s + n - 1``; return each LPU's records (kind -> (n, columns))."""
        first = s == self._s0  # LPU step 0 integrates nothing: its row is the initial state
        k = max(n - 1, 0) if first else n  # network steps; input row t drives LPU step t = network step t - 1
        inputs = dict(relays)
        for lpu in lpus:
            for pop, rows in lpu.inputs(s + 1 if first else s, k).items():
                inputs[net.prefix[lpu.id] + pop] = _sections(rows, self.dt)
        names = {lpu.id: [(f"{net.prefix[lpu.id]}{pop}.{var}", kind) for kind, parts in lpu.records().items()
                          for pop, var in parts] for lpu in lpus}
        initial = {name: runner.get(name).copy() for per in names.values() for name, _ in per} if first else {}
        result = None
        if k:
            try:
                result = runner.run(k * self.dt, inputs=inputs)
            except SimulationError as err:
                raise _Fault(*self._fault(err, net)) from None
        out = {}
        for lpu in lpus:
            cols: dict[str, list] = {}
            for name, kind in names[lpu.id]:
                rows = np.asarray(result[name]) if k else np.zeros((0, initial[name].size))
                cols.setdefault(kind, []).append(np.concatenate([initial[name][None, :], rows]) if first else rows)
            out[lpu.id] = {kind: np.concatenate(cols[kind], axis=1) if kind in cols else np.zeros((k + first, 0))
                           for kind in lpu.records()}
        return out

    def _fault(self, err: SimulationError, net) -> tuple[SimulationError, int]:
        """The runner's non-finite-state error, naming the LPU, node, variable and LPU step; and that step."""
        m = re.search(r"population '([^']+)' became non-finite at step (\d+) .*neuron (\d+), "
                      r"variable\(s\) \[([^\]]*)\]", str(err))
        if m is None:
            raise err
        path, step, index, variables = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        lpu_id = next(i for i, p in net.prefix.items() if path.startswith(p))
        lpu = self.lpus[lpu_id]
        t = step + 1 + self._s0
        return SimulationError(f"LPU {lpu_id!r}: the state became non-finite at step {t} (t = {t * self.dt:g} s), "
                               f"{lpu.node_of(path[len(net.prefix[lpu_id]):], index)}, variable "
                               f"{variables.split(', ')[0]}; the outputs keep the steps before it. Check the "
                               "parameters, the inputs and dt"), t

    def _port_data(self, net, runner: Runner) -> None:
        """Every port's last value into the LPUs' port data (``lpu.pm``)."""
        for lpu in self.lpus.values():
            for typ in ("gpot", "spike"):
                pm = lpu.pm[typ]
                for k, port in enumerate(pm.ports):
                    pop, i = lpu.sites[port]
                    pop_obj = net.populations()[net.prefix[lpu.id] + pop]
                    var = "V" if typ == "gpot" or isinstance(pop_obj, PortRelay) else "spiked"
                    pm.data[k] = runner.get(f"{net.prefix[lpu.id]}{pop}.{var}")[i]


def _runner_class():
    """The runner of the composed network: one process, or one MPI rank of it when started by mpiexec (the
    LPUs' neurons split over the ranks, port data exchanged every step)."""
    return Runner if world() is None else DistributedRunner


def _sections(rows: np.ndarray, dt: float) -> Sections:
    """Input rows (one per step) as the sections of equal consecutive rows: inputs such as pulses are a few
    sections instead of one per step."""
    starts = np.concatenate([[0], np.flatnonzero(np.any(rows[1:] != rows[:-1], axis=1)) + 1, [rows.shape[0]]])
    return Sections([(rows[a], (b - a) * dt) for a, b in zip(starts[:-1], starts[1:])])


class _Fault(Exception):
    """A chunk stopped at LPU step ``step`` with ``error`` (raised once the steps before it are kept)."""

    def __init__(self, error: SimulationError, step: int):
        self.error, self.step = error, step


class _Composed(Network):
    """LPU networks and pattern routes as one network: every population is updated, then every projection."""

    def update(self):
        # populations of one model next to each other: the compiled step updates them in one operation
        for pop in sorted(self.populations().values(), key=lambda p: type(p).__qualname__):
            pop()
        for proj in self.projections().values():
            proj()


def steps_of(duration: float, dt: float, owner: str = "run") -> int:
    """The number of steps of ``duration`` at step ``dt`` (same unit), refusing a duration that is not a whole
    number of steps (rounding it would silently run another duration)."""
    duration = validate.positive(duration, "duration", owner=owner)
    dt = validate.positive(dt, "dt", owner=owner)
    exact = duration / dt
    if exact > 2**53:  # beyond this a float no longer tells whole step counts apart
        raise ModelDefinitionError(f"{owner}: duration {duration:g} / dt {dt:g} is {exact:.3g} steps; at most "
                                   f"{2**53:.3g} can be run (use a larger dt)")
    steps = round(exact)
    if steps < 1 or abs(exact - steps) > 1e-9 * max(exact, 1.0):
        raise ModelDefinitionError(f"{owner}: duration {duration:g} is {exact:.6g} steps of dt {dt:g}; it must be a "
                                   f"whole number >= 1 of steps (e.g. duration {max(steps, 1) * dt:g})")
    return steps
