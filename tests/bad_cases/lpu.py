"""Bad inputs to LPUs: selectors, interfaces, patterns, the manager, GEXF graphs, HDF5 inputs, the demo."""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
import numpy as np

from bad_cases import ApiCase, CliCase
from spikeloom import ModelDefinitionError as MDE
from spikeloom import ResourceError, SimulationError
from spikeloom import lpu
from spikeloom.lpu import GenericLPU, GraphError, Interface, Manager, Pattern, demo, hdf5
from spikeloom.lpu.gexf import write_gexf
from spikeloom.lpu.manager import steps_of

DT = 1e-4
LIF = dict(Vr=-0.0675, Vt=-0.0251, R=1.02, C=0.067)


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="spikeloom-bad-lpu-"))


def _graph(node: dict | None = None, edge: dict | None = None) -> nx.MultiDiGraph:
    """A public LIF neuron 0 ('/a[0]') with external input, and with ``edge`` a second LIF neuron 1 it drives;
    ``node`` overrides attributes of node 0."""
    g = nx.MultiDiGraph()
    g.add_node(0, model="LeakyIAF", name="n0", extern=True, public=True, spiking=True, selector="/a[0]", V=-0.05,
               **LIF)
    g.nodes[0].update(node or {})
    if edge is not None:
        g.add_node(1, model="LeakyIAF", name="n1", extern=False, public=False, spiking=True, V=-0.05, **LIF)
        g.add_edge(0, 1, **(dict(model="AlphaSynapse", ar=110.0, ad=1900.0, gmax=3e-3, reverse=0.065, name="syn",
                                 **{"class": 0}) | edge))
    return g


def _power_graph(delay: float) -> nx.MultiDiGraph:
    """Two Morris-Lecar neurons joined by a graded synapse of ``delay`` ms."""
    g = nx.MultiDiGraph()
    ml = dict(model="MorrisLecar", extern=False, public=False, spiking=False, V1=0.03, V2=0.015, V3=0.0, V4=0.03,
              phi=0.025, offset=0.0, initV=-0.05, initn=0.03)
    g.add_node(0, name="m0", **ml)
    g.add_node(1, name="m1", **ml)
    g.add_edge(0, 1, model="power_gpot_gpot", threshold=-0.05, slope=0.8, power=1.0, saturation=0.03, delay=delay,
               reverse=-0.08, name="gp", **{"class": 3})
    return g


def _gexf_file(graph) -> Path:
    path = _tmp() / "lpu.gexf"
    write_gexf(graph, path)
    return path


def _file(name: str, data: bytes) -> Path:
    path = _tmp() / name
    path.write_bytes(data)
    return path


def _h5(build) -> Path:
    """An HDF5 file made by ``build(h5py.File)``."""
    import h5py

    path = _tmp() / "in.h5"
    with h5py.File(path, "w") as f:
        build(f)
    return path


def _run_with_input(array=None, path=None, steps: int = 10, graph=None):
    """Run the one-neuron LPU for ``steps`` steps with an input file (``array`` written as-is, or ``path``)."""
    if path is None:
        path = _h5(lambda f: f.create_dataset("array", data=array))
    lpu_ = GenericLPU(graph if graph is not None else _graph(), DT, "L", input_file=path)
    man = Manager(DT)
    man.add(lpu_)
    man.run(steps)


def _two_lpus(type_b: str = "gpot"):
    """LPU 'a' with an out gpot port /a/o[0], LPU 'b' with an in port /b/i[0] of ``type_b``."""
    from spikeloom.lpu import LPU

    a, b = LPU("a", out_gpot="/a/o[0]"), LPU("b", **{f"in_{type_b}": "/b/i[0]"})
    man = Manager(DT)
    man.add(a)
    man.add(b)
    return man, a, b


def _connect(pattern_ports=("/a/o[0]", "/b/i[0]"), src="/a/o[0]", dst="/b/i[0]", type_b="gpot", **kw):
    man, a, b = _two_lpus(type_b)
    p = Pattern(*pattern_ports)
    p[src, dst] = 1
    man.connect(kw.pop("lpu_0", a), kw.pop("lpu_1", b), kw.pop("pattern", p), **kw)


def _run_manager(**kw):
    from spikeloom.lpu import LPU

    man = Manager(DT)
    man.add(LPU("a"))
    man.run(**kw)


