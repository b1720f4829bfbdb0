"""Faults the command line survives, each in a subprocess: Ctrl-C during a run writes what was simulated and
exits 130; SIGKILL during a run or while results.h5 is written leaves a readable results.h5 (old or new)."""

import json
import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from spikeloom.run.result import Result

#: 60 s of COBA: 600 000 steps, far longer than any test waits
LONG = ("--duration", "60000", "--seed", "1")


def start(*args):
    return subprocess.Popen([sys.executable, "-m", "spikeloom.cli", "run", "coba", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def wait_until_running(proc, timeout: float = 120.0) -> None:
    """Block until the progress bar (``--progress``) shows the step total, i.e. the time loop has started."""
    seen, deadline, fd = b"", time.monotonic() + timeout, proc.stderr.fileno()
    while b"/600000" not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and proc.poll() is None, f"the run did not start: {seen.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            seen += os.read(fd, 4096)


def finish(proc, timeout: float = 60.0) -> tuple[str, str]:
    out, err = proc.communicate(timeout=timeout)
    return out.decode(), err.decode()


def test_ctrl_c_writes_what_was_simulated_and_exits_130(tmp_path):
    if "interrupted" not in Result.__dataclass_fields__:
        pytest.skip("Runner.run does not stop at a chunk boundary on SIGINT yet (no Result.interrupted)")
    proc = start(*LONG, "--progress", "--out", str(tmp_path))
    wait_until_running(proc)
    proc.send_signal(signal.SIGINT)
    out, err = finish(proc)
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    stopped = re.search(r"^spikeloom: interrupted at t = ([0-9.e+]+) ms; wrote results\.h5, raster\.png to (.+)$", last)
    assert stopped, last
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["interrupted"] is True and summary["duration_ms"] == pytest.approx(float(stopped.group(1)))
    assert 0 < summary["duration_ms"] < 60000.0
    saved = Result.from_hdf5(tmp_path / "results.h5")
    assert saved.n_steps * saved.dt == pytest.approx(summary["duration_ms"])
    assert {p: int(c.sum()) for p, c in saved.spike_counts.items()} == summary["spikes"]
    assert len(saved.spikes["E"]) == summary["spikes"]["E"] > 0
    assert (tmp_path / "raster.png").stat().st_size > 1000


def _previous_run(folder) -> Result:
    done = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "coba", "--duration", "20", "--no-plot",
                           "--out", str(folder)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return Result.from_hdf5(folder / "results.h5")


def test_sigkill_during_a_run_keeps_the_chunks_it_completed(tmp_path):
    """The CLI streams: a run killed part-way leaves a readable results.h5 holding its own completed chunks
    (a prefix of the run, every population's counts covering the same steps), not the previous run's file."""
    _previous_run(tmp_path)
    proc = start(*LONG, "--progress", "--no-plot", "--out", str(tmp_path))
    wait_until_running(proc)
    proc.kill()
    finish(proc)
    kept = Result.from_hdf5(tmp_path / "results.h5")
    assert kept.interrupted
    assert kept.spike_counts["E"].size == kept.spike_counts["I"].size == kept.n_steps
    assert len(kept.spikes["E"]) == int(kept.spike_counts["E"].sum())


def test_sigkill_while_results_are_written_leaves_the_old_or_the_new_file(tmp_path):
    """The kill is sent as soon as the temporary file of the new results.h5 appears (during the write); if the
    write is too quick to catch, the process has finished and the new file must be complete."""
    old = _previous_run(tmp_path)
    proc = start("--duration", "3000", "--no-plot", "--out", str(tmp_path))
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if any(name.startswith(".results.h5.") for name in os.listdir(tmp_path)):
            proc.kill()
            break
        time.sleep(0.001)
    finish(proc)
    kept = Result.from_hdf5(tmp_path / "results.h5")
    assert kept.n_steps in (old.n_steps, 30000)
    assert kept.spike_counts["E"].size == kept.n_steps
