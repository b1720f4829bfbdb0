"""Plastic projections: STDP window, interactions, weight dependence and bounds against their analytic form;
triplet STDP's frequency dependence (Pfister & Gerstner 2006); Tsodyks-Markram amplitudes; a user-written rule;
float32 against float64; every stored connector; monitors and weight access."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import spikeloom as sl
from spikeloom._errors import ModelDefinitionError
from spikeloom.core.params import Param
from spikeloom.network.build import build_plan, stored_connections

DT = 0.1
DELAY = 1.0


class Pairing(sl.Network):
    """``pre`` generators -> plastic ``P`` -> ``post`` LIFs (tiny CUBA weights: no effect on the post spikes),
    which spike exactly at ``post_times`` (each a list per post neuron), driven by ``teach`` through 100 mV
    jumps. ``conn`` connects pre to post."""

    def __init__(self, rule, pre_times, pre_idx, n_pre, post_times, conn, w0=0.5, delay=DELAY):
        super().__init__()
        t_idx = np.concatenate([np.full(len(t), j) for j, t in enumerate(post_times)]).astype(int)
        t_times = np.concatenate([np.asarray(t, float) for t in post_times]) - DT  # felt one step later
        self.pre = sl.SpikeGeneratorGroup(n_pre, pre_times, pre_idx)
        self.teach = sl.SpikeGeneratorGroup(len(post_times), t_times, t_idx)
        self.post = sl.LIF(len(post_times), tau_ref=0.0)
        self.P = sl.Projection(self.pre, self.post, conn, weight=w0, delay=delay, synapse=sl.Exponential(),
                               output=sl.CUBA(), plasticity=rule)
        self.T = sl.Projection(self.teach, self.post, sl.OneToOne(), weight=100.0, synapse=sl.Delta())


def _run(net, duration, precision="float64", monitors=("post.spike",)):
    runner = sl.Runner(net, dt=DT, precision=precision, monitors=list(monitors))
    return runner, runner.run(duration)


def _window(delta, A_plus=0.01, A_minus=0.0105, tau_plus=20.0, tau_minus=20.0):
    """The additive pair window, ``delta = t_post - t_arrival`` (0 counts as post before pre)."""
    return np.where(delta > 0, A_plus * np.exp(-delta / tau_plus), -A_minus * np.exp(delta / tau_minus))


def _one_pair_each(rule, precision="float64", w0=0.5):
    """Synapse k: one presynaptic spike arriving ``delta_k`` before the single postsynaptic spike at 150 ms."""
    deltas = np.arange(-100.0, 101.0, 1.0)
    t_post = 150.0
    net = Pairing(rule, t_post - deltas - DELAY, np.arange(deltas.size), deltas.size, [[t_post]], sl.AllToAll(), w0)
    runner, res = _run(net, 300.0, precision)
    assert np.array_equal(res.spikes["post"].times, [t_post])
    return deltas, runner.connections("P").weight.toarray()[:, 0] - w0, runner


def test_stdp_window_equals_analytic_curve():
    deltas, dw, _ = _one_pair_each(sl.STDP())
    np.testing.assert_allclose(dw, _window(deltas), rtol=1e-12, atol=1e-15)
    # the delay is axonal: a presynaptic spike at the postsynaptic spike's time arrives DELAY later (depression),
    # one DELAY earlier arrives with it (delta = 0: post before pre, depression of A_minus)
    assert dw[deltas == 0.0][0] == pytest.approx(-0.0105, rel=1e-14)
    assert dw[deltas == -DELAY][0] == pytest.approx(-0.0105 * np.exp(-DELAY / 20.0), rel=1e-12)


def test_long_intervals_beyond_the_decay_table():
    """Pairs 300 ms apart read the CPU engine's table of trace decay factors (4096 steps), pairs 600 ms apart
    the rule's own decay: both on the analytic window."""
    deltas, t_post, taus = np.array([-600.0, -300.0, 300.0, 600.0]), 700.0, dict(tau_plus=300.0, tau_minus=250.0)
    net = Pairing(sl.STDP(**taus), t_post - deltas - DELAY, np.arange(4), 4, [[t_post]], sl.AllToAll())
    runner, res = _run(net, 1400.0)
    assert np.array_equal(res.spikes["post"].times, [t_post])
    dw = runner.connections("P").weight.toarray()[:, 0] - 0.5
    np.testing.assert_allclose(dw, _window(deltas, **taus), rtol=1e-12)


def test_float32_follows_float64():
    deltas, dw, _ = _one_pair_each(sl.STDP(), "float32")
    np.testing.assert_allclose(dw, _window(deltas), atol=2e-7)


