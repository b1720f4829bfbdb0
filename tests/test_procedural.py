"""Procedural connectivity, user operators and heterogeneous delays on the CPU engine.

- the materialized connectivity has the right statistics (binomial degrees for ``ProceduralProb``, exactly k
  distinct targets for ``ProceduralOutDegree``, exactly k sources drawn with replacement for
  ``ProceduralInDegree`` with binomial out-degrees and uniform configurations, weight and delay-jitter
  moments), with fixed seeds; the slot permutation of the in-degree is a bijection;
- what the compiled loop delivers equals the materialized matrix times the spike counts (dense propagation);
- results do not depend on the run's chunking nor on the spike-monitor buffer size;
- a single spike arrives exactly d steps later, for per-synapse stored delays, per-projection procedural
  delays and jittered procedural delays.
"""

import numpy as np
import pytest
from scipy import stats

import spikeloom as sl
from spikeloom._errors import ModelDefinitionError
from spikeloom.connectivity.procedural import make_feistel

HOLD = dict(synapse=sl.Exponential(tau=1e9), output=sl.CUBA())  # g accumulates: a sum of delivered weights


def _probe_net(conn, weight, n_pre=300, n_post=400, delay=0.0, delay_std=0.0, times=None, indices=None):
    times = np.full(n_pre, 0.1) if times is None else times
    indices = np.arange(n_pre) if indices is None else indices
    src = sl.SpikeGeneratorGroup(n_pre, times=times, indices=indices)
    post = sl.LIF(n_post, tau=10.0, V_th=1e9)
    return sl.Network(src=src, post=post, P=sl.Projection(src, post, conn, weight, delay=delay, delay_std=delay_std,
                                                            **HOLD))


def test_fixed_probability_degrees_are_binomial():
    p, n_pre, n_post = 0.1, 2000, 1500
    runner = sl.Runner(_probe_net(sl.ProceduralProb(p), 1.0, n_pre, n_post), seed=7)
    W = sl.materialize(runner.plan, "P")
    out_deg = np.diff(W.indptr)
    in_deg = np.asarray((W != 0).sum(axis=0)).ravel()
    for deg, n in ((out_deg, n_post), (in_deg, n_pre)):
        mean, var = n * p, n * p * (1 - p)
        assert abs(deg.mean() - mean) < 5 * np.sqrt(var / deg.size)
        assert 0.85 < deg.var() / var < 1.15
    # all pairs: the total is binomial(n_pre * n_post, p)
    total = W.nnz
    assert abs(total - p * n_pre * n_post) < 5 * np.sqrt(p * (1 - p) * n_pre * n_post)
    # the out-degree distribution as a whole: chi-square against binomial(n_post, p)
    edges = np.arange(120, 181, 4)
    hist, _ = np.histogram(out_deg, bins=np.r_[-1, edges, n_post + 1])
    expected = np.diff(stats.binom.cdf(np.r_[-1, edges, n_post + 1] - 1, n_post, p)) * n_pre
    assert stats.chisquare(hist, expected * hist.sum() / expected.sum()).pvalue > 1e-3
    # different seed, different synapses; same seed, same synapses
    again = sl.materialize(sl.Runner(_probe_net(sl.ProceduralProb(p), 1.0, n_pre, n_post), seed=7).plan, "P")
    other = sl.materialize(sl.Runner(_probe_net(sl.ProceduralProb(p), 1.0, n_pre, n_post), seed=8).plan, "P")
    assert (again != W).nnz == 0 and (other != W).nnz > 0


def test_fixed_out_degree_and_self_exclusion():
    k, n = 25, 200
    pop = sl.LIF(n, tau=10.0, V_th=1e9)
    net = sl.Network(pop=pop, P=sl.Projection(pop, pop, sl.ProceduralOutDegree(k, allow_self=False), 1.0, **HOLD))
    W = sl.materialize(sl.Runner(net, seed=3).plan, "P")
    assert np.all(np.diff(W.indptr) == k)
    assert W.diagonal().sum() == 0
    # each target is equally likely: in-degrees ~ binomial-like around k with the right mean
    in_deg = np.asarray((W != 0).sum(axis=0)).ravel()
    assert in_deg.sum() == k * n
    assert stats.chisquare(in_deg).pvalue > 1e-3


