"""The Potjans & Diesmann (2014) microcircuit: its published numbers turned into a network correctly, and the
command that runs it."""

import json
import subprocess
import sys

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.models import potjans2014 as pd


def test_weight_gives_the_published_psp_peak():
    """One spike of the mean excitatory weight raises V_m by 0.15 mV at its peak (simulated, exact)."""
    w = pd.psc_of_psp(pd.PSP_MEAN, pd.NEURON["C_m"], pd.NEURON["tau_m"], pd.NEURON["tau_syn_ex"])
    assert w == pytest.approx(87.81, abs=0.01)  # the value NEST's example prints
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(1, times=[1.0], indices=[0])
    net.post = sl.IafPscExp(1, **pd.NEURON)
    net.syn = sl.Projection(net.src, net.post, sl.AllToAll(), w, synapse=net.post.excitatory(), delay=1.0)
    res = sl.Runner(net, dt=0.01, monitors=["post.V_m"], precision="float64", progress=False).run(20.0)
    peak = res["post.V_m"][:, 0].max() - pd.NEURON["E_L"]
    assert peak == pytest.approx(pd.PSP_MEAN, rel=1e-4)


def test_synapse_numbers_give_the_published_probabilities_and_keep_in_degrees():
    n = np.asarray(pd.FULL_SIZE, float)
    k = pd.synapse_numbers(1.0).astype(float)
    # K independent uniform draws over N_pre N_post pairs connect a given pair with probability 1 - (1 - 1/N)^K
    p = -np.expm1(k * np.log1p(-1.0 / np.outer(n, n)))
    np.testing.assert_allclose(p, pd.CONN_PROB, atol=2e-7)
    assert 2.9e8 < k.sum() < 3.0e8
    in_degree_full = k.sum(axis=1) / n
    small = pd.synapse_numbers(0.1).sum(axis=1) / (n * 0.1)
    np.testing.assert_allclose(small, in_degree_full, rtol=1e-3)


def test_network_structure_at_small_scale():
    net = pd.Potjans2014(0.01, background="dc")
    pops = net.populations()
    assert list(pops) == list(pd.POPULATIONS)
    assert [p.n for p in pops.values()] == [max(1, round(n * 0.01)) for n in pd.FULL_SIZE]
    counts = pd.synapse_numbers(0.01)
    projections = net.projections()
    assert len(projections) == int((counts > 0).sum())
    runner = sl.Runner(net, dt=0.1, seed=3, progress=False)
    con = runner.connections("L4E_L23E")
    assert con.weight.nnz <= counts[0, 2]
    w = pd.psc_of_psp(pd.PSP_MEAN, pd.NEURON["C_m"], pd.NEURON["tau_m"], pd.NEURON["tau_syn_ex"])
    assert con.weight.sum() == pytest.approx(2 * w * counts[0, 2], rel=0.01)  # the doubled pathway
    inh = runner.connections("L23I_L23E")
    assert inh.weight.sum() < 0
    d = inh.delay.data
    assert d.min() >= 0.1 - 1e-9 and d.mean() == pytest.approx(0.8, abs=0.1)  # redrawn below one step


@pytest.mark.parametrize("argv, match", [
    (["--scale", "0"], "--scale"), (["--scale", "1.5"], "--scale"), (["--transient", "500", "--duration", "200"],
                                                                     "--transient"),
    (["--dt", "2"], "--dt"), (["--background", "noise"], "--background")])
def test_cli_refuses_bad_options(tmp_path, argv, match):
    proc = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "potjans2014", *argv, "--out",
                           str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and match in proc.stderr


def test_cli_runs_and_reports_every_population(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "potjans2014", "--scale", "0.01",
                           "--background", "dc", "--duration", "200", "--no-plot", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(line["spikes"]) == set(pd.POPULATIONS) == set(line["rate_hz"])
    assert line["n_synapses"] == pytest.approx(pd.synapse_numbers(0.01).sum(), rel=1e-6)
    assert (tmp_path / "results.h5").exists()
    res = sl.Result.from_hdf5(tmp_path / "results.h5")
    assert sum(int(c.sum()) for c in res.spike_counts.values()) == sum(line["spikes"].values()) > 0