def test_weight_dependence_and_bounds():
    x0 = 0.5
    deltas, dw, _ = _one_pair_each(sl.STDP(weight_dependence="multiplicative"))
    np.testing.assert_allclose(dw, np.where(deltas > 0, 1.0, x0) * _window(deltas), rtol=1e-12, atol=1e-15)
    deltas, dw, _ = _one_pair_each(sl.STDP(weight_dependence="power_law", mu_plus=0.3, mu_minus=0.7))
    dep = np.where(deltas > 0, (1 - x0) ** 0.3, x0 ** 0.7)
    np.testing.assert_allclose(dw, dep * _window(deltas), rtol=1e-12, atol=1e-15)
    # hard bounds: amplitudes larger than the room left are clipped at w_min and w_max
    deltas, dw, _ = _one_pair_each(sl.STDP(A_plus=0.8, A_minus=0.8), w0=0.5)
    np.testing.assert_allclose(dw + 0.5, np.clip(0.5 + _window(deltas, 0.8, 0.8), 0.0, 1.0), rtol=1e-12)
    assert (dw + 0.5).max() == 1.0 and (dw + 0.5).min() == 0.0


def _pair_sum(pre, post, nearest):
    """Additive STDP of one synapse from its arrival and postsynaptic times, pair by pair: every pair
    (all-to-all), or each post with the latest earlier arrival and each arrival with the latest post at or
    before it (nearest)."""
    pre, post = np.asarray(pre), np.asarray(post)
    if not nearest:
        return float(_window(post[None, :] - pre[:, None]).sum())
    total = 0.0
    for tp in post:
        before = pre[pre < tp]
        total += float(_window(tp - before.max())) if before.size else 0.0
    for ta in pre:
        before = post[post <= ta]
        total += float(_window(before.max() - ta)) if before.size else 0.0
    return total


def test_nearest_and_all_to_all_interactions():
    rng = np.random.default_rng(3)
    n = 12
    post = [60.0, 75.0, 130.0]
    arrivals = [np.round(rng.uniform(20.0, 170.0, 4), 1) for _ in range(n)]
    times = np.concatenate(arrivals) - DELAY
    idx = np.repeat(np.arange(n), 4)
    for interaction in ("all", "nearest"):
        net = Pairing(sl.STDP(interaction=interaction), times, idx, n, [post], sl.AllToAll())
        runner, res = _run(net, 200.0)
        dw = runner.connections("P").weight.toarray()[:, 0] - 0.5
        want = [_pair_sum(a, post, interaction == "nearest") for a in arrivals]
        np.testing.assert_allclose(dw, want, rtol=1e-11, atol=1e-15)


def _triplet_reference(pre, post, p):
    """Weight change of the triplet rule (all-to-all) from its trace sums: each trace just before an event is
    the sum of exp(-age / tau) over the earlier spikes of its side (arrivals at a postsynaptic time are later)."""
    def trace(times, t, tau, strict=True):
        past = times[times < t] if strict else times[times <= t]
        return np.exp(-(t - past) / tau).sum()

    dw = 0.0
    for t in pre:  # depression at arrivals: postsynaptic spikes at or before t count
        dw -= trace(post, t, p["tau_minus"], False) * (p["A2_minus"] + p["A3_minus"] * trace(pre, t, p["tau_x"]))
    for t in post:  # potentiation at postsynaptic spikes: arrivals strictly before t count
        dw += trace(pre, t, p["tau_plus"]) * (p["A2_plus"] + p["A3_plus"] * trace(post, t, p["tau_y"]))
    return dw


def test_triplet_frequency_dependence_visual_cortex():
    """60 pairs at 1-50 Hz, post 10 ms after or before pre: Pfister & Gerstner's visual-cortex fit."""
    rates, n_pairs = [1.0, 10.0, 20.0, 40.0, 50.0], 60
    conds = [(rate, lag) for rate in rates for lag in (10.0, -10.0)]
    arrivals, posts = [], []
    for rate, lag in conds:
        start = 20.0 + max(0.0, -lag)
        a = np.round(start + 1000.0 / rate * np.arange(n_pairs), 1)
        arrivals.append(a)
        posts.append(np.round(a + lag, 1))
    rule = sl.TripletSTDP(w_max=10.0)
    times = np.concatenate(arrivals) - DELAY
    idx = np.repeat(np.arange(len(conds)), n_pairs)
    net = Pairing(rule, times, idx, len(conds), posts, sl.OneToOne(), w0=1.0)
    runner, res = _run(net, max(p[-1] for p in posts) + 5.0)
    assert res.spikes["post"].counts().tolist() == [n_pairs] * len(conds)
    dw = runner.connections("P").weight.diagonal() - 1.0
    want = [_triplet_reference(a, p, rule.params) for a, p in zip(arrivals, posts)]
    np.testing.assert_allclose(dw, want, rtol=1e-10, atol=1e-14)
    plus, minus = dw[0::2], dw[1::2]
    assert np.all(np.diff(plus) > 0)  # potentiation grows with frequency
    assert minus[0] < 0 < minus[-1]  # depression at 1 Hz turns into potentiation at 50 Hz