def _in_degrees(W):
    return np.bincount(W.indices, minlength=W.shape[1])  # every entry is a synapse: multapses count


def test_fixed_in_degree_exact_with_binomial_out_degrees():
    k, n_pre, n_post = 30, 2000, 1500
    runner = sl.Runner(_probe_net(sl.ProceduralInDegree(k), sl.Normal(1.0, 0.25), n_pre, n_post), seed=7)
    W = sl.materialize(runner.plan, "P")
    assert np.all(_in_degrees(W) == k)
    # out-degree of each pre: binomial(n_post k, 1 / n_pre), mean 22.5
    out_deg, trials, p = np.diff(W.indptr), n_post * k, 1.0 / n_pre
    var = trials * p * (1 - p)
    assert 0.9 < out_deg.var() / var < 1.1
    edges = np.arange(13, 33, 2)
    hist, _ = np.histogram(out_deg, bins=np.r_[-1, edges, trials + 1] - 0.5)
    expected = np.diff(stats.binom.cdf(np.r_[-1, edges, trials + 1] - 1, trials, p)) * n_pre
    assert stats.chisquare(hist, expected * hist.sum() / expected.sum()).pvalue > 1e-3
    # draws with replacement: k draws of a post hit n_pre (1 - (1 - 1 / n_pre)**k) distinct pres on average
    pairs = np.unique(np.c_[np.repeat(np.arange(n_pre), out_deg), W.indices], axis=0)
    repeats = W.nnz - pairs.shape[0]
    mean_repeats = n_post * (k - n_pre * (1 - (1 - p) ** k))
    assert abs(repeats - mean_repeats) < 5 * np.sqrt(mean_repeats)
    # multapses have independent weights (counter = slot)
    assert abs(W.data.mean() - 1.0) < 5 * 0.25 / np.sqrt(W.nnz) and abs(W.data.std() - 0.25) < 0.01
    same = sl.materialize(sl.Runner(_probe_net(sl.ProceduralInDegree(k), sl.Normal(1.0, 0.25), n_pre, n_post),
                                    seed=7).plan, "P")
    other = sl.materialize(sl.Runner(_probe_net(sl.ProceduralInDegree(k), sl.Normal(1.0, 0.25), n_pre, n_post),
                                     seed=8).plan, "P")
    assert (same != W).nnz == 0 and (other != W).nnz > 0


_PERMUTE = []


def _permutation(seed, stream, m, count=None):
    """perm(0), ..., perm(count - 1) (default: all m) of the in-degree's slot permutation, compiled as the
    engine compiles it."""
    if not _PERMUTE:
        import numba

        from spikeloom.engines.numba import mathlib
        halves, _, permute = make_feistel(mathlib)

        @numba.njit
        def first(seed, stream, m, count):
            lo_bits, hi_bits = halves(m)
            out = np.empty(count, np.int64)
            for x in range(count):
                out[x] = permute(seed, stream, x, m, lo_bits, hi_bits)
            return out
        _PERMUTE.append(first)
    return _PERMUTE[0](seed, stream, m, m if count is None else count)


