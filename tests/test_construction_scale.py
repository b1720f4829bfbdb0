"""Construction at scale: the plan's CSR per (read offset, row), built by a counting sort over blocks of rows drawn
on several threads, equals the same synapses assembled the slow way (a stable lexsort); the blocks' random
streams make it independent of threads and timing; drawn values keep their laws; temporaries stay small."""

import tracemalloc

import numpy as np
import pytest
from scipy import stats

import spikeloom as sl
from spikeloom.connectivity import _kernels, generators
from spikeloom.network import build
from spikeloom.network.build import build_plan, stable_seed


def _network(n=(60, 45, 50)):
    """Two presynaptic populations of one group onto two targets: laws, arrays, constants, self-connections and a
    connector that builds its CSR at once, so that cells are shared between projections."""
    net = sl.Network()
    net.a, net.b, net.c = (sl.IafPscExp(k) for k in n)
    ex, inh = net.c.excitatory(), net.c.inhibitory()
    redraw = sl.DelayRule(below_dt="redraw")
    net.P1 = sl.Projection(net.a, net.c, sl.FixedTotalNumber(9000), sl.Normal(80.0, 8.0), synapse=ex,
                           delay=sl.Normal(1.5, 0.75), delay_rule=redraw)
    net.P2 = sl.Projection(net.a, net.a, sl.FixedTotalNumber(2000, allow_self=False, multapses=False),
                           sl.Normal(40.0, 4.0), synapse=net.a.excitatory(), delay=sl.Normal(0.75, 0.375),
                           delay_rule=redraw)
    net.P3 = sl.Projection(net.b, net.c, sl.FixedProb(0.3), 25.0, synapse=ex, delay=0.5)
    net.P4 = sl.Projection(net.b, net.a, sl.FixedOutDegree(20, allow_self=True), sl.Uniform(5.0, 10.0),
                           synapse=net.a.excitatory(), delay=sl.Uniform(0.1, 2.0), delay_rule=redraw)
    net.P5 = sl.Projection(net.a, net.c, sl.AllToAll(), sl.Normal(-300.0, 30.0), synapse=inh, delay=1.0)
    return net


