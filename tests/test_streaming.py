"""Streaming records to HDF5 (``Runner(record_to=...)``): the file holds exactly what an in-memory run returns,
chunk by chunk on both engines; the result reads lazily; a SIGKILLed CLI run keeps every completed chunk."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.models.coba import COBA
from spikeloom.models.registry import MODELS
from spikeloom.run import runner as runner_module
from spikeloom.run.result import Result

INPUTS = MODELS["coba"].inputs  # the background drive of the bundled model
MONITORS = ["E.spike", "I.spike", ("E.V", [0, 3, 17, 250], 3), ("E2I.g", [1, 2], 1)]


def small_coba():
    return COBA(400, 100, p=0.05)


def records(res):
    """Everything a result holds, as plain arrays (lazy maps read here)."""
    out = {"n_steps": res.n_steps, "t_start": res.t_start}
    for p in res.spikes:
        out[f"spk {p}"] = (res.spikes[p].times, res.spikes[p].indices)
    for k in res.traces:
        out[f"trace {k}"] = (res.traces[k], res.trace_times[k], res.trace_indices[k])
    for p in res.spike_counts:
        out[f"counts {p}"] = res.spike_counts[p]
    return out


def assert_same(a, b):
    ra, rb = records(a), records(b)
    assert ra.keys() == rb.keys()
    for k in ra:
        for x, y in zip(np.atleast_1d(ra[k]) if not isinstance(ra[k], tuple) else ra[k],
                        np.atleast_1d(rb[k]) if not isinstance(rb[k], tuple) else rb[k]):
            assert np.array_equal(x, y), k


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few dozen steps, so that a short run streams many of them."""
    monkeypatch.setattr(runner_module, "FIRST_CHUNK_STEPS", 37)
    monkeypatch.setattr(runner_module, "CHUNK_WALL_S", 0.002)


def test_streamed_file_equals_the_in_memory_run_over_many_chunks(tmp_path, small_chunks):
    mem = sl.Runner(small_coba(), seed=2, monitors=MONITORS, inputs=INPUTS).run(150.0)
    path = tmp_path / "run.h5"
    streamed = sl.Runner(small_coba(), seed=2, monitors=MONITORS, inputs=INPUTS, record_to=path)
    first, second = streamed.run(61.2), streamed.run(88.8)  # 612 = 3 * 204 steps: samples keep their phase
    assert isinstance(first.spikes, sl.run.result._Lazy) and first.n_steps == 612 and second.t_start == 61.2
    assert streamed.arrays["pop_counts"].shape[0] < 1500  # the buffers hold a chunk, not the run
    assert len(first.spikes["E"]) + len(second.spikes["E"]) == len(mem.spikes["E"]) > 100
    assert np.array_equal(np.concatenate([first["E.V"], second["E.V"]]), mem["E.V"])
    assert_same(Result.from_hdf5(path), mem)
    assert_same(Result.from_hdf5(path, lazy=True), mem)


def test_streaming_on_the_jax_engine(tmp_path):
    pytest.importorskip("jax")
    mem = sl.Runner(small_coba(), seed=4, monitors=MONITORS, inputs=INPUTS, engine="jax").run(60.0)
    streamed = sl.Runner(small_coba(), seed=4, monitors=MONITORS, inputs=INPUTS, engine="jax",
                         record_to=tmp_path / "r.h5")
    streamed.program.chunk = 128  # several chunks, none a multiple of the trace's every = 3
    streamed.run(60.0)
    assert_same(Result.from_hdf5(tmp_path / "r.h5"), mem)


def test_record_to_is_checked():
    with pytest.raises(sl.ModelDefinitionError, match="record_to .* does not exist"):
        sl.Runner(small_coba(), record_to="/no/such/folder/run.h5")
    with pytest.raises(sl.ModelDefinitionError, match="record_to must be a file path"):
        sl.Runner(small_coba(), record_to=3)


def _reference_counts(n_steps: int) -> dict:
    """Spike counts per step of the CLI's coba --n 1000 --seed 1, run in this process."""
    from spikeloom.models.registry import MODELS

    spec = MODELS["coba"]
    net = spec.build(1000, 80.0)
    res = sl.Runner(net, seed=1, inputs=spec.inputs, monitors=[]).run(n_steps * 0.1)
    return {p: res.spike_counts[p] for p in ("E", "I")}


def test_sigkill_of_a_streaming_cli_run_keeps_every_completed_chunk(tmp_path):
    """Killed at three moments (as soon as results.h5 appears, half a second later, and once chunks have been
    read back while the run writes), results.h5 reads back with the steps of its completed chunks, and they are
    the steps of an uninterrupted run."""
    kept = []
    for k, moment in enumerate(("created", "0.5 s later", "chunks written")):
        out = tmp_path / f"run{k}"
        proc = subprocess.Popen([sys.executable, "-m", "spikeloom.cli", "run", "coba", "--n", "1000", "--seed", "1",
                                 "--duration", "600000", "--no-plot", "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not (out / "results.h5").exists():  # the file appears when the run starts
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
            time.sleep(0.005)
        if moment == "0.5 s later":
            time.sleep(0.5)
        while moment == "chunks written" and Result.from_hdf5(out / "results.h5", lazy=True).n_steps < 3000:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
            time.sleep(0.05)  # read while the run writes
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        res = Result.from_hdf5(out / "results.h5")
        assert res.interrupted and res.n_steps < 6_000_000
        for p in ("E", "I"):
            assert res.spike_counts[p].size == res.n_steps
            assert len(res.spikes[p]) == res.spike_counts[p].sum()
            assert res.spikes[p].times.max(initial=0.0) <= res.n_steps * 0.1 + 1e-9
        kept.append(res)
    longest = max(kept, key=lambda r: r.n_steps)
    assert longest.n_steps >= 3000
    ref = _reference_counts(longest.n_steps)
    for res in kept:
        for p in ("E", "I"):
            assert np.array_equal(res.spike_counts[p], ref[p][: res.n_steps])


def test_cli_streams_and_reports_the_whole_record(tmp_path):
    done = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "coba", "--n", "500", "--duration", "50",
                           "--no-plot", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    res = Result.from_hdf5(tmp_path / "results.h5")
    assert not res.interrupted and res.n_steps == 500
    assert summary["spikes"] == {p: int(c.sum()) for p, c in res.spike_counts.items()}
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]  # no temporary file left
