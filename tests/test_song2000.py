"""Song, Miller & Abbott (2000) against Brian2: the final weight distribution (bimodal), its time course and the
output rate of spikeloom's model over 100 s agree with Brian2 cpp_standalone's on the same model
(``tests/reference/song2000_brian2.npz``, 8 seeds; ``song2000_brian2.md`` says how it was made), and
``spikeloom run stdp-song2000`` writes its files and keys."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.models.song2000 import Song2000

REF = pathlib.Path(__file__).resolve().parent / "reference" / "song2000_brian2.npz"
SEEDS = (0, 1, 2, 3)
#: a difference of means beyond this many standard errors fails (the errors of both sides, from the reference's
#: spread across seeds)
Z = 4.0


@pytest.fixture(scope="module")
def ref():
    with np.load(REF) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def runs(ref):
    """spikeloom over the reference's duration on SEEDS: final w / w_max, mean weight every second, output rate
    per 5 s window."""
    duration = float(ref["duration_s"]) * 1e3
    window = int(round(ref["rate_edges_s"][1] * 1e4))  # steps of 0.1 ms
    out = []
    for seed in SEEDS:
        net = Song2000()
        runner = sl.Runner(net, seed=seed, monitors=[("syn.w", None, 10_000)])
        w0 = runner.connections("syn")[0].toarray()[:, 0] / net.w_max
        res = runner.run(duration)
        w = runner.connections("syn")[0].toarray()[:, 0] / net.w_max
        counts = res.spike_counts["neuron"].reshape(-1, window).sum(axis=1)
        out.append({"w": w, "w_mean_t": np.concatenate([[w0.mean()], res.traces["syn.w"].mean(axis=1) / net.w_max]),
                    "rate_win_hz": counts / (window * 1e-4), "rate_hz": res.mean_rate("neuron")})
    return out


def agree(ours, theirs, floor=0.0):
    """Means over seeds within Z standard errors (plus ``floor``, a systematic allowance) of each other."""
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    se = theirs.std(axis=0, ddof=1) * np.sqrt(1.0 / len(ours) + 1.0 / len(theirs))
    gap = np.abs(ours.mean(axis=0) - theirs.mean(axis=0))
    assert np.all(gap <= Z * se + floor), f"spikeloom {ours.mean(axis=0)} vs Brian2 {theirs.mean(axis=0)} (se {se})"


def test_final_weights_are_bimodal_as_in_brian2(ref, runs):
    hists = np.array([np.histogram(r["w"], ref["w_edges"])[0] / r["w"].size for r in runs])
    # bimodal: both end bins hold several times the weights of any middle bin
    assert hists[:, 0].mean() > 3 * hists[:, 5:15].mean() and hists[:, -1].mean() > 2 * hists[:, 5:15].mean()
    agree([np.mean(r["w"] < 0.1) for r in runs], ref["frac_low"], floor=0.01)
    agree([np.mean(r["w"] > 0.9) for r in runs], ref["frac_high"], floor=0.01)
    agree(hists[:, [0, 1, -2, -1]], ref["w_hist"][:, [0, 1, -2, -1]], floor=0.01)


def test_mean_weight_time_course_follows_brian2(ref, runs):
    # the change from each run's own initial draw: the initial mean's sampling noise cancels
    ours = np.array([r["w_mean_t"] - r["w_mean_t"][0] for r in runs])
    theirs = ref["w_mean_t"] - ref["w_mean_t"][:, :1]
    assert ours.shape[1] == theirs.shape[1]
    k = [5, 10, 20, 50, 100]  # seconds
    agree(ours[:, k], theirs[:, k], floor=0.002)
    assert np.all(ours[:, 100] < -0.015)  # depression wins on average: the mean weight falls


def test_output_rate_follows_brian2(ref, runs):
    agree([r["rate_hz"] for r in runs], ref["rate_hz"], floor=0.5)
    # the rate falls from ~40 Hz as the weights spread out: first 5 s, then 5 s windows averaged over 50-100 s
    agree([r["rate_win_hz"][0] for r in runs], ref["rate_win_hz"][:, 0], floor=1.0)
    agree([r["rate_win_hz"][10:].mean() for r in runs], ref["rate_win_hz"][:, 10:].mean(axis=1), floor=0.5)


def test_cli_writes_weights_and_prints_the_keys(tmp_path):
    out = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "stdp-song2000", "--duration", "2000",
                          "--seed", "3", "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("model", "engine", "dt_ms", "seed", "n_neurons", "n_synapses", "spikes", "rate_hz", "w_mean",
                "frac_low", "frac_high", "build_s", "compile_s", "run_s", "duration_ms", "files", "out"):
        assert key in summary, key
    assert summary["n_synapses"] == 1000 and summary["files"] == ["weights.npz", "weights.png"]
    with np.load(tmp_path / "weights.npz") as f:
        w, t_ms, w_mean = f["w"], f["t_ms"], f["w_mean"]
    assert w.shape == (1000,) and 0.0 <= w.min() and w.max() <= 1.0
    np.testing.assert_allclose(t_ms, np.arange(0.0, 2001.0, 100.0))
    assert w_mean.shape == t_ms.shape and abs(w_mean[0] - 0.5) < 0.05  # uniform initial weights
    assert summary["w_mean"] == pytest.approx(w.mean()) == pytest.approx(w_mean[-1])
    assert summary["frac_low"] == pytest.approx(np.mean(w < 0.1))
    assert summary["frac_high"] == pytest.approx(np.mean(w > 0.9))
    assert summary["rate_hz"] == pytest.approx(summary["spikes"] / 2.0) and summary["spikes"] > 20
    assert (tmp_path / "weights.png").stat().st_size > 10_000
    bad = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "stdp-song2000", "--duration", "0.05",
                          "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "--duration" in bad.stderr
