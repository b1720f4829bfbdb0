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
from ..core.initializers import draw
from ..inputs.spike_inputs import InputSpikes
from ..integrators.adaptive import AdaptiveOptions
from ..neurons._base import AbstractNeuron
from ..synapses._base import AbstractOutput, AbstractSynapse
from ..synapses.outputs import COBA
from ..units import to_canonical
from .result import SpikeTrains


@dataclass(frozen=True)
class InputChannel:
    """Where input spikes go: a one-state linear ``synapse`` whose conductance enters through ``output``."""

    synapse: AbstractSynapse
    output: AbstractOutput


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
        if not isinstance(neuron, AbstractNeuron):
            raise ModelDefinitionError(f"EventDrivenNeurons: neuron must be a neuron population, got {neuron!r}")
        if not channels or not all(isinstance(c, InputChannel) for c in channels.values()):
            raise ModelDefinitionError("EventDrivenNeurons: channels must be a non-empty dict of InputChannel")
        classes = {(type(c.synapse), type(c.output)) for c in channels.values()}
        if len(classes) != 1:
            raise ModelDefinitionError(f"EventDrivenNeurons: all channels must share one synapse class and one "
                                       f"output class, got {sorted((s.__name__, o.__name__) for s, o in classes)}")
        self.neuron, self.channels = neuron, dict(channels)
        self.synapse_cls, self.output_cls = classes.pop()
        n = neuron.n
        names = list(channels)
        source_channel = list(source_channel)
        unknown = {c for c in source_channel if c is not None and c not in channels}
        if unknown:
            raise ModelDefinitionError(f"EventDrivenNeurons: source_channel names unknown channel(s) "
                                       f"{sorted(unknown)}; channels: {names}")
        n_src = len(source_channel)
        self.n_sources = n_src
        self.src_chan = np.array([-1 if c is None else names.index(c) for c in source_channel], np.int64)
        unit = "nS" if self.output_cls is COBA else "pA"
        w = np.broadcast_to(np.asarray(to_canonical(source_weight, unit, "source_weight"), np.float64), (n_src,))
        if not np.all(np.isfinite(w)):
            raise ModelDefinitionError("EventDrivenNeurons: source_weight must be finite")
        self.src_w = w.copy()
        self.rates = None
        if rates is not None:
            r = np.asarray(to_canonical(rates, "Hz", "rates"), np.float64)
            if r.shape not in ((n_src,), (n, n_src)):
                raise ModelDefinitionError(f"EventDrivenNeurons: rates must have shape ({n_src},) or ({n}, {n_src}), "
                                           f"got {r.shape}")
            if not np.all(np.isfinite(r)) or np.any(r < 0):
                raise ModelDefinitionError("EventDrivenNeurons: rates must be finite and >= 0 Hz")
            self.rates = np.broadcast_to(r, (n, n_src))
        if spikes is None:
            spikes = []
        elif isinstance(spikes, InputSpikes):
            spikes = [spikes] * n
        elif len(spikes) != n:
            raise ModelDefinitionError(f"EventDrivenNeurons: spikes must be one InputSpikes or a list of {n}")
        for sp in spikes:
            if sp.sources.size and sp.sources.max() >= n_src:
                raise ModelDefinitionError(f"EventDrivenNeurons: input spike from source {sp.sources.max()}, but "
                                           f"there are {n_src} sources")
        self.spikes = spikes
        seeds = np.broadcast_to(np.asarray(seeds), (n,))
        if not np.issubdtype(seeds.dtype, np.integer) or np.any(seeds < 0):
            raise ModelDefinitionError(f"EventDrivenNeurons: seeds must be non-negative integers, got {seeds[:5]}")
        self.seeds = seeds.astype(np.int64)
        self.seed_init = seed_init

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
        n_samples = 0 if not sample_dt else int(math.floor(duration / sample_dt + 1e-9)) + 1
        if sample_dt is not None and not (sample_dt > 0):
            raise ModelDefinitionError(f"sample_dt must be > 0 ms, got {sample_dt}")
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
        grid from the dense output; ``record_inputs`` keeps every applied input spike (time, source)."""
        duration = float(to_canonical(duration, "ms", "duration"))
        if not (np.isfinite(duration) and duration >= 0):
            raise ModelDefinitionError(f"duration must be a finite number of ms >= 0, got {duration}")
        options = options or AdaptiveOptions()
        args = self.arrays(duration, options, sample_dt)
        n = self.neuron.n
        if engine == "cpu":
            from ..engines.numba.adaptive import EventDrivenProgram, run_batch

            parallel = n > 1 if parallel is None else parallel
            program = EventDrivenProgram(type(self.neuron), self.synapse_cls, self.output_cls, parallel)
            expected_inputs = 16 + int(1.2 * duration * args["cum_rate"][:, -1].max()) if record_inputs else 0
            out = run_batch(program, args, spike_capacity, expected_inputs)
        elif engine == "jax":
            from ..engines.jax.adaptive import run_batch as jax_run_batch

            out = jax_run_batch(self, args, spike_capacity, record_inputs)
        else:
            raise EngineError(f"unknown engine {engine!r}; use 'cpu' or 'jax'")
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
