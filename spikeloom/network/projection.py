"""A projection: presynaptic population -> connectivity x weight -> synapse dynamics -> output -> post population."""

from __future__ import annotations

import math

import numpy as np

from .._errors import ModelDefinitionError
from ..connectivity import Connector
from ..connectivity.operators import EventOperator
from ..connectivity.procedural import Procedural, weight_values
from ..core import validate
from ..core.initializers import Constant, Initializer, Normal, Uniform, check_value
from ..neurons._base import AbstractNeuron
from ..synapses import COBA, CUBA, AbstractOutput, AbstractSynapse, Exponential
from ..units import gather, rescale

#: largest |z| of the engines' Box-Muller normal (uniforms are multiples of 2**-24): a procedural
#: ``Normal(mean, std)`` weight never leaves mean +- Z_MAX std
Z_MAX = math.sqrt(2 * 24 * math.log(2))


def _label(pop) -> str:
    return repr(pop.name) if pop.name else f"{type(pop).__name__}({pop.n})"


def _real(value, name: str, owner: str, unit: str, low: float | None = None):
    """A finite number (float) or array (float64) in canonical ``unit``, each ``>= low`` if given."""
    value = gather(value, f"{owner}: {name}")
    try:
        scalar = np.ndim(value) == 0
    except (TypeError, ValueError):  # ragged nested lists: real_array names them
        scalar = False
    if scalar:
        return validate.real(value, name, owner=owner, unit=unit, low=low)
    return validate.real_array(value, name, owner=owner, unit=unit, low=low)


