"""Checkpoint and resume: a run continued from a checkpoint (in a new runner, another chunk size, across a crash
right after the checkpoint) gives exactly the spikes and final state of an uninterrupted run, on both engines;
the CLI's --checkpoint-every / --resume reproduce an uninterrupted run's spike counts; bad checkpoints are
refused with a clear error."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.inputs import TimedArray
from spikeloom.models.coba import COBA
from spikeloom.models.registry import MODELS
from spikeloom.run import checkpoint
from spikeloom.run import runner as runner_module
from spikeloom.run.result import Result

INPUTS = MODELS["coba"].inputs  # the background drive of the bundled model
MONITORS = ["E.spike", "I.spike", ("E.V", [0, 7], 2)]


def net():
    return COBA(400, 100, p=0.05)


def final_state(runner) -> dict:
    if runner.engine == "jax":
        return {k: np.asarray(v) for k, v in runner.carry.items() if k not in checkpoint.RUN_CARRY}
    return checkpoint.cpu_state(runner.arrays)


def spikes(res) -> dict:
    return {p: (res.spikes[p].times, res.spikes[p].indices) for p in res.spikes}


def assert_same_spikes(a: dict, b: dict):
    assert a.keys() == b.keys()
    for p in a:
        assert np.array_equal(a[p][0], b[p][0]) and np.array_equal(a[p][1], b[p][1]), p


def joined(*results) -> dict:
    return {p: (np.concatenate([r.spikes[p].times for r in results]),
                np.concatenate([r.spikes[p].indices for r in results])) for p in results[0].spikes}


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_resume_equals_uninterrupted_across_a_change_of_chunk_size(tmp_path, engine, monkeypatch):
    if engine == "jax":
        pytest.importorskip("jax")
    whole = sl.Runner(net(), seed=3, monitors=MONITORS, inputs=INPUTS, engine=engine)
    ref = whole.run(80.0)
    first = sl.Runner(net(), seed=3, monitors=MONITORS, inputs=INPUTS, engine=engine)
    head = first.run(30.0)
    first.save_checkpoint(tmp_path / "c.h5")
    # the rest in smaller chunks than the first part
    monkeypatch.setattr(runner_module, "FIRST_CHUNK_STEPS", 23)
    monkeypatch.setattr(runner_module, "CHUNK_WALL_S", 1e-4)
    again = sl.Runner.from_checkpoint(tmp_path / "c.h5", net(), monitors=MONITORS, inputs=INPUTS)
    assert again.engine == engine and again.step == 300
    if engine == "jax":
        again.program.chunk = 64
    tail = again.run(50.0)
    assert_same_spikes(joined(head, tail), spikes(ref))
    assert len(ref.spikes["E"]) > 50
    mine, theirs = final_state(again), final_state(whole)
    assert mine.keys() == theirs.keys()
    for k in mine:
        assert np.array_equal(mine[k], theirs[k]), k


def test_a_crash_right_after_a_checkpoint_resumes_the_record_and_the_inputs(tmp_path, monkeypatch):
    """A streamed run with time-varying inputs writes checkpoints every 20 ms and dies right after the second;
    the resumed run cuts the record file (written on past the checkpoint) to the checkpoint, keeps the inputs'
    timeline, and the file equals the uninterrupted run's records."""
    drive = {"E": TimedArray([20.0, 40.0, 0.0, 30.0], step_ms=25.0), "I": 20.0}  # changes every 25 ms
    uninterrupted = sl.Runner(net(), seed=5, monitors=MONITORS, inputs=drive, record_to=tmp_path / "ref.h5")
    uninterrupted.run(15.0)
    uninterrupted.run(85.0)  # the inputs start again with each run
    ref = Result.from_hdf5(tmp_path / "ref.h5")

    class Crash(BaseException):
        pass

    save, saved = sl.Runner.save_checkpoint, []

    def save_then_crash(self, path, metadata=None):
        save(self, path, metadata)
        saved.append(self.step)
        if len(saved) == 2:
            raise Crash

    monkeypatch.setattr(runner_module, "FIRST_CHUNK_STEPS", 64)
    monkeypatch.setattr(runner_module, "CHUNK_WALL_S", 0.01)
    record = tmp_path / "run.h5"
    runner = sl.Runner(net(), seed=5, monitors=MONITORS, inputs=drive, record_to=record)
    runner.run(15.0)  # a first run, so that the record file has rows before the crashed run's
    monkeypatch.setattr(sl.Runner, "save_checkpoint", save_then_crash)
    with pytest.raises(Crash):
        runner.run(85.0, checkpoint=tmp_path / "c.h5", checkpoint_every=20.0)
    monkeypatch.setattr(sl.Runner, "save_checkpoint", save)
    assert saved == [350, 550]
    again = sl.Runner.from_checkpoint(tmp_path / "c.h5", net(), monitors=MONITORS, inputs=drive,
                                      record_to=record)
    assert again.t == pytest.approx(55.0)
    again.run(45.0)
    back = Result.from_hdf5(record)
    assert back.n_steps == 1000 and not back.interrupted
    for p in ("E", "I"):
        assert np.array_equal(back.spike_counts[p], ref.spike_counts[p])
    assert_same_spikes(spikes(back), spikes(ref))
    assert np.array_equal(back["E.V"], ref["E.V"]) and np.array_equal(back.trace_times["E.V"], ref.trace_times["E.V"])


