"""The runner: build a network once, compile it once, run it in chunks, continue where the last run stopped.

Every argument is checked where it enters (``Runner(...)``, ``run(...)``), before anything is built or
allocated: a bad value raises a :class:`~spikeloom.ModelDefinitionError` naming the argument (and the
population or monitor it belongs to), and a run whose records would not fit in memory raises a
:class:`~spikeloom.ResourceError` with the estimate, before allocating them. Ctrl-C during a run stops it at
the end of the current chunk; the run returns what was simulated (``result.interrupted``).
"""

from __future__ import annotations

import signal
import threading
import time

import numpy as np

from .._errors import EngineError, ModelDefinitionError, SimulationError, Status, UnknownKeyError
from ..core import validate
from ..core.params import steps_of
from ..inputs.currents import TimedArray, to_sections
from ..network.build import Connections, Plan, build_plan, stored_connections
from ..network.network import Network
from ..network.tracing import RunInput
from .result import Result, SpikeTrains

ENGINES = ("cpu", "jax")
PRECISIONS = ("float32", "float64")
#: the counter-based generator mixes the seed in as one 32-bit word (``core/random.py``): larger seeds would
#: draw the same numbers as smaller ones
SEED_MAX = 2**32 - 1
#: the JAX engine counts steps in int32
JAX_MAX_STEP = 2**31 - 1
#: spikes per group that a spike monitor's buffer holds at the start of a run, at most (it grows on demand)
SPIKE_BUFFER_START_MAX = 1 << 24
#: bytes per recorded spike: step (int64) and neuron (int32)
SPIKE_BYTES = 12
MEMORY_FIX = "record fewer variables or neurons, or run in shorter pieces (a runner continues where it stopped)"


