"""Errors raised by spikeloom, and the status codes a compiled run reports.

Every error names the culprit (the object, parameter or argument) and, where there is one, the fix.
"""

from __future__ import annotations

import enum


class SpikeloomError(Exception):
    """Base class of every error spikeloom raises on purpose."""


class ModelDefinitionError(SpikeloomError, ValueError):
    """A model, population, projection or network was described wrongly (bad value, name or shape)."""


class UnknownKeyError(ModelDefinitionError, KeyError):
    """A name looked up in a runner or result does not exist; also a ``KeyError``, as for a dict."""

    def __str__(self):  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class UnitError(ModelDefinitionError):
    """A quantity with the wrong physical dimension was given."""


class EngineError(SpikeloomError, RuntimeError):
    """An engine cannot run what was asked (missing engine, missing device, unsupported feature)."""


class ResourceError(SpikeloomError, MemoryError):
    """A request needs more memory (or another resource) than this machine has; raised before allocating."""


class SimulationError(SpikeloomError, RuntimeError):
    """A run stopped because its state became invalid (for example NaN)."""


class Status(enum.IntEnum):
    """Codes returned by a compiled time loop; Python turns anything but ``ok`` into an action or error."""

    ok = 0
    spike_buffer_full = 1  # the spike monitor needs a larger buffer: grow it and resume at the same step
    nonfinite_state = 2  # a state variable became NaN or infinite
