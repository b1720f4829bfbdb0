"""The runner: build a network once, compile it once, run it in chunks, continue where the last run stopped.

Every argument is checked where it enters (``Runner(...)``, ``run(...)``), before anything is built or
allocated: a bad value raises a :class:`~spikeloom.ModelDefinitionError` naming the argument (and the
population or monitor it belongs to), and a run whose records would not fit in memory raises a
:class:`~spikeloom.ResourceError` with the estimate, before allocating them. Ctrl-C during a run stops it at
the end of the current chunk; the run returns what was simulated (``result.interrupted``).
"""

from __future__ import annotations

import math
import os
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
from ..plasticity import Histogram
from ..plasticity.histogram import bin_counts
from . import checkpoint
from .recording import Chunk, FileRecorder, Layout, MemoryRecorder
from .result import Result

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
MEMORY_FIX = ("record fewer variables or neurons, stream the records to a file (record_to), or run in shorter "
              "pieces (a runner continues where it stopped)")
#: steps of the first chunk of a run (CPU engine); later chunks are sized to take about CHUNK_WALL_S seconds
FIRST_CHUNK_STEPS = 1000
CHUNK_WALL_S = 0.5


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
    record_to:
        A file path: every run streams its records into this HDF5 file after each chunk (chunked, compressed
        datasets; :mod:`spikeloom.run.recording`), so memory stays bounded by a chunk, and returns a
        :class:`Result` that reads them from the file on access. The first run replaces the file, later runs
        append to it; a process killed during a run leaves every completed chunk readable
        (``Result.from_hdf5``). ``None`` (default): records are kept in memory.

    ``dt`` and durations are numbers of ms or brainunit times; input currents numbers of pA or brainunit
    currents. ``seed`` is an integer in ``[0, 2**32 - 1]``.
    """

    def __init__(self, net: Network, *, dt: float = 0.1, monitors=(), inputs: dict | None = None, seed: int = 0,
                 engine: str = "cpu", precision: str = "float32", progress: bool | None = None,
                 parallel: bool | None = None, device: str | None = None, event_capacity: int | None = None,
                 surrogate=None, record_to=None):
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
        self.plan: Plan = self._build_plan(net)
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
            if self.histogram_monitors:  # histograms are taken between chunks: chunks that divide their period
                period = math.gcd(*(m[3] for m in self.histogram_monitors))
                self.program.chunk = -(-period // -(-period // self.program.chunk))
            self.carry = self.program.initial_carry()
            self.arrays = {}
        else:
            from ..engines.numba import NumbaProgram
            from ..engines.numba.codegen import MonitorLayout

            layout = MonitorLayout(spike_groups=spike_groups, states=[m[1] for m in self.state_monitors],
                                   histograms=[m[1] for m in self.histogram_monitors])
            self.program = NumbaProgram(self.plan, layout, parallel)
            self.arrays = self._persistent_arrays()
            if self.program.parallel:
                self._thread_splits()
        self.spike_groups = spike_groups
        self.compile_s = None
        self._initial_spike_capacity: int | None = None  # None: sized for ~50 Hz, grown on demand
        self._aborted = False  # a KeyboardInterrupt left the state somewhere in a chunk: the step is unknown
        self._recorder = None if record_to is None else FileRecorder(_record_path(record_to), self._layout())
        self._recording = False  # the record file has been created (or continued) by a run
        self._resume_positions = None  # rows of the record file to keep, from a loaded checkpoint
        self._input_origin = None  # a loaded checkpoint's input start: the next run continues those inputs
        self._run_origin = None  # the step at which the inputs of the current (or last) run started
        self.checkpoint_metadata = None  # metadata of the loaded checkpoint

    def _build_plan(self, net: Network) -> Plan:
        return build_plan(net, self.dt, self.seed, self.dtype)

    # ---- monitors -------------------------------------------------------------------------------------
    def _parse_monitors(self, monitors):
        plan = self.plan
        self.spike_pops: list[str] = []
        self.state_monitors: list[tuple[str, str, np.ndarray, int, float]] = []  # key, array, idx, every, offset
        self.histogram_monitors: list[tuple[str, str, np.ndarray, int]] = []  # key, array, edges, every
        seen = set()
        for spec in _monitor_list(monitors):
            key, indices, every = _monitor_spec(spec)
            if (key, isinstance(indices, Histogram)) in seen:
                raise ModelDefinitionError(f"monitor {key!r} is given twice; give each variable once (one index list)")
            seen.add((key, isinstance(indices, Histogram)))
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
                if pg.plastic is not None and var in pg.plastic.state:
                    self._plastic_monitor(key, pi, var, indices, every)
                    continue
                if isinstance(indices, Histogram):
                    raise ModelDefinitionError(f"monitor {key!r}: a Histogram records a per-synapse variable of a "
                                               "plastic projection")
                if var not in pg.state:
                    raise ModelDefinitionError(f"monitor {key!r}: synapse of {owner!r} has no variable {var!r}; "
                                               f"its variables: {list(pg.state) + list(pg.plastic.state if pg.plastic else [])}")
                seg = pg.projections[owner][0]
                array, base, size = f"pg{pi}_{var}", int(pg.seg_slot_lo[seg]), int(pg.seg_n[seg])
            else:
                raise ModelDefinitionError(f"monitor {key!r}: no population or projection named {owner!r}; known: "
                                           f"{sorted(plan.pop_index) + sorted(plan.proj_index)}")
            idx = _monitor_indices(indices, size, key)
            every = 1 if every is None else validate.integer(every, "every", owner=f"monitor {key!r}", low=1)
            self.state_monitors.append((key, array, idx, every, base))

    def _plastic_monitor(self, key: str, pi: int, var: str, indices, every) -> None:
        """A monitor of a plastic projection's per-synapse variable: synapses ``indices`` (the k-th entry of
        ``connections(name)`` in CSR order; None: all) every ``every`` steps, or a ``Histogram`` of all of them."""
        from ..engines.numba.codegen import plastic_array

        plastic = self.plan.pgroups[pi].plastic
        every = 1 if every is None else validate.integer(every, "every", owner=f"monitor {key!r}", low=1)
        if isinstance(indices, Histogram):
            self.histogram_monitors.append((key, plastic_array(pi, var), indices.edges, every))
            return
        idx = _monitor_indices(indices, plastic.csr_order.size, key)
        self.state_monitors.append((key, plastic_array(pi, var), plastic.csr_order[idx], every, 0))

    # ---- arrays handed to the compiled loop ---------------------------------------------------------------
    def _persistent_arrays(self) -> dict:
        plan, dtype, a = self.plan, self.dtype, {}
        for gi, g in enumerate(plan.groups):
            for k, v in g.state.items():
                g.state[k] = a[f"g{gi}_{k}"] = page_aligned(v)
            for k, v in g.params.items():
                a[f"g{gi}_p_{k}"] = dtype.type(v) if np.ndim(v) == 0 else v
            a[f"g{gi}_Iext"] = page_aligned(np.zeros(g.n, dtype))
            a[f"g{gi}_Isyn"] = page_aligned(np.zeros(g.n, dtype))
            a[f"g{gi}_spk"] = page_aligned(np.zeros(g.n, np.bool_))
            a[f"g{gi}_ring_cnt"] = np.zeros(g.ring_depth, np.int64)
            a[f"g{gi}_ring_idx"] = np.zeros((g.ring_depth, g.n), np.int32)
            a[f"g{gi}_pop_ids"] = g.pop_ids
            if g.generator_events is not None:
                a[f"g{gi}_ev_step"], a[f"g{gi}_ev_idx"] = g.generator_events
                a[f"g{gi}_ev_ptr"] = np.zeros(1, np.int64)
        for pi, pg in enumerate(plan.pgroups):
            for k, v in pg.state.items():
                pg.state[k] = a[f"pg{pi}_{k}"] = page_aligned(v)
            for k, v in pg.seg_params.items():
                a[f"pg{pi}_sp_{k}"] = v
            a.update({f"pg{pi}_seg_n": pg.seg_n, f"pg{pi}_seg_slot_lo": pg.seg_slot_lo,
                      f"pg{pi}_seg_post_lo": pg.seg_post_lo, f"pg{pi}_offsets": pg.offsets,
                      f"pg{pi}_rowptr": pg.rowptr, f"pg{pi}_col": pg.col,
                      f"pg{pi}_w": dtype.type(pg.weight) if np.ndim(pg.weight) == 0 else pg.weight})
            if pg.plastic is not None:
                a.update(pg.plastic.engine_arrays(pi, dtype))
            if pg.operator is not None:
                n_slots = int(pg.seg_n.sum())
                a.update({f"pg{pi}_{k}": v for k, v in pg.operator.engine_arrays(n_slots, dtype).items()})
        a["op_lo"] = np.array([op[2] if op[0] == "neurons" else 0 for op in plan.schedule], np.int64)
        a["op_hi"] = np.array([op[3] if op[0] == "neurons" else 0 for op in plan.schedule], np.int64)
        return a

    def _thread_splits(self) -> None:
        """How the threaded operations are dealt to the parts, one per Numba thread now: each neuron operation's
        blocks, and each threaded delivery's rows cut at the same neurons (``op_lo``/``op_hi`` as they are
        now: a distributed run calls this again once it has restricted them)."""
        import numba

        from ..engines.numba.codegen import (THREAD_HEAD_START, _fused_deliveries, _threaded_deliveries, thread_parts,
                                             thread_splits)

        parts, plan, a = max(2, numba.get_num_threads()), self.plan, self.arrays
        threaded = _threaded_deliveries(plan)
        fused = _fused_deliveries(plan, threaded)
        edges = {}
        for oi, op in enumerate(plan.schedule):
            if op[0] == "neurons":
                gi = op[1]
                head = THREAD_HEAD_START if fused.get(oi) else 0
                first, blocks, edges[gi] = thread_parts(int(a["op_lo"][oi]), int(a["op_hi"][oi]), plan.groups[gi].n,
                                                        parts, head)
                a[f"op{oi}_parts_scratch"], a[f"op{oi}_blocks_scratch"] = first, blocks
                # the spikes of each block (offsets in the block) and their number
                a[f"op{oi}_spk_scratch"] = np.zeros((len(blocks) - 1, max(1, int(np.diff(blocks).max(initial=0)))),
                                                   np.int32)
                a[f"op{oi}_nspk_scratch"] = np.zeros(len(blocks) - 1, np.int64)
        for pis in threaded.values():
            for pi in pis:
                pg = plan.pgroups[pi]
                a[f"pg{pi}_tsplit_scratch"] = thread_splits(pg, edges[pg.post])
        if getattr(self.program, "persistent", False):  # threads that live for a chunk: one part each
            from ..engines.numba.persistent import sync_array

            for gi in edges:
                a[f"g{gi}_pring_scratch"] = np.zeros((a[f"g{gi}_ring_cnt"].shape[0], parts, 2), np.int64)
                a[f"in{gi}_pptr_scratch"] = np.zeros(parts, np.int64)
            # a part's counts per population, rows 64 bytes apart or more (no line shared by two parts)
            a["pcount_scratch"] = np.zeros((parts, len(plan.pop_index) + 16), np.int32)
            a["sync_scratch"] = sync_array(parts)

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

    def _input_tables(self, inputs: dict, n_steps: int, origin: int | None = None) -> dict:
        """Per group: sections sorted by absolute start step (counted from step ``origin``, default the current
        step), with neuron ranges and flattened values; sections that started before this run are applied at
        its first step."""
        origin = self.step if origin is None else origin
        per_group: dict[int, list] = {gi: [] for gi in range(len(self.plan.groups))}
        for name, spec in inputs.items():
            gi, lo, hi, _ = self.plan.pop_index[name]
            for start, values in to_sections(spec, hi - lo, self.dt, name):
                if origin + start < self.step + n_steps:
                    per_group[gi].append((origin + start, lo, hi, values))
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
    def run(self, duration: float | None = None, inputs=None, *, checkpoint=None, checkpoint_every: float | None = None,
            checkpoint_metadata: dict | None = None) -> Result:
        """Run for ``duration`` ms (or a brainunit time) from the current state; return what the monitors
        recorded.

        ``inputs``: for a network whose ``update`` takes an input, the value of that input (a number, or an
        array with one value per step, whose length sets the duration if none is given); otherwise a dict
        population -> current that replaces the runner's default inputs for this run.

        The loop runs in chunks of about 0.5 s. With ``record_to`` (see the class), each chunk's records are
        appended to that file as soon as the chunk ends and the result reads them from the file on access;
        otherwise they are kept in memory. ``checkpoint``: a path that :meth:`save_checkpoint` writes at the end
        of the run and, with ``checkpoint_every`` (ms of simulated time), every that often during it (each
        write replaces the last atomically); ``checkpoint_metadata`` is stored with it.

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
        s_run0 = self.step
        schedule = _Schedule(self, checkpoint, checkpoint_every, checkpoint_metadata, s_run0)
        if self._recorder is None:  # a streamed run holds one chunk of records at a time
            self._check_memory(duration, n_steps)
        origin = s_run0 if self._input_origin is None else self._input_origin
        tables = self._input_tables(run_inputs, n_steps, origin)
        self._input_origin, self._run_origin = None, origin
        records = self._open_records(s_run0, n_steps)
        with _StopOnInterrupt() as stop:
            try:
                go = self._run_jax if self.engine == "jax" else self._run_numba
                compile_s, run_s, histograms = go(tables, s_run0, n_steps, stop, records, schedule)
            except BaseException as err:
                self._aborted = isinstance(err, KeyboardInterrupt)
                if records is self._recorder:
                    records.abandon()
                raise
        n_done = self.step - s_run0
        if records is self._recorder:
            records.close(compile_s, run_s, n_done < n_steps)
            res = records.result()
        else:
            res = records.result(compile_s, run_s)
        self._collect_histograms(res, histograms, s_run0, n_done)
        res.interrupted = n_done < n_steps
        schedule.finish()
        return res

    def _open_records(self, s_run0: int, n_steps: int):
        """Where this run's records go: the runner's record file (created, or cut to a checkpoint's positions,
        on the first run) or memory."""
        rec = self._recorder
        if rec is None:
            return MemoryRecorder(self._layout(), s_run0 * self.dt, n_steps)
        if self._resume_positions is not None:
            rec.resume(self._resume_positions, s_run0 * self.dt)
        elif not self._recording:
            rec.create(s_run0 * self.dt)
        self._resume_positions, self._recording = None, True
        rec.open()
        return rec

    def _layout(self) -> Layout:
        state = self.carry if self.engine == "jax" else self.arrays
        return Layout(dt=self.dt, sizes={p: hi - lo for p, (_, lo, hi, _) in self.plan.pop_index.items()},
                      spike_pops=list(self.spike_pops),
                      traces={key: (idx, np.dtype(state[array].dtype), every)
                              for key, array, idx, every, _ in self.state_monitors})

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

    def _run_numba(self, tables: dict, s_run0: int, n_steps: int, stop: "_StopOnInterrupt", records,
                   schedule: "_Schedule") -> tuple[float, float, dict]:
        """Run in chunks of about :data:`CHUNK_WALL_S` s; the monitor buffers hold one chunk, handed to
        ``records`` when it ends. Chunk ends are multiples of every monitor's ``every`` from the start of the
        run, so samples fall on the steps they would fall on in one chunk."""
        a = self.arrays
        a.update(tables)
        align = math.lcm(1, *(m[3] for m in self.state_monitors), *(m[3] for m in self.histogram_monitors))
        chunk = _aligned(min(n_steps, FIRST_CHUNK_STEPS), align)
        self._chunk_buffers(chunk, fresh=True)
        dt = self.dtype.type(self.dt)
        compile_s = 0.0
        if self.compile_s is None:
            compile_s = self.compile_s = self.program.compile(s_run0, self.seed, dt, a)
        histograms = [[] for _ in self.histogram_monitors]
        t0 = time.perf_counter()
        s, s_end, bar = s_run0, s_run0 + n_steps, None
        while s < s_end and not self._stopping(stop.requested):
            c0 = time.perf_counter()
            stop_at = min(s + chunk, s_end, schedule.due(align))
            self._chunk_buffers(stop_at - s)
            reached = s
            while reached < stop_at:
                reached, status, gi, idx = self._advance(reached, stop_at, s, dt, a)
                if status == Status.spike_buffer_full:
                    self._grow_spike_buffer(gi, reached)
                elif status == Status.nonfinite_state:
                    self.step = reached
                    raise SimulationError(self._nonfinite_message(reached, gi, idx, lambda name: a[name]))
            done = stop_at - s
            records.append(self._numba_chunk(s, done))
            for k, m in enumerate(self.histogram_monitors):
                histograms[k].append(a[f"hmon{k}_buf"][: done // m[3]].copy())
            s = self.step = stop_at
            schedule.reached(s)
            bar = self._progress(bar, done, time.perf_counter() - c0, s - s_run0, n_steps)
            # chunks of about 0.5 s keep the progress bar live (and Ctrl-C prompt) without costing speed
            chunk = self._agreed_chunk(
                _aligned(max(1, int(done * CHUNK_WALL_S / max(time.perf_counter() - c0, 1e-9))), align))
        if bar is not None:
            bar.close()
        joined = {f"hmon{k}_buf": np.concatenate(parts) if parts else a[f"hmon{k}_buf"][:0]
                  for k, parts in enumerate(histograms)}
        return compile_s, time.perf_counter() - t0, joined

    def _stopping(self, requested: bool) -> bool:
        """Whether the run stops at the end of this chunk (Ctrl-C was pressed)."""
        return requested

    def _agreed_chunk(self, steps: int) -> int:
        """The next chunk's length (a distributed runner's ranks agree on it)."""
        return steps

    def _advance(self, s0: int, s1: int, s_chunk0: int, dt, a: dict) -> tuple[int, int, int, int]:
        """Run steps ``s0 <= s < s1`` of the chunk that began at ``s_chunk0``: ``(step reached, status, group,
        index)`` of the compiled loop (a distributed runner exchanges spikes in between)."""
        return self.program(s0, s1, s_chunk0, self.seed, dt, a)

    def _chunk_buffers(self, steps: int, fresh: bool = False) -> None:
        """Monitor buffers for a chunk of ``steps`` (allocated when the chunk outgrows them, with room to spare,
        else cleared)."""
        a = self.arrays
        if fresh or a["pop_counts"].shape[0] < steps:
            cap = steps if fresh else int(1.25 * steps)
            a["pop_counts"] = np.zeros((cap, len(self.plan.pop_index)), np.int32)
            for k, (_, array, idx, every, base) in enumerate(self.state_monitors):
                a[f"smon{k}_buf"] = np.zeros((cap // every, idx.size), a[array].dtype)
                a[f"smon{k}_idx"] = idx + base
            a["smon_every"] = np.array([m[3] for m in self.state_monitors] or [1], np.int64)
            a.update(self._histogram_buffers(cap))
            for gi in self.spike_groups:
                size = self._spike_capacity(gi, cap)
                if fresh or a[f"mon{gi}_t"].size < size:
                    a[f"mon{gi}_t"], a[f"mon{gi}_i"] = np.empty(size, np.int64), np.empty(size, np.int32)
        else:
            a["pop_counts"][:steps] = 0
            for k in range(len(self.histogram_monitors)):
                a[f"hmon{k}_buf"][:] = 0
        for gi in self.spike_groups:
            a[f"mon{gi}_n"] = np.zeros(1, np.int64)

    def _numba_chunk(self, s0: int, n: int) -> Chunk:
        """The records of steps ``s0 .. s0 + n - 1`` from the CPU engine's buffers, by population."""
        a = self.arrays
        events = {gi: (a[f"mon{gi}_t"][: int(a[f"mon{gi}_n"][0])], a[f"mon{gi}_i"][: int(a[f"mon{gi}_n"][0])])
                  for gi in self.spike_groups}
        traces = [a[f"smon{k}_buf"][: n // m[3]].copy() for k, m in enumerate(self.state_monitors)]
        return self._chunk(s0, n, a["pop_counts"][:n], events, traces, [m[3] - 1 for m in self.state_monitors])

    def _chunk(self, s0: int, n: int, counts: np.ndarray, events: dict, traces: list, first: list) -> Chunk:
        """A :class:`Chunk` from engine records: per-step counts (steps x populations), spike events per group
        (absolute steps, group indices), and per state monitor its samples, taken at the end of steps ``s0 +
        first``, ``s0 + first + every``, ..."""
        plan, dt = self.plan, self.dt
        chunk = Chunk(n, {p: counts[:n, pid].astype(np.int32) for p, (_, _, _, pid) in plan.pop_index.items()},
                      {}, {}, {})
        for name in self.spike_pops:
            gi, lo, hi, _ = plan.pop_index[name]
            steps, idx = events[gi]
            keep = (idx >= lo) & (idx < hi)
            chunk.spikes[name] = ((steps[keep] + 1) * dt, (idx[keep] - lo).astype(np.int64))
        for (key, _, _, every, _), rows, o in zip(self.state_monitors, traces, first):
            chunk.traces[key] = rows
            chunk.trace_times[key] = (s0 + o + 1 + every * np.arange(rows.shape[0])) * dt
        return chunk

    def _run_jax(self, tables: dict, s_run0: int, n_steps: int, stop: "_StopOnInterrupt", records,
                 schedule: "_Schedule") -> tuple[float, float, dict]:
        prog = self.program
        inp_carry, inp_args = prog.input_carry(tables)
        args = {**prog.args, **inp_args, "seed": prog._put(np.uint32(self.seed))}
        self.carry = {**self.carry, **inp_carry}
        t0 = time.perf_counter()
        bar, compile_s, s_end = [None, t0], 0.0, s_run0 + n_steps
        hists = [[] for _ in self.histogram_monitors]

        def chunk_done(done, ys, carry):
            records.append(self._jax_chunk(ys, self.step, done, s_run0))
            self.carry, self.step = carry, self.step + done
            for k, (_, array, edges, every) in enumerate(self.histogram_monitors):
                if (self.step - s_run0) % every == 0:  # a sample step: every run call ends at the next one
                    hists[k].append(bin_counts(np.asarray(carry[array]), edges.astype(self.dtype)))
            bar[0] = self._progress(bar[0], done, time.perf_counter() - bar[1], self.step - s_run0, n_steps)
            bar[1] = time.perf_counter()
            return stop.requested  # JaxProgram.run stops after this chunk when asked

        while self.step < s_end and not stop.requested:
            upto = min(s_end, schedule.due(1), *(s_run0 + m[3] * ((self.step - s_run0) // m[3] + 1)
                                                 for m in self.histogram_monitors))
            carry, _, seconds, nan = prog.run(self.carry, args, self.step, upto - self.step, chunk_done, keep=False)
            compile_s += seconds
            if nan is not None:
                self.carry, self.step = carry, nan[0]
                raise SimulationError(self._nonfinite_message(*nan, lambda name: np.asarray(carry[name])))
            schedule.reached(self.step)
        if bar[0] is not None:
            bar[0].close()
        if self.compile_s is None:
            self.compile_s = compile_s
        return compile_s, time.perf_counter() - t0 - compile_s, {
            f"hmon{k}_buf": np.array(h, np.int64).reshape(len(h), m[2].size - 1)
            for k, (h, m) in enumerate(zip(hists, self.histogram_monitors))}

    def _jax_chunk(self, ys: dict, s0: int, n: int, s_run0: int) -> Chunk:
        """The records of one JAX chunk (steps ``s0 .. s0 + n - 1``); state samples are kept every ``every``
        steps counted from the start of the run."""
        events = {}
        for gi in self.spike_groups:
            steps, idx = self.program.spike_events([ys], gi)
            events[gi] = (steps + s0, idx)
        first = [(every - 1 - (s0 - s_run0)) % every for _, _, _, every, _ in self.state_monitors]
        traces = [ys[f"smon{k}"][o::m[3]] for k, (m, o) in enumerate(zip(self.state_monitors, first))]
        return self._chunk(s0, n, ys["counts"], events, traces, first)

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

    def _histogram_buffers(self, n_steps: int) -> dict:
        """Buffers of the histogram monitors for a run of ``n_steps``: one row of counts per sample."""
        a = {"hmon_every": np.array([m[3] for m in self.histogram_monitors] or [1], np.int64)}
        for k, (_, _, edges, every) in enumerate(self.histogram_monitors):
            a[f"hmon{k}_buf"] = np.zeros((n_steps // every, edges.size - 1), np.int64)
            a[f"hmon{k}_edges"] = edges.astype(self.dtype)
        return a

    def _collect_histograms(self, res: Result, a: dict, s_run0: int, n_steps: int) -> None:
        """Histogram records of a run into ``res`` (counts per sample, edges, sample times in ms)."""
        for k, (key, _, edges, every) in enumerate(self.histogram_monitors):
            res.histograms[key] = a[f"hmon{k}_buf"][: n_steps // every]
            res.histogram_edges[key] = edges
            res.histogram_times[key] = (s_run0 + every * np.arange(1, res.histograms[key].shape[0] + 1)) * self.dt

    # ---- state access -------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> np.ndarray:
        """Current value of ``"pop.var"`` (a copy), e.g. ``runner["E.V"]``, or of the synapse state
        ``"proj.var"`` into which a projection delivers (per post-synaptic neuron of its segment, as a monitor
        of it records); an unknown name raises :class:`~spikeloom.UnknownKeyError` (a ``KeyError``)."""
        name, lo, hi = self._state_slice(key, f"runner[{key!r}]")
        if self.engine == "jax":
            return np.array(self.carry[name][lo:hi])
        return self.arrays[name][lo:hi].copy()

    def get(self, key: str) -> np.ndarray:
        """``runner.get("E.V")`` is ``runner["E.V"]``."""
        return self[key]

    def set(self, key: str, values) -> None:
        """Set state variable ``key`` (as in :meth:`get`) to ``values`` (one number for all, or one per neuron,
        in the variable's canonical unit or a brainunit quantity) before the next run; the run goes on from the
        new state. Values are checked finite and stored in the run's float type."""
        where = f"runner.set({key!r})"
        name, lo, hi = self._state_slice(key, where)
        new = validate.real_array(values, "values", owner=where)
        if new.ndim > 1 or (new.ndim == 1 and new.size != hi - lo):
            raise ModelDefinitionError(f"{where}: values must be one number or {hi - lo} values (one per element), "
                                       f"got shape {new.shape}")
        if self.engine == "jax":
            current = np.array(self.carry[name])
            current[lo:hi] = new
            self.carry[name] = self.program._put(current)
        else:
            self.arrays[name][lo:hi] = new

    __setitem__ = set

    def _state_slice(self, key, where: str) -> tuple[str, int, int]:
        """(engine array, lo, hi) of ``"pop.var"`` or ``"proj.var"``."""
        if not isinstance(key, str) or "." not in key:
            raise UnknownKeyError(f"{where}: expected 'population.variable' (e.g. 'E.V') or 'projection.variable'")
        owner, _, var = key.rpartition(".")
        plan = self.plan
        if owner in plan.pop_index:
            gi, lo, hi, _ = plan.pop_index[owner]
            if var not in plan.groups[gi].state:
                raise UnknownKeyError(f"{where}: population {owner!r} has no variable {var!r}; its variables: "
                                      f"{list(plan.groups[gi].state)}")
            return f"g{gi}_{var}", lo, hi
        if owner in plan.proj_index:
            pi = plan.proj_index[owner]
            pg = plan.pgroups[pi]
            if var not in pg.state:
                raise UnknownKeyError(f"{where}: the synapse of projection {owner!r} has no variable {var!r}; its "
                                      f"variables: {list(pg.state)}")
            lo = int(pg.seg_slot_lo[pg.projections[owner][0]])
            return f"pg{pi}_{var}", lo, lo + int(pg.seg_n[pg.projections[owner][0]])
        raise UnknownKeyError(f"{where}: no population or projection named {owner!r}; populations: "
                              f"{sorted(plan.pop_index)}, projections: {sorted(plan.proj_index)}")

    def connections(self, name: str) -> Connections:
        """The built synapses of stored or graded projection ``name`` (a gap junction's halves are ``"gap.ab"``
        and ``"gap.ba"``): ``weight, delay = runner.connections("E2E")``, two ``scipy.sparse.csr_array`` of shape
        (n_pre, n_post) with one entry per synapse (weights in the projection's unit, delays in ms on the dt
        grid), read back from the plan (:func:`~spikeloom.network.build.stored_connections`). Procedural
        projections: ``sl.materialize``."""
        self._sync_plastic(name)
        return stored_connections(self.plan, name)

    def _plastic_group(self, name: str, where: str):
        """The plastic group of projection ``name`` (an error naming ``where`` if there is none)."""
        if name not in self.plan.proj_index:
            raise UnknownKeyError(f"{where}({name!r}): no projection named {name!r}; known: "
                                  f"{sorted(self.plan.proj_index)}")
        pi = self.plan.proj_index[name]
        if self.plan.pgroups[pi].plastic is None:
            raise ModelDefinitionError(f"{where}({name!r}): the projection has no plasticity; its weights are fixed "
                                       "when the network is built")
        return pi, self.plan.pgroups[pi]

    def _sync_plastic(self, name: str) -> None:
        """JAX engine: copy the current weights of a plastic projection from the device into the plan."""
        if self.engine != "jax" or name not in self.plan.proj_index:
            return
        pi = self.plan.proj_index[name]
        if self.plan.pgroups[pi].plastic is not None:
            self.plan.pgroups[pi].weight[:] = np.asarray(self.carry[f"pg{pi}_w"])

    def set_weights(self, name: str, values) -> None:
        """Set the weights of plastic projection ``name`` (its unit) before the next run: a
        ``scipy.sparse`` matrix of the sparsity of ``connections(name)`` (entry by entry, multapses in their
        order), or a 1-D array in the CSR order of ``connections(name)``. The rule's other state is kept."""
        pi, pg = self._plastic_group(name, "set_weights")
        order = pg.plastic.csr_order
        if hasattr(values, "tocsr"):
            current = self.connections(name).weight
            given = values.tocsr()
            if (given.shape != current.shape or given.nnz != current.nnz
                    or not np.array_equal(given.indptr, current.indptr) or not np.array_equal(given.indices, current.indices)):
                raise ModelDefinitionError(f"set_weights({name!r}): the matrix must have the sparsity of "
                                           f"connections({name!r}) ({current.nnz} entries, shape {current.shape}), "
                                           "entry by entry")
            values = given.data
        w = validate.real_array(values, "values", owner=f"set_weights({name!r})", shape=(order.size,))
        bounds = pg.plastic.rule.weight_bounds()
        if bounds is not None and w.size and (w.min() < bounds[0] or w.max() > bounds[1]):
            raise ModelDefinitionError(f"set_weights({name!r}): values in [{w.min():g}, {w.max():g}] reach outside "
                                       f"[w_min, w_max] = [{bounds[0]:g}, {bounds[1]:g}]")
        self._sync_plastic(name)
        pg.weight[order] = w.astype(self.dtype)
        if self.engine == "jax":
            self.carry[f"pg{pi}_w"] = self.program._put(pg.weight.copy())

    # ---- checkpoints ----------------------------------------------------------------------------------------
    def save_checkpoint(self, path, metadata: dict | None = None) -> None:
        """Write every piece of this runner's state to ``path`` (HDF5, atomically), so that
        :meth:`from_checkpoint` continues in another process with exactly the spikes of an uninterrupted run:
        the state arrays the compiled loop mutates (:mod:`spikeloom.run.checkpoint`), the step, seed, dt,
        precision, engine, a fingerprint of the network, the start of the current inputs and the rows of the
        record file. ``metadata``: JSON-serializable facts to keep with it (read back as
        ``runner.checkpoint_metadata``)."""
        if self._aborted:
            raise SimulationError("save_checkpoint: an earlier run was aborted in the middle of a chunk; this "
                                  "runner's state is not that of any step")
        if self.engine == "jax":
            state = {k: np.asarray(v) for k, v in self.carry.items() if k not in checkpoint.RUN_CARRY}
        else:
            state = checkpoint.cpu_state(self.arrays)
        attrs = {"step": self.step, "seed": self.seed, "dt": self.dt, "precision": self.dtype.name,
                 "engine": self.engine, "fingerprint": checkpoint.fingerprint(self.plan),
                 "network": checkpoint.describe(self.plan),
                 "input_origin": self.step if self._run_origin is None else self._run_origin}
        positions = self._recorder.positions() if self._recording else {}
        checkpoint.write(path, attrs, state, positions, metadata)

    @classmethod
    def from_checkpoint(cls, path, net: Network, **kwargs) -> "Runner":
        """A runner of ``net`` in the state saved at ``path``: its next ``run`` continues the checkpointed run
        (its inputs keep their timeline) and, with ``record_to`` the file that run recorded into, appends to
        it (rows written after the checkpoint are dropped). ``kwargs`` are those of :class:`Runner`; dt, seed,
        engine and precision default to the checkpoint's and must equal them if given. A checkpoint of another
        network, or a bad or missing file, raises :class:`~spikeloom.ModelDefinitionError`."""
        saved = checkpoint.read(path)
        for key in ("dt", "seed", "engine", "precision"):
            kwargs.setdefault(key, saved.attrs[key])
        runner = cls(net, **kwargs)
        runner._restore(saved)
        return runner

    def load_checkpoint(self, path) -> None:
        """Put this runner into the state saved at ``path`` (see :meth:`from_checkpoint`)."""
        self._restore(checkpoint.read(path))

    def _restore(self, saved: "checkpoint.Checkpoint") -> None:
        where = f"checkpoint {saved.path!r}"
        mine = {"engine": self.engine, "precision": self.dtype.name, "seed": self.seed, "dt": self.dt}
        for key, value in mine.items():
            if saved.attrs[key] != value:
                raise ModelDefinitionError(f"{where} was written by a run with {key} = {saved.attrs[key]!r}; this "
                                           f"runner has {key} = {value!r} (resume with the same {key})")
        if saved.attrs["fingerprint"] != checkpoint.fingerprint(self.plan):
            raise ModelDefinitionError(f"{where} is of another network: it holds {saved.attrs['network']}; this "
                                       f"network has {checkpoint.describe(self.plan)}")
        if self.engine == "jax":
            current = {k: v for k, v in self.carry.items() if k not in checkpoint.RUN_CARRY}
        else:
            current = checkpoint.cpu_state(self.arrays)
        if set(current) != set(saved.arrays):
            raise ModelDefinitionError(f"{where} does not hold this runner's state arrays (differing: "
                                       f"{sorted(set(current) ^ set(saved.arrays))[:5]}); was it written by "
                                       "another version of spikeloom?")
        for k, value in saved.arrays.items():
            have = current[k]
            # event-index rings of the JAX engine are as wide as the event capacity was when saved
            same = np.shape(have) == value.shape or (k.endswith("_pidx") and np.shape(have)[:1] == value.shape[:1])
            if not same or np.dtype(have.dtype) != value.dtype:
                raise ModelDefinitionError(f"{where}: state array {k} has shape {value.shape} and type {value.dtype}, "
                                           f"this runner's {np.shape(have)} and {np.dtype(have.dtype)}")
        if self.engine == "jax":
            self.carry.update({k: self.program._put(v) for k, v in saved.arrays.items()})
        else:
            for k, value in saved.arrays.items():
                if np.ndim(self.arrays[k]) == 0:
                    self.arrays[k] = value[()]
                else:
                    self.arrays[k][...] = value
        self.step = int(saved.attrs["step"])
        self._input_origin = self._run_origin = int(saved.attrs["input_origin"])
        self._resume_positions = saved.positions
        self.checkpoint_metadata = saved.metadata

    @property
    def n_synapses(self) -> int:
        """Synapses of the network (stored, plus the expected number of procedural ones)."""
        return self.plan.n_synapses

    @property
    def t(self) -> float:
        """Current time (ms)."""
        return self.step * self.dt


# ---- argument helpers -----------------------------------------------------------------------------------------
def _record_path(path) -> str:
    """``record_to``: a file path whose folder exists."""
    if not isinstance(path, (str, os.PathLike)):
        raise ModelDefinitionError(f"Runner: record_to must be a file path, got {type(path).__name__} {path!r:.80}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ModelDefinitionError(f"Runner: record_to {os.fspath(path)!r}: the folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise ModelDefinitionError(f"Runner: record_to {os.fspath(path)!r} is a folder; give a file path")
    return os.fspath(path)


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


def page_aligned(array: np.ndarray) -> np.ndarray:
    """``array``, or for one of a page or more whose data does not start on a page boundary, a copy that does.
    NumPy aligns large arrays to 16 bytes, so the 32-byte vector loads of the neuron update straddled cache
    lines on some runs and not on others: serial COBA at 40 k neurons took 0.37-0.43 s per simulated second
    from run to run, and 0.36-0.37 s with its neuron and synapse state aligned (2 threads: 0.22-0.24 s, and
    0.216-0.220 s)."""
    page = 4096
    if array.nbytes < page or array.ctypes.data % page == 0:
        return array
    buffer = np.empty(array.nbytes + page, np.uint8)
    start = -buffer.ctypes.data % page
    out = buffer[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    out[...] = array
    return out


def _aligned(steps: int, align: int) -> int:
    """``steps`` rounded up to a multiple of ``align``."""
    return -(-steps // align) * align


class _Schedule:
    """When a run writes its checkpoint: every ``every`` ms of simulated time from the start of the run (at
    the first chunk end at or after each), and at its end."""

    def __init__(self, runner: Runner, path, every, metadata, s_run0: int):
        self.runner, self.path, self.metadata, self.next, self.s0 = runner, path, metadata, None, s_run0
        if path is None:
            if every is not None:
                raise ModelDefinitionError("Runner.run: checkpoint_every needs checkpoint (the file to write)")
            return
        if not isinstance(path, (str, os.PathLike)):
            raise ModelDefinitionError(f"Runner.run: checkpoint must be a file path, got {type(path).__name__}")
        if every is not None:
            every = validate.positive(every, "checkpoint_every", owner="Runner.run", unit="ms")
            self.every = max(1, int(round(every / runner.dt)))
            self.next = s_run0 + self.every

    def due(self, align: int) -> int:
        """The step at which the next chunk should end at the latest (a multiple of ``align`` from the start)."""
        if self.next is None:
            return 2**62
        return self.s0 + _aligned(self.next - self.s0, align)

    def reached(self, step: int) -> None:
        if self.next is not None and step >= self.next:
            self.runner.save_checkpoint(self.path, self.metadata)
            while self.next <= step:
                self.next += self.every

    def finish(self) -> None:
        if self.path is not None:
            self.runner.save_checkpoint(self.path, self.metadata)


# engines.jax.Simulation builds on the Runner, which it may not import (engines/runners.py): register it
from ..engines import runners as _runners  # noqa: E402

_runners.RUNNER = Runner
