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


#: synapses per block of presynaptic rows drawn at once (a row is never split): bounds the temporaries of
#: construction, and each block draws from a stream of its own, so blocks are drawn in parallel and again alike
BLOCK_SYNAPSES = 1 << 20


def block_bounds(counts: np.ndarray, size: int | None = None) -> np.ndarray:
    """Row boundaries of the blocks (int64, starting at 0 and ending at ``counts.size``): a block ends with the
    first row whose cumulative count reaches the next multiple of ``size`` (default :data:`BLOCK_SYNAPSES`)."""
    size = BLOCK_SYNAPSES if size is None else size
    ends = np.cumsum(counts)
    total = int(ends[-1]) if ends.size else 0
    cuts = np.searchsorted(ends, np.arange(size, total, size, dtype=np.int64)) + 1
    return np.unique(np.concatenate([[0], cuts, [counts.size]]).astype(np.int64))


class RowDraw:
    """The synapses of a connector, drawn block by block of presynaptic rows.

    ``counts`` (synapses per presynaptic neuron, int64) is drawn first, from the caller's generator; block ``k``
    (rows ``bounds[k]:bounds[k + 1]``) then draws its targets, and whatever else is drawn for its synapses
    afterwards (weights), from that generator's state jumped ``k`` times (``bit_generator.jumped``), and the
    caller's generator moves past all blocks. So a block draws the same values whenever and on whichever thread
    it is drawn. ``columns(lo, hi, counts, rng)`` returns the int32 targets of rows ``lo..hi``, each row sorted.
    """

    def __init__(self, counts: np.ndarray, rng: np.random.Generator, columns, csr: CSR | None = None):
        self.counts = np.asarray(counts, dtype=np.int64)
        self.bounds = block_bounds(self.counts)
        self.rowptr = np.zeros(self.counts.size + 1, dtype=np.int64)
        np.cumsum(self.counts, out=self.rowptr[1:])
        self.csr = csr  # the whole connectivity, where the connector builds it at once (FromList, AllToAll, ...)
        self._columns = columns
        self._base = rng.bit_generator.jumped(0)
        rng.bit_generator.state = self._base.jumped(self.n_blocks).state

    @property
    def n_blocks(self) -> int:
        return self.bounds.size - 1

    @property
    def nnz(self) -> int:
        return int(self.rowptr[-1])

    def rng(self, k: int) -> np.random.Generator:
        """A fresh generator of block ``k``'s stream."""
        return np.random.Generator(self._base.jumped(k))

    def block(self, k: int) -> tuple[np.ndarray, np.random.Generator]:
        """Targets of block ``k`` and its generator, positioned after them."""
        lo, hi = int(self.bounds[k]), int(self.bounds[k + 1])
        rng = self.rng(k)
        return self._columns(lo, hi, self.counts[lo:hi], rng), rng

    def to_csr(self, n_pre: int, n_post: int) -> CSR:
        if self.csr is not None:
            return self.csr
        col = np.empty(self.nnz, dtype=np.int32)
        for k in range(self.n_blocks):
            col[self.rowptr[self.bounds[k]]:self.rowptr[self.bounds[k + 1]]] = self.block(k)[0]
        return CSR(n_pre, n_post, self.rowptr, col)


def _block_ptr(counts: np.ndarray) -> np.ndarray:
    ptr = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr


def _iid_columns(counts: np.ndarray, n_choices: int, rng: np.random.Generator) -> np.ndarray:
    """For each row r, ``counts[r]`` independent uniform integers of [0, n_choices) (int32), each row sorted."""
    from . import _kernels

    cols = rng.integers(0, max(n_choices, 1), size=int(counts.sum()), dtype=np.int32)
    _kernels.sort_rows(cols, _block_ptr(counts), np.arange(counts.size), n_choices)
    return cols


def _distinct_columns(counts: np.ndarray, n_choices: int, rng: np.random.Generator) -> np.ndarray:
    """For each row r, a uniformly random set of ``counts[r]`` distinct integers of [0, n_choices) (int32), sorted.

    Each row draws the smaller of its set and the set's complement: values with replacement, then the repeats
    again until the row holds distinct values (the procedure treats every value alike, so the set is uniform);
    a drawn complement is then inverted."""
    from . import _kernels

    small = np.minimum(counts, n_choices - counts)
    ptr = _block_ptr(small)
    cols = rng.integers(0, max(n_choices, 1), size=int(ptr[-1]), dtype=np.int32)
    rows = np.arange(counts.size)
    while rows.size:
        _kernels.sort_rows(cols, ptr, rows, n_choices)
        again = _kernels.repeats(cols, ptr)
        cols[again] = rng.integers(0, max(n_choices, 1), size=again.size, dtype=np.int32)
        rows = np.unique(np.searchsorted(ptr, again, side="right") - 1)
    if np.array_equal(small, counts):
        return cols
    out = np.empty(int(counts.sum()), dtype=np.int32)
    _kernels.complement_rows(cols, ptr, counts, n_choices, out)
    return out


