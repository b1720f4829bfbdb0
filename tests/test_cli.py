"""The command line: JSON last line with the documented keys, results.h5 and raster.png; short runs, the JAX
engine of the event-driven command, and faults that end in one line and an exit code."""

import json
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest


def run_cli(*args):
    out = subprocess.run([sys.executable, "-m", "spikeloom.cli", *args], capture_output=True, text=True, check=False)
    return out


def test_run_coba_writes_results_and_prints_json(tmp_path):
    out = run_cli("run", "coba", "--duration", "100", "--seed", "3", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("model", "duration_ms", "dt_ms", "n_neurons", "n_synapses", "spikes", "rate_hz", "compile_s", "run_s"):
        assert key in summary
    assert summary["n_neurons"] == 4000 and set(summary["spikes"]) == {"E", "I"}
    assert 5.0 < summary["rate_hz"]["E"] < 60.0
    with h5py.File(tmp_path / "results.h5") as f:
        assert f["spikes/E/times_ms"].shape[0] == summary["spikes"]["E"]
    assert (tmp_path / "raster.png").stat().st_size > 10_000
    again = json.loads(run_cli("run", "coba", "--duration", "100", "--seed", "3", "--out", str(tmp_path),
                               "--no-plot").stdout.splitlines()[-1])
    assert again["spikes"] == summary["spikes"]


def test_help_lists_models_and_unknown_models_are_refused():
    out = run_cli("--help")
    assert "coba" in out.stdout and "cobahh" in out.stdout
    out = run_cli("run", "nonesuch")
    assert out.returncode == 2 and "unknown model 'nonesuch'" in out.stderr


def test_jax_engine_prints_the_same_spike_counts_as_the_cpu_engine(tmp_path):
    common = ("--duration", "100", "--seed", "5", "--no-plot", "--out", str(tmp_path))
    cpu = json.loads(run_cli("run", "coba", "--engine", "cpu", *common).stdout.splitlines()[-1])
    jax = run_cli("run", "coba", "--engine", "jax", *common)
    assert jax.returncode == 0, jax.stderr
    jax = json.loads(jax.stdout.splitlines()[-1])
    assert jax["engine"] == "jax" and jax["device"] == "cpu"
    assert jax["spikes"] == cpu["spikes"] and sum(cpu["spikes"].values()) > 1000
    out = run_cli("run", "cobahh", "--engine", "jax", "--duration", "20", "--no-plot", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr


def test_lpu_demo_keeps_lpu_0_and_changes_lpu_1(tmp_path):
    out = run_cli("run", "lpu-demo", "--duration", "0.3", "--no-plot", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["lpu_0_identical"] is True and summary["lpu_1_changed"] is True
    assert all(v > 0 for run in summary["spikes"].values() for v in run.values())
    # the JAX engine runs the same network: the same spike counts
    out = run_cli("run", "lpu-demo", "--engine", "jax", "--duration", "0.3", "--no-plot", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["spikes"] == summary["spikes"]


def test_a_run_shorter_than_the_rate_window_writes_every_output(tmp_path, capsys):
    from spikeloom.cli import main

    assert main(["run", "coba", "--duration", "1", "--n", "200", "--out", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["duration_ms"] == 1.0 and summary["interrupted"] is False
    assert summary["files"] == ["results.h5", "raster.png"]
    assert (tmp_path / "raster.png").stat().st_size > 1000
    with h5py.File(tmp_path / "results.h5") as f:
        assert f.attrs["n_steps"] == 10


def test_izhikevich_poisson_runs_on_the_jax_engine(tmp_path):
    pytest.importorskip("jax")
    out = run_cli("run", "izhikevich-poisson", "--engine", "jax", "--duration", "100", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["engine"] == "jax" and summary["files"] == ["spikes.npz", "inputs.npz"]
    assert np.load(tmp_path / "spikes.npz")["times_ms"].size == summary["spikes"]
    assert np.load(tmp_path / "inputs.npz")["times_ms"].size == summary["n_inputs_applied"] > 0


def test_the_json_line_is_valid_json_without_nan():
    from spikeloom.cli._common import json_line

    line = json_line({"rate": float("nan"), "peaks": [np.float32(np.inf), 1.5], "n": {"E": np.int64(3)}})
    assert json.loads(line) == {"rate": None, "peaks": [None, 1.5], "n": {"E": 3}}


def test_negative_values_reach_the_option_check():
    from spikeloom.cli import join_negative_values

    assert join_negative_values(["run", "coba", "--dt", "-1e-3", "--seed", "-inf", "--no-plot", "--n", "5"]) == \
        ["run", "coba", "--dt=-1e-3", "--seed=-inf", "--no-plot", "--n", "5"]
    assert join_negative_values(["--out", "-x"]) == ["--out", "-x"]  # not a number: left to argparse


def test_step_cap_refuses_runs_that_would_not_end():
    from spikeloom import ModelDefinitionError
    from spikeloom.cli import _common

    _common.step_cap(_common.MAX_STEPS, 1e8, 0.1)
    with pytest.raises(ModelDefinitionError, match=r"--duration 1e\+09 ms in steps of --dt 0.1 ms is 1e\+10 steps"):
        _common.step_cap(10**10, 1e9, 0.1)


@pytest.mark.parametrize("fault, code, message", [
    (KeyboardInterrupt(), 130, r"^spikeloom: interrupted before the command finished; nothing half-written was left in out$"),
    (MemoryError(), 2, r"^spikeloom: error: out of memory \(MemoryError\); lower --duration"),
    (OSError(28, "No space left on device", "out/results.h5"), 2,
     r"^spikeloom: error: cannot write out/results.h5: No space left on device$"),
    (RuntimeError("boom\nsecond line"), 1,
     r"^spikeloom: error: internal error: RuntimeError: boom second line \(set SPIKELOOM_DEBUG=1"),
])
def test_faults_end_in_one_line_and_an_exit_code(fault, code, message, monkeypatch, capsys):
    from spikeloom.cli import main, network

    def fail(args):
        raise fault

    monkeypatch.delenv("SPIKELOOM_DEBUG", raising=False)
    monkeypatch.setattr(network, "run", fail)
    assert main(["run", "coba"]) == code
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), lines


def test_output_errors_name_the_file_not_its_temporary(tmp_path):
    from spikeloom.cli._common import output_file

    with pytest.raises(OSError) as info, output_file(tmp_path / "traces.npz") as tmp:
        assert tmp.parent == tmp_path and tmp.name != "traces.npz"
        raise OSError(28, "No space left on device", str(tmp))
    assert info.value.filename == str(tmp_path / "traces.npz") and not list(tmp_path.iterdir())
