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

import os
import pathlib
import time

import numpy as np

from .._errors import EngineError, ModelDefinitionError, SimulationError
from ..network.build import Plan
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


def _group_starts(plan: Plan) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([g.n for g in plan.groups])]).astype(np.int64)


def _incoming_synapses(plan: Plan) -> dict[str, float]:
    """Synapses (stored, or expected for procedural ones) onto every population."""
    into: dict[str, float] = {}
    for pg in plan.pgroups:
        post_pops = plan.groups[pg.post].pops
        for _, (seg, n_syn) in pg.projections.items():
            post_lo = int(pg.seg_post_lo[seg])
            for name, lo, hi in post_pops:
                if lo <= post_lo < hi:
                    into[name] = into.get(name, 0.0) + float(n_syn)
    return into


def neuron_ranges(plan: Plan, n_ranks: int) -> list[tuple[int, int]]:
    """One contiguous range of global neuron indices (groups in plan order) per rank, balanced by cost (see
    the module docstring)."""
    starts = _group_starts(plan)
    into = _incoming_synapses(plan)
    pops = []  # (global lo, global hi, cost per neuron, group start)
    for gi, g in enumerate(plan.groups):
        for name, lo, hi in g.pops:
            per = 0.0 if g.generator_events is not None else 1.0 + SYNAPSE_COST * into.get(name, 0.0) / max(hi - lo, 1)
            pops.append((starts[gi] + lo, starts[gi] + hi, per, starts[gi]))
    cum = np.concatenate([[0.0], np.cumsum([(hi - lo) * per for lo, hi, per, _ in pops])])
    total, share = cum[-1], cum[-1] / n_ranks
    cuts = [0]
    for k in range(1, n_ranks):
        target = k * share
        near = int(np.argmin(np.abs(cum - target)))
        if abs(cum[near] - target) <= SNAP * share:
            cut = pops[near][0] if near < len(pops) else int(starts[-1])
        else:
            p = min(int(np.searchsorted(cum, target, side="right")) - 1, len(pops) - 1)
            lo, hi, per, g0 = pops[p]
            inside = lo + (target - cum[p]) / per if per > 0 else lo
            cut = int(min(max(g0 + round((inside - g0) / ALIGN) * ALIGN, lo), hi))
        cuts.append(max(cut, cuts[-1]))
    cuts.append(int(starts[-1]))
    if total == 0:
        cuts = [0] * n_ranks + [int(starts[-1])]
    return [(int(cuts[r]), int(cuts[r + 1])) for r in range(n_ranks)]