def _tm_amplitudes(U, tau_rec, tau_facil, interval, n, w):
    """Tsodyks-Markram amplitudes of a regular train, from the recurrence between spikes."""
    u, x, out = 0.0, 1.0, []
    for k in range(n):
        if k:
            u *= np.exp(-interval / tau_facil) if tau_facil > 0 else 0.0
            x = 1.0 - (1.0 - x) * np.exp(-interval / tau_rec)
        u = u + U * (1.0 - u)
        out.append(w * u * x)
        x *= 1.0 - u
    return np.array(out)


class Train(sl.Network):
    def __init__(self, rule, times):
        super().__init__()
        self.pre = sl.SpikeGeneratorGroup(1, times, np.zeros(len(times), int))
        self.post = sl.LIF(1, V_th=1e9)
        self.P = sl.Projection(self.pre, self.post, sl.AllToAll(), weight=2.0, synapse=sl.Exponential(tau=1e12),
                               output=sl.CUBA(), plasticity=rule)


@pytest.mark.parametrize("params", [dict(U=0.5, tau_rec=800.0, tau_facil=0.0),
                                    dict(U=0.1, tau_rec=100.0, tau_facil=1000.0)])
def test_tsodyks_markram_amplitudes(params):
    interval, n = 50.0, 10
    times = 10.0 + interval * np.arange(n)
    runner = sl.Runner(Train(sl.TsodyksMarkram(**params), times), dt=DT, precision="float64", monitors=["P.g"])
    g = runner.run(times[-1] + 5.0).traces["P.g"][:, 0]
    jumps = np.diff(np.concatenate([[0.0], g]))
    amplitudes = jumps[np.abs(jumps) > 1e-9]  # g barely decays (tau 1e12 ms): its jumps are the amplitudes
    want = _tm_amplitudes(**params, interval=interval, n=n, w=2.0)
    np.testing.assert_allclose(amplitudes, want, rtol=1e-9)
    if params["tau_facil"] == 0.0:
        e = np.exp(-interval / params["tau_rec"])
        steady = 2.0 * params["U"] * (1 - e) / (1 - (1 - params["U"]) * e)
        assert amplitudes[-1] == pytest.approx(steady, rel=0.02)  # close to the closed-form steady state
    else:
        assert amplitudes[1] > amplitudes[0]  # facilitation


class CountAndTrack(sl.PlasticityRule):
    """A user rule: counts its events and moves w by eta times the postsynaptic V at each arrival."""

    parameters = {"eta": Param(1e-4, "1")}
    state = {"n_pre": 0.0, "n_post": 0.0}

    @staticmethod
    def decay(xp):
        def f(w, n_pre, n_post):
            return w, n_pre, n_post

        return f

    @staticmethod
    def on_pre(xp):
        def f(w, n_pre, n_post, eta, post_V):
            return w + eta * post_V, n_pre + 1.0, n_post, w

        return f

    @staticmethod
    def on_post(xp):
        def f(w, n_pre, n_post):
            return w, n_pre, n_post + 1.0

        return f


def test_user_rule_reads_neuron_state():
    n = 5
    times = np.arange(10.0, 90.0, 7.0)
    idx = np.arange(times.size) % n
    post = [30.0, 65.0]
    net = Pairing(CountAndTrack(eta=1e-4), times, idx, n, [post], sl.AllToAll(), w0=0.5)
    runner = sl.Runner(net, dt=DT, precision="float64", monitors=["post.V", ("P.n_pre", None, 1000),
                                                                  ("P.n_post", None, 1000)])
    res = runner.run(100.0)
    assert res.traces["P.n_pre"][-1].tolist() == np.bincount(idx, minlength=n).tolist()
    assert res.traces["P.n_post"][-1].tolist() == [2.0] * n
    # an arrival at the start of step s reads V at the end of step s - 1
    V = res.traces["post.V"][:, 0]
    steps = np.round((times + DELAY) / DT).astype(int)
    want = 0.5 + 1e-4 * np.bincount(idx, weights=V[steps - 1], minlength=n)
    np.testing.assert_allclose(runner.connections("P").weight.toarray()[:, 0], want, rtol=1e-13)


class ReadsNeuronState(sl.PlasticityRule):
    """A rule whose ``on_pre`` reads ``post_u`` and uses ``eta``."""

    parameters = {"eta": Param(1e-3, "1")}

    @staticmethod
    def on_pre(xp):
        def f(w, eta, post_u, gain):
            return w, w + eta * post_u * gain

        return f


