"""Connectivity patterns between LPU interfaces: which output port feeds which input port.

A pattern has one interface per selector given to it (interface 0, 1, ...). A connection runs from a
source port to a destination port in a different interface. Fan-out is allowed; fan-in (two sources into
one destination), duplicate connections and a port that both sends and receives are rejected. Seen from the
pattern, a source port is an *input* (it receives from the LPU's out-port) and a destination an *output*.
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from . import selectors as sel
from .interface import Interface, _explicit_ports


class Pattern:
    """Connections between the interfaces named by ``selectors`` (pairwise disjoint).

    ``p['/a/out[0]', '/b/in[0:2]'] = 1`` connects the source to both destinations (the Cartesian product of
    the two selectors). Port types may be set beforehand with ``p.interface[selector] = [i, io, type]``;
    a connection between ports of different types is rejected.
    """

    def __init__(self, *selectors: str):
        if len(selectors) < 2:
            raise ModelDefinitionError("Pattern needs at least two selectors (one per interface)")
        ports_per = [_explicit_ports(s, "Pattern") for s in selectors]
        if not all(ports_per):
            empty = [s for s, p in zip(selectors, ports_per) if not p]
            raise ModelDefinitionError(f"Pattern: cannot create a pattern with an empty selector {empty[0]!r}")
        if not sel.are_disjoint(*ports_per):
            raise ModelDefinitionError(
                f"Pattern: the selectors {list(selectors)} must be disjoint (a port belongs to one "
                "interface)")
        rows = {}
        for i, ports in enumerate(ports_per):
            it = Interface(ports, interface=i)
            rows.update(it._rows)
        self.interface = Interface._from_rows(rows)
        self.connections: list[tuple[tuple, tuple]] = []
        self._dst: set = set()
        self._src: set = set()

    @classmethod
    def from_concat(cls, *selectors: str, from_sel: str, to_sel: str, data=1) -> "Pattern":
        """Connect the ports of ``from_sel`` to those of ``to_sel`` one to one, in order."""
        p = cls(*selectors)
        src, dst = _explicit_ports(from_sel, "Pattern"), _explicit_ports(to_sel, "Pattern")
        if not src or not dst or len(src) != len(dst):
            raise ModelDefinitionError(
                f"Pattern.from_concat: {len(src)} source and {len(dst)} destination ports; need equal, "
                "nonzero counts")
        p.connect(list(zip(src, dst)))
        return p

    @classmethod
    def from_product(cls, *selectors: str, from_sel: str, to_sel: str, data=1) -> "Pattern":
        """Connect every port of ``from_sel`` to every port of ``to_sel`` (fan-in unless one source)."""
        p = cls(*selectors)
        src, dst = _explicit_ports(from_sel, "Pattern"), _explicit_ports(to_sel, "Pattern")
        if not src or not dst:
            raise ModelDefinitionError("Pattern.from_product: cannot create a pattern with an empty selector")
        p.connect([(a, b) for a in src for b in dst])
        return p

    def __setitem__(self, key, value):
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ModelDefinitionError(
                "Pattern: connections are set as pattern[source_selector, destination_selector] = 1")
        src = _explicit_ports(key[0], "Pattern")
        dst = _explicit_ports(key[1], "Pattern")
        if not (isinstance(value, (bool, int, np.bool_, np.integer)) and value == 1):
            raise ModelDefinitionError(f"Pattern: a connection is set with the value 1 or True (removing one is not "
                                       f"supported), got {value!r}")
        self.connect([(a, b) for a in src for b in dst])

    def connect(self, pairs: list[tuple[tuple, tuple]]) -> None:
        """Add connections (source port, destination port), validating all of them before adding any."""
        new_src, new_dst, seen = set(), set(), set(self.connections)
        for a, b in pairs:
            for port in (a, b):
                if port not in self.interface:
                    raise ModelDefinitionError(
                        f"Pattern: port {sel.to_identifier(port)} is not in any of its interfaces")
            ia, ib = self.interface.get(a, "interface"), self.interface.get(b, "interface")
            name = f"{sel.to_identifier(a)} -> {sel.to_identifier(b)}"
            if ia == ib:
                raise ModelDefinitionError(
                    f"Pattern: {name} joins two ports of interface {ia}; connections must cross "
                    "interfaces")
            if (a, b) in seen:
                raise ModelDefinitionError(f"Pattern: duplicate connection {name}")
            if b in self._dst or b in new_dst:
                raise ModelDefinitionError(
                    f"Pattern: fan-in at {sel.to_identifier(b)} ({name}): a destination port may have "
                    "only one source")
            if a in self._dst or a in new_dst or b in self._src or b in new_src:
                raise ModelDefinitionError(f"Pattern: {name}: a port cannot both receive input and send output")
            ta, tb = self.interface.get(a, "type"), self.interface.get(b, "type")
            if ta is not None and tb is not None and ta != tb:
                raise ModelDefinitionError(f"Pattern: {name} joins a {ta} port to a {tb} port; types must match")
            for port, io in ((a, "in"), (b, "out")):
                if self.interface.get(port, "io") not in (None, io):
                    raise ModelDefinitionError(
                        f"Pattern: {name}: port {sel.to_identifier(port)} is declared io="
                        f"{self.interface.get(port, 'io')!r} in the pattern but is used as "
                        f"{'a source' if io == 'in' else 'a destination'}")
            seen.add((a, b))
            new_src.add(a)
            new_dst.add(b)
        for a, b in pairs:
            self.connections.append((a, b))
            self._src.add(a)
            self._dst.add(b)
            self.interface[[a], "io"] = ["in"]
            self.interface[[b], "io"] = ["out"]
            ta, tb = self.interface.get(a, "type"), self.interface.get(b, "type")
            if (ta or tb) is not None:
                self.interface[[a, b], "type"] = [ta or tb]

    def is_connected(self, i: int, j: int) -> bool:
        """Whether some port of interface ``i`` feeds a port of interface ``j``."""
        return any(self.interface.get(a, "interface") == i and self.interface.get(b, "interface") == j
                   for a, b in self.connections)

    def connected_port_pairs(self, i: int | None = None, j: int | None = None) -> list[tuple[tuple, tuple]]:
        """(source, destination) pairs, optionally only those from interface ``i`` to ``j``."""
        return [(a, b) for a, b in self.connections
                if (i is None or self.interface.get(a, "interface") == i)
                and (j is None or self.interface.get(b, "interface") == j)]

    def __len__(self):
        return len(self.connections)

    def __repr__(self):
        return f"Pattern({len(self.interface.interface_ids)} interfaces, {len(self)} connections)"
