"""Graded projections and gap junctions (spikeloom/network/graded.py): analytic two-cell cases, the same numbers
on both engines."""

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.synapses.graded import PowerGpot

DT, TAU, R = 0.1, 10.0, 1.0  # ms, ms, GOhm
STEPS = 200

jax = pytest.importorskip("jax")


def passive(n, v0):
    """Leaky cells that never fire: tau dV/dt = -V + R I (mV, pA)."""
    return sl.LIF(n, V_rest=0.0, V_th=1e9, tau=TAU, R=R, init={"V": np.asarray(v0, float)})


class Gap(sl.Network):
    def __init__(self, g):
        self.A = passive(1, [10.0])
        self.B = passive(1, [-4.0])
        self.gap = sl.GapJunction(self.A, self.B, sl.FromList([(0, 0)]), weight=g)


class Graded(sl.Network):
    def __init__(self, syn, delay):
        self.P = passive(1, [8.0])
        self.Q = passive(1, [0.0])
        self.gr = sl.GradedProjection(self.P, self.Q, sl.FromList([(0, 0)]), syn, weight=2.0, delay=delay)


def run(net, engine, monitors):
    res = sl.Runner(net, dt=DT, monitors=monitors, engine=engine, precision="float64").run(STEPS * DT)
    return {k: np.asarray(res[k])[:, 0] for k in monitors}


@pytest.fixture(scope="module")
def gap_runs():
    return {e: run(Gap(0.5), e, ["A.V", "B.V"]) for e in ("cpu", "jax")}


def test_gap_junction_relaxes_to_the_analytic_exponential(gap_runs):
    g, decay = 0.5, np.exp(-DT / TAU)
    n = np.arange(1, STEPS + 1)
    for out in gap_runs.values():
        diff, total = out["A.V"] - out["B.V"], out["A.V"] + out["B.V"]
        # the step holds I = g (V_other - V) over dt: the difference decays by decay - 2 R g (1 - decay) per step
        np.testing.assert_allclose(diff, 14.0 * (decay - 2 * R * g * (1 - decay)) ** n, rtol=1e-12)
        # and tends to the continuous solution exp(-(1 + 2 R g) t / tau) as dt -> 0 (error O(dt))
        np.testing.assert_allclose(diff, 14.0 * np.exp(-(1 + 2 * R * g) * n * DT / TAU), rtol=2e-2)
        # symmetric: the currents cancel, so the sum relaxes with the membrane time constant alone
        np.testing.assert_allclose(total, 6.0 * decay ** n, rtol=1e-12)
    for k in ("A.V", "B.V"):
        np.testing.assert_array_equal(gap_runs["cpu"][k], gap_runs["jax"][k])


@pytest.mark.parametrize("delay_steps", [0, 3])
def test_graded_synapse_follows_its_transfer_function(delay_steps):
    syn = PowerGpot(threshold=-5.0, slope=0.8, power=2.0, saturation=60.0, E=20.0)
    outs = {e: run(Graded(syn, delay_steps * DT), e, ["P.V", "Q.V", "gr.I"]) for e in ("cpu", "jax")}
    decay = np.exp(-DT / TAU)
    for out in outs.values():
        v_pre = np.concatenate([[8.0] * (delay_steps + 1), out["P.V"]])  # the state at the end of step s - 1 - d
        v_post = np.concatenate([[0.0], out["Q.V"]])
        x = v_pre[:STEPS]
        g = np.minimum(60.0, 0.8 * np.maximum(0.0, x - (-5.0)) ** 2.0)
        expected_I = 2.0 * g * (20.0 - v_post[:STEPS])
        np.testing.assert_allclose(out["gr.I"], expected_I, rtol=1e-12)
        assert np.any(g == 60.0) and np.any(g < 60.0)  # both branches of the saturation are exercised
        # the post-synaptic cell integrates it exactly: V' = R I + (V - R I) decay
        np.testing.assert_allclose(out["Q.V"], R * expected_I + (v_post[:STEPS] - R * expected_I) * decay, rtol=1e-12)
        # the presynaptic cell is not affected (a graded synapse is one-way)
        np.testing.assert_allclose(out["P.V"], 8.0 * decay ** np.arange(1, STEPS + 1), rtol=1e-12)
    for k in outs["cpu"]:
        np.testing.assert_array_equal(outs["cpu"][k], outs["jax"][k])


