"""Stream a run to HDF5, stop it, and continue it from a checkpoint in a fresh runner, bit for bit.

Shows: ``Runner(record_to=path)`` (records appended to the file after every chunk; the result reads them from
the file), ``run(..., checkpoint=path, checkpoint_every=ms)``, ``Runner.from_checkpoint`` (a new runner, as a
new process would build it, appending to the same record file), ``runner.get`` / ``runner.set`` between runs,
and a check that the continued run equals an uninterrupted one. Output goes to ``$SPIKELOOM_EXAMPLE_OUT``.
"""

import os
import pathlib
import tempfile

import numpy as np

import spikeloom as sl
from spikeloom.models.coba import COBA
from spikeloom.models.registry import MODELS

DRIVE = MODELS["coba"].inputs  # the bundled COBA model's background drive (pA)
MONITORS = ["E.spike", "I.spike", ("E.V", [0, 1, 2])]


def main() -> None:
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp())
    # the first part: 200 ms, streamed into part.h5, a checkpoint every 100 ms and at the end
    first = sl.Runner(COBA(800, 200, p=0.05), seed=7, inputs=DRIVE, monitors=MONITORS, record_to=out / "part.h5")
    first.run(200.0, checkpoint=out / "checkpoint.h5", checkpoint_every=100.0)
    print(f"first part: t = {first.t:g} ms, E.V of neuron 0 = {first.get('E.V')[0]:.3f} mV")

    # later (another process would do the same): rebuild the network, continue from the checkpoint
    again = sl.Runner.from_checkpoint(out / "checkpoint.h5", COBA(800, 200, p=0.05), inputs=DRIVE,
                                      monitors=MONITORS, record_to=out / "part.h5")
    again.run(300.0)
    resumed = sl.Result.from_hdf5(out / "part.h5")

    whole = sl.Runner(COBA(800, 200, p=0.05), seed=7, inputs=DRIVE, monitors=MONITORS).run(500.0)
    same = all(np.array_equal(resumed.spikes[p].times, whole.spikes[p].times)
               and np.array_equal(resumed.spikes[p].indices, whole.spikes[p].indices) for p in ("E", "I"))
    print(f"resumed record: {resumed.n_steps} steps, {len(resumed.spikes['E'])} E spikes; identical to one "
          f"uninterrupted run: {same}")
    assert same and np.array_equal(resumed["E.V"], whole["E.V"])

    # state between runs: read and set a variable before the next run
    again.set("E.V", -60.0)
    print(f"after setting E.V = -60 mV: {again.get('E.V')[:3]}")


if __name__ == "__main__":
    main()
