"""Distributed runs (run/distributed.py): 2 MPI ranks give exactly the spikes, traces, states, checkpoints and
merged record files of one process, for stored, procedural, plastic and graded networks; the partition and
the exchange interval."""

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
    exe = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    return exe


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
    plan = _plan(_two_pops(3000, 1000, synapses=False))  # every neuron costs the same
    for p in (1, 2, 3, 5):
        ranges = neuron_ranges(plan, p)
        assert ranges[0][0] == 0 and ranges[-1][1] == 4000
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        sizes = np.diff([0] + [hi for _, hi in ranges])
        assert sizes.max() - sizes.min() <= 4000 * 0.05 + 64 * 2, (p, ranges)


def test_ranges_snap_to_population_boundaries():
    plan = _plan(_two_pops(1950, 2050, synapses=False))  # the boundary is within 10 % of the half (2000)
    assert neuron_ranges(plan, 2) == [(0, 1950), (1950, 4000)]
    plan = _plan(_two_pops(3000, 1000, synapses=False))  # it is not: cut inside A at a multiple of 64
    (_, cut), _ = neuron_ranges(plan, 2)
    assert cut % 64 == 0 and abs(cut - 2000) <= 64


def test_incoming_synapses_weigh_on_the_cut():
    # 600 synapses onto each neuron of B make it cost 1.6 per neuron: half the cost is at 2000 + 600 / 1.6
    (_, cut), _ = neuron_ranges(_plan(_two_pops(2000, 2000, p=0.3)), 2)
    assert abs(cut - 2375) <= 32 and cut % 64 == 0

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


def test_rank_files_are_named_by_rank_and_count():
    assert rank_path("out/checkpoint.h5", 1, 4).as_posix() == "out/checkpoint.rank1-of-4.h5"
