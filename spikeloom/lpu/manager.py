"""The manager: connects LPUs by patterns and runs them all in lock step as one compiled program.

Routing is data: for each port type, index arrays ``src`` (an output port) and ``dst`` (an input port)
into one port array shared by all LPUs. Each step the program copies ``port[dst] = port[src]`` and then
runs every LPU's step, so an LPU sees in step ``s`` what its sources produced in step ``s - 1``.
"""

from __future__ import annotations

import time

import numpy as np

from .._errors import EngineError, ModelDefinitionError, SimulationError
from ..core import validate
from . import selectors as sel
from .lpu import LPU, PORT_DTYPES
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
    def _layout(self):
        lpus = list(self.lpus.values())
        offsets = {"gpot": 0, "spike": 0}
        bounds = np.zeros((len(lpus), 8), np.int64)
        base: dict[tuple[str, str], int] = {}
        for i, lpu in enumerate(lpus):
            for t, col in (("gpot", 0), ("spike", 2)):
                pm = lpu.pm[t]
                lo = offsets[t]
                base[(lpu.id, t)] = lo
                bounds[i, col:col + 2] = lo, lo + pm.n_in
                bounds[i, col + 4:col + 6] = lo + pm.n_in, lo + len(pm.ports)
                offsets[t] = lo + len(pm.ports)
        data = {t: np.zeros(offsets[t], PORT_DTYPES[t]) for t in offsets}
        for lpu in lpus:
            for t in data:
                lo = base[(lpu.id, t)]
                data[t][lo:lo + len(lpu.pm[t].ports)] = lpu.pm[t].data
                lpu.pm[t].data = data[t][lo:lo + len(lpu.pm[t].ports)]  # a view: users see the run's port data
        routes = {}
        for t, key in (("gpot", "g"), ("spike", "s")):
            rows = [r for r in self.routes if r[4] == t]
            routes[f"{key}_src"] = np.array([base[(r[0], t)] + self.lpus[r[0]].pm[t].index[r[1]] for r in rows],
                                            np.int64)
            routes[f"{key}_dst"] = np.array([base[(r[2], t)] + self.lpus[r[2]].pm[t].index[r[3]] for r in rows],
                                            np.int64)
        return lpus, bounds, data, routes

    def run(self, steps: int, *, engine: str = "cpu", seed: int = 0, chunk: int = 1000) -> dict:
        """Run every LPU for ``steps`` steps (a whole number >= 1) from the current step; returns timings (s).

        A state of an LPU that becomes non-finite stops the run after the chunk in which it happened, with a
        :class:`~spikeloom.SimulationError`; every LPU keeps (and writes) the steps before it.
        """
        if engine == "jax":
            raise EngineError("the LPU manager runs on engine='cpu' (Numba) only for now; the JAX engine cannot "
                              "compile LPUs yet")
        if engine != "cpu":
            raise EngineError(f"unknown engine {engine!r}; choose 'cpu'")
        steps = validate.integer(steps, "steps", owner="Manager.run", low=1)
        chunk = validate.integer(chunk, "chunk", owner="Manager.run", low=1)
        seed = validate.integer(seed, "seed", owner="Manager.run", low=0, high=2**63 - 1)
        if not self.lpus:
            raise ModelDefinitionError("Manager.run: no LPUs were added")
        from ..engines.numba.lpu_program import LPUProgram

        t0 = time.perf_counter()
        lpus, bounds, data, routes = self._layout()
        chunk = min(chunk, steps)
        program = LPUProgram(lpus)
        try:
            for lpu in lpus:
                lpu.prepare(self.step, steps, self.dt, chunk)
            build_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            program(self.step, self.step, seed, self.dt, data["gpot"], data["spike"], routes, bounds,
                    [list(lpu.arrays().values()) for lpu in lpus])  # zero steps: compile or load the cache
            compile_s = time.perf_counter() - t1
            t2 = time.perf_counter()
            s, end = self.step, self.step + steps
            while s < end:
                n = min(chunk, end - s)
                for lpu in lpus:
                    lpu.before_chunk(s, n)
                program(s, s + n, seed, self.dt, data["gpot"], data["spike"], routes, bounds,
                        [list(lpu.arrays().values()) for lpu in lpus])
                s += n
                self.step = s
                _after_chunk(lpus, s - n, n)
            run_s = time.perf_counter() - t2
        finally:
            for lpu in lpus:
                lpu.finish()
        self.timings = {"build_s": build_s, "compile_s": compile_s, "run_s": run_s}
        return dict(self.timings)


def _after_chunk(lpus: list[LPU], s0: int, n: int) -> None:
    """Every LPU's ``after_chunk``, even when one reports a non-finite state, so all keep the same steps; the
    first such error is raised once all have run."""
    first = None
    for lpu in lpus:
        try:
            lpu.after_chunk(s0, n)
        except SimulationError as err:
            first = first or err
    if first is not None:
        raise first


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
