"""The PyNN backend (``spikeloom.pynn``): a representative subset of PyNN's system scenarios rewritten as checks
with known answers, plus bad input. The full scenario suite runs from ``benchmarks/pynn_scenarios.py``."""

import math

import numpy as np
import pytest

pytest.importorskip("pyNN")
import quantities as pq  # noqa: E402

import spikeloom as sl  # noqa: E402
import spikeloom.pynn as sim  # noqa: E402


@pytest.fixture(autouse=True)
def fresh():
    sim.setup(timestep=0.1)
    yield
    sim.end()


def lif_dc_spike_times(i_nA, tau_m, cm_nF, v_rest, v_th, t_ref, t_stop):
    """Spike times of an LIF neuron under a constant current from rest, on the 0.1 ms grid (NEST's rule: a
    spike at the end of the first step where V >= V_th; refractory steps; reset to rest)."""
    v_inf = v_rest + i_nA / cm_nF * tau_m
    period = -tau_m * math.log(1 - (v_th - v_rest) / (v_inf - v_rest))
    times, t = [], 0.0
    while True:
        t_spike = math.ceil((t + period) / 0.1 - 1e-9) * 0.1
        if t_spike > t_stop:
            return np.array(times)
        times.append(t_spike)
        t = t_spike + t_ref


def test_if_curr_exp_dc_spikes_match_closed_form():
    """IF_curr_exp is IafPscExp (NEST's iaf_psc_exp, exact): under a constant current its spikes fall on the
    first grid point after each closed-form threshold crossing."""
    params = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, tau_refrac=2.0, i_offset=1.0)
    p = sim.Population(1, sim.IF_curr_exp(**params))
    p.record("spikes")
    sim.run(200.0)
    got = p.get_data().segments[0].spiketrains[0].magnitude
    expected = lif_dc_spike_times(1.0, 20.0, 1.0, -65.0, -50.0, 2.0, 200.0)
    assert got.size == expected.size == 6
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert isinstance(p._sl_model, sl.IafPscExp)


def test_dc_source_window_and_run_in_pieces():
    p = sim.Population(2, sim.IF_curr_exp(tau_refrac=2.0))
    src = sim.DCSource(amplitude=1.0, start=50.0, stop=150.0)
    src.inject_into(p[0:1])
    src.record()
    p.record(["spikes", "v"])
    for _ in range(4):
        sim.run(50.0)
    seg = p.get_data().segments[0]
    t0 = seg.spiketrains[0].magnitude
    assert seg.spiketrains[1].size == 0
    assert t0.min() > 50.0 and t0.max() < 150.0
    np.testing.assert_allclose(t0 - 50.0, lif_dc_spike_times(1.0, 20.0, 1.0, -65.0, -50.0, 2.0, 100.0), atol=0.1)
    v = seg.filter(name="v")[0]
    assert v.shape == (2001, 2)  # 200 ms / 0.1 ms + the sample at t = 0
    i = src.get_data()
    assert i[499, 0] == 0 * pq.nA and i[500, 0] == 1 * pq.nA and i[1500, 0] == 0 * pq.nA


def test_spike_source_array_psp_timing_and_shape():
    """One spike at 10 ms, delay 1.5 ms, into IF_curr_exp: the current starts at 11.5 ms; the PSP is the
    closed form of the exact model (Rotter & Diesmann 1999)."""
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=2.0, tau_m=10.0, cm=0.25))
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=1.5))
    src.record("spikes")
    post.record("v")
    sim.run(40.0)
    data = post.get_data().segments[0]
    assert src.get_data().segments[0].spiketrains[0].magnitude.tolist() == [10.0]
    v = data.filter(name="v")[0].magnitude[:, 0] + 65.0
    t = np.arange(v.size) * 0.1 - 11.5
    w, tau_s, tau_m, c = 100.0, 2.0, 10.0, 250.0
    closed = np.where(t > 0, w * tau_s * tau_m / (c * (tau_m - tau_s)) * (np.exp(-t / tau_m) - np.exp(-t / tau_s)), 0)
    np.testing.assert_allclose(v, closed, atol=1e-9)
    assert v[115] == 0.0 and v[116] > 0.0


