"""Build: turn a :class:`Network` into an engine-neutral :class:`Plan` of flat arrays.

- Populations of the same model, method and noise switch form one *neuron group*: one index space, one
  array per state variable and parameter (a parameter equal across the group stays a scalar).
- Projections with the same pre group, post group, synapse and output model form one *projection group*.
  Their synapse states are merged per *segment* (post population x synapse and output parameters): linear
  synapses sum, so many projections onto one population cost one state array.
- Synapses are stored in CSR per *read offset* (delay in steps + 1 if the presynaptic population has not
  yet been updated when the projection runs; a projection may give one delay per synapse); each group keeps a
  ring of its recent spike lists, of depth (largest offset + 1), so memory grows with max delay x neurons,
  never with synapses.
- Procedural projections and user operators store no synapses: their groups carry an ``operator``
  (:mod:`spikeloom.network.operators`) and run as schedule operations ``"procedural"`` / ``"custom"``.

Engines compile the plan's *structure* (models, methods, which parameters are arrays, schedule) once and
receive its arrays as arguments, so new weights, sizes or inputs reuse the compiled program.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._errors import ModelDefinitionError, UnknownKeyError
from ..connectivity.generators import BLOCK_SYNAPSES
from ..core import validate
from ..core.initializers import Constant, Normal, Uniform, draw
from ..neurons._base import AbstractNeuron
from ..plasticity._base import check_rule
from .network import Network
from .operators import build_custom, build_procedural
from .poisson_plan import build_poisson_group
from .graded import build_graded_group, graded_connections
from .projection import Z_MAX, Projection

#: bytes per stored synapse of the plan (int32 target, weight up to float64), and per synapse of the temporaries
#: of drawing one (targets, weights, delays, steps; blocks of rows in flight, or a whole connector that builds
#: its CSR at once, with its sorting keys)
SYNAPSE_BYTES, SYNAPSE_TEMP_BYTES = 12, 48


def stable_seed(seed: int, name: str) -> list[int]:
    """Seed sequence of a named object: independent of the order in which objects are built."""
    digest = hashlib.sha256(name.encode()).digest()
    return [int(seed), int.from_bytes(digest[:8], "little")]


@dataclass
class NeuronGroup:
    model: type
    method: str
    uses_noise: bool
    pops: list[tuple[str, int, int]]  # (name, lo, hi)
    state: dict[str, np.ndarray]
    params: dict[str, np.ndarray | float]
    pop_ids: np.ndarray  # global population index of every neuron (int32)
    ring_depth: int = 1
    generator_events: tuple[np.ndarray, np.ndarray] | None = None  # (steps, indices), sorted

    @property
    def n(self) -> int:
        return self.pops[-1][2]


@dataclass
class ProjectionGroup:
    synapse: type
    output: type
    pre: int
    post: int
    seg_slot_lo: np.ndarray
    seg_post_lo: np.ndarray
    seg_n: np.ndarray
    seg_params: dict[str, np.ndarray]  # synapse constants and output parameters, one value per segment
    state: dict[str, np.ndarray]  # synapse state per slot
    offsets: np.ndarray  # read offset of each CSR bucket (steps)
    rowptr: np.ndarray  # (n_pre, n_buckets + 1) int64: row (bucket b, pre i) is col[rowptr[i, b]:rowptr[i, b + 1]]
    col: np.ndarray  # target slot of each synapse, int32
    weight: np.ndarray | float
    projections: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (segment, n_synapses)
    # stored projections: name -> (pre population, w_scale folded into its weights, read lag), to read them back
    sources: dict[str, tuple[str, float, int]] = field(default_factory=dict)
    # operators.ProceduralBlocks | operators.CustomOperator | poisson_plan.PoissonSources; None: CSR above
    operator: object = None
    plastic: "PlasticGroup | None" = None  # the per-synapse state of a plastic projection (its own group)

    @property
    def kind(self) -> str:
        """The schedule operation that delivers this group: "projections", "procedural", "custom", "poisson" or
        "graded"."""
        if self.operator is None:
            return "projections"
        return getattr(self.operator, "kind", None) or ("custom" if hasattr(self.operator, "params") else "procedural")

    @property
    def n_synapses(self) -> int:
        return int(self.col.size) if self.operator is None else int(round(self.operator.n_synapses))


#: steps of elapsed time over which the CPU engine tabulates the decay factor of each plasticity trace
DECAY_TABLE_STEPS = 4096


@dataclass
class PlasticGroup:
    """The plasticity of a projection group holding one plastic projection. Per-synapse arrays are in the
    group's storage order (that of ``col``); ``state["w"]`` is the group's ``weight`` array itself, in the
    projection's weight unit (the synapse's ``w_scale`` is applied when a spike is delivered, not stored).

    A presynaptic spike of step ``s`` reaches its synapses at event step ``s + 1 + delay steps`` (the step whose
    start is ``t_spike + delay``), processed where the projection delivers; a postsynaptic spike of step ``s`` has
    event step ``s + 1`` (its time), processed right after the operation that updated the neuron. ``last`` is
    the event step at which each synapse was last brought up to date (``decay`` over ``(now - last) dt``; empty
    for a rule without ``decay``). The rule's traces are kept per slot: presynaptic slot ``b n_pre + i`` for
    neuron ``i`` in offset bucket ``b`` (one delay, so one arrival time per spike), postsynaptic slot ``j``;
    ``pre_last`` / ``post_last`` is the event step of each slot's last spike (the traces are stored as they were
    right after it and decayed from there when read)."""

    rule: object  # the PlasticityRule instance
    params: dict[str, float]
    state: dict[str, np.ndarray]  # variable -> one value per synapse (run's float type)
    last: np.ndarray  # int64 event step of each synapse's last update
    traces: dict[str, np.ndarray]  # pre or post trace -> one value per slot (run's float type)
    pre_last: np.ndarray  # int64 (n_buckets * n_pre): event step of each presynaptic slot's last spike
    post_last: np.ndarray  # int64 (n_post_group): event step of each postsynaptic neuron's last spike
    xslot: np.ndarray  # int32 presynaptic trace slot of each synapse
    pre_of: np.ndarray  # int32 presynaptic neuron (pre group index) of each synapse
    post_of: np.ndarray  # int32 postsynaptic neuron (post group index) of each synapse
    tptr: np.ndarray  # int64 (n_post_group + 1): synapses onto post neuron j are tsyn[tptr[j]:tptr[j + 1]]
    tsyn: np.ndarray  # int64 synapse positions, post-major (storage order within a neuron)
    csr_order: np.ndarray  # int64 storage position of the k-th synapse of runner.connections(name)
    lag: int  # 1: the projection runs before its presynaptic population in the step
    w_scale: float  # the synapse model's factor applied to every delivered weight

    def engine_arrays(self, pi: int, dtype) -> dict:
        """The arrays of projection group ``pi``'s plasticity handed to the compiled loop (``pg<pi>_w``, the
        weight, is the group's own)."""
        a = {f"pg{pi}_r_{k}": v for k, v in self.state.items() if k != "w"}
        a.update({f"pg{pi}_x_{k}": v for k, v in self.traces.items()})
        a.update({f"pg{pi}_rp_{k}": np.dtype(dtype).type(v) for k, v in self.params.items()})
        a.update({f"pg{pi}_xlast_pre": self.pre_last, f"pg{pi}_xlast_post": self.post_last,
                  f"pg{pi}_xslot": self.xslot})
        # decay factors of each trace over 0, 1, ... steps, filled once by the CPU engine's loop (flag: filled)
        a.update({f"pg{pi}_{k}_tab_scratch": np.zeros(DECAY_TABLE_STEPS, dtype) for k in self.traces})
        a[f"pg{pi}_tab_ready_scratch"] = np.zeros(1, np.int64)
        a.update({f"pg{pi}_last": self.last, f"pg{pi}_lag": np.array([self.lag], np.int64),
                  f"pg{pi}_pre_of": self.pre_of, f"pg{pi}_post_of": self.post_of, f"pg{pi}_tptr": self.tptr,
                  f"pg{pi}_tsyn": self.tsyn, f"pg{pi}_wscale": np.dtype(dtype).type(self.w_scale)})
        return a