def delivery_interval(plan: Plan) -> int:
    """Steps between spike exchanges: the smallest read offset of any delivery that reads spike rings (1 with
    graded coupling)."""
    offsets = [int(pg.offsets.min()) for pg in plan.pgroups if pg.kind in ("projections", "procedural", "custom")
               and pg.offsets.size]
    if any(pg.kind == "graded" for pg in plan.pgroups):
        offsets.append(1)
    if offsets and min(offsets) < 1:
        names = sorted(n for pg in plan.pgroups if pg.offsets.size and pg.offsets.min() < 1 for n in pg.projections)
        raise ModelDefinitionError(f"distributed run: projection(s) {names} deliver a spike in the step it is "
                                   "emitted (zero delay, run after their presynaptic population), so the ranks "
                                   "cannot exchange spikes between steps; give them a delay of at least one step")
    return min(offsets) if offsets else 1 << 30


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
        self.record_path = None if record_to is None else pathlib.Path(record_to)
        mine = None if record_to is None else self._rank_record_path()
        if self.rank != 0:
            kwargs["progress"] = False  # one progress bar, rank 0's
        super().__init__(net, record_to=mine, **kwargs)
        if self.histogram_monitors:
            raise EngineError("distributed run: Histogram monitors are not merged across ranks yet; monitor the "
                              "weights of chosen synapses instead")
        plan = self.plan
        self.total_synapses = plan.n_synapses
        self.interval = delivery_interval(plan)
        self.ranges = neuron_ranges(plan, self.n_ranks)
        starts = _group_starts(plan)
        lo, hi = self.ranges[self.rank]
        # this rank's neurons of every group, as group indices [own_lo, own_hi)
        self.own = [(int(min(max(lo - s, 0), g.n)), int(min(max(hi - s, 0), g.n)))
                    for s, g in zip(starts, plan.groups)]
        self._restrict_operations()
        self._keep_own_synapses()
        self.exchanged = [gi for gi, g in enumerate(plan.groups) if g.ring_depth > 1 and g.generator_events is None]
        self.graded_vars = sorted({(pg.pre, pg.operator.variable) for pg in plan.pgroups if pg.kind == "graded"})
        self._check_graded_order()
        self._op_position = self._recording_order()
        # time spent in exchanges (waiting for the slowest rank included), their number and the bytes sent
        self.exchange_s, self.exchanges, self.sent_bytes = 0.0, 0, 0

    # ---- partition ---------------------------------------------------------------------------------------------
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

    def _keep_own_synapses(self) -> None:
        """Drop the stored synapses onto other ranks' neurons (the CSR keeps its row and bucket order) and mark
        the procedural blocks that reach none of this rank's neurons as skipped (part -1)."""
        a = self.arrays
        for pi, pg in enumerate(self.plan.pgroups):
            if pg.kind == "projections" and pg.plastic is None and pg.col.size:
                keep = self._owned_slots(pg)[pg.col]
                kept = np.concatenate([[0], np.cumsum(keep)]).astype(np.int64)
                pg.rowptr, pg.col = kept[pg.rowptr], pg.col[keep]
                if np.ndim(pg.weight):
                    pg.weight = pg.weight[keep]
                    a[f"pg{pi}_w"] = pg.weight
                a[f"pg{pi}_rowptr"], a[f"pg{pi}_col"] = pg.rowptr, pg.col
            elif pg.kind == "procedural":
                owned = np.concatenate([[0], np.cumsum(self._owned_slots(pg))])
                b = pg.operator.blocks
                reach = owned[b["slot_lo"] + b["n_post"]] - owned[b["slot_lo"]]
                a[f"pg{pi}_b_part"] = np.where(reach > 0, a[f"pg{pi}_b_part"], -1)

    def _check_graded_order(self) -> None:
        """Graded coupling must read its presynaptic state before the population is updated in the step (the
        default schedule): the state is exchanged between steps, not inside one."""
        schedule = self.plan.schedule
        for oi, op in enumerate(schedule):
            if op[0] != "graded":
                continue
            pre = self.plan.pgroups[op[1]].pre
            if any(o[0] == "neurons" and o[1] == pre for o in schedule[:oi]):
                raise ModelDefinitionError(
                    f"distributed run: graded projection(s) {sorted(self.plan.pgroups[op[1]].projections)} read "
                    "their presynaptic population after it was updated in the same step; the ranks exchange state "
                    "between steps only, so call them before that population in update")

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
        from mpi4py import MPI

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
        from mpi4py import MPI

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
        s = int(_group_starts(self.plan)[gi])
        lo, hi = self.ranges[rank]
        n = self.plan.groups[gi].n
        return int(min(max(lo - s, 0), n)), int(min(max(hi - s, 0), n))

    # ---- ownership of what monitors and get() read ----------------------------------------------------------------
    def _rank_of_neuron(self, gi: int, idx: np.ndarray) -> np.ndarray:
        """Rank that updates each neuron ``idx`` of group ``gi`` (0 for replicated spike generators)."""
        if self.plan.groups[gi].generator_events is not None:
            return np.zeros(np.size(idx), np.int64)
        glob = _group_starts(self.plan)[gi] + np.asarray(idx, np.int64)
        his = np.array([hi for _, hi in self.ranges])
        return np.minimum(np.searchsorted(his, glob, side="right"), self.n_ranks - 1)

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


def _in_memory(res: Result) -> Result:
    """A result whose arrays are all loaded (a streamed result reads its file lazily)."""
    return Result(dt=res.dt, t_start=res.t_start, n_steps=res.n_steps,
                  spikes={p: SpikeTrains(np.asarray(s.times), np.asarray(s.indices), s.n) for p, s in res.spikes.items()},
                  traces={k: np.asarray(v) for k, v in res.traces.items()},
                  trace_times={k: np.asarray(v) for k, v in res.trace_times.items()},
                  trace_indices={k: np.asarray(v) for k, v in res.trace_indices.items()},
                  spike_counts={k: np.asarray(v) for k, v in res.spike_counts.items()},
                  sizes=dict(res.sizes), compile_s=res.compile_s, run_s=res.run_s, interrupted=res.interrupted)
