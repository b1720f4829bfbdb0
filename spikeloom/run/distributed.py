"""Runs over MPI ranks (``mpiexec -n P``) with exactly the spikes of one process.

Every rank builds the whole plan from the same seed (same synapses, delays and initial states) and keeps its
structure, so the compiled loop, the group indices and every counter-based random number are those of one
process. What differs per rank:

- **Neurons**: the plan's neurons, in group order, are cut into one contiguous range per rank
  (:func:`neuron_ranges`): at a population boundary when one lies within 10 % of an equal share of the cost
  (neurons plus incoming synapses x 10^-3, i.e. delivery at ~10 Hz and dt = 0.1 ms costs as much per synapse
  as a neuron update per neuron), else inside the population at a multiple of 64 neurons. A rank updates only
  its range (each neuron operation's ``op_lo``/``op_hi``). Spike generators are cheap and replicated: every rank
  emits all their events.
- **Synapses**: a rank keeps the stored synapses onto its own neurons only (memory per rank ~1/P once the plan
  is built; building still draws them all), skips the procedural blocks that reach none of them, and delivers
  Poisson inputs, user operators and plastic projections in full (their extra targets are never read).
- **Spike exchange**: ``D`` = the smallest read offset of any delivery (the minimum delay in steps, plus one
  when the projection runs before its presynaptic population, as in the default schedule). After every
  interval of ``D`` steps (multiples of ``D`` from step 0) each rank sends the spikes its neurons emitted in
  those steps (``allgather``) and writes everyone's into its spike rings in the order one process records them
  (operation by operation, neuron index ascending). A delivery at step ``s`` reads steps ``<= s - D``, all
  exchanged, so each target receives the same additions in the same order as in one process: bit-identical
  sums. Graded projections and gap junctions read presynaptic state every step: their variables are exchanged
  after every step (``D = 1``).

Results: monitors record on every rank; :meth:`DistributedRunner.run` merges them (spikes and counts from
their neurons' ranks, each trace column from the rank that owns the neuron, synapse or slot) and returns the
same :class:`~spikeloom.run.result.Result` on every rank. With ``record_to``, every rank streams into its own
file (``<name>.ranks/rank<r>.h5``) and rank 0 merges them into ``record_to`` after every run. Checkpoints are
written per rank (``<name>.rank<r>-of-<P><suffix>``) and resume with the same number of ranks.
"""

from __future__ import annotations

import inspect
import os
import pathlib
import time

import numpy as np

from .._errors import EngineError, ModelDefinitionError, SimulationError
from ..network.build import Plan, build_plan
from ..network.build import _schedule_ops as schedule_ops
from .result import Result, SpikeTrains
from .runner import Runner

#: environment variables through which mpiexec (MPICH/Hydra, Open MPI, PMIx launchers) tells a process the
#: number of ranks; read first, so that a single-process run never imports mpi4py
SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")
#: a rank boundary moves to a population boundary when that stays within this share of a rank's cost
SNAP = 0.1
#: a boundary inside a population falls on a multiple of this many neurons of its group
ALIGN = 64
#: cost of an incoming synapse relative to a neuron update (see the module docstring)
SYNAPSE_COST = 1e-3


def world():
    """mpi4py's ``COMM_WORLD`` when this process was started by ``mpiexec`` with more than one rank, else
    None."""
    sizes = [os.environ.get(v, "") for v in SIZE_VARIABLES]
    if not any(s.isdigit() and int(s) > 1 for s in sizes):
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        raise EngineError("this process was started by mpiexec with several ranks, but mpi4py is not installed; "
                          "install it with: pip install 'spikeloom[mpi]'") from None
    comm = MPI.COMM_WORLD
    return comm if comm.Get_size() > 1 else None


def rank_path(path, rank: int, n_ranks: int) -> pathlib.Path:
    """The file of rank ``rank`` for a per-rank file named ``path``: ``a/checkpoint.h5`` ->
    ``a/checkpoint.rank0-of-2.h5``."""
    p = pathlib.Path(path)
    return p.with_name(f"{p.stem}.rank{rank}-of-{n_ranks}{p.suffix}")


