"""Atomic outputs: a file is written under a temporary name in its own folder, flushed to disk and moved over
the target with ``os.replace``, so a crash at any moment leaves either the old file or the new one, both
complete, never a half-written file in the target's place."""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile

from .._errors import ModelDefinitionError


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``; when the block ends without an exception, the temporary file is
    fsynced and replaces ``path`` in one step. On an exception it is removed and ``path`` is untouched.

    The temporary name keeps the suffix (``results.h5`` -> ``.results.h5.<random>.tmp.h5``), so libraries that
    pick a format by suffix (numpy's ``savez``, matplotlib's ``savefig``) still work.
    """
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the mode open() would give
    tmp = pathlib.Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: pathlib.Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def writable_folder(path, name: str = "--out") -> pathlib.Path:
    """Create folder ``path`` (and its parents) if needed and check that files can be created in it, before
    anything is simulated. Raises :class:`ModelDefinitionError` naming ``name`` and the reason."""
    folder = pathlib.Path(path)
    if folder.exists() and not folder.is_dir():
        raise ModelDefinitionError(f"{name} {str(folder)!r} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelDefinitionError(f"{name} {str(folder)!r}: cannot create the folder ({err.strerror})") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".spikeloom-write-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ModelDefinitionError(f"{name} {str(folder)!r}: cannot write into the folder ({err.strerror})") from None
    return folder