def test_bad_graded_projections_are_refused():
    a, b = passive(2, [0.0, 0.0]), passive(2, [0.0, 0.0])
    with pytest.raises(sl.ModelDefinitionError, match="graded synapse"):
        sl.GradedProjection(a, b, sl.OneToOne(), sl.Exponential())
    with pytest.raises(sl.ModelDefinitionError, match="'w' is not a state variable"):
        sl.GradedProjection(a, b, sl.OneToOne(), sl.Gap(), variable="w")
    with pytest.raises(sl.ModelDefinitionError, match="3 weights given for 2 synapses"):
        net = sl.Network(a=a, b=b, p=sl.GradedProjection(a, b, sl.OneToOne(), sl.Gap(), weight=[1.0, 2.0, 3.0]))
        sl.Runner(net, dt=DT).run(DT)


def test_a_graded_synapse_with_its_own_state_steps_neurokernels_alpha_synapse():
    """AlphaEuler keeps (a0, a1, a2) per synapse; with tau_ref = dt, LIF's ``refractory`` is 1 exactly in the step
    after a spike, a spike flag to read."""
    from spikeloom.synapses import AlphaSynapse
    from spikeloom.synapses.graded import AlphaEuler

    class Net(sl.Network):
        def __init__(self):
            self.P = sl.LIF(1, V_rest=-65.0, V_reset=-65.0, V_th=-50.0, tau_ref=DT, init={"V": -40.0})
            self.Q = passive(1, [0.0])
            self.al = sl.GradedProjection(self.P, self.Q, sl.FromList([(0, 0)]), AlphaEuler(ar=0.11, ad=1.9, gmax=3.0,
                                          E=10.0), weight=0.5, variable="refractory")

    outs = {e: run(Net(), e, ["P.refractory", "Q.V", "al.I"]) for e in ("cpu", "jax")}
    for out in outs.values():
        assert out["P.refractory"][0] == 1.0 and not out["P.refractory"][1:].any()  # one spike, in step 0
        step, a, expected = AlphaSynapse.step(np), (0.0, 0.0, 0.0), []
        v_post = np.concatenate([[0.0], out["Q.V"]])
        for s in range(STEPS):
            a = step(*a, s == 1, 0.11, 1.9, DT)
            expected.append(0.5 * 3.0 * a[0] * (10.0 - v_post[s]))
        np.testing.assert_allclose(out["al.I"], expected, rtol=1e-12, atol=1e-300)
        assert out["al.I"].max() > 0.1
    for k in outs["cpu"]:
        np.testing.assert_array_equal(outs["cpu"][k], outs["jax"][k])


def test_connections_reads_back_graded_projections_and_both_halves_of_a_gap_junction():
    class Net(sl.Network):
        def __init__(self):
            self.A, self.B = passive(3, [0.0] * 3), passive(2, [0.0] * 2)
            # weights from the list (given unsorted: the connector sorts by (pre, post) and they follow)
            self.gap = sl.GapJunction(self.A, self.B, sl.FromList([(2, 0, 0.5), (0, 1, 0.25), (0, 0, 0.125)]),
                                      weight=None)
            self.gr = sl.GradedProjection(self.A, self.B, sl.FromList([(1, 0), (1, 1)]), PowerGpot(), weight=[3.0, 2.0],
                                          delay=[3 * DT, 0.0])
            # same pre, post and model: stored in the group after gr, in a segment of its own
            self.gr2 = sl.GradedProjection(self.A, self.B, sl.FromList([(0, 1)]), PowerGpot(slope=0.5), weight=7.0)

    runner = sl.Runner(Net(), dt=DT)
    assert runner.plan.proj_index["gr"] == runner.plan.proj_index["gr2"]
    w, d = runner.connections("gap.ab")
    np.testing.assert_array_equal(w.toarray(), [[0.125, 0.25], [0.0, 0.0], [0.5, 0.0]])
    assert d.shape == (3, 2) and d.nnz == 3 and not d.data.any()  # zero delays stored explicitly
    back, _ = runner.connections("gap.ba")  # the other half: the same pairs and conductances, reversed
    np.testing.assert_array_equal(back.toarray(), w.toarray().T)
    w, d = runner.connections("gr")
    np.testing.assert_array_equal(w.toarray(), [[0.0, 0.0], [3.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(d.toarray(), [[0.0, 0.0], [3 * DT, 0.0], [0.0, 0.0]], rtol=1e-12)
    np.testing.assert_array_equal(w.indices, [0, 1])  # rows sorted by post index
    w, _ = runner.connections("gr2")
    np.testing.assert_array_equal(w.toarray(), [[0.0, 7.0], [0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(sl.UnknownKeyError, match="known: .*'gap.ab', 'gap.ba'"):
        runner.connections("gap")
