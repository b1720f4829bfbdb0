"""The run layer's entry points, registered by it: engines never import the run layer (``docs/architecture.md``,
"Layers"), yet ``engines.jax.Simulation`` is a run of a network as a pure function and needs a
:class:`~spikeloom.run.Runner` to build and check it. ``spikeloom.run.runner`` sets :data:`RUNNER` when it is
imported, which importing any part of spikeloom does (the package imports its run layer)."""

from __future__ import annotations

#: the :class:`~spikeloom.run.Runner` class (None until spikeloom.run.runner is imported)
RUNNER = None


def runner_class():
    """The registered Runner class."""
    if RUNNER is None:  # only if the run layer failed to import, which would have raised already
        from .._errors import EngineError

        raise EngineError("no Runner is registered; import spikeloom (it imports its run layer) first")
    return RUNNER