@dataclass
class Plan:
    dt: float
    dtype: np.dtype
    groups: list[NeuronGroup]
    pgroups: list[ProjectionGroup]
    schedule: list[tuple]  # ("projections" | "procedural" | "custom", pg) | ("neurons", g, lo, hi)
    pop_index: dict[str, tuple[int, int, int, int]]  # name -> (group, lo, hi, global pop id)
    proj_index: dict[str, int]  # name -> projection group
    run_inputs: dict[str, object]  # population name -> value given by the user's update (constant or RunInput)
    seed: int = 0  # procedural connectivity is regenerated from it in the loop

    @property
    def n_neurons(self) -> int:
        return sum(g.n for g in self.groups)

    @property
    def n_synapses(self) -> int:
        return sum(pg.n_synapses for pg in self.pgroups)


class Connections(NamedTuple):
    """The synapses of one stored projection as built, read back from a plan (``Runner.connections``).

    Both are ``scipy.sparse.csr_array`` of shape (n_pre, n_post) (indices within the populations) with the same
    structure: one entry per synapse, each row sorted by post index, multapses kept as separate entries (not
    canonical: ``toarray()`` adds them up, ``sum_duplicates()`` merges them), zero delays stored explicitly.
    ``weight``: the weights as the projection gives them (nS, pA or mV; the synapse's ``w_scale`` divided out),
    in the run's precision; ``delay``: the delays in ms after the projection's ``DelayRule`` (whole steps times
    dt). Unpacks as ``weight, delay = runner.connections("E2E")``."""

    weight: object
    delay: object


def _schedule_ops(net: Network):
    """The ordered operations of one step: the user's traced update, or projections then populations."""
    pops, projs = net.populations(), net.projections()
    if not net.has_custom_update():
        return [("projection", p, None) for p in projs.values()] + [("neurons", p, None) for p in pops.values()]
    ops = net.trace_update()
    known = {id(v) for v in pops.values()} | {id(v) for v in projs.values()}
    seen = set()
    for kind, obj, _ in ops:
        if id(obj) not in known:
            raise ModelDefinitionError(f"{type(net).__name__}.update calls {obj!r}, which is not part of the network")
        if id(obj) in seen:
            raise ModelDefinitionError(f"{type(net).__name__}.update calls {obj.name!r} twice; call each child once")
        seen.add(id(obj))
    return ops


def _cast(values: dict, dtype, owner: str, dt: float) -> dict:
    """Parameters and per-step constants in the run's float type; one that overflows it (a tiny ``dt`` makes
    step counts such as ``ref_steps`` huge) is refused, naming it."""
    largest = np.finfo(dtype).max
    for k, v in values.items():
        big = np.max(np.abs(v)) if np.size(v) else 0.0
        if big > largest:
            raise ModelDefinitionError(f"{owner}: {k} = {big:g} at dt = {dt:g} ms does not fit in {np.dtype(dtype)} "
                                       "(check dt and the parameters, or use precision='float64')")
    return {k: (float(v) if np.ndim(v) == 0 else np.ascontiguousarray(v, dtype=dtype)) for k, v in values.items()}


