"""The generic LPU: LeakyIAF and Morris-Lecar neurons joined by alpha and graded-potential synapses.

Built from a graph (GEXF schema, ``spikeloom.lpu.gexf``) into a :class:`~spikeloom.Network` whose time unit
is the LPU's (seconds): populations ``spk`` (:class:`~spikeloom.lpu.models.LeakyIAF`, exact, rest 0,
``tau = R C``), ``gpot`` (:class:`~spikeloom.lpu.models.MorrisLecarSubsteps`: forward Euler in sub-steps of at
most 0.01 ms), ``in_spk`` and ``in_gpot`` (:class:`~spikeloom.lpu.models.PortRelay`, the input-port nodes), and
one :class:`~spikeloom.GradedProjection` per (pre population, post population, edge model, parameters):
:class:`~spikeloom.synapses.graded.AlphaEuler` from the ``spiked`` state,
:class:`~spikeloom.synapses.graded.PowerGpot` from ``V`` delayed by the edge's delay (ms, rounded to steps).

The manager updates every population first, then every projection, which is Neurokernel's ``run_step``: a
step integrates the neurons with the synaptic currents computed at the end of the previous step (zero before
the first) and the external input, then updates every synapse from the new states. Step ``t`` of the LPU is
step ``t - 1`` of the network: nothing is integrated at LPU step 0, whose output row is the initial state, and
input row ``t`` drives LPU step ``t``.

A state that becomes NaN or infinite stops the run with a :class:`~spikeloom.SimulationError` naming the LPU,
node, variable and step; the outputs keep the steps before it.
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..connectivity.generators import FromList
from ..core import validate
from ..network.graded import GradedProjection
from ..network.network import Network
from ..network.projection import DelayRule
from ..synapses.graded import AlphaEuler, PowerGpot
from .gexf import nodes_and_edges, read_gexf
from .hdf5 import InputReader, OutputWriter
from .lpu import LPU
from .models import LeakyIAF, PortRelay, morris_lecar

#: Morris-Lecar sub-step of Neurokernel's kernel (s)
ML_SUBSTEP = 1e-5
#: population of each node model
POPULATION = {"LeakyIAF": "spk", "MorrisLecar": "gpot", "port_in_spk": "in_spk", "port_in_gpot": "in_gpot"}
#: edge model -> (graded synapse, its parameters taken from the edge, presynaptic variable)
EDGE_MODELS = {"AlphaSynapse": (AlphaEuler, ("ar", "ad", "gmax"), "spiked"),
               "power_gpot_gpot": (PowerGpot, ("threshold", "slope", "power", "saturation"), "V")}


class GenericLPU(LPU):
    """An LPU built from a graph of LeakyIAF / MorrisLecar nodes and AlphaSynapse / power_gpot_gpot edges.

    ``graph``: a networkx graph with the node and edge attributes of the GEXF schema (``docs/lpu.md``), or
    the path of a GEXF file. ``dt`` in seconds. ``input_file``: HDF5 with ``array`` (steps, extern nodes).
    ``output_file='name.h5'`` writes ``name_spike.h5`` and ``name_gpot.h5`` incrementally; with
    ``record=True`` the rows are also kept in :attr:`recorded` (``'spike'``, ``'gpot'``).
    """

    def __init__(self, graph, dt: float, id: str, *, input_file=None, output_file=None, record: bool = True):
        self.dt = validate.positive(dt, "dt (s)", owner=f"LPU {id!r}")
        source = None
        if isinstance(graph, (str, bytes)) or hasattr(graph, "__fspath__"):
            source = graph.decode() if isinstance(graph, bytes) else graph
            graph = read_gexf(source)
        nodes, edges = nodes_and_edges(graph, source)
        self.nodes, self.edges = nodes, edges
        self.spike_ids = np.array([r["id"] for r in nodes if r["spiking"]], np.int64)
        self.gpot_ids = np.array([r["id"] for r in nodes if not r["spiking"]], np.int64)
        port_nodes = {kind: [r for r in nodes if r["model"] == f"port_in_{kind}"] for kind in ("gpot", "spk")}
        public = {kind: [r for r in nodes if r["public"] and r["spiking"] == (kind == "spk")]
                  for kind in ("gpot", "spk")}
        where = f"GEXF file {str(source)!r}: " if source is not None else ""
        owners: dict[tuple, int] = {}
        groups = (("in_gpot", port_nodes["gpot"]), ("in_spike", port_nodes["spk"]), ("out_gpot", public["gpot"]),
                  ("out_spike", public["spk"]))
        ports = {name: [_port_of(r, where, owners) for r in group] for name, group in groups}
        super().__init__(id, **ports)
        # every node is neuron ``site[id] = (population, index)``, in node order within its population
        members = {pop: [r for r in nodes if POPULATION[r["model"]] == pop] for pop in POPULATION.values()}
        self.site = {r["id"]: (pop, i) for pop, rows in members.items() for i, r in enumerate(rows)}
        self.members = members
        self.sites = {p: self.site[r["id"]] for name, group in groups for p, r in zip(ports[name], group)}
        self.network = self._network(members, edges)
        self.n_extern = sum(1 for r in nodes if r["extern"])
        self.input_file, self.output_file, self.record = input_file, output_file, record
        self._reader = None
        self._writers: dict[str, OutputWriter] = {}
        self.recorded: dict[str, np.ndarray] = {}
        self._rows: dict[str, list] = {}

    def _network(self, members: dict, edges: list) -> Network:
        f64 = lambda rows, k: np.array([float(r[k]) for r in rows])  # noqa: E731
        net = Network()
        if members["spk"]:
            rows = members["spk"]
            net.spk = LeakyIAF(len(rows), V_rest=0.0, V_th=f64(rows, "Vt"), V_reset=f64(rows, "Vr"),
                               R=f64(rows, "R"), tau=f64(rows, "R") * f64(rows, "C"), init={"V": f64(rows, "V")})
        if members["gpot"]:
            rows = members["gpot"]
            ml = morris_lecar(max(int(round(self.dt / ML_SUBSTEP)), 1))
            net.gpot = ml(len(rows), **{k: f64(rows, k) for k in ("V1", "V2", "V3", "V4", "phi", "offset")},
                          init={"V": f64(rows, "initV"), "n": f64(rows, "initn")})
        if members["in_spk"]:
            net.in_spk = PortRelay(len(members["in_spk"]), V_th=0.5)
        if members["in_gpot"]:
            net.in_gpot = PortRelay(len(members["in_gpot"]))
        # delays (ms, >= 0 by the graph check) round to whole steps, as in Neurokernel
        steps = {k: int(round(e["delay"] * 1e-3 / self.dt)) for k, e in enumerate(edges) if "delay" in e}
        if steps and max(steps.values()) > 0:
            k = max(steps, key=steps.get)
            validate.memory(8.0 * (steps[k] + 1) * sum(len(v) for v in members.values()),
                            f"LPU {self.id!r}: the delay buffer of edge {edges[k]['pre']}->{edges[k]['post']} (delay "
                            f"{edges[k]['delay']:g} ms = {steps[k]} steps)", fix="check the edge's 'delay' attribute "
                                                                                 "(ms) and dt (s)")
        projections: dict[tuple, list] = {}
        for k, e in enumerate(edges):
            syn, names, _ = EDGE_MODELS[e["model"]]
            values = tuple(float(e[n]) for n in names) + (float(e.get("reverse", 0.0)), float(e["conductance"]))
            key = (self.site[e["pre"]][0], self.site[e["post"]][0], e["model"], values, steps.get(k, 0))
            projections.setdefault(key, []).append(k)
        for n, ((pre, post, model, values, delay), ks) in enumerate(projections.items()):
            syn, names, variable = EDGE_MODELS[model]
            params = dict(zip(names + ("E", "conductance"), values))
            pairs = [(self.site[edges[k]["pre"]][1], self.site[edges[k]["post"]][1]) for k in ks]
            setattr(net, f"syn{n}", GradedProjection(
                getattr(net, pre), getattr(net, post), FromList(pairs), syn(**params), weight=1.0,
                delay=delay * self.dt, variable=variable, delay_rule=DelayRule(rounding="nearest", below_dt="keep")))
        return net

    @property
    def n_neurons(self) -> int:
        return sum(1 for r in self.nodes if not r["model"].startswith("port_in_"))

    def records(self) -> dict[str, list[tuple[str, str]]]:
        kinds = {"spike": (("spk", "spiked"), ("in_spk", "V")), "gpot": (("gpot", "V"), ("in_gpot", "V"))}
        return {kind: [(pop, var) for pop, var in pairs if self.members[pop]] for kind, pairs in kinds.items()}

    def _columns(self, kind: str) -> np.ndarray:
        """Column of each spiking (or graded) node, in node order, among the concatenated records."""
        offset, at = 0, {}
        for pop, _ in self.records()[kind]:
            at[pop] = offset
            offset += len(self.members[pop])
        ids = self.spike_ids if kind == "spike" else self.gpot_ids
        return np.array([at[self.site[i][0]] + self.site[i][1] for i in ids], np.int64)

    def node_of(self, population: str, index: int) -> str:
        node = self.members[population][index]
        return f"node {node['id']} ({node.get('name', 'unnamed')})"

    # ---- inputs and outputs around the compiled chunks -----------------------------------------------
    def prepare(self, start: int, n_steps: int, dt: float, chunk: int, *, write: bool = True) -> None:
        """Check dt, memory and the input file, then open the outputs (nothing is opened if a check fails)."""
        if abs(dt - self.dt) > 1e-12 * self.dt:
            raise ModelDefinitionError(f"LPU {self.id!r} was built for dt = {self.dt:g} s but the manager runs "
                                       f"dt = {dt:g} s; build the LPU and the Manager with the same dt")
        width = self.spike_ids.size + self.gpot_ids.size
        kept = n_steps if self.record else 0
        validate.memory(8.0 * (chunk * (width + self.n_extern) + kept * width),
                        f"LPU {self.id!r}: {n_steps} steps of {width} recorded node(s)",
                        fix="run fewer steps, or pass record=False and write output_file instead")
        if self.input_file is not None:
            labels = [f"column {k} (node {r['id']})" for k, r in enumerate(r for r in self.nodes if r["extern"])]
            reader = InputReader(self.input_file, self.n_extern, f"LPU {self.id!r}", labels)
            if reader.n_rows < start + n_steps:
                reader.close()
                raise ModelDefinitionError(
                    f"LPU {self.id!r}: input file {str(self.input_file)!r} has {reader.n_rows} rows, the run needs "
                    f"{start + n_steps} (row s drives step s)")
            self._reader = reader
        if self.output_file is not None and write:
            stem = str(self.output_file)
            stem = stem[:-3] if stem.endswith(".h5") else stem
            for kind, n in (("spike", self.spike_ids.size), ("gpot", self.gpot_ids.size)):
                self._writers[kind] = OutputWriter(f"{stem}_{kind}.h5", n, chunk)
        self._rows = {"spike": [], "gpot": []}

    def inputs(self, s0: int, n: int) -> dict[str, np.ndarray]:
        """Rows ``s0 .. s0 + n - 1`` of the input file, as the external current of the extern nodes."""
        if self._reader is None or not n:
            return {}
        rows = self._reader.rows(s0, n)
        out = {}
        for k, r in enumerate(r for r in self.nodes if r["extern"]):
            pop, i = self.site[r["id"]]
            out.setdefault(pop, np.zeros((n, len(self.members[pop]))))[:, i] = rows[:, k]
        return out

    def after_chunk(self, s0: int, rows: dict[str, np.ndarray]) -> None:
        for kind in ("spike", "gpot"):
            part = rows[kind][:, self._columns(kind)] if kind in rows else np.zeros((0, 0))
            if kind in self._writers and part.shape[0]:
                self._writers[kind].append(part)
            if self.record:
                self._rows[kind].append(part)

    def finish(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        for w in self._writers.values():
            w.close()
        self._writers = {}
        if self.record:
            width = {"spike": self.spike_ids.size, "gpot": self.gpot_ids.size}
            self.recorded = {k: np.concatenate(v) if v else np.zeros((0, width[k])) for k, v in self._rows.items()}


def _port_of(node: dict, where: str, owners: dict) -> tuple:
    """The one port a port or public node's selector names; ``owners`` (port -> node id) catches a port named
    by two nodes."""
    from . import selectors as sel

    label = f"{where}node {node['id']} ({node.get('name', 'unnamed')}), attribute 'selector'"
    try:
        ports = [p for p in sel.expand(node["selector"]) if p]
    except ModelDefinitionError as err:
        raise ModelDefinitionError(f"{label}: {err}") from None
    if len(ports) != 1:
        raise ModelDefinitionError(f"{label}: {node['selector']!r} must name exactly one port, names {len(ports)}")
    other = owners.setdefault(ports[0], node["id"])
    if other != node["id"]:
        raise ModelDefinitionError(f"{label}: port {node['selector']!r} is already the port of node {other}")
    return ports[0]