def _lowest(weight) -> float | None:
    """Smallest value a weight law can give (None: only known once drawn)."""
    if isinstance(weight, Constant):
        return weight.value
    if isinstance(weight, Uniform):
        return weight.low
    if isinstance(weight, Normal):
        return None
    return float(np.min(weight, initial=np.inf))


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
        if name is not None and not isinstance(name, str):
            raise ModelDefinitionError(f"Projection: name must be a string, got {type(name).__name__}")
        self.name = name
        for role, pop in (("pre", pre), ("post", post)):
            if not isinstance(pop, AbstractNeuron):
                raise ModelDefinitionError(f"Projection {name or ''}: {role} must be a neuron population, "
                                           f"got {type(pop).__name__}")
        self.pre, self.post, self.conn = pre, post, conn
        owner = self.owner
        if not isinstance(conn, (Connector, Procedural, EventOperator)):
            raise ModelDefinitionError(f"{owner}: conn must be a Connector, a procedural connector "
                                       f"or an EventOperator, got {type(conn).__name__}")
        self.synapse = synapse if synapse is not None else Exponential()
        if not isinstance(self.synapse, AbstractSynapse):
            raise ModelDefinitionError(f"{owner}: synapse must be a synapse model (Exponential, Alpha, ...), got "
                                       f"{type(self.synapse).__name__}")
        # a synapse integrated by the post neuron (in_post) adds its weight to a neuron current: pA, no output
        self.output = output if output is not None else (CUBA() if self.synapse.in_post else COBA())
        if not isinstance(self.output, AbstractOutput):
            raise ModelDefinitionError(f"{owner}: output must be CUBA() or COBA(...), got "
                                       f"{type(self.output).__name__}")
        self.weight_unit = self.synapse.weight_unit or self.output.weight_unit
        if not isinstance(conn, EventOperator):
            conn.check(pre.n, post.n, pre is post, owner)
        self.weight = self._weight(weight)
        self._conn_weight_scale = self._connector_weight_scale() if weight is None else 1.0
        self.delay = self._delay(delay)
        self.delay_std = validate.real(delay_std, "delay_std", owner=owner, unit="ms", low=0.0)
        if self.delay_std > 0 and not isinstance(conn, Procedural):
            raise ModelDefinitionError(f"{owner}: delay_std (jitter drawn per synapse) needs a "
                                       "procedural connector; stored connectivity takes an array of delays")
        self.synapse_init = self._synapse_init(synapse_init)

    @property
    def owner(self) -> str:
        """How messages name this projection: its network name once known, else its populations."""
        if self.name:
            return f"projection {self.name!r}"
        return f"Projection({_label(self.pre)} -> {_label(self.post)})"

    @property
    def conductance(self) -> bool:
        """Whether the weights are conductances (never negative)."""
        return self.output.conductance and not self.synapse.in_post and self.synapse.weight_unit is None

    def _weight(self, weight):
        """The weight in canonical units: None (the connector's), a float, a float64 array (one per stored
        synapse) or an initializer; conductances must be >= 0."""
        owner, conn = self.owner, self.conn
        if isinstance(conn, EventOperator):
            if weight is not None:
                raise ModelDefinitionError(f"{owner}: an EventOperator carries its own weights (in its params); "
                                           "give no weight")
            return None
        if weight is None:
            if isinstance(conn, Procedural) or conn.own_weights() is None:
                what = "a procedural connector" if isinstance(conn, Procedural) else type(conn).__name__
                raise ModelDefinitionError(f"{owner}: {what} needs a weight (in {self.weight_unit})")
            return None
        if isinstance(weight, Initializer):
            weight = weight.resolve(self.weight_unit, f"{owner}: weight")
        else:
            weight = _real(weight, "weight", owner, self.weight_unit)
            if np.ndim(weight) > 1 or (np.ndim(weight) == 1 and not isinstance(conn, Connector)):
                if isinstance(conn, Procedural):
                    weight_values(weight, owner)  # refuses with what a procedural connector takes
                raise ModelDefinitionError(f"{owner}: weight must be a number or one value per synapse (1-D), "
                                           f"got shape {weight.shape}")
        if isinstance(conn, Procedural):
            weight_values(weight, owner)
        self._check_sign(weight, f"weight {weight!r}" if isinstance(weight, Initializer) else "weight")
        return weight

    def _check_sign(self, weight, what: str) -> None:
        """Refuse weights below 0 where they are conductances."""
        if not self.conductance:
            return
        low = _lowest(weight)
        if low is None and isinstance(self.conn, Procedural):
            # drawn at every spike: the law itself must stay >= 0
            low = weight.mean - Z_MAX * weight.std
        if low is not None and low < 0:
            raise ModelDefinitionError(
                f"{self.owner}: {what} gives a negative conductance ({low:g} nS); {type(self.output).__name__} "
                "weights are conductances >= 0 (inhibition: a reversal potential E below V, not a negative weight)")

    def _connector_weight_scale(self) -> float:
        """Factor that turns the connector's own weights (FromList, FromSparse) into the weight unit."""
        if not isinstance(self.conn, Connector):  # procedural connectors and operators carry no weights
            return 1.0
        name = f"{self.owner}: {type(self.conn).__name__} weight"
        self._check_sign(self.conn.own_weights(), name)
        return float(rescale(1.0, self.conn.weight_unit, self.weight_unit, name))

    def _delay(self, delay):
        owner = self.owner
        delay = _real(delay, "delay", owner, "ms", low=0.0)
        if np.ndim(delay) == 0:
            return delay
        if delay.ndim > 1 or (delay.ndim == 1 and not isinstance(self.conn, Connector)):
            raise ModelDefinitionError(f"{owner}: one delay per synapse (an array) needs stored "
                                       f"connectivity (a Connector) and one dimension; give a number "
                                       f"(got shape {delay.shape})")
        return delay

    def _synapse_init(self, synapse_init) -> dict:
        owner = self.owner
        if not isinstance(synapse_init, (dict, type(None))):
            raise ModelDefinitionError(f"{owner}: synapse_init must be a dict {{state variable: value}}, got "
                                       f"{type(synapse_init).__name__}")
        values = dict(synapse_init or {})
        unknown = set(values) - set(self.synapse.state)
        if unknown:
            raise ModelDefinitionError(f"{owner}: synapse_init names {sorted(unknown, key=str)}, but "
                                       f"{type(self.synapse).__name__} has state {list(self.synapse.state)}")
        return {k: check_value(v, self.post.n, f"{owner}: synapse_init[{k!r}]",
                               self.synapse.state_unit(k, self.weight_unit)) for k, v in values.items()}

    @property
    def storage(self) -> str:
        """How the plan holds this projection: ``"projections"`` (CSR), ``"procedural"`` or ``"custom"``."""
        if isinstance(self.conn, Procedural):
            return "procedural"
        return "custom" if isinstance(self.conn, EventOperator) else "projections"

    def build_connectivity(self, rng: np.random.Generator):
        """Return (CSR, weights per synapse or scalar), weights in the weight unit."""
        csr = self.conn.build(self.pre.n, self.post.n, rng, self.pre is self.post)
        w = self.weight
        if w is None:
            return csr, csr.weight * self._conn_weight_scale
        if isinstance(w, Initializer):
            w = w(csr.nnz, rng)
            self._check_sign(w, f"weight drawn from {self.weight!r}")
            return csr, w
        if np.ndim(w) == 0:
            return csr, float(w)
        if w.shape != (csr.nnz,):
            raise ModelDefinitionError(f"projection {self.name!r}: weight array has shape {w.shape}, the connectivity "
                                       f"has {csr.nnz} synapses")
        return csr, w

    def __call__(self):
        """Inside a network's ``update``: deliver this projection's spikes now."""
        from .tracing import record_projection_call

        record_projection_call(self)

    def __repr__(self):
        return f"Projection({self.name!r}: {self.pre.name} -> {self.post.name}, {self.synapse}, {self.output})"