def _row_columns(distinct: bool, n_choices: int, skip: bool):
    """``columns(lo, hi, counts, rng)`` of a :class:`RowDraw` whose rows draw uniform targets among ``n_choices``
    (distinct or independent); ``skip`` leaves out ``i -> i``."""

    def columns(lo, hi, counts, rng):
        from . import _kernels

        cols = (_distinct_columns if distinct else _iid_columns)(counts, n_choices, rng)
        if skip:
            _kernels.skip_self(cols, _block_ptr(counts), lo)
        return cols

    return columns


class Connector(abc.ABC):
    """Describes how to connect ``n_pre`` presynaptic neurons to ``n_post`` post-synaptic ones."""

    @abc.abstractmethod
    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> CSR: ...

    #: whether :meth:`draw` draws block by block of rows (else it builds the whole CSR, with its temporaries)
    by_rows = False

    def draw(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> RowDraw:
        """The synapses as a :class:`RowDraw` (blocks of rows drawn on demand); connectors that draw row by row
        override it, the others build the whole CSR here."""
        csr = self.build(n_pre, n_post, rng, same_population)
        return RowDraw(np.diff(csr.rowptr), rng, lambda lo, hi, counts, _: csr.col[csr.rowptr[lo]:csr.rowptr[hi]],
                       csr)

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


#: above this probability FixedProb draws a Bernoulli mask per block of rows instead of rejection sampling
DENSE_P = 0.25


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

    @property
    def by_rows(self):
        return self.p <= DENSE_P

    def build(self, n_pre, n_post, rng, same_population):
        if self.p > DENSE_P:
            # dense regime: a Bernoulli mask per block of rows is cheaper than rejection sampling
            return self._dense(n_pre, n_post, rng, self._skip(same_population))
        return self.draw(n_pre, n_post, rng, same_population).to_csr(n_pre, n_post)

    def draw(self, n_pre, n_post, rng, same_population):
        """Binomial(n_choices, p) targets per row, then that many distinct targets, uniformly."""
        if self.p > DENSE_P:
            return super().draw(n_pre, n_post, rng, same_population)
        skip = self._skip(same_population)
        n_choices = n_post - 1 if skip else n_post
        counts = rng.binomial(n_choices, self.p, size=n_pre).astype(np.int64)
        return RowDraw(counts, rng, _row_columns(True, n_choices, skip))

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
    by_rows = True

    def __post_init__(self):
        _degree_fields(self)

    def check(self, n_pre, n_post, same_population, owner=None):
        _degree_fits(self, n_post - self._skip(same_population), "targets per presynaptic neuron", "post", owner)

    def expected_synapses(self, n_pre, n_post, same_population):
        return float(self.k) * n_pre

    def build(self, n_pre, n_post, rng, same_population):
        return self.draw(n_pre, n_post, rng, same_population).to_csr(n_pre, n_post)

    def draw(self, n_pre, n_post, rng, same_population):
        self.check(n_pre, n_post, same_population)
        skip = self._skip(same_population)
        return RowDraw(np.full(n_pre, self.k, dtype=np.int64), rng, _row_columns(True, n_post - skip, skip))


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


@dataclass(frozen=True)
class FixedTotalNumber(Connector):
    """Exactly ``n`` synapses drawn uniformly over all (pre, post) pairs (NEST's ``fixed_total_number`` rule).

    With ``multapses=True`` the ``n`` synapses are ``n`` independent uniform draws of a pair, so the number of
    synapses of each pair follows the multinomial law Mult(n; 1/N, ..., 1/N) over the N pairs (N = n_pre n_post,
    or n_pre (n_post - 1) without self-connections); with ``multapses=False`` they are a uniformly random set of
    ``n`` distinct pairs, and ``n <= N`` is required. Synapses are stored sorted by (pre, post).

    Drawn row by row: the synapses per presynaptic neuron first, Multinomial(n; 1/n_pre, ...) with multapses
    (the row of each of the ``n`` uniform pairs is uniform) or multivariate hypergeometric without (``n`` of the
    N pairs, ``N / n_pre`` in each row, drawn without replacement); then each row's targets, uniform (and
    distinct without multapses) given its count. This is the same law as drawing the ``n`` pairs at once."""

    n: int
    allow_self: bool = True
    multapses: bool = True
    by_rows = True

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
        return self.draw(n_pre, n_post, rng, same_population).to_csr(n_pre, n_post)

    def draw(self, n_pre, n_post, rng, same_population):
        self.check(n_pre, n_post, same_population)
        skip = self._skip(same_population)
        n_choices = n_post - skip
        if self.n == 0 or n_pre == 0:
            counts = np.zeros(n_pre, dtype=np.int64)
        elif self.multapses:
            counts = rng.multinomial(self.n, np.full(n_pre, 1.0 / n_pre))
        else:
            counts = rng.multivariate_hypergeometric(np.full(n_pre, n_choices, dtype=np.int64), self.n)
        return RowDraw(counts, rng, _row_columns(not self.multapses, n_choices, skip))


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
        from . import _kernels

        n_choices = n_post - self._skip(same_population)
        cols = np.tile(np.arange(n_choices, dtype=np.int32), n_pre)
        rowptr = np.arange(n_pre + 1, dtype=np.int64) * n_choices
        if n_choices < n_post:
            _kernels.skip_self(cols, rowptr, 0)
        return CSR(n_pre, n_post, rowptr, cols)


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
