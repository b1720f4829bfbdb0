"""Compressed sparse rows: the stored form of a projection's connectivity (rows = presynaptic neurons)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CSR:
    """Row pointers ``rowptr`` (int64, n_pre + 1), column indices ``col`` (int32, nnz), optional ``weight`` (nnz).

    Row ``i`` holds the post-synaptic targets of presynaptic neuron ``i``: ``col[rowptr[i]:rowptr[i+1]]``.
    """

    n_pre: int
    n_post: int
    rowptr: np.ndarray
    col: np.ndarray
    weight: np.ndarray | None = None

    @property
    def nnz(self) -> int:
        return int(self.col.size)

    @classmethod
    def from_coo(cls, n_pre, n_post, pre, post, weight=None) -> "CSR":
        """Build from (pre, post[, weight]) lists; entries are sorted by (pre, post) with a stable sort."""
        pre = np.asarray(pre, dtype=np.int64)
        post = np.asarray(post, dtype=np.int64)
        order = np.lexsort((post, pre))
        counts = np.bincount(pre, minlength=n_pre)
        rowptr = np.zeros(n_pre + 1, dtype=np.int64)
        np.cumsum(counts, out=rowptr[1:])
        w = None if weight is None else np.asarray(weight, dtype=np.float64)[order]
        return cls(n_pre, n_post, rowptr, post[order].astype(np.int32), w)

    def rows(self) -> np.ndarray:
        """Presynaptic index of every stored synapse (int64, nnz)."""
        return np.repeat(np.arange(self.n_pre, dtype=np.int64), np.diff(self.rowptr))

    def to_scipy(self, weight=None):
        """The matrix as ``scipy.sparse.csr_array`` of shape (n_pre, n_post); entries are the weights (or 1)."""
        import scipy.sparse as sp

        data = self.weight if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), (self.nnz,))
        if data is None:
            data = np.ones(self.nnz)
        return sp.csr_array((np.asarray(data), self.col, self.rowptr), shape=(self.n_pre, self.n_post))
