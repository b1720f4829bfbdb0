"""Generic LPU: analytic LIF, Morris-Lecar vs scipy, alpha synapse numbers, GEXF errors, HDF5, the demo property."""

import math
import os
import tempfile

import networkx as nx
import numpy as np
import pytest

from spikeloom.lpu import GenericLPU, GraphError, Manager, graph_to_dicts, graph_to_frames, read_gexf
from spikeloom.lpu.gexf import write_gexf
from spikeloom.lpu import demo, hdf5
from spikeloom.neurons import MorrisLecar

LIF = dict(Vr=-0.0675489770451, Vt=-0.0251355161007, R=1.02445570216, C=0.0669810502993)
ML = dict(V1=0.03, V2=0.015, V3=0.0, V4=0.03, phi=0.025, offset=0.0, initV=-0.05214, initn=0.03)
DT = 1e-4


def _lif_graph(V0=-0.05):
    G = nx.DiGraph()
    G.add_node(0, model="LeakyIAF", name="n0", extern=True, public=True, spiking=True, selector="/a[0]", V=V0, **LIF)
    return G


def _run(lpu, steps, engine):
    man = Manager(DT)
    man.add(lpu)
    man.run(steps, chunk=700, engine=engine)
    return lpu


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_single_lif_with_pulse_input_matches_the_analytic_solution(tmp_path, engine):
    steps = 10000
    rows = demo.pulse_input(1, DT, steps * DT)
    hdf5.write_input(tmp_path / "in.h5", rows)
    lpu = _run(GenericLPU(_lif_graph(), DT, "one", input_file=tmp_path / "in.h5",
                          output_file=tmp_path / "out.h5"), steps, engine)
    spikes = hdf5.read_array(tmp_path / "out_spike.h5")[:, 0]
    assert spikes.shape == (steps,) and np.array_equal(spikes, lpu.recorded["spike"][:, 0])
    # analytic: V(t) = R I + (V0 - R I) exp(-t / RC) between spikes, I constant over each step (row s drives step s)
    tau, V, expected = LIF["R"] * LIF["C"], -0.05, np.zeros(steps)
    for s in range(1, steps):
        RI = LIF["R"] * rows[s, 0]
        V = RI + (V - RI) * math.exp(-DT / tau)
        if V >= LIF["Vt"]:
            expected[s], V = 1.0, LIF["Vr"]
    assert np.array_equal(spikes, expected)
    # and the closed-form periods of the spec: ~67.8 ms without input, ~4.40 ms with I = 0.6
    isi = np.diff(np.nonzero(spikes)[0]) * DT
    t_spk = np.nonzero(spikes)[0][1:] * DT
    quiet = isi[t_spk < 0.3][1:]
    driven = isi[(t_spk > 0.32) & (t_spk < 0.6)]
    assert np.allclose(quiet, tau * math.log(LIF["Vr"] / LIF["Vt"]), atol=DT)
    RI = LIF["R"] * 0.6
    assert np.allclose(driven, tau * math.log((RI - LIF["Vr"]) / (RI - LIF["Vt"])), atol=DT)


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_morris_lecar_matches_a_high_precision_scipy_reference(engine):
    from scipy.integrate import solve_ivp

    G = nx.DiGraph()
    G.add_node(0, model="MorrisLecar", extern=True, public=False, spiking=False, **(ML | dict(initV=-0.06)))
    steps, I = 3000, 0.02  # V/ms: a depolarising step current
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.h5")
        hdf5.write_input(path, np.full((steps, 1), I))
        lpu = _run(GenericLPU(G, DT, "ml", input_file=path), steps, engine)
    V = lpu.recorded["gpot"][:, 0]
    f = MorrisLecar.vector_field(np)
    c = dict(C=1.0, g_L=0.5, g_K=2.0, g_Ca=1.1, V_L=-0.05, V_K=-0.07, V_Ca=0.1)
    p = {k: ML[k] for k in ("V1", "V2", "V3", "V4", "phi", "offset")}

    def rhs(t, y):
        return f(y[0], y[1], I, **p, **c)

    t_ms = np.arange(steps) * DT * 1e3
    # row s is the state after s updates; the update of step s uses input row s, so row s = solution at (s) dt
    ref = solve_ivp(rhs, (0, t_ms[-1]), [-0.06, ML["initn"]], t_eval=t_ms, method="DOP853", rtol=1e-11, atol=1e-13)
    err = np.max(np.abs(V - ref.y[0]))
    assert err < 2e-4  # forward Euler at 0.01 ms: first-order error well below the 20-mV excursion
    assert np.ptp(ref.y[0]) > 0.01
    # and the error is first order: halving the sub-step halves it
    from spikeloom.lpu import generic

    old = generic.ML_SUBSTEP
    try:
        generic.ML_SUBSTEP = 0.5e-5
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "in.h5")
            hdf5.write_input(path, np.full((steps, 1), I))
            fine = _run(GenericLPU(G, DT, "ml2", input_file=path), steps, engine).recorded["gpot"][:, 0]
    finally:
        generic.ML_SUBSTEP = old
    ratio = err / np.max(np.abs(fine - ref.y[0]))
    assert 1.7 < ratio < 2.3