class Runner:
    """Simulate ``net`` with step ``dt`` (ms).

    Parameters
    ----------
    monitors:
        ``"E.spike"`` (spikes of population E), ``"E.V"`` (state variable V of every neuron of E),
        ``("E.V", indices)`` or ``("E.V", indices, every)`` (a subset, every ``every`` steps), and
        ``"E2E.g"`` (the synapse state into which projection E2E delivers, per post-synaptic neuron).
    inputs:
        Population name -> input current (pA): a number, an array with one value per neuron, a
        :class:`~spikeloom.inputs.TimedArray` or :class:`~spikeloom.inputs.Sections`. Applies to every run
        unless a run gives its own.
    seed:
        Seeds initial states, connectivity and every random draw in the loop; same seed, same spikes.
    engine:
        ``"cpu"`` (Numba, default) or ``"jax"``.
    precision:
        ``"float32"`` (default) or ``"float64"``.
    progress:
        ``True``/``False`` to force the progress bar; ``None`` shows it when a run will take over ~3 s.
    parallel:
        Update neurons with threads (CPU engine); ``None`` chooses by network size and idle cores
        (``engines.numba.engine.default_parallel``). Results are the same either way.
    device:
        ``"cpu"`` or ``"gpu"`` for the JAX engine (None: JAX's default device); an error if absent.
    surrogate:
        JAX engine: a surrogate spike function (``spikeloom.engines.jax.surrogate``); spikes become floats
        that carry pseudo-gradients and delivery is dense. Used through ``Simulation``.
    event_capacity:
        JAX engine: spikes per step and group that the delivery buffer first holds (default: sized for
        20 Hz); a chunk with a step that needs more is redone with a larger buffer (exact).

    ``dt`` and durations are numbers of ms or brainunit times; input currents numbers of pA or brainunit
    currents. ``seed`` is an integer in ``[0, 2**32 - 1]``.
    """

    def __init__(self, net: Network, *, dt: float = 0.1, monitors=(), inputs: dict | None = None, seed: int = 0,
                 engine: str = "cpu", precision: str = "float32", progress: bool | None = None,
                 parallel: bool | None = None, device: str | None = None, event_capacity: int | None = None,
                 surrogate=None):
        if not isinstance(net, Network):
            raise ModelDefinitionError(f"Runner: net must be a spikeloom Network, got {type(net).__name__} {net!r:.80}")
        if not isinstance(engine, str) or engine not in ENGINES:
            raise EngineError(f"Runner: unknown engine {engine!r}; choose one of {list(ENGINES)}")
        if engine != "jax" and (device is not None or event_capacity is not None or surrogate is not None):
            raise EngineError("Runner: device, event_capacity and surrogate apply to engine='jax' only")
        precision = validate.choice(np.dtype(precision).name if isinstance(precision, (type, np.dtype)) else precision,
                                    "precision", PRECISIONS, owner="Runner")
        dt = validate.positive(dt, "dt", owner="Runner", unit="ms")
        seed = validate.integer(seed, "seed", owner="Runner", low=0, high=SEED_MAX)
        progress, parallel = _switch(progress, "progress"), _switch(parallel, "parallel")
        if event_capacity is not None:
            event_capacity = validate.integer(event_capacity, "event_capacity", owner="Runner", low=1)
        self.net, self.dt, self.seed, self.progress, self.engine = net, dt, seed, progress, engine
        self.dtype = np.dtype(precision)
        t0 = time.perf_counter()
        self.plan: Plan = build_plan(net, self.dt, self.seed, self.dtype)
        self.build_s = time.perf_counter() - t0
        rings = sum(float(g.ring_depth) * g.n * 4 for g in self.plan.groups)
        validate.memory(rings, f"Runner: the spike rings of delays up to {max(g.ring_depth for g in self.plan.groups) - 1} "
                        f"steps of dt = {dt:g} ms", fix="use shorter delays or a larger dt")
        self.step = 0
        self.default_inputs = self._check_inputs(inputs, "Runner")
        self._parse_monitors(monitors)
        spike_groups = sorted({self.plan.pop_index[p][0] for p in self.spike_pops})
        if engine == "jax":
            from ..engines.jax import JaxProgram, select_device
            from ..engines.jax.program import JaxLayout

            layout = JaxLayout(spike_groups, [(m[1], m[2] + m[4]) for m in self.state_monitors])
            capacity = {gi: event_capacity for gi in range(len(self.plan.groups))} if event_capacity else None
            self.program = JaxProgram(self.plan, layout, capacity=capacity, device=select_device(device),
                                      surrogate=surrogate)
            self.carry = self.program.initial_carry()
            self.arrays = {}
        else:
            from ..engines.numba import NumbaProgram
            from ..engines.numba.codegen import MonitorLayout

            layout = MonitorLayout(spike_groups=spike_groups, states=[m[1] for m in self.state_monitors])
            self.program = NumbaProgram(self.plan, layout, parallel)
            self.arrays = self._persistent_arrays()
        self.spike_groups = spike_groups
        self.compile_s = None
        self._initial_spike_capacity: int | None = None  # None: sized for ~50 Hz, grown on demand
        self._aborted = False  # a KeyboardInterrupt left the state somewhere in a chunk: the step is unknown

    # ---- monitors -------------------------------------------------------------------------------------
    def _parse_monitors(self, monitors):
        plan = self.plan
        self.spike_pops: list[str] = []
        self.state_monitors: list[tuple[str, str, np.ndarray, int, float]] = []  # key, array, idx, every, offset
        seen = set()
        for spec in _monitor_list(monitors):
            key, indices, every = _monitor_spec(spec)
            if key in seen:
                raise ModelDefinitionError(f"monitor {key!r} is given twice; give each variable once (one index list)")
            seen.add(key)
            owner, var = key.rsplit(".", 1)
            if owner in plan.pop_index:
                gi, lo, hi, _ = plan.pop_index[owner]
                group = plan.groups[gi]
                if var == "spike":
                    if indices is not None or every is not None:
                        raise ModelDefinitionError(f"monitor {key!r}: a spike monitor records the whole population; "
                                                   "give just 'pop.spike' and select neurons in the result")
                    self.spike_pops.append(owner)
                    continue
                if var not in group.state:
                    raise ModelDefinitionError(f"monitor {key!r}: {owner!r} has no variable {var!r}; its variables: "
                                               f"{list(group.state) + ['spike']}")
                array, base, size = f"g{gi}_{var}", lo, hi - lo
            elif owner in plan.proj_index:
                pi = plan.proj_index[owner]
                pg = plan.pgroups[pi]
                if var not in pg.state:
                    raise ModelDefinitionError(f"monitor {key!r}: synapse of {owner!r} has no variable {var!r}; "
                                               f"its variables: {list(pg.state)}")
                seg = pg.projections[owner][0]
                array, base, size = f"pg{pi}_{var}", int(pg.seg_slot_lo[seg]), int(pg.seg_n[seg])
            else:
                raise ModelDefinitionError(f"monitor {key!r}: no population or projection named {owner!r}; known: "
                                           f"{sorted(plan.pop_index) + sorted(plan.proj_index)}")
            idx = _monitor_indices(indices, size, key)
            every = 1 if every is None else validate.integer(every, "every", owner=f"monitor {key!r}", low=1)
            self.state_monitors.append((key, array, idx, every, base))

    # ---- arrays handed to the compiled loop ---------------------------------------------------------------
    def _persistent_arrays(self) -> dict:
        plan, dtype, a = self.plan, self.dtype, {}
        for gi, g in enumerate(plan.groups):
            for k, v in g.state.items():
                a[f"g{gi}_{k}"] = v
            for k, v in g.params.items():
                a[f"g{gi}_p_{k}"] = dtype.type(v) if np.ndim(v) == 0 else v
            a[f"g{gi}_Iext"] = np.zeros(g.n, dtype)
            a[f"g{gi}_Isyn"] = np.zeros(g.n, dtype)
            a[f"g{gi}_spk"] = np.zeros(g.n, np.bool_)
            a[f"g{gi}_ring_cnt"] = np.zeros(g.ring_depth, np.int64)
            a[f"g{gi}_ring_idx"] = np.zeros((g.ring_depth, g.n), np.int32)
            a[f"g{gi}_pop_ids"] = g.pop_ids
            if g.generator_events is not None:
                a[f"g{gi}_ev_step"], a[f"g{gi}_ev_idx"] = g.generator_events
                a[f"g{gi}_ev_ptr"] = np.zeros(1, np.int64)
        for pi, pg in enumerate(plan.pgroups):
            for k, v in pg.state.items():
                a[f"pg{pi}_{k}"] = v
            for k, v in pg.seg_params.items():
                a[f"pg{pi}_sp_{k}"] = v
            a.update({f"pg{pi}_seg_n": pg.seg_n, f"pg{pi}_seg_slot_lo": pg.seg_slot_lo,
                      f"pg{pi}_seg_post_lo": pg.seg_post_lo, f"pg{pi}_offsets": pg.offsets,
                      f"pg{pi}_rowptr": pg.rowptr, f"pg{pi}_col": pg.col,
                      f"pg{pi}_w": dtype.type(pg.weight) if np.ndim(pg.weight) == 0 else pg.weight})
            if pg.operator is not None:
                n_slots = int(pg.seg_n.sum())
                a.update({f"pg{pi}_{k}": v for k, v in pg.operator.engine_arrays(n_slots, dtype).items()})
        a["op_lo"] = np.array([op[2] if op[0] == "neurons" else 0 for op in plan.schedule], np.int64)
        a["op_hi"] = np.array([op[3] if op[0] == "neurons" else 0 for op in plan.schedule], np.int64)
        return a

    def _check_inputs(self, inputs, where: str) -> dict:
        """``inputs`` (population name -> current) checked against the populations, every value converted
        once so that a bad value or shape is reported now, naming its population."""
        if inputs is None:
            return {}
        if not isinstance(inputs, dict):
            raise ModelDefinitionError(f"{where}: inputs must be a dict population name -> current (pA), got "
                                       f"{type(inputs).__name__} {inputs!r:.80}")
        for name, spec in inputs.items():
            if not isinstance(name, str) or name not in self.plan.pop_index:
                raise ModelDefinitionError(f"{where}: input target {name!r} is not a population; populations: "
                                           f"{sorted(self.plan.pop_index)}")
            _, lo, hi, _ = self.plan.pop_index[name]
            to_sections(spec, hi - lo, self.dt, name)
        return dict(inputs)

    def _input_tables(self, inputs: dict, n_steps: int) -> dict:
        """Per group: sections sorted by absolute start step, with neuron ranges and flattened values."""
        per_group: dict[int, list] = {gi: [] for gi in range(len(self.plan.groups))}
        for name, spec in inputs.items():
            gi, lo, hi, _ = self.plan.pop_index[name]
            for start, values in to_sections(spec, hi - lo, self.dt, name):
                if start < n_steps:
                    per_group[gi].append((self.step + start, lo, hi, values))
        a = {}
        for gi, rows in per_group.items():
            rows.sort(key=lambda r: r[0])
            vals = [r[3] for r in rows]
            a[f"in{gi}_start"] = np.array([r[0] for r in rows], np.int64)
            a[f"in{gi}_lo"] = np.array([r[1] for r in rows], np.int64)
            a[f"in{gi}_hi"] = np.array([r[2] for r in rows], np.int64)
            a[f"in{gi}_wide"] = np.array([int(v.size > 1) for v in vals], np.int64)
            a[f"in{gi}_voff"] = np.concatenate([[0], np.cumsum([v.size for v in vals])[:-1]]).astype(np.int64)
            a[f"in{gi}_val"] = (np.concatenate(vals) if vals else np.zeros(0)).astype(self.dtype)
            a[f"in{gi}_ptr"] = np.zeros(1, np.int64)
            if f"g{gi}_Iext" in self.arrays:
                self.arrays[f"g{gi}_Iext"][:] = 0.0
        return a

    # ---- running ----------------------------------------------------------------------------------------
    def run(self, duration: float | None = None, inputs=None) -> Result:
        """Run for ``duration`` ms (or a brainunit time) from the current state; return what the monitors
        recorded.

        ``inputs``: for a network whose ``update`` takes an input, the value of that input (a number, or an
        array with one value per step, whose length sets the duration if none is given); otherwise a dict
        population -> current that replaces the runner's default inputs for this run.

        Ctrl-C (SIGINT, in the main thread, while Python's default handler is installed) stops the run at the
        end of the current chunk (about 0.5 s): the result covers the simulated steps only and has
        ``interrupted`` set, and the runner's step is where it stopped, so a later ``run`` continues from
        there. A second Ctrl-C raises ``KeyboardInterrupt`` at once.
        """
        if self._aborted:
            raise SimulationError("Runner.run: an earlier run was aborted (KeyboardInterrupt) in the middle of a "
                                  "chunk, so this runner's state and step no longer match; build a new Runner")
        duration, run_inputs = self._run_inputs(duration, inputs)
        if duration is None:
            raise ModelDefinitionError("Runner.run: duration is missing; give it in ms, e.g. run(100.0)")
        duration = validate.positive(duration, "duration", owner="Runner.run", unit="ms")
        n_steps = steps_of(duration, self.dt, "Runner.run: duration")
        if n_steps <= 0:
            raise ModelDefinitionError(f"Runner.run: duration = {duration:g} ms is shorter than one step of dt = "
                                       f"{self.dt:g} ms")
        if self.engine == "jax" and self.step + n_steps > JAX_MAX_STEP:
            raise ModelDefinitionError(f"Runner.run: the JAX engine counts steps in 32-bit integers; this runner "
                                       f"is at step {self.step} and can run {JAX_MAX_STEP - self.step} more steps, "
                                       f"not {n_steps} (use engine='cpu' for longer runs)")
        self._check_memory(duration, n_steps)
        tables = self._input_tables(run_inputs, n_steps)
        s_run0 = self.step
        with _StopOnInterrupt() as stop:
            try:
                if self.engine == "jax":
                    a, n_done = self._run_jax(tables, s_run0, n_steps, stop)
                else:
                    a, n_done = self._run_numba(tables, s_run0, n_steps, stop)
            except KeyboardInterrupt:
                self._aborted = True
                raise
        self.step = s_run0 + n_done
        res = self._collect(a, s_run0, n_done, a.pop("compile_s"), a.pop("run_s"))
        res.interrupted = n_done < n_steps
        return res

    def _run_inputs(self, duration, inputs) -> tuple[object, dict]:
        """The duration (possibly set by a per-step input array) and the inputs of one run, by population."""
        run_inputs = dict(self.default_inputs)
        traced = self.plan.run_inputs
        if not any(isinstance(v, RunInput) for v in traced.values()):
            run_inputs.update(traced)
            run_inputs.update(self._check_inputs(inputs, "Runner.run"))
            return duration, run_inputs
        if isinstance(inputs, dict):
            raise ModelDefinitionError("Runner.run: this network's update takes one input; give its value (a "
                                       "number, or an array with one value per step), not a dict")
        value = 0.0 if inputs is None else validate.real_array(inputs, "inputs", owner="Runner.run", unit="pA")
        if np.ndim(value) >= 1:
            if duration is None:
                duration = len(value) * self.dt
            value = TimedArray(value)
        for pop, v in traced.items():
            run_inputs[pop] = value if isinstance(v, RunInput) else v
        return duration, run_inputs

    def _spike_capacity(self, gi: int, n_steps: int) -> int:
        """Spikes the monitor buffer of group ``gi`` holds at first: enough for ~50 Hz, capped (it grows)."""
        if self._initial_spike_capacity is not None:
            return self._initial_spike_capacity
        n = self.plan.groups[gi].n
        return min(int(n * n_steps * self.dt * 1e-3 * 50.0) + 2 * n, SPIKE_BUFFER_START_MAX)

    def _memory_needs(self, n_steps: int) -> dict[str, float]:
        """Bytes that a run of ``n_steps`` allocates for its records, by kind. The JAX engine keeps every
        step's records of every chunk (state samples before thinning by ``every``) and then joins them."""
        n_pops = len(self.plan.pop_index)
        jax = self.engine == "jax"
        needs = {"per-step spike counts": float(n_steps) * n_pops * 4 * (2 if jax else 1)}
        if self.spike_groups:
            if jax:
                prog = self.program
                per_step = sum(-(-self.plan.groups[gi].n // 8) if gi in prog.bitmap_groups
                               else 4 * (prog.monitor_capacity[gi] + 1) for gi in self.spike_groups)
                needs["spike monitors"] = float(n_steps) * per_step
            else:
                needs["spike monitors"] = float(sum(self._spike_capacity(gi, n_steps) for gi in self.spike_groups)
                                                ) * SPIKE_BYTES
        if self.state_monitors:
            needs["state monitors"] = sum(float(n_steps if jax else n_steps // every) * idx.size * self.dtype.itemsize
                                          for _, _, idx, every, _ in self.state_monitors) * (2 if jax else 1)
        return needs

    def _check_memory(self, duration: float, n_steps: int) -> None:
        needs = self._memory_needs(n_steps)
        parts = ", ".join(f"{kind} {validate.human_bytes(b)}" for kind, b in needs.items())
        validate.memory(sum(needs.values()), f"Runner.run: a run of {duration:g} ms "
                        f"({validate.count_text(n_steps)} steps)",
                        fix=f"it records {parts}; {MEMORY_FIX}")

    def _run_numba(self, tables: dict, s_run0: int, n_steps: int, stop: "_StopOnInterrupt") -> tuple[dict, int]:
        a = self.arrays
        a.update(tables)
        a["pop_counts"] = np.zeros((n_steps, len(self.plan.pop_index)), np.int32)
        for gi in self.spike_groups:
            cap = self._spike_capacity(gi, n_steps)
            a[f"mon{gi}_t"], a[f"mon{gi}_i"] = np.empty(cap, np.int64), np.empty(cap, np.int32)
            a[f"mon{gi}_n"] = np.zeros(1, np.int64)
        for k, (_, _, idx, every, base) in enumerate(self.state_monitors):
            arr = a[self.state_monitors[k][1]]
            a[f"smon{k}_buf"] = np.zeros((n_steps // every, idx.size), arr.dtype)
            a[f"smon{k}_idx"] = idx + base
        a["smon_every"] = np.array([m[3] for m in self.state_monitors] or [1], np.int64)

        dt = self.dtype.type(self.dt)
        compile_s = 0.0
        if self.compile_s is None:
            compile_s = self.compile_s = self.program.compile(s_run0, self.seed, dt, a)
        t0 = time.perf_counter()
        s, s_end, bar, chunk = s_run0, s_run0 + n_steps, None, max(1, min(n_steps, 1000))
        while s < s_end and not stop.requested:
            c0 = time.perf_counter()
            stop_at = min(s + chunk, s_end)
            reached, status, gi, idx = self.program(s, stop_at, s_run0, self.seed, dt, a)
            if status == Status.spike_buffer_full:
                self._grow_spike_buffer(gi, reached)
            elif status == Status.nonfinite_state:
                self.step = reached
                raise SimulationError(self._nonfinite_message(reached, gi, idx, lambda name: a[name]))
            done = reached - s
            s = reached
            bar = self._progress(bar, done, time.perf_counter() - c0, s - s_run0, n_steps)
            if done:
                # chunks of about 0.5 s keep the progress bar live (and Ctrl-C prompt) without costing speed
                chunk = max(1, int(done * 0.5 / max(time.perf_counter() - c0, 1e-9)))
        if bar is not None:
            bar.close()
        return dict(a, compile_s=compile_s, run_s=time.perf_counter() - t0), s - s_run0

    def _run_jax(self, tables: dict, s_run0: int, n_steps: int, stop: "_StopOnInterrupt") -> tuple[dict, int]:
        import jax

        prog = self.program
        inp_carry, inp_args = prog.input_carry(tables)
        args = {**prog.args, **inp_args, "seed": prog._put(np.uint32(self.seed))}
        carry = {**self.carry, **inp_carry}
        t0 = time.perf_counter()
        bar = [None, t0, 0]

        def progress(done):
            bar[2] += done
            bar[0] = self._progress(bar[0], done, time.perf_counter() - bar[1], bar[2], n_steps)
            bar[1] = time.perf_counter()
            return stop.requested  # JaxProgram.run stops after this chunk when asked

        carry, records, compile_s, nan = prog.run(carry, args, s_run0, n_steps, progress)
        jax.block_until_ready(carry)
        if bar[0] is not None:
            bar[0].close()
        self.carry = carry
        if nan is not None:
            self.step = nan[0]
            raise SimulationError(self._nonfinite_message(*nan, lambda name: np.asarray(carry[name])))
        if self.compile_s is None:
            self.compile_s = compile_s
        run_s = time.perf_counter() - t0 - compile_s
        n_done = sum(len(r["counts"]) for r in records)
        return dict(self._jax_records(records, s_run0, n_done), compile_s=compile_s, run_s=run_s), n_done

    def _jax_records(self, records: list, s_run0: int, n_steps: int) -> dict:
        """Monitor records of the JAX chunks in the layout the Numba engine writes (see ``_collect``)."""
        cat = {k: np.concatenate([r[k] for r in records]) for k in records[0] if not k.startswith("mon")}
        a = {"pop_counts": cat["counts"].astype(np.int32)}
        for gi in self.spike_groups:
            steps, a[f"mon{gi}_i"] = self.program.spike_events(records, gi)
            a[f"mon{gi}_t"] = steps + s_run0
            a[f"mon{gi}_n"] = np.array([steps.size])
        for k, (_, _, _, every, _) in enumerate(self.state_monitors):
            a[f"smon{k}_buf"] = cat[f"smon{k}"][every - 1::every][: n_steps // every]
        return a

    def _progress(self, bar, done: int, elapsed: float, finished: int, n_steps: int):
        if bar is not None:
            bar.update(done)
        elif done and self._wants_bar(elapsed / done * (n_steps - finished)):
            from tqdm.auto import tqdm

            bar = tqdm(total=n_steps, initial=finished, unit="step", desc="spikeloom")
        return bar

    def _wants_bar(self, remaining_s: float) -> bool:
        return self.progress if self.progress is not None else remaining_s > 3.0

    def _grow_spike_buffer(self, gi: int, step: int):
        a = self.arrays
        n = int(a[f"mon{gi}_n"][0])
        new = max(2 * a[f"mon{gi}_t"].size, n + 4 * self.plan.groups[gi].n)
        pops = [p for p in self.spike_pops if self.plan.pop_index[p][0] == gi]
        validate.memory(float(new + n) * SPIKE_BYTES, f"Runner.run: the spike monitor of {pops} after {n} spikes "
                        f"(t = {step * self.dt:g} ms)", fix=MEMORY_FIX)
        for key in (f"mon{gi}_t", f"mon{gi}_i"):
            grown = np.empty(new, a[key].dtype)
            grown[:n] = a[key][:n]
            a[key] = grown

    def _nonfinite_message(self, step: int, gi: int, idx: int, state) -> str:
        for name, (g, lo, hi, _) in self.plan.pop_index.items():
            if g == gi and lo <= idx < hi:
                bad = [v for v in self.plan.groups[gi].model.ode_vars
                       if not np.isfinite(state(f"g{gi}_{v}")[idx])]
                return (f"the state of population {name!r} became non-finite at step {step} (t = "
                        f"{(step + 1) * self.dt:g} ms), neuron {idx - lo}, variable(s) {bad}; check parameters, "
                        "inputs and dt")
        return f"non-finite state at step {step}"

    def _collect(self, a: dict, s_run0: int, n_steps: int, compile_s: float, run_s: float) -> Result:
        plan = self.plan
        res = Result(dt=self.dt, t_start=s_run0 * self.dt, n_steps=n_steps, compile_s=compile_s, run_s=run_s)
        for name, (gi, lo, hi, pid) in plan.pop_index.items():
            res.spike_counts[name] = a["pop_counts"][:n_steps, pid].copy()
            res.sizes[name] = hi - lo
        for name in self.spike_pops:
            gi, lo, hi, _ = plan.pop_index[name]
            n = int(a[f"mon{gi}_n"][0])
            steps, idx = a[f"mon{gi}_t"][:n], a[f"mon{gi}_i"][:n]
            keep = (idx >= lo) & (idx < hi)
            res.spikes[name] = SpikeTrains((steps[keep] + 1) * self.dt, (idx[keep] - lo).astype(np.int64), hi - lo)
        for k, (key, _, idx, every, _) in enumerate(self.state_monitors):
            buf = a[f"smon{k}_buf"][: n_steps // every]  # an interrupted run filled only the first rows
            res.traces[key] = buf
            res.trace_times[key] = (s_run0 + every * np.arange(1, buf.shape[0] + 1)) * self.dt
            res.trace_indices[key] = idx
        return res

    # ---- state access -------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> np.ndarray:
        """Current value of ``"pop.var"`` (a copy), e.g. ``runner["E.V"]``; an unknown name raises
        :class:`~spikeloom.UnknownKeyError` (a ``KeyError``)."""
        if not isinstance(key, str) or "." not in key:
            raise UnknownKeyError(f"runner[{key!r}]: expected 'population.variable', e.g. 'E.V'")
        owner, _, var = key.rpartition(".")
        if owner not in self.plan.pop_index:
            raise UnknownKeyError(f"runner[{key!r}]: no population named {owner!r}; known: "
                                  f"{sorted(self.plan.pop_index)}")
        gi, lo, hi, _ = self.plan.pop_index[owner]
        if var not in self.plan.groups[gi].state:
            raise UnknownKeyError(f"runner[{key!r}]: population {owner!r} has no variable {var!r}; its variables: "
                                  f"{list(self.plan.groups[gi].state)}")
        if self.engine == "jax":
            return np.asarray(self.carry[f"g{gi}_{var}"][lo:hi])
        return self.arrays[f"g{gi}_{var}"][lo:hi].copy()

    def connections(self, name: str) -> Connections:
        """The built synapses of stored projection ``name``: ``weight, delay = runner.connections("E2E")``, two
        ``scipy.sparse.csr_array`` of shape (n_pre, n_post) with one entry per synapse (weights in the
        projection's unit, delays in ms on the dt grid), read back from the plan
        (:func:`~spikeloom.network.build.stored_connections`). Procedural projections: ``sl.materialize``."""
        return stored_connections(self.plan, name)

    @property
    def t(self) -> float:
        """Current time (ms)."""
        return self.step * self.dt


# ---- argument helpers -----------------------------------------------------------------------------------------
_MONITOR_FORMS = "'pop.variable' (e.g. 'E.V', 'E.spike') or ('pop.variable', indices[, every])"


def _switch(value, name: str):
    """An on/off/automatic argument of the runner: ``True``, ``False`` or ``None``."""
    return validate.choice(bool(value) if isinstance(value, np.bool_) else value, name, [None, True, False],
                           owner="Runner")


def _monitor_list(monitors) -> list:
    """``monitors`` as a list of specs; one string is one monitor."""
    if monitors is None:
        return []
    if isinstance(monitors, str):
        return [monitors]
    if isinstance(monitors, (dict, bytes)) or not hasattr(monitors, "__iter__"):
        raise ModelDefinitionError(f"Runner: monitors must be a list of {_MONITOR_FORMS}, got "
                                   f"{type(monitors).__name__} {monitors!r:.80}")
    return list(monitors)


def _monitor_spec(spec) -> tuple[str, object, object]:
    """``(key, indices or None, every or None)`` of one monitor spec."""
    if isinstance(spec, str):
        key, indices, every = spec, None, None
    elif isinstance(spec, (tuple, list)) and 1 <= len(spec) <= 3 and isinstance(spec[0], str):
        key, indices, every = (*spec, None, None)[:3]
    else:
        raise ModelDefinitionError(f"monitor {spec!r:.80}: expected {_MONITOR_FORMS}")
    if "." not in key:
        raise ModelDefinitionError(f"monitor {key!r}: expected 'population.variable' (e.g. 'E.V', 'E.spike')")
    return key, indices, every


def _monitor_indices(indices, size: int, key: str) -> np.ndarray:
    """Neuron (or slot) indices of a state monitor: distinct integers in ``[0, size)``, int64."""
    if indices is None:
        return np.arange(size, dtype=np.int64)
    where = f"monitor {key!r}: indices"
    if isinstance(indices, (str, bytes)):
        raise ModelDefinitionError(f"{where} must be integers in [0, {size}), got {indices!r}")
    try:
        raw = np.asarray(indices)
    except (ValueError, TypeError):
        raise ModelDefinitionError(f"{where} must be a flat list of integers in [0, {size}), got {indices!r:.80}") from None
    if raw.dtype == np.bool_:
        raise ModelDefinitionError(f"{where} must be integers, not a boolean mask; use np.flatnonzero(mask)")
    if raw.dtype.kind not in "iu" and not (raw.size == 0 and raw.dtype.kind == "f"):
        raise ModelDefinitionError(f"{where} must be integers in [0, {size}), got {raw.dtype} values {indices!r:.80}")
    idx = raw.astype(np.int64).reshape(-1) if raw.ndim == 0 else raw.astype(np.int64)
    if idx.ndim != 1:
        raise ModelDefinitionError(f"{where} must be a flat list, got shape {raw.shape}")
    bad = (idx < 0) | (idx >= size)
    if bad.any():
        raise ModelDefinitionError(f"{where} must be in [0, {size}), got {int(idx[bad][0])}")
    uniq, counts = np.unique(idx, return_counts=True)
    if (counts > 1).any():
        raise ModelDefinitionError(f"{where} must be distinct; {int(uniq[counts > 1][0])} appears "
                                   f"{int(counts.max())} times")
    return idx


class _StopOnInterrupt:
    """While a run is in progress, Ctrl-C asks it to stop at the end of the current chunk instead of aborting
    it (and losing what was simulated). The first SIGINT sets ``requested``; a second one raises
    ``KeyboardInterrupt`` at once. The handler is installed only in the main thread (where Python runs signal
    handlers) and only over Python's default handler, so an application's own SIGINT handling is left alone;
    the previous handler is restored when the run ends."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self) -> "_StopOnInterrupt":
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
