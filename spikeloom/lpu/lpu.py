"""The LPU base class: an independently written unit that talks to others only through its ports.

An LPU declares its ports (graded-potential and spike, in and out) and a step, ``kernel(xp)``, that the
manager compiles together with every other LPU and the port routing into one program. Each step the
kernel reads its input ports (data the connected LPUs produced in the previous step) and writes its output
ports. Port data lives in two arrays per LPU, one per port type, reachable through the port mapper
``lpu.pm['gpot']`` / ``lpu.pm['spike']`` by selector.
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from . import selectors as sel
from .interface import Interface, _explicit_ports, _first_duplicate

PORT_DTYPES = {"gpot": np.float64, "spike": np.int32}


class PortMapper:
    """Port identifiers of one type mapped onto a data array: in-ports first, then out-ports.

    ``owner`` (e.g. ``"LPU 'a', gpot ports"``) names the mapper in errors.
    """

    def __init__(self, ports: list[tuple], n_in: int, dtype, owner: str = "port mapper"):
        self.ports = ports
        self.n_in = n_in
        self.owner = owner
        self.index = {p: k for k, p in enumerate(ports)}
        self.data = np.zeros(len(ports), dtype)

    def indices(self, selector) -> np.ndarray:
        ports = _ports_named(selector, self.ports, self.owner)
        missing = [p for p in ports if p not in self.index]
        if missing:
            raise ModelDefinitionError(f"{self.owner}: port(s) {[sel.to_identifier(p) for p in missing[:5]]} are not "
                                       "ports of this type")
        return np.array([self.index[p] for p in ports], dtype=np.int64)

    def __getitem__(self, selector) -> np.ndarray:
        return self.data[self.indices(selector)]

    def __setitem__(self, selector, values):
        idx = self.indices(selector)
        arr = validate.real_array(values, f"values for {selector!r}", owner=self.owner)
        if arr.shape not in ((), (idx.size,)):
            raise ModelDefinitionError(f"{self.owner}: {selector!r} names {idx.size} port(s), got values of shape "
                                       f"{arr.shape}")
        if self.data.dtype.kind == "i" and not np.all(np.isin(arr, (0.0, 1.0))):
            raise ModelDefinitionError(f"{self.owner}: spike port values must be 0 or 1, got {values!r}")
        self.data[idx] = arr

    @property
    def in_data(self) -> np.ndarray:
        return self.data[: self.n_in]

    @property
    def out_data(self) -> np.ndarray:
        return self.data[self.n_in:]


class LPU:
    """A local processing unit with ports; subclasses define ``kernel(xp)`` and ``arrays()``.

    ``kernel(xp)`` returns ``step(s, r, seed, dt, in_gpot, in_spike, out_gpot, out_spike, *arrays)``, which
    runs step ``s`` (``r``: row of ``s`` in the current chunk, for recording), reading the ``in_*`` port
    arrays and writing the ``out_*`` ones; ``arrays()`` lists (by name, in argument order) the arrays it
    keeps between steps. On the CPU engine the step is compiled by Numba: write it with loops over
    scalars and the math of ``xp`` (``spikeloom.core.random.make_random(xp)`` gives counter-based random
    numbers). The hooks ``prepare``, ``before_chunk``, ``after_chunk`` and ``finish`` run in Python around
    the compiled chunks (reading inputs, writing outputs).
    """

    def __init__(self, id: str, *, in_gpot="", in_spike="", out_gpot="", out_spike=""):
        if not isinstance(id, str) or not id:
            raise ModelDefinitionError(f"an LPU needs a non-empty str id, got {id!r}")
        self.id = id
        groups = {k: _explicit_ports(v, f"LPU {id!r}") for k, v in
                  dict(in_gpot=in_gpot, in_spike=in_spike, out_gpot=out_gpot, out_spike=out_spike).items()}
        everything = [p for ports in groups.values() for p in ports]
        dup = _first_duplicate(everything)
        if dup is not None:
            where = [k for k, ports in groups.items() if dup in ports]
            raise ModelDefinitionError(f"LPU {id!r}: port {sel.to_identifier(dup)} is named twice (in {where}); the "
                                       "in/out and gpot/spike port selectors must be disjoint and name each port once")
        self.interface = Interface(everything)
        for kind, ports in groups.items():
            io, typ = kind.split("_")
            if ports:
                self.interface[ports, "io", "type"] = [io, typ]
        self.pm = {typ: PortMapper(groups[f"in_{typ}"] + groups[f"out_{typ}"], len(groups[f"in_{typ}"]),
                                   PORT_DTYPES[typ], f"LPU {id!r}, {typ} ports") for typ in ("gpot", "spike")}

    @staticmethod
    def kernel(xp):
        raise NotImplementedError("an LPU subclass defines kernel(xp), its compiled step")

    def arrays(self) -> dict[str, np.ndarray]:
        """Arrays the kernel keeps between steps, in argument order (after the four port arrays)."""
        return {}

    def prepare(self, start: int, n_steps: int, dt: float, chunk: int) -> None:
        """Called once before steps ``start .. start + n_steps - 1`` run in chunks of at most ``chunk``."""

    def before_chunk(self, s0: int, n: int) -> None:
        """Called before steps ``s0 .. s0 + n - 1`` run (e.g. to load their input rows)."""

    def after_chunk(self, s0: int, n: int) -> None:
        """Called after steps ``s0 .. s0 + n - 1`` ran (e.g. to append their output rows to a file)."""

    def finish(self) -> None:
        """Called when the run ends, also after an error (close files)."""

    def __repr__(self):
        return f"{type(self).__name__}({self.id!r}, {len(self.interface)} ports)"


def _ports_named(selector, ports: list[tuple], owner: str) -> list[tuple]:
    """The ports a selector string (which may be ambiguous: it then matches ``ports``) or a list of port tuples
    names; an explicit selector names its ports even if they are missing, so the caller can report them."""
    if isinstance(selector, str):
        try:
            if sel.is_ambiguous(selector):
                found = sel.select(selector, ports)
                if not found:
                    raise ModelDefinitionError(f"selector {selector!r} matches none of the ports")
                return found
            return [p for p in sel.expand(selector) if p]
        except ModelDefinitionError as err:
            raise ModelDefinitionError(f"{owner}: {err}") from None
    try:
        return [tuple(p) for p in selector]
    except TypeError:
        raise ModelDefinitionError(f"{owner}: ports are named by a selector string or a list of port tuples, got "
                                   f"{type(selector).__name__} {selector!r}") from None
