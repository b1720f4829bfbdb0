"""Interfaces and patterns: the spec's vectors, rule violations rejected with clear errors, manager routing."""

import json
import pathlib

import pytest

from spikeloom.lpu import LPU, Interface, Manager, Pattern

SPEC = json.loads((pathlib.Path(__file__).parent / "data" / "pattern_examples.json").read_text())


def _interface(spec, default):
    it = Interface(",".join(spec))
    for selector, attrs in spec.items():
        it[selector] = [attrs.get("interface", default), attrs.get("io"), attrs.get("type")]
    return it


@pytest.mark.parametrize("case", [c for c in SPEC["interface_compatibility"] if "a" in c], ids=lambda c: c["name"])
def test_interface_compatibility(case):
    a = _interface(case["a"], 0)
    b = _interface(case["b"], 1) if all(case["b"].values()) else Interface(",".join(case["b"]))
    assert a.is_compatible(0, b, 1, case.get("allow_subsets", False)) == case["compatible"]


@pytest.mark.parametrize("case", [c for c in SPEC["pattern_cases"] if "pattern" in c], ids=lambda c: c["name"])
def test_pattern_cases(case):
    def build():
        p = Pattern(*case["pattern"])
        for src, dst in case.get("connections", []):
            p[src, dst] = 1
        return p

    if not case.get("ok", True):
        with pytest.raises(ValueError, match="(?i)fan-in" if "Fan-in" in case.get("error", "") else None):
            build()
        return
    p = build()
    for selector, io in case.get("resulting_interface_io", {}).items():
        assert {p.interface.get(port, "io") for port in p.interface[selector]} == {io}
    for direction, expected in case.get("is_connected", {}).items():
        assert p.is_connected(*map(int, direction.split("->"))) == expected


def test_pattern_rules():
    p = Pattern("/x[0:3]", "/y[0:3]")
    p["/x[0]", "/y[0:2]"] = 1  # fan-out
    with pytest.raises(ValueError, match="fan-in at /y\\[1\\]"):
        p["/x[1]", "/y[1]"] = 1
    with pytest.raises(ValueError, match="duplicate connection"):
        p["/x[0]", "/y[0]"] = 1
    with pytest.raises(ValueError, match="must cross interfaces"):
        p["/x[1]", "/x[2]"] = 1
    with pytest.raises(ValueError, match="both receive input and send output"):
        p["/y[0]", "/x[2]"] = 1
    q = Pattern("/a[0:2]", "/b[0:2]")
    q.interface["/a[0]", "type"] = ["spike"]
    q.interface["/b[0]", "type"] = ["gpot"]
    with pytest.raises(ValueError, match="spike port to a gpot port"):
        q["/a[0]", "/b[0]"] = 1
    with pytest.raises(ValueError, match="disjoint"):
        Pattern("/[foo,bar][0]", "/bar[0:2]")
    with pytest.raises(ValueError, match="empty selector"):
        Pattern.from_concat("", "/[baz,qux]", from_sel="", to_sel="/[baz,qux]")
    with pytest.raises(ValueError, match="ambiguous"):
        Interface("/a/*")
    c = Pattern.from_concat("/foo[0:2]", "/bar[0:2]", from_sel="/foo[0:2]", to_sel="/bar[0:2]")
    assert c.connected_port_pairs() == [(("foo", 0), ("bar", 0)), (("foo", 1), ("bar", 1))]
    assert {c.interface.get(p, "io") for p in c.interface["/foo[0:2]"]} == {"in"}


class Echo(LPU):
    """Out-port k carries (input k of the previous step) + 1: a user's network wrapped as an LPU."""

    def __init__(self, id, n):
        import spikeloom as sl
        from spikeloom.lpu import Copy, PortRelay

        net = sl.Network()
        net.inp, net.out = PortRelay(n), PortRelay(n)
        net.copy = sl.GradedProjection(net.inp, net.out, sl.OneToOne(), Copy())
        super().__init__(id, net, in_gpot=(f"/{id}/in[0:{n}]", "inp"), out_gpot=(f"/{id}/out[0:{n}]", "out"))
        self.n, self.seen = n, None

    def inputs(self, s0, n):
        return {"out": __import__("numpy").ones((n, self.n))}

    def records(self):
        return {"seen": [("inp", "V")]}

    def after_chunk(self, s0, rows):
        self.seen = rows["seen"]


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_manager_ring(engine):
    import numpy as np

    a, b = Echo("a", 2), Echo("b", 2)
    man = Manager(1.0)
    man.add(a)
    man.add(b)
    p = Pattern("/a/in[0:2],/a/out[0:2]", "/b/in[0:2],/b/out[0:2]")
    p["/a/out[0]", "/b/in[1]"] = 1
    p["/a/out[1]", "/b/in[0]"] = 1
    p["/b/out[0]", "/a/in[0]"] = 1
    p["/b/out[1]", "/a/in[1]"] = 1
    man.connect(a, b, p)
    man.run(6, chunk=4, engine=engine)
    # in(t) = out(t - 1) of the other LPU (one step of latency), out(t) = in(t - 1) + 1, all 0 at t = 0:
    # in(t) = floor(t / 2)
    assert np.allclose(a.seen, [[2.0, 2.0], [2.0, 2.0]])  # the last chunk holds steps 4 and 5
    assert np.allclose(a.pm["gpot"]["/a/out[0:2]"], a.pm["gpot"]["/a/in[0:2]"] + 1.0)
    with pytest.raises(ValueError, match="fan-in at b:/b/in\\[1\\]"):
        q = Pattern("/a/out[0:2]", "/b/in[0:2]")
        q["/a/out[0]", "/b/in[1]"] = 1
        man.connect(a, b, q)
    with pytest.raises(ValueError, match="must be an out-port"):
        q = Pattern("/a/in[0:2]", "/b/in[0:2]")
        q["/a/in[0]", "/b/in[0]"] = 1
        m2 = Manager(1.0)
        m2.add(a)
        m2.add(b)
        m2.connect(a, b, q)
