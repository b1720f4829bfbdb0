"""The command line: JSON last line with the documented keys, results.h5 and raster.png."""

import json
import subprocess
import sys

import h5py


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
