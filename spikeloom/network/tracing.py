"""Recording a user-written ``Network.update``: calling populations and projections inside it appends
operations to the active trace, which fixes the order of the compiled step."""

from __future__ import annotations

import contextlib

from .._errors import ModelDefinitionError

_active: list | None = None


class RunInput:
    """Stands for the value passed to ``run(..., inputs=...)`` inside a traced ``update(self, inp)``."""

    def __repr__(self):
        return "<run input>"


@contextlib.contextmanager
def tracing():
    global _active
    previous, _active = _active, []
    try:
        yield _active
    finally:
        _active = previous


def _require_trace(what: str):
    if _active is None:
        raise ModelDefinitionError(f"{what} can only be called inside a Network.update method (while it is traced "
                                   "to fix the order of the compiled step)")
    return _active


def record_neuron_call(pop, inp):
    _require_trace(f"population {pop.name!r}").append(("neurons", pop, inp))


def record_projection_call(proj):
    _require_trace(f"projection {proj.name!r}").append(("projection", proj, None))
