"""Connectivity generators: each turns (n_pre, n_post, random generator) into a :class:`CSR`.

Random generators are exact: ``FixedProb`` connects every pair independently with probability ``p``
(binomial row counts, then distinct targets drawn uniformly), ``FixedInDegree``/``FixedOutDegree`` give every
post/pre neuron exactly ``k`` distinct partners, ``FixedTotalNumber`` draws exactly ``n`` synapses over all
pairs. ``allow_self=False`` excludes ``i -> i`` (it applies when a
projection connects a population to itself).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..units import gather, split_quantity
from .csr import CSR


def index_array(value, name: str, owner: str | None, n: int | None = None) -> np.ndarray:
    """``value`` as a 1-D int64 array of indices in ``[0, n)`` (``n`` None: ``>= 0``); whole-valued floats are
    accepted, anything else (fractions, NaN, booleans, strings, nested lists) is refused naming ``name``."""
    where = f"{owner}: {name}" if owner else name
    try:
        raw = np.atleast_1d(np.asarray(value))
    except (ValueError, TypeError) as err:
        raise ModelDefinitionError(f"{where} must be an array of indices, got {type(value).__name__} ({err})") from None
    if raw.ndim != 1:
        raise ModelDefinitionError(f"{where} must be one-dimensional, got shape {raw.shape}")
    if raw.dtype.kind not in "iuf":
        raise ModelDefinitionError(f"{where} must hold integers, got dtype {raw.dtype}")
    if raw.dtype.kind == "f":
        bad = ~np.isfinite(raw) | (raw != np.round(raw))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ModelDefinitionError(f"{where} must hold integers, got {raw[i]} at position {i}")
    idx = raw.astype(np.int64)
    out = (idx < 0) if n is None else (idx < 0) | (idx >= n)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        rng = ">= 0" if n is None else f"in [0, {n})"
        raise ModelDefinitionError(f"{where} must be {rng}, got {idx[i]} at position {i}")
    return idx


def flag(value, name: str, owner: str) -> bool:
    """A switch given as ``True``/``False`` (numbers and strings are refused: ``"False"`` is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ModelDefinitionError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def _who(owner: str | None, what: str) -> str:
    return f"{owner}: {what}" if owner else what


def _distinct_targets(counts: np.ndarray, n_choices: int, rng: np.random.Generator) -> np.ndarray:
    """For each row r, ``counts[r]`` distinct integers in [0, n_choices), uniformly; rows concatenated, sorted."""
    total = int(counts.sum())
    rows = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    cols = rng.integers(0, n_choices, size=total, dtype=np.int64)
    while True:
        # sort by (row, col) and redraw the repeats until every row holds distinct values
        key = rows * n_choices + cols
        order = np.argsort(key, kind="stable")
        key = key[order]
        cols = cols[order]
        dup = np.flatnonzero(key[1:] == key[:-1]) + 1
        if dup.size == 0:
            return cols
        cols[dup] = rng.integers(0, n_choices, size=dup.size, dtype=np.int64)


def _skip_self(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Map columns drawn from n-1 values onto [0, n) without the diagonal (shift c >= row by one)."""
    return cols + (cols >= rows)


class Connector(abc.ABC):
    """Describes how to connect ``n_pre`` presynaptic neurons to ``n_post`` post-synaptic ones."""

    @abc.abstractmethod
    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> CSR: ...

    def check(self, n_pre: int, n_post: int, same_population: bool, owner: str | None = None) -> None:
        """Refuse population sizes this connector cannot serve (called when a projection is made, before
        anything is drawn); ``owner`` prefixes the message."""

    @abc.abstractmethod
    def expected_synapses(self, n_pre: int, n_post: int, same_population: bool) -> float:
        """Mean number of synapses it builds (for the memory estimate made before building)."""

    #: canonical unit of the weights the connector carries (None: plain numbers, or no weights)
    weight_unit = None

    def own_weights(self) -> np.ndarray | None:
        """The weights the connector carries (one per synapse, in its input order), None if it has none."""
        return None

    def own_delays(self) -> np.ndarray | None:
        """The delays (ms) the connector carries, one per synapse in the order :meth:`build` stores them, None
        if it has none."""
        return None

    def _skip(self, same_population: bool) -> bool:
        return same_population and not getattr(self, "allow_self", True)


@dataclass(frozen=True)
class FixedProb(Connector):
    """Every (pre, post) pair is connected independently with probability ``p``."""

    p: float
    allow_self: bool = True

    def __post_init__(self):
        object.__setattr__(self, "p", validate.probability(self.p, "p", owner="FixedProb"))
        object.__setattr__(self, "allow_self", flag(self.allow_self, "allow_self", "FixedProb"))

    def expected_synapses(self, n_pre, n_post, same_population):
        return self.p * n_pre * (n_post - self._skip(same_population))

    def build(self, n_pre, n_post, rng, same_population):
        skip = self._skip(same_population)
        if self.p > 0.25:
            # dense regime: a Bernoulli mask per block of rows is cheaper than rejection sampling
            return self._dense(n_pre, n_post, rng, skip)
        n_choices = n_post - 1 if skip else n_post
        counts = rng.binomial(n_choices, self.p, size=n_pre).astype(np.int64)
        cols = _distinct_targets(counts, n_choices, rng)
        rows = np.repeat(np.arange(n_pre, dtype=np.int64), counts)
        if skip:
            cols = _skip_self(rows, cols)
        rowptr = np.zeros(n_pre + 1, dtype=np.int64)
        np.cumsum(counts, out=rowptr[1:])
        return CSR(n_pre, n_post, rowptr, cols.astype(np.int32))

    def _dense(self, n_pre, n_post, rng, skip):
        block = max(1, 4_000_000 // max(n_post, 1))
        pre, post = [], []
        for lo in range(0, n_pre, block):
            mask = rng.random((min(block, n_pre - lo), n_post)) < self.p
            if skip:
                idx = np.arange(lo, lo + mask.shape[0])
                mask[idx - lo, idx] = False
            r, c = np.nonzero(mask)
            pre.append(r + lo)
            post.append(c)
        return CSR.from_coo(n_pre, n_post, np.concatenate(pre), np.concatenate(post))


def _degree_fields(conn) -> None:
    name = type(conn).__name__
    object.__setattr__(conn, "k", validate.integer(conn.k, "k", owner=name, low=0))
    object.__setattr__(conn, "allow_self", flag(conn.allow_self, "allow_self", name))


def _degree_fits(conn, n_choices: int, what: str, side: str, owner) -> None:
    """``k`` distinct partners (drawn without replacement) need at least ``k`` candidates."""
    if conn.k > n_choices:
        noself = " without self-connections" if not conn.allow_self else ""
        raise ModelDefinitionError(_who(owner, f"{type(conn).__name__}: k = {conn.k} distinct {what} exceeds the "
                                               f"{n_choices} neurons of {side}{noself}; use k <= {n_choices}"))


@dataclass(frozen=True)
class FixedOutDegree(Connector):
    """Every presynaptic neuron connects to exactly ``k`` distinct post-synaptic neurons."""

    k: int
    allow_self: bool = True

    def __post_init__(self):
        _degree_fields(self)

    def check(self, n_pre, n_post, same_population, owner=None):
        _degree_fits(self, n_post - self._skip(same_population), "targets per presynaptic neuron", "post", owner)

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(self.k) * n_pre

    def build(self, n_pre, n_post, rng, same_population):
        self.check(n_pre, n_post, same_population)
        skip = self._skip(same_population)
        n_choices = n_post - 1 if skip else n_post
        counts = np.full(n_pre, self.k, dtype=np.int64)
        cols = _distinct_targets(counts, n_choices, rng)
        if skip:
            cols = _skip_self(np.repeat(np.arange(n_pre, dtype=np.int64), counts), cols)
        rowptr = np.arange(n_pre + 1, dtype=np.int64) * self.k
        return CSR(n_pre, n_post, rowptr, cols.astype(np.int32))


@dataclass(frozen=True)
class FixedInDegree(Connector):
    """Every post-synaptic neuron receives from exactly ``k`` distinct presynaptic neurons."""

    k: int
    allow_self: bool = True

    def __post_init__(self):
        _degree_fields(self)

    def check(self, n_pre, n_post, same_population, owner=None):
        _degree_fits(self, n_pre - self._skip(same_population), "sources per post-synaptic neuron", "pre", owner)

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(self.k) * n_post

    def build(self, n_pre, n_post, rng, same_population):
        self.check(n_pre, n_post, same_population)
        transposed = FixedOutDegree(self.k, self.allow_self).build(n_post, n_pre, rng, same_population)
        return CSR.from_coo(n_pre, n_post, transposed.col, transposed.rows())


def _distinct_pairs(n: int, n_pairs: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct integers of [0, n_pairs), a uniformly random subset, sorted (int64).

    Draws with replacement and tops up the duplicates until ``n`` distinct values are held: the procedure treats
    every value alike, so the subset is uniform. Beyond half of the pairs the complement is drawn instead (a
    mask of ``n_pairs`` bytes, then at most twice the synapses), so the number of rounds stays small."""
    if 2 * n > n_pairs:
        keep = np.ones(n_pairs, dtype=bool)
        keep[_distinct_pairs(n_pairs - n, n_pairs, rng)] = False
        return np.flatnonzero(keep)
    pairs = np.unique(rng.integers(0, n_pairs, size=n, dtype=np.int64))
    while pairs.size < n:
        pairs = np.unique(np.concatenate([pairs, rng.integers(0, n_pairs, size=n - pairs.size, dtype=np.int64)]))
    return pairs


@dataclass(frozen=True)
class FixedTotalNumber(Connector):
    """Exactly ``n`` synapses drawn uniformly over all (pre, post) pairs (NEST's ``fixed_total_number`` rule).

    With ``multapses=True`` the ``n`` synapses are ``n`` independent uniform draws of a pair, so the number of
    synapses of each pair follows the multinomial law Mult(n; 1/N, ..., 1/N) over the N pairs (N = n_pre n_post,
    or n_pre (n_post - 1) without self-connections); with ``multapses=False`` they are a uniformly random set of
    ``n`` distinct pairs, and ``n <= N`` is required. Synapses are stored sorted by (pre, post)."""

    n: int
    allow_self: bool = True
    multapses: bool = True

    def __post_init__(self):
        object.__setattr__(self, "n", validate.integer(self.n, "n", owner="FixedTotalNumber", low=0))
        object.__setattr__(self, "allow_self", flag(self.allow_self, "allow_self", "FixedTotalNumber"))
        object.__setattr__(self, "multapses", flag(self.multapses, "multapses", "FixedTotalNumber"))

    def _pairs(self, n_pre, n_post, same_population) -> int:
        return n_pre * (n_post - self._skip(same_population))

    def check(self, n_pre, n_post, same_population, owner=None):
        n_pairs = self._pairs(n_pre, n_post, same_population)
        noself = " without self-connections" if self._skip(same_population) else ""
        if self.n > 0 and n_pairs == 0:
            raise ModelDefinitionError(_who(owner, f"FixedTotalNumber: n = {self.n} synapses but there is no "
                                                   f"(pre, post) pair to draw from{noself}"))
        if not self.multapses and self.n > n_pairs:
            raise ModelDefinitionError(_who(owner, f"FixedTotalNumber: n = {self.n} distinct synapses "
                                                   f"(multapses=False) exceeds the {n_pairs} (pre, post) pairs"
                                                   f"{noself}; use n <= {n_pairs} or multapses=True"))

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(self.n)

    def build(self, n_pre, n_post, rng, same_population):
        self.check(n_pre, n_post, same_population)
        n_choices = n_post - self._skip(same_population)
        n_pairs = n_pre * n_choices
        if self.multapses:
            pairs = np.sort(rng.integers(0, max(n_pairs, 1), size=self.n, dtype=np.int64))
        else:
            pairs = _distinct_pairs(self.n, n_pairs, rng)
        # pairs are sorted, so rows are found by searching the first pair of each row
        rowptr = np.searchsorted(pairs, np.arange(n_pre + 1, dtype=np.int64) * n_choices)
        rows = np.repeat(np.arange(n_pre, dtype=np.int64), np.diff(rowptr))
        cols = pairs - rows * n_choices
        del pairs
        if self._skip(same_population):
            cols = _skip_self(rows, cols)
        return CSR(n_pre, n_post, rowptr.astype(np.int64, copy=False), cols.astype(np.int32))


@dataclass(frozen=True)
class OneToOne(Connector):
    """Neuron ``i`` of pre connects to neuron ``i`` of post (sizes must match)."""

    def check(self, n_pre, n_post, same_population, owner=None):
        if n_pre != n_post:
            raise ModelDefinitionError(_who(owner, f"OneToOne needs equal sizes, got pre {n_pre} and post {n_post}"))

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(n_pre)

    def build(self, n_pre, n_post, rng, same_population):
        self.check(n_pre, n_post, same_population)
        return CSR(n_pre, n_post, np.arange(n_pre + 1, dtype=np.int64), np.arange(n_pre, dtype=np.int32))


@dataclass(frozen=True)
class AllToAll(Connector):
    """Every pre neuron connects to every post neuron (``allow_self=False`` drops i -> i)."""

    allow_self: bool = True

    def __post_init__(self):
        object.__setattr__(self, "allow_self", flag(self.allow_self, "allow_self", "AllToAll"))

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(n_pre) * (n_post - self._skip(same_population))

    def build(self, n_pre, n_post, rng, same_population):
        skip = self._skip(same_population)
        cols = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        rows = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        if skip:
            keep = cols != rows
            rows, cols = rows[keep], cols[keep]
        return CSR.from_coo(n_pre, n_post, rows, cols)


@dataclass(frozen=True, eq=False)
class FromList(Connector):
    """Explicit synapses: index arrays ``pre`` and ``post`` (and optionally ``weight`` and ``delay``, one per
    synapse, in the list's order), or one table ``FromList(rows)`` of shape (m, 2) (pre, post) or (m, 3) (pre,
    post, weight).

    Indices are checked when the list is made (whole numbers >= 0) and against the population sizes when
    the projection is made. Weights may be a quantity; the projection checks its dimension. Delays (ms, >= 0,
    or a time quantity) are used by a projection given no delay of its own, under its ``delay_rule``; the
    synapses are stored sorted by (pre, post), and the weights and delays follow them."""

    pre: np.ndarray
    post: np.ndarray | None = None
    weight: np.ndarray | None = None
    delay: np.ndarray | None = None
    weight_unit: str | None = field(default=None, init=False)

    def __post_init__(self):
        pre, post, weight = self.pre, self.post, self.weight
        if post is None:
            pre, post, weight = _table_columns(pre)
        pre, post = index_array(pre, "pre", "FromList"), index_array(post, "post", "FromList")
        if pre.shape != post.shape:
            raise ModelDefinitionError(f"FromList: pre ({pre.size} indices) and post ({post.size}) must have "
                                       "equal length")
        unit = None
        if weight is not None:
            weight, unit = split_quantity(weight, "FromList: weight")
            weight = validate.real_array(np.ravel(weight) if np.ndim(weight) > 1 else weight, "weight",
                                         owner="FromList", shape=(pre.size,))
        delay = self.delay
        if delay is not None:
            delay = validate.real_array(gather(delay, "FromList: delay"), "delay", owner="FromList", unit="ms",
                                        shape=(pre.size,), low=0.0)
        for name, value in (("pre", pre), ("post", post), ("weight", weight), ("delay", delay),
                            ("weight_unit", unit)):
            object.__setattr__(self, name, value)

    def check(self, n_pre, n_post, same_population, owner=None):
        for name, idx, n in (("pre", self.pre, n_pre), ("post", self.post, n_post)):
            index_array(idx, f"FromList {name} index", owner, n)

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(self.pre.size)

    def own_weights(self):
        return self.weight

    def own_delays(self):
        # the order of CSR.from_coo, which build() stores
        return None if self.delay is None else self.delay[np.lexsort((self.post, self.pre))]

    def build(self, n_pre, n_post, rng, same_population):
        self.check(n_pre, n_post, same_population)
        return CSR.from_coo(n_pre, n_post, self.pre, self.post, self.weight)


def _table_columns(rows):
    """(pre, post, weight or None) of a FromList table of 2 or 3 columns."""
    table = validate.real_array(rows, "rows", owner="FromList")
    if table.ndim != 2 or table.shape[1] not in (2, 3):
        raise ModelDefinitionError("FromList: give pre and post index arrays, or one table of shape (m, 2) "
                                   f"(pre, post) or (m, 3) (pre, post, weight); got shape {table.shape}")
    return table[:, 0], table[:, 1], (table[:, 2] if table.shape[1] == 3 else None)


@dataclass(frozen=True, eq=False)
class FromSparse(Connector):
    """A scipy.sparse matrix of shape (n_pre, n_post); its stored entries are the weights."""

    matrix: object

    def __post_init__(self):
        import scipy.sparse as sp

        if not sp.issparse(self.matrix):
            raise ModelDefinitionError(f"FromSparse needs a scipy.sparse matrix, got {type(self.matrix).__name__}")
        validate.real_array(self.matrix.data, "matrix entries", owner="FromSparse")

    def check(self, n_pre, n_post, same_population, owner=None):
        if tuple(self.matrix.shape) != (n_pre, n_post):
            raise ModelDefinitionError(_who(owner, f"FromSparse: matrix shape {tuple(self.matrix.shape)} != "
                                                   f"(n_pre, n_post) = {(n_pre, n_post)}"))

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(self.matrix.nnz)

    def own_weights(self):
        return self.matrix.data

    def build(self, n_pre, n_post, rng, same_population):
        import scipy.sparse as sp

        self.check(n_pre, n_post, same_population)
        coo = sp.coo_array(self.matrix)
        return CSR.from_coo(n_pre, n_post, coo.row, coo.col, coo.data)
