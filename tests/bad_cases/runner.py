"""Bad arguments of the runner, its monitors and inputs, currents over time, result files and the event-driven
runner. Each is refused before anything is compiled or allocated, naming the argument (and the population,
monitor or file it belongs to)."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

import spikeloom as sl
from bad_cases import ApiCase
from spikeloom._errors import EngineError, ModelDefinitionError, ResourceError, UnitError
from spikeloom.inputs.spike_inputs import InputSpikes, LogNormalRates
from spikeloom.run.event_driven import EventDrivenNeurons, InputChannel
from spikeloom import UnknownKeyError

CASES: list[ApiCase] = []


def case(id: str, call, match: str, error: type = ModelDefinitionError) -> None:
    CASES.append(ApiCase(id, call, error, match))


def net():
    e, i = sl.LIF(5), sl.LIF(3)
    return sl.Network(E=e, I=i, E2I=sl.Projection(e, i, sl.FixedProb(0.5), 1.0))


def runner(**kw):
    return sl.Runner(net(), **kw)


def units():
    return pytest.importorskip("brainunit")


def jax_runner():
    pytest.importorskip("jax")
    return runner(engine="jax")


# ---- Runner(...) ------------------------------------------------------------------------------------------
case("net-none", lambda: sl.Runner(None), r"Runner: net must be a spikeloom Network, got NoneType")
case("net-population", lambda: sl.Runner(sl.LIF(3)), r"Runner: net must be a spikeloom Network, got LIF")
for name, dt in [("nan", np.nan), ("inf", np.inf), ("negative", -0.1), ("zero", 0.0), ("str", "0.1"), ("none", None),
                 ("complex", 0.1 + 0j), ("bool", True), ("list", [0.1])]:
    case(f"dt-{name}", lambda dt=dt: runner(dt=dt), r"Runner: dt must be")
case("dt-voltage", lambda: runner(dt=0.1 * units().mV), r"Runner: dt.*expects a quantity in ms", UnitError)
for name, seed in [("negative", -1), ("fraction", 1.5), ("above-32-bit", 2**32), ("str", "1"), ("nan", np.nan),
                   ("bool", True), ("none", None)]:
    case(f"seed-{name}", lambda seed=seed: runner(seed=seed), r"Runner: seed must be")
for name, precision in [("float16", "float16"), ("none", None), ("int", 32), ("upper", "FLOAT32")]:
    case(f"precision-{name}", lambda p=precision: runner(precision=p), r"Runner: precision must be one of")
case("progress-str", lambda: runner(progress="yes"), r"Runner: progress must be one of \[None, True, False\]")
case("progress-int", lambda: runner(progress=1), r"Runner: progress must be one of")
case("parallel-str", lambda: runner(parallel="auto"), r"Runner: parallel must be one of")
case("engine-unknown", lambda: runner(engine="gpu"), r"unknown engine 'gpu'.*'cpu', 'jax'", EngineError)
case("engine-none", lambda: runner(engine=None), r"unknown engine None", EngineError)
case("event-capacity-cpu", lambda: runner(event_capacity=10), r"event_capacity.*engine='jax' only", EngineError)
for name, cap in [("zero", 0), ("fraction", 2.5), ("str", "10"), ("negative", -4)]:
    case(f"event-capacity-{name}", lambda cap=cap: runner(engine="jax", event_capacity=cap),
         r"Runner: event_capacity must be")

# ---- monitors ---------------------------------------------------------------------------------------------
for name, monitors, match in [
    ("int", [42], r"monitor 42: expected 'pop.variable'"),
    ("none-entry", [None], r"monitor None: expected"),
    ("not-a-list", 42, r"Runner: monitors must be a list"),
    ("dict", {"E": "V"}, r"Runner: monitors must be a list"),
    ("no-dot", ["EV"], r"monitor 'EV': expected 'population.variable'"),
    ("unknown-owner", ["Q.V"], r"monitor 'Q.V': no population or projection named 'Q'"),
    ("unknown-variable", ["E.U"], r"monitor 'E.U': 'E' has no variable 'U'"),
    ("unknown-synapse-variable", ["E2I.x"], r"monitor 'E2I.x': synapse of 'E2I' has no variable 'x'"),
    ("four-entries", [("E.V", [0], 2, 9)], r"monitor .*expected"),
    ("indices-str", [("E.V", "x")], r"monitor 'E.V': indices must be integers"),
    ("indices-float", [("E.V", [0.5, 1.0])], r"monitor 'E.V': indices must be integers"),
    ("indices-bool", [("E.V", [True, False, True, False, True])], r"monitor 'E.V': indices .*boolean mask"),
    ("indices-duplicate", [("E.V", [0, 2, 0])], r"monitor 'E.V': indices must be distinct; 0 appears 2 times"),
    ("indices-too-large", [("E.V", [5])], r"monitor 'E.V': indices must be in \[0, 5\), got 5"),
    ("indices-negative", [("E.V", [-1])], r"monitor 'E.V': indices must be in \[0, 5\), got -1"),
    ("indices-2d", [("E.V", [[0, 1]])], r"monitor 'E.V': indices must be a flat list"),
    ("indices-ragged", [("E.V", [[0], [1, 2]])], r"monitor 'E.V': indices must be a flat list"),
    ("every-zero", [("E.V", None, 0)], r"monitor 'E.V': every must be an integer >= 1"),
    ("every-negative", [("E.V", [0], -2)], r"monitor 'E.V': every must be an integer >= 1"),
    ("every-fraction", [("E.V", [0], 1.5)], r"monitor 'E.V': every must be a whole number"),
    ("every-str", [("E.V", [0], "2")], r"monitor 'E.V': every must be a number"),
    ("twice", ["E.V", ("E.V", [0])], r"monitor 'E.V' is given twice"),
    ("spike-twice", ["E.spike", "E.spike"], r"monitor 'E.spike' is given twice"),
    ("spike-indices", [("E.spike", [0, 1])], r"monitor 'E.spike': a spike monitor records the whole population"),
]:
    case(f"monitor-{name}", lambda m=monitors: runner(monitors=m), match)

# ---- inputs, at construction and per run --------------------------------------------------------------------
for name, value, match in [
    ("str", "abc", r"input of population 'E': current must be a number, got str"),
    ("nan", np.nan, r"input of population 'E': current must be finite"),
    ("inf-element", np.array([0, 0, np.inf, 0, 0]), r"input of population 'E': current must be finite.*index 2"),
    ("wrong-shape", np.ones(4), r"input of population 'E': a value must be a scalar or have shape \(5,\)"),
    ("2d", np.ones((5, 2)), r"input of population 'E': a value must be a scalar or have shape \(5,\)"),
    ("complex", 1 + 2j, r"input of population 'E': current must hold real numbers, got complex"),
    ("none", None, r"input of population 'E': current must be a number, got NoneType"),
    ("mixed-list", [1, "a", 2, 3, 4], r"input of population 'E': current must hold real numbers, got strings"),
    ("timed-wrong-width", sl.TimedArray(np.ones((3, 4))), r"input of population 'E': TimedArray values .*\(K, 5\)"),
    ("timed-step-not-multiple", sl.TimedArray([1.0, 2.0], step_ms=0.15),
     r"input of population 'E': TimedArray step_ms = 0.15 ms is not a whole number of steps"),
    ("sections-not-multiple", sl.Sections([(1.0, 0.05), (2.0, 1.0)]),
     r"input of population 'E': Sections part 0 duration = 0.05 ms is not a whole number"),
    ("sections-wrong-width", sl.Sections([(np.ones(4), 1.0)]), r"input of population 'E': .*shape \(5,\)"),
]:
    case(f"inputs-{name}", lambda v=value: runner(inputs={"E": v}), match)
    case(f"run-inputs-{name}", lambda v=value: runner().run(1.0, inputs={"E": v}), match)
case("inputs-voltage", lambda: runner(inputs={"E": 5 * units().mV}), r"input of population 'E'.*pA", UnitError)
case("inputs-unknown-population", lambda: runner(inputs={"X": 1.0}), r"Runner: input target 'X' is not a population")
case("inputs-key-not-str", lambda: runner(inputs={3: 1.0}), r"Runner: input target 3 is not a population")
case("inputs-projection", lambda: runner(inputs={"E2I": 1.0}), r"input target 'E2I' is not a population")
case("inputs-list", lambda: runner(inputs=[1.0]), r"Runner: inputs must be a dict population name -> current")
case("run-inputs-number", lambda: runner().run(1.0, inputs=5.0), r"Runner.run: inputs must be a dict")
case("run-inputs-unknown", lambda: runner().run(1.0, inputs={"X": 1.0}), r"Runner.run: input target 'X'")

# ---- run(duration) ----------------------------------------------------------------------------------------
for name, duration, match in [
    ("nan", np.nan, r"Runner.run: duration must be finite and > 0 ms, got nan"),
    ("inf", np.inf, r"Runner.run: duration must be finite and > 0 ms, got inf"),
    ("negative", -5.0, r"Runner.run: duration must be finite and > 0 ms, got -5"),
    ("zero", 0, r"Runner.run: duration must be finite and > 0 ms, got 0"),
    ("str", "100", r"Runner.run: duration must be a number, got str"),
    ("complex", 10 + 1j, r"Runner.run: duration must be a real number"),
    ("list", [100.0], r"Runner.run: duration must be a real number"),
    ("missing", None, r"Runner.run: duration is missing"),
    ("not-a-multiple", 0.05, r"Runner.run: duration = 0.05 ms is not a whole number of steps of dt = 0.1 ms"),
    ("not-a-multiple-long", 100.04, r"Runner.run: duration = 100.04 ms is not a whole number of steps"),
]:
    case(f"run-duration-{name}", lambda d=duration: runner().run(d), match)
case("run-duration-voltage", lambda: runner().run(100 * units().mV), r"duration.*expects a quantity in ms", UnitError)
case("run-too-long-for-memory", lambda: runner(monitors=["E.V", "E.spike"]).run(1e12),
     r"Runner.run: a run of 1e\+12 ms .* needs .* per-step spike counts .*state monitors .*shorter pieces",
     ResourceError)
case("run-astronomically-long", lambda: runner().run(1e300), r"Runner.run: a run of 1e\+300 ms .*needs", ResourceError)
case("run-jax-beyond-int32-steps", lambda: jax_runner().run(3e8),
     r"Runner.run: the JAX engine counts steps in 32-bit integers")

# ---- runner["pop.var"] --------------------------------------------------------------------------------------
for name, key, match in [("unknown-population", "X.V", r"runner\['X.V'\]: no population or projection named 'X'"),
                         ("unknown-variable", "E.U", r"runner\['E.U'\]: population 'E' has no variable 'U'"),
                         ("no-dot", "EV", r"runner\['EV'\]: expected 'population.variable'"),
                         ("not-str", 3, r"runner\[3\]: expected 'population.variable'")]:
    case(f"getitem-{name}", lambda k=key: runner()[k], match, UnknownKeyError)

# ---- Sections and TimedArray --------------------------------------------------------------------------------
for name, parts, match in [
    ("flat-list", [1.0, 2.0], r"Sections: part 0 must be a pair \(value pA, duration ms\), got 1.0"),
    ("empty", [], r"Sections: parts is empty"),
    ("str", "abc", r"Sections: parts must be a list"),
    ("number", 5, r"Sections: parts must be a list"),
    ("triple", [(1.0, 1.0, 2.0)], r"Sections: part 0 must be a pair"),
    ("negative-duration", [(1.0, 1.0), (2.0, -1.0)], r"Sections part 1: duration must be finite and >= 0 ms"),
    ("nan-duration", [(1.0, np.nan)], r"Sections part 0: duration must be finite and >= 0 ms"),
    ("nan-value", [(np.nan, 1.0)], r"Sections part 0: value must be finite"),
    ("inf-duration", [(1.0, np.inf)], r"Sections part 0: duration must be finite"),
    ("str-value", [("a", 1.0)], r"Sections part 0: value must be a number"),
    ("complex-value", [(1 + 1j, 1.0)], r"Sections part 0: value must hold real numbers, got complex"),
    ("2d-value", [(np.ones((2, 2)), 1.0)], r"Sections part 0: value must be a scalar or one value per neuron"),
]:
    case(f"sections-{name}", lambda p=parts: sl.Sections(p), match)
case("sections-voltage", lambda: sl.Sections([(1 * units().mV, 1.0)]), r"Sections part 0: value.*pA", UnitError)
case("sections-duration-current", lambda: sl.Sections([(1.0, 1 * units().pA)]), r"Sections part 0: duration.*ms",
     UnitError)
for name, kw, match in [
    ("str", dict(values="abc"), r"TimedArray: values must be a number, got str 'abc'"),
    ("str-list", dict(values=["a", "b"]), r"TimedArray: values must hold real numbers, got strings"),
    ("empty", dict(values=[]), r"TimedArray: values must have shape \(K,\) or \(K, neurons\) with K >= 1"),
    ("scalar", dict(values=5.0), r"TimedArray: values must have shape \(K,\)"),
    ("3d", dict(values=np.ones((2, 2, 2))), r"TimedArray: values must have shape \(K,\)"),
    ("nan", dict(values=[1.0, np.nan]), r"TimedArray: values must be finite, got nan at flat index 1"),
    ("complex", dict(values=[1j]), r"TimedArray: values must hold real numbers, got complex"),
    ("step-zero", dict(values=[1.0], step_ms=0.0), r"TimedArray: step_ms must be finite and > 0 ms"),
    ("step-negative", dict(values=[1.0], step_ms=-1.0), r"TimedArray: step_ms must be finite and > 0 ms"),
    ("step-nan", dict(values=[1.0], step_ms=np.nan), r"TimedArray: step_ms must be finite and > 0 ms"),
    ("step-str", dict(values=[1.0], step_ms="1"), r"TimedArray: step_ms must be a number"),
]:
    case(f"timed-array-{name}", lambda kw=kw: sl.TimedArray(**kw), match)
case("timed-array-voltage", lambda: sl.TimedArray(np.ones(3) * units().mV), r"TimedArray: values.*pA", UnitError)


# ---- result files -----------------------------------------------------------------------------------------
def read_file(data: bytes | None, name: str = "r.h5"):
    """``Result.from_hdf5`` of a file holding ``data`` (or of a folder, for None) in a fresh folder."""
    import pathlib

    folder = pathlib.Path(tempfile.mkdtemp(prefix="spikeloom-bad-"))
    path = folder / name
    path.mkdir() if data is None else path.write_bytes(data)
    return sl.Result.from_hdf5(path)


def foreign_hdf5():
    import h5py

    folder = tempfile.mkdtemp(prefix="spikeloom-bad-")
    with h5py.File(f"{folder}/other.h5", "w") as f:
        f["x"] = np.arange(3)
    return sl.Result.from_hdf5(f"{folder}/other.h5")


def tiny_result():
    res = sl.Result(dt=0.1, t_start=0.0, n_steps=4)
    res.spike_counts["E"], res.sizes["E"] = np.zeros(4, np.int32), 5
    return res


case("from-hdf5-missing", lambda: sl.Result.from_hdf5("/nonexistent/results.h5"),
     r"Result.from_hdf5: '/nonexistent/results.h5' does not exist")
case("from-hdf5-folder", lambda: read_file(None), r"Result.from_hdf5: '.*r.h5' is not a file")
case("from-hdf5-garbage", lambda: read_file(b"not hdf5 at all" * 10), r"Result.from_hdf5: '.*r.h5' is not an HDF5")
case("from-hdf5-empty", lambda: read_file(b""), r"Result.from_hdf5: '.*r.h5' is not an HDF5 file")
case("from-hdf5-foreign", foreign_hdf5, r"Result.from_hdf5: '.*other.h5' is not a spikeloom result")
case("to-hdf5-append-mode", lambda: tiny_result().to_hdf5(tempfile.mkdtemp() + "/r.h5", mode="a"),
     r"Result.to_hdf5: mode must be 'w' \(replace\) or 'x'")
case("to-hdf5-missing-folder", lambda: tiny_result().to_hdf5("/nonexistent/folder/r.h5"),
     r"Result.to_hdf5: cannot write '/nonexistent/folder/r.h5'")
case("result-unknown-trace", lambda: tiny_result()["E.V"], r"result: 'E.V' was not monitored", UnknownKeyError)
case("result-rate-unknown-population", lambda: tiny_result().mean_rate("X"), r"result: no population named 'X'",
     UnknownKeyError)
case("result-rate-window-negative", lambda: tiny_result().rate("E", window_ms=-1.0),
     r"Result.rate: window_ms must be finite and in \[0, 0.4\] ms")
case("result-mean-rate-t-from-nan", lambda: tiny_result().mean_rate("E", t_from=np.nan),
     r"Result.mean_rate: t_from must be finite")


# ---- event-driven runner ----------------------------------------------------------------------------------------
def channels():
    syn = sl.Exponential(tau=5.0)
    return {"exc": InputChannel(syn, sl.COBA(E=0.0)), "inh": InputChannel(syn, sl.COBA(E=-80.0))}


def event_driven(n=2, **kw):
    args = dict(neuron=sl.Izhikevich(n, init={"v": -80.0, "u": 0.0}), channels=channels(),
                source_channel=["exc", "exc", "inh"], source_weight=0.5, rates=[5.0, 5.0, 5.0])
    args.update(kw)
    return EventDrivenNeurons(**args)


for name, kw, match in [
    ("neuron-none", dict(neuron=None), r"EventDrivenNeurons: neuron must be a neuron population"),
    ("channels-list", dict(channels=[1]), r"EventDrivenNeurons: channels must be a non-empty dict"),
    ("channels-empty", dict(channels={}), r"EventDrivenNeurons: channels must be a non-empty dict"),
    ("channels-not-channel", dict(channels={"exc": 5}), r"EventDrivenNeurons: channels must be a non-empty dict"),
    ("source-channel-str", dict(source_channel="exc"), r"EventDrivenNeurons: source_channel must be a list"),
    ("source-channel-unknown", dict(source_channel=["exc", "nmda", None]),
     r"EventDrivenNeurons: source_channel names unknown channel\(s\) \['nmda'\]"),
    ("source-weight-nan", dict(source_weight=np.nan), r"EventDrivenNeurons: source_weight must be finite"),
    ("source-weight-shape", dict(source_weight=[1.0, 2.0]), r"EventDrivenNeurons: source_weight must have shape"),
    ("source-weight-str", dict(source_weight="1"), r"EventDrivenNeurons: source_weight must be a number"),
    ("rates-negative", dict(rates=[5.0, -1.0, 5.0]), r"EventDrivenNeurons: rates must be >= 0 Hz"),
    ("rates-shape", dict(rates=[5.0, 5.0]), r"EventDrivenNeurons: rates must have shape \(3,\) or \(2, 3\)"),
    ("seeds-negative", dict(seeds=-1), r"EventDrivenNeurons: seeds must be integers in \[0, 2\*\*32 - 1\]"),
    ("seeds-fraction", dict(seeds=1.5), r"EventDrivenNeurons: seeds must be integers"),
    ("seeds-shape", dict(seeds=[1, 2, 3]), r"EventDrivenNeurons: seeds must have shape \(\) or \(2,\)"),
    ("seed-init-negative", dict(seed_init=-3), r"EventDrivenNeurons: seed_init must be an integer >= 0"),
    ("spikes-not-input-spikes", dict(spikes=[5, 6]), r"EventDrivenNeurons: spikes must be one InputSpikes or a list"),
    ("spikes-wrong-count", dict(spikes=[InputSpikes([1.0], [0])]), r"spikes must be one InputSpikes or a list of 2"),
    ("spikes-unknown-source", dict(spikes=InputSpikes([1.0], [7])),
     r"EventDrivenNeurons: spikes of neuron 0: input spike from source 7, but there are 3 sources"),
]:
    case(f"event-driven-{name}", lambda kw=kw: event_driven(**kw), match)
for name, kw, match, error in [
    ("duration-nan", dict(duration=np.nan), r"EventDrivenNeurons.run: duration must be finite", ModelDefinitionError),
    ("duration-negative", dict(duration=-1.0), r"EventDrivenNeurons.run: duration must be finite and >= 0 ms",
     ModelDefinitionError),
    ("sample-dt-zero", dict(duration=10.0, sample_dt=0.0), r"EventDrivenNeurons.run: sample_dt must be finite and > 0",
     ModelDefinitionError),
    ("spike-capacity-zero", dict(duration=10.0, spike_capacity=0),
     r"EventDrivenNeurons.run: spike_capacity must be an integer >= 1", ModelDefinitionError),
    ("options-wrong-type", dict(duration=10.0, options={"atol": 1e-3}),
     r"EventDrivenNeurons.run: options must be an AdaptiveOptions", ModelDefinitionError),
    ("engine-unknown", dict(duration=10.0, engine="gpu"), r"EventDrivenNeurons.run: unknown engine 'gpu'", EngineError),
    ("record-inputs-str", dict(duration=10.0, record_inputs="yes"), r"EventDrivenNeurons.run: record_inputs must be",
     ModelDefinitionError),
    ("too-long-for-memory", dict(duration=1e12, sample_dt=0.1),
     r"EventDrivenNeurons.run: a run of 1e\+12 ms of 2 neurons needs .*trace samples", ResourceError),
]:
    case(f"event-driven-run-{name}", lambda kw=kw: event_driven().run(**kw), match, error)
case("input-channel-synapse", lambda: InputChannel(5, sl.COBA(E=0.0)), r"InputChannel: synapse must be a synapse")
case("input-channel-output", lambda: InputChannel(sl.Exponential(tau=5.0), "COBA"), r"InputChannel: output must be")
case("input-spikes-times-str", lambda: InputSpikes("abc", [0]), r"InputSpikes: times must be a number, got str")
case("input-spikes-times-negative", lambda: InputSpikes([1.0, -2.0], [0, 0]), r"InputSpikes: times must be finite "
     r"and >= 0 ms, got -2 \(spike 1\)")
case("input-spikes-sources-float", lambda: InputSpikes([1.0], [0.5]), r"InputSpikes: sources must be non-negative")
case("input-spikes-lengths", lambda: InputSpikes([1.0, 2.0], [0]), r"InputSpikes: times \(2,\) and sources \(1,\)")
case("lognormal-mean-negative", lambda: LogNormalRates(mean=-1.0), r"LogNormalRates: mean must be finite and > 0 Hz")
case("lognormal-sigma-nan", lambda: LogNormalRates(sigma=np.nan), r"LogNormalRates: sigma must be finite")