def test_alpha_synapse_reproduces_the_spec_numbers():
    from spikeloom.synapses import AlphaSynapse

    step = AlphaSynapse.step(np)
    a, trace = (0.0, 0.0, 0.0), []
    for s in range(300):
        a = step(*a, s == 0, 110.0, 1900.0, DT)
        trace.append(a[0])
    trace = np.array(trace)
    assert int(np.argmax(trace)) == 12 and abs(trace.max() - 97.42) < 0.01  # a0 after the update of step 12
    assert abs(trace.sum() * DT - 0.962) < 0.001


def test_graph_errors_name_the_node_or_edge():
    G = _lif_graph()
    G.nodes[0]["model"] = "Hodgkin"
    with pytest.raises(GraphError, match="node 0 \\(n0\\): unknown neuron model 'Hodgkin'"):
        GenericLPU(G, DT, "x")
    G = _lif_graph()
    del G.nodes[0]["Vt"]
    with pytest.raises(GraphError, match="node 0 \\(n0\\): model LeakyIAF needs attribute\\(s\\) \\['Vt'\\]"):
        GenericLPU(G, DT, "x")
    G = _lif_graph()
    del G.nodes[0]["selector"]
    with pytest.raises(GraphError, match="public node needs a 'selector'"):
        GenericLPU(G, DT, "x")
    G = _lif_graph()
    G.add_node(1, model="MorrisLecar", extern=False, public=False, spiking=False, **ML)
    G.add_edge(0, 1, model="AlphaSynapse", ar=1.0, ad=2.0, gmax=1.0, reverse=0.0, **{"class": 0})
    with pytest.raises(GraphError, match="edge 0->1 .*class 0 does not fit a spiking -> graded pair"):
        GenericLPU(G, DT, "x")
    G.edges[0, 1]["class"] = 1
    del G.edges[0, 1]["gmax"]
    with pytest.raises(GraphError, match="edge 0->1 .*needs attribute\\(s\\) \\['gmax'\\]"):
        GenericLPU(G, DT, "x")


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_gexf_round_trip_tables_and_hdf5_output_survives_a_crash(tmp_path, engine):
    G = demo.generic_lpu_graph(3, "lpu_x", sizes=(5, 6, 4))
    path = tmp_path / "g.gexf.gz"
    write_gexf(G, path)
    n_dict, s_dict = graph_to_dicts(read_gexf(path))
    neurons, synapses = graph_to_frames(read_gexf(path))
    assert len(neurons) == G.number_of_nodes() and len(synapses) == G.number_of_edges()
    assert sum(len(v["id"]) for v in n_dict.values()) == G.number_of_nodes()
    assert set(s_dict) <= {"AlphaSynapse", "power_gpot_gpot"}
    assert (neurons["model"] == "MorrisLecar").sum() >= 6  # every local neuron is graded
    # output written chunk by chunk stays readable when a later chunk fails
    rows = demo.pulse_input(5, DT, 0.05)
    hdf5.write_input(tmp_path / "in.h5", rows)
    lpu = GenericLPU(path, DT, "x", input_file=tmp_path / "in.h5", output_file=tmp_path / "o.h5")
    man = Manager(DT)
    man.add(lpu)
    with pytest.raises(ValueError, match="has 500 rows, the run needs 900"):
        man.run(900, engine=engine)
    man.run(300, chunk=100, engine=engine)
    calls = {"n": 0}
    original = lpu.after_chunk

    def crash_after_two(s0, n):
        original(s0, n)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash")

    lpu.after_chunk = crash_after_two
    with pytest.raises(RuntimeError):
        man.run(200, chunk=50, engine=engine)  # continues at step 300 (compiled already) and crashes after 100 rows
    assert hdf5.read_array(tmp_path / "o_spike.h5").shape[0] == 100
    assert hdf5.read_array(tmp_path / "o_gpot.h5").shape == (100, lpu.gpot_ids.size)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_demo_lpu0_identical_lpu1_changes(tmp_path, engine):
    runs = demo.intro_demo(tmp_path, duration=0.4, sizes=(12, 12, 12), engine=engine)
    (u0, u1), (c0, c1) = runs["unconnected"]["lpus"], runs["connected"]["lpus"]
    assert runs["connected"]["routes"] > 0
    for kind in ("spike", "gpot"):
        assert np.array_equal(u0.recorded[kind], c0.recorded[kind])
    assert not np.array_equal(u1.recorded["gpot"], c1.recorded["gpot"])
    assert np.array_equal(hdf5.read_array(tmp_path / "connected_lpu_1_spike.h5"), c1.recorded["spike"])


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_a_state_that_blows_up_is_reported_and_the_steps_before_it_are_kept(tmp_path, engine):
    from spikeloom import SimulationError

    rows = np.zeros((50, 1))
    rows[20:] = 1e308  # R I overflows to inf at step 20 (row s drives step s)
    hdf5.write_input(tmp_path / "in.h5", rows)
    G = _lif_graph()
    G.nodes[0]["R"] = 1e10
    lpu = GenericLPU(G, DT, "boom", input_file=tmp_path / "in.h5", output_file=tmp_path / "out.h5")
    man = Manager(DT)
    man.add(lpu)
    with pytest.raises(SimulationError, match=r"LPU 'boom': .*non-finite at step 20 \(t = 0.002 s\), node 0 \(n0\), "
                                              r"variable 'V'"):
        man.run(50, chunk=30, engine=engine)
    kept = hdf5.read_array(tmp_path / "out_spike.h5")
    assert kept.shape == (20, 1) and np.array_equal(kept, lpu.recorded["spike"])


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_an_output_file_is_replaced_only_by_a_run_that_completed_steps(tmp_path, engine):
    rows = np.zeros((10, 1))
    hdf5.write_input(tmp_path / "in.h5", rows)
    lpu = _run(GenericLPU(_lif_graph(), DT, "o", input_file=tmp_path / "in.h5", output_file=tmp_path / "o.h5"), 10,
               engine)
    before = hdf5.read_array(tmp_path / "o_gpot.h5")
    assert hdf5.read_array(tmp_path / "o_spike.h5").shape == (10, 1)
    # a run refused before its first step (the input is too short) leaves the earlier outputs as they were
    man = Manager(DT)
    man.add(lpu)
    with pytest.raises(ValueError, match="has 10 rows, the run needs 20"):
        man.run(20, engine=engine)
    assert hdf5.read_array(tmp_path / "o_spike.h5").shape == (10, 1)
    assert np.array_equal(hdf5.read_array(tmp_path / "o_gpot.h5"), before)
    # a writer that is never closed (the process killed) leaves the target untouched, no half-written file
    writer = hdf5.OutputWriter(tmp_path / "o_spike.h5", 1)
    writer.append(np.ones((3, 1)))
    assert hdf5.read_array(tmp_path / "o_spike.h5").shape == (10, 1)
    writer.close()
    assert np.array_equal(hdf5.read_array(tmp_path / "o_spike.h5"), np.ones((3, 1)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.h5", "o_gpot.h5", "o_spike.h5"]