def test_bad_checkpoints_are_refused(tmp_path):
    runner = sl.Runner(net(), seed=1)
    runner.run(5.0)
    path = tmp_path / "c.h5"
    runner.save_checkpoint(path)
    with pytest.raises(sl.ModelDefinitionError, match="seed = 1; this runner has seed = 2"):
        sl.Runner.from_checkpoint(path, net(), seed=2)
    with pytest.raises(sl.ModelDefinitionError, match=r"another network: it holds E \(400\), I \(100\)"):
        sl.Runner.from_checkpoint(path, COBA(300, 100, p=0.05))
    with pytest.raises(sl.ModelDefinitionError, match="does not exist"):
        sl.Runner.from_checkpoint(tmp_path / "none.h5", net())
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(sl.ModelDefinitionError, match="damaged"):
        sl.Runner.from_checkpoint(tmp_path / "junk.h5", net())
    with pytest.raises(sl.ModelDefinitionError, match="checkpoint_every needs checkpoint"):
        runner.run(1.0, checkpoint_every=1.0)


def cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "spikeloom.cli", "run", "coba", "--n", "1000", "--seed", "2",
                             "--no-plot", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_cli_run_killed_and_resumed_reproduces_the_uninterrupted_spike_counts(tmp_path):
    whole = cli("--duration", "20000", "--out", str(tmp_path / "whole"))
    killed = cli("--duration", "20000", "--checkpoint-every", "500", "--out", str(tmp_path / "part"))
    deadline = time.monotonic() + 180
    while not (tmp_path / "part" / "checkpoint.h5").exists():
        assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()[1]
        time.sleep(0.01)
    time.sleep(0.3)
    killed.kill()
    killed.communicate()
    out, err = whole.communicate(timeout=300)
    assert whole.returncode == 0, err
    expected = json.loads(out.splitlines()[-1])
    assert Result.from_hdf5(tmp_path / "part" / "results.h5").n_steps < 200_000  # it was killed part-way
    resumed = cli("--duration", "20000", "--resume", str(tmp_path / "part" / "checkpoint.h5"))
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["spikes"] == expected["spikes"] and summary["duration_ms"] == 20000.0
    back, ref = Result.from_hdf5(tmp_path / "part" / "results.h5"), Result.from_hdf5(tmp_path / "whole" / "results.h5")
    assert_same_spikes(spikes(back), spikes(ref))


@pytest.mark.parametrize("args, message", [
    (("--checkpoint-every", "-5"), "--checkpoint-every"),
    (("--checkpoint-every", "0.05"), "not a whole number of steps"),
    (("--resume", "missing.h5"), "--resume: checkpoint 'missing.h5' does not exist"),
])
def test_cli_refuses_bad_file_options(tmp_path, args, message):
    proc = cli("--duration", "10", "--out", str(tmp_path), *args, cwd=tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and message in err, err


def test_cli_refuses_a_checkpoint_of_another_run(tmp_path):
    done = cli("--duration", "20", "--checkpoint-every", "10", "--out", str(tmp_path))
    assert done.wait(timeout=300) == 0
    for args, message in ((("--seed", "3"), "the checkpoint is of `coba --n 1000"),
                          (("--duration", "20"), "checkpoint is at t = 20 ms already")):
        proc = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "coba", "--n", "1000", "--seed", "2",
                               "--duration", "40", *args, "--resume", str(tmp_path / "checkpoint.h5")],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
