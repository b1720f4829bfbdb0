"""LPU graphs: read GEXF files (networkx), validate node and edge attributes, and tabulate them.

Every node is a neuron or an input port, every edge a synapse (schema in ``docs/lpu.md``). Nodes are
ordered by integer id and edges by postsynaptic id, as Neurokernel orders them. Every model parameter is
parsed here into a finite float (GEXF may store it as a string), so an error names the file, the node or edge
and the attribute before anything is built.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import ModelDefinitionError

#: node model -> parameters every node of that model must have
NEURON_PARAMS = {
    "LeakyIAF": ("V", "Vr", "Vt", "R", "C"),
    "MorrisLecar": ("V1", "V2", "V3", "V4", "phi", "offset", "initV", "initn"),
    "port_in_gpot": (),
    "port_in_spk": (),
}
#: edge model -> parameters every edge of that model must have
SYNAPSE_PARAMS = {
    "AlphaSynapse": ("ar", "ad", "gmax"),
    "power_gpot_gpot": ("threshold", "slope", "power", "saturation", "delay"),
}
NODE_REQUIRED = ("model", "spiking", "extern", "public")
#: parameters that divide or set a time constant: they must be > 0 (others may have any finite value)
POSITIVE = {"R", "C", "phi", "V2", "V4", "ar", "ad"}
#: parameters that must be >= 0
NONNEGATIVE = {"gmax", "delay", "saturation"}


class GraphError(ModelDefinitionError):
    """An LPU graph has an unknown model, a missing attribute or an inconsistent value."""


def read_gexf(path):
    """Read a (possibly gzipped) GEXF file into a networkx graph."""
    import networkx as nx

    try:
        return nx.read_gexf(str(path))
    except Exception as err:  # networkx raises several kinds for malformed XML, missing files, bad types
        why = err.strerror if isinstance(err, OSError) and err.strerror else f"{type(err).__name__}: {err}"
        raise GraphError(f"cannot read GEXF file {str(path)!r}: {why}") from None


def write_gexf(graph, path) -> None:
    """Write ``graph`` as GEXF (gzipped if ``path`` ends in ``.gz``), atomically: a crash leaves the old file."""
    import networkx as nx

    from ..io.atomic import atomic_path

    with atomic_path(path) as tmp:
        nx.write_gexf(graph, str(tmp))


def _node_id(n, where: str) -> int:
    if isinstance(n, (bool, np.bool_)):
        raise GraphError(f"{where}node {n!r}: LPU node ids must be integers")
    try:
        value = float(n) if isinstance(n, str) else n
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise GraphError(f"{where}node {n!r}: LPU node ids must be integers") from None


def _as_bool(value, where: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise GraphError(f"{where}: expected a boolean (true/false), got {value!r}")


def _as_number(value, where: str, name: str) -> float:
    """A model parameter as a finite float; GEXF may hold it as a number or as a numeric string."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise GraphError(f"{where}, attribute {name!r}: expected a number, got {value!r}")
    try:
        x = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise GraphError(f"{where}, attribute {name!r}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise GraphError(f"{where}, attribute {name!r}: must be finite, got {value!r}")
    if name in POSITIVE and x <= 0:
        raise GraphError(f"{where}, attribute {name!r}: must be > 0, got {value!r}")
    if name in NONNEGATIVE and x < 0:
        raise GraphError(f"{where}, attribute {name!r}: must be >= 0, got {value!r}")
    return x


def _as_class(value, where: str) -> int:
    """The synapse class 0-3 (Neurokernel's spiking/graded pair code), as an int."""
    x = _as_number(value, where, "class")
    if not x.is_integer() or not 0 <= x <= 3:
        raise GraphError(f"{where}, attribute 'class': must be an integer 0-3, got {value!r}")
    return int(x)


def nodes_and_edges(graph, source=None) -> tuple[list[dict], list[dict]]:
    """Validated node and edge records: nodes sorted by id, edges by postsynaptic id (then edge order).

    ``source`` (the GEXF file the graph was read from, if any) is named in every error.
    """
    where = f"GEXF file {str(source)!r}: " if source is not None else ""
    nodes = []
    for n, attrs in graph.nodes(data=True):
        nid = _node_id(n, where)
        label = f"{where}node {nid} ({attrs.get('name', attrs.get('label', 'unnamed'))})"
        missing = [k for k in NODE_REQUIRED if k not in attrs]
        if missing:
            raise GraphError(f"{label}: missing attribute(s) {missing}")
        model = attrs["model"]
        if model not in NEURON_PARAMS:
            raise GraphError(f"{label}: unknown neuron model {model!r}; known: {sorted(NEURON_PARAMS)}")
        rec = dict(attrs)
        rec.pop("label", None)
        rec["id"] = nid
        for k in ("spiking", "extern", "public"):
            rec[k] = _as_bool(attrs[k], f"{label}, attribute {k!r}")
        if model.startswith("port_in_"):
            rec["spiking"], rec["public"] = model == "port_in_spk", False
            if "selector" not in attrs:
                raise GraphError(f"{label}: input-port node needs a 'selector'")
        if rec["public"] and "selector" not in attrs:
            raise GraphError(f"{label}: public node needs a 'selector' (its output port)")
        if model == "LeakyIAF" and not rec["spiking"] or model == "MorrisLecar" and rec["spiking"]:
            raise GraphError(f"{label}: model {model} is {'spiking' if model == 'LeakyIAF' else 'graded'} here; "
                             f"its 'spiking' attribute says {rec['spiking']}")
        absent = [k for k in NEURON_PARAMS[model] if k not in attrs]
        if absent:
            raise GraphError(f"{label}: model {model} needs attribute(s) {absent}")
        rec.update({k: _as_number(attrs[k], label, k) for k in NEURON_PARAMS[model]})
        if "selector" in rec and not isinstance(rec["selector"], str):
            raise GraphError(f"{label}, attribute 'selector': expected a str, got {rec['selector']!r}")
        nodes.append(rec)
    nodes.sort(key=lambda r: r["id"])
    by_id = {r["id"]: r for r in nodes}
    if len(by_id) != len(nodes):
        dup = next(r["id"] for r, q in zip(nodes, nodes[1:]) if r["id"] == q["id"])
        raise GraphError(f"{where}node id {dup} is used by two nodes (ids such as '3' and '03' are the same integer)")

    edges = []
    for order, (u, v, attrs) in enumerate(graph.edges(data=True)):
        pre, post = _node_id(u, where), _node_id(v, where)
        label = f"{where}edge {pre}->{post} ({attrs.get('name', 'unnamed')})"
        model = attrs.get("model")
        if model is None:
            raise GraphError(f"{label}: missing attribute 'model'")
        if model not in SYNAPSE_PARAMS:
            raise GraphError(f"{label}: unknown synapse model {model!r}; known: {sorted(SYNAPSE_PARAMS)}")
        rec = dict(attrs)
        rec.pop("id", None)
        rec.pop("label", None)
        rec.update(pre=pre, post=post, order=order)
        if "reverse" not in rec and "reversal_pot" in rec:
            rec["reverse"] = rec.pop("reversal_pot")
        rec["conductance"] = _as_bool(rec.get("conductance", True), f"{label}, attribute 'conductance'")
        absent = [k for k in SYNAPSE_PARAMS[model] + ("class",) if k not in rec]
        if rec["conductance"] and "reverse" not in rec:
            absent.append("reverse")
        if absent:
            raise GraphError(f"{label}: model {model} needs attribute(s) {absent}")
        numeric = SYNAPSE_PARAMS[model] + (("reverse",) if "reverse" in rec else ())
        rec.update({k: _as_number(rec[k], label, k) for k in numeric})
        src, dst = by_id[pre], by_id[post]
        if dst["model"].startswith("port_in_"):
            raise GraphError(f"{label}: an input-port node cannot receive synapses")
        cls = rec["class"] = _as_class(rec["class"], label)
        expected = 2 * (not src["spiking"]) + (not dst["spiking"])
        if cls != expected:
            raise GraphError(f"{label}: class {cls} does not fit a {'spiking' if src['spiking'] else 'graded'} -> "
                             f"{'spiking' if dst['spiking'] else 'graded'} pair (expected class {expected})")
        if model == "AlphaSynapse" and not src["spiking"]:
            raise GraphError(f"{label}: AlphaSynapse needs a spiking presynaptic node")
        if model == "power_gpot_gpot" and src["spiking"]:
            raise GraphError(f"{label}: power_gpot_gpot needs a graded-potential presynaptic node")
        edges.append(rec)
    edges.sort(key=lambda r: (r["post"], r["order"]))
    return nodes, edges


def graph_to_dicts(graph, source=None) -> tuple[dict, dict]:
    """Neurokernel's ``(n_dict, s_dict)``: ``n_dict[model][attr]`` and ``s_dict[model][attr]`` lists."""
    nodes, edges = nodes_and_edges(graph, source)
    return _grouped(nodes), _grouped(edges)


def _grouped(records: list[dict]) -> dict:
    """model -> attribute -> list over the model's records (None where a record lacks an optional attribute)."""
    out: dict = {}
    for model in dict.fromkeys(r["model"] for r in records):
        rows = [r for r in records if r["model"] == model]
        keys = list(dict.fromkeys(k for r in rows for k in r))
        out[model] = {k: [r.get(k) for r in rows] for k in keys}
    return out


def graph_to_frames(graph, source=None):
    """The graph as two pandas DataFrames: neurons (indexed by node id) and synapses (pre, post, attributes)."""
    import pandas as pd

    nodes, edges = nodes_and_edges(graph, source)
    neurons = pd.DataFrame(nodes).set_index("id").sort_index()
    synapses = pd.DataFrame(edges).drop(columns="order")
    return neurons, synapses
