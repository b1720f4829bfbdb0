"""DYNAP-SE chips: cores of DPI neurons, allocation, connections within the chip's limits, inputs, runs.

Time convention (the Brian2 DYNAP-SE simulator's): a spike "at t" belongs to the step ``[t, t + dt)``; its
synaptic jumps land at the end of that step, after the neurons' update, so the state from ``t + dt`` on
carries them. Input spike times given here and spike times reported by :class:`ChipRecording` follow it; a
trace sample at ``t`` is the state at the start of the step ``[t, t + dt)``. (spikeloom's own
:class:`~spikeloom.run.Result` labels a spike with the end of its step, ``t + dt``.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError, SimulationError
from ..connectivity import AllToAll, Connector, FromList
from ..core import validate
from ..network.build import stable_seed
from ..network.network import Network
from ..network.projection import Projection
from ..neurons.sources import PoissonGroup, SpikeGeneratorGroup
from ..run.runner import Runner
from .dpi import DPINeuron
from .parameters import Mismatch, check_parameters, resolve_parameter_set
from .synapses import SYNAPSE_CLASSES

NUM_CORES = 4
NEURONS_PER_CORE = 256
#: CAM slots per neuron: the sum of the (integer) weights of all its incoming connections
MAX_FAN_IN = 64
#: forward Euler on the soma diverges once dt I_sum / (I_tau tau_soma) exceeds this
EULER_LOAD_LIMIT = 2.0


class DPIStabilityError(SimulationError):
    """Forward Euler became unstable on a DPI soma (see :class:`~spikeloom.dynapse.dpi.DPINeuron`)."""


@dataclass(frozen=True, eq=False)
class Neurons:
    """Neurons ``[start, start + n)`` of one core (from :meth:`DynapSE.get_neurons`)."""

    chip: int
    core: int
    start: int
    n: int

    @property
    def population(self) -> str:
        return f"chip{self.chip}_core{self.core}"

    def __len__(self):
        return self.n

    def __repr__(self):
        return f"Neurons(chip {self.chip}, core {self.core}, [{self.start}, {self.start + self.n}))"


@dataclass(frozen=True, eq=False)
class Source:
    """Input neurons off the chip (spike generator or Poisson trains), from :meth:`DynapSE.spike_generator`
    or :meth:`DynapSE.poisson`."""

    population: str
    model: object
    start: int = 0

    @property
    def n(self) -> int:
        return self.model.n

    def __len__(self):
        return self.n


@dataclass(frozen=True, eq=False)
class Connection:
    """Synapses ``pre[i] -> post[j]`` of one type, each with an integer weight (CAM slots)."""

    name: str
    pre: Neurons | Source
    post: Neurons
    synapse_type: str
    pre_idx: np.ndarray
    post_idx: np.ndarray
    weight: np.ndarray


def _core_index(core) -> int:
    given = core
    if isinstance(core, str):
        m = re.fullmatch(r"(?:core_?)?(\d+)", core.strip().lower())
        core = int(m.group(1)) if m else -1
    if isinstance(core, (bool, np.bool_)) or not isinstance(core, (int, np.integer)) or not 0 <= core < NUM_CORES:
        raise ModelDefinitionError(f"core must be 0..{NUM_CORES - 1} or 'Core_0'..'Core_{NUM_CORES - 1}', "
                                   f"got {given!r}")
    return int(core)


class _ChipNetwork(Network):
    """The step order of the chip: every core's update, then the inputs, then every connection's spikes."""

    def update(self):
        for child in self._order:
            child()


class DynapSE:
    """``n_chips`` DYNAP-SE chips of 4 cores x 256 DPI neurons each.

    Parameters
    ----------
    n_chips:
        Number of chips in the simulation; connections may cross chips.
    parameters:
        Biases of every core at the start: a set's name (``spikeloom.dynapse.PARAMETER_SETS``) or a dict of
        overrides of the defaults; change one core's with :meth:`set_bias`.
    mismatch:
        Optional :class:`~spikeloom.dynapse.Mismatch`: per-neuron and per-connection variability.
    seed:
        Seeds the mismatch, random connectivity and Poisson inputs.
    integer_weights:
        Weights count CAM slots, as on the chip (default). ``False`` allows real weights (emulation beyond the
        chip); the fan-in limit then counts them rounded up.
    """

    def __init__(self, n_chips: int = 1, parameters: str | dict = "default", mismatch: Mismatch | None = None,
                 seed: int = 0, integer_weights: bool = True):
        n_chips = validate.integer(n_chips, "n_chips", owner="DynapSE", low=1)
        # per core: its biases and one fan-in counter per neuron, allocated now
        validate.memory(n_chips * NUM_CORES * (8.0 * NEURONS_PER_CORE + 8192), f"DynapSE: {n_chips} chips")
        if mismatch is not None and not isinstance(mismatch, Mismatch):
            raise ModelDefinitionError(f"DynapSE: mismatch must be a Mismatch or None, got {type(mismatch).__name__}")
        if not isinstance(integer_weights, (bool, np.bool_)):
            raise ModelDefinitionError(f"DynapSE: integer_weights must be True or False, got {integer_weights!r}")
        self.n_chips, self.mismatch = n_chips, mismatch
        self.seed = validate.integer(seed, "seed", owner="DynapSE", low=0, high=2**63 - 1)
        self.integer_weights = bool(integer_weights)
        base = resolve_parameter_set(parameters)
        self.biases = {(c, k): dict(base) for c in range(self.n_chips) for k in range(NUM_CORES)}
        self.allocated = {key: 0 for key in self.biases}
        self.fan_in_used = {key: np.zeros(NEURONS_PER_CORE) for key in self.biases}
        self.sources: dict[str, Source] = {}
        self.connections: list[Connection] = []
        self.neurons: list[Neurons] = []

    # ---- neurons and biases -------------------------------------------------------------------------------
    def get_neurons(self, n: int, core=0, chip: int = 0) -> Neurons:
        """Allocate the next ``n`` free neurons of ``core`` on ``chip``."""
        key = (self._chip(chip), _core_index(core))
        n = validate.integer(n, "n", owner="get_neurons", low=1)
        free = NEURONS_PER_CORE - self.allocated[key]
        if n > free:
            raise ModelDefinitionError(f"get_neurons: core {key[1]} of chip {key[0]} has {free} free neuron(s) of "
                                       f"{NEURONS_PER_CORE}; cannot allocate {n}. Use another core or chip")
        start = self.allocated[key]
        self.allocated[key] += n
        self.neurons.append(Neurons(key[0], key[1], start, n))
        return self.neurons[-1]

    def _owns(self, neurons: Neurons) -> bool:
        return any(x is neurons for x in self.neurons)

    def set_bias(self, core, parameters: str | dict | None = None, chip: int = 0, **values) -> None:
        """Set the biases of one core (shared by its neurons): a set's name or dict, and/or keyword values."""
        key = (self._chip(chip), _core_index(core))
        if parameters is not None:
            self.biases[key] = resolve_parameter_set(parameters)
        self.biases[key].update(check_parameters(values, f"set_bias(core {key[1]}, chip {key[0]})"))

    def _chip(self, chip) -> int:
        is_int = isinstance(chip, (int, np.integer)) and not isinstance(chip, (bool, np.bool_))
        if not is_int or not 0 <= chip < self.n_chips:
            raise ModelDefinitionError(f"chip must be an int in [0, {self.n_chips}) (this DynapSE has {self.n_chips} "
                                       f"chip(s)), got {chip!r}")
        return int(chip)

    # ---- inputs -------------------------------------------------------------------------------------------
    def spike_generator(self, times, indices=None, n: int | None = None, name: str | None = None) -> Source:
        """Input neurons spiking at ``times`` (ms; a spike at t acts at the end of step [t, t + dt))."""
        owner = f"spike_generator {name!r}" if name else "spike_generator"
        times = validate.real_array(times, "times (ms)", owner=owner, low=0.0).ravel()
        if indices is None:
            indices = np.zeros(times.size, np.int64)
        else:
            raw = validate.real_array(indices, "indices", owner=owner, low=0.0).ravel()
            if raw.shape != times.shape or np.any(raw != np.round(raw)):
                raise ModelDefinitionError(f"{owner}: indices must be whole numbers, one per spike time "
                                           f"({times.size}), got {raw.size} value(s)")
            indices = raw.astype(np.int64)
        needed = int(indices.max()) + 1 if indices.size else 1
        n = needed if n is None else validate.integer(n, "n", owner=owner, low=needed)
        # one step later in spikeloom's labels (end of step), emitted before the connections deliver
        return self._add_source(name, "generator", lambda dt: SpikeGeneratorGroup(n, times=times + dt,
                                                                                     indices=indices))

    def poisson(self, n: int, rate_hz, name: str | None = None) -> Source:
        """``n`` Poisson input neurons at ``rate_hz`` (a spike in a step with probability rate x dt)."""
        owner = f"poisson {name!r}" if name else "poisson"
        n = validate.integer(n, "n", owner=owner, low=1)
        if np.ndim(rate_hz) == 0:
            rate_hz = validate.real(rate_hz, "rate_hz", owner=owner, low=0.0)
        else:
            rate_hz = validate.real_array(rate_hz, "rate_hz", owner=owner, shape=(n,), low=0.0)
        return self._add_source(name, "poisson", lambda dt: PoissonGroup(n, rate=rate_hz))

    def _add_source(self, name, kind, factory) -> Source:
        name = name or f"{kind}{len(self.sources)}"
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("chip") or name in self.sources:
            raise ModelDefinitionError(f"input name {name!r} must be a new identifier not starting with 'chip'")
        probe = factory(0.1)  # validates the arguments now
        source = Source(name, _SourceFactory(factory, probe.n))
        self.sources[name] = source
        return source

    # ---- connections ----------------------------------------------------------------------------------------
    def connect(self, pre: Neurons | Source, post: Neurons, synapse_type: str, weight=1,
                conn: Connector | None = None) -> Connection:
        """Connect ``pre`` to ``post`` with synapses of ``synapse_type`` (nmda, ampa, gaba_a, gaba_b).

        ``conn`` is any connector (default all-to-all); ``weight`` a number or one value per synapse (in
        the connector's order, sorted by pre then post) counting CAM slots. Raises if a post-synaptic neuron
        would use more than 64 CAM slots in all.
        """
        stype = synapse_type.lower() if isinstance(synapse_type, str) else None
        if stype not in SYNAPSE_CLASSES:
            raise ModelDefinitionError(f"connect: unknown synapse type {synapse_type!r}; known: "
                                       f"{sorted(SYNAPSE_CLASSES)}")
        if not isinstance(pre, (Neurons, Source)) or not isinstance(post, Neurons):
            raise ModelDefinitionError("connect: pre must be Neurons or an input Source, post must be Neurons")
        if isinstance(pre, Source) and self.sources.get(pre.population) is not pre:
            raise ModelDefinitionError(f"connect: input {pre.population!r} belongs to another DynapSE")
        for end in (pre, post):
            if isinstance(end, Neurons) and not self._owns(end):
                raise ModelDefinitionError(f"connect: {end!r} was not allocated by this DynapSE")
        if conn is not None and not isinstance(conn, Connector):
            raise ModelDefinitionError(f"connect: conn must be a connector (e.g. FromList, AllToAll), got "
                                       f"{type(conn).__name__}")
        name = f"conn{len(self.connections)}_{stype}"
        conn = conn if conn is not None else AllToAll()
        rng = np.random.default_rng(stable_seed(self.seed, "conn:" + name))
        csr = conn.build(pre.n, post.n, rng, pre is post)
        w = validate.real_array(weight, "weight", owner=f"connect ({stype})", low=0.0)
        w = np.broadcast_to(w, (csr.nnz,)) if w.ndim == 0 else w
        if w.shape != (csr.nnz,):
            raise ModelDefinitionError(f"connect ({stype}): weight has shape {w.shape}, the connectivity has "
                                       f"{csr.nnz} synapses (give one number or one per synapse)")
        if self.integer_weights and np.any(w != np.round(w)):
            raise ModelDefinitionError("connect: weights count CAM slots and must be integers on the chip; "
                                       "pass integer_weights=False to DynapSE to emulate real weights")
        slots = np.bincount(csr.col, weights=np.ceil(w), minlength=post.n)
        used = self.fan_in_used[(post.chip, post.core)]
        total = used[post.start:post.start + post.n] + slots
        if np.any(total > MAX_FAN_IN):
            j = int(np.argmax(total))
            raise ModelDefinitionError(
                f"connect: neuron {post.start + j} of core {post.core}, chip {post.chip} would need {int(total[j])} "
                f"CAM slots (fan-in); a DYNAP-SE neuron has {MAX_FAN_IN}. Lower the weights or the number of inputs")
        used[post.start:post.start + post.n] = total
        c = Connection(name, pre, post, stype, csr.rows(), csr.col.astype(np.int64), np.array(w))
        self.connections.append(c)
        return c

    # ---- building and running ---------------------------------------------------------------------------------
    def core_parameters(self, chip: int, core: int) -> dict:
        """Parameter values of the allocated neurons of a core (arrays when mismatch is on)."""
        key = (chip, core)
        values = dict(self.biases[key])
        if self.mismatch is not None and self.mismatch.neuron > 0:
            rng = np.random.default_rng(stable_seed(self.seed, f"mismatch:chip{chip}.core{core}"))
            factors = self.mismatch.neuron_factors(NEURONS_PER_CORE, rng)
            n = self.allocated[key]
            values.update({k: values[k] * f[:n] for k, f in factors.items()})
        return values

    def build(self, dt: float) -> Network:
        """The spikeloom :class:`~spikeloom.network.Network` of the allocated neurons, inputs and connections."""
        net = _ChipNetwork()
        order, params = [], {}
        for (chip, core), n in self.allocated.items():
            if n:
                params[(chip, core)] = self.core_parameters(chip, core)
                pop = DPINeuron(n, method="euler", **params[(chip, core)])
                setattr(net, f"chip{chip}_core{core}", pop)
                order.append(pop)
        for name, source in self.sources.items():
            setattr(net, name, source.model.make(dt))
            order.append(getattr(net, name))
        for c in self.connections:
            p = params[(c.post.chip, c.post.core)]
            post = c.post.start + c.post_idx
            w0, alpha = (np.broadcast_to(np.asarray(p[k]), (self.allocated[(c.post.chip, c.post.core)],))
                         for k in (f"I{c.synapse_type}_w0", f"alpha_{c.synapse_type}"))
            current = w0[post] * alpha[post] * c.weight
            if self.mismatch is not None and self.mismatch.synapse > 0:
                rng = np.random.default_rng(stable_seed(self.seed, "mismatch:" + c.name))
                current = current * self.mismatch.synapse_factors(current.size, rng)
            proj = Projection(getattr(net, c.pre.population), getattr(net, c.post.population),
                              FromList(c.pre.start + c.pre_idx, post, current),
                              synapse=SYNAPSE_CLASSES[c.synapse_type]())
            setattr(net, c.name, proj)
            order.append(proj)
        if not any(isinstance(o, DPINeuron) for o in order):
            raise ModelDefinitionError("DynapSE: no neurons allocated; call get_neurons first")
        net._order = order
        return net

    def run(self, duration: float, dt: float = 0.1, record=(), precision: str = "float64",
            check_stability: bool = True, progress: bool | None = None, engine: str = "cpu") -> "ChipRecording":
        """Simulate ``duration`` ms with step ``dt`` (ms) from the initial state.

        ``record``: pairs ``(neurons or input, variable)`` with variable ``"spike"`` or a state variable of
        :class:`~spikeloom.dynapse.dpi.DPINeuron` (``"Imem"``, ``"Iahp"``, ``"Inmda"``, ``"Iampa"``,
        ``"Igaba_a"``, ``"Igaba_b"``). Raises :class:`DPIStabilityError` if forward Euler became unstable on
        a soma (unless ``check_stability=False``); the message gives the largest stable dt. ``engine``:
        ``"cpu"`` (Numba) or ``"jax"``.
        """
        dt = validate.positive(dt, "dt (ms)", owner="DynapSE.run")
        duration = validate.positive(duration, "duration (ms)", owner="DynapSE.run")
        record = [self._recordable(item) for item in _pairs(record)]
        runner = Runner(self.build(dt), dt=dt, seed=self.seed, precision=precision, progress=progress, engine=engine,
                        monitors=[_monitor(obj, var) for obj, var in record])
        initial = {(id(obj), var): runner[f"{obj.population}.{var}"][obj.start:obj.start + obj.n]
                   for obj, var in record if var != "spike"}
        result = runner.run(duration)
        if check_stability:
            check_euler_stability(runner, dt)
        return ChipRecording(result, initial, dt)


    def _recordable(self, item) -> tuple:
        """``(neurons or input, variable)`` of this chip, with a variable that exists on it."""
        obj, var = item
        if not (isinstance(obj, Neurons) and self._owns(obj)) and not (
                isinstance(obj, Source) and self.sources.get(obj.population) is obj):
            raise ModelDefinitionError(f"DynapSE.run: record: {obj!r} is not neurons or an input of this DynapSE")
        known = ("spike",) + (tuple(DPINeuron.ode_vars) if isinstance(obj, Neurons) else ())
        if var not in known:
            raise ModelDefinitionError(f"DynapSE.run: record: {obj!r} has no variable {var!r}; choose from "
                                       f"{list(known)}")
        return obj, var


