"""Port selectors: the path-like language naming LPU ports (``/med/L1[0:10]``, ``/a+/b``, ``/[x,y].+[0:2]``).

A port identifier is a tuple of levels, each a ``str`` or a non-negative ``int``. A selector names a list of
identifiers; see ``docs/lpu.md`` for the grammar. Parsing is a hand-written recursive descent with an
explicit precedence, from tightest to loosest: a level written after a selector (``(/a,/b)/c``), ``+``
(Cartesian product), ``.+`` (elementwise concatenation), ``,`` (list concatenation). Where this differs from
the original parser's accidents (``/a.+/b,/c`` is an error there, ``(a,b),(c)`` here) the explicit rule wins.

Selectors with a wildcard ``/*`` or an open interval ``[5:]`` are *ambiguous*: they can match ports of an
existing table (:func:`select`) but cannot be expanded or counted. Malformed or ambiguous input raises
:class:`~spikeloom.ModelDefinitionError` (a ``ValueError``) naming the character position.

Expansion is bounded: a selector is counted arithmetically before any identifier is built, and one naming more
than :data:`MAX_PORTS` identifiers (``/a[0:999999999]``) is refused, as is one whose identifiers would not fit
in memory, so a typo cannot exhaust the machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Union

from .._errors import ModelDefinitionError
from ..core import validate

Port = tuple
#: most identifiers one selector may name (an LPU of Neurokernel's largest models has ~10^5 ports)
MAX_PORTS = 10_000_000
#: rough bytes per identifier: the tuple, its list slot and one small int or str per level
_BYTES_PER_PORT = 120
_BYTES_PER_LEVEL = 40
Selection = Union[str, Iterable[tuple]]

_NAME = r"[^0-9*/\[\]():,.+][^*/\[\]():,.+]*"
_TOKENS = re.compile(rf"""
    (?P<wild>/\*)
  | (?P<interval>/?\[(?P<start>\d*):(?P<stop>\d*)\])
  | (?P<intset>/?\[\d+(?:,\d+)*\])
  | (?P<strset>/?\[{_NAME}(?:,{_NAME})*\])
  | (?P<int>/?\d+)
  | (?P<str>/{_NAME})
  | (?P<zip>\.\+)
  | (?P<op>[,+()])
