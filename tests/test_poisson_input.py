"""Poisson input per target neuron (PoissonInput, PoissonGenerator): the delivered counts follow Poisson(mu) for
small and large means (mean, Fano factor, the whole law against scipy), are independent across neurons and steps,
arrive with the stated delay and weight, and are identical on both engines (float32 and float64)."""

import json
import math
import pathlib
import sys

import numba
import numpy as np
import pytest
import scipy.stats

import spikeloom as sl
from conftest import compare_in_fresh_process
from spikeloom.core.random import POISSON_INVERSION_MAX_MEAN, make_poisson, poisson_table, ptrs_constants
from spikeloom.engines.numba import mathlib
from spikeloom.network.poisson_plan import input_stream

HERE = pathlib.Path(__file__).resolve()
DT = 0.1
#: mean count per step -> delay (ms) of its input in the statistics network
MEANS = {0.01: 0.0, 1.6: 0.2, 50.0: 0.5, 1000.0: 0.0}
N, STEPS = 1000, 1000
TAU_SYN = 2.0


def _rate(mean: float, n_sources: int = 1) -> float:
    """Rate (Hz) of each source for ``mean`` spikes per step and target neuron."""
    return mean / (n_sources * DT * 1e-3)


def _stats_network() -> sl.Network:
    """One IafPscExp population per mean (no spikes: the threshold is out of reach), each driven through its
    ``I_ex`` by one Poisson input of weight 1 pA; ``Z`` gets rate 0."""
    net = sl.Network()
    for k, (mean, delay) in enumerate(MEANS.items()):
        pop = sl.IafPscExp(N, V_th=1e9, tau_syn_ex=TAU_SYN)
        setattr(net, f"P{k}", pop)
        if k % 2:
            inp = sl.PoissonGenerator(pop, _rate(mean), 1.0, synapse=sl.IafPscExp.excitatory(), delay=delay)
        else:  # the same mean from 40 sources
            inp = sl.PoissonInput(pop, 40, _rate(mean, 40), 1.0, synapse=sl.IafPscExp.excitatory(), delay=delay)
        setattr(net, f"in{k}", inp)
    net.Z = sl.IafPscExp(10, V_th=1e9)
    net.zero = sl.PoissonGenerator(net.Z, 0.0, 1.0, synapse=sl.IafPscExp.excitatory())
    return net


def delivered_counts(I: np.ndarray) -> np.ndarray:
    """Counts added to ``I_ex`` (weight 1 pA) at the start of each step, from its end-of-step samples:
    ``I_s = (I_{s-1} + k_s) P11``."""
    prev = np.vstack([np.zeros((1, I.shape[1])), I[:-1]])
    k = I / math.exp(-DT / TAU_SYN) - prev
    assert np.abs(k - np.round(k)).max() < 1e-6  # whole jumps of the weight, nothing else
    return np.round(k).astype(np.int64)


@pytest.fixture(scope="module")
def stats():
    monitors = [f"P{k}.I_ex" for k in range(len(MEANS))] + ["Z.I_ex"]
    r = sl.Runner(_stats_network(), dt=DT, seed=11, precision="float64", monitors=monitors, progress=False)
    res = r.run(STEPS * DT)
    out = {mean: delivered_counts(res.traces[f"P{k}.I_ex"]) for k, mean in enumerate(MEANS)}
    out["zero"] = res.traces["Z.I_ex"]
    return out


def _settled(counts: np.ndarray, mean: float) -> np.ndarray:
    """The counts from the first step that receives input on (see test_delay_shifts_the_first_delivery)."""
    return counts[1 + round(MEANS[mean] / DT):]


@pytest.mark.parametrize("mean", list(MEANS))
def test_mean_and_fano_factor(stats, mean):
    k = _settled(stats[mean], mean)
    n = k.size
    assert abs(k.mean() - mean) < 5 * math.sqrt(mean / n)
    # variance of a sample variance of a Poisson law: (mu + 2 mu^2) / n, relative to mu^2
    assert abs(k.var() / k.mean() - 1.0) < 5 * math.sqrt((2.0 + 1.0 / mean) / n)


def _chi_square(k: np.ndarray, mean: float) -> float:
    """p-value of the counts against Poisson(mean); bins of consecutive counts expect at least 20 each (the
    last one takes the tail)."""
    lows, lo, acc = [], 0, 0.0
    for j in range(int(k.max()) + 1):
        acc += scipy.stats.poisson.pmf(j, mean) * k.size
        if acc >= 20:
            lows.append(lo)
            lo, acc = j + 1, 0.0
    lows = np.asarray(lows)
    expected = k.size * np.diff(np.append(scipy.stats.poisson.cdf(lows - 1, mean), 1.0))
    observed = np.bincount(np.searchsorted(lows, k, side="right") - 1, minlength=lows.size)
    assert lows.size >= 2
    return scipy.stats.chisquare(observed, expected).pvalue


