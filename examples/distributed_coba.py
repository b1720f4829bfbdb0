"""A network run over 2 MPI ranks gives exactly the spikes of one process.

    mpiexec -n 2 python examples/distributed_coba.py     # needs: pip install 'spikeloom[mpi]'
    python examples/distributed_coba.py                  # starts itself under mpiexec -n 2

Each rank updates its own range of neurons and keeps the synapses onto them; spikes are exchanged every
minimum-delay interval. Rank 0 then runs the same network in one process and compares.
"""

import os
import shutil
import subprocess
import sys

import numpy as np

import spikeloom as sl
from spikeloom.run.distributed import DistributedRunner, world

comm = world()
if comm is None:  # not started by mpiexec: start 2 ranks of this script
    exe = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    sys.exit(subprocess.call([exe, "-n", "2", sys.executable, __file__]))

from spikeloom.models.coba import COBA  # noqa: E402

kw = dict(dt=0.1, seed=1, monitors=["E.spike", "I.spike"], inputs={"E": 20.0, "I": 20.0})
runner = DistributedRunner(COBA(3200, 800, p=0.02), comm=comm, **kw)
result = runner.run(300.0)  # the merged result, on every rank
if runner.rank == 0:
    single = sl.Runner(COBA(3200, 800, p=0.02), **kw).run(300.0)
    for pop in ("E", "I"):
        same = (np.array_equal(result.spikes[pop].times, single.spikes[pop].times)
                and np.array_equal(result.spikes[pop].indices, single.spikes[pop].indices))
        print(f"{pop}: {len(result.spikes[pop])} spikes on {runner.n_ranks} ranks, identical to one process: {same}")
        assert same
    print(f"neurons per rank {runner.ranges}; spikes exchanged every {runner.interval} step(s), "
          f"{runner.exchanges} exchanges, {runner.exchange_s:.2f} s in them on rank 0")