def _expected_synapses(proj) -> float:
    """Synapses a projection is expected to have (0 for kinds without a connector that says)."""
    conn = getattr(proj, "conn", None)
    expect = getattr(conn, "expected_synapses", None)
    if expect is None:
        return 0.0
    if len(inspect.signature(expect).parameters) == 3:
        return float(expect(proj.pre.n, proj.post.n, proj.pre is proj.post))
    return float(expect(proj.pre.n, proj.post.n))


def population_costs(net) -> list[tuple[str, int, float]]:
    """(name, neurons, cost per neuron) of every population in order of definition; spike generators cost
    nothing (they are replicated)."""
    net.assign_names()
    into: dict[str, float] = {}
    for proj in net.projections().values():
        into[proj.post.name] = into.get(proj.post.name, 0.0) + _expected_synapses(proj)
    return [(pop.name, pop.n, 0.0 if getattr(type(pop), "is_generator", False)
             else 1.0 + SYNAPSE_COST * into.get(pop.name, 0.0) / max(pop.n, 1))
            for pop in net.populations().values()]


def _inseparable(net) -> tuple[list[tuple[int, int]], set[int]]:
    """Populations that must share a rank: the two ends of a graded projection that reads its presynaptic
    population after it was updated in the same step (LPU synapses), since state is exchanged between steps.
    Returns the spans ``[first, last]`` (in order of definition) that no rank boundary may cut, merged where
    they overlap, and the populations that may not be split."""
    names = list(net.populations())
    where = {n: i for i, n in enumerate(names)}
    updated, spans, whole = set(), [], set()
    for kind, obj, _ in schedule_ops(net):
        if kind == "neurons":
            updated.add(obj.name)
        elif getattr(obj, "storage", None) == "graded" and obj.pre.name in updated:
            a, b = sorted((where[obj.pre.name], where[obj.post.name]))
            spans.append([a, b])
            whole.update((a, b))
    merged = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [tuple(m) for m in merged], whole


def neuron_ranges(net, n_ranks: int) -> list[tuple[int, int]]:
    """One contiguous range of neurons per rank, in order of definition (populations one after the other),
    balanced by cost (see the module docstring); never cutting what :func:`_inseparable` keeps together."""
    costs = population_costs(net)
    spans, whole = _inseparable(net)
    starts = np.concatenate([[0], np.cumsum([n for _, n, _ in costs])]).astype(np.int64)
    n_total = int(starts[-1])
    cum = np.concatenate([[0.0], np.cumsum([n * per for _, n, per in costs])])
    inside = np.zeros(len(costs) + 1, bool)  # population boundary k lies inside a span
    for a, b in spans:
        inside[a + 1:b + 1] = True
    total, share = cum[-1], cum[-1] / n_ranks
    if total == 0:
        return [(0, 0)] * (n_ranks - 1) + [(0, n_total)]
    allowed = np.flatnonzero(~inside)
    cuts = [0]
    for k in range(1, n_ranks):
        target = k * share
        near = allowed[int(np.argmin(np.abs(cum[allowed] - target)))]
        p = min(int(np.searchsorted(cum, target, side="right")) - 1, len(costs) - 1)
        if abs(cum[near] - target) <= SNAP * share or p in whole or costs[p][2] == 0:
            cut = int(starts[near])
        else:  # inside population p, at a multiple of ALIGN of it
            inner = (target - cum[p]) / costs[p][2]
            cut = int(starts[p] + min(max(round(inner / ALIGN) * ALIGN, 0), costs[p][1]))
        cuts.append(max(cut, cuts[-1]))
    cuts.append(n_total)
    return [(int(cuts[r]), int(cuts[r + 1])) for r in range(n_ranks)]


def own_targets(net, rng: tuple[int, int]) -> dict[str, tuple[int, int]]:
    """Population name -> the part ``(lo, hi)`` of its neurons inside ``rng`` (neurons in order of
    definition)."""
    out, start = {}, 0
    for pop in net.populations().values():
        lo, hi = min(max(rng[0] - start, 0), pop.n), min(max(rng[1] - start, 0), pop.n)
        out[pop.name] = (lo, hi) if lo < hi else (0, 0)
        start += pop.n
    return out