def _pairs(record) -> list:
    """``record`` as a list of 2-tuples, or an error saying what a record entry looks like."""
    try:
        items = [tuple(item) for item in record]
    except TypeError:
        items = None
    if items is None or any(len(item) != 2 for item in items):
        raise ModelDefinitionError(f"DynapSE.run: record must be a list of (neurons or input, variable) pairs, "
                                   f"got {record!r}")
    return items


def _monitor(obj, var):
    key = f"{obj.population}.{var}"
    return key if var == "spike" else (key, np.arange(obj.start, obj.start + obj.n))


def check_euler_stability(runner: Runner, dt: float) -> None:
    """Raise :class:`DPIStabilityError` if a DPI soma's Euler load reached :data:`EULER_LOAD_LIMIT`."""
    for name, (gi, lo, hi, _) in runner.plan.pop_index.items():
        if runner.plan.groups[gi].model is not DPINeuron:
            continue
        load = runner[f"{name}.euler_load"]
        worst = int(np.argmax(load))
        if load[worst] >= EULER_LOAD_LIMIT:
            raise DPIStabilityError(
                f"forward Euler is unstable on {name!r}, neuron {worst}: dt lambda (lambda = -d(dImem/dt)/dImem) reached "
                f"{load[worst]:.3g} (>= {EULER_LOAD_LIMIT:g}; strong shunting inhibition or adaptation), so the "
                f"membrane current oscillates and diverges (a step-size artefact, not the chip). The largest "
                f"stable dt for this activity is {EULER_LOAD_LIMIT * dt / load[worst]:.3g} ms; run with a smaller dt")


