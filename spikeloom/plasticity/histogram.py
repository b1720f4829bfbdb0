"""``Histogram(edges)``: the monitor form that records a histogram of all values of a per-synapse variable
(``("P.w", Histogram(edges), every)``) instead of the values themselves."""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError


class Histogram:
    """Bins given by increasing ``edges`` (at least two), as ``numpy.histogram``: each bin closed on the left,
    the last one also on the right; values outside ``[edges[0], edges[-1]]`` are not counted."""

    def __init__(self, edges):
        try:
            values = np.asarray(edges, dtype=np.float64)
        except (TypeError, ValueError):
            raise ModelDefinitionError(f"Histogram: edges must be increasing numbers, got {edges!r:.80}") from None
        if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)) or np.any(np.diff(values) <= 0):
            raise ModelDefinitionError(f"Histogram: edges must be at least two finite, strictly increasing numbers, "
                                       f"got {edges!r:.80}")
        self.edges = values

    def __repr__(self):
        return f"Histogram({self.edges.size - 1} bins in [{self.edges[0]:g}, {self.edges[-1]:g}])"


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts (int64) of ``values`` in the bins of ``edges`` (given in the values' float type), exactly as the
    compiled loops count them: bin ``b`` holds ``edges[b] <= v < edges[b + 1]``, the last bin also ``v =
    edges[-1]``."""
    nb = edges.size - 1
    b = np.searchsorted(edges, values, side="right") - 1
    b = np.where((b == nb) & (values == edges[-1]), nb - 1, b)
    return np.bincount(b[(b >= 0) & (b < nb)], minlength=nb).astype(np.int64)