@pytest.mark.parametrize("mean", list(MEANS))
def test_counts_follow_the_poisson_law(stats, mean):
    assert _chi_square(_settled(stats[mean], mean).ravel(), mean) > 1e-3


@pytest.mark.parametrize("mean", [1.6, 50.0])
def test_counts_independent_across_neurons_and_steps(stats, mean):
    k = _settled(stats[mean], mean).astype(np.float64)
    T = k.shape[0]
    r = np.corrcoef(k.T)[np.triu_indices(k.shape[1], 1)]  # every pair of neurons
    assert abs(r.mean()) < 5 / math.sqrt(r.size * T)
    assert np.abs(r).max() < 6 / math.sqrt(T)
    z = (k - k.mean(axis=0)) / k.std(axis=0)
    lag1 = np.mean(z[1:] * z[:-1])  # pooled over neurons
    assert abs(lag1) < 5 / math.sqrt(z.size)


def test_delay_shifts_the_first_delivery(stats):
    # the counts of step s reach the neurons at the start of step s + 1 + delay / dt
    for mean in (50.0, 1000.0):  # no neuron draws 0 at these means
        first = 1 + round(MEANS[mean] / DT)
        k = stats[mean]
        assert not k[:first].any()
        assert (k[first] > 0).all()


def test_rate_zero_delivers_nothing(stats):
    assert not np.any(stats["zero"])


# ---- delivery: the synapse state is the analytic sum of weight x count ----------------------------------------

_P = make_poisson(mathlib)
_key, _uniform52, _ptrs = _P.key, _P.uniform52, _P.ptrs_count


@numba.njit
def _uniforms(seed, stream, steps, n):
    out = np.zeros((steps, n))
    for s in range(steps):
        for j in range(n):
            out[s, j] = _uniform52(_key(seed, stream, s, j), s, j, 0)
    return out


@numba.njit
def _ptrs_counts(seed, stream, steps, n, mean, log_mean, a, b, inv_alpha, vr):
    out = np.zeros((steps, n))
    for s in range(steps):
        for j in range(n):
            out[s, j] = _ptrs(seed, stream, s, j, mean, log_mean, a, b, inv_alpha, vr)
    return out


def host_counts(name: str, seed: int, mean: float, steps: int, n: int) -> np.ndarray:
    """The counts input ``name`` draws for steps ``0 .. steps - 1`` and neurons ``0 .. n - 1``: by inversion, the
    number of table entries below each uniform (a search on the host, independent of the engine's blocked
    passes), else PTRS."""
    stream = input_stream(name)
    if mean < POISSON_INVERSION_MAX_MEAN:
        cdf = poisson_table(mean)
        return np.searchsorted(cdf, _uniforms(seed, stream, steps, n) * cdf[-1], side="left").astype(float)
    c = ptrs_constants(mean)
    return _ptrs_counts(seed, stream, steps, n, mean, c["log_mean"], c["a"], c["b"], c["inv_alpha"], c["vr"])


@pytest.mark.parametrize("mean", [1.6, 30.0])
def test_synapse_state_is_the_sum_of_weight_times_count(mean):
    n_src, w, tau, delay, steps = 25, 0.3, 5.0, 0.4, 300
    net = sl.Network()
    net.L = sl.LIF(20, V_th=1e9)
    net.bg = sl.PoissonInput(net.L, n_src, _rate(mean, n_src), w, synapse=sl.Exponential(tau=tau), output=sl.CUBA(),
                             delay=delay)
    r = sl.Runner(net, dt=DT, seed=5, precision="float64", monitors=["bg.g"], progress=False)
    g = r.run(steps * DT).traces["bg.g"]
    k = host_counts("bg", 5, mean, steps, 20)
    offset = 1 + round(delay / DT)  # counts of step s arrive in step s + offset
    decay = math.exp(-DT / tau)
    expected = np.zeros_like(g)
    for s in range(offset, steps):
        # the jump lands at the start of step s; the sample is taken at its end, after one step of decay
        expected[s:] += w * k[s - offset] * decay ** (np.arange(steps - s) + 1)[:, None]
    np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)


def test_custom_update_calls_the_input_like_a_projection():
    class Net(sl.Network):
        def __init__(self, call: bool):
            self.L = sl.LIF(50, V_th=-60.0)
            self.bg = sl.PoissonGenerator(self.L, 20000.0, 1.0, output=sl.CUBA(), synapse=sl.Exponential(tau=2.0))
            self.call = call

        def update(self):
            if self.call:
                self.bg()
            self.L()

    driven = sl.Runner(Net(True), dt=DT, seed=2, monitors=["L.spike"], progress=False).run(100.0)
    silent = sl.Runner(Net(False), dt=DT, seed=2, monitors=["L.spike"], progress=False).run(100.0)
    assert len(driven.spikes["L"]) > 100
    assert len(silent.spikes["L"]) == 0