@pytest.mark.parametrize("m", [1, 2, 3, 97, 1024, 1025, 65537, 100_003])
def test_slot_permutation_is_a_bijection(m):
    for seed, stream in ((0, 0x80000000), (7, 0x80000004), (2**32 - 1, 0xFFFFFFFC)):
        perm = _permutation(seed, stream, m)
        np.testing.assert_array_equal(np.sort(perm), np.arange(m))
        if m > 3:
            assert np.mean(perm == np.arange(m)) < 0.5  # not the identity
    if m >= 97:  # position 0 lands anywhere: uniform over keys
        first = np.array([_permutation(s, 0x80000000, m, 1)[0] for s in range(2000)])
        hist = np.bincount(first * 10 // m, minlength=10)
        assert stats.chisquare(hist).pvalue > 1e-3



def test_slot_permutation_of_huge_slot_counts():
    """Halves of 31 bits: no overflow in 64-bit unsigned arithmetic, values stay in [0, m) and distinct."""
    for m in (2**32 + 15, 2**61 + 1, 2**62 - 1):
        perm = _permutation(3, 0x80000000, m, 20000)
        assert perm.min() >= 0 and perm.max() < m and np.unique(perm).size == perm.size
        assert perm.max() > m // 2  # spread over the range, not stuck low


@pytest.mark.parametrize("allow_self", [True, False])
def test_fixed_in_degree_configurations_uniform(allow_self):
    """Every post draws 1 of the allowed pres uniformly and independently: the 2**3 configurations of a 3-neuron
    network (pre 2 -> post 3 with self-connections, 3 -> 3 without) are equally likely, over keys."""
    n = 3
    pre = sl.LIF(2 if allow_self else n, tau=10.0, V_th=1e9)
    post = sl.LIF(n, tau=10.0, V_th=1e9) if allow_self else pre
    projections = {f"P{c}": sl.Projection(pre, post, sl.ProceduralInDegree(1, allow_self=allow_self), 1.0, **HOLD)
                   for c in range(250)}
    hist = np.zeros(8, np.int64)
    for seed in range(8):
        plan = sl.Runner(sl.Network(pre=pre, post=post, **projections), seed=seed).plan
        for name in projections:
            W = sl.materialize(plan, name)
            src = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))[np.argsort(W.indices, kind="stable")]
            assert np.all(_in_degrees(W) == 1) and (allow_self or np.all(src != np.arange(n)))
            # the pre of post j, relative to the allowed ones: 0 or 1
            choice = src if allow_self else src - (src > np.arange(n))
            hist[choice @ (2 ** np.arange(n))] += 1
    assert stats.chisquare(hist).pvalue > 1e-3


def test_fixed_in_degree_without_self_connections():
    k, n = 40, 300
    pop = sl.LIF(n, tau=10.0, V_th=1e9)
    net = sl.Network(pop=pop, P=sl.Projection(pop, pop, sl.ProceduralInDegree(k, allow_self=False), 1.0, **HOLD))
    W = sl.materialize(sl.Runner(net, seed=4).plan, "P")
    assert np.all(_in_degrees(W) == k)
    assert W.diagonal().sum() == 0
    # out-degree of i: binomial(k (n - 1), 1 / (n - 1)) (each draw of each other post takes i w.p. 1 / (n - 1))
    out_deg = np.diff(W.indptr)
    var = k * (1 - 1 / (n - 1))
    assert abs(out_deg.mean() - k) < 1e-9 and 0.8 < out_deg.var() / var < 1.2
    # pair frequencies uniform over the off-diagonal: chi-square of pre i's hits on the posts above / below it
    above = np.array([np.sum(W.indices[W.indptr[i]:W.indptr[i + 1]] > i) for i in range(n)])
    expected = k * (n - 1 - np.arange(n)) / (n - 1)
    assert stats.chisquare(above[:-1], expected[:-1] * above[:-1].sum() / expected[:-1].sum()).pvalue > 1e-3


def test_fixed_in_degree_jittered_delays_arrive_as_materialized():
    """Every synapse of a multapse has its own delay: the trace of g counts the synapses arrived so far."""
    dt = 0.1
    src = sl.SpikeGeneratorGroup(3, times=np.full(3, 1.0), indices=np.arange(3))  # emitted by step 9
    post = sl.LIF(40, tau=10.0, V_th=1e9)
    net = sl.Network(src=src, post=post, P=sl.Projection(src, post, sl.ProceduralInDegree(4), 1.0, delay=4.0,
                                                         delay_std=0.8, **HOLD))
    runner = sl.Runner(net, dt=dt, seed=1, monitors=["P.g"])
    trace = runner.run(10.0)["P.g"]
    d = sl.materialize(runner.plan, "P", what="delay")
    arrival = 10 + d.data.astype(int)  # read offset floor(40 - 5 * 8) = 0 steps, then delayed by d
    post_of = d.indices
    expected = np.array([[np.sum((post_of == j) & (arrival <= r)) for j in range(40)] for r in range(trace.shape[0])])
    np.testing.assert_array_equal(trace, expected)
    assert np.unique(d.data).size > 10


