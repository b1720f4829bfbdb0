"""Event-driven propagation equals a dense reference; chunking, seeds, continuation, update order."""

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.models.coba import COBA


def test_event_driven_propagation_equals_dense_reference():
    # random spikes through random weights with two delays into one CUBA exponential synapse; rebuild the
    # synapse trace from the recorded spikes with a dense matrix and compare
    rng = np.random.default_rng(7)
    n_pre, n_post, dt, tau, steps = 60, 40, 0.1, 3.0, 400
    net = sl.Network()
    net.src = sl.PoissonGroup(n_pre, rate=200.0)
    net.post = sl.LIF(n_post, V_th=1e9)
    w1 = rng.normal(1.0, 0.5, size=(n_pre, n_post)) * (rng.random((n_pre, n_post)) < 0.3)
    w2 = rng.normal(-0.5, 0.2, size=(n_pre, n_post)) * (rng.random((n_pre, n_post)) < 0.2)
    import scipy.sparse as sp

    syn = dict(synapse=sl.Exponential(tau=tau), output=sl.CUBA())
    net.fast = sl.Projection(net.src, net.post, sl.FromSparse(sp.csr_array(w1)), **syn)
    net.slow = sl.Projection(net.src, net.post, sl.FromSparse(sp.csr_array(w2)), delay=1.5, **syn)
    runner = sl.Runner(net, dt=dt, monitors=["src.spike", "fast.g"], precision="float64", seed=3)
    res = runner.run(steps * dt)
    spikes = np.zeros((steps, n_pre))
    st = res.spikes["src"]
    spikes[np.rint(st.times / dt).astype(int) - 1, st.indices] = 1.0
    assert spikes.sum() > 100
    g, decay, trace = np.zeros(n_post), np.exp(-dt / tau), []
    for s in range(steps):
        if s >= 1:
            g += spikes[s - 1] @ w1
        if s >= 16:
            g += spikes[s - 16] @ w2
        g *= decay
        trace.append(g.copy())
    np.testing.assert_allclose(res["fast.g"], np.array(trace), atol=1e-9)


def coba_runner(seed=1, **kw):
    return sl.Runner(COBA(400, 100, p=0.1), monitors=["E.spike", "I.spike", ("E.V", [0, 5])],
                     inputs={"E": 20.0, "I": 20.0}, seed=seed, **kw)


def test_chunked_runs_equal_one_run():
    one = coba_runner().run(300.0)
    parts = coba_runner()
    pieces = [parts.run(100.0) for _ in range(3)]
    np.testing.assert_array_equal(np.concatenate([p.spikes["E"].times for p in pieces]), one.spikes["E"].times)
    np.testing.assert_array_equal(np.concatenate([p.spikes["E"].indices for p in pieces]), one.spikes["E"].indices)
    np.testing.assert_array_equal(np.concatenate([p["E.V"] for p in pieces]), one["E.V"])
    assert parts.t == pytest.approx(300.0)


def test_same_seed_same_spikes_other_seed_other_spikes():
    a, b, c = (coba_runner(seed=s).run(100.0) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.spikes["I"].times, b.spikes["I"].times)
    assert len(a.spikes["I"]) != len(c.spikes["I"]) or np.any(a.spikes["I"].times != c.spikes["I"].times)


def test_threads_give_the_same_spikes_and_states():
    # the threaded loop (chosen automatically for large networks) must not change results
    serial = coba_runner(parallel=False).run(200.0)
    threaded = coba_runner(parallel=True).run(200.0)
    np.testing.assert_array_equal(threaded.spikes["E"].times, serial.spikes["E"].times)
    np.testing.assert_array_equal(threaded.spikes["E"].indices, serial.spikes["E"].indices)
    np.testing.assert_array_equal(threaded["E.V"], serial["E.V"])


def test_spike_buffer_grows_without_losing_spikes():
    runner = coba_runner()
    expected = runner.run(200.0)
    small = coba_runner()
    small._initial_spike_capacity = 10
    res = small.run(200.0)
    assert len(res.spikes["E"]) == len(expected.spikes["E"]) == int(res.spike_counts["E"].sum())


class EINetUserOrder(COBA):
    def update(self, inp):
        self.E(inp)
        self.I(inp)
        self.E2E()
        self.E2I()
        self.I2E()
        self.I2I()


def test_user_update_order_runs_the_traced_schedule():
    runner = sl.Runner(EINetUserOrder(400, 100, p=0.1), monitors=["E.spike"], seed=1)
    kinds = [op[0] for op in runner.plan.schedule]
    assert kinds == ["neurons", "projections"]
    res = runner.run(200.0, inputs=20.0)
    ref = sl.Runner(COBA(400, 100, p=0.1), monitors=["E.spike"], inputs={"E": 20.0, "I": 20.0}, seed=1).run(200.0)
    # a projection called after its pre population reads this step's spikes, one called before reads the
    # previous step's, and every synapse state decays right after the neurons read it: both orders give
    # g(s + 1) = decay * g(s) + w * spikes(s), hence the same spikes
    np.testing.assert_array_equal(res.spike_counts["E"], ref.spike_counts["E"])
    arr = runner.run(inputs=np.full(500, 20.0))
    assert arr.n_steps == 500


def test_poisson_group_rate():
    net = sl.Network(src=sl.PoissonGroup(1000, rate=40.0))
    res = sl.Runner(net, monitors=["src.spike"], seed=2).run(1000.0)
    # 40,000 expected spikes, Poisson: within 5 sigma
    assert abs(len(res.spikes["src"]) - 40000) < 5 * np.sqrt(40000)


def test_hdf5_round_trip(tmp_path):
    res = coba_runner().run(50.0)
    res.to_hdf5(tmp_path / "r.h5")
    back = sl.Result.from_hdf5(tmp_path / "r.h5")
    np.testing.assert_array_equal(back.spikes["E"].times, res.spikes["E"].times)
    np.testing.assert_array_equal(back["E.V"], res["E.V"])
    assert back.mean_rate("I") == res.mean_rate("I")
