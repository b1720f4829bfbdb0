"""Distributed runs (run/distributed.py): 2 MPI ranks give exactly the spikes, traces, states, checkpoints and
merged record files of one process, for stored, procedural, plastic and graded networks; the partition and
the exchange interval."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.run.distributed import DistributedRunner, delivery_interval, neuron_ranges, rank_path, world

HERE = os.path.dirname(os.path.abspath(__file__))


def _mpiexec():
    """The mpiexec of this environment, None if MPI or mpi4py is missing."""
    if importlib.util.find_spec("mpi4py") is None:
        return None
    return shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")


@pytest.mark.slow
def test_two_ranks_equal_one_process(tmp_path):
    exe = _mpiexec()
    if exe is None:
        pytest.skip("MPI is not installed (pip install 'spikeloom[mpi]')")
    out = tmp_path / "report.json"
    proc = subprocess.run([exe, "-n", "2", sys.executable, os.path.join(HERE, "distributed_cases.py"), str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["ranks"] == 2
    assert set(report["cases"]) == {"stored", "procedural", "plastic", "graded"}
    for case, facts in report["cases"].items():
        assert facts["n_spikes"] > 50, (case, facts)  # the comparison means something
        lo0, hi0 = facts["ranges"][0]
        lo1, hi1 = facts["ranges"][1]
        assert lo0 == 0 and hi0 == lo1 < hi1, (case, facts)  # both ranks hold neurons
        for check in ("same_first", "same_after_checkpoint", "same_file"):
            assert facts[check], (case, check)
    # every stored synapse is held by exactly one rank, the one of its target (plastic ones by both)
    total, reported, held = report["cases"]["stored"]["synapses"]
    assert reported == total and sum(held) == total and max(held) < 0.7 * total


def test_no_world_without_mpiexec(monkeypatch):
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        monkeypatch.delenv(var, raising=False)
    assert world() is None
    with pytest.raises(sl.EngineError, match="mpiexec"):
        DistributedRunner(_two_pops(100, 100))


def _two_pops(n_a, n_b, delay=1.0, synapses=True, p=0.1):
    class Net(sl.Network):
        def __init__(self):
            self.A = sl.LIF(n_a)
            self.B = sl.LIF(n_b)
            if synapses:
                self.AB = sl.Projection(self.A, self.B, sl.FixedProb(p), 1.0, sl.Exponential(), sl.CUBA(),
                                        delay=delay)
    return Net()


def _plan(net):
    return sl.Runner(net, dt=0.1).plan


def test_ranges_cover_all_neurons_in_order_and_balance():
    net = _two_pops(3000, 1000, synapses=False)  # every neuron costs the same
    for p in (1, 2, 3, 5):
        ranges = neuron_ranges(net, p)
        assert ranges[0][0] == 0 and ranges[-1][1] == 4000
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        sizes = np.diff([0] + [hi for _, hi in ranges])
        assert sizes.max() - sizes.min() <= 4000 * 0.05 + 64 * 2, (p, ranges)


def test_ranges_snap_to_population_boundaries():
    net = _two_pops(1950, 2050, synapses=False)  # the boundary is within 10 % of the half (2000)
    assert neuron_ranges(net, 2) == [(0, 1950), (1950, 4000)]
    net = _two_pops(3000, 1000, synapses=False)  # it is not: cut inside A at a multiple of 64
    (_, cut), _ = neuron_ranges(net, 2)
    assert cut % 64 == 0 and abs(cut - 2000) <= 64


def test_incoming_synapses_weigh_on_the_cut():
    # 600 synapses onto each neuron of B make it cost 1.6 per neuron: half the cost is at 2000 + 600 / 1.6
    (_, cut), _ = neuron_ranges(_two_pops(2000, 2000, p=0.3), 2)
    assert abs(cut - 2375) <= 32 and (cut - 2000) % 64 == 0  # a multiple of 64 neurons of B

def test_interval_is_the_smallest_read_offset():
    assert delivery_interval(_plan(_two_pops(50, 50, delay=1.0))) == 11  # 10 steps + 1 (runs before A)
    assert delivery_interval(_plan(_two_pops(50, 50, delay=0.0))) == 1


def test_zero_offset_cannot_be_distributed():
    class SameStep(sl.Network):
        def __init__(self):
            self.A = sl.LIF(10)
            self.B = sl.LIF(10)
            self.AB = sl.Projection(self.A, self.B, sl.FixedProb(0.5), 1.0, sl.Exponential(), sl.CUBA())

        def update(self):
            self.A()
            self.AB()
            self.B()

    with pytest.raises(sl.ModelDefinitionError, match="AB.*at least one step"):
        delivery_interval(_plan(SameStep()))


def test_same_step_graded_coupling_keeps_its_populations_on_one_rank():
    class Chain(sl.Network):  # a graded projection read after its presynaptic population: one unit
        def __init__(self):
            self.A = sl.LIF(1000)
            self.B = sl.LIF(1000)
            self.C = sl.LIF(2000)
            self.AB = sl.GradedProjection(self.A, self.B, sl.FixedProb(0.01),
                                          sl.PowerGpot(threshold=-60.0, slope=0.02, power=1.0, saturation=0.5))

        def update(self):
            self.A()
            self.AB()
            self.B()
            self.C()

    assert neuron_ranges(Chain(), 2) == [(0, 2000), (2000, 4000)]  # the even cut falls between A and B's ends
    cuts = [lo for lo, _ in neuron_ranges(Chain(), 4)]
    assert not any(0 < c < 2000 for c in cuts) and len(set(cuts)) == 3  # A..B whole; C split


def test_rank_files_are_named_by_rank_and_count():
    assert rank_path("out/checkpoint.h5", 1, 4).as_posix() == "out/checkpoint.rank1-of-4.h5"


@pytest.mark.slow
@pytest.mark.parametrize("command", [
    ["coba", "--n", "2000", "--duration", "100"],
    ["joglekar2018", "--duration", "60"],
    ["lpu-demo", "--duration", "0.05"],
], ids=["coba", "joglekar2018", "lpu-demo"])
def test_cli_under_mpiexec_prints_the_spikes_of_one_process(command, tmp_path):
    exe = _mpiexec()
    if exe is None:
        pytest.skip("MPI is not installed (pip install 'spikeloom[mpi]')")
    cli = [sys.executable, "-m", "spikeloom.cli", "run", *command, "--seed", "1", "--no-plot"]
    lines = {}
    for ranks in (1, 2):
        out = tmp_path / f"out{ranks}"
        cmd = cli + ["--out", str(out)] if ranks == 1 else [exe, "-n", "2", *cli, "--out", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        printed = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        assert len(printed) == 1, proc.stdout  # one JSON line, from rank 0
        lines[ranks] = json.loads(printed[0])
    assert lines[1]["ranks"] == 1 and lines[2]["ranks"] == 2
    assert lines[2]["spikes"] == lines[1]["spikes"]
    assert sum(v if isinstance(v, int) else sum(v.values()) for v in lines[1]["spikes"].values()) > 0
    if command[0] != "lpu-demo":
        assert lines[2]["n_synapses"] == lines[1]["n_synapses"]
        merged = sl.Result.from_hdf5(tmp_path / "out2" / "results.h5")
        one = sl.Result.from_hdf5(tmp_path / "out1" / "results.h5")
        for pop in one.spike_counts:
            assert np.array_equal(merged.spike_counts[pop], one.spike_counts[pop]), pop


def test_one_rank_world_runs_the_exchange_path_and_refuses_what_it_cannot_merge():
    mpi = pytest.importorskip("mpi4py.MPI")
    net_kw = dict(dt=0.1, seed=4, monitors=["A.spike", "B.spike", ("B.V", [0, 7])], inputs={"A": 25.0, "B": 5.0})
    dist = DistributedRunner(_two_pops(300, 200, delay=0.5), comm=mpi.COMM_SELF, **net_kw)
    one = sl.Runner(_two_pops(300, 200, delay=0.5), **net_kw)
    a, b = dist.run(30.0), one.run(30.0)
    assert dist.exchanges == 300 // dist.interval and len(a.spikes["A"]) > 0
    for pop in ("A", "B"):
        assert np.array_equal(a.spikes[pop].indices, b.spikes[pop].indices)
    assert np.array_equal(a["B.V"], b["B.V"]) and np.array_equal(dist["B.V"], one["B.V"])
    with pytest.raises(sl.EngineError, match="CPU engine"):
        DistributedRunner(_two_pops(10, 10), comm=mpi.COMM_SELF, engine="jax")