def test_random_weights_and_jitter_moments():
    net = _probe_net(sl.ProceduralProb(0.2), sl.Normal(2.0, 0.5), 400, 500, delay=3.0, delay_std=0.5)
    plan = sl.Runner(net, seed=1).plan
    w = sl.materialize(plan, "P").data  # w_scale is 1 for an exponential synapse
    assert abs(w.mean() - 2.0) < 5 * 0.5 / np.sqrt(w.size) and abs(w.std() - 0.5) < 0.01
    d = sl.materialize(plan, "P", what="delay")
    assert d.nnz == sl.materialize(plan, "P").nnz
    # delay in steps from the read offset: read offset = 1 + floor(30 - 5 * 5) steps, mean extra = 25
    assert abs(d.data.mean() - 25.0) < 0.05 and abs(d.data.std() - 5.0) < 0.05
    u = sl.materialize(sl.Runner(_probe_net(sl.ProceduralProb(0.2), sl.Uniform(-1.0, 3.0), 400, 500), seed=1).plan,
                       "P").data
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02


def _table_law(table: np.ndarray) -> np.ndarray:
    """The law an alias table draws (each column: 1/n, kept with threshold / 2**24, else its alias)."""
    from spikeloom.connectivity.procedural import UNIT24

    n = table.size
    keep, alias = (table >> 32) / UNIT24, table & 0xFFFFFFFF
    law = keep / n
    np.add.at(law, alias, (1.0 - keep) / n)
    return law


@pytest.mark.parametrize("mean, std, limit", [(25.0, 5.0, 50), (3.3, 0.4, 5), (40.0, 8.0, 80), (0.2, 1.0, 6)])
def test_jitter_alias_table_is_the_rounded_truncated_normal(mean, std, limit):
    from scipy.special import ndtr

    from spikeloom.connectivity.procedural import jitter_table

    # P(D = k) for D = clip(floor(mean + std clip(z, -5, 5) + 0.5), 0, limit), z standard normal
    edges = (np.arange(limit + 1) + 0.5 - mean) / std
    cdf = np.where(edges > 5.0, 1.0, np.where(edges <= -5.0, 0.0, ndtr(edges)))
    cdf[-1] = 1.0
    np.testing.assert_allclose(_table_law(jitter_table(mean, std, limit)), np.diff(cdf, prepend=0.0), atol=1e-6)


@pytest.mark.parametrize("p", [1.0, 0.5, 0.1, 0.01, 0.005])
def test_gap_alias_table_is_the_geometric_law_of_24_bit_uniforms(p):
    from spikeloom.connectivity.procedural import GAP_TABLE_MAX, gap_table

    log_q = float(np.log1p(-p)) if p < 1 else -np.inf
    table = gap_table(log_q)
    u = np.arange(1 << 24) / 2.0 ** 24  # every 24-bit uniform: the law the logarithm draws
    gaps = np.floor(np.log1p(-u) / log_q) if p < 1 else np.zeros(u.size)
    assert table.size == gaps.max() + 1 <= GAP_TABLE_MAX
    np.testing.assert_allclose(_table_law(table), np.bincount(gaps.astype(np.int64)) / u.size, atol=2e-6)
    assert gap_table(float(np.log1p(-0.001))).size == 0  # 16 600 gaps: the logarithm is used