def test_fixed_number_pre_gives_exact_in_degree_and_weights_from_distribution():
    pre = sim.Population(50, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(20, sim.IF_cond_exp())
    rng = sim.NumpyRNG(seed=7)
    w = sim.RandomDistribution("uniform", low=0.001, high=0.002, rng=rng)
    prj = sim.Projection(pre, post, sim.FixedNumberPreConnector(7, rng=rng), sim.StaticSynapse(weight=w, delay=0.5))
    conns = np.array(prj.get(["weight", "delay"], format="list"))
    assert len(prj) == 140
    np.testing.assert_array_equal(np.bincount(conns[:, 1].astype(int), minlength=20), 7)
    assert conns[:, 2].min() >= 0.001 and conns[:, 2].max() <= 0.002 and np.ptp(conns[:, 2]) > 0
    sim.run(5.0)  # builds; the built weights are the drawn ones
    built = sim.simulator.state.runner.connections(prj._sl_parts[0].name).weight
    np.testing.assert_allclose(np.sort(built.data), np.sort(conns[:, 2] * 1000.0))


def test_get_data_neo_structure_units_and_reset_segments():
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 15.0]))
    p = sim.Population(3, sim.IF_cond_exp(), label="cells")
    sim.Projection(src, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1.0))
    p.record(["spikes", "v", "gsyn_exc"])
    p[0:1].record("gsyn_inh")
    sim.run(30.0)
    sim.reset()
    sim.run(20.0)
    block = p.get_data()
    assert len(block.segments) == 2
    seg0, seg1 = block.segments
    assert len(seg0.spiketrains) == 3 and seg0.spiketrains[0].units == pq.ms
    assert float(seg0.spiketrains[0].t_stop) == pytest.approx(30.0)
    v, ge = seg0.filter(name="v")[0], seg0.filter(name="gsyn_exc")[0]
    assert v.units == pq.mV and ge.units == pq.uS
    assert v.shape == (301, 3) and seg1.filter(name="v")[0].shape == (201, 3)
    assert seg0.filter(name="gsyn_inh")[0].shape == (301, 1)
    # the conductance of one 0.01 uS spike arriving at 6 ms, sampled at the end of each step (tau_syn_E = 5)
    g = ge.magnitude[:, 0]
    assert g[60] == 0.0 and g[61] == pytest.approx(0.01 * math.exp(-0.1 / 5.0))
    np.testing.assert_allclose(seg1.filter(name="v")[0].magnitude[:, 0], v.magnitude[:201, 0])
    assert float(v[0, 0]) == -65.0


def test_stdp_potentiates_causal_pairs_and_depresses_anticausal():
    pre_t = np.arange(10.0, 200.0, 20.0)
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[pre_t, pre_t + 5.0]))
    driver = sim.Population(1, sim.SpikeSourceArray(spike_times=pre_t + 2.0))
    post = sim.Population(2, sim.IF_curr_exp(tau_refrac=5.0, tau_syn_E=0.5))
    # a strong, short pulse makes the post neurons spike once, within a step or two of each driver spike
    sim.Projection(driver, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=50.0, delay=0.1))
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                                                 A_minus=0.012),
                             weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.5),
                             weight=0.25, delay=0.1, dendritic_delay_fraction=0.0)
    prj = sim.Projection(pre, post, sim.OneToOneConnector(), stdp)
    post.record("spikes")
    sim.run(200.0)
    assert all(st.size == 10 for st in post.get_data().segments[0].spiketrains)
    w = np.array(prj.get("weight", format="list"))[:, 2]
    assert w[0] > 0.25 + 0.01 and w[1] < 0.25 - 0.01  # neuron 0: pre before post; neuron 1: pre after post


def test_tsodyks_markram_depression_reduces_successive_psps():
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 30.0, 50.0]))
    # a near-perfect integrator with short synaptic currents: each PSP's jump is its charge
    post = sim.Population(1, sim.IF_curr_exp(tau_m=1e4, cm=1.0, v_thresh=100.0, tau_syn_E=0.5))
    syn = sim.TsodyksMarkramSynapse(U=0.5, tau_rec=500.0, tau_facil=0.0, weight=1.0, delay=1.0)
    sim.Projection(src, post, sim.AllToAllConnector(), syn)
    post.record("v")
    sim.run(70.0)
    v = post.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    jumps = [v[k + 195] - v[k] for k in (100, 300, 500)]  # integrated charge of each spike
    assert jumps[0] > jumps[1] > jumps[2] > 0
    # u x = U, then U (1 - U) e^{-20/500} ... for the first two PSCs (tau_facil = 0: u = U)
    x2 = 1 - (1 - 0.5) * math.exp(-20 / 500)
    assert jumps[1] / jumps[0] == pytest.approx(x2, rel=0.02)