def _reference(plan, net, pg_index, seed):
    """The group's (offsets, rowptr, col, weight) assembled the slow way from each projection's blocks."""
    pg = plan.pgroups[pg_index]
    projs = net.projections()
    n_pre = plan.groups[pg.pre].n
    rows, target, offset, weight = [], [], [], []
    for name, (seg, _) in pg.projections.items():
        proj = projs[name]
        pre, w_scale, lag = pg.sources[name]
        draw = proj.draw_synapses(np.random.default_rng(stable_seed(seed, "conn:" + name)),
                                  np.random.default_rng(stable_seed(seed, "delay:" + name)), plan.dt)
        blocks = [draw.synapses(k) for k in range(draw.n_blocks)]
        cols = np.concatenate([c for c, _ in blocks]).astype(np.int64)
        w = (np.full(cols.size, draw.weight) if draw.weight is not None
             else np.concatenate([w for _, w in blocks]))
        steps = np.concatenate([draw.steps(k) for k in range(draw.n_blocks)])
        lo = (pg.seg_post_lo if pg.synapse.in_post else pg.seg_slot_lo)[seg]
        rows.append(np.repeat(np.arange(draw.rows.counts.size), draw.rows.counts) + plan.pop_index[pre][1])
        target.append(cols + lo)
        offset.append(steps + lag)
        weight.append(w * w_scale)
    rows, target, offset, weight = (np.concatenate(x) for x in (rows, target, offset, weight))
    offsets = np.unique(offset)
    bucket = np.searchsorted(offsets, offset)
    order = np.lexsort((np.arange(rows.size), bucket, rows))  # stable: projection order, then CSR order
    cells = np.bincount(rows * offsets.size + bucket, minlength=n_pre * offsets.size).reshape(n_pre, offsets.size)
    rowptr = np.zeros((n_pre, offsets.size + 1), np.int64)
    rowptr[:, 1:] = np.cumsum(cells, axis=1)
    rowptr += np.concatenate([[0], np.cumsum(cells.sum(axis=1))[:-1]])[:, None]
    return offsets, rowptr, target[order].astype(np.int32), weight[order].astype(plan.dtype)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few hundred synapses, so that every projection spans many blocks and threads."""
    monkeypatch.setattr(generators, "BLOCK_SYNAPSES", 300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_counting_sort_equals_the_slow_assembly(small_blocks, dtype):
    net, seed = _network(), 11
    plan = build_plan(net, 0.1, seed, dtype)
    assert len(plan.pgroups) == 2
    for i, pg in enumerate(plan.pgroups):
        offsets, rowptr, col, weight = _reference(plan, net, i, seed)
        np.testing.assert_array_equal(pg.offsets, offsets)
        np.testing.assert_array_equal(pg.rowptr, rowptr)
        np.testing.assert_array_equal(pg.col, col)
        assert pg.col.dtype == np.int32 and pg.weight.dtype == dtype
        np.testing.assert_array_equal(pg.weight, weight)
    assert plan.pgroups[0].n_synapses == 9000 + 2000 + plan.pgroups[0].projections["P3"][1] + 45 * 20
    assert plan.pgroups[1].n_synapses == 60 * 50


def test_same_network_for_any_number_of_threads_and_either_precision(small_blocks, monkeypatch):
    plans = {}
    for threads in (1, 2, 3):
        monkeypatch.setattr(build, "_threads", lambda threads=threads: threads)
        plans[threads] = build_plan(_network(), 0.1, 5, np.float32)
    wide = build_plan(_network(), 0.1, 5, np.float64)
    for pg1, pg2, pg3, pg64 in zip(plans[1].pgroups, plans[2].pgroups, plans[3].pgroups, wide.pgroups):
        for pg in (pg2, pg3, pg64):
            np.testing.assert_array_equal(pg.rowptr, pg1.rowptr)
            np.testing.assert_array_equal(pg.col, pg1.col)
        np.testing.assert_array_equal(pg2.weight, pg1.weight)
        # the float32 weights are the float64 run's weights rounded: one network for both precisions
        np.testing.assert_array_equal(pg64.weight.astype(np.float32), pg1.weight)
    other = build_plan(_network(), 0.1, 6, np.float32)
    assert not np.array_equal(other.pgroups[0].col, plans[1].pgroups[0].col)


def test_blocks_draw_the_same_values_in_any_order(small_blocks):
    proj = _network().P1
    draw = proj.draw_synapses(np.random.default_rng(1), np.random.default_rng(2), 0.1)
    assert draw.n_blocks > 10
    forward = [(draw.synapses(k), draw.steps(k)) for k in range(draw.n_blocks)]
    for k in reversed(range(draw.n_blocks)):
        (cols, w), steps = forward[k]
        (cols2, w2), steps2 = draw.synapses(k), draw.steps(k)
        np.testing.assert_array_equal(cols, cols2)
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(steps, steps2)


def test_fixed_total_number_over_many_blocks_is_multinomial(small_blocks):
    n_pre, n_post, n = 40, 50, 40_000
    rng = np.random.default_rng(3)
    csr = sl.FixedTotalNumber(n).build(n_pre, n_post, rng, False)
    assert csr.nnz == n and generators.block_bounds(np.diff(csr.rowptr)).size == n_pre + 1  # a block per row
    counts = np.bincount(csr.rows() * n_post + csr.col, minlength=n_pre * n_post)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert counts.var() == pytest.approx(n / counts.size, rel=0.15)
    # rows are sorted, and the caller's generator moved past every block's stream
    assert np.all(np.diff(csr.col.astype(np.int64) + csr.rows() * n_post) >= 0)
    again = sl.FixedTotalNumber(n).build(n_pre, n_post, rng, False)
    assert not np.array_equal(again.col, csr.col)


def test_distinct_rows_with_complements_and_without_self():
    # k above half of the candidates: each row draws the k' = n - 1 - k targets it leaves out, then inverts them
    n, k = 30, 22
    hits = np.zeros((n, n))
    for seed in range(200):
        csr = sl.FixedOutDegree(k, allow_self=False).build(n, n, np.random.default_rng(seed), True)
        rows = csr.rows()
        assert np.all(np.diff(csr.rowptr) == k) and not np.any(rows == csr.col)
        assert np.all(np.diff(csr.col.astype(np.int64) + rows * n) > 0)  # sorted and distinct
        hits[rows, csr.col] += 1
    off = hits[~np.eye(n, dtype=bool)]
    assert stats.chisquare(off).pvalue > 1e-3  # each target of a row with probability k / (n - 1)


def test_sort_rows_sorts_every_row():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 200, size=60)
    counts[:5] = [0, 1, 31, 32, 5000]
    ptr = np.concatenate([[0], np.cumsum(counts)])
    cols = rng.integers(0, 1000, size=ptr[-1], dtype=np.int32)
    cols[ptr[3]:ptr[4]] = 999  # equal values, at the top of the range
    expected = np.concatenate([np.sort(cols[a:b]) for a, b in zip(ptr[:-1], ptr[1:])])
    _kernels.sort_rows(cols, ptr, np.arange(counts.size), 1000)
    np.testing.assert_array_equal(cols, expected)


def test_weights_and_delays_keep_their_laws(small_blocks):
    net = sl.Network()
    net.a, net.b = sl.IafPscExp(300), sl.IafPscExp(300)
    law = sl.Normal(0.75, 0.375)
    net.P = sl.Projection(net.a, net.b, sl.FixedTotalNumber(200_000), sl.Normal(87.8, 8.78),
                          synapse=net.b.excitatory(), delay=law, delay_rule=sl.DelayRule(below_dt="redraw"))
    w, d = sl.Runner(net, dt=0.1, seed=2).connections("P")
    assert w.nnz == 200_000
    assert w.data.mean() == pytest.approx(87.8, abs=5 * 8.78 / np.sqrt(w.nnz))
    assert w.data.std() == pytest.approx(8.78, rel=0.01)
    # steps: the law truncated to [dt, inf) and rounded to the nearest step
    steps = np.round(d.data / 0.1).astype(int)
    k = np.arange(1, steps.max() + 1)
    cdf = stats.norm(0.75, 0.375).cdf
    edges = np.maximum(np.concatenate([k - 0.5, [k[-1] + 0.5]]) * 0.1, 0.1)
    p = np.diff(cdf(edges))
    p[-1] += 1 - cdf(edges[-1])
    observed = np.bincount(steps, minlength=k[-1] + 1)[1:]
    expected = p / p.sum() * steps.size
    keep = expected > 5
    assert stats.chisquare(observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()).pvalue > 1e-3


def test_temporaries_stay_small_beside_the_plan(monkeypatch):
    # blocks of 2**14 synapses: nothing of the size of the 1.5 million synapses but the plan's own arrays
    monkeypatch.setattr(generators, "BLOCK_SYNAPSES", 1 << 14)
    net = sl.Network()
    net.a, net.b = sl.IafPscExp(2000), sl.IafPscExp(2000)
    net.P = sl.Projection(net.a, net.b, sl.FixedTotalNumber(1_500_000), sl.Normal(87.8, 8.78),
                          synapse=net.b.excitatory(), delay=sl.Normal(1.5, 0.75),
                          delay_rule=sl.DelayRule(below_dt="redraw"))
    build_plan(net, 0.1, 0, np.float32)  # compiles the kernels outside the measurement
    tracemalloc.start()
    try:
        plan = build_plan(net, 0.1, 1, np.float32)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    pg = plan.pgroups[0]
    held = pg.col.nbytes + pg.weight.nbytes + pg.rowptr.nbytes
    assert pg.n_synapses == 1_500_000
    assert peak < 1.3 * held