def group_ranges(plan: Plan, parts: dict[str, tuple[int, int]]) -> list[tuple[int, int]]:
    """The neurons ``parts`` (population -> (lo, hi)) of a rank as one range of group indices per group (a
    range of consecutive populations in order of definition meets each group in one range)."""
    out = []
    for g in plan.groups:
        held = [(lo + parts[name][0], lo + parts[name][1]) for name, lo, _ in g.pops if parts[name][1] > parts[name][0]]
        if not held:
            out.append((0, 0))
            continue
        if any(a[1] != b[0] for a, b in zip(held, held[1:])):
            raise EngineError(f"distributed run: the part of group {g.model.__qualname__} of one rank is not one "
                              f"range ({held}); this partition cannot run")
        out.append((held[0][0], held[-1][1]))
    return out


def _read_offsets(plan: Plan) -> tuple[int, list[str]]:
    """The smallest read offset of any delivery that reads spike rings (1 with graded coupling, a large number
    with neither), and the projections whose offset is 0."""
    # (a stored group without synapses, e.g. none onto this rank's neurons, has one bucket at its lag)
    offsets = [int(pg.offsets.min()) for pg in plan.pgroups if pg.kind in ("projections", "procedural", "custom")
               and pg.offsets.size and (pg.kind != "projections" or pg.col.size)]
    if any(pg.kind == "graded" for pg in plan.pgroups):
        offsets.append(1)
    zero = sorted(n for pg in plan.pgroups if pg.offsets.size and pg.offsets.min() < 1 for n in pg.projections)
    return (min(offsets) if offsets else 1 << 30), zero


def delivery_interval(plan: Plan, offset: int | None = None, zero: list[str] | None = None) -> int:
    """Steps between spike exchanges: the smallest read offset of the plan's deliveries (or ``offset``, agreed
    by the ranks); a zero offset cannot be distributed."""
    if offset is None:
        offset, zero = _read_offsets(plan)
    if offset < 1:
        raise ModelDefinitionError(f"distributed run: projection(s) {zero} deliver a spike in the step it is "
                                   "emitted (zero delay, run after their presynaptic population), so the ranks "
                                   "cannot exchange spikes between steps; give them a delay of at least one step")
    return offset


def _cores_for_threads(comm) -> bool:
    """Whether each rank on this machine has two cores or more for threads. The ranks start together, so the
    load average that the automatic choice reads does not count them yet: 2 ranks of the Joglekar model on 2
    cores, each choosing 2 threads that wait actively, ran 7x slower than 2 serial ranks."""
    from mpi4py import MPI

    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    local = node.Get_size()
    node.Free()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores >= 2 * local


