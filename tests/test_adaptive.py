"""Event-driven adaptive integration: exact spike times against scipy, events, inputs, batches, units, errors."""

import json

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import solve_ivp

import spikeloom as sl
from spikeloom._errors import ModelDefinitionError, UnitError
from spikeloom.cli import main as cli_main
from spikeloom.inputs.spike_inputs import InputSpikes, LogNormalRates
from spikeloom.integrators.adaptive import AdaptiveOptions
from spikeloom.models.izhikevich_poisson import IzhikevichPoisson
from spikeloom.run.event_driven import EventDrivenNeurons, InputChannel

TAU, E_EXC, E_INH = 7.0, 0.0, -65.0
TIGHT = AdaptiveOptions(atol=1e-10, rtol=1e-10)


def izhikevich(n=1):
    return sl.Izhikevich(n, init={"v": -80.0, "u": 0.0})


def channels():
    syn = sl.Exponential(tau=TAU)
    return {"exc": InputChannel(syn, sl.COBA(E=E_EXC)), "inh": InputChannel(syn, sl.COBA(E=E_INH))}


# three sources: two excitatory, one inhibitory (nS per spike)
SOURCES = (["exc", "exc", "inh"], [20.0, 8.0, 5.0])


def simulate(times, sources, duration, options=TIGHT, **kw):
    sim = EventDrivenNeurons(izhikevich(), channels(), *SOURCES, spikes=InputSpikes(times, sources))
    return sim.run(duration, options, parallel=False, **kw)


def reference(times, sources, duration, sample=None):
    """solve_ivp (DOP853, rtol 1e-10) on (v, u, g_exc, g_inh), restarted at every input, threshold by event location.

    Returns spike times and, if ``sample`` (times) is given, v at those times."""
    p = sl.Izhikevich(1).params

    def rhs(t, y):
        v, u, ge, gi = y
        I = ge * (E_EXC - v) + gi * (E_INH - v)
        return [(p["k"] * (v - p["v_r"]) * (v - p["v_t"]) - u + I) / p["C"], p["a"] * (p["b"] * (v - p["v_r"]) - u),
                -ge / TAU, -gi / TAU]

    def peak(t, y):
        return y[0] - p["v_peak"]

    peak.terminal, peak.direction = True, 1
    channel = {"exc": 2, "inh": 3}
    y, t, spikes, v_at = np.array([-80.0, 0.0, 0.0, 0.0]), 0.0, [], {}
    for stop in list(np.unique(times)) + [duration]:
        while t < stop:
            sol = solve_ivp(rhs, (t, stop), y, events=peak, rtol=1e-10, atol=1e-10, method="DOP853",
                            dense_output=True)
            end = sol.t_events[0][0] if sol.status == 1 else stop
            if sample is not None:
                upper = end if end < duration else np.inf
                for s in sample[(sample >= t) & (sample < upper)]:
                    v_at[s] = sol.sol(s)[0]
            if sol.status == 1:
                y = sol.y_events[0][0].copy()
                y[0], y[1] = p["c"], y[1] + p["d"]
                spikes.append(end)
            else:
                y = sol.y[:, -1].copy()
            t = end
        for tt, s in zip(times, sources):
            if tt == stop:
                y[channel[SOURCES[0][s]]] += SOURCES[1][s]
    v = None if sample is None else np.array([v_at.get(s, np.nan) for s in sample])
    return np.array(spikes), v


TIMES = np.array([5.0, 10.0, 10.0, 12.0, 30.0, 31.0, 32.5, 60.0, 61.0, 61.0, 61.0])
SRC = np.array([0, 0, 2, 1, 0, 2, 0, 0, 1, 1, 1])


def test_spike_times_match_solve_ivp_within_1e_6_ms():
    got = simulate(TIMES, SRC, 100.0).spike_times()
    ref, _ = reference(TIMES, SRC, 100.0)
    assert ref.size >= 4
    assert got.size == ref.size
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)


def test_voltage_between_events_matches_within_the_requested_tolerance():
    atol = 1e-4  # mV (u gets the same number in pA); rtol 0: absolute tolerances only
    res = simulate(TIMES, SRC, 100.0, options=AdaptiveOptions(atol=atol, rtol=0.0), sample_dt=0.05)
    _, v_ref = reference(TIMES, SRC, 100.0, sample=res.trace_times)
    err = np.abs(res.traces["v"][0] - v_ref)
    # below v_t the dynamics contract and the error stays within the tolerance; in an upswing (v > v_t, runaway
    # towards v_peak) any error grows, in the reference as much as here, and the spike time is the measure there
    below = v_ref < sl.Izhikevich(1).params["v_t"]
    assert below.sum() > 1000
    assert err[below].max() < atol, err[below].max()
    # a looser tolerance gives a visibly larger error: the tolerance is what controls it
    loose = simulate(TIMES, SRC, 100.0, options=AdaptiveOptions(atol=1.0, rtol=0.0, dtmax=5.0), sample_dt=0.05)
    assert np.abs(loose.traces["v"][0] - v_ref)[below].max() > 10 * err[below].max()


