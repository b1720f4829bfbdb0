"""Event-driven simulation of a batch of independent neurons with the adaptive solver.

Each neuron of the batch integrates its model's ODE with :mod:`spikeloom.integrators.adaptive`, receives
input spikes at their exact times through input channels (a linear synapse and an output, e.g.
``Exponential`` + ``COBA``), and spikes at exactly located threshold crossings. Neurons are independent:
parameters (arrays over the batch), input rates and seeds may differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import EngineError, ModelDefinitionError
from ..core import validate
from ..core.initializers import draw
from ..inputs.spike_inputs import InputSpikes
from ..integrators.adaptive import AdaptiveOptions
from ..neurons._base import AbstractNeuron
from ..synapses._base import AbstractOutput, AbstractSynapse
from ..synapses.outputs import COBA
from .result import SpikeTrains


@dataclass(frozen=True)
class InputChannel:
    """Where input spikes go: a one-state linear ``synapse`` whose conductance enters through ``output``."""

    synapse: AbstractSynapse
    output: AbstractOutput

    def __post_init__(self):
        if not isinstance(self.synapse, AbstractSynapse):
            raise ModelDefinitionError(f"InputChannel: synapse must be a synapse model such as Exponential(), got "
                                       f"{self.synapse!r:.80}")
        if not isinstance(self.output, AbstractOutput):
            raise ModelDefinitionError(f"InputChannel: output must be an output such as COBA(), got "
                                       f"{self.output!r:.80}")


@dataclass
class EventDrivenResult:
    """Spikes of the batch (times in ms), applied input spikes (when recorded), sampled traces, step counts."""

    spikes: SpikeTrains
    duration: float
    steps_accepted: np.ndarray  # per neuron
    steps_rejected: np.ndarray
    steps_forced: np.ndarray  # accepted at dtmin with an error above tolerance
    input_times: list[np.ndarray] | None  # per neuron, when recorded
    input_sources: list[np.ndarray] | None
    trace_times: np.ndarray | None
    traces: dict[str, np.ndarray] | None  # variable -> (neurons, samples)
    final_state: dict[str, np.ndarray]
    compile_s: float
    run_s: float

    def spike_times(self, i: int = 0) -> np.ndarray:
        return self.spikes.times[self.spikes.indices == i]

    @property
    def rate_hz(self) -> np.ndarray:
        """Mean rate of each neuron over the run."""
        return self.spikes.counts() / (self.duration * 1e-3)


class EventDrivenNeurons:
    """A batch of ``neuron.n`` independent neurons driven by input spikes through ``channels``.

    - ``neuron``: a population (``Izhikevich(n, ...)``) whose state is all ODE variables; its size is the batch.
    - ``channels``: name -> :class:`InputChannel`; all channels use the same synapse class and output class.
    - ``source_channel``: for each input source, the name of its channel, or ``None`` (unconnected).
    - ``source_weight``: jump of the channel's synapse state per spike of each source (scalar or one per
      source; nS for a ``COBA`` output, pA otherwise; quantities are converted).
    - ``rates``: Poisson rates of the sources in Hz, ``(sources,)`` or ``(batch, sources)``; their spikes are
      drawn lazily during the run from ``seeds`` (one per neuron, or one for all).
    - ``spikes``: explicit input spikes, one :class:`InputSpikes` for every neuron or a list, one per neuron.
    """

    def __init__(self, neuron: AbstractNeuron, channels: dict[str, InputChannel], source_channel, source_weight,
                 rates=None, spikes=None, seeds=0, seed_init: int = 0):
        where = "EventDrivenNeurons"
        if not isinstance(neuron, AbstractNeuron):
            raise ModelDefinitionError(f"{where}: neuron must be a neuron population, got {neuron!r:.80}")
        if not isinstance(channels, dict) or not channels or not all(isinstance(c, InputChannel)
                                                                     for c in channels.values()):
            raise ModelDefinitionError(f"{where}: channels must be a non-empty dict name -> InputChannel, got "
                                       f"{channels!r:.80}")
        classes = {(type(c.synapse), type(c.output)) for c in channels.values()}
        if len(classes) != 1:
            raise ModelDefinitionError(f"{where}: all channels must share one synapse class and one "
                                       f"output class, got {sorted((s.__name__, o.__name__) for s, o in classes)}")
        self.neuron, self.channels = neuron, dict(channels)
        self.synapse_cls, self.output_cls = classes.pop()
        n = neuron.n
        names = list(channels)
        if isinstance(source_channel, (str, bytes, dict)) or not hasattr(source_channel, "__iter__"):
            raise ModelDefinitionError(f"{where}: source_channel must be a list with one channel name (or None) "
                                       f"per input source, got {source_channel!r:.80}")
        source_channel = list(source_channel)
        unknown = [c for c in source_channel if c is not None and (not isinstance(c, str) or c not in channels)]
        if unknown:
            raise ModelDefinitionError(f"{where}: source_channel names unknown channel(s) "
                                       f"{unknown[:5]}; channels: {names}")
        n_src = len(source_channel)
        self.n_sources = n_src
        self.src_chan = np.array([-1 if c is None else names.index(c) for c in source_channel], np.int64)
        unit = "nS" if self.output_cls is COBA else "pA"
        self.src_w = _per(validate.real_array(source_weight, "source_weight", owner=where, unit=unit), (n_src,),
                          "source_weight", f"() or ({n_src},) (one per source)").copy()
        self.rates = None
        if rates is not None:
            r = validate.real_array(rates, "rates", owner=where, unit="Hz", low=0.0)
            if r.shape not in ((n_src,), (n, n_src)):
                raise ModelDefinitionError(f"{where}: rates must have shape ({n_src},) or ({n}, {n_src}), "
                                           f"got {r.shape}")
            self.rates = np.broadcast_to(r, (n, n_src))
        self.spikes = _spike_lists(spikes, n, n_src)
        seeds = np.asarray(seeds)
        if seeds.dtype.kind not in "iu" or np.any(seeds < 0) or np.any(seeds > 2**32 - 1):
            raise ModelDefinitionError(f"{where}: seeds must be integers in [0, 2**32 - 1] (the random "
                                       f"generator's range), got {np.ravel(seeds)[:5]}")
        self.seeds = _per(seeds, (n,), "seeds", f"() or ({n},) (one per neuron)").astype(np.int64)
        self.seed_init = validate.integer(seed_init, "seed_init", owner=where, low=0)

    # ---- arrays the engines consume --------------------------------------------------------------------
    def arrays(self, duration: float, options: AdaptiveOptions, sample_dt: float | None) -> dict:
        nrn, n = self.neuron, self.neuron.n
        ode = nrn.ode_vars
        atol, rtol = options.per_variable(ode)
        P = np.stack([np.broadcast_to(np.asarray(nrn.params[p], np.float64), (n,)) for p in nrn.parameters], axis=1)
        rng = np.random.default_rng(self.seed_init)
        Y = np.stack([np.broadcast_to(draw(nrn.init[v], n, rng, v), (n,)) for v in ode], axis=1).astype(np.float64)
        lam, w_scale = [], []
        for name, ch in self.channels.items():
            consts = dict(ch.synapse.derived(ch.synapse.params, 1.0))
            w_scale.append(float(np.asarray(consts.pop("w_scale", 1.0))))
            if len(consts) != 1:
                raise ModelDefinitionError(f"channel {name!r}: {type(ch.synapse).__name__} must have one propagator "
                                           f"constant for event-driven runs, has {sorted(consts)}")
            (c,) = consts.values()
            lam.append(math.log(float(np.asarray(c))))
        out_params = list(self.output_cls.parameters)
        OUT = np.array([[float(np.asarray(ch.output.params[p])) for ch in self.channels.values()]
                        for p in out_params]).reshape(len(out_params), len(self.channels))
        connected = self.src_chan >= 0
        src_w = self.src_w * np.where(connected, np.asarray(w_scale)[np.maximum(self.src_chan, 0)], 0.0)
        if self.rates is None:
            cum = np.zeros((n, 1))
        else:
            cum = np.cumsum(self.rates * connected * 1e-3, axis=1)  # per ms; unconnected sources cause no events
        ex_t, ex_src, ex_ptr = [], [], [0]
        for i in range(n):
            sp = self.spikes[i] if self.spikes else None
            keep = connected[sp.sources] if sp is not None else np.zeros(0, bool)
            ex_t.append(sp.times[keep] if sp is not None else np.zeros(0))
            ex_src.append(sp.sources[keep] if sp is not None else np.zeros(0, np.int64))
            ex_ptr.append(ex_ptr[-1] + int(keep.sum()))
        n_samples = _samples(duration, sample_dt)
        return {
            "t_end": float(duration), "atol": atol, "rtol": rtol, "dtmin": float(options.dtmin),
            "dtmax": float(options.dtmax), "event_tol": float(options.event_tol),
            "sample_dt": float(sample_dt or 0.0),
            "P": np.ascontiguousarray(P), "LAM": np.array(lam), "OUT": np.ascontiguousarray(OUT),
            "src_chan": np.maximum(self.src_chan, 0), "src_w": src_w, "cum_rate": np.ascontiguousarray(cum),
            "seeds": self.seeds.copy(), "ex_ptr": np.array(ex_ptr, np.int64),
            "ex_t": np.concatenate(ex_t).astype(np.float64), "ex_src": np.concatenate(ex_src).astype(np.int64),
            "T": np.zeros(n), "Y": np.ascontiguousarray(Y), "G": np.zeros((n, len(self.channels))),
            "H": np.full(n, min(options.dt0, options.dtmax)), "pois_m": np.zeros(n, np.int64),
            "pois_next": np.full(n, np.nan), "ex_pos": np.array(ex_ptr[:-1], np.int64),
            "counts": np.zeros((n, 3), np.int64),
            "tr_y": np.zeros((n, n_samples, len(ode))), "tr_n": np.zeros(n, np.int64),
        }

    def run(self, duration: float, options: AdaptiveOptions | None = None, engine: str = "cpu",
            record_inputs: bool = False, sample_dt: float | None = None, parallel: bool | None = None,
            spike_capacity: int = 64) -> EventDrivenResult:
        """Simulate ``duration`` ms from the initial state. ``sample_dt`` (ms) samples every ODE variable on a
        grid from the dense output; ``record_inputs`` keeps every applied input spike (time, source).

        Arguments are checked first, and the buffers' memory is estimated before they are allocated (a
        :class:`~spikeloom.ResourceError` if the machine cannot hold them). The whole batch runs in one
        compiled call, so Ctrl-C takes effect when the run ends."""
        where = "EventDrivenNeurons.run"
        duration = validate.real(duration, "duration", owner=where, unit="ms", low=0.0)
        if options is not None and not isinstance(options, AdaptiveOptions):
            raise ModelDefinitionError(f"{where}: options must be an AdaptiveOptions, got {options!r:.80}")
        if not isinstance(engine, str) or engine not in ("cpu", "jax"):
            raise EngineError(f"{where}: unknown engine {engine!r}; use 'cpu' or 'jax'")
        record_inputs = validate.choice(record_inputs, "record_inputs", [False, True], owner=where)
        if sample_dt is not None:
            sample_dt = validate.positive(sample_dt, "sample_dt", owner=where, unit="ms")
        parallel = validate.choice(parallel, "parallel", [None, True, False], owner=where)
        spike_capacity = validate.integer(spike_capacity, "spike_capacity", owner=where, low=1)
        options = options or AdaptiveOptions()
        n = self.neuron.n
        max_rate = 0.0 if self.rates is None else float((self.rates * (self.src_chan >= 0)).sum(axis=1).max(initial=0))
        expected_inputs = 16 + int(1.2 * duration * max_rate * 1e-3) if record_inputs else 0
        needs = {"trace samples": float(n) * _samples(duration, sample_dt) * len(self.neuron.ode_vars) * 8,
                 "input records": float(n) * expected_inputs * 16, "spike buffers": float(n) * spike_capacity * 8}
        parts = ", ".join(f"{k} {validate.human_bytes(v)}" for k, v in needs.items() if v)
        validate.memory(sum(needs.values()), f"{where}: a run of {duration:g} ms of {n} neurons",
                        fix=f"it holds {parts}; sample less often (sample_dt), record fewer inputs or run less")
        args = self.arrays(duration, options, sample_dt)
        if engine == "cpu":
            from ..engines.numba.adaptive import EventDrivenProgram, run_batch

            parallel = n > 1 if parallel is None else parallel
            program = EventDrivenProgram(type(self.neuron), self.synapse_cls, self.output_cls, parallel)
            out = run_batch(program, args, spike_capacity, expected_inputs)
        else:
            from ..engines.jax.adaptive import run_batch as jax_run_batch

            out = jax_run_batch(self, args, spike_capacity, record_inputs)
        return self._result(out, duration, record_inputs)

    def _result(self, out: dict, duration: float, record_inputs: bool) -> EventDrivenResult:
        n = self.neuron.n
        counts = out["sp_n"]
        times = np.concatenate([out["sp_t"][i, :counts[i]] for i in range(n)]) if n else np.zeros(0)
        idx = np.repeat(np.arange(n), counts)
        ode = self.neuron.ode_vars
        traces = trace_times = None
        if out["tr_y"].shape[1]:
            traces = {v: out["tr_y"][:, :, j] for j, v in enumerate(ode)}
            trace_times = np.arange(out["tr_y"].shape[1]) * out["sample_dt"]
        rec_t = rec_src = None
        if record_inputs:
            rec_t = [out["rec_t"][i, :out["rec_n"][i]].copy() for i in range(n)]
            rec_src = [out["rec_src"][i, :out["rec_n"][i]].copy() for i in range(n)]
        return EventDrivenResult(
            spikes=SpikeTrains(times, idx, n), duration=duration,
            steps_accepted=out["counts"][:, 0].copy(), steps_rejected=out["counts"][:, 1].copy(),
            steps_forced=out["counts"][:, 2].copy(), input_times=rec_t, input_sources=rec_src,
            trace_times=trace_times, traces=traces,
            final_state={v: out["Y"][:, j].copy() for j, v in enumerate(ode)},
            compile_s=out["compile_s"], run_s=out["run_s"])


def _per(arr: np.ndarray, shape: tuple, name: str, valid: str) -> np.ndarray:
    """``arr`` (a scalar or already of ``shape``) broadcast to ``shape``."""
    if arr.ndim != 0 and arr.shape != shape:
        raise ModelDefinitionError(f"EventDrivenNeurons: {name} must have shape {valid}, got shape {arr.shape}")
    return np.broadcast_to(arr, shape)


def _spike_lists(spikes, n: int, n_src: int) -> list:
    """Explicit input spikes as one :class:`InputSpikes` per neuron (or an empty list), sources checked."""
    if spikes is None:
        return []
    if isinstance(spikes, InputSpikes):
        spikes = [spikes] * n
    elif not isinstance(spikes, (list, tuple)) or len(spikes) != n or not all(isinstance(sp, InputSpikes)
                                                                               for sp in spikes):
        raise ModelDefinitionError(f"EventDrivenNeurons: spikes must be one InputSpikes or a list of {n} "
                                   f"(one per neuron), got {spikes!r:.80}")
    for i, sp in enumerate(spikes):
        if sp.sources.size and sp.sources.max() >= n_src:
            raise ModelDefinitionError(f"EventDrivenNeurons: spikes of neuron {i}: input spike from source "
                                       f"{sp.sources.max()}, but there are {n_src} sources")
    return list(spikes)


def _samples(duration: float, sample_dt: float | None) -> int:
    """Trace samples on the grid ``k * sample_dt`` in ``[0, duration]`` (none without ``sample_dt``)."""
    return 0 if not sample_dt else int(math.floor(duration / sample_dt + 1e-9)) + 1
