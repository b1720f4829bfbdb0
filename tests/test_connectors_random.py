"""FixedTotalNumber statistics, random delays and weights on stored connectivity, delay rules, and reading the
built synapses back with ``Runner.connections``."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

import spikeloom as sl
from spikeloom.network.build import stable_seed


def _pair_counts(conn, n_pre, n_post, seed, same=False):
    """Dense (n_pre, n_post) synapse counts of one build of ``conn``."""
    csr = conn.build(n_pre, n_post, np.random.default_rng(seed), same)
    assert csr.col.dtype == np.int32 and csr.rowptr[-1] == csr.nnz
    return np.bincount(csr.rows() * n_post + csr.col, minlength=n_pre * n_post).reshape(n_pre, n_post)


def _runner(conn, n_pre=4, n_post=5, same=False, seed=0, precision="float64", **kw):
    net = sl.Network()
    net.a = sl.LIF(n_pre)
    net.b = net.a if same else sl.LIF(n_post)
    net.P = sl.Projection(net.a, net.b, conn, kw.pop("weight", 1.0), output=sl.CUBA(), **kw)
    return sl.Runner(net, dt=kw.pop("dt", 0.1), seed=seed, precision=precision)


# ---- FixedTotalNumber -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_total_number_with_multapses_is_multinomial_over_pairs(seed):
    n_pre, n_post, n = 20, 25, 10_000
    counts = _pair_counts(sl.FixedTotalNumber(n), n_pre, n_post, seed)
    assert counts.sum() == n
    expected = n / counts.size
    # each pair's count is Binomial(n, 1/N): chi-square over the N pairs, and the variance of the counts
    assert stats.chisquare(counts.ravel()).pvalue > 1e-3
    assert counts.var() == pytest.approx(n / counts.size * (1 - 1 / counts.size), rel=0.2)
    assert counts.mean() == pytest.approx(expected)
    assert counts.max() > 1  # multapses happen at 16 synapses per pair


def test_fixed_total_number_without_self_connections_never_touches_the_diagonal():
    n, total = 15, 4_000
    counts = _pair_counts(sl.FixedTotalNumber(total, allow_self=False), n, n, 3, same=True)
    assert counts.sum() == total and np.trace(counts) == 0
    off = counts[~np.eye(n, dtype=bool)]
    assert stats.chisquare(off).pvalue > 1e-3
    # allow_self applies only within one population
    assert np.trace(_pair_counts(sl.FixedTotalNumber(total, allow_self=False), n, n, 3, same=False)) > 0


@pytest.mark.parametrize("n", [30, 150])  # below and above half of the 200 pairs (the complement is drawn)
def test_fixed_total_number_without_multapses_is_a_uniform_set_of_distinct_pairs(n):
    n_pre, n_post, builds = 10, 20, 400
    hits = np.zeros((n_pre, n_post))
    for seed in range(builds):
        counts = _pair_counts(sl.FixedTotalNumber(n, multapses=False), n_pre, n_post, seed)
        assert counts.sum() == n and counts.max() == 1
        hits += counts
    # every pair is included with probability n / N
    assert stats.chisquare(hits.ravel()).pvalue > 1e-3
    assert hits.mean() == pytest.approx(builds * n / (n_pre * n_post))


def test_fixed_total_number_distinct_all_pairs_without_self():
    counts = _pair_counts(sl.FixedTotalNumber(12, allow_self=False, multapses=False), 4, 4, 0, same=True)
    np.testing.assert_array_equal(counts, 1 - np.eye(4, dtype=int))


def test_fixed_total_number_in_a_network_builds_exactly_n_synapses():
    w, _ = _runner(sl.FixedTotalNumber(37, multapses=False), n_pre=6, n_post=7).connections("P")
    assert w.nnz == 37 and w.toarray().max() == 1.0


# ---- laws and functions of the synapse indices ----------------------------------------------------------------
def test_lognormal_mean_and_std_and_nest_parameters():
    law = sl.LogNormal(2.0, 0.5)
    x = law(200_000, np.random.default_rng(0))
    assert x.min() > 0 and x.mean() == pytest.approx(2.0, rel=0.01) and x.std() == pytest.approx(0.5, rel=0.02)
    mu, sigma = 0.3, 0.4
    nest = sl.LogNormal.from_log(mu, sigma)
    assert nest.log_params() == pytest.approx((mu, sigma))
    y = np.log(nest(200_000, np.random.default_rng(1)))
    assert y.mean() == pytest.approx(mu, abs=0.005) and y.std() == pytest.approx(sigma, rel=0.01)


def test_lognormal_weights_are_drawn_per_synapse():
    w, _ = _runner(sl.FixedTotalNumber(20_000), n_pre=100, n_post=100, weight=sl.LogNormal(0.5, 0.2)).connections("P")
    assert w.data.min() > 0
    assert w.data.mean() == pytest.approx(0.5, rel=0.02) and w.data.std() == pytest.approx(0.2, rel=0.05)


def test_weight_and_delay_functions_of_the_indices():
    w, d = _runner(sl.AllToAll(), weight=lambda i, j: 0.5 * i - j, delay=lambda i, j: 0.1 * (1 + (i + j) % 3)
                   ).connections("P")
    i, j = np.indices((4, 5))
    np.testing.assert_array_equal(w.toarray(), 0.5 * i - j)
    np.testing.assert_allclose(d.toarray(), 0.1 * (1 + (i + j) % 3), rtol=1e-12)


# ---- delay rules -------------------------------------------------------------------------------------------------
def _rule(values, dt=0.1, **rule):
    return sl.DelayRule(**rule).steps(np.array(values, dtype=float), dt, "test", lambda i: f"synapse {i}")


def test_nearest_rounding_is_floor_of_half_up():
    assert _rule([0.14, 0.16, 0.349, 0.351, 1.0, 2.06], dt=0.1).tolist() == [1, 2, 3, 4, 10, 21]
    # the same delays on the grid pass the exact rule; off the grid they are refused
    assert _rule([0.1, 0.3, 2.0], rounding="exact", below_dt="keep").tolist() == [1, 3, 20]
    with pytest.raises(sl.ModelDefinitionError, match="not a multiple of dt"):
        _rule([0.14], rounding="exact")


def test_below_dt_error_keep_and_clip():
    with pytest.raises(sl.ModelDefinitionError, match=r"delay 0.04 ms of synapse 1 is below dt = 0.1 ms \(2 of 3"):
        _rule([0.3, 0.04, 0.09])
    assert _rule([0.3, 0.04, 0.0], below_dt="keep").tolist() == [3, 0, 0]
    raw = np.random.default_rng(0).normal(0.2, 0.2, 10_000)
    steps = _rule(raw, below_dt="clip")
    assert np.all(steps[raw < 0.1] == 1)
    np.testing.assert_array_equal(steps[raw >= 0.1], np.floor(raw[raw >= 0.1] / 0.1 + 0.5))


def test_min_steps_moves_the_threshold_to_half_a_step():
    """NEST's microcircuit rule: delays below 0.5 dt are redrawn (or clipped / refused), the rest round to nearest."""
    values = [0.3, 0.06, 0.051, 0.149]
    assert _rule(values, min_steps=0.5).tolist() == [3, 1, 1, 1]
    with pytest.raises(sl.ModelDefinitionError, match=r"delay 0.04 ms of synapse 1 is below 0.5 x dt = 0.05 ms"):
        _rule([0.3, 0.04], min_steps=0.5)
    clipped = sl.DelayRule(below_dt="clip", min_steps=0.5).steps(np.array([0.01, 0.2]), 0.1, "test", str)
    assert clipped.tolist() == [1, 2]
    law, dt = sl.Normal(0.1, 0.1), 0.1
    values = law(20_000, np.random.default_rng(2))
    steps = sl.DelayRule(below_dt="redraw", min_steps=0.5).steps(values, dt, "test", str, law,
                                                                   np.random.default_rng(3))
    assert values.min() >= 0.05 * (1 - 1e-9) and steps.min() == 1
    truncated = stats.truncnorm((0.05 - 0.1) / 0.1, np.inf, loc=0.1, scale=0.1)
    assert stats.kstest(values, truncated.cdf).pvalue > 1e-3