def test_va_cuba_reduced_rates_plausible():
    """The Vogels-Abbott CUBA network (Brette et al. 2007, benchmark 2) at 400 neurons with the full model's
    in-degree (80): self-sustained irregular activity at a few to a few tens of Hz."""
    n, ne = 400, 320
    cell = sim.IF_curr_exp(cm=0.2, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=-49.0, v_reset=-60.0,
                           v_thresh=-50.0, tau_refrac=5.0)
    rng = sim.NumpyRNG(seed=2)
    v0 = sim.RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng)
    cells = sim.Population(n, cell, initial_values={"v": v0})
    conn = sim.FixedProbabilityConnector(0.2, rng=rng)
    sim.Projection(cells[:ne], cells, conn, sim.StaticSynapse(weight=0.0162, delay=0.1), receptor_type="excitatory")
    sim.Projection(cells[ne:], cells, conn, sim.StaticSynapse(weight=-0.09, delay=0.1), receptor_type="inhibitory")
    cells.record("spikes")
    sim.run(300.0)
    rate = sum(cells.get_spike_counts().values()) / n / 0.3
    assert 2.0 < rate < 60.0


def test_assembly_projection_and_gsyn_sum_over_projections():
    a = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    b = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    post1, post2 = sim.Population(2, sim.IF_cond_exp()), sim.Population(1, sim.IF_cond_alpha())
    both = post1 + post2
    # an Assembly's receptor types are a set in PyNN (no default order): name the receptor
    sim.Projection(a, both, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1.0),
                   receptor_type="excitatory")
    sim.Projection(b, post1, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.02, delay=1.0))
    post1.record("gsyn_exc")
    post2.record("gsyn_exc")
    sim.run(20.0)
    g1 = post1.get_data().segments[0].filter(name="gsyn_exc")[0].magnitude
    g2 = post2.get_data().segments[0].filter(name="gsyn_exc")[0].magnitude
    assert g1[61, 0] == pytest.approx(0.03 * math.exp(-0.1 / 5.0))
    assert g2.max() == pytest.approx(0.01, rel=1e-3)  # alpha conductance peaks at the weight (tau = 0.3 ms)


def test_synapse_time_constants_per_target_neuron():
    """tau_syn_E differs between the targets: the projection is split by it, each neuron's conductance decays
    with its own time constant."""
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    post = sim.Population(3, sim.IF_cond_exp(tau_syn_E=[2.0, 5.0, 2.0]))
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1.0))
    post.record("gsyn_exc")
    sim.run(20.0)
    g = post.get_data().segments[0].filter(name="gsyn_exc")[0].magnitude
    np.testing.assert_allclose(g[61 + 20], 0.01 * np.exp(-2.1 / np.array([2.0, 5.0, 2.0])), rtol=1e-12)


def test_set_parameters_between_runs_keeps_state():
    p = sim.Population(1, sim.IF_curr_exp(i_offset=0.5))
    p.record("v")
    sim.run(10.0)
    p.set(i_offset=0.0)
    sim.run(10.0)
    v = p.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    assert v.shape == (201,)
    assert v[100] > -65.0 and v[200] < v[100]  # continues from 10 ms, then decays without the offset


def test_bad_input():
    with pytest.raises(sim.errors.InvalidParameterValueError):
        sim.Population(1, sim.SpikeSourceArray(spike_times=[3.0, 1.0]))
    with pytest.raises(ValueError):
        sim.StepCurrentSource(times=[1.0, -1.0], amplitudes=[0.1, 0.2])
    with pytest.raises(NotImplementedError, match="composed"):
        sim.PointNeuron()
    with pytest.raises(NotImplementedError, match="on the time grid"):
        sim.setup(spike_precision="off_grid")
    sim.setup()
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    izh = sim.Population(1, sim.Izhikevich())
    sim.Projection(src, izh, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    with pytest.raises(NotImplementedError, match="Izhikevich"):
        sim.run(5.0)
    sim.setup()
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    mixed = sim.Population(70, sim.IF_cond_exp(tau_syn_E=np.linspace(1.0, 8.0, 70)))
    sim.Projection(src, mixed, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    with pytest.raises(NotImplementedError, match="at most 64"):
        sim.run(5.0)
    sim.setup()
    p = sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(sim.errors.ConnectionError):
        sim.Projection(p, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.1), receptor_type="excitatory")