def test_threshold_crossing_between_two_inputs_is_found():
    # one strong input at 5 ms drives a spike long before the next input at 80 ms; dtmax is far larger
    times, src = np.array([5.0, 5.0, 5.0, 80.0]), np.array([0, 0, 0, 2])
    res = simulate(times, src, 100.0, options=AdaptiveOptions(atol=1e-10, rtol=1e-10, dtmax=100.0))
    ref, _ = reference(times, src, 100.0)
    got = res.spike_times()
    assert ref.size >= 1 and 5.0 < ref[0] < 80.0
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    # the reset was applied at the crossing: u jumped by d and v restarted from c
    assert res.steps_accepted[0] > 10


def test_simultaneous_inputs_are_all_applied():
    # three spikes of source 1 (8 nS) at one time act like 24 nS at once; recorded one by one
    three = simulate(np.array([10.0, 10.0, 10.0]), np.array([1, 1, 1]), 60.0, record_inputs=True)
    assert three.input_times[0].tolist() == [10.0, 10.0, 10.0]
    sim = EventDrivenNeurons(izhikevich(), channels(), ["exc"], [24.0], spikes=InputSpikes([10.0], [0]))
    one = sim.run(60.0, TIGHT, parallel=False)
    assert three.spike_times().size >= 1
    np.testing.assert_allclose(three.spike_times(), one.spike_times(), atol=1e-9)
    np.testing.assert_allclose(three.final_state["v"], one.final_state["v"], atol=1e-7)
    ref, _ = reference(np.array([10.0, 10.0, 10.0]), np.array([1, 1, 1]), 60.0)
    np.testing.assert_allclose(three.spike_times(), ref, atol=1e-6)


def test_fixed_step_integrator_converges_to_the_exact_spike_times():
    exact = simulate(TIMES, SRC, 100.0).spike_times()
    errors = []
    for dt in (0.02, 0.005, 0.00125):
        net = sl.Network(N=sl.Izhikevich(1, method="rk4", init={"v": -80.0, "u": 0.0}))
        for s, (ch, w) in enumerate(zip(*SOURCES)):
            # one generator neuron per spike: a generator neuron's spikes within one step count once
            k = int((SRC == s).sum())
            gen = sl.SpikeGeneratorGroup(k, TIMES[SRC == s], np.arange(k))
            setattr(net, f"G{s}", gen)
            setattr(net, f"P{s}", sl.Projection(gen, net.N, sl.AllToAll(), w, synapse=sl.Exponential(tau=TAU),
                                                output=sl.COBA(E=E_EXC if ch == "exc" else E_INH)))
        res = sl.Runner(net, dt=dt, monitors=["N.spike"], precision="float64").run(100.0)
        got = res.spikes["N"].times
        assert got.size == exact.size
        errors.append(np.abs(got - exact).max())
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.01 and errors[0] > 5 * errors[2]  # first order: inputs and spikes sit on the dt grid


def test_poisson_inputs_have_the_drawn_rates_and_exponential_intervals():
    rates = np.array([50.0, 150.0, 0.0, 300.0])
    sim = EventDrivenNeurons(izhikevich(), channels(), ["exc", "inh", "exc", None], [0.0, 0.0, 0.0, 0.0],
                             rates=rates, seeds=7)
    res = sim.run(20_000.0, AdaptiveOptions(atol=1e-3, rtol=1e-3), record_inputs=True, parallel=False)
    t, src = res.input_times[0], res.input_sources[0]
    counts = np.bincount(src, minlength=4)
    expected = rates * 20.0
    assert counts[2] == 0 and counts[3] == 0  # rate 0; unconnected sources change nothing and are not applied
    assert np.all(np.abs(counts[:2] - expected[:2]) < 5 * np.sqrt(expected[:2]))
    assert np.all(np.diff(t) > 0)
    intervals = np.diff(t) * 1e-3 * (rates[0] + rates[1])
    assert stats.kstest(intervals, "expon").pvalue > 1e-3


def test_lognormal_rates_have_the_seed_mean_and_log_variance():
    dist = LogNormalRates(4.0, np.sqrt(0.6))
    r = dist.sample(200_000, np.random.default_rng(1))
    assert r.mean() == pytest.approx(4.0, rel=0.02)
    assert np.log(r).var() == pytest.approx(0.6, rel=0.02)
    assert r.var() == pytest.approx(dist.variance, rel=0.05)
    with pytest.raises(ModelDefinitionError, match="mean"):
        LogNormalRates(-1.0, 0.5)