""", re.VERBOSE)


@dataclass(frozen=True)
class Level:
    """One level of a selector: explicit values, a wildcard, or an interval whose stop may be open."""

    values: tuple = ()
    wild: bool = False
    start: int | None = None  # set for intervals only
    stop: int | None = None
    pos: int = field(default=0, compare=False)  # where it was written, for error messages

    @property
    def ambiguous(self) -> bool:
        return self.wild or (self.start is not None and self.stop is None)

    def explicit(self) -> tuple:
        if self.start is not None:
            return tuple(range(self.start, self.stop))
        return self.values

    def size(self) -> int:
        """Number of values, without building them (an interval may be huge)."""
        if self.start is not None:
            return max(self.stop - self.start, 0)
        return len(self.values)

    def matches(self, token) -> bool:
        if self.wild:
            return True
        if self.start is not None:
            return isinstance(token, int) and token >= self.start and (self.stop is None or token < self.stop)
        return token in self.values


def _fail(text: str, pos: int, why: str):
    caret = f"\n  {text}\n  {' ' * pos}^"
    raise ModelDefinitionError(f"malformed selector {text!r}: {why} at position {pos}{caret}")


def _lex(text: str) -> list[tuple[str, object, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKENS.match(text, pos)
        if m is None:
            if text[pos] == "[" or text.startswith("/[", pos):
                _bracket_error(text, pos + (text[pos] == "/"))
            ch = text[pos]
            hint = " (a wildcard is written '/*')" if ch == "*" else ""
            _fail(text, pos, f"unexpected character {ch!r}{hint}")
        kind = m.lastgroup
        raw = m.group(0)
        body = raw.lstrip("/").strip("[]")
        if kind == "wild":
            tokens.append(("level", Level(wild=True), pos))
        elif kind == "interval":
            start = int(m.group("start")) if m.group("start") else 0
            stop = int(m.group("stop")) if m.group("stop") else None
            tokens.append(("level", Level(start=start, stop=stop), pos))
        elif kind == "intset":
            tokens.append(("level", Level(values=tuple(int(v) for v in body.split(","))), pos))
        elif kind == "strset":
            tokens.append(("level", Level(values=tuple(body.split(","))), pos))
        elif kind == "int":
            tokens.append(("level", Level(values=(int(body),)), pos))
        elif kind == "str":
            tokens.append(("level", Level(values=(body,)), pos))
        else:
            tokens.append((raw, None, pos))
        if tokens[-1][0] == "level":
            tokens[-1] = ("level", replace(tokens[-1][1], pos=pos), pos)
        pos = m.end()
    return tokens


def _bracket_error(text: str, at: int):
    """Point at the first character that makes the bracket starting at ``at`` invalid."""
    close = text.find("]", at)
    if close < 0:
        _fail(text, at, "'[' is never closed")
    body, kinds = text[at + 1:close], set()
    offset = at + 1
    for item in body.split(","):
        if not item:
            _fail(text, offset, "empty item in '[...]'")
        kind = "int" if item.isdigit() else "str" if re.fullmatch(_NAME, item) else None
        if kind is None:
            bad = next((k for k, ch in enumerate(item) if not (ch.isdigit() if item[0].isdigit() else
                                                                re.match(_NAME, ch if k == 0 else "a" + ch))), 0)
            _fail(text, offset + bad, f"unexpected character {item[bad]!r} in '[...]'")
        kinds.add(kind)
        if len(kinds) > 1:
            _fail(text, offset, "a set mixes integers and names")
        offset += len(item) + 1
    _fail(text, at, "invalid '[...]'")


class _Parser:
    """Recursive descent over the tokens; a parsed selector is a list of level sequences."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _lex(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def pos(self) -> int:
        return self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text)

    def parse(self) -> list[list[Level]]:
        if not self.tokens:
            return []
        seqs = self.comma_list()
        if self.i < len(self.tokens):
            _fail(self.text, self.pos(), f"unexpected {self.text[self.pos()]!r}")
        return seqs

    def comma_list(self):
        seqs = self.zipped()
        while self.peek() == ",":
            self.i += 1
            seqs = seqs + self.zipped()
        return seqs

    def zipped(self):
        seqs = self.product()
        while self.peek() == ".+":
            op_at = self.pos()
            self.i += 1
            right = self.product()
            left_ids, right_ids = _expand_seqs(seqs, self.text), _expand_seqs(right, self.text)
            if len(left_ids) != len(right_ids):
                _fail(self.text, op_at, f"'.+' joins {len(left_ids)} identifier(s) with {len(right_ids)}; "
                                        "the counts must be equal")
            seqs = [[Level(values=(t,)) for t in a + b] for a, b in zip(left_ids, right_ids)]
        return seqs

    def product(self):
        seqs = self.sequence()
        while self.peek() == "+":
            self.i += 1
            op_at = self.pos()
            right = self.sequence()
            _check_size(len(seqs) * len(right), self.text, f"the '+' at position {op_at} makes")
            seqs = [a + b for a in seqs for b in right]
        return seqs

    def sequence(self):
        kind = self.peek()
        if kind == "(":
            self.i += 1
            seqs = self.comma_list()
            if self.peek() != ")":
                _fail(self.text, self.pos(), "expected ')'")
            self.i += 1
        elif kind == "level":
            seqs = [[self.tokens[self.i][1]]]
            self.i += 1
        else:
            what = "end of selector" if kind is None else repr(self.text[self.pos()])
            _fail(self.text, self.pos(), f"expected a level or '(' but found {what}")
        while self.peek() == "level":
            level = self.tokens[self.i][1]
            seqs = [s + [level] for s in seqs]
            self.i += 1
        return seqs


def _check_unambiguous(seqs: list[list[Level]], text: str) -> None:
    for seq in seqs:
        for level in seq:
            if level.ambiguous:
                what = "wildcard" if level.wild else "open interval"
                raise ModelDefinitionError(f"ambiguous selector {text!r}: the {what} at position {level.pos} cannot "
                                           "be expanded into ports (it can only match existing ports)")


def _count_seqs(seqs: list[list[Level]]) -> int:
    """Identifiers the sequences name, computed from the level sizes (nothing is built)."""
    total = 0
    for seq in seqs:
        n = 1
        for level in seq:
            n *= level.size()
        total += n
    return total


def _check_size(n: int, text: str, what: str = "it names", levels: int = 1) -> None:
    """Refuse a selector naming more than :data:`MAX_PORTS` identifiers, or more than memory holds."""
    if n > MAX_PORTS:
        raise ModelDefinitionError(f"selector {text!r}: {what} {n} port identifiers; at most {MAX_PORTS} can be "
                                   "expanded (check the interval bounds)")
    if n > 100_000:  # reading the free memory costs more than building a small selector
        validate.memory(n * (_BYTES_PER_PORT + _BYTES_PER_LEVEL * levels),
                        f"selector {text!r} ({n} port identifiers)")