def test_gaps_and_delays_drawn_from_tables_have_their_laws():
    # chi-square of the materialized targets' gaps (geometric) and jittered delays against their laws
    p, n_pre, n_post = 0.1, 400, 2000
    plan = sl.Runner(_probe_net(sl.ProceduralProb(p), 1.0, n_pre, n_post, delay=3.0, delay_std=0.5), seed=3).plan
    W = sl.materialize(plan, "P")
    first = W.indices[W.indptr[:-1][np.diff(W.indptr) > 0]]  # gap before each row's first target
    observed = np.bincount(np.minimum(first, 40), minlength=41)
    expected = p * (1 - p) ** np.arange(41)
    expected[-1] = (1 - p) ** 40
    assert stats.chisquare(observed, expected * first.size).pvalue > 1e-3
    d = sl.materialize(plan, "P", what="delay").data.astype(np.int64)
    law = _table_law(plan.pgroups[0].operator.alias_tables[
        plan.pgroups[0].operator.blocks["d_off"][0]:][:plan.pgroups[0].operator.blocks["d_limit"][0] + 1])
    counts = np.bincount(d, minlength=law.size)
    mask = law * d.size > 5
    assert stats.chisquare(counts[mask], law[mask] / law[mask].sum() * counts[mask].sum()).pvalue > 1e-3


@pytest.mark.parametrize("conn, weight", [(sl.ProceduralProb(0.15), 1.0), (sl.ProceduralProb(0.3), sl.Uniform(0.5, 1.5)),
                                          (sl.ProceduralOutDegree(17), sl.Normal(1.0, 0.3)),
                                          (sl.ProceduralInDegree(6), sl.Normal(1.0, 0.3)),
                                          (sl.ProceduralInDegree(150), 0.5)])
def test_delivered_equals_dense_propagation(conn, weight):
    rng = np.random.default_rng(5)
    n_pre, n_post = 120, 90
    times = np.round(rng.uniform(0.1, 3.0, 200), 1)
    indices = rng.integers(0, n_pre, 200)
    keep = np.unique(np.c_[times, indices], axis=0)
    net = _probe_net(conn, weight, n_pre, n_post, times=keep[:, 0], indices=keep[:, 1].astype(int))
    runner = sl.Runner(net, seed=11, monitors=["P.g"])
    g = runner.run(5.0)["P.g"][-1]
    W = sl.materialize(runner.plan, "P").toarray()
    counts = np.bincount(keep[:, 1].astype(int), minlength=n_pre)
    np.testing.assert_allclose(g, counts @ W, rtol=1e-5, atol=1e-4)


def _multi_area(seed=0):
    net = sl.Network()
    pops = [sl.LIF(150, tau=20.0, V_rest=-70.0, V_th=-50.0, V_reset=-60.0, tau_ref=2.0, noise_sigma=2.0,
                   init={"V": sl.Uniform(-70.0, -50.0)}) for _ in range(3)]
    for k, pop in enumerate(pops):
        setattr(net, f"A{k}", pop)
    for h, src in enumerate(pops):
        for j, tgt in enumerate(pops):
            # mixed connectors in one group: fixed in-degree (mean degree 15 as p = 0.1) within areas and 0 -> 1
            conn = sl.ProceduralInDegree(15, allow_self=False) if h == j or (h, j) == (0, 1) else sl.ProceduralProb(0.1)
            setattr(net, f"P{h}{j}", sl.Projection(src, tgt, conn, 0.4 if h == j else 0.3,
                                                   synapse=sl.Delta(tau_m=20.0), output=sl.CUBA(),
                                                   delay=1.0 + h + j, delay_std=0.3 if h != j else 0.0))
    return net


def test_independent_of_chunking_and_spike_buffer():
    inputs = {f"A{k}": 19.0 for k in range(3)}
    mon = [f"A{k}.spike" for k in range(3)]
    one = sl.Runner(_multi_area(), seed=2, inputs=inputs, monitors=mon).run(60.0)
    assert sum(len(one.spikes[f"A{k}"]) for k in range(3)) > 100
    chunked = sl.Runner(_multi_area(), seed=2, inputs=inputs, monitors=mon)
    chunked._initial_spike_capacity = 3  # the monitor buffer fills and grows many times
    parts = [chunked.run(d) for d in (7.3, 20.0, 32.7)]
    for k in range(3):
        counts = np.concatenate([p.spike_counts[f"A{k}"] for p in parts])
        np.testing.assert_array_equal(counts, one.spike_counts[f"A{k}"])
        t = np.concatenate([p.spikes[f"A{k}"].times for p in parts])
        np.testing.assert_allclose(t, one.spikes[f"A{k}"].times)


