"""A projection: presynaptic population -> connectivity x weight -> synapse dynamics -> output -> post population."""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..connectivity import Connector
from ..connectivity.operators import EventOperator
from ..connectivity.procedural import Procedural
from ..core.initializers import Initializer
from ..neurons._base import AbstractNeuron
from ..synapses import COBA, CUBA, AbstractOutput, AbstractSynapse, Exponential
from ..units import to_canonical


class Projection:
    """Connect ``pre`` to ``post``.

    Parameters
    ----------
    pre, post:
        Neuron populations.
    conn:
        A :class:`~spikeloom.connectivity.Connector` (``FixedProb(0.02)``, ``FromSparse(matrix)``, ...: stored
        synapses), a procedural connector (``ProceduralProb(0.1)``, ``ProceduralOutDegree(k)``: regenerated at
        every spike, nothing stored) or a user's :class:`~spikeloom.connectivity.operators.EventOperator`.
    weight:
        Jump of the synapse state per spike: a number (homogeneous), an array with one value per synapse
        (in the connector's CSR order), or an initializer drawn per synapse. nS for conductance outputs, pA
        for current outputs (mV for ``Delta``). Weights given by ``FromList``/``FromSparse`` are used when
        ``weight`` is None. Procedural connectors take a number, ``Uniform`` or ``Normal`` (drawn per synapse at
        every spike); an ``EventOperator`` carries its own weights.
    synapse:
        Synapse dynamics (default ``Exponential(tau=5)``).
    output:
        How the synapse state enters ``post`` (default ``COBA(E=0)``; ``CUBA`` for a synapse integrated by
        the post-synaptic neuron, ``in_post``, whose weights are in pA).
    delay:
        Transmission delay in ms (a multiple of dt, >= 0); a spike at step ``s`` reaches the synapse
        ``round(delay/dt)`` steps after it would with no delay. Stored connectivity also takes one delay per
        synapse (an array in the connector's CSR order).
    delay_std:
        Procedural connectors only: each synapse's delay is drawn (at every spike, from the same seed, so it
        is fixed per synapse) from a normal law of mean ``delay`` and this standard deviation (ms), rounded to
        steps, truncated at 5 standard deviations and at 0.
    synapse_init:
        Initial synapse state per post-synaptic neuron, e.g. ``{"g": Normal(40, 15)}`` (default zero).
        Projections with the same post population, synapse and output parameters share one synapse state;
        the first of them that gives ``synapse_init`` sets it.
    """

    def __init__(self, pre: AbstractNeuron, post: AbstractNeuron, conn: Connector, weight=None,
                 synapse: AbstractSynapse | None = None, output: AbstractOutput | None = None,
                 delay=0.0, synapse_init: dict | None = None, name: str | None = None, delay_std: float = 0.0):
        for role, pop in (("pre", pre), ("post", post)):
            if not isinstance(pop, AbstractNeuron):
                raise ModelDefinitionError(f"Projection {name or ''}: {role} must be a neuron population, "
                                           f"got {type(pop).__name__}")
        if not isinstance(conn, (Connector, Procedural, EventOperator)):
            raise ModelDefinitionError(f"Projection {name or ''}: conn must be a Connector, a procedural connector "
                                       f"or an EventOperator, got {type(conn).__name__}")
        self.pre, self.post, self.conn = pre, post, conn
        self.synapse = synapse if synapse is not None else Exponential()
        # a synapse integrated by the post neuron (in_post) adds its weight to a neuron current: pA, no output
        self.output = output if output is not None else (CUBA() if getattr(self.synapse, "in_post", False) else COBA())
        if not isinstance(self.synapse, AbstractSynapse) or not isinstance(self.output, AbstractOutput):
            raise ModelDefinitionError(f"Projection {name or ''}: synapse/output must be AbstractSynapse/AbstractOutput")
        weight_unit = "nS" if isinstance(self.output, COBA) else "pA"
        if weight is not None and not isinstance(weight, Initializer):
            weight = np.asarray(to_canonical(weight, weight_unit, "weight"), dtype=np.float64)
            if not np.all(np.isfinite(weight)):
                raise ModelDefinitionError(f"Projection {name or ''}: weights must be finite")
        self.weight = weight
        delay = np.asarray(to_canonical(delay, "ms", "delay"), dtype=np.float64)
        if not np.all(np.isfinite(delay)) or np.any(delay < 0):
            raise ModelDefinitionError(f"Projection {name or ''}: delay must be finite and >= 0 ms")
        if delay.ndim > 1 or (delay.ndim == 1 and not isinstance(conn, Connector)):
            raise ModelDefinitionError(f"Projection {name or ''}: one delay per synapse (an array) needs stored "
                                       "connectivity (a Connector); give a number")
        self.delay = float(delay) if delay.ndim == 0 else delay
        self.delay_std = float(to_canonical(delay_std, "ms", "delay_std"))
        if not np.isfinite(self.delay_std) or self.delay_std < 0:
            raise ModelDefinitionError(f"Projection {name or ''}: delay_std must be a finite number >= 0 ms")
        if self.delay_std > 0 and not isinstance(conn, Procedural):
            raise ModelDefinitionError(f"Projection {name or ''}: delay_std (jitter drawn per synapse) needs a "
                                       "procedural connector; stored connectivity takes an array of delays")
        if isinstance(conn, Procedural) and weight is None:
            raise ModelDefinitionError(f"Projection {name or ''}: a procedural connector needs a weight")
        self.synapse_init = dict(synapse_init or {})
        unknown = set(self.synapse_init) - set(self.synapse.state)
        if unknown:
            raise ModelDefinitionError(f"Projection {name or ''}: synapse_init names {sorted(unknown)}, but "
                                       f"{type(self.synapse).__name__} has state {list(self.synapse.state)}")
        self.name = name

    @property
    def storage(self) -> str:
        """How the plan holds this projection: ``"projections"`` (CSR), ``"procedural"`` or ``"custom"``."""
        if isinstance(self.conn, Procedural):
            return "procedural"
        return "custom" if isinstance(self.conn, EventOperator) else "projections"

    def build_connectivity(self, rng: np.random.Generator):
        """Return (CSR, weights per synapse or scalar)."""
        csr = self.conn.build(self.pre.n, self.post.n, rng, self.pre is self.post)
        w = self.weight
        if w is None:
            if csr.weight is None:
                raise ModelDefinitionError(f"Projection {self.name}: give a weight (the connector carries none)")
            return csr, csr.weight
        if isinstance(w, Initializer):
            return csr, w(csr.nnz, rng)
        if w.ndim == 0:
            return csr, float(w)
        if w.shape != (csr.nnz,):
            raise ModelDefinitionError(f"Projection {self.name}: weight array has shape {w.shape}, the connectivity "
                                       f"has {csr.nnz} synapses")
        return csr, w

    def __call__(self):
        """Inside a network's ``update``: deliver this projection's spikes now."""
        from .tracing import record_projection_call

        record_projection_call(self)

    def __repr__(self):
        return f"Projection({self.name!r}: {self.pre.name} -> {self.post.name}, {self.synapse}, {self.output})"
