"""Selector expansion (the seed's table, the spec's vectors and more), errors with positions, set operations."""

import json
import pathlib

import pytest

from spikeloom import lpu
from spikeloom.lpu import selectors as S

SPEC = pathlib.Path(__file__).parent / "data" / "selector_examples.json"

TABLE = [
    # the seed's table
    ("/med/L1[0]", [("med", "L1", 0)]),
    ("/med+/L1[0]", [("med", "L1", 0)]),
    ("/med/[L1,L2][0]", [("med", "L1", 0), ("med", "L2", 0)]),
    ("/med/L1[0,1]", [("med", "L1", 0), ("med", "L1", 1)]),
    ("/med/L1[0],/med/L1[1]", [("med", "L1", 0), ("med", "L1", 1)]),
    ("/med/L1[0:3]", [("med", "L1", 0), ("med", "L1", 1), ("med", "L1", 2)]),
    ("(/med/L1,/med/L2)+[0]", [("med", "L1", 0), ("med", "L2", 0)]),
    ("/med/[L1,L2].+[0:2]", [("med", "L1", 0), ("med", "L2", 1)]),
    # more
    ("", [()]),
    ("/foo[0:0]", [()]),
    ("/foo[3:1]", [()]),
    ("/a,/foo[0:0]", [("a",)]),
    ("/007", [(7,)]),
    ("/foo bar", [("foo bar",)]),
    ("/foo[-1]", [("foo", "-1")]),
    ("/foo[2,1,0]", [("foo", 2), ("foo", 1), ("foo", 0)]),
    ("/a[0:2],/a[1:3]", [("a", 0), ("a", 1), ("a", 1), ("a", 2)]),
    ("(/foo,/bar)/baz", [("foo", "baz"), ("bar", "baz")]),
    ("/[a,b]+(/c,/d)", [("a", "c"), ("b", "c"), ("a", "d"), ("b", "d")]),
    ("/x[0:2]+[a,b,c]", [("x", 0, "a"), ("x", 0, "b"), ("x", 0, "c"), ("x", 1, "a"), ("x", 1, "b"), ("x", 1, "c")]),
    ("/a,/b+/c", [("a",), ("b", "c")]),
    ("/a+/b,/c", [("a", "b"), ("c",)]),
    # explicit precedence (level > + > .+ > ,): the original parser rejects these two
    ("/a.+/b,/c", [("a", "b"), ("c",)]),
    ("/[a,b].+/[c,d],/e", [("a", "c"), ("b", "d"), ("e",)]),
    ("(/a.+/b),/c", [("a", "b"), ("c",)]),
    ("/x/y[0:2].+/z[5,6]", [("x", "y", 0, "z", 5), ("x", "y", 1, "z", 6)]),
]


@pytest.mark.parametrize("selector,expected", TABLE)
def test_expansion_table(selector, expected):
    assert lpu.expand(selector) == expected
    assert lpu.count(selector) == (0 if expected == [()] else len(expected))


def test_spec_vectors():
    for case in json.loads(SPEC.read_text()):
        assert lpu.expand(case["selector"]) == [tuple(x) for x in case["expanded"]], case["selector"]
        assert lpu.count(case["selector"]) == case["count"]


def test_integer_levels_are_int_and_names_str():
    (port,) = lpu.expand("/a/0/b[3]")
    assert port == ("a", 0, "b", 3) and type(port[1]) is int and type(port[2]) is str


@pytest.mark.parametrize("selector,position,what", [
    ("/foo[0,]", 7, "empty item"),
    ("/[a,0]", 4, "mixes integers and names"),
    ("/a[1:2", 2, "never closed"),
    ("*", 0, "unexpected character"),
    ("/a,", 3, "expected a level"),
    ("(/a", 3, "expected '\\)'"),
    ("/a)", 2, "unexpected '\\)'"),
    ("/a..+/b", 2, "unexpected character '.'"),
    ("/a, /b", 3, "unexpected character ' '"),
    ("/a.+/[b,c]", 2, "counts must be equal"),
])
def test_malformed_selectors_name_the_position(selector, position, what):
    with pytest.raises(ValueError, match=f"{what}.*at position {position}"):
        lpu.expand(selector)
    with pytest.raises(ValueError, match=f"at position {position}"):
        lpu.count(selector)


@pytest.mark.parametrize("selector,position", [("/foo/*", 4), ("/x[5:]", 2), ("/x[0,1]+[:]", 8)])
def test_ambiguous_selectors_cannot_expand_but_can_match(selector, position):
    assert lpu.is_ambiguous(selector)
    with pytest.raises(ValueError, match=f"ambiguous.*position {position}"):
        lpu.expand(selector)
    with pytest.raises(ValueError, match="ambiguous"):
        lpu.count(selector)


def test_matching_and_set_operations():
    ports = lpu.expand("/med/L1[0:3],/med/L2[0:2],/lam[0:2]")
    assert S.select("/med/*", ports) == ports[:5]
    assert S.select("/med/L1[1:]", ports) == [("med", "L1", 1), ("med", "L1", 2)]
    assert S.select("/*/[L2]", ports) == [("med", "L2", 0), ("med", "L2", 1)]
    assert S.union("/b,/a[1]", "/a[0:2]") == [("a", 0), ("a", 1), ("b",)]
    assert S.intersection("/a[0:4]", "/a[2:6]") == [("a", 2), ("a", 3)]
    assert S.difference("/a[0:4]", "/a[2:6]") == [("a", 0), ("a", 1)]
    assert S.are_disjoint("/a[0:2]", "/a[2:4]", "") and not S.are_disjoint("/a[0:3]", "/a[2:4]")
    assert S.is_in("", "/a") and S.is_in("/a[1]", "/a[0:2]") and not S.is_in("/a[2]", "/a[0:2]")
    assert S.is_identifier("/a/b[0]") and not S.is_identifier("/a[0:2]")
    assert S.max_levels("/a,/b/c[0]") == 3
    assert S.to_selector(lpu.expand("/a/b[0,1],/c/d")) == "/a/b[0],/a/b[1],/c/d"
    assert lpu.expand(S.to_selector(ports)) == ports