def _first_arrival(res, key):
    trace = res[key]
    return np.array([np.flatnonzero(trace[:, j])[0] if trace[:, j].any() else -1 for j in range(trace.shape[1])])


def test_single_spike_arrives_exactly_d_steps_later():
    dt = 0.1
    src = sl.SpikeGeneratorGroup(1, times=np.array([1.0]), indices=np.array([0]))  # emitted by step 9
    post = sl.LIF(4, tau=10.0, V_th=1e9)
    delays_steps = np.array([0, 3, 17, 40])
    stored = sl.Projection(src, post, sl.FromList(np.zeros(4, int), np.arange(4)), 1.0, delay=delays_steps * dt, **HOLD)
    proc_post = sl.LIF(50, tau=10.0, V_th=1e9)
    proc = sl.Projection(src, proc_post, sl.ProceduralProb(1.0), 1.0, delay=2.5, **HOLD)
    jit_post = sl.LIF(200, tau=10.0, V_th=1e9)
    jit = sl.Projection(src, jit_post, sl.ProceduralProb(1.0), 1.0, delay=4.0, delay_std=0.8, **HOLD)
    net = sl.Network(src=src, post=post, proc_post=proc_post, jit_post=jit_post, S=stored, Pr=proc, J=jit)
    runner = sl.Runner(net, dt=dt, seed=0, monitors=["S.g", "Pr.g", "J.g"])
    res = runner.run(10.0)
    # the spike of step 9 reaches g at the start of step 9 + 1 + d; trace row r is the end of step r
    np.testing.assert_array_equal(_first_arrival(res, "S.g"), 10 + delays_steps)
    assert np.all(_first_arrival(res, "Pr.g") == 10 + 25)
    d = sl.materialize(runner.plan, "J", what="delay").toarray()[0]
    read = 10 + int(np.floor(40 - 5 * 8))  # jitter blocks read the spike 5 sd early, then delay it by d
    np.testing.assert_array_equal(_first_arrival(res, "J.g"), read + d.astype(int))
    assert d.std() > 5  # the delays really vary (sd 8 steps)


def test_procedural_errors():
    a, b = sl.LIF(3), sl.LIF(4)
    with pytest.raises(ModelDefinitionError, match="p must be finite and in"):
        sl.ProceduralProb(0.0)
    with pytest.raises(ModelDefinitionError, match="number, Uniform or Normal"):
        sl.Runner(sl.Network(a=a, b=b, p=sl.Projection(a, b, sl.ProceduralProb(0.5), np.ones(3))))
    with pytest.raises(ModelDefinitionError, match="needs a weight"):
        sl.Projection(a, b, sl.ProceduralProb(0.5))
    with pytest.raises(ModelDefinitionError, match="delay_std"):
        sl.Projection(a, b, sl.FixedProb(0.5), 1.0, delay_std=1.0)
    with pytest.raises(ModelDefinitionError, match="needs stored"):
        sl.Projection(a, b, sl.ProceduralProb(0.5), 1.0, delay=np.ones(3))
    with pytest.raises(ModelDefinitionError, match="k = 9"):
        sl.Runner(sl.Network(a=a, b=b, p=sl.Projection(a, b, sl.ProceduralOutDegree(9), 1.0)))
    with pytest.raises(ModelDefinitionError, match="k must be a whole number"):
        sl.Runner(sl.Network(a=a, b=b, p=sl.Projection(a, b, sl.ProceduralInDegree(2.5), 1.0)))
    one = sl.LIF(1)
    with pytest.raises(ModelDefinitionError, match="without self-connections"):
        sl.Runner(sl.Network(one=one, p=sl.Projection(one, one, sl.ProceduralInDegree(1, allow_self=False), 1.0)))
    with pytest.raises(ModelDefinitionError, match="no procedural projection"):
        sl.materialize(sl.Runner(sl.Network(a=a, b=b, p=sl.Projection(a, b, sl.FixedProb(0.5), 1.0))).plan, "p")