def _uniform_or_array(parts: list, sizes: list[int]):
    """Concatenate per-population values; keep a scalar when all populations share one scalar."""
    if all(np.ndim(p) == 0 for p in parts) and len({float(p) for p in parts}) == 1:
        return float(parts[0])
    return np.concatenate([np.broadcast_to(np.asarray(p, dtype=np.float64), (n,)) for p, n in zip(parts, sizes)])


def neuron_groups(pops) -> list[list[AbstractNeuron]]:
    """The populations of each neuron group, in plan order: one group per (model, method, noise) in order of
    first definition, populations in their order of definition."""
    group_of_key: dict[tuple, list[AbstractNeuron]] = {}
    for pop in pops:
        group_of_key.setdefault(pop.structure_key(), []).append(pop)
    return list(group_of_key.values())


def build_plan(net: Network, dt: float, seed: int, dtype=np.float32, keep_targets: dict | None = None) -> Plan:
    """Build the plan of ``net`` for step ``dt`` (ms): groups, initial states, connectivity, schedule.

    ``keep_targets``: population name -> ``(lo, hi)``: of the stored, non-plastic projections onto that
    population, keep only the synapses onto its neurons ``lo <= j < hi`` (those of one rank of a distributed
    run); the others are drawn and dropped, so the kept ones are exactly those of the whole plan."""
    if not (np.isfinite(dt) and dt > 0):
        raise ModelDefinitionError(f"dt must be a positive number of ms, got {dt}")
    net.assign_names()
    pops = net.populations()
    if not pops:
        raise ModelDefinitionError(f"{type(net).__name__} has no populations")
    ops = _schedule_ops(net)
    _check_synapse_memory(list(net.projections().values()))

    # ---- neuron groups, one per (model, method, noise); populations keep their order of definition ------
    for pop in pops.values():
        pop.check_dt(dt)
    groups: list[NeuronGroup] = []
    pop_index: dict[str, tuple[int, int, int, int]] = {}
    pop_id = 0
    for gi, members in enumerate(neuron_groups(pops.values())):
        model = type(members[0])
        lo, spans, state_parts, ids = 0, [], {k: [] for k in model.state}, []
        for pop in members:
            spans.append((pop.name, lo, lo + pop.n))
            pop_index[pop.name] = (gi, lo, lo + pop.n, pop_id)
            ids.append(np.full(pop.n, pop_id, dtype=np.int32))
            rng = np.random.default_rng(stable_seed(seed, "init:" + pop.name))
            for var in model.state:
                state_parts[var].append(draw(pop.init[var], pop.n, rng, f"population {pop.name!r}: init[{var!r}]",
                                             pop.state_unit(var)))
            lo += pop.n
            pop_id += 1
        sizes = [p.n for p in members]
        params = {k: _uniform_or_array([p.params[k] for p in members], sizes) for k in model.parameters}
        params.update(model.derived(params, dt))
        events = None
        if getattr(model, "is_generator", False):
            steps, idx = [], []
            for pop, (_, plo, _) in zip(members, spans):
                st, ix = pop.events_by_step(dt)
                steps.append(st)
                idx.append(ix + plo)
            steps, idx = np.concatenate(steps), np.concatenate(idx)
            order = np.lexsort((idx, steps))
            events = (steps[order], idx[order].astype(np.int32))
        state = {k: np.concatenate(v).astype(dtype) for k, v in state_parts.items()}
        if getattr(model, "next_state", None):  # sources that keep the step of their next spike (PoissonGroup)
            state[model.next_state] = np.full(lo, model.UNDRAWN, np.int64)
        groups.append(NeuronGroup(
            model=model, method=members[0].method, uses_noise=members[0].uses_noise, pops=spans,
            state=state,
            params=_cast(params, dtype, "population(s) " + ", ".join(repr(p.name) for p in members), dt),
            pop_ids=np.concatenate(ids), generator_events=events))

    # ---- schedule: consecutive calls on one group merge; each projection notes its read lag -------------
    updated: set[str] = set()
    proj_run: dict[str, int] = {}
    proj_lag: dict[str, int] = {}
    schedule_raw: list[tuple] = []
    run_inputs: dict[str, object] = {}
    run_id = 0
    for kind, obj, inp in ops:
        if kind == "neurons":
            gi, lo, hi, _ = pop_index[obj.name]
            updated.add(obj.name)
            if inp is not None:
                run_inputs[obj.name] = inp
            last = schedule_raw[-1] if schedule_raw else None
            if last and last[0] == "neurons" and last[1] == gi and last[3] == lo:
                schedule_raw[-1] = ("neurons", gi, last[2], hi)
            else:
                schedule_raw.append(("neurons", gi, lo, hi))
                run_id += 1
        else:
            proj_run[obj.name] = run_id
            proj_lag[obj.name] = 0 if obj.pre.name in updated else 1
            if not (schedule_raw and schedule_raw[-1][0] == "projections" and schedule_raw[-1][1] == run_id):
                schedule_raw.append(("projections", run_id))

    # ---- projection groups ------------------------------------------------------------------------------
    pkey_members: dict[tuple, list[Projection]] = {}
    for proj in net.projections().values():
        if proj.name not in proj_run:
            continue  # not called by the user's update: never delivers
        if proj.post.name not in updated:
            raise ModelDefinitionError(f"projection {proj.name!r} delivers into {proj.post.name!r}, which "
                                       f"{type(net).__name__}.update never updates; call it there too")
        if not type(proj.post).ode_vars:
            raise ModelDefinitionError(f"projection {proj.name!r}: {proj.post.name!r} is a spike source and cannot "
                                       "receive synapses")
        if proj.synapse.in_post and proj.synapse.spike_target not in type(proj.post).state:
            raise ModelDefinitionError(f"projection {proj.name!r}: {type(proj.synapse).__name__} delivers into the "
                                       f"post-synaptic variable {proj.synapse.spike_target!r}, which "
                                       f"{type(proj.post).__name__} does not have")
        if proj.synapse.in_post and proj.storage not in ("projections", "poisson"):
            raise ModelDefinitionError(f"projection {proj.name!r}: {type(proj.synapse).__name__} delivers into the "
                                       "post-synaptic neurons and needs stored connectivity")
        key = (pop_index[proj.pre.name][0], pop_index[proj.post.name][0], type(proj.synapse), type(proj.output),
               proj_run[proj.name], proj.storage,
               proj.name if proj.storage == "custom" or proj.plasticity is not None else "")
        pkey_members.setdefault(key, []).append(proj)
    pgroups: list[ProjectionGroup] = []
    proj_index: dict[str, int] = {}
    run_to_pgroups: dict[int, list[int]] = {}
    volleys: dict[str, list[tuple[str, np.ndarray, float]]] = {}
    for (pre_g, post_g, syn_t, out_t, run, storage, _), members in pkey_members.items():
        pgi = len(pgroups)
        run_to_pgroups.setdefault(run, []).append(pgi)
        if storage == "poisson":
            pgroups.append(build_poisson_group(members, post_g, pop_index, dt, dtype))
        elif storage == "graded":
            pgroups.append(build_graded_group(members, pre_g, post_g, groups, pop_index, dt, seed, dtype))
        else:
            pgroups.append(_build_projection_group(members, pre_g, post_g, syn_t, out_t, groups, pop_index,
                                                   proj_lag, dt, seed, dtype, volleys, keep_targets or {}))
        for p in members:
            proj_index[p.name] = pgi
    for post_name, parts in volleys.items():
        _check_conductance(pops[post_name], parts, dt)
    for pg in pgroups:
        if pg.offsets.size:
            groups[pg.pre].ring_depth = max(groups[pg.pre].ring_depth, int(pg.offsets.max()) + 1)

    schedule = []
    for op in schedule_raw:
        if op[0] == "projections":
            schedule.extend((pgroups[pgi].kind, pgi) for pgi in run_to_pgroups.get(op[1], []))
        else:
            schedule.append(op)
    return Plan(dt=dt, dtype=np.dtype(dtype), groups=groups, pgroups=pgroups, schedule=schedule,
                pop_index=pop_index, proj_index=proj_index, run_inputs=run_inputs, seed=int(seed))