def test_connections_refused_for_an_input():
    net = sl.Network(L=sl.LIF(3))
    net.bg = sl.PoissonGenerator(net.L, 10.0, 1.0, output=sl.CUBA())
    with pytest.raises(sl.ModelDefinitionError, match="'bg'.*Poisson input has no synapses"):
        sl.Runner(net, dt=DT).connections("bg")


# ---- both engines ----------------------------------------------------------------------------------------------

def _engine_network() -> sl.Network:
    """IafPscExp E/I driven by PoissonGenerators (a PTRS mean and inversion means) and a LIF population driven
    by Poisson inputs through Exponential + CUBA, with recurrent projections."""
    net = sl.Network()
    net.E = sl.IafPscExp(120, tau_syn_ex=0.5)
    net.I = sl.IafPscExp(30)
    net.L = sl.LIF(60, tau=20.0, V_rest=-65.0, V_th=-50.0, V_reset=-65.0, R=0.1)
    net.bgE = sl.PoissonGenerator(net.E, 150000.0, 15.0, synapse=sl.IafPscExp.excitatory(), delay=0.1)
    net.bgI = sl.PoissonGenerator(net.I, 8000.0, 40.0, synapse=sl.IafPscExp.excitatory())
    net.bgL = sl.PoissonInput(net.L, 800, 20.0, 30.0, synapse=sl.Exponential(tau=5.0), output=sl.CUBA(), delay=0.3)
    # inputs sharing a segment with those above: their rows add to the same slots, in order
    net.inhE = sl.PoissonGenerator(net.E, 3000.0, -10.0, synapse=sl.IafPscExp.excitatory())
    net.inhL = sl.PoissonGenerator(net.L, 500.0, -20.0, synapse=sl.Exponential(tau=5.0), output=sl.CUBA())
    net.EI = sl.Projection(net.E, net.I, sl.FixedProb(0.1), 30.0, synapse=sl.IafPscExp.excitatory(), delay=0.5)
    net.IE = sl.Projection(net.I, net.E, sl.FixedProb(0.2), -60.0, synapse=sl.IafPscExp.inhibitory(), delay=0.5)
    return net


def _compare_in_this_process() -> dict:
    report = {}
    for precision in ("float32", "float64"):
        res = {}
        for engine in ("cpu", "jax"):
            r = sl.Runner(_engine_network(), dt=DT, seed=4, engine=engine, precision=precision, progress=False,
                          monitors=["E.spike", "I.spike", "L.spike", ("E.I_ex", [0, 5]), ("bgL.g", [1, 2])])
            res[engine] = r.run(200.0)
        a, b = res["cpu"], res["jax"]
        problems = [pop for pop in a.spikes
                    if not (np.array_equal(a.spikes[pop].times, b.spikes[pop].times)
                            and np.array_equal(a.spikes[pop].indices, b.spikes[pop].indices))]
        problems += [key for key in a.traces if not np.array_equal(a.traces[key], b.traces[key])]
        report[precision] = problems
        report[f"{precision}_spikes"] = {pop: len(s) for pop, s in a.spikes.items()}
    return report


@pytest.fixture(scope="module")
def comparison():
    return compare_in_fresh_process(HERE)


@pytest.mark.slow  # a fresh process compiles both engines for both precisions (about 50 s from a cold cache)
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_identical_on_both_engines(comparison, precision):
    assert min(comparison[f"{precision}_spikes"].values()) > 100
    assert comparison[precision] == []


# ---- NEST (optional: NEST is not installed in CI) ---------------------------------------------------------------

NEST_SETUP = dict(n=1000, rate=8000.0, weight=25.0, duration=2000.0)  # iaf_psc_exp defaults: about 33 Hz


def spikeloom_rate(n, rate, weight, duration, seed=1) -> float:
    net = sl.Network()
    net.E = sl.IafPscExp(n)
    net.bg = sl.PoissonGenerator(net.E, rate, weight, synapse=sl.IafPscExp.excitatory(), delay=1.0)
    res = sl.Runner(net, dt=DT, seed=seed, precision="float64", monitors=["E.spike"], progress=False).run(duration)
    return len(res.spikes["E"]) / n / (duration * 1e-3)


def nest_rate(n, rate, weight, duration, seed=1) -> float:
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": DT, "rng_seed": seed})
    pop = nest.Create("iaf_psc_exp", n)
    gen = nest.Create("poisson_generator", params={"rate": rate})
    rec = nest.Create("spike_recorder")
    nest.Connect(gen, pop, syn_spec={"weight": weight, "delay": 1.0})
    nest.Connect(pop, rec)
    nest.Simulate(duration)
    return rec.n_events / n / (duration * 1e-3)


def test_mean_rate_matches_nest():
    pytest.importorskip("nest")
    ours, theirs = spikeloom_rate(**NEST_SETUP), nest_rate(**NEST_SETUP)
    assert theirs > 5.0
    assert abs(ours - theirs) < 0.03 * theirs


if __name__ == "__main__" and sys.argv[1:] == ["compare"]:
    print(json.dumps(_compare_in_this_process()))