def test_redraw_keeps_the_shape_of_the_law_above_dt():
    law, dt = sl.Normal(0.3, 0.3), 0.1
    values = law(50_000, np.random.default_rng(4))
    below = values < dt
    assert below.mean() > 0.2
    kept = values[~below].copy()
    steps = sl.DelayRule(below_dt="redraw").steps(values, dt, "test", str, law, np.random.default_rng(5))
    assert values.min() >= dt and steps.min() >= 1
    np.testing.assert_array_equal(values[~below], kept)  # only the values below dt are drawn again
    truncated = stats.truncnorm((dt - 0.3) / 0.3, np.inf, loc=0.3, scale=0.3)
    assert stats.kstest(values, truncated.cdf).pvalue > 1e-3
    assert stats.kstest(values[below], truncated.cdf).pvalue > 1e-3


def test_random_delays_in_a_network_follow_the_rule_and_are_reproducible():
    kw = dict(conn=sl.FixedProb(0.2), n_pre=60, n_post=60, weight=sl.Normal(1.0, 0.1))
    law = sl.Normal(1.5, 0.75)
    runs = [_runner(delay=law, delay_rule=sl.DelayRule(below_dt="redraw"), seed=s, **kw).connections("P")
            for s in (7, 7, 8)]
    (w1, d1), (w2, d2), (_, d3) = runs
    assert d1.data.min() >= 0.1 and d1.data.mean() == pytest.approx(1.5, abs=0.1)
    np.testing.assert_allclose(d1.data / 0.1, np.round(d1.data / 0.1), atol=1e-9)  # on the grid
    np.testing.assert_array_equal(d1.data, d2.data)
    np.testing.assert_array_equal(w1.data, w2.data)
    assert d3.nnz != d1.nnz or np.any(d3.data != d1.data)
    # delays come from a stream of their own: the connectivity and weights do not depend on them
    fixed_w, _ = _runner(delay=1.0, seed=7, **kw).connections("P")
    np.testing.assert_array_equal((fixed_w != w1).nnz, 0)