def _segments(members, pop_index, syn_t, dt, dtype):
    """One segment per (post population, synapse parameters, output parameters)."""
    seg_key_to_id: dict[tuple, int] = {}
    seg_post_lo, seg_n, seg_values = [], [], []
    proj_seg = []
    for proj in members:
        _, plo, phi, _ = pop_index[proj.post.name]
        key = (proj.post.name, proj.synapse.value_key(), proj.output.value_key())
        if key not in seg_key_to_id:
            seg_key_to_id[key] = len(seg_post_lo)
            seg_post_lo.append(plo)
            seg_n.append(phi - plo)
            consts = dict(proj.synapse.params)
            consts.update(syn_t.derived(proj.synapse.params, dt))
            consts.update(proj.output.params)
            seg_values.append(consts)
        proj_seg.append(seg_key_to_id[key])
    seg_n_arr = np.asarray(seg_n, dtype=np.int64)
    seg_slot_lo = np.concatenate([[0], np.cumsum(seg_n_arr)[:-1]]).astype(np.int64)
    names = [k for k in seg_values[0] if k != "w_scale"] if seg_values else []
    seg_params = {k: np.asarray([float(v[k]) for v in seg_values], dtype=dtype) for k in names}
    return proj_seg, seg_post_lo, seg_n_arr, seg_slot_lo, seg_params, seg_values


