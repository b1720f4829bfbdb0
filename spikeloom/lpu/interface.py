"""Interfaces: the ports of an LPU (or of one side of a pattern) and their attributes.

Every port has ``interface`` (int), ``io`` (``'in'``, ``'out'`` or None) and ``type`` (``'spike'``,
``'gpot'`` or None). Attributes are set and queried by selector.
"""

from __future__ import annotations

from typing import Iterable

from .._errors import ModelDefinitionError
from . import selectors as sel

COLUMNS = ("interface", "io", "type")
_ALLOWED = {"io": ("in", "out", None), "type": ("spike", "gpot", None)}


class Interface:
    """An ordered table of ports with the columns ``interface``, ``io`` and ``type``.

    ``Interface('/a[0:4]')`` creates four ports with every attribute unset (interface 0). Attributes are
    set by selector: ``it['/a[0:2]'] = [0, 'out', 'spike']`` (all columns) or
    ``it['/a[2:4]', 'io', 'type'] = ['in', 'gpot']`` (named columns). The selector of an ``Interface``
    must be unambiguous and name each port once.
    """

    def __init__(self, selector: str | Iterable[tuple] = "", interface: int = 0):
        ports = _explicit_ports(selector, "Interface")
        dup = _first_duplicate(ports)
        if dup is not None:
            raise ModelDefinitionError(
                f"Interface: port {sel.to_identifier(dup)} appears more than once in {selector!r}")
        self._rows: dict[tuple, dict] = {p: {"interface": interface, "io": None, "type": None} for p in ports}

    @classmethod
    def _from_rows(cls, rows: dict) -> "Interface":
        it = cls()
        it._rows = rows
        return it

    # ---- attributes ---------------------------------------------------------------------------------------
    def __setitem__(self, key, values):
        selector, columns = (key[0], key[1:]) if isinstance(key, tuple) else (key, COLUMNS)
        if not columns:
            columns = COLUMNS
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(columns):
            raise ModelDefinitionError(
                f"Interface[{selector!r}]: {len(values)} value(s) for the column(s) {list(columns)}")
        for col, val in zip(columns, values):
            if col not in COLUMNS:
                raise ModelDefinitionError(f"Interface: unknown column {col!r}; columns: {list(COLUMNS)}")
            if col in _ALLOWED and val not in _ALLOWED[col]:
                raise ModelDefinitionError(
                    f"Interface[{selector!r}]: {col} must be one of {_ALLOWED[col]}, got {val!r}")
            if col == "interface" and not isinstance(val, int):
                raise ModelDefinitionError(f"Interface[{selector!r}]: interface must be an int, got {val!r}")
        ports = self.select_ports(selector)
        if not (isinstance(selector, str) and sel.is_ambiguous(selector)):
            missing = set(_explicit_ports(selector, "Interface")) - set(self._rows)
            if missing:
                raise ModelDefinitionError(
                    f"Interface: port(s) {[sel.to_identifier(p) for p in sorted(missing, key=str)][:5]} "
                    "are not in this interface")
        for p in ports:
            self._rows[p].update(zip(columns, values))

    def __getitem__(self, selector) -> "Interface":
        return self._from_rows({p: self._rows[p] for p in self.select_ports(selector)})

    def select_ports(self, selector) -> list[tuple]:
        if isinstance(selector, str):
            return sel.select(selector, self._rows)
        wanted = {tuple(p) for p in selector}
        return [p for p in self._rows if p in wanted]

    def get(self, port: tuple, column: str):
        row = self._rows.get(tuple(port))
        if row is None or column not in COLUMNS:
            what = f"no port {sel.to_identifier(tuple(port))}" if row is None else f"no column {column!r}"
            raise ModelDefinitionError(f"Interface has {what} (columns: {list(COLUMNS)})")
        return row[column]

    def _where(self, **cond) -> "Interface":
        return self._from_rows({p: r for p, r in self._rows.items() if all(r[k] == v for k, v in cond.items())})

    # ---- queries ------------------------------------------------------------------------------------------
    def in_ports(self, i: int | None = None) -> "Interface":
        return self._where(io="in", **({} if i is None else {"interface": i}))

    def out_ports(self, i: int | None = None) -> "Interface":
        return self._where(io="out", **({} if i is None else {"interface": i}))

    def spike_ports(self, i: int | None = None) -> "Interface":
        return self._where(type="spike", **({} if i is None else {"interface": i}))

    def gpot_ports(self, i: int | None = None) -> "Interface":
        return self._where(type="gpot", **({} if i is None else {"interface": i}))

    def interface_ports(self, i: int) -> "Interface":
        return self._where(interface=i)

    @property
    def interface_ids(self) -> set[int]:
        return {r["interface"] for r in self._rows.values()}

    def which_int(self, selector) -> set[int]:
        """Interface numbers of the ports ``selector`` names."""
        return {self._rows[p]["interface"] for p in self.select_ports(selector)}

    def to_tuples(self) -> list[tuple]:
        return list(self._rows)

    def to_selector(self) -> str:
        return sel.to_selector(self._rows)

    def to_frame(self):
        """The table as a pandas DataFrame indexed by port identifier string."""
        import pandas as pd

        return pd.DataFrame([dict(port=sel.to_identifier(p), **r) for p, r in self._rows.items()],
                            columns=["port", *COLUMNS]).set_index("port")

    def __len__(self):
        return len(self._rows)

    def __iter__(self):
        return iter(self._rows)

    def __contains__(self, port):
        return tuple(port) in self._rows

    def __repr__(self):
        return f"Interface({len(self)} ports: {self.to_selector()[:80]})"

    # ---- compatibility ------------------------------------------------------------------------------------
    def is_compatible(self, a: int, other: "Interface", b: int, allow_subsets: bool = False) -> bool:
        """Whether interface ``a`` of this table can be joined to interface ``b`` of ``other``.

        Shared ports must have equal types (or both unset) and inverse io (or both unset). Without
        ``allow_subsets`` both sides must hold the same ports; with it, one compatible shared port suffices.
        """
        mine, theirs = self.interface_ports(a)._rows, other.interface_ports(b)._rows
        shared = [p for p in mine if p in theirs]
        ok = [_pair_ok(mine[p], theirs[p]) for p in shared]
        if allow_subsets:
            return any(ok)
        return bool(shared) and len(shared) == len(mine) == len(theirs) and all(ok)


def _pair_ok(x: dict, y: dict) -> bool:
    io_ok = {x["io"], y["io"]} == {"in", "out"} or (x["io"] is None and y["io"] is None)
    return io_ok and x["type"] == y["type"]


def _explicit_ports(selector, owner: str) -> list[tuple]:
    """The ports an unambiguous selector string or a list of port tuples names; errors name ``owner``."""
    if isinstance(selector, str):
        try:
            ambiguous = sel.is_ambiguous(selector)
            ports = None if ambiguous else [p for p in sel.expand(selector) if p]
        except ModelDefinitionError as err:
            raise ModelDefinitionError(f"{owner}: {err}") from None
        if ambiguous:
            raise ModelDefinitionError(f"{owner}: selector {selector!r} is ambiguous; name every port explicitly")
        return ports
    try:
        ports = [tuple(p) for p in selector]
    except TypeError:
        ports = None
    if ports is None or not all(p and all(isinstance(t, (str, int)) for t in p) for p in ports):
        raise ModelDefinitionError(f"{owner}: ports are named by a selector string or a list of port tuples "
                                   f"(levels str or int), got {selector!r}")
    return ports


def _first_duplicate(ports: list[tuple]):
    seen = set()
    for p in ports:
        if p in seen:
            return p
        seen.add(p)
    return None