class _SourceFactory:
    """Makes an input's population once dt is known (generator times move to spikeloom's step labels)."""

    def __init__(self, factory, n):
        self.factory, self.n = factory, n

    def make(self, dt):
        return self.factory(dt)


class ChipRecording:
    """What :meth:`DynapSE.run` recorded, in the chip simulator's time convention (ms, pA)."""

    def __init__(self, result, initial: dict, dt: float):
        self.result, self.initial, self.dt = result, initial, dt

    def trace(self, obj, var: str) -> tuple[np.ndarray, np.ndarray]:
        """``(t, values)``: ``t = k dt`` and the state at the start of step k, shape (steps, neurons)."""
        key = f"{obj.population}.{var}"
        if (id(obj), var) not in self.initial:
            raise ModelDefinitionError(f"{var!r} of {obj!r} was not recorded; pass (neurons, {var!r}) in record")
        samples = self.result.traces[key]
        values = np.concatenate([self.initial[(id(obj), var)][None, :], samples[:-1]])
        return self.result.t_start + self.dt * np.arange(values.shape[0]), values

    def spikes(self, obj) -> tuple[np.ndarray, np.ndarray]:
        """``(times, indices)``: the start of the step in which each spike happened (ms), index within ``obj``."""
        trains = self.result.spikes.get(obj.population)
        if trains is None:
            raise ModelDefinitionError(f"spikes of {obj!r} were not recorded; pass (neurons, 'spike') in record")
        keep = (trains.indices >= obj.start) & (trains.indices < obj.start + obj.n)
        return trains.times[keep] - self.dt, trains.indices[keep] - obj.start