def stored_connections(plan: Plan, name: str) -> Connections:
    """Weights and delays of stored projection ``name`` read back from the plan's CSR per read offset (see
    :class:`Connections`); graded projections and gap-junction halves from their stored pairs
    (:func:`~spikeloom.network.graded.graded_connections`); procedural projections are generated by
    :func:`~spikeloom.materialize`, operators store none. Synapses that the plan merged with those of another projection (same presynaptic population,
    synapse model and parameters, and post population) cannot be told apart and are refused."""
    import scipy.sparse as sp

    if name not in plan.proj_index:
        raise UnknownKeyError(f"connections({name!r}): no projection named {name!r} in this network (or its update "
                              f"never calls it); known: {sorted(plan.proj_index)}")
    pg = plan.pgroups[plan.proj_index[name]]
    if pg.kind == "procedural":
        raise ModelDefinitionError(f"connections({name!r}): a procedural projection stores no synapses; generate "
                                   f"them with spikeloom.materialize(runner.plan, {name!r}) (what='weight' or 'delay')")
    if pg.kind == "custom":
        raise ModelDefinitionError(f"connections({name!r}): an EventOperator projection stores no synapses; its "
                                   "connectivity is the user's operator")
    if pg.kind == "poisson":
        raise ModelDefinitionError(f"connections({name!r}): a Poisson input has no synapses; its counts are drawn "
                                   "at every step")
    if pg.kind == "graded":
        return graded_connections(plan, pg, name)
    seg, n_syn = pg.projections[name]
    pre, w_scale, lag = pg.sources[name]
    _, plo, phi, _ = plan.pop_index[pre]
    lo = int(pg.seg_post_lo[seg] if pg.synapse.in_post else pg.seg_slot_lo[seg])
    hi = lo + int(pg.seg_n[seg])
    # every (presynaptic neuron, bucket) cell of the pre population, in the plan's order, and the positions it holds
    n_rows, n_buckets = phi - plo, pg.offsets.size
    starts = pg.rowptr[plo:phi, :-1].ravel()
    counts = pg.rowptr[plo:phi, 1:].ravel() - starts
    before = np.cumsum(counts) - counts
    pos = np.repeat(starts - before, counts) + np.arange(int(counts.sum()))
    rows = np.repeat(np.repeat(np.arange(n_rows), n_buckets), counts)
    bucket = np.repeat(np.tile(np.arange(n_buckets), n_rows), counts)
    mine = (pg.col[pos] >= lo) & (pg.col[pos] < hi)
    if int(mine.sum()) != n_syn:
        others = sorted(p for p, (s, _) in pg.projections.items() if p != name and s == seg and pg.sources[p][0] == pre)
        raise ModelDefinitionError(f"connections({name!r}): the plan merged its synapses with those of {others} "
                                   "(same presynaptic population, synapse and post population), so they cannot be "
                                   "told apart; give them different synapse parameters to read them back")
    pos, rows, bucket = pos[mine], rows[mine], bucket[mine]
    cols = pg.col[pos].astype(np.int64) - lo
    weight = np.full(pos.size, pg.weight) if np.ndim(pg.weight) == 0 else pg.weight[pos].astype(np.float64)
    delay = (pg.offsets[bucket] - lag) * plan.dt
    order = np.lexsort((cols, rows))  # stable: synapses of one pair keep the plan's order
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    shape = (n_rows, hi - lo)
    return Connections(sp.csr_array((weight[order] / w_scale, cols[order], indptr), shape=shape),
                       sp.csr_array((delay[order], cols[order], indptr), shape=shape))


def _check_synapse_memory(projections: list[Projection]) -> None:
    """Refuse, before anything is drawn, stored synapses that would not fit in memory (naming the largest
    projection; a procedural connector stores none)."""
    sizes = {p.name: p.conn.expected_synapses(p.pre.n, p.post.n, p.pre is p.post) for p in projections
             if p.storage == "projections"}
    if not sizes:
        return
    biggest = max(sizes, key=sizes.get)
    total = sum(sizes.values())
    # connectors drawn by rows hold a few blocks per thread at a time; the others build their whole CSR
    temp = max([min(sizes[p.name], 2 * _threads() * BLOCK_SYNAPSES) if p.conn.by_rows else sizes[p.name]
                for p in projections if p.name in sizes])
    others = f" of {total:.3g} stored in all" if len(sizes) > 1 else ""
    validate.memory(SYNAPSE_BYTES * total + SYNAPSE_TEMP_BYTES * temp,
                    f"projection {biggest!r} ({sizes[biggest]:.3g} synapses{others})",
                    fix="use fewer neurons or synapses, or a procedural connector (ProceduralProb, ...), which "
                        "stores none")


def _largest_weight(weight) -> float:
    """Largest |w| a procedural weight law gives."""
    if isinstance(weight, Constant):
        return abs(weight.value)
    if isinstance(weight, Uniform):
        return max(abs(weight.low), abs(weight.high))
    if isinstance(weight, Normal):
        return abs(weight.mean) + Z_MAX * weight.std
    return abs(float(weight))


def _volley(proj: Projection, cols=None, w=None) -> np.ndarray:
    """Conductance (nS) each post-synaptic neuron of ``proj`` receives when all its inputs spike in one step:
    the sum of |w| over the synapses of targets ``cols`` (stored; ``w`` one number or one per synapse), or the
    expected in-degree times the largest |w| (procedural, ``cols`` None)."""
    n = proj.post.n
    if cols is None:
        fan_in = proj.conn.expected_synapses(proj.pre.n, n) / n
        return np.full(n, fan_in * _largest_weight(proj.weight))
    return np.bincount(cols, weights=np.broadcast_to(np.abs(w), cols.shape), minlength=n)


def _check_conductance(pop: AbstractNeuron, parts: list[tuple[str, np.ndarray, float]], dt: float) -> None:
    """Check conductance inputs against the limit of a population's step (``max_conductance`` of its model,
    e.g. ``LIF``). A single synapse at or above the limit makes one spike unstable: refused. A synchronous volley
    (every input of a neuron spiking in one step) above it may be unstable: warned, since whether a run reaches
    such a conductance depends on its activity."""
    limit = np.broadcast_to(pop.max_conductance(pop.params, dt, pop.method), (pop.n,))
    single = max(part[2] for part in parts)
    if single >= limit.min():
        culprit = max(parts, key=lambda part: part[2])[0]
        raise ModelDefinitionError(
            f"projection {culprit!r}: one synapse of {single:.4g} nS already exceeds what method {pop.method!r} "
            f"integrates stably at dt = {dt:g} ms into population {pop.name!r} (below {limit.min():.4g} nS); use "
            f"dt <= {_stable_dt(pop, np.full(pop.n, single), dt):.3g} ms or smaller weights")
    total = np.sum([part[1] for part in parts], axis=0)
    bad = np.flatnonzero(total >= limit)
    if not bad.size:
        return
    i = int(bad[np.argmax(total[bad] / limit[bad])])
    culprit = max(parts, key=lambda part: part[1][i])[0]
    warnings.warn(
        f"projection {culprit!r} (with every conductance input of population {pop.name!r}) can give neuron {i} "
        f"{total[i]:.4g} nS if all its inputs spike in one step; method {pop.method!r} at dt = {dt:g} ms is stable "
        f"only below {limit[i]:.4g} nS (dt <= {_stable_dt(pop, total, dt):.3g} ms would be stable for any "
        "volley)", stacklevel=3)


