"""Projection of the PyNN backend (on :mod:`pyNN.common`).

PyNN's own connectors draw the connections (``_convergent_connect``), so connectivity, its random numbers
and its parameter handling are PyNN's; the projection keeps them as columns (pre index, post index, weight,
delay and any synapse parameter, in PyNN's units) and becomes, when the network is built, one spikeloom
projection with a :class:`~spikeloom.FromList` connector per (pre population, post population, synapse
parameters) group: one, unless an end is an Assembly or synapse parameters differ between connections. Plastic weights are read back from the
Runner when asked for (``get``) or before a rebuild.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from pyNN import common
from pyNN.space import Space

import spikeloom as sl

from . import simulator
from .synapses import StaticSynapse

#: how PyNN's delays become steps: NEST's rule (nearest step, at least one step)
DELAY_RULE = sl.DelayRule(rounding="nearest", below_dt="error")


class Connection(common.Connection):
    """One connection, read from the projection's columns."""

    def __init__(self, projection, i):
        self.projection, self.i = projection, i

    def __getattr__(self, name):
        columns = self.__dict__["projection"]._columns()
        if name not in columns:
            raise AttributeError(name)
        return columns[name][self.__dict__["i"]]

    def __setattr__(self, name, value):
        if name in ("projection", "i"):
            object.__setattr__(self, name, value)
            return
        self.projection._pull()
        self.projection._columns()[name][self.i] = value
        simulator.state.changed()

    def as_tuple(self, *names):
        return tuple(getattr(self, name) for name in names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector, synapse_type=None,
                 source=None, receptor_type=None, space=Space(), label=None):
        super().__init__(presynaptic_population, postsynaptic_population, connector, synapse_type, source,
                         receptor_type, space, label)
        if source not in (None, "spike"):
            raise NotImplementedError(f"spikeloom.pynn: projections start at spikes (source={source!r})")
        self._parts: list[dict] = []
        self._cache = None
        self._sl_parts: list = []
        self._stale = False  # a run may have changed plastic weights not yet read back
        simulator.state.projections.append(self)
        simulator.state.changed()
        connector.connect(self)

    # ---- connections --------------------------------------------------------------------------------
    def _convergent_connect(self, presynaptic_indices, postsynaptic_index, location_selector=None,
                            **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("spikeloom.pynn has point neurons only (no location_selector)")
        pre = np.atleast_1d(np.asarray(presynaptic_indices, dtype=np.int64))
        part = {"presynaptic_index": pre, "postsynaptic_index": np.full(pre.size, int(postsynaptic_index))}
        for name, value in connection_parameters.items():
            part[name] = np.broadcast_to(np.asarray(value, dtype=float), pre.shape).copy()
        self._parts.append(part)
        self._cache = None

    def _columns(self) -> dict:
        """All connections as columns, sorted by (pre, post) (spikeloom's storage order), multapses in order."""
        if self._cache is None:
            if self._parts:
                names = self._parts[0].keys()
                cols = {k: np.concatenate([p[k] for p in self._parts]) for k in names}
                order = np.lexsort((cols["postsynaptic_index"], cols["presynaptic_index"]))
                cols = {k: v[order] for k, v in cols.items()}
            else:
                cols = {"presynaptic_index": np.zeros(0, np.int64), "postsynaptic_index": np.zeros(0, np.int64),
                        "weight": np.zeros(0), "delay": np.zeros(0)}
            self._parts = [cols]
            self._cache = cols
        return self._cache

    def __len__(self):
        return int(self._columns()["presynaptic_index"].size)

    def __getitem__(self, i):
        return Connection(self, i)

    @property
    def connections(self):
        return [Connection(self, i) for i in range(len(self))]

    def _get_attributes_as_list(self, names):
        self._pull()
        cols = self._columns()
        values = [cols[n] for n in names]
        return [tuple(v[i] for v in values) for i in range(len(self))]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        self._pull()
        cols = self._columns()
        pre, post = cols["presynaptic_index"], cols["postsynaptic_index"]
        combine = self.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        arrays = []
        for name in names:
            name = name[:-1] if name.endswith("s") and name[:-1] in cols else name
            out = np.full((self.pre.size, self.post.size), np.nan)
            for i, j, v in zip(pre, post, cols[name]):
                out[i, j] = v if np.isnan(out[i, j]) else combine(out[i, j], v)
            arrays.append(out)
        return arrays

    def _set_attributes(self, parameter_space):
        self._pull()
        cols = self._columns()
        pre, post = cols["presynaptic_index"], cols["postsynaptic_index"]
        parameter_space.evaluate(simplify=False)  # 2-D (pre, post) arrays
        for name, value in parameter_space.items():
            cols[name] = np.broadcast_to(np.asarray(value, dtype=float), self.shape)[pre, post].copy()
        simulator.state.changed()

    def _set_initial_value_array(self, variable, initial_value):
        raise NotImplementedError("spikeloom.pynn: initial values of synapse state variables are not supported")

    # ---- spikeloom ----------------------------------------------------------------------------------------
    def _pull(self):
        """Read plastic weights back from the Runner, once per run."""
        runner = simulator.state.runner
        if not self._stale or runner is None:
            return
        weight = self._columns()["weight"]
        for part in self._sl_parts:
            if part.name in runner.plan.proj_index and part.projection.plasticity is not None:
                stored = np.asarray(runner.connections(part.name).weight.data, float)
                weight[part.rows] = stored / part.scale
        self._stale = False

    @staticmethod
    def _members(p):
        """(parent population, parent index) of every cell of a population, view or assembly, in its order."""
        if isinstance(p, common.Assembly):
            pairs = [Projection._members(q) for q in p.populations]
            return [x for pair in pairs for x in pair[0]], np.concatenate([pair[1] for pair in pairs])
        if isinstance(p, common.PopulationView):
            return [p.grandparent] * p.size, np.asarray(p.grandparent.id_to_index(p.all_cells), dtype=np.int64)
        return [p] * p.size, np.arange(p.size)

    @staticmethod
    def _order(pops, pop):
        """Index of the first occurrence of ``pop`` in ``pops`` (one label per distinct population)."""
        return next(n for n, q in enumerate(pops) if q is pop)

    def _sl_build(self, name: str) -> list:
        """The spikeloom projections: one per (pre population, post population, synapse parameters) group of
        connections (synapse parameters: the receptor's time constants and reversal potentials at the target
        neuron and the plasticity parameters of the connection, which spikeloom keeps per projection)."""
        cols = self._columns()
        pre_pops, pre_map = self._members(self.pre)
        post_pops, post_map = self._members(self.post)
        pre_k = np.array([self._order(pre_pops, pre_pops[i]) for i in range(len(pre_pops))], dtype=np.int64)
        post_k = np.array([self._order(post_pops, post_pops[j]) for j in range(len(post_pops))], dtype=np.int64)
        pop_pair = np.stack([pre_k[cols["presynaptic_index"]], post_k[cols["postsynaptic_index"]]], axis=1)
        rule_cols = [k for k in cols if k not in _NOT_RULE_PARAMETERS]
        groups = []
        for a, b in np.unique(pop_pair, axis=0) if len(pop_pair) else ():
            rows = np.nonzero((pop_pair[:, 0] == a) & (pop_pair[:, 1] == b))[0]
            post_pop = post_pops[int(np.nonzero(post_k == b)[0][0])]
            j = post_map[cols["postsynaptic_index"][rows]]
            keys = np.stack([post_pop._native[k][j] for k in post_pop.celltype.sl_receptor_parameters]
                            + [cols[k][rows] for k in rule_cols] + [np.zeros(rows.size)], axis=1)
            for key in np.unique(keys, axis=0):
                groups.append((pre_pops[int(np.nonzero(pre_k == a)[0][0])], post_pop,
                               rows[np.all(keys == key, axis=1)]))
        if len(groups) > MAX_GROUPS:
            raise NotImplementedError(f"spikeloom.pynn: projection {self.label!r} has {len(groups)} distinct "
                                      "combinations of populations and synapse parameters (synapse time constants, "
                                      "reversal potentials, plasticity parameters); spikeloom makes one projection "
                                      f"per combination, at most {MAX_GROUPS}")
        parts = []
        for k, (pre_pop, post_pop, rows) in enumerate(groups):
            i, j = pre_map[cols["presynaptic_index"][rows]], post_map[cols["postsynaptic_index"][rows]]
            order = np.lexsort((j, i))  # spikeloom stores synapses sorted by (pre, post)
            rows, i, j = rows[order], i[order], j[order]
            targets = {key: value[j] for key, value in post_pop._native.items()}
            synapse, output, scale = post_pop.celltype.sl_receptor(self.receptor_type, targets)
            sub = {key: value[rows] for key, value in cols.items()}
            kwargs = {"synapse": synapse, "delay_rule": DELAY_RULE,
                      "plasticity": self.synapse_type.sl_rule(sub, scale)}
            if output is not None:
                kwargs["output"] = output
            conn = sl.FromList(i, j, weight=sub["weight"] * scale, delay=sub["delay"])
            model = sl.Projection(pre_pop._sl_model, post_pop._sl_model, conn, **kwargs)
            parts.append(_Part(f"{name}_{k}" if len(groups) > 1 else name, model, pre_pop, post_pop, rows, scale))
        return parts


#: columns of a projection that are not parameters of its plasticity rule
_NOT_RULE_PARAMETERS = ("presynaptic_index", "postsynaptic_index", "weight", "delay", "dendritic_delay_fraction")
#: most spikeloom projections one PyNN projection may become
MAX_GROUPS = 64


class _Part(NamedTuple):
    """One spikeloom projection of a PyNN projection: its network name, the connections (rows of the
    projection's columns, in storage order) and the weight scale PyNN -> spikeloom."""

    name: str
    projection: sl.Projection
    pre: object
    post: object
    rows: np.ndarray
    scale: float
