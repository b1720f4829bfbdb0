"""HDF5 input and output of LPUs in Neurokernel's layout: one 2-D float64 dataset ``array`` per file.

Inputs are checked when opened (an HDF5 file, a 2-D numeric dataset ``array`` with one column per external
input) and each chunk of rows when read (finite values), so an error names the file, the dataset, the row
(step) and the column (node). Outputs are appended a chunk at a time to an extendable dataset of a temporary
file next to the target and flushed; when the run ends, normally or by an error, the file is closed and moved
over the target (:func:`spikeloom.io.atomic.atomic_path`), so it holds every completed step. A process killed
outright leaves the previous target untouched and the flushed rows in the temporary file.
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..io.atomic import atomic_path

DATASET = "array"


def write_input(path, array) -> None:
    """Write an input file: ``array`` of shape (steps, inputs), row t is the input at step t."""
    import h5py

    array = validate.real_array(array, "array", owner=f"LPU input file {str(path)!r}", shape=(None, None))
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.create_dataset(DATASET, data=array)


def _open(path, owner: str):
    """The HDF5 file at ``path`` opened for reading; an error names ``owner`` and the file."""
    import h5py

    try:
        return h5py.File(str(path), "r")
    except (OSError, ValueError) as err:
        why = "no such file" if isinstance(err, FileNotFoundError) else "not a readable HDF5 file"
        raise ModelDefinitionError(f"{owner}: cannot open {str(path)!r} ({why}: {err})") from None


def _dataset(file, owner: str):
    """The file's 2-D numeric dataset ``array``, or an error naming file, dataset and what is wrong."""
    import h5py

    where = f"{owner}: {file.filename!r}, dataset {DATASET!r}"
    if DATASET not in file:
        raise ModelDefinitionError(f"{owner}: {file.filename!r} has no dataset {DATASET!r} (has {sorted(file)})")
    data = file[DATASET]
    if not isinstance(data, h5py.Dataset):
        raise ModelDefinitionError(f"{where} is a {type(data).__name__}, not a dataset")
    if data.dtype.kind not in "biuf":
        raise ModelDefinitionError(f"{where} must hold real numbers, got dtype {data.dtype}")
    if data.ndim != 2:
        raise ModelDefinitionError(f"{where} must be 2-D (steps, inputs), got shape {data.shape}")
    return data


def read_array(path) -> np.ndarray:
    """The whole ``array`` dataset of an input or output file."""
    with _open(path, "LPU data file") as f:
        return _dataset(f, "LPU data file")[...]


class InputReader:
    """Rows of an input file's ``array`` dataset, read on demand; ``labels`` name its columns in errors."""

    def __init__(self, path, n_columns: int, owner: str, labels: list[str] | None = None):
        self.path, self.owner = str(path), owner
        self.labels = labels or [f"column {k}" for k in range(n_columns)]
        self.file = _open(self.path, f"{owner}: input file")
        try:
            self.dataset = _dataset(self.file, f"{owner}: input file")
            if self.dataset.shape[1] != n_columns:
                raise ModelDefinitionError(
                    f"{owner}: input file {self.path!r}, dataset {DATASET!r} has {self.dataset.shape[1]} column(s), "
                    f"but the LPU has {n_columns} external-input node(s)")
        except BaseException:
            self.file.close()
            raise
        self.n_rows = self.dataset.shape[0]

    def rows(self, s0: int, n: int) -> np.ndarray:
        """Rows ``s0 .. s0 + n - 1`` as float64; a NaN or infinite value is refused naming row and column."""
        rows = np.ascontiguousarray(self.dataset[s0:s0 + n], dtype=np.float64)
        bad = ~np.isfinite(rows)
        if bad.any():
            r, c = (int(i[0]) for i in np.nonzero(bad))
            raise ModelDefinitionError(
                f"{self.owner}: input file {self.path!r}, dataset {DATASET!r}: row {s0 + r} (step {s0 + r}), "
                f"{self.labels[c]} is {rows[r, c]}; inputs must be finite")
        return rows

    def close(self) -> None:
        self.file.close()


class _NothingWritten(Exception):
    """Ends an output's temporary file without replacing the target (no step was completed)."""


class OutputWriter:
    """An extendable ``array`` dataset of ``n_columns`` columns, appended to and flushed per chunk, written to a
    temporary file that :meth:`close` moves over ``path`` (or discards, if no row was written)."""

    def __init__(self, path, n_columns: int, chunk_rows: int = 1000):
        import h5py

        self.path = str(path)
        self.n_rows = 0
        self._target = atomic_path(self.path)
        try:
            tmp = self._target.__enter__()
        except OSError as err:
            raise ModelDefinitionError(f"LPU output file {self.path!r}: cannot write it ({err.strerror})") from None
        self.file = h5py.File(tmp, "w")
        chunks = (max(1, min(chunk_rows, 4096)), n_columns) if n_columns else True
        self.dataset = self.file.create_dataset(DATASET, shape=(0, n_columns), maxshape=(None, n_columns),
                                                dtype=np.float64, chunks=chunks)

    def append(self, rows: np.ndarray) -> None:
        n = self.dataset.shape[0]
        self.dataset.resize(n + rows.shape[0], axis=0)
        self.dataset[n:] = rows
        self.file.flush()
        self.n_rows += rows.shape[0]

    def close(self) -> None:
        """Close the file and move it over the target; with no row written, keep whatever the target held."""
        if self.file is None:
            return
        self.file.close()
        self.file = None
        if self.n_rows:
            self._target.__exit__(None, None, None)
        else:
            self._target.__exit__(_NothingWritten, _NothingWritten(), None)