def _stable_dt(pop: AbstractNeuron, conductance: np.ndarray, dt: float) -> float:
    """Largest step at which ``conductance`` stays below the model's limit (the limit falls as dt grows)."""
    lo, hi = 0.0, dt
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        ok = np.all(conductance < pop.max_conductance(pop.params, mid, pop.method))
        lo, hi = (mid, hi) if ok else (lo, mid)
    return lo


def _build_projection_group(members, pre_g, post_g, syn_t, out_t, groups, pop_index, proj_lag, dt, seed, dtype,
                            volleys, keep_targets):
    proj_seg, seg_post_lo, seg_n_arr, seg_slot_lo, seg_params, seg_values = _segments(members, pop_index, syn_t, dt,
                                                                                    dtype)
    n_slots = int(seg_n_arr.sum())
    n_pre = groups[pre_g].n
    operator = None
    if members[0].storage == "projections":
        # an in_post synapse targets the post neuron itself: its index in the post group
        target_lo = np.asarray(seg_post_lo, np.int64) if syn_t.in_post else seg_slot_lo
        rule = members[0].plasticity
        stored_values = seg_values if rule is None else [{k: v for k, v in sv.items() if k != "w_scale"}
                                                         for sv in seg_values]
        keep = {p.name: keep_targets[p.post.name] for p in members
                if rule is None and p.post.name in keep_targets and keep_targets[p.post.name] != (0, p.post.n)}
        offsets, rowptr, col, weight, projections, sources = _stored_synapses(members, proj_seg, stored_values,
                                                                     target_lo, n_pre, pop_index, proj_lag, dt, seed,
                                                                     dtype, volleys, keep)
    else:
        col, weight, rowptr, sources = np.zeros(0, np.int32), 0.0, np.zeros((n_pre, 1), np.int64), {}
        projections = {p.name: (seg, 0) for p, seg in zip(members, proj_seg)}
        pop_base = pop_index[groups[pre_g].pops[0][0]][3]
        rows = [(p, pop_index[p.pre.name][1], pop_index[p.pre.name][3] - pop_base, int(seg_slot_lo[seg]),
                 int(seg_n_arr[seg]), float(seg_values[seg].get("w_scale", 1.0)), proj_lag[p.name])
                for p, seg in zip(members, proj_seg)]
        if members[0].storage == "procedural":
            for p in members:
                _note_volley(volleys, p)
            operator, offsets = build_procedural(rows, len(groups[pre_g].pops), pop_base, dt, seed)
        else:
            operator, offsets = build_custom(members[0], rows[0][1], rows[0][3], rows[0][4], dt, rows[0][6])
    state = {k: np.zeros(n_slots, dtype=dtype) for k in syn_t.state}
    initialized: set[tuple[int, str]] = set()
    for proj, seg in zip(members, proj_seg):
        rng = np.random.default_rng(stable_seed(seed, "syninit:" + proj.name))
        for var, init in proj.synapse_init.items():
            if (seg, var) not in initialized:
                initialized.add((seg, var))
                lo = seg_slot_lo[seg]
                state[var][lo:lo + seg_n_arr[seg]] = draw(init, int(seg_n_arr[seg]), rng,
                                                          f"projection {proj.name!r}: synapse_init[{var!r}]")
    pg = ProjectionGroup(
        synapse=syn_t, output=out_t, pre=pre_g, post=post_g, seg_slot_lo=seg_slot_lo,
        seg_post_lo=np.asarray(seg_post_lo, dtype=np.int64), seg_n=seg_n_arr, seg_params=seg_params, state=state,
        offsets=offsets, rowptr=rowptr, col=col, weight=weight, projections=projections, sources=sources,
        operator=operator)
    if members[0].plasticity is not None:
        pg.weight = np.full(col.shape, weight, dtype) if np.ndim(weight) == 0 else weight  # one per synapse
        pg.plastic = _plastic_group(members[0], pg, groups[pre_g], groups[post_g], proj_lag[members[0].name],
                                    float(seg_values[0].get("w_scale", 1.0)), dt, dtype)
    return pg