def test_default_rule_for_a_law_refuses_delays_below_dt_as_nest_does():
    with pytest.raises(sl.ModelDefinitionError, match=r"projection 'P': delay .* is below dt = 0.1 ms"):
        _runner(sl.AllToAll(), delay=sl.Normal(0.3, 0.3))
    _, d = _runner(sl.AllToAll(), delay=sl.Normal(0.3, 0.3), delay_rule=sl.DelayRule(below_dt="clip")).connections("P")
    assert d.data.min() == pytest.approx(0.1)


# ---- reading the synapses back ------------------------------------------------------------------------------------
def test_connections_round_trip_equals_from_list_input():
    rng = np.random.default_rng(2)
    m = 300
    pre, post = rng.integers(0, 30, m), rng.integers(0, 20, m)
    weight, delay = rng.normal(0.0, 2.0, m), 0.1 * rng.integers(0, 25, m)
    w, d = _runner(sl.FromList(pre, post, weight, delay), n_pre=30, n_post=20, weight=None).connections("P")
    assert w.shape == d.shape == (30, 20) and w.nnz == m
    np.testing.assert_array_equal(w.indptr, d.indptr)
    np.testing.assert_array_equal(w.indices, d.indices)
    rows = np.repeat(np.arange(30), np.diff(w.indptr))
    got = sorted(zip(rows, w.indices, w.data, np.round(d.data / 0.1)))
    want = sorted(zip(pre, post, weight, np.round(delay / 0.1)))
    assert got == want  # exact weights (float64 run, w_scale 1) and steps, multapses included
    np.testing.assert_allclose(d.data, np.round(d.data / 0.1) * 0.1, rtol=0, atol=1e-12)


