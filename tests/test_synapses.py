"""Synapse traces after one input spike against their closed forms; outputs and weight normalization."""

import numpy as np
import pytest

import spikeloom as sl


def one_spike_response(synapse, output=None, weight=2.0, delay=0.0, t_spike=1.0, duration=60.0, dt=0.1):
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(1, times=[t_spike], indices=[0])
    net.post = sl.LIF(2, V_th=1e9, V_rest=-65.0)
    net.syn = sl.Projection(net.src, net.post, sl.AllToAll(), weight, synapse=synapse,
                            output=output or sl.CUBA(), delay=delay)
    runner = sl.Runner(net, dt=dt, monitors=["syn.g", "post.V"], precision="float64")
    return runner.run(duration)


def test_exponential_synapse_decays_exactly():
    res = one_spike_response(sl.Exponential(tau=5.0), weight=2.0, t_spike=1.0)
    t, g = res.trace_times["syn.g"], res["syn.g"][:, 0]
    # a sample is the state at the end of its step; the spike at t = 1 ms acts from then on
    expected = np.where(t > 1.0 + 1e-9, 2.0 * np.exp(-(t - 1.0) / 5.0), 0.0)
    np.testing.assert_allclose(g, expected, atol=1e-12)


def test_delay_shifts_the_response_by_whole_steps():
    res0 = one_spike_response(sl.Exponential(tau=5.0))
    res3 = one_spike_response(sl.Exponential(tau=5.0), delay=3.0)
    g0, g3 = res0["syn.g"][:, 0], res3["syn.g"][:, 0]
    np.testing.assert_array_equal(g3[30:], g0[:-30])
    assert np.all(g3[:30 + 10] == 0.0) and g3[40] > 0


def test_dual_exponential_matches_closed_form_and_peaks_at_weight():
    tr, td, w = 1.0, 8.0, 3.0
    res = one_spike_response(sl.DualExponential(tau_rise=tr, tau_decay=td), weight=w, dt=0.01)
    t, g = res.trace_times["syn.g"], res["syn.g"][:, 0]
    s = np.clip(t - 1.0, 0, None)
    kernel = (np.exp(-s / td) - np.exp(-s / tr)) / (1 / tr - 1 / td)
    t_peak = np.log(td / tr) * tr * td / (td - tr)
    peak = (np.exp(-t_peak / td) - np.exp(-t_peak / tr)) / (1 / tr - 1 / td)
    np.testing.assert_allclose(g, w * kernel / peak, atol=1e-9)
    assert g.max() == pytest.approx(w, rel=1e-4)
    assert t[np.argmax(g)] - 1.0 == pytest.approx(t_peak, abs=0.01)


def test_alpha_matches_closed_form_and_peaks_at_tau():
    tau, w = 2.0, 1.5
    res = one_spike_response(sl.Alpha(tau=tau), weight=w, dt=0.01)
    t, g = res.trace_times["syn.g"], res["syn.g"][:, 0]
    s = np.clip(t - 1.0, 0, None)
    np.testing.assert_allclose(g, w * s / tau * np.exp(1 - s / tau), atol=1e-9)
    assert t[np.argmax(g)] - 1.0 == pytest.approx(tau, abs=0.011)


def test_coba_current_pulls_towards_the_reversal_potential():
    # g = 5 nS against a 1 nS leak: V approaches (V_rest + R g E) / (1 + R g), never beyond E
    res = one_spike_response(sl.Exponential(tau=20.0), output=sl.COBA(E=0.0), weight=5.0)
    V = res["post.V"][:, 0]
    assert -30.0 < V.max() < (-65.0 + 5.0 * 0.0) / 6.0
    res_inh = one_spike_response(sl.Exponential(tau=20.0), output=sl.COBA(E=-80.0), weight=5.0)
    assert (-65.0 - 5.0 * 80.0) / 6.0 < res_inh["post.V"][:, 0].min() < -75.0


def test_merged_projections_sum_their_conductances():
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(2, times=[1.0, 2.0], indices=[0, 1])
    net.post = sl.LIF(1, V_th=1e9)
    syn = dict(synapse=sl.Exponential(tau=5.0), output=sl.CUBA())
    net.pa = sl.Projection(net.src, net.post, sl.FromList([0], [0]), 1.0, **syn)
    net.pb = sl.Projection(net.src, net.post, sl.FromList([1], [0]), 2.0, **syn)
    runner = sl.Runner(net, monitors=["pa.g", "pb.g"], precision="float64")
    assert len(runner.plan.pgroups) == 1 and runner.plan.pgroups[0].seg_n.tolist() == [1]  # one shared state
    res = runner.run(20.0)
    np.testing.assert_array_equal(res["pa.g"], res["pb.g"])
    t = res.trace_times["pa.g"]
    expected = (t > 1.0 + 1e-9) * np.exp(-(t - 1.0) / 5.0) + 2.0 * (t > 2.0 + 1e-9) * np.exp(-(t - 2.0) / 5.0)
    np.testing.assert_allclose(res["pa.g"][:, 0], expected, atol=1e-12)