def _pm_set(selector, values, typ="gpot"):
    from spikeloom.lpu import LPU

    LPU("a", out_gpot="/a/g[0:3]", out_spike="/a/s[0:3]").pm[typ][selector] = values


CASES = [
    # ---- selectors: bounded expansion and malformed text -------------------------------------------------
    ApiCase("expand-huge-interval", lambda: lpu.expand("/a[0:999999999]"), MDE, r"'/a\[0:999999999\]'.*999999999"),
    ApiCase("expand-huge-product", lambda: lpu.expand("/a[0:5000]+/b[0:5000]+/c[0:10]"), MDE,
            r"250000000 port identifiers"),
    ApiCase("expand-huge-zip", lambda: lpu.expand("/a[0:99999999].+/b[0:99999999]"), MDE, r"99999999 port"),
    ApiCase("expand-exponential-products", lambda: lpu.expand("(/a,/b,/c)" + "+(/a,/b,/c)" * 16), MDE,
            r"'\+' at position \d+ makes"),
    ApiCase("select-interval-never-closed", lambda: lpu.expand("/a[0:"), MDE, r"never closed at position 2"),
    ApiCase("selector-mixed-set", lambda: lpu.expand("/a[b,0]"), MDE, r"mixes integers and names"),
    ApiCase("selector-empty-item", lambda: lpu.expand("/a[1,,2]"), MDE, r"empty item.*position 5"),
    ApiCase("selector-bare-star", lambda: lpu.expand("*"), MDE, r"unexpected character '\*'.*wildcard is written"),
    ApiCase("selector-trailing-comma", lambda: lpu.expand("/a,"), MDE, r"expected a level.*position 3"),
    ApiCase("selector-unclosed-paren", lambda: lpu.expand("(/a"), MDE, r"expected '\)'"),
    ApiCase("selector-not-a-str", lambda: lpu.expand(42), MDE, r"selector must be a str, got int 42"),
    ApiCase("selector-count-not-a-str", lambda: lpu.count(["/a"]), MDE, r"selector must be a str, got list"),
    ApiCase("selector-wildcard-expand", lambda: lpu.expand("/a/*"), MDE, r"ambiguous selector '/a/\*'.*wildcard"),
    ApiCase("selector-open-interval-count", lambda: lpu.count("/a[3:]"), MDE, r"open interval at position 2"),
    ApiCase("selector-zip-unequal", lambda: lpu.expand("/a.+/b[0:2]"), MDE, r"joins 1 identifier\(s\) with 2"),
    # ---- interfaces ---------------------------------------------------------------------------------------
    ApiCase("interface-duplicate-port", lambda: Interface("/a,/a"), MDE, r"port /a appears more than once"),
    ApiCase("interface-ambiguous", lambda: Interface("/a/*"), MDE, r"Interface: selector '/a/\*' is ambiguous"),
    ApiCase("interface-malformed", lambda: Interface("/a[0:"), MDE, r"Interface: malformed selector"),
    ApiCase("interface-bad-io", lambda: Interface("/a[0:2]").__setitem__(("/a[0]", "io"), ["sideways"]), MDE,
            r"io must be one of .*'sideways'"),
    ApiCase("interface-bad-type", lambda: Interface("/a").__setitem__(("/a", "type"), ["analog"]), MDE,
            r"type must be one of .*'analog'"),
    ApiCase("interface-unknown-column", lambda: Interface("/a").__setitem__(("/a", "colour"), ["red"]), MDE,
            r"unknown column 'colour'"),
    ApiCase("interface-value-count", lambda: Interface("/a").__setitem__("/a", [0, "in"]), MDE,
            r"2 value\(s\) for the column\(s\)"),
    ApiCase("interface-missing-port", lambda: Interface("/a").__setitem__(("/b", "io"), ["in"]), MDE,
            r"port\(s\) \['/b'\] are not in this interface"),
    ApiCase("interface-get-unknown-port", lambda: Interface("/a").get(("b",), "io"), MDE, r"no port /b"),
    ApiCase("interface-ports-not-iterable", lambda: Interface(7), MDE, r"Interface: ports are named by a selector"),
    # ---- patterns -----------------------------------------------------------------------------------------
    ApiCase("pattern-one-selector", lambda: Pattern("/a[0:2]"), MDE, r"at least two selectors"),
    ApiCase("pattern-overlap", lambda: Pattern("/a[0:3]", "/a[2:4]"), MDE, r"must be disjoint"),
    ApiCase("pattern-empty-selector", lambda: Pattern("/a", ""), MDE, r"empty selector ''"),
    ApiCase("pattern-same-interface", lambda: Pattern("/a[0:2]", "/b").__setitem__(("/a[0]", "/a[1]"), 1), MDE,
            r"/a\[0\] -> /a\[1\] joins two ports of interface 0"),
    ApiCase("pattern-fan-in", lambda: Pattern("/a[0:2]", "/b").__setitem__(("/a[0:2]", "/b"), 1), MDE,
            r"fan-in at /b"),
    ApiCase("pattern-value-zero", lambda: Pattern("/a", "/b").__setitem__(("/a", "/b"), 0), MDE,
            r"value 1 or True.*got 0"),
    ApiCase("pattern-value-string", lambda: Pattern("/a", "/b").__setitem__(("/a", "/b"), "yes"), MDE,
            r"value 1 or True.*got 'yes'"),
    ApiCase("pattern-key-one-selector", lambda: Pattern("/a", "/b").__setitem__("/a", 1), MDE,
            r"pattern\[source_selector, destination_selector\]"),
    ApiCase("pattern-concat-counts", lambda: Pattern.from_concat("/a[0:2]", "/b[0:3]", from_sel="/a[0:2]",
                                                                 to_sel="/b[0:3]"), MDE,
            r"2 source and 3 destination ports"),
    ApiCase("pattern-port-outside", lambda: Pattern("/a", "/b").__setitem__(("/a", "/c"), 1), MDE,
            r"port /c is not in any of its interfaces"),
    # ---- LPUs and port mappers ----------------------------------------------------------------------------
    ApiCase("lpu-empty-id", lambda: lpu.LPU(""), MDE, r"non-empty str id, got ''"),
    ApiCase("lpu-int-id", lambda: lpu.LPU(3), MDE, r"non-empty str id, got 3"),
    ApiCase("lpu-port-twice", lambda: lpu.LPU("a", in_gpot="/a[0:2]", out_gpot="/a[1]"), MDE,
            r"LPU 'a': port /a\[1\] is named twice \(in \['in_gpot', 'out_gpot'\]\)"),
    ApiCase("lpu-port-not-a-selector", lambda: lpu.LPU("a", in_gpot=5), MDE, r"LPU 'a': ports are named by"),
    ApiCase("lpu-port-malformed", lambda: lpu.LPU("a", out_spike="/a[0"), MDE, r"LPU 'a': malformed selector"),
    ApiCase("portmapper-nan", lambda: _pm_set("/a/g[0]", float("nan")), MDE, r"LPU 'a', gpot ports: .*finite"),
    ApiCase("portmapper-shape", lambda: _pm_set("/a/g[0:3]", [1.0, 2.0]), MDE, r"names 3 port\(s\).*shape \(2,\)"),
    ApiCase("portmapper-unknown-port", lambda: _pm_set("/a/x[0]", 1.0), MDE, r"\['/a/x\[0\]'\] are not ports"),
    ApiCase("portmapper-spike-value", lambda: _pm_set("/a/s[0]", 2, "spike"), MDE, r"spike port values must be 0 or 1"),
    ApiCase("portmapper-string", lambda: _pm_set("/a/g[0]", "high"), MDE,
            r"values for '/a/g\[0\]' must be a number, got str 'high'"),
    # ---- the manager --------------------------------------------------------------------------------------
    ApiCase("manager-dt-zero", lambda: Manager(0), MDE, r"Manager: dt must be finite and > 0, got 0"),
    ApiCase("manager-dt-nan", lambda: Manager(float("nan")), MDE, r"Manager: dt must be finite"),
    ApiCase("manager-dt-str", lambda: Manager("0.1"), MDE, r"Manager: dt must be a number, got str"),
    ApiCase("manager-add-not-lpu", lambda: Manager(DT).add("a"), MDE, r"Manager.add expects an LPU, got str"),
    ApiCase("manager-add-twice", lambda: _two_lpus()[0].add(lpu.LPU("a")), MDE, r"LPU with id 'a' was already added"),
    ApiCase("manager-connect-unknown-id", lambda: _connect(lpu_0="zz"), MDE,
            r"unknown LPU id 'zz'; added: \['a', 'b'\]"),
    ApiCase("manager-connect-not-added", lambda: _connect(lpu_1=lpu.LPU("c", in_gpot="/b/i[0]")), MDE,
            r"LPU 'c' has not been added"),
    ApiCase("manager-connect-in-to-in", lambda: _connect(("/b/i[0]", "/a/o[0]"), src="/b/i[0]", dst="/a/o[0]",
                                                         int_0=1, int_1=0), MDE,
            r"b:/b/i\[0\] -> a:/a/o\[0\]: /b/i\[0\] must be an out-port of LPU 'b', it is 'in'"),
    ApiCase("manager-connect-type-mismatch", lambda: _connect(type_b="spike"), MDE,
            r"a:/a/o\[0\] -> b:/b/i\[0\]: port types differ \(gpot -> spike\)"),
    ApiCase("manager-connect-missing-port", lambda: _connect(("/a/o[0]", "/b/x[0]"), dst="/b/x[0]"), MDE,
            r"/b/x\[0\] is not a port of LPU 'b'"),
    ApiCase("manager-connect-bad-interface", lambda: _connect(int_1=5), MDE,
            r"int_1 must be one of the pattern's interfaces \[0, 1\], got 5"),
    ApiCase("manager-connect-same-interface", lambda: _connect(int_1=0), MDE, r"int_0 and int_1 must differ"),
    ApiCase("manager-connect-not-a-pattern", lambda: _connect(pattern={"a": "b"}), MDE,
            r"pattern must be a Pattern, got dict"),
    ApiCase("manager-run-fractional-steps", lambda: _run_manager(steps=2.5), MDE,
            r"Manager.run: steps must be a whole number, got float 2.5"),
    ApiCase("manager-run-zero-steps", lambda: _run_manager(steps=0), MDE, r"steps must be an integer >= 1, got 0"),
    ApiCase("manager-run-str-steps", lambda: _run_manager(steps="10"), MDE, r"steps must be a number, got str"),
    ApiCase("manager-run-bool-steps", lambda: _run_manager(steps=True), MDE, r"steps must be a number, got bool"),
    ApiCase("manager-run-chunk-zero", lambda: _run_manager(steps=5, chunk=0), MDE, r"chunk must be an integer >= 1"),
    ApiCase("manager-run-negative-seed", lambda: _run_manager(steps=5, seed=-1), MDE, r"seed must be an integer"),
    ApiCase("manager-run-unknown-engine", lambda: _run_manager(steps=5, engine="gpu"), MDE,
            r"Manager.run: engine must be one of \['cpu', 'jax'\], got 'gpu'"),
    ApiCase("manager-run-empty", lambda: Manager(DT).run(5), MDE, r"no LPUs were added"),
    # ---- GEXF graphs --------------------------------------------------------------------------------------
    ApiCase("generic-dt-zero", lambda: GenericLPU(_graph(), 0.0, "L"), MDE,
            r"LPU 'L': dt \(s\) must be finite and > 0"),
    ApiCase("generic-dt-inf", lambda: GenericLPU(_graph(), float("inf"), "L"), MDE, r"LPU 'L': dt \(s\) must be"),
    ApiCase("gexf-param-nan", lambda: GenericLPU(_graph({"V": float("nan")}), DT, "L"), GraphError,
            r"node 0 \(n0\), attribute 'V': must be finite, got nan"),
    ApiCase("gexf-param-text", lambda: GenericLPU(_graph({"R": "abc"}), DT, "L"), GraphError,
            r"node 0 \(n0\), attribute 'R': expected a number, got 'abc'"),
    ApiCase("gexf-param-negative-R", lambda: GenericLPU(_graph({"R": -1.0}), DT, "L"), GraphError,
            r"node 0 \(n0\), attribute 'R': must be > 0"),
    ApiCase("gexf-param-inf-C", lambda: GenericLPU(_graph({"C": float("inf")}), DT, "L"), GraphError,
            r"attribute 'C': must be finite, got inf"),
    ApiCase("gexf-param-none", lambda: GenericLPU(_graph({"Vt": None}), DT, "L"), GraphError,
            r"attribute 'Vt': expected a number, got None"),
    ApiCase("gexf-bool-text", lambda: GenericLPU(_graph({"extern": "maybe"}), DT, "L"), GraphError,
            r"node 0 \(n0\), attribute 'extern': expected a boolean"),
    ApiCase("gexf-node-id-text", lambda: GenericLPU(nx.relabel_nodes(_graph(), {0: "x"}), DT, "L"), GraphError,
            r"node 'x': LPU node ids must be integers"),
    ApiCase("gexf-edge-gmax-nan", lambda: GenericLPU(_graph(edge={"gmax": float("nan")}), DT, "L"), GraphError,
            r"edge 0->1 \(syn\), attribute 'gmax': must be finite"),
    ApiCase("gexf-edge-ar-text", lambda: GenericLPU(_graph(edge={"ar": "fast"}), DT, "L"), GraphError,
            r"edge 0->1 \(syn\), attribute 'ar': expected a number, got 'fast'"),
    ApiCase("gexf-edge-class-fraction", lambda: GenericLPU(_graph(edge={"class": 1.5}), DT, "L"), GraphError,
            r"edge 0->1 \(syn\), attribute 'class': must be an integer 0-3, got 1.5"),
    ApiCase("gexf-edge-class-range", lambda: GenericLPU(_graph(edge={"class": 7}), DT, "L"), GraphError,
            r"attribute 'class': must be an integer 0-3, got 7"),
    ApiCase("gexf-edge-reverse-inf", lambda: GenericLPU(_graph(edge={"reverse": float("-inf")}), DT, "L"), GraphError,
            r"edge 0->1 \(syn\), attribute 'reverse': must be finite"),
    ApiCase("gexf-edge-negative-delay", lambda: GenericLPU(_power_graph(-1.0), DT, "L"), GraphError,
            r"edge 0->1 \(gp\), attribute 'delay': must be >= 0"),
    ApiCase("gexf-edge-huge-delay", lambda: GenericLPU(_power_graph(1e15), DT, "L"), ResourceError,
            r"LPU 'L': the delay buffer of edge 0->1 .*needs"),
    ApiCase("gexf-bad-selector", lambda: GenericLPU(_graph({"selector": "/a[0"}), DT, "L"), MDE,
            r"node 0 \(n0\), attribute 'selector': malformed selector"),
    ApiCase("gexf-selector-two-ports", lambda: GenericLPU(_graph({"selector": "/a[0:2]"}), DT, "L"), MDE,
            r"node 0 \(n0\), attribute 'selector': '/a\[0:2\]' must name exactly one port, names 2"),
    ApiCase("gexf-selector-not-str", lambda: GenericLPU(_graph({"selector": 5}), DT, "L"), GraphError,
            r"attribute 'selector': expected a str, got 5"),
    ApiCase("gexf-file-missing", lambda: GenericLPU(_tmp() / "none.gexf", DT, "L"), GraphError,
            r"cannot read GEXF file '.*none.gexf'"),
    ApiCase("gexf-file-not-xml", lambda: GenericLPU(_file("g.gexf", b"not xml at all"), DT, "L"), GraphError,
            r"cannot read GEXF file '.*g.gexf'"),
    ApiCase("gexf-file-text-param", lambda: GenericLPU(_gexf_file(_graph({"V": "abc"})), DT, "L"), GraphError,
            r"GEXF file '.*lpu.gexf': node 0 \(n0\), attribute 'V': expected a number, got 'abc'"),
    ApiCase("gexf-file-nan-param", lambda: GenericLPU(_gexf_file(_graph({"Vr": float("nan")})), DT, "L"), GraphError,
            r"GEXF file '.*lpu.gexf': node 0 \(n0\), attribute 'Vr': must be finite"),
    # ---- HDF5 inputs --------------------------------------------------------------------------------------
    ApiCase("input-file-missing", lambda: _run_with_input(path=_tmp() / "none.h5"), MDE,
            r"LPU 'L': input file: cannot open '.*none.h5' \(no such file"),
    ApiCase("input-file-not-hdf5", lambda: _run_with_input(path=_file("in.h5", b"1,2,3\n")), MDE,
            r"cannot open '.*in.h5' \(not a readable HDF5 file"),
    ApiCase("input-no-array", lambda: _run_with_input(path=_h5(lambda f: f.create_dataset("data", data=[[1.0]]))),
            MDE, r"has no dataset 'array' \(has \['data'\]\)"),
    ApiCase("input-array-is-group", lambda: _run_with_input(path=_h5(lambda f: f.create_group("array"))), MDE,
            r"dataset 'array' is a Group, not a dataset"),
    ApiCase("input-strings", lambda: _run_with_input(np.array([[b"a"]] * 10)), MDE,
            r"dataset 'array' must hold real numbers, got dtype \|S1"),
    ApiCase("input-complex", lambda: _run_with_input(np.ones((10, 1), complex)), MDE,
            r"dataset 'array' must hold real numbers, got dtype complex128"),
    ApiCase("input-1d", lambda: _run_with_input(np.ones(10)), MDE, r"dataset 'array' must be 2-D .*shape \(10,\)"),
    ApiCase("input-columns", lambda: _run_with_input(np.ones((10, 3))), MDE,
            r"dataset 'array' has 3 column\(s\), but the LPU has 1 external-input node"),
    ApiCase("input-nan-row", lambda: _run_with_input(np.where(np.arange(10)[:, None] == 3, np.nan, 0.0)), MDE,
            r"input file '.*in.h5', dataset 'array': row 3 \(step 3\), column 0 \(node 0\) is nan"),
    ApiCase("input-inf-row", lambda: _run_with_input(np.where(np.arange(10)[:, None] == 7, np.inf, 0.0)), MDE,
            r"row 7 \(step 7\), column 0 \(node 0\) is inf"),
    ApiCase("input-too-short", lambda: _run_with_input(np.zeros((4, 1))), MDE, r"has 4 rows, the run needs 10"),
    ApiCase("write-input-nan", lambda: hdf5.write_input(_tmp() / "x.h5", [[0.0], [np.nan]]), MDE,
            r"LPU input file '.*x.h5': array must be finite"),
    ApiCase("write-input-1d", lambda: hdf5.write_input(_tmp() / "x.h5", [0.0, 1.0]), MDE,
            r"array must have shape \(any, any\)"),
    ApiCase("read-array-missing", lambda: hdf5.read_array(_tmp() / "none.h5"), MDE, r"cannot open '.*none.h5'"),
    # ---- a state that blows up is reported, naming the LPU, node, variable and step -----------------------
    ApiCase("state-overflow", lambda: _run_with_input(np.full((10, 1), 1e308), graph=_graph({"R": 1e10})),
            SimulationError,
            r"LPU 'L': the state became non-finite at step 1 \(t = 0.0001 s\), node 0 \(n0\), variable 'V'"),
    # ---- the demo -----------------------------------------------------------------------------------------
    ApiCase("steps-not-whole", lambda: steps_of(1.0, 0.3, "lpu demo"), MDE, r"3.33333 steps of dt 0.3.*whole number"),
    ApiCase("steps-nan", lambda: steps_of(float("nan"), 1e-4, "lpu demo"), MDE, r"lpu demo: duration must be finite"),
    ApiCase("steps-too-many", lambda: steps_of(1.0, 1e-300, "lpu demo"), MDE, r"at most 9.01e\+15 can be run"),
    ApiCase("pulse-input-memory", lambda: demo.pulse_input(1000, 1e-6, 1e6), ResourceError,
            r"pulse_input: 1000000000000 steps x 1000 inputs needs"),
    ApiCase("demo-graph-seed", lambda: demo.generic_lpu_graph(-1, "x"), MDE, r"generic_lpu_graph: seed must be"),
    ApiCase("demo-graph-sizes", lambda: demo.generic_lpu_graph(0, "x", sizes=(1, 2)), MDE,
            r"sizes must be \(sensory, local, projection\), got \(1, 2\)"),
    ApiCase("demo-graph-name", lambda: demo.generic_lpu_graph(0, "a b"), MDE, r"name must be an identifier"),
    ApiCase("demo-out-is-file", lambda: demo.intro_demo(_file("out", b"x"), duration=0.001), MDE,
            r"lpu demo output folder '.*out' is a file"),
    CliCase("cli-steps-not-whole", ["run", "lpu-demo", "--dt", "0.0003", "--duration", "0.001", "--no-plot"],
            r"whole number"),
    CliCase("cli-duration-huge", ["run", "lpu-demo", "--duration", "1e9", "--no-plot"], r"needs .* of memory"),
    CliCase("cli-seed-negative", ["run", "lpu-demo", "--seed", "-1", "--no-plot"], r"seed must be an integer"),
]
