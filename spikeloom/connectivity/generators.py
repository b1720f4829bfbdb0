"""Connectivity generators: each turns (n_pre, n_post, random generator) into a :class:`CSR`.

Random generators are exact: ``FixedProb`` connects every pair independently with probability ``p``
(binomial row counts, then distinct targets drawn uniformly), ``FixedInDegree``/``FixedOutDegree`` give every
post/pre neuron exactly ``k`` distinct partners. ``allow_self=False`` excludes ``i -> i`` (it applies when a
projection connects a population to itself).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from .csr import CSR


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


@dataclass(frozen=True)
class FixedProb(Connector):
    """Every (pre, post) pair is connected independently with probability ``p``."""

    p: float
    allow_self: bool = True

    def __post_init__(self):
        if not (0.0 <= float(self.p) <= 1.0):
            raise ModelDefinitionError(f"FixedProb: p must be in [0, 1], got {self.p}")

    def build(self, n_pre, n_post, rng, same_population):
        skip = same_population and not self.allow_self
        if skip and n_pre != n_post:
            raise ModelDefinitionError("FixedProb(allow_self=False) needs pre and post of the same size")
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


@dataclass(frozen=True)
class FixedOutDegree(Connector):
    """Every presynaptic neuron connects to exactly ``k`` distinct post-synaptic neurons."""

    k: int
    allow_self: bool = True

    def build(self, n_pre, n_post, rng, same_population):
        skip = same_population and not self.allow_self
        n_choices = n_post - 1 if skip else n_post
        if not (0 <= self.k <= n_choices):
            raise ModelDefinitionError(f"FixedOutDegree: k = {self.k} must be in [0, {n_choices}]")
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

    def build(self, n_pre, n_post, rng, same_population):
        transposed = FixedOutDegree(self.k, self.allow_self).build(n_post, n_pre, rng, same_population)
        return CSR.from_coo(n_pre, n_post, transposed.col, transposed.rows())


@dataclass(frozen=True)
class OneToOne(Connector):
    """Neuron ``i`` of pre connects to neuron ``i`` of post (sizes must match)."""

    def build(self, n_pre, n_post, rng, same_population):
        if n_pre != n_post:
            raise ModelDefinitionError(f"OneToOne needs equal sizes, got pre {n_pre} and post {n_post}")
        return CSR(n_pre, n_post, np.arange(n_pre + 1, dtype=np.int64), np.arange(n_pre, dtype=np.int32))


@dataclass(frozen=True)
class AllToAll(Connector):
    """Every pre neuron connects to every post neuron (``allow_self=False`` drops i -> i)."""

    allow_self: bool = True

    def build(self, n_pre, n_post, rng, same_population):
        skip = same_population and not self.allow_self
        cols = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        rows = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        if skip:
            keep = cols != rows
            rows, cols = rows[keep], cols[keep]
        return CSR.from_coo(n_pre, n_post, rows, cols)


@dataclass(frozen=True, eq=False)
class FromList(Connector):
    """Explicit synapses: arrays ``pre`` and ``post`` (and optionally ``weight``, one per synapse)."""

    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray | None = None

    def build(self, n_pre, n_post, rng, same_population):
        pre = np.asarray(self.pre).ravel()
        post = np.asarray(self.post).ravel()
        if pre.shape != post.shape:
            raise ModelDefinitionError(f"FromList: pre {pre.shape} and post {post.shape} must have equal length")
        for name, idx, n in (("pre", pre, n_pre), ("post", post, n_post)):
            if idx.size and (not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= n):
                raise ModelDefinitionError(f"FromList: {name} indices must be integers in [0, {n})")
        weight = None
        if self.weight is not None:
            weight = np.asarray(self.weight, dtype=np.float64).ravel()
            if weight.shape != pre.shape:
                raise ModelDefinitionError(f"FromList: weight {weight.shape} must match pre {pre.shape}")
        return CSR.from_coo(n_pre, n_post, pre, post, weight)


@dataclass(frozen=True, eq=False)
class FromSparse(Connector):
    """A scipy.sparse matrix of shape (n_pre, n_post); its stored entries are the weights."""

    matrix: object

    def build(self, n_pre, n_post, rng, same_population):
        import scipy.sparse as sp

        if not sp.issparse(self.matrix):
            raise ModelDefinitionError(f"FromSparse needs a scipy.sparse matrix, got {type(self.matrix).__name__}")
        if self.matrix.shape != (n_pre, n_post):
            raise ModelDefinitionError(f"FromSparse: matrix shape {self.matrix.shape} != (n_pre, n_post) = "
                                       f"{(n_pre, n_post)}")
        coo = sp.coo_array(self.matrix)
        return CSR.from_coo(n_pre, n_post, coo.row, coo.col, coo.data)
