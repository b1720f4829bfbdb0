"""Graded projections and gap junctions: coupling that acts at every step (see :mod:`spikeloom.synapses.graded`).

Plan entry: a projection group of kind ``"graded"`` whose synapse state ``I`` has one slot per post-synaptic
neuron of each segment, as for any projection group. Each stored synapse keeps its presynaptic index (in the
pre group), post-synaptic index (in the post group), target slot, weight, delay in steps and the model's
parameters. The group keeps ``hist`` (depth x pre group size), the presynaptic variable of the last ``depth =
largest delay + 1`` executions of the operation. At step ``s`` the operation (both engines):

1. writes the presynaptic variable into ``hist[s % depth]``;
2. sets every slot of ``I`` to zero, then, synapse by synapse in storage order, reads
   ``x = hist[(s - d) % depth, pre]``, advances the synapse's own state (``update``, if the model has one) and
   adds ``w * current(x, V[post], states, params)``.

So a graded projection run before its presynaptic population (the default schedule) reads the state at the
end of step ``s - 1 - d``; rows not yet written hold the initial state. The neuron update then adds ``I`` as
a ``CUBA`` current.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._errors import ModelDefinitionError
from ..connectivity.generators import Connector
from ..core import validate
from ..neurons._base import AbstractNeuron
from ..synapses.graded import Gap, GradedSynapse
from ..synapses.outputs import CUBA
from .network import Network
from .projection import DelayRule, Projection


class GradedProjection(Projection):
    """Every step, each synapse ``pre[i] -> post[j]`` adds ``weight * synapse.current(x_i(t - delay), V_j)``
    to ``post``'s input current (a :class:`~spikeloom.synapses.graded.GradedSynapse`: ``PowerGpot(...)``,
    ``Gap()``, or a user's model).

    ``conn``: a stored connector (``FromList``, ``FixedProb``, ``OneToOne`` ...). ``weight``: a number or one
    value per synapse (the connector's CSR order); None takes the connector's own weights (else 1).
    ``delay``: ms, a number or one per synapse, rounded to steps by ``delay_rule`` (default: exact multiples
    of dt, zero allowed). ``variable``: the presynaptic state variable read (default its first ODE
    variable, the membrane potential). Called in a custom ``update`` like a projection.
    """

    def __init__(self, pre: AbstractNeuron, post: AbstractNeuron, conn: Connector, synapse: GradedSynapse,
                 weight=None, delay=0.0, variable: str | None = None, delay_rule: DelayRule | None = None,
                 name: str | None = None):
        if name is not None and not isinstance(name, str):
            raise ModelDefinitionError(f"{type(self).__name__}: name must be a string, got {type(name).__name__}")
        self.name = name
        for role, pop in (("pre", pre), ("post", post)):
            if not isinstance(pop, AbstractNeuron):
                raise ModelDefinitionError(f"{self.owner}: {role} must be a neuron population, got "
                                           f"{type(pop).__name__}")
        self.pre, self.post, self.conn = pre, post, conn
        owner = self.owner
        if not type(post).ode_vars:
            raise ModelDefinitionError(f"{owner}: post {post!r} is a spike source and cannot receive a current")
        if not isinstance(conn, Connector):
            raise ModelDefinitionError(f"{owner}: conn must be a stored connector (FromList, FixedProb, ...), got "
                                       f"{type(conn).__name__}")
        conn.check(pre.n, post.n, pre is post, owner)
        if not isinstance(synapse, GradedSynapse):
            raise ModelDefinitionError(f"{owner}: synapse must be a graded synapse (PowerGpot, Gap, ...), got "
                                       f"{type(synapse).__name__}")
        self.synapse, self.output = synapse, CUBA()
        self.variable = variable if variable is not None else (type(pre).ode_vars or (None,))[0]
        if self.variable not in type(pre).state:
            raise ModelDefinitionError(f"{owner}: variable {self.variable!r} is not a state variable of "
                                       f"{type(pre).__name__}; its variables: {list(type(pre).state)}")
        self.weight_unit = synapse.weight_unit
        self.weight = None if weight is None else (
            validate.real_array(weight, "weight", owner=owner) if np.ndim(weight) else
            validate.real(weight, "weight", owner=owner))
        self.delay = (validate.real_array(delay, "delay", owner=owner) if np.ndim(delay) else
                      validate.real(delay, "delay", owner=owner, unit="ms", low=0.0))
        self.delay_rule = delay_rule if delay_rule is not None else DelayRule(rounding="exact", below_dt="keep")
        self.delay_std, self.synapse_init, self._conn_weight_scale = 0.0, {}, 1.0

    @property
    def owner(self) -> str:
        kind = type(self).__name__
        return f"{kind} {self.name!r}" if self.name else kind

    @property
    def storage(self) -> str:
        return "graded"

    def pairs(self, rng: np.random.Generator, dt: float):
        """(pre index, post index, weight, delay steps) of every synapse, in the connector's CSR order."""
        csr = self.conn.build(self.pre.n, self.post.n, rng, self.pre is self.post)
        n = csr.nnz
        w = self.weight if self.weight is not None else (csr.weight if csr.weight is not None else 1.0)
        d = self.delay
        for what, v in (("weight", w), ("delay", d)):
            if np.ndim(v) and np.shape(v) != (n,):
                raise ModelDefinitionError(f"{self.owner}: {np.size(v)} {what}s given for {n} synapses")
        steps = self.delay_rule.steps(np.broadcast_to(np.asarray(d, np.float64), (n,)).copy(), dt, self.owner,
                                      lambda i: f"synapse {i}")
        return (csr.rows(), csr.col.astype(np.int64), np.broadcast_to(np.asarray(w, np.float64), (n,)),
                np.asarray(steps, np.int64))

    def __repr__(self):
        return f"GradedProjection({self.name!r}: {self.pre.name} -> {self.post.name}, {self.synapse})"


class GapJunction(Network):
    """Electrical synapses between ``a`` and ``b``: for each pair ``(i, j)`` of ``conn`` (``a[i]``, ``b[j]``),
    ``I_a[i] += g (V_b[j] - V_a[i])`` and ``I_b[j] += g (V_a[i] - V_b[j])`` at every step, from the
    potentials at the start of the step (``g``: ``weight``, nS with mV; a number or one per pair).

    A sub-network of two :class:`GradedProjection` with the :class:`~spikeloom.synapses.graded.Gap` model,
    ``ab`` (into ``b``) and ``ba`` (into ``a``); a custom ``update`` calls both before updating ``a`` or ``b``.
    """

    def __init__(self, a: AbstractNeuron, b: AbstractNeuron, conn: Connector, weight, name: str | None = None):
        super().__init__()
        self.ab = GradedProjection(a, b, conn, Gap(), weight=weight, name=name)
        self.ba = _Reversed(self.ab)  # the same pairs (drawn from ab's stream), reversed

    def __repr__(self):
        return f"GapJunction({self.ab.pre.name} <-> {self.ab.post.name})"


class _Reversed(GradedProjection):
    """The ``b -> a`` half of a gap junction: the pairs of ``forward`` with pre and post swapped."""

    def __init__(self, forward: GradedProjection):
        self.name, self.forward = None, forward
        self.pre, self.post, self.conn = forward.post, forward.pre, forward.conn
        self.synapse, self.output, self.variable = forward.synapse, forward.output, forward.variable
        self.weight_unit, self.weight, self.delay, self.delay_rule = (forward.weight_unit, forward.weight,
                                                                      forward.delay, forward.delay_rule)
        self.delay_std, self.synapse_init, self._conn_weight_scale = 0.0, {}, 1.0

    def pairs(self, rng: np.random.Generator, dt: float):
        pre, post, w, d = self.forward.pairs(rng, dt)
        return post, pre, w, d


@dataclass
class GradedPairs:
    """The stored synapses of a graded projection group (arrays as described in the module docstring)."""

    pre: np.ndarray  # int32 presynaptic index in the pre group
    post: np.ndarray  # int32 post-synaptic index in the post group
    slot: np.ndarray  # int32 target slot of the group's state I
    weight: np.ndarray  # float64
    delay: np.ndarray  # int64 steps
    params: dict[str, np.ndarray]  # model parameter -> one value per synapse (float64)
    sstate: dict[str, np.ndarray]  # the model's synapse_state -> one value per synapse (float64)
    variable: str  # presynaptic state variable
    hist0: np.ndarray  # initial presynaptic variable (one row of hist)
    depth: int
    kind: ClassVar[str] = "graded"

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)

    def engine_arrays(self, n_slots: int, dtype) -> dict[str, np.ndarray]:
        """The engines' arrays, packed so that a group passes few (each array argument of the compiled loop
        costs compile time): ``gr_idx`` rows pre, post, slot, delay (int32); ``gr_p`` one row per parameter and
        ``gr_s`` one per synapse state, in the model's order; ``gr_w``; ``gr_hist``."""
        n = self.n_synapses
        return {"gr_idx": np.stack([self.pre, self.post, self.slot, self.delay]).astype(np.int32).reshape(4, n),
                "gr_w": self.weight.astype(dtype), "gr_hist": np.tile(self.hist0.astype(dtype), (self.depth, 1)),
                "gr_p": np.array(list(self.params.values()), dtype).reshape(len(self.params), n),
                "gr_s": np.array(list(self.sstate.values()), dtype).reshape(len(self.sstate), n)}


