"""The runner: build a network once, compile it once, run it in chunks, continue where the last run stopped."""

from __future__ import annotations

import time

import numpy as np

from .._errors import EngineError, ModelDefinitionError, SimulationError, Status
from ..core.params import steps_of
from ..inputs.currents import TimedArray, to_sections
from ..network.build import Plan, build_plan
from ..network.network import Network
from ..network.tracing import RunInput
from .result import Result, SpikeTrains

ENGINES = ("cpu", "jax")


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
    """

    def __init__(self, net: Network, *, dt: float = 0.1, monitors=(), inputs: dict | None = None, seed: int = 0,
                 engine: str = "cpu", precision: str = "float32", progress: bool | None = None,
                 parallel: bool | None = None, device: str | None = None, event_capacity: int | None = None,
                 surrogate=None):
        if engine not in ENGINES:
            raise EngineError(f"unknown engine {engine!r}; choose one of {list(ENGINES)}")
        if engine != "jax" and (device is not None or event_capacity is not None or surrogate is not None):
            raise EngineError("device, event_capacity and surrogate apply to engine='jax' only")
        if precision not in ("float32", "float64"):
            raise ModelDefinitionError(f"precision must be 'float32' or 'float64', got {precision!r}")
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ModelDefinitionError(f"seed must be a non-negative int, got {seed!r}")
        self.net, self.dt, self.seed, self.progress, self.engine = net, float(dt), int(seed), progress, engine
        self.dtype = np.dtype(precision)
        t0 = time.perf_counter()
        self.plan: Plan = build_plan(net, self.dt, self.seed, self.dtype)
        self.build_s = time.perf_counter() - t0
        self.step = 0
        self.default_inputs = self._check_inputs(inputs or {})
        self._parse_monitors(monitors)
        spike_groups = sorted({self.plan.pop_index[p][0] for p in self.spike_pops})
        if engine == "jax":
            from ..engines.jax import JaxProgram, select_device
            from ..engines.jax.program import JaxLayout

            layout = JaxLayout(spike_groups, [(m[1], m[2] + m[4]) for m in self.state_monitors])
            capacity = {gi: int(event_capacity) for gi in range(len(self.plan.groups))} if event_capacity else None
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

    # ---- monitors -------------------------------------------------------------------------------------
    def _parse_monitors(self, monitors):
        plan = self.plan
        self.spike_pops: list[str] = []
        self.state_monitors: list[tuple[str, str, np.ndarray, int, float]] = []  # key, array, idx, every, offset
        for spec in monitors:
            spec = (spec,) if isinstance(spec, str) else tuple(spec)
            key, indices, every = spec[0], (spec[1] if len(spec) > 1 else None), (spec[2] if len(spec) > 2 else 1)
            if not isinstance(key, str) or "." not in key:
                raise ModelDefinitionError(f"monitor {spec!r}: expected 'population.variable' (e.g. 'E.V', 'E.spike')")
            owner, var = key.rsplit(".", 1)
            if owner in plan.pop_index:
                gi, lo, hi, _ = plan.pop_index[owner]
                group = plan.groups[gi]
                if var == "spike":
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
            idx = np.arange(size) if indices is None else np.asarray(indices)
            if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or (idx.size and (idx.min() < 0 or idx.max() >= size)):
                raise ModelDefinitionError(f"monitor {key!r}: indices must be integers in [0, {size})")
            if not isinstance(every, (int, np.integer)) or every < 1:
                raise ModelDefinitionError(f"monitor {key!r}: every must be an int >= 1, got {every!r}")
            self.state_monitors.append((key, array, idx.astype(np.int64), int(every), base))

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

    def _check_inputs(self, inputs: dict) -> dict:
        if not isinstance(inputs, dict):
            raise ModelDefinitionError(f"inputs must be a dict population -> current, got {type(inputs).__name__}")
        for name in inputs:
            if name not in self.plan.pop_index:
                raise ModelDefinitionError(f"input target {name!r} is not a population; populations: "
                                           f"{sorted(self.plan.pop_index)}")
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
        """Run for ``duration`` ms from the current state; return what the monitors recorded.

        ``inputs``: for a network whose ``update`` takes an input, the value of that input (a number, or an
        array with one value per step, whose length sets the duration if none is given); otherwise a dict
        population -> current that replaces the runner's default inputs for this run.
        """
        run_inputs = dict(self.default_inputs)
        traced = self.plan.run_inputs
        if any(isinstance(v, RunInput) for v in traced.values()):
            if duration is None and isinstance(inputs, (np.ndarray, list)):
                duration = len(inputs) * self.dt
            value = inputs if inputs is not None else 0.0
            if isinstance(value, (np.ndarray, list)) and np.ndim(value) >= 1:
                value = TimedArray(np.asarray(value))
            for pop, v in traced.items():
                run_inputs[pop] = value if isinstance(v, RunInput) else v
        else:
            run_inputs.update({k: v for k, v in traced.items()})
            if inputs is not None:
                run_inputs.update(self._check_inputs(inputs))
        if duration is None:
            raise ModelDefinitionError("run needs a duration (ms)")
        n_steps = steps_of(float(duration), self.dt, "duration")
        if n_steps <= 0:
            raise ModelDefinitionError(f"duration must be positive, got {duration} ms")
        s_run0 = self.step
        if self.engine == "jax":
            a = self._run_jax(self._input_tables(run_inputs, n_steps), s_run0, n_steps)
        else:
            a = self._run_numba(self._input_tables(run_inputs, n_steps), s_run0, n_steps)
        self.step = s_run0 + n_steps
        return self._collect(a, s_run0, n_steps, a.pop("compile_s"), a.pop("run_s"))

    def _run_numba(self, tables: dict, s_run0: int, n_steps: int) -> dict:
        a = self.arrays
        a.update(tables)
        a["pop_counts"] = np.zeros((n_steps, len(self.plan.pop_index)), np.int32)
        cap = {}
        for gi in self.spike_groups:
            g = self.plan.groups[gi]
            cap[gi] = self._initial_spike_capacity or int(g.n * n_steps * self.dt * 1e-3 * 50.0) + 2 * g.n
            a[f"mon{gi}_t"], a[f"mon{gi}_i"] = np.empty(cap[gi], np.int64), np.empty(cap[gi], np.int32)
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
        while s < s_end:
            c0 = time.perf_counter()
            stop = min(s + chunk, s_end)
            reached, status, gi, idx = self.program(s, stop, s_run0, self.seed, dt, a)
            if status == Status.spike_buffer_full:
                self._grow_spike_buffer(gi)
            elif status == Status.nonfinite_state:
                self.step = reached
                raise SimulationError(self._nonfinite_message(reached, gi, idx, lambda name: a[name]))
            done = reached - s
            s = reached
            bar = self._progress(bar, done, time.perf_counter() - c0, s - s_run0, n_steps)
            if done:
                # chunks of about 0.5 s keep the progress bar live without costing speed
                chunk = max(1, int(done * 0.5 / max(time.perf_counter() - c0, 1e-9)))
        if bar is not None:
            bar.close()
        return dict(a, compile_s=compile_s, run_s=time.perf_counter() - t0)

    def _run_jax(self, tables: dict, s_run0: int, n_steps: int) -> dict:
        import jax

        prog = self.program
        inp_carry, inp_args = prog.input_carry(tables)
        args = {**prog.args, **inp_args, "seed": prog._put(np.uint32(self.seed % 2**32))}
        carry = {**self.carry, **inp_carry}
        t0 = time.perf_counter()
        bar = [None, t0, 0]

        def progress(done):
            bar[2] += done
            bar[0] = self._progress(bar[0], done, time.perf_counter() - bar[1], bar[2], n_steps)
            bar[1] = time.perf_counter()

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
        return dict(self._jax_records(records, s_run0, n_steps), compile_s=compile_s, run_s=run_s)

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

    def _grow_spike_buffer(self, gi: int):
        a = self.arrays
        n = int(a[f"mon{gi}_n"][0])
        new = max(2 * a[f"mon{gi}_t"].size, n + 4 * self.plan.groups[gi].n)
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
            res.spike_counts[name] = a["pop_counts"][:, pid].copy()
            res.sizes[name] = hi - lo
        for name in self.spike_pops:
            gi, lo, hi, _ = plan.pop_index[name]
            n = int(a[f"mon{gi}_n"][0])
            steps, idx = a[f"mon{gi}_t"][:n], a[f"mon{gi}_i"][:n]
            keep = (idx >= lo) & (idx < hi)
            res.spikes[name] = SpikeTrains((steps[keep] + 1) * self.dt, (idx[keep] - lo).astype(np.int64), hi - lo)
        for k, (key, _, idx, every, _) in enumerate(self.state_monitors):
            buf = a[f"smon{k}_buf"]
            res.traces[key] = buf
            res.trace_times[key] = (s_run0 + every * np.arange(1, buf.shape[0] + 1)) * self.dt
            res.trace_indices[key] = idx
        return res

    # ---- state access -------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> np.ndarray:
        """Current value of ``"pop.var"`` (a copy), e.g. ``runner["E.V"]``."""
        owner, _, var = key.rpartition(".")
        if owner not in self.plan.pop_index:
            raise KeyError(f"no population named {owner!r}; known: {sorted(self.plan.pop_index)}")
        gi, lo, hi, _ = self.plan.pop_index[owner]
        if var not in self.plan.groups[gi].state:
            raise KeyError(f"population {owner!r} has no variable {var!r}")
        if self.engine == "jax":
            return np.asarray(self.carry[f"g{gi}_{var}"][lo:hi])
        return self.arrays[f"g{gi}_{var}"][lo:hi].copy()

    @property
    def t(self) -> float:
        """Current time (ms)."""
        return self.step * self.dt