def test_rule_arguments_checked_when_the_plan_is_built():
    net = sl.Network(A=sl.LIF(3), B=sl.LIF(3))
    net.P = sl.Projection(net.A, net.B, sl.AllToAll(), weight=0.5, plasticity=ReadsNeuronState())
    with pytest.raises(ModelDefinitionError, match=r"projection 'P': ReadsNeuronState.on_pre argument 'post_u': "
                                                   r"the postsynaptic population 'B' has no state variable 'u'"):
        build_plan(net, DT, 0)
    net.B = sl.Izhikevich(3)  # has u: now the unknown name is gain
    net.P = sl.Projection(net.A, net.B, sl.AllToAll(), weight=0.5, plasticity=ReadsNeuronState())
    with pytest.raises(ModelDefinitionError, match=r"ReadsNeuronState.on_pre argument 'gain' is none of \['w'\], "
                                                   r"the parameters \['eta'\], pre_<var> or post_<var>"):
        build_plan(net, DT, 0)


def test_monitors_connections_and_set_weights():
    deltas = np.arange(-40.0, 41.0, 5.0)
    net = Pairing(sl.STDP(), 100.0 - deltas - DELAY, np.arange(deltas.size), deltas.size, [[100.0]], sl.AllToAll())
    edges = np.linspace(0.0, 1.0, 21)
    runner = sl.Runner(net, dt=DT, precision="float64",
                       monitors=[("P.w", [0, 5, 9], 10), ("P.w", sl.Histogram(edges), 500)])
    res = runner.run(200.0)
    w = runner.connections("P").weight
    assert res.traces["P.w"].shape == (200, 3)
    np.testing.assert_array_equal(res.traces["P.w"][-1], w.data[[0, 5, 9]])
    np.testing.assert_array_equal(res.trace_times["P.w"][:2], [1.0, 2.0])
    assert res.histograms["P.w"].shape == (4, 20)
    np.testing.assert_array_equal(res.histograms["P.w"][-1], np.histogram(w.data, edges)[0])
    np.testing.assert_array_equal(res.histogram_times["P.w"], [50.0, 100.0, 150.0, 200.0])
    np.testing.assert_array_equal(res.histogram_edges["P.w"], edges)
    # weights set between runs: read back, and the next run starts from them
    new = np.linspace(0.1, 0.9, deltas.size)
    runner.set_weights("P", new)
    np.testing.assert_array_equal(runner.connections("P").weight.data, new)
    runner.set_weights("P", sp.csr_array((new[::-1], w.indices, w.indptr), shape=w.shape))
    np.testing.assert_array_equal(runner.connections("P").weight.data, new[::-1])
    res = runner.run(10.0)
    np.testing.assert_array_equal(res.traces["P.w"][-1], new[::-1][[0, 5, 9]])  # no spikes in 200-210 ms
    with pytest.raises(ModelDefinitionError, match=r"set_weights\('P'\): values in \[-0.9, -0.1\] reach outside \[w_min, w_max\]"):
        runner.set_weights("P", -new)
    with pytest.raises(ModelDefinitionError, match="sparsity"):
        runner.set_weights("P", sp.csr_array(np.ones((deltas.size, 1))[:3], shape=(3, 1)))
    with pytest.raises(ModelDefinitionError, match="no plasticity"):
        runner.set_weights("T", new)


CONNECTORS = [sl.FixedProb(0.3), sl.FixedInDegree(4), sl.FixedOutDegree(3), sl.FixedTotalNumber(40),
              sl.AllToAll(), sl.OneToOne(),
              sl.FromList(np.array([0, 3, 7, 7]), np.array([1, 2, 5, 5])),
              sl.FromSparse(sp.random(12, 12, density=0.3, random_state=1, format="csr"))]


@pytest.mark.parametrize("conn", CONNECTORS, ids=lambda c: type(c).__name__)
def test_every_stored_connector_and_random_delays(conn):
    """A plastic projection holds the same synapses, weights and delays as the static one of the same name."""
    nets = []
    for rule in (None, sl.STDP(w_max=5.0)):
        net = sl.Network(A=sl.LIF(12), B=sl.LIF(12))
        net.P = sl.Projection(net.A, net.B, conn, weight=sl.Uniform(0.5, 2.0), delay=sl.Uniform(0.5, 3.0),
                              plasticity=rule)
        nets.append(stored_connections(build_plan(net, DT, 7, np.float64), "P"))
    (w0, d0), (w1, d1) = nets
    assert w0.nnz > 0
    np.testing.assert_array_equal(w1.toarray(), w0.toarray())
    np.testing.assert_array_equal(d1.toarray(), d0.toarray())
    assert len(np.unique(d1.data)) > 1


def test_procedural_refused():
    net = sl.Network(A=sl.LIF(10), B=sl.LIF(10))
    with pytest.raises(ModelDefinitionError, match="plasticity needs stored connectivity"):
        sl.Projection(net.A, net.B, sl.ProceduralProb(0.1), weight=1.0, plasticity=sl.STDP())
