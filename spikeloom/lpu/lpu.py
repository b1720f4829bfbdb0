"""The LPU base class: an independently written unit that talks to others only through its ports.

An LPU is a :class:`~spikeloom.Network` with named ports: each input port is a neuron of a
:class:`~spikeloom.lpu.models.PortRelay` population (it holds the value routed to it), each output port a
neuron of any population (its ``V`` for a graded port, its ``spiked`` state for a spike port). The manager
composes the networks of its LPUs and the routing of its patterns (:class:`~spikeloom.lpu.models.Copy`
projections, one step of latency) into one network, compiled once on either engine. Port data lives in two
arrays per LPU, one per port type, reachable through the port mapper ``lpu.pm['gpot']`` / ``lpu.pm['spike']``
by selector; after a run they hold the ports' last values, and the values set on unconnected input ports
before a run are their constant inputs.
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
    """A local processing unit: a network with ports.

    ``network``: the :class:`~spikeloom.Network`; ``ports``: for each of ``in_gpot``, ``in_spike``,
    ``out_gpot``, ``out_spike`` a pair ``(selector, population)``: the ports the selector names are the
    neurons of the population (an attribute path of ``network``) in order, so the population has as many
    neurons as the selector names ports; an input population must be a
    :class:`~spikeloom.lpu.models.PortRelay` (``PortRelay(n, V_th=0.5)`` for spikes), an output spike
    population needs a state ``spiked`` (``LeakyIAF``, ``PortRelay``). Subclasses may set ``sites`` themselves
    (port -> (population path, index)). The hooks ``prepare``, ``inputs``, ``after_chunk`` and ``finish`` run
    around the compiled chunks (reading inputs, writing outputs).
    """

    def __init__(self, id: str, network=None, *, in_gpot="", in_spike="", out_gpot="", out_spike=""):
        if not isinstance(id, str) or not id:
            raise ModelDefinitionError(f"an LPU needs a non-empty str id, got {id!r}")
        self.id = id
        given = dict(in_gpot=in_gpot, in_spike=in_spike, out_gpot=out_gpot, out_spike=out_spike)
        pops = {k: v[1] for k, v in given.items() if isinstance(v, tuple)}
        groups = {k: _explicit_ports(v[0] if isinstance(v, tuple) else v, f"LPU {id!r}") for k, v in given.items()}
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
        self.network = network
        #: port -> (population path within the network, neuron index)
        self.sites: dict[tuple, tuple[str, int]] = {}
        if network is not None:
            self._wrap(network, groups, pops)

    def _wrap(self, network, groups: dict, pops: dict) -> None:
        """Check a user's network and its port populations; fill :attr:`sites`."""
        from ..network.network import Network
        from .models import PortRelay

        if not isinstance(network, Network):
            raise ModelDefinitionError(f"LPU {self.id!r}: network must be a spikeloom Network, got "
                                       f"{type(network).__name__}")
        found = network.populations()
        for kind, ports in groups.items():
            if not ports:
                continue
            if kind not in pops:
                raise ModelDefinitionError(f"LPU {self.id!r}: {kind} must be (selector, population name) for an LPU "
                                           "made of a network")
            pop = found.get(pops[kind])
            if pop is None:
                raise ModelDefinitionError(f"LPU {self.id!r}: {kind}: no population {pops[kind]!r} in the network; "
                                           f"it has {sorted(found)}")
            if pop.n != len(ports):
                raise ModelDefinitionError(f"LPU {self.id!r}: {kind}: population {pops[kind]!r} has {pop.n} neurons "
                                           f"for {len(ports)} ports")
            if kind.startswith("in") and not isinstance(pop, PortRelay):
                raise ModelDefinitionError(f"LPU {self.id!r}: {kind}: population {pops[kind]!r} must be a PortRelay "
                                           f"(it holds the routed value), got {type(pop).__name__}")
            if kind == "out_spike" and "spiked" not in type(pop).state:
                raise ModelDefinitionError(f"LPU {self.id!r}: out_spike: population {pops[kind]!r} "
                                           f"({type(pop).__name__}) has no state 'spiked' to route")
            self.sites.update({p: (pops[kind], i) for i, p in enumerate(ports)})

    def prepare(self, start: int, n_steps: int, dt: float, chunk: int, *, write: bool = True) -> None:
        """Called once before steps ``start .. start + n_steps - 1`` run in chunks of at most ``chunk``;
        ``write`` False: this process writes no output files (an MPI rank other than 0)."""

    def inputs(self, s0: int, n: int) -> dict[str, np.ndarray]:
        """External input of steps ``s0 .. s0 + n - 1``: population path -> (n, neurons) array."""
        return {}

    def records(self) -> dict[str, list[tuple[str, str]]]:
        """What the LPU records every step: kind -> [(population path, state variable), ...], whose columns
        are concatenated in that order."""
        return {}

    def after_chunk(self, s0: int, rows: dict[str, np.ndarray]) -> None:
        """Called with the recorded ``rows`` (kind -> (steps, columns)) of the steps from ``s0`` that ran."""

    def finish(self) -> None:
        """Called when the run ends, also after an error (close files)."""

    def node_of(self, population: str, index: int) -> str:
        """How errors name neuron ``index`` of ``population`` (a path in the network)."""
        return f"population {population!r}, neuron {index}"

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