def build_graded_group(members: list[GradedProjection], pre_g: int, post_g: int, groups, pop_index: dict,
                       dt: float, seed: int, dtype):
    """The projection group of the graded projections ``members`` (same pre and post groups, model and place
    in the schedule, hence the same presynaptic variable: checked)."""
    from .build import ProjectionGroup, _segments, stable_seed  # (build imports this module)

    syn_t = type(members[0].synapse)
    variables = {p.variable for p in members}
    if len(variables) > 1:
        raise ModelDefinitionError(f"graded projections {[p.name for p in members]} read different presynaptic "
                                   f"variables {sorted(variables)} at the same place of the step; call them apart")
    proj_seg, seg_post_lo, seg_n, seg_slot_lo, seg_params, _ = _segments(members, pop_index, syn_t, dt, dtype)
    parts = {k: [] for k in ("pre", "post", "slot", "weight", "delay")}
    params = {k: [] for k in syn_t.parameters}
    for proj, seg in zip(members, proj_seg):
        name = proj.forward.name if isinstance(proj, _Reversed) else proj.name
        rng = np.random.default_rng(stable_seed(seed, "conn:" + name))
        pre, post, w, d = proj.pairs(rng, dt)
        _, pre_lo, _, _ = pop_index[proj.pre.name]
        _, post_lo, _, _ = pop_index[proj.post.name]
        parts["pre"].append(pre + pre_lo)
        parts["post"].append(post + post_lo)
        parts["slot"].append(post + seg_slot_lo[seg])
        parts["weight"].append(w)
        parts["delay"].append(d)
        for k in params:
            params[k].append(np.full(pre.size, float(proj.synapse.params[k])))
    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    delay = cat["delay"].astype(np.int64)
    validate.memory(np.dtype(dtype).itemsize * (int(delay.max(initial=0)) + 1) * groups[pre_g].n,
                    f"the delay history of graded projection(s) {[p.name for p in members]}")
    n_slots = int(seg_n.sum())
    op = GradedPairs(pre=cat["pre"].astype(np.int32), post=cat["post"].astype(np.int32),
                     slot=cat["slot"].astype(np.int32), weight=cat["weight"].astype(np.float64), delay=delay,
                     params={k: np.concatenate(v) if v else np.zeros(0) for k, v in params.items()},
                     sstate={k: np.zeros(delay.size) for k in syn_t.synapse_state},
                     variable=members[0].variable, hist0=groups[pre_g].state[members[0].variable],
                     depth=int(delay.max(initial=0)) + 1)
    return ProjectionGroup(
        synapse=syn_t, output=CUBA, pre=pre_g, post=post_g, seg_slot_lo=seg_slot_lo,
        seg_post_lo=np.asarray(seg_post_lo, np.int64), seg_n=seg_n, seg_params=seg_params,
        state={"I": np.zeros(n_slots, dtype)}, offsets=np.zeros(0, np.int64), rowptr=np.zeros((0, 1), np.int64),
        col=np.zeros(0, np.int32), weight=0.0,
        projections={p.name: (seg, p_n) for p, seg, p_n in zip(members, proj_seg, map(len, parts["pre"]))},
        sources={p.name: (p.pre.name, 1.0, 0) for p in members}, operator=op)