def test_connections_undo_the_synapse_weight_scale_and_read_scalar_weights():
    # Alpha folds w_scale = e / tau into the stored weights; a second projection of another population shares
    # the group and its read offsets
    net = sl.Network()
    net.a, net.c, net.b = sl.LIF(3), sl.LIF(2), sl.LIF(4)
    net.P = sl.Projection(net.a, net.b, sl.FixedTotalNumber(8), 0.7, synapse=sl.Alpha(tau=2.0), output=sl.CUBA(),
                          delay=0.3)
    net.Q = sl.Projection(net.c, net.b, sl.AllToAll(), sl.Uniform(1.0, 2.0), synapse=sl.Alpha(tau=2.0),
                          output=sl.CUBA(), delay=sl.Uniform(0.0, 1.0), delay_rule=sl.DelayRule(below_dt="keep"))
    runner = sl.Runner(net, dt=0.1, precision="float64", seed=1)
    w, d = runner.connections("P")
    assert w.shape == (3, 4) and w.nnz == 8
    np.testing.assert_allclose(w.data, 0.7, rtol=1e-14)
    np.testing.assert_allclose(d.data, 0.3, rtol=1e-12)
    wq, dq = runner.connections("Q")
    assert wq.shape == (2, 4) and wq.nnz == 8 and 1.0 <= wq.data.min() and wq.data.max() <= 2.0
    # the delays drawn from the projection's own stream, rounded to the nearest step
    expected = sl.Uniform(0.0, 1.0)(8, np.random.default_rng(stable_seed(1, "delay:Q")))
    np.testing.assert_allclose(np.sort(dq.data), np.sort(np.floor(expected / 0.1 + 0.5) * 0.1), atol=1e-12)


def test_random_delays_deliver_spikes_at_the_rounded_drawn_delays():
    # one input spike per neuron at 1 ms through one-to-one synapses with Uniform delays: each post-synaptic
    # current starts exactly the drawn delay (rounded to the nearest step) after its spike, plus the one step
    # of read lag of the default schedule (projections before populations)
    n, dt, seed = 12, 0.1, 3
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(n, times=np.full(n, 1.0), indices=np.arange(n))
    net.post = sl.LIF(n, V_th=1e9)
    law = sl.Uniform(0.2, 3.0)
    net.P = sl.Projection(net.src, net.post, sl.OneToOne(), 1.0, synapse=sl.Exponential(tau=2.0), output=sl.CUBA(),
                          delay=law)
    runner = sl.Runner(net, dt=dt, monitors=["P.g"], seed=seed, precision="float64")
    res = runner.run(6.0)
    onset = res.trace_times["P.g"][np.argmax(res["P.g"] > 0, axis=0)]
    drawn = law(n, np.random.default_rng(stable_seed(seed, "delay:P")))
    np.testing.assert_allclose(onset, 1.0 + dt + np.floor(drawn / dt + 0.5) * dt, atol=1e-9)
    _, d = runner.connections("P")
    np.testing.assert_allclose(onset - 1.0 - dt, d.toarray()[np.arange(n), np.arange(n)], atol=1e-9)
    assert len(np.unique(np.round(onset / dt))) > 5  # the delays really differ


def test_connections_is_a_pair_of_scipy_arrays():
    conns = _runner(sl.OneToOne(), n_post=4, weight=2.0).connections("P")
    w, d = conns
    assert sp.issparse(w) and sp.issparse(d) and conns.weight is w and conns.delay is d
    np.testing.assert_array_equal(w.toarray(), 2.0 * np.eye(4))
    np.testing.assert_array_equal(d.toarray(), np.zeros((4, 4)))
    assert d.nnz == 4  # zero delays are stored entries