def _plastic_group(proj: Projection, pg: ProjectionGroup, pre: NeuronGroup, post: NeuronGroup, lag: int,
                   w_scale: float, dt: float, dtype) -> PlasticGroup:
    """The per-synapse state, traces and indices of plastic projection ``proj`` (alone in group ``pg``, from
    neuron group ``pre`` to ``post``)."""
    rule = proj.plasticity
    check_rule(rule, proj.owner, (proj.pre.name, tuple(pre.state)), (proj.post.name, tuple(post.state)))
    n, n_post_group = pg.col.size, post.n
    bounds = rule.weight_bounds()
    if bounds is not None and n:
        low, high = float(pg.weight.min()), float(pg.weight.max())
        if low < bounds[0] or high > bounds[1]:
            raise ModelDefinitionError(f"{proj.owner}: weights drawn in [{low:g}, {high:g}] reach outside [w_min, "
                                       f"w_max] = [{bounds[0]:g}, {bounds[1]:g}] of {type(rule).__name__}")
    state = {"w": pg.weight}
    for var, init in type(rule).state.items():
        state[var] = np.full(n, init, dtype)
    per_row = pg.rowptr[:, -1] - pg.rowptr[:, 0]  # pre-major: row i holds rowptr[i, 0] .. rowptr[i, -1]
    pre_of = np.repeat(np.arange(pg.rowptr.shape[0], dtype=np.int32), per_row)
    post_of = (pg.col.astype(np.int64) if pg.synapse.in_post
               else pg.col.astype(np.int64) - pg.seg_slot_lo[0] + pg.seg_post_lo[0]).astype(np.int32)
    n_pre, n_buckets = pg.rowptr.shape[0], pg.rowptr.shape[1] - 1
    bucket_of = np.tile(np.arange(n_buckets, dtype=np.int64), n_pre).repeat(np.diff(pg.rowptr, axis=1).ravel())
    xslot = (bucket_of * n_pre + pre_of).astype(np.int32)
    rcls = type(rule)
    traces = {**{k: np.full(n_buckets * n_pre, v, dtype) for k, v in rcls.pre_traces.items()},
              **{k: np.full(n_post_group, v, dtype) for k, v in rcls.post_traces.items()}}
    tsyn = np.argsort(post_of, kind="stable").astype(np.int64)
    tptr = np.zeros(n_post_group + 1, np.int64)
    np.cumsum(np.bincount(post_of, minlength=n_post_group), out=tptr[1:])
    csr_order = np.lexsort((post_of, pre_of)).astype(np.int64)  # stable: multapses keep the plan's order
    params = _cast(dict(rule.params), dtype, proj.owner + " plasticity", dt)
    return PlasticGroup(rule=rule, params=params, state=state, last=np.zeros(n if rcls.decay else 0, np.int64),
                        traces=traces, pre_last=np.zeros(n_buckets * n_pre, np.int64),
                        post_last=np.zeros(n_post_group, np.int64), xslot=xslot, pre_of=pre_of, post_of=post_of,
                        tptr=tptr, tsyn=tsyn, csr_order=csr_order, lag=lag, w_scale=w_scale)


def _note_volley(volleys: dict, proj: Projection, csr=None, w=None) -> None:
    """Collect the synchronous-volley conductance of ``proj`` where its post-synaptic model has a limit."""
    if proj.conductance and type(proj.post).max_conductance is not None:
        single = _largest_weight(proj.weight) if csr is None else (float(np.max(np.abs(w))) if np.size(w) else 0.0)
        volleys.setdefault(proj.post.name, []).append((proj.name, _volley(proj, csr, w), single))


def _threads() -> int:
    """Threads that construction may use: the cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _in_parallel(task, n: int, consume=None) -> None:
    """``consume(k, task(k))`` for ``k < n``: the tasks on a few threads (numpy's draws and the construction
    kernels release the GIL), at most one per thread in flight so that few blocks are held at once, results
    consumed on the calling thread in the order of ``k``."""
    workers = min(_threads(), n)
    if workers <= 1:
        for k in range(n):
            result = task(k)
            if consume is not None:
                consume(k, result)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending = deque()
        for k in range(n):
            pending.append(pool.submit(task, k))
            if len(pending) >= workers:
                result = pending.popleft().result()
                if consume is not None:
                    consume(k - workers + 1, result)
        base = n - len(pending)
        for i, future in enumerate(pending):
            result = future.result()
            if consume is not None:
                consume(base + i, result)


def _kept_synapses(cols: np.ndarray, row_counts: np.ndarray, keep: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Which synapses of a block (targets ``cols``, rows of ``row_counts`` synapses) reach a target in
    ``keep = (lo, hi)``, and how many per row."""
    mine = (cols >= keep[0]) & (cols < keep[1])
    rows = np.repeat(np.arange(row_counts.size), row_counts)
    return mine, np.bincount(rows[mine], minlength=row_counts.size).astype(row_counts.dtype)


def _offset_counts(draws, n_pre: int, keep: dict) -> np.ndarray:
    """Synapses of every (read offset, presynaptic row) cell, shape (largest offset + 1, n_pre): the first pass
    of the counting sort, from the rows' counts and the delays alone (and the targets, for a projection whose
    targets ``keep`` restricts)."""
    from ..connectivity import _kernels

    cells = np.zeros((1, n_pre), dtype=np.int64)

    def reach(offset: int) -> None:
        nonlocal cells
        if offset >= cells.shape[0]:
            cells = np.concatenate([cells, np.zeros((offset + 1 - cells.shape[0], n_pre), np.int64)])

    for proj, draw, pre_lo, lag, _ in draws:
        counts, bounds = draw.rows.counts, draw.rows.bounds
        if proj.name in keep:
            def kept(k, draw=draw, counts=counts, bounds=bounds, keep=keep[proj.name]):
                mine, row_counts = _kept_synapses(draw.rows.block(k)[0], counts[bounds[k]:bounds[k + 1]], keep)
                return row_counts, draw.steps(k)[mine]

            def count_kept(k, got, pre_lo=pre_lo, lag=lag, bounds=bounds):
                row_counts, steps = got
                if steps.size:
                    reach(int(steps.max()) + lag)
                    _kernels.count_cells(row_counts, pre_lo + bounds[k], steps, lag, cells)

            _in_parallel(kept, draw.n_blocks, count_kept)
            continue
        if draw.step is not None:  # one delay: whole rows at once
            reach(draw.step + lag)
            cells[draw.step + lag, pre_lo:pre_lo + counts.size] += counts
            continue

        def count(k, steps, counts=counts, bounds=bounds, pre_lo=pre_lo, lag=lag):
            if steps.size:
                reach(int(steps.max()) + lag)
                _kernels.count_cells(counts[bounds[k]:bounds[k + 1]], pre_lo + bounds[k], steps, lag, cells)

        _in_parallel(draw.steps, draw.n_blocks, count)
    return cells