def graded_connections(plan, pg, name: str):
    """The synapses of graded projection ``name`` of group ``pg`` as built (``Runner.connections``): weights and
    delays (ms, whole steps times dt) as two ``scipy.sparse.csr_array`` (n_pre, n_post), one entry per
    synapse, rows sorted by post index; each half of a gap junction is a projection of its own (``gap.ab``,
    ``gap.ba``). A group stores the synapses of its projections one projection after another."""
    import scipy.sparse as sp

    from .build import Connections  # (build imports this module)

    seg, n = pg.projections[name]
    names = list(pg.projections)
    start = sum(pg.projections[p][1] for p in names[: names.index(name)])
    op, part = pg.operator, slice(start, start + n)
    _, plo, phi, _ = plan.pop_index[pg.sources[name][0]]
    pre = op.pre[part].astype(np.int64) - plo
    post = op.slot[part].astype(np.int64) - int(pg.seg_slot_lo[seg])
    order = np.lexsort((post, pre))  # stable: synapses of one pair keep the plan's order
    indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=phi - plo))])
    shape = (phi - plo, int(pg.seg_n[seg]))
    return Connections(sp.csr_array((op.weight[part][order], post[order], indptr), shape=shape),
                       sp.csr_array((op.delay[part][order] * plan.dt, post[order], indptr), shape=shape))