class DistributedRunner(Runner):
    """A :class:`Runner` of one MPI rank (see the module docstring); every rank of ``comm`` (default: the
    world of ``mpiexec``) must create it with the same network and arguments, then call the same methods."""

    def __init__(self, net, *, comm=None, record_to=None, **kwargs):
        comm = comm if comm is not None else world()
        if comm is None:
            raise EngineError("DistributedRunner: no MPI world of several ranks; start with mpiexec -n P, or use "
                              "Runner")
        if kwargs.get("engine", "cpu") != "cpu":
            raise EngineError("distributed runs use the CPU engine; the JAX engine runs on one device per "
                              "process (engine='cpu' under mpiexec)")
        self.comm, self.rank, self.n_ranks = comm, comm.Get_rank(), comm.Get_size()
        if kwargs.get("parallel") is None and not _cores_for_threads(comm):
            kwargs["parallel"] = False
        self.record_path = None if record_to is None else pathlib.Path(record_to)
        mine = None if record_to is None else self._rank_record_path()
        if self.rank != 0:
            kwargs["progress"] = False  # one progress bar, rank 0's
        self.ranges = neuron_ranges(net, self.n_ranks)
        super().__init__(net, record_to=mine, **kwargs)
        if self.histogram_monitors:
            raise EngineError("distributed run: Histogram monitors are not merged across ranks yet; monitor the "
                              "weights of chosen synapses instead")
        plan = self.plan
        stored = sum(pg.col.size for pg in plan.pgroups if pg.kind == "projections" and pg.plastic is None)
        self.total_synapses = plan.n_synapses - stored + comm.allreduce(stored)
        # a rank's stored synapses are its own, so the ranks agree on the smallest offset of all
        offsets = comm.allgather(_read_offsets(plan))
        self.interval = delivery_interval(plan, min(o for o, _ in offsets), sorted({n for _, z in offsets for n in z}))
        # every rank's neurons of every group, as group indices [lo, hi)
        self.group_ranges = [group_ranges(plan, own_targets(net, rng)) for rng in self.ranges]
        self.own = self.group_ranges[self.rank]
        self._restrict_operations()
        if getattr(self.program, "parallel", False):
            self._thread_splits()  # the parts follow the restricted ranges
        self._skip_unreached_blocks()
        self.exchanged = [gi for gi, g in enumerate(plan.groups) if g.ring_depth > 1 and g.generator_events is None]
        self.graded_vars = sorted({(pg.pre, pg.operator.variable) for pg in plan.pgroups if pg.kind == "graded"})
        self._op_position = self._recording_order()
        # time spent in exchanges (waiting for the slowest rank included), their number and the bytes sent
        self.exchange_s, self.exchanges, self.sent_bytes = 0.0, 0, 0

    # ---- partition ---------------------------------------------------------------------------------------------
    def _build_plan(self, net) -> Plan:
        """The whole plan, but of the stored synapses only those onto this rank's neurons."""
        plan = build_plan(net, self.dt, self.seed, self.dtype, keep_targets=own_targets(net, self.ranges[self.rank]))
        # every rank keeps each group's spikes as long as the deepest rank needs them, so that the spikes of a
        # whole interval are still in its rings when they are exchanged
        for g, depth in zip(plan.groups, np.max(self.comm.allgather([g.ring_depth for g in plan.groups]), axis=0)):
            g.ring_depth = int(depth)
        return plan

    def _rank_record_path(self) -> pathlib.Path:
        p = self.record_path
        folder = p.with_name(p.name + ".ranks")
        if self.rank == 0:
            folder.mkdir(parents=True, exist_ok=True)
        self.comm.Barrier()
        return folder / f"rank{self.rank}-of-{self.n_ranks}.h5"

    def _restrict_operations(self) -> None:
        a = self.arrays
        for oi, op in enumerate(self.plan.schedule):
            if op[0] != "neurons" or self.plan.groups[op[1]].generator_events is not None:
                continue
            own_lo, own_hi = self.own[op[1]]
            lo, hi = max(op[2], own_lo), min(op[3], own_hi)
            a["op_lo"][oi], a["op_hi"][oi] = (lo, hi) if lo < hi else (op[2], op[2])

    def _owned_slots(self, pg) -> np.ndarray:
        """Whether each target slot of projection group ``pg`` belongs to a neuron of this rank."""
        n_slots = int(pg.seg_n.sum())
        post = np.empty(n_slots, np.int64)
        for lo, plo, n in zip(pg.seg_slot_lo, pg.seg_post_lo, pg.seg_n):
            post[lo:lo + n] = plo + np.arange(n)
        own_lo, own_hi = self.own[pg.post]
        return (post >= own_lo) & (post < own_hi)

    def _skip_unreached_blocks(self) -> None:
        """Mark the procedural blocks that reach none of this rank's neurons as skipped (part -1)."""
        a = self.arrays
        for pi, pg in enumerate(self.plan.pgroups):
            if pg.kind == "procedural":
                owned = np.concatenate([[0], np.cumsum(self._owned_slots(pg))])
                b = pg.operator.blocks
                reach = owned[b["slot_lo"] + b["n_post"]] - owned[b["slot_lo"]]
                a[f"pg{pi}_b_part"] = np.where(reach > 0, a[f"pg{pi}_b_part"], -1)

    def _recording_order(self) -> dict[int, np.ndarray | None]:
        """Per exchanged group, the position of each neuron's operation in the schedule when the group's
        operations do not record in ascending index order (None when they do)."""
        order = {}
        for gi in self.exchanged:
            ops = [(op[2], op[3]) for op in self.plan.schedule if op[0] == "neurons" and op[1] == gi]
            if all(ops[k][1] <= ops[k + 1][0] for k in range(len(ops) - 1)):
                order[gi] = None
                continue
            pos = np.zeros(self.plan.groups[gi].n, np.int64)
            for k, (lo, hi) in enumerate(ops):
                pos[lo:hi] = k
            order[gi] = pos
        return order

    @property
    def n_synapses(self) -> int:
        return self.total_synapses

    # ---- the loop ------------------------------------------------------------------------------------------------
    def _stopping(self, requested: bool) -> bool:
        """Ctrl-C reaches every rank (mpiexec forwards it) but within different chunks: all stop at the end of
        the same chunk, once any rank saw it."""
        return bool(self.comm.allreduce(bool(requested), op=_mpi().LOR))

    def _agreed_chunk(self, steps: int) -> int:
        """Chunk lengths come from each rank's own speed: the ranks take the shortest, so chunks (and a stop)
        end at the same step everywhere."""
        return int(self.comm.allreduce(int(steps), op=_mpi().MIN))

    def _advance(self, s0, s1, s_chunk0, dt, a):
        """Run to ``s1`` in pieces that end on multiples of the interval, exchanging spikes at each of them."""
        d = 1 if self.graded_vars else self.interval
        s = s0
        while s < s1:
            end = min(s1, (s // d + 1) * d)
            reached, status, gi, idx = self.program(s, end, s_chunk0, self.seed, dt, a)
            if status == 2:  # non-finite state: tell the other ranks, then report it here
                self._exchange(reached, reached, failed=(reached, gi, idx))
                return reached, status, gi, idx
            if status:
                return reached, status, gi, idx
            if reached % d == 0:
                self._exchange(reached - d, reached)
            s = reached
        return s1, 0, 0, 0

    def _exchange(self, b0: int, b1: int, failed=None) -> None:
        """Give every rank the spikes of steps ``[b0, b1)`` of all ranks (and the graded variables): one
        ``Allgatherv`` of int64 ``[failed, step, group, index, counts (group-major), spike indices]``."""
        MPI = _mpi()
        t0 = time.perf_counter()
        a, comm = self.arrays, self.comm
        steps = np.arange(b0, b1)
        counts, spikes = [], []
        for gi in self.exchanged:
            cnt, idx = a[f"g{gi}_ring_cnt"], a[f"g{gi}_ring_idx"]
            slots = steps % cnt.shape[0]
            counts.append(cnt[slots])
            spikes.extend(idx[sl, :k] for sl, k in zip(slots, counts[-1]))
        head = np.array([0, 0, 0, 0] if failed is None else [1, *failed], np.int64)
        buf = np.concatenate([head, *counts, *spikes]).astype(np.int64)
        sizes = np.empty(self.n_ranks, np.int64)
        comm.Allgather(np.array([buf.size], np.int64), sizes)
        recv = np.empty(int(sizes.sum()), np.int64)
        comm.Allgatherv(buf, [recv, sizes, MPI.INT64_T])
        starts = np.concatenate([[0], np.cumsum(sizes)])
        heads = [recv[o:o + 4] for o in starts[:-1]]
        bad = [r for r, h in enumerate(heads) if h[0]]
        if bad:
            if failed is not None:
                return
            _, step, gi, i = heads[bad[0]]
            raise SimulationError(f"distributed run: rank {bad[0]} stopped at step {step}: a state of neuron {i} of "
                                  f"group {gi} became non-finite (see that rank's error)")
        n, g = steps.size, len(self.exchanged)
        per_rank = [recv[o + 4:o + 4 + g * n].reshape(g, n) for o in starts[:-1]]
        # where each rank's spike indices of group j, step t begin
        firsts = [o + 4 + g * n + np.concatenate([[0], np.cumsum(c.ravel())]).reshape(-1)[:-1].reshape(g, n)
                  if n else None for o, c in zip(starts[:-1], per_rank)]
        for j, gi in enumerate(self.exchanged):
            cnt, idx = a[f"g{gi}_ring_cnt"], a[f"g{gi}_ring_idx"]
            pos = self._op_position[gi]
            for t, step in enumerate(steps):
                merged = np.concatenate([recv[f[j, t]:f[j, t] + c[j, t]] for f, c in zip(firsts, per_rank)])
                if pos is not None and merged.size:
                    merged = merged[np.lexsort((merged, pos[merged]))]
                slot = step % cnt.shape[0]
                idx[slot, :merged.size] = merged
                cnt[slot] = merged.size
        if self.graded_vars:
            self._exchange_graded()
        self.exchange_s += time.perf_counter() - t0
        self.exchanges += 1
        self.sent_bytes += buf.nbytes

    def _exchange_graded(self) -> None:
        """Every rank's part of the variables that graded projections read, to every rank."""
        MPI = _mpi()
        a = self.arrays
        mine = np.concatenate([a[f"g{gi}_{var}"][slice(*self.own[gi])] for gi, var in self.graded_vars])
        sizes = np.array([sum(np.subtract(*self._own_of(r, gi)[::-1]) for gi, _ in self.graded_vars)
                          for r in range(self.n_ranks)], np.int64)
        recv = np.empty(int(sizes.sum()), mine.dtype)
        self.comm.Allgatherv(np.ascontiguousarray(mine), [recv, sizes, MPI._typedict[mine.dtype.char]])
        o = 0
        for r in range(self.n_ranks):
            for gi, var in self.graded_vars:
                lo, hi = self._own_of(r, gi)
                a[f"g{gi}_{var}"][lo:hi] = recv[o:o + hi - lo]
                o += hi - lo

    def _own_of(self, rank: int, gi: int) -> tuple[int, int]:
        return self.group_ranges[rank][gi]

    # ---- ownership of what monitors and get() read ----------------------------------------------------------------
    def _rank_of_neuron(self, gi: int, idx: np.ndarray) -> np.ndarray:
        """Rank that updates each neuron ``idx`` of group ``gi`` (0 for replicated spike generators)."""
        if self.plan.groups[gi].generator_events is not None:
            return np.zeros(np.size(idx), np.int64)
        ends = np.maximum.accumulate([hi if hi > lo else 0 for lo, hi in (r[gi] for r in self.group_ranges)])
        return np.minimum(np.searchsorted(ends, np.asarray(idx, np.int64), side="right"), self.n_ranks - 1)

    def _rank_of_element(self, array: str, idx: np.ndarray) -> np.ndarray:
        """Rank holding the true value of element ``idx`` of engine array ``array``: a neuron's, its target
        neuron's (synapse slots), or its post-synaptic neuron's (plastic per-synapse variables)."""
        idx = np.asarray(idx, np.int64)
        if array.startswith("pg"):
            pi = int(array[2:].split("_", 1)[0])
            pg = self.plan.pgroups[pi]
            if pg.plastic is not None and (array == f"pg{pi}_w" or array.startswith(f"pg{pi}_r_")):
                return self._rank_of_neuron(pg.post, pg.plastic.post_of[idx])
            seg = np.searchsorted(pg.seg_slot_lo, idx, side="right") - 1
            return self._rank_of_neuron(pg.post, pg.seg_post_lo[seg] + idx - pg.seg_slot_lo[seg])
        return self._rank_of_neuron(int(array[1:].split("_", 1)[0]), idx)

    def __getitem__(self, key: str) -> np.ndarray:
        name, lo, hi = self._state_slice(key, f"runner[{key!r}]")
        mine = super().__getitem__(key)
        every = np.stack(self.comm.allgather(mine))
        owner = self._rank_of_element(name, np.arange(lo, hi))
        return every[owner, np.arange(owner.size)]

    # ---- runs ------------------------------------------------------------------------------------------------
    def run(self, duration=None, inputs=None, *, checkpoint=None, **kwargs) -> Result:
        """:meth:`Runner.run` on every rank, then the merged result (the same on every rank); ``checkpoint`` is
        written per rank (see :meth:`save_checkpoint`)."""
        local = super().run(duration, inputs, checkpoint=checkpoint, **kwargs)
        merged = self._merge(self.comm.allgather(_in_memory(local)))
        if self.record_path is not None:
            self.comm.Barrier()  # every rank's file is closed
            if self.rank == 0:
                files = [self._rank_file(r) for r in range(self.n_ranks)]
                whole = self._merge([_in_memory(Result.from_hdf5(f)) for f in files])
                whole.to_hdf5(self.record_path)  # atomically
            self.comm.Barrier()
        return merged

    def _rank_file(self, rank: int) -> pathlib.Path:
        p = self.record_path
        return p.with_name(p.name + ".ranks") / f"rank{rank}-of-{self.n_ranks}.h5"

    def _merge(self, parts: list[Result]) -> Result:
        """One result from the ranks' results: spikes and counts of each rank's neurons (spike generators from
        rank 0), each trace column from the rank that owns it."""
        first = parts[0]
        plan = self.plan
        replicated = {name for g in plan.groups if g.generator_events is not None for name, _, _ in g.pops}
        out = Result(dt=first.dt, t_start=first.t_start, n_steps=first.n_steps, sizes=dict(first.sizes),
                     compile_s=max(p.compile_s for p in parts), run_s=max(p.run_s for p in parts),
                     interrupted=any(p.interrupted for p in parts),
                     trace_times=dict(first.trace_times), trace_indices=dict(first.trace_indices))
        for pop in first.spike_counts:
            use = parts[:1] if pop in replicated else parts
            out.spike_counts[pop] = np.sum([p.spike_counts[pop] for p in use], axis=0).astype(
                first.spike_counts[pop].dtype)
        for pop, st in first.spikes.items():
            use = parts[:1] if pop in replicated else parts
            t = np.concatenate([p.spikes[pop].times for p in use])
            i = np.concatenate([p.spikes[pop].indices for p in use])
            order = np.lexsort((i, t))
            out.spikes[pop] = SpikeTrains(t[order], i[order], st.n)
        monitors = {m[0]: m for m in self.state_monitors}
        for key, values in first.traces.items():
            _, array, idx, _, base = monitors[key]
            owner = self._rank_of_element(array, np.asarray(idx, np.int64) + base)
            merged = np.array(values)
            for r in range(1, len(parts)):
                merged[:, owner == r] = np.asarray(parts[r].traces[key])[:, owner == r]
            out.traces[key] = merged
        return out

    # ---- checkpoints -------------------------------------------------------------------------------------------
    def save_checkpoint(self, path, metadata: dict | None = None) -> None:
        """:meth:`Runner.save_checkpoint` into this rank's file (see :func:`rank_path`)."""
        super().save_checkpoint(rank_path(path, self.rank, self.n_ranks), metadata)

    def load_checkpoint(self, path) -> None:
        super().load_checkpoint(rank_path(path, self.rank, self.n_ranks))

    @classmethod
    def from_checkpoint(cls, path, net, **kwargs) -> "DistributedRunner":
        """Every rank resumes from its own file of checkpoint ``path`` (written with the same number of ranks)."""
        from . import checkpoint as ckpt

        comm = kwargs.get("comm") or world()
        if comm is None:
            raise EngineError("DistributedRunner.from_checkpoint: no MPI world of several ranks")
        mine = rank_path(path, comm.Get_rank(), comm.Get_size())
        if not mine.exists():
            raise ModelDefinitionError(f"checkpoint {str(path)!r}: no file {mine.name} for rank {comm.Get_rank()} of "
                                       f"{comm.Get_size()}; resume with the number of ranks that wrote it")
        saved = ckpt.read(mine)
        for key in ("dt", "seed", "engine", "precision"):
            kwargs.setdefault(key, saved.attrs[key])
        runner = cls(net, **kwargs)
        runner._restore(saved)
        return runner


def _mpi():
    from mpi4py import MPI

    return MPI


def _in_memory(res: Result) -> Result:
    """A result whose arrays are all loaded (a streamed result reads its file lazily)."""
    return Result(dt=res.dt, t_start=res.t_start, n_steps=res.n_steps,
                  spikes={p: SpikeTrains(np.asarray(s.times), np.asarray(s.indices), s.n) for p, s in res.spikes.items()},
                  traces={k: np.asarray(v) for k, v in res.traces.items()},
                  trace_times={k: np.asarray(v) for k, v in res.trace_times.items()},
                  trace_indices={k: np.asarray(v) for k, v in res.trace_indices.items()},
                  spike_counts={k: np.asarray(v) for k, v in res.spike_counts.items()},
                  sizes=dict(res.sizes), compile_s=res.compile_s, run_s=res.run_s, interrupted=res.interrupted)