def _stored_synapses(members, proj_seg, seg_values, seg_slot_lo, n_pre, pop_index, proj_lag, dt, seed, dtype,
                     volleys, keep):
    """CSR per read offset of stored projections; rows are presynaptic indices in the pre group's index space.

    A counting sort by (row, read offset) in two passes over every projection's blocks of rows, drawn on a few
    threads, each block from random streams of its own (:class:`~spikeloom.network.projection.SynapseDraw`):
    the first pass counts the synapses of every cell from the delays alone; the second draws each block again
    (the same values) and places its targets and weights, cast to the run's type, at the next free places of
    their cells. Within a cell synapses keep the order of the projections, then their CSR order. Besides the
    plan's arrays only a few blocks and the (offset, row) tables are held."""
    from ..connectivity import _kernels

    draws = []
    for proj, seg in zip(members, proj_seg):
        draw = proj.draw_synapses(np.random.default_rng(stable_seed(seed, "conn:" + proj.name)),
                                  np.random.default_rng(stable_seed(seed, "delay:" + proj.name)), dt)
        draws.append((proj, draw, pop_index[proj.pre.name][1], proj_lag[proj.name], seg))
    cells = _offset_counts(draws, n_pre, keep)
    offsets = np.flatnonzero(cells.any(axis=1))
    if offsets.size == 0:  # no synapse at all: one bucket, at the lag, keeps the group's layout regular
        offsets = np.asarray(sorted({proj_lag[p.name] for p in members}), np.int64)
    bucket_of = np.full(max(cells.shape[0], int(offsets.max()) + 1), -1, dtype=np.int64)
    bucket_of[offsets] = np.arange(offsets.size)
    # pre-major cells: the rows of one presynaptic neuron lie together, bucket after bucket, so the rows a spike
    # reads at consecutive steps are neighbours in memory (benchmarks/delivery.py: 1.2x faster delivery)
    counts = np.ascontiguousarray(cells[offsets].T) if offsets.max() < cells.shape[0] else \
        np.zeros((n_pre, offsets.size), np.int64)
    del cells
    flat = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts.ravel(), out=flat[1:])
    del counts
    rowptr = np.empty((n_pre, offsets.size + 1), dtype=np.int64)
    rowptr[:, :-1] = flat[:-1].reshape(n_pre, offsets.size)
    rowptr[:, -1] = flat[1:].reshape(n_pre, offsets.size)[:, -1]
    del flat

    scale = [float(seg_values[seg].get("w_scale", 1.0)) for _, _, _, _, seg in draws]
    scalars = {d.weight * w_scale for (_, d, _, _, _), w_scale in zip(draws, scale) if d.weight is not None}
    homogeneous = len(scalars) == 1 and all(d.weight is not None for _, d, _, _, _ in draws)
    col = np.empty(int(rowptr[-1, -1]) if n_pre else 0, dtype=np.int32)
    weight = np.empty(0 if homogeneous else col.size, dtype=dtype)
    fill = rowptr[:, :-1].copy().T  # next free place of every (bucket, row)
    no_weights = np.empty(0, dtype=np.float64)
    projections, sources = {}, {}
    for (proj, draw, pre_lo, lag, seg), w_scale in zip(draws, scale):
        volley = proj.conductance and type(proj.post).max_conductance is not None
        rows, slot_lo = draw.rows, int(seg_slot_lo[seg])

        def place(k, proj=proj, draw=draw, rows=rows, pre_lo=pre_lo, lag=lag, slot_lo=slot_lo, w_scale=w_scale, volley=volley):
            cols, w = draw.synapses(k)
            steps = np.array([draw.step], np.int64) if draw.step is not None else draw.steps(k)
            lo, hi = rows.bounds[k], rows.bounds[k + 1]
            row_counts = rows.counts[lo:hi]
            if proj.name in keep:
                mine, row_counts = _kept_synapses(cols, row_counts, keep[proj.name])
                cols, w = cols[mine], None if w is None else w[mine]
                steps = steps if draw.step is not None else steps[mine]
            _kernels.scatter(row_counts, pre_lo + lo, cols, slot_lo, no_weights if w is None else w,
                             draw.weight or 0.0, w_scale, steps, lag, bucket_of, fill, col, weight)
            if volley:  # the synchronous-volley check of conductance inputs (_check_conductance)
                w = draw.weight if w is None else w
                return _volley(proj, cols, w), float(np.max(np.abs(w), initial=0.0))
            return None

        parts = []
        _in_parallel(place, draw.n_blocks, lambda k, part: parts.append(part))
        if volley:
            volleys.setdefault(proj.post.name, []).append(
                (proj.name, sum((p[0] for p in parts), np.zeros(proj.post.n)), max((p[1] for p in parts), default=0.0)))
        projections[proj.name] = (seg, draw.nnz)
        sources[proj.name] = (proj.pre.name, float(seg_values[seg].get("w_scale", 1.0)), proj_lag[proj.name])
    return offsets, rowptr, col, float(next(iter(scalars))) if homogeneous else weight, projections, sources
