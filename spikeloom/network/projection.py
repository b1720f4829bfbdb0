"""A projection: presynaptic population -> connectivity x weight -> synapse dynamics -> output -> post population."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..connectivity import Connector
from ..connectivity.operators import EventOperator
from ..connectivity.procedural import Procedural, weight_values
from ..core import validate
from ..core.initializers import Constant, Initializer, LogNormal, Normal, Uniform, check_value
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
    if isinstance(weight, LogNormal):
        return 0.0
    if isinstance(weight, Normal) or callable(weight):
        return None
    return float(np.min(weight, initial=np.inf))


def _highest(weight) -> float | None:
    """Largest value a weight law can give (None: only known once drawn)."""
    if isinstance(weight, Constant):
        return weight.value
    if isinstance(weight, Uniform):
        return weight.high
    if isinstance(weight, Initializer):
        return None
    return float(np.max(weight, initial=-np.inf))


#: a drawn delay this far (relative to dt) below dt still counts as dt (``3 * 0.1 / 3`` at ``dt = 0.1``)
BELOW_DT_TOLERANCE = 1e-9
#: rounds of redrawing (each redraws only the values still below dt) before a law is declared unable to reach dt
REDRAW_ROUNDS = 1000


@dataclass(frozen=True)
class DelayRule:
    """How a stored projection's delays (ms) become whole steps of ``dt``, made explicit.

    ``rounding``:
        ``"nearest"``: ``steps = floor(d / dt + 0.5)``, NEST's rule (``Time::delay_ms_to_steps`` rounds every
        delay to the nearest step); ``"exact"``: a delay more than 1e-6 steps off the grid is refused.
    ``below_dt`` (a delay ``d < dt``; NEST's smallest delay is one step):
        ``"error"``: refused, naming the synapse, as NEST does (``BadDelay``: "Delay must be greater than or
        equal to resolution", checked on the value before rounding); ``"redraw"``: drawn again from the law until
        ``d >= dt``, the law truncated to ``[dt, inf)`` with its shape above ``dt`` kept (NEST's
        ``nest.math.redraw(law, min=resolution, max=...)``; random laws only); ``"clip"``: raised to ``dt`` (the
        mass below ``dt`` piles up at one step); ``"keep"``: any ``d >= 0`` is kept, ``d < dt`` rounding to 0
        steps (spikeloom's zero delay: the spike is felt in the step it is read, see ``Projection``).

    ``min_steps`` (default 1): the threshold of ``below_dt`` in steps, ``d < min_steps x dt``. NEST's
    microcircuit example redraws below half a step (``nest.math.redraw(..., min=0.5 * resolution)``), then
    rounds to the nearest step: ``DelayRule(below_dt="redraw", min_steps=0.5)``. Under ``"nearest"`` rounding
    ``min_steps`` must be at least 0.5 (so no delay rounds to 0 steps unless ``below_dt="keep"``), and at most 1.

    A negative delay is refused under ``"keep"`` and ``"error"``. The default ``DelayRule()`` is NEST's:
    ``rounding="nearest", below_dt="error"``.
    """

    rounding: str = "nearest"
    below_dt: str = "error"
    min_steps: float = 1.0

    ROUNDINGS = ("nearest", "exact")
    BELOW_DT = ("error", "redraw", "clip", "keep")

    def __post_init__(self):
        validate.choice(self.rounding, "rounding", self.ROUNDINGS, owner="DelayRule")
        validate.choice(self.below_dt, "below_dt", self.BELOW_DT, owner="DelayRule")
        low = 0.5 if self.rounding == "nearest" else 1.0
        if (isinstance(self.min_steps, bool) or not isinstance(self.min_steps, (int, float))
                or not low <= self.min_steps <= 1.0):
            raise ModelDefinitionError(f"DelayRule: min_steps must be a number in [{low:g}, 1] (steps of dt) under "
                                       f"rounding={self.rounding!r}, got {self.min_steps!r}")

    def steps(self, values: np.ndarray, dt: float, owner: str, synapse, law=None, rng=None) -> np.ndarray:
        """Whole steps (int64) of the delays ``values`` (ms, float64, changed in place where redrawn or
        clipped); ``law`` and ``rng`` redraw under ``"redraw"``; ``synapse(i)`` names synapse ``i`` in messages."""
        low = self.min_steps * dt * (1.0 - BELOW_DT_TOLERANCE)
        if self.below_dt == "redraw":
            _redraw(values, law, low, rng, owner)
        elif self.below_dt == "clip":
            np.maximum(values, self.min_steps * dt, out=values)
        else:
            bound = 0.0 if self.below_dt == "keep" else low
            bad = np.flatnonzero(values < bound)
            if bad.size:
                i = int(bad[0])
                what = "negative" if self.below_dt == "keep" else f"below {self._threshold(dt)}"
                raise ModelDefinitionError(
                    f"{owner}: delay {values[i]:g} ms of {synapse(i)} is {what} ({bad.size} of {values.size} "
                    "synapses); choose delay_rule=DelayRule(below_dt='redraw') (random laws) or 'clip'")
        if self.rounding == "nearest":
            from ..connectivity import _kernels

            steps = np.empty(values.size, dtype=np.int64)
            _kernels.nearest_steps(values, dt, steps)
            return steps
        steps = np.round(values / dt)
        off = np.flatnonzero(np.abs(values / dt - steps) > 1e-6)
        if off.size:
            raise ModelDefinitionError(f"{owner}: delay {values[off[0]]} ms is not a multiple of dt = {dt} ms; "
                                       "round it with delay_rule=DelayRule(rounding='nearest')")
        return steps.astype(np.int64)

    def _threshold(self, dt: float) -> str:
        return f"dt = {dt:g} ms" if self.min_steps == 1.0 else f"{self.min_steps:g} x dt = {self.min_steps * dt:g} ms"


def _redraw(values: np.ndarray, law: Initializer, low: float, rng: np.random.Generator, owner: str) -> None:
    """Draw again, from ``law``, every value below ``low`` until none is left (in place)."""
    bad = np.flatnonzero(values < low)
    for _ in range(REDRAW_ROUNDS):
        if not bad.size:
            return
        values[bad] = law(bad.size, rng)
        bad = bad[values[bad] < low]
    raise ModelDefinitionError(f"{owner}: delay law {law!r} almost never reaches dt = {low:g} ms ({bad.size} "
                               f"synapses still below after {REDRAW_ROUNDS} redraws); shift the law above dt")


class SynapseDraw:
    """The synapses of one stored projection, drawn block by block of presynaptic rows (the blocks of its
    connector's :class:`~spikeloom.connectivity.generators.RowDraw`): block ``k``'s targets and weights come
    from the connectivity stream jumped ``k`` times, its delays from the delay stream jumped ``k`` times, so
    every call for a block returns the same values, from any thread.

    ``weight`` is the weight of every synapse where one number serves all (else None: :meth:`synapses` gives
    one per synapse); ``step`` likewise the delay in steps of every synapse (else None: :meth:`steps`)."""

    def __init__(self, proj: "Projection", conn_rng: np.random.Generator, delay_rng: np.random.Generator,
                 dt: float):
        self.proj, self.dt = proj, dt
        self.rows = proj.conn.draw(proj.pre.n, proj.post.n, conn_rng, proj.pre is proj.post)
        self._delay_base = delay_rng.bit_generator.jumped(0)
        self._whole: dict[str, np.ndarray] = {}  # values of functions of the indices, for the whole projection
        w, d = proj.weight, proj.delay
        self.weight = float(w) if w is not None and np.ndim(w) == 0 and not callable(w) else None
        self.step = None
        if np.ndim(d) == 0 and not isinstance(d, Initializer) and not callable(d):
            self.step = int(proj.delay_rule.steps(np.array([d]), dt, proj.owner, lambda i: "every synapse")[0])
        if isinstance(w, np.ndarray) and w.shape != (self.nnz,):
            raise ModelDefinitionError(f"{proj.owner}: weight array has shape {w.shape}, the connectivity has "
                                       f"{self.nnz} synapses")
        if isinstance(d, np.ndarray) and d.shape != (self.nnz,):
            raise ModelDefinitionError(f"{proj.owner}: {d.size} delays given for {self.nnz} synapses")

    @property
    def nnz(self) -> int:
        return self.rows.nnz

    @property
    def n_blocks(self) -> int:
        return self.rows.n_blocks

    def span(self, k: int) -> tuple[int, int]:
        """Synapses ``[a, b)`` of block ``k`` (in the projection's CSR order)."""
        rp, bounds = self.rows.rowptr, self.rows.bounds
        return int(rp[bounds[k]]), int(rp[bounds[k + 1]])

    def synapses(self, k: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Targets (int32, index in post) and weights (float64 in the weight unit; None if :attr:`weight`) of the
        synapses of block ``k``."""
        cols, rng = self.rows.block(k)
        proj, w = self.proj, self.proj.weight
        a, b = self.span(k)
        if self.weight is not None:
            return cols, None
        if w is None:
            return cols, self.rows.csr.weight[a:b] * proj._conn_weight_scale
        if isinstance(w, Initializer):
            drawn = w(b - a, rng)
            proj._check_sign(drawn, f"weight drawn from {w!r}")
            return cols, drawn
        if callable(w):
            return cols, self._of_indices("weight", proj.weight_unit)[a:b]
        return cols, w[a:b]

    def steps(self, k: int) -> np.ndarray:
        """Delay in whole steps (int64) of every synapse of block ``k``, by the projection's ``delay_rule``."""
        proj, d = self.proj, self.proj.delay
        a, b = self.span(k)
        if self.step is not None:
            return np.full(b - a, self.step, dtype=np.int64)
        rng = np.random.Generator(self._delay_base.jumped(k))
        if isinstance(d, Initializer):
            values = d(b - a, rng)
        elif callable(d):
            values = self._of_indices("delay", "ms")[a:b].copy()
        else:
            values = np.array(d[a:b], dtype=np.float64)
        return proj.delay_rule.steps(values, self.dt, proj.owner, lambda i: self._synapse_text(k, i), d, rng)

    def _of_indices(self, name: str, unit: str | None) -> np.ndarray:
        """One value per synapse from the user's function ``name`` of (pre_idx, post_idx), called once on the
        whole projection (a function may depend on all synapses, e.g. normalize by the in-degree)."""
        if name not in self._whole:
            csr = self.rows.to_csr(self.proj.pre.n, self.proj.post.n)
            self._whole[name] = self.proj._of_indices(getattr(self.proj, name), csr, name, unit)
            if name == "weight":
                self.proj._check_sign(self._whole[name], "weight function")
        return self._whole[name]

    def _synapse_text(self, k: int, i: int) -> str:
        """Synapse ``i`` of block ``k`` as ``"synapse pre 3 -> post 7"``."""
        a, _ = self.span(k)
        row = int(np.searchsorted(self.rows.rowptr, a + i, side="right")) - 1
        return f"synapse pre {row} -> post {int(self.rows.block(k)[0][i])}"


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
        (in the connector's CSR order), an initializer drawn per synapse (``Normal``, ``Uniform``,
        ``LogNormal``, ...) or a function ``weight(pre_idx, post_idx)`` of the synapses' indices within their
        populations (int64 arrays, CSR order) returning one value per synapse. nS for conductance outputs, pA
        for current outputs (mV for ``Delta``). Weights given by ``FromList``/``FromSparse`` are used when
        ``weight`` is None. Procedural connectors take a number, ``Uniform`` or ``Normal`` (drawn per synapse at
        every spike); an ``EventOperator`` carries its own weights.
    synapse:
        Synapse dynamics (default ``Exponential(tau=5)``).
    output:
        How the synapse state enters ``post`` (default ``COBA(E=0)``; ``CUBA`` for a synapse integrated by
        the post-synaptic neuron, ``in_post``, whose weights are in pA).
    delay:
        Transmission delay in ms (>= 0; None: the connector's own delays, ``FromList(..., delay=...)``, else
        0); a spike at step ``s`` reaches the synapse ``steps`` steps after it would with no delay, ``steps``
        given by ``delay_rule``. Stored connectivity also takes one delay per
        synapse: an array (the connector's CSR order), a random law (``Normal(1.5, 0.75)``, ``Uniform``,
        ``LogNormal``: drawn once at build time from the runner's seed and the projection's name, so runs are
        reproducible) or a function ``delay(pre_idx, post_idx)`` like ``weight``'s.
    delay_rule:
        A :class:`DelayRule` (stored connectivity): rounding to steps and what happens to delays below dt.
        Default: ``DelayRule(rounding="exact", below_dt="keep")`` for a number or array (a delay off the dt
        grid is refused, since rounding every synapse the same way is a bias, not noise; zero delays are
        allowed), and NEST's ``DelayRule()`` (nearest step, delays below dt refused) for a random law or a
        function. Users of NEST who give numbers off the grid pass ``DelayRule()`` to round as NEST does
        (``DelayRule(below_dt="keep")`` to round and still allow zero delays).
    delay_std:
        Procedural connectors only: each synapse's delay is drawn (at every spike, from the same seed, so it
        is fixed per synapse) from a normal law of mean ``delay`` and this standard deviation (ms), rounded to
        steps, truncated at 5 standard deviations and at 0.
    synapse_init:
        Initial synapse state per post-synaptic neuron, e.g. ``{"g": Normal(40, 15)}`` (default zero).
        Projections with the same post population, synapse and output parameters share one synapse state;
        the first of them that gives ``synapse_init`` sets it.
    plasticity:
        A :class:`~spikeloom.plasticity.PlasticityRule` (``STDP(...)``, ``TripletSTDP(...)``,
        ``TsodyksMarkram(...)`` or a user's rule): every synapse keeps its own weight and rule state, changed when
        a presynaptic spike reaches it (after the whole delay) and when the postsynaptic neuron spikes (at once).
        Stored connectivity only. The projection then forms a projection group of its own.
    """

    #: no plasticity unless ``plasticity=`` is given (subclasses that build no stored synapses keep this)
    plasticity = None

    def __init__(self, pre: AbstractNeuron, post: AbstractNeuron, conn: Connector, weight=None,
                 synapse: AbstractSynapse | None = None, output: AbstractOutput | None = None,
                 delay=None, synapse_init: dict | None = None, name: str | None = None, delay_std: float = 0.0,
                 delay_rule: DelayRule | None = None, plasticity=None):
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
        self.delay_rule = self._delay_rule(delay_rule)
        self.delay_std = validate.real(delay_std, "delay_std", owner=owner, unit="ms", low=0.0)
        if self.delay_std > 0 and not isinstance(conn, Procedural):
            raise ModelDefinitionError(f"{owner}: delay_std (jitter drawn per synapse) needs a "
                                       "procedural connector; stored connectivity takes an array of delays")
        self.synapse_init = self._synapse_init(synapse_init)
        self.plasticity = self._plasticity(plasticity)

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
        elif callable(weight):
            if not isinstance(conn, Connector):
                raise ModelDefinitionError(f"{owner}: a weight function of (pre_idx, post_idx) needs stored "
                                           "connectivity (a Connector); a procedural connector takes a number, "
                                           "Uniform or Normal")
            return weight
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
        own = self.conn.own_delays() if isinstance(self.conn, Connector) else None
        if own is not None:
            if delay is not None:
                raise ModelDefinitionError(f"{owner}: {type(self.conn).__name__} carries its own delays; give no "
                                           "delay (or none in the connector)")
            return own
        if delay is None:
            return 0.0
        if isinstance(delay, Initializer) or callable(delay):
            if not isinstance(self.conn, Connector):
                raise ModelDefinitionError(f"{owner}: a delay drawn per synapse (a random law or a function of "
                                           "(pre_idx, post_idx)) needs stored connectivity (a Connector); a "
                                           "procedural connector takes delay and delay_std")
            return delay.resolve("ms", f"{owner}: delay") if isinstance(delay, Initializer) else delay
        delay = _real(delay, "delay", owner, "ms", low=0.0)
        if np.ndim(delay) == 0:
            return delay
        if delay.ndim > 1 or (delay.ndim == 1 and not isinstance(self.conn, Connector)):
            raise ModelDefinitionError(f"{owner}: one delay per synapse (an array) needs stored "
                                       f"connectivity (a Connector) and one dimension; give a number "
                                       f"(got shape {delay.shape})")
        return delay

    def _delay_rule(self, rule) -> DelayRule | None:
        """The rule that turns this projection's delays into steps (None for procedural connectors and
        operators, which have their own)."""
        owner = self.owner
        drawn = isinstance(self.delay, Initializer) or callable(self.delay)
        if rule is None:
            if not isinstance(self.conn, Connector):
                return None
            return DelayRule() if drawn else DelayRule(rounding="exact", below_dt="keep")
        if not isinstance(rule, DelayRule):
            raise ModelDefinitionError(f"{owner}: delay_rule must be a DelayRule(rounding=..., below_dt=...), got "
                                       f"{type(rule).__name__}")
        if not isinstance(self.conn, Connector):
            raise ModelDefinitionError(f"{owner}: delay_rule applies to stored connectivity (a Connector); a "
                                       "procedural connector takes a delay on the dt grid and rounds its jitter "
                                       "(delay_std) itself")
        law = isinstance(self.delay, Initializer) and not isinstance(self.delay, Constant)
        if rule.below_dt == "redraw" and not law:
            raise ModelDefinitionError(f"{owner}: delay_rule below_dt='redraw' needs a random delay law (Normal, "
                                       f"Uniform, LogNormal), got {type(self.delay).__name__}; use 'clip' or "
                                       "'error'")
        if rule.rounding == "exact" and law:
            raise ModelDefinitionError(f"{owner}: delay_rule rounding='exact' cannot hold delays drawn from "
                                       f"{self.delay!r} (they are never on the dt grid); use rounding='nearest'")
        return rule

    def _of_indices(self, fn, csr, name: str, unit: str | None) -> np.ndarray:
        """One value per synapse from a user function of (pre_idx, post_idx), checked (finite, unit, shape)."""
        values = fn(csr.rows(), csr.col.astype(np.int64))
        where = f"{name} function {getattr(fn, '__name__', type(fn).__name__)}(pre_idx, post_idx)"
        return validate.real_array(gather(values, f"{self.owner}: {where}"), where, owner=self.owner, unit=unit,
                                   shape=(csr.nnz,))

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

    def _plasticity(self, rule):
        """The plasticity rule (None: static weights), checked against the connectivity and the weights."""
        from ..plasticity import PlasticityRule

        if rule is None:
            return None
        owner = self.owner
        if not isinstance(rule, PlasticityRule):
            raise ModelDefinitionError(f"{owner}: plasticity must be a PlasticityRule (STDP(...), TripletSTDP(...), "
                                       f"TsodyksMarkram(...) or a subclass), got {type(rule).__name__}")
        if not isinstance(self.conn, Connector):
            raise ModelDefinitionError(f"{owner}: plasticity needs stored connectivity (a Connector such as "
                                       f"FixedProb or FromSparse); {type(self.conn).__name__} stores no synapses "
                                       "to hold a weight per synapse")
        bounds = rule.weight_bounds()
        if bounds is not None and self.conductance and bounds[0] < 0:
            raise ModelDefinitionError(f"{owner}: {type(rule).__name__} w_min = {bounds[0]:g} would allow negative "
                                       f"conductances; {type(self.output).__name__} weights are >= 0")
        if bounds is not None and self.weight is not None and not callable(self.weight):
            low, high = _lowest(self.weight), _highest(self.weight)
            if (low is not None and low < bounds[0]) or (high is not None and high > bounds[1]):
                raise ModelDefinitionError(f"{owner}: weight {self.weight!r:.60} reaches outside [w_min, w_max] = "
                                           f"[{bounds[0]:g}, {bounds[1]:g}] of {type(rule).__name__}")
        return rule

    @property
    def storage(self) -> str:
        """How the plan holds this projection: ``"projections"`` (CSR), ``"procedural"`` or ``"custom"``."""
        if isinstance(self.conn, Procedural):
            return "procedural"
        return "custom" if isinstance(self.conn, EventOperator) else "projections"

    def draw_synapses(self, conn_rng: np.random.Generator, delay_rng: np.random.Generator,
                      dt: float) -> SynapseDraw:
        """The stored synapses (targets, weights in the weight unit, delays in steps of ``dt``), drawn block by
        block: connectivity and weights from ``conn_rng``, random delays from ``delay_rng``."""
        return SynapseDraw(self, conn_rng, delay_rng, dt)

    def __call__(self):
        """Inside a network's ``update``: deliver this projection's spikes now."""
        from .tracing import record_projection_call

        record_projection_call(self)

    def __repr__(self):
        return f"Projection({self.name!r}: {self.pre.name} -> {self.post.name}, {self.synapse}, {self.output})"
