"""User-written event-driven operators: plug your own kernel into a :class:`~spikeloom.Projection`.

An :class:`EventOperator` replaces stored connectivity. In every step, the engine hands it the presynaptic
spikes that are due (after the projection's ``delay``) and the synapse state of the post-synaptic population
that spikes jump (``spike_target`` of the projection's synapse; with ``Delta`` it is the membrane jump). The
operator adds to that state whatever it wants.

CPU engine (Numba): ``numba`` is a function compiled with ``@numba.njit``, defined at the top level of a
Python file (the generated loop loads it from that file, so a script works too; the compiled program is cached
against the file's content)::

    @numba.njit
    def deliver(spikes, target, step, seed, *params):
        # spikes: int32 array, indices (within the presynaptic population) of the neurons whose spikes arrive now
        # target: float array, one entry per post-synaptic neuron; add to it (never overwrite)
        # step: the current step; seed: the run's seed (for procedural connectivity)
        # params: the arrays given as EventOperator(params=...), in that order

JAX engine: ``jax`` is a pure function ``deliver(spikes, step, seed, *params) -> increment`` where ``spikes`` is a
boolean array over the presynaptic population and ``increment`` an array over the post-synaptic one, added to
the target state; it may call a Pallas or Triton kernel. Give both to run one projection on both engines.
``spikeloom.core.random.make_random(xp)`` gives the counter-based random numbers of spikeloom to either.
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate


class EventOperator:
    """A user-written event-driven operator (see the module docstring for the function signatures).

    Parameters
    ----------
    numba:
        ``@numba.njit`` function for the CPU engine.
    jax:
        function for the JAX engine.
    params:
        Arrays passed to the function after ``seed`` (weights, seeds, sizes ...), in this order.
    n_synapses:
        How many synapses the operator represents (for reports only).
    """

    def __init__(self, numba=None, jax=None, params=(), n_synapses: float = 0.0):
        if numba is None and jax is None:
            raise ModelDefinitionError("EventOperator needs a function: numba=..., jax=..., or both")
        if numba is not None and not hasattr(numba, "py_func"):
            raise ModelDefinitionError(f"EventOperator: numba={numba!r} must be compiled with @numba.njit")
        if jax is not None and not callable(jax):
            raise ModelDefinitionError(f"EventOperator: jax must be a function, got {type(jax).__name__}")
        for fn in (numba, jax):
            qualname = getattr(fn, "__qualname__", "")
            if fn is not None and ("<locals>" in qualname or "<lambda>" in qualname):
                raise ModelDefinitionError(f"EventOperator: {qualname} must be a named function defined at the "
                                           "top level of a file (the generated program loads it by name)")
        self.numba, self.jax = numba, jax
        self.params = _params(params)
        self.n_synapses = validate.real(n_synapses, "n_synapses", owner="EventOperator", low=0.0)


def _params(params) -> list[np.ndarray]:
    """The parameter arrays, each numeric (they are passed to compiled code as they are)."""
    if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise ModelDefinitionError(f"EventOperator: params must be a sequence of arrays, got {type(params).__name__}")
    out = []
    for k, p in enumerate(params):
        try:
            arr = np.ascontiguousarray(p)
        except (ValueError, TypeError) as err:
            raise ModelDefinitionError(f"EventOperator: params[{k}] is not an array ({err})") from None
        if arr.dtype.kind not in "biuf":
            raise ModelDefinitionError(f"EventOperator: params[{k}] must hold numbers, got dtype {arr.dtype}")
        out.append(arr)
    return out
