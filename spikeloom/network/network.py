"""The network container: children found by attribute name, dotted paths, optional user update order."""

from __future__ import annotations

import inspect

from .._errors import ModelDefinitionError
from ..neurons._base import AbstractNeuron
from .projection import Projection
from .tracing import RunInput, tracing


class Network:
    """A container of populations, projections and sub-networks, found by the attribute names they are
    assigned to (``self.E = LIF(...)`` makes population ``"E"``; a sub-network's children get dotted paths
    such as ``"area1.E"``). Children may also be given as keyword arguments.

    The compiled step runs, by default, every projection (synapse decay, then spike delivery), then every
    population. A subclass may instead define ``update(self)`` or ``update(self, inp)`` calling its children
    in the order it wants (``self.E(inp); self.E2E()``); that order becomes the compiled step's order, and
    ``inp`` stands for the run's ``inputs``.
    """

    def __init__(self, **children):
        for name, child in children.items():
            setattr(self, name, child)

    # ---- discovery ------------------------------------------------------------------------------------
    def nodes(self) -> dict[str, object]:
        """Every population and projection, by dotted path, in definition order (each object once)."""
        found: dict[str, object] = {}
        seen: set[int] = set()
        self._collect("", found, seen)
        return found

    def _collect(self, prefix, found, seen):
        for attr, value in vars(self).items():
            if attr.startswith("_") or id(value) in seen:
                continue
            if isinstance(value, (AbstractNeuron, Projection)):
                seen.add(id(value))
                found[prefix + attr] = value
            elif isinstance(value, Network):
                seen.add(id(value))
                value._collect(prefix + attr + ".", found, seen)

    def populations(self) -> dict[str, AbstractNeuron]:
        return {k: v for k, v in self.nodes().items() if isinstance(v, AbstractNeuron)}

    def projections(self) -> dict[str, Projection]:
        return {k: v for k, v in self.nodes().items() if isinstance(v, Projection)}

    def assign_names(self) -> None:
        """Give every child its path as ``name`` and check that names are unique."""
        names: dict[str, object] = {}
        for path, obj in self.nodes().items():
            if obj.name is None or obj.name != path:
                obj.name = path
            names[obj.name] = obj
        for proj in self.projections().values():
            for role, pop in (("pre", proj.pre), ("post", proj.post)):
                if pop.name not in names or names[pop.name] is not pop:
                    raise ModelDefinitionError(f"projection {proj.name!r}: its {role} population is not part of the "
                                               "network; assign it to an attribute of the network too")

    # ---- schedule ---------------------------------------------------------------------------------------
    def has_custom_update(self) -> bool:
        return type(self).update is not Network.update

    def update(self, *args):
        """Override to fix the order of one step (see the class docstring)."""

    def trace_update(self) -> list[tuple]:
        """Run the user's ``update`` symbolically and return its ordered operations."""
        nparams = len(inspect.signature(self.update).parameters)
        if nparams > 1:
            raise ModelDefinitionError(f"{type(self).__name__}.update takes at most one input argument")
        with tracing() as ops:
            self.update(*([RunInput()] if nparams == 1 else []))
        return ops

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(self.nodes())})"