def test_batch_in_one_call_equals_neurons_run_one_by_one():
    seeds = [3, 4, 5]
    d = np.array([100.0, 50.0, 150.0])
    batch = IzhikevichPoisson(1000, seeds=seeds, d=d).run(300.0, parallel=True)
    for i, s in enumerate(seeds):
        alone = IzhikevichPoisson(1000, seeds=s, d=d[i]).run(300.0)
        assert alone.spike_times().size > 0
        np.testing.assert_array_equal(batch.spike_times(i), alone.spike_times())
        assert batch.steps_accepted[i] == alone.steps_accepted[0]


def test_units_are_converted_and_checked():
    u = pytest.importorskip("brainunit")
    plain = IzhikevichPoisson(50)
    with_units = IzhikevichPoisson(50, C=100 * u.pF, k=0.7 * u.nS / u.mV, a=0.03 / u.ms, b=-2 * u.nS, d=100 * u.pA,
                                   tau_s=7 * u.ms, dg_exc=0.1 * u.nS, E_inh=-65 * u.mV, rate_mean=4 * u.Hz)
    assert with_units.params == plain.params
    with pytest.raises(UnitError, match="'IzhikevichPoisson.d' expects a quantity in pA"):
        IzhikevichPoisson(50, d=100 * u.mV)
    with pytest.raises(UnitError, match="nS/mV"):
        IzhikevichPoisson(50, k=0.7 * u.nS)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="dtmin <= dtmax"):
        AdaptiveOptions(dtmin=1.0, dtmax=0.5).per_variable(("v", "u"))
    with pytest.raises(ValueError, match="must name each ODE variable"):
        AdaptiveOptions(atol={"v": 1e-3}).per_variable(("v", "u"))
    with pytest.raises(ValueError, match="unknown channel"):
        EventDrivenNeurons(izhikevich(), channels(), ["exc", "nmda"], 1.0)
    with pytest.raises(ValueError, match="counted in time steps"):
        EventDrivenNeurons(sl.LIF(1), channels(), ["exc"], 1.0).run(10.0)
    with pytest.raises(ValueError, match="times must be finite"):
        InputSpikes([1.0, -2.0], [0, 0])
    with pytest.raises(ValueError, match="n_exc"):
        IzhikevichPoisson(-5)


def test_cli_writes_inputs_spikes_plot_and_json(tmp_path, capsys):
    code = cli_main(["run", "izhikevich-poisson", "--n-exc", "1000", "--duration", "300", "--seed", "2",
                     "--out", str(tmp_path)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("spikes", "rate_hz", "n_steps_accepted", "n_steps_rejected", "compile_s", "run_s"):
        assert key in summary
    spikes = np.load(tmp_path / "spikes.npz")["times_ms"]
    inputs = np.load(tmp_path / "inputs.npz")
    assert spikes.size == summary["spikes"] > 0
    assert summary["rate_hz"] == pytest.approx(spikes.size / 0.3)
    assert set(np.unique(inputs["kind"])) == {0, 1}
    assert np.all(inputs["kind"] == (inputs["source"] >= 1000).astype(int))
    assert np.all(np.diff(inputs["times_ms"]) >= 0) and inputs["times_ms"].max() < 300.0
    # 1000 exc + 250 inh inputs at a mean of 4 Hz for 0.3 s: about 1500 input spikes
    assert 1000 < inputs["times_ms"].size < 2000
    assert (tmp_path / "voltage.png").stat().st_size > 10_000


def test_jax_engine_matches_scipy_and_the_cpu_engine():
    pytest.importorskip("jax")
    sim = EventDrivenNeurons(izhikevich(), channels(), *SOURCES, spikes=InputSpikes(TIMES, SRC))
    got = sim.run(100.0, TIGHT, engine="jax", record_inputs=True).spike_times()  # one compiled variant
    ref, _ = reference(TIMES, SRC, 100.0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    # a vmapped batch with lazily drawn Poisson inputs: the same input spikes and steps as the CPU engine
    model = IzhikevichPoisson(1000, seeds=[0, 1])
    on_jax = model.run(300.0, engine="jax", record_inputs=True)
    on_cpu = model.run(300.0, record_inputs=True)
    for i in range(2):
        np.testing.assert_array_equal(on_jax.input_sources[i], on_cpu.input_sources[i])
        np.testing.assert_allclose(on_jax.spike_times(i), on_cpu.spike_times(i), atol=1e-8)
    np.testing.assert_array_equal(on_jax.steps_accepted, on_cpu.steps_accepted)