def _expand_seqs(seqs: list[list[Level]], text: str) -> list[Port]:
    _check_unambiguous(seqs, text)
    _check_size(_count_seqs(seqs), text, levels=max((len(s) for s in seqs), default=1))
    out: list[Port] = []
    for seq in seqs:
        partial: list[Port] = [()]
        for level in seq:
            partial = [p + (v,) for p in partial for v in level.explicit()]
        out.extend(partial)
    return out


def parse(selector: str) -> list[list[Level]]:
    """The selector as a list of level sequences (raises ``ModelDefinitionError`` with the position if malformed)."""
    if not isinstance(selector, str):
        raise ModelDefinitionError(f"a selector must be a str, got {type(selector).__name__} {selector!r}")
    if not selector.strip():
        return []
    return _Parser(selector).parse()


def _ports(selection: Selection) -> list[Port]:
    return [p for p in expand(selection) if p] if isinstance(selection, str) else [tuple(p) for p in selection]


def expand(selector: str) -> list[tuple]:
    """The port identifiers named by ``selector``, in the order written (duplicates kept).

    The empty selector, and one whose ranges are all empty, give ``[()]`` (as the original does).
    """
    ids = _expand_seqs(parse(selector), selector)
    return ids or [()]


def count(selector: str) -> int:
    """Number of port identifiers ``selector`` names (0 for the empty selector), computed without expanding."""
    seqs = parse(selector)
    _check_unambiguous(seqs, selector)
    return _count_seqs(seqs)


def is_ambiguous(selector: str) -> bool:
    """True when the selector has a wildcard or an open interval, so it can only match existing ports."""
    return any(level.ambiguous for seq in parse(selector) for level in seq)


def is_identifier(selector: str) -> bool:
    """True when the selector names exactly one port."""
    return not is_ambiguous(selector) and count(selector) == 1


def max_levels(selector: Selection) -> int:
    """Number of levels of the longest identifier."""
    return max((len(p) for p in _ports(selector)), default=0)


def select(selector: str, ports: Iterable[tuple]) -> list[tuple]:
    """The ports (from ``ports``, in their order) that ``selector`` names; it may be ambiguous.

    A level sequence matches a port whose leading levels it matches, so ``/med/*`` matches ``/med/L1/0``.
    """
    seqs = parse(selector)
    return [p for p in ports if any(len(p) >= len(seq) and all(lv.matches(t) for lv, t in zip(seq, p))
                                    for seq in seqs)]


def union(*selections: Selection) -> list[tuple]:
    """Sorted identifiers in any of the selections (ints before strs within a level)."""
    return sorted({p for s in selections for p in _ports(s)}, key=_sort_key)


def intersection(a: Selection, b: Selection) -> list[tuple]:
    """Identifiers of ``a`` (in its order, without repeats) that are also in ``b``."""
    right = set(_ports(b))
    return list(dict.fromkeys(p for p in _ports(a) if p in right))


def difference(a: Selection, b: Selection) -> list[tuple]:
    """Identifiers of ``a`` (in its order, without repeats) that are not in ``b``."""
    right = set(_ports(b))
    return list(dict.fromkeys(p for p in _ports(a) if p not in right))


def are_disjoint(*selections: Selection) -> bool:
    """True when no identifier appears in two of the selections (the empty selector is disjoint from all)."""
    seen: set = set()
    for s in selections:
        ports = set(_ports(s))
        if seen & ports:
            return False
        seen |= ports
    return True


def is_in(a: Selection, b: Selection) -> bool:
    """True when every identifier of ``a`` is in ``b`` (an empty ``a`` always is)."""
    return set(_ports(a)) <= set(_ports(b))


def _sort_key(port: tuple):
    return tuple((0, t, "") if isinstance(t, int) else (1, 0, t) for t in port)


def to_identifier(port: tuple) -> str:
    """The identifier string of one port: ``('a', 'b', 0)`` -> ``'/a/b[0]'``."""
    return "".join(f"[{t}]" if isinstance(t, int) else f"/{t}" for t in port)


def to_selector(ports: Iterable[tuple]) -> str:
    """A selector naming exactly ``ports`` in order, e.g. ``[('a', 0), ('b',)]`` -> ``'/a[0],/b'``."""
    return ",".join(to_identifier(p) for p in ports)
