"""HDF5 input and output of LPUs in Neurokernel's layout: one 2-D float64 dataset ``array`` per file.

Inputs are read a chunk of rows at a time; outputs are appended a chunk at a time to an extendable dataset
and flushed, so a run that crashes leaves a readable file holding every row written so far.
"""

from __future__ import annotations

import numpy as np


def write_input(path, array) -> None:
    """Write an input file: ``array`` of shape (steps, inputs), row t is the input at step t."""
    import h5py

    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"input array must be 2-D (steps, inputs), got shape {array.shape}")
    with h5py.File(path, "w") as f:
        f.create_dataset("array", data=array)


def read_array(path) -> np.ndarray:
    """The whole ``array`` dataset of an input or output file."""
    import h5py

    with h5py.File(path, "r") as f:
        return f["array"][...]


class InputReader:
    """Rows of an input file's ``array`` dataset, read on demand."""

    def __init__(self, path, n_columns: int, owner: str):
        import h5py

        self.path = str(path)
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as err:
            raise ValueError(f"{owner}: cannot open input file {self.path!r}: {err}") from err
        if "array" not in self.file or self.file["array"].ndim != 2:
            self.file.close()
            raise ValueError(f"{owner}: input file {self.path!r} needs a 2-D dataset 'array' (steps, inputs)")
        self.dataset = self.file["array"]
        if self.dataset.shape[1] != n_columns:
            self.file.close()
            raise ValueError(f"{owner}: input file {self.path!r} has {self.dataset.shape[1]} column(s), but the LPU "
                             f"has {n_columns} external-input node(s)")
        self.n_rows = self.dataset.shape[0]

    def rows(self, s0: int, n: int) -> np.ndarray:
        return np.ascontiguousarray(self.dataset[s0:s0 + n], dtype=np.float64)

    def close(self) -> None:
        self.file.close()


class OutputWriter:
    """An extendable ``array`` dataset of ``n_columns`` columns, appended to and flushed per chunk."""

    def __init__(self, path, n_columns: int, chunk_rows: int = 1000):
        import h5py

        self.path = str(path)
        self.file = h5py.File(self.path, "w")
        self.dataset = self.file.create_dataset("array", shape=(0, n_columns), maxshape=(None, n_columns),
                                                dtype=np.float64,
                                                chunks=(max(1, min(chunk_rows, 4096)), n_columns) if n_columns else True)

    def append(self, rows: np.ndarray) -> None:
        n = self.dataset.shape[0]
        self.dataset.resize(n + rows.shape[0], axis=0)
        self.dataset[n:] = rows
        self.file.flush()

    def close(self) -> None:
        self.file.close()
