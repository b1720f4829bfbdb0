"""The 29-area model of Joglekar et al. (2018): structure, CLI, and the paper's result against the authors' runs.

``reference/data/joglekar2018_peak_rates.json`` is a copy of the peak rates computed from the original authors'
saved Brian2 spike data (OpenSourceBrain/JoglekarEtAl18, ``Brian/OriginalCodes/*.npy``, see its
``description``), the same analysis as :func:`spikeloom.models.joglekar2018.peak_rates`.
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.models.joglekar2018 import Joglekar2018, baseline_rates, load_data, peak_rates

REFERENCE = json.loads((pathlib.Path(__file__).parent / "reference" / "data" / "joglekar2018_peak_rates.json").read_text())
FRONTAL = ["8m", "8l", "46d", "9/46d", "9/46v", "10", "8B", "F1", "F2", "F5", "F7", "24c", "PROm"]


def test_structure_weights_and_delays():
    net = Joglekar2018("async-strong", delays="jitter")
    plan = sl.Runner(net, seed=0).plan
    data = load_data()
    assert plan.n_neurons == 58_000 and len(net.projections()) == 29 * 29 * 2 + 29 * 2
    names = net.area_names
    assert names[0] == "V1" and names[-1] == "24c"
    h, j = names.index("V1"), names.index("V4")
    W = sl.materialize(plan, "EE_V1_V4")
    gain = 1 + 4 * data["hier"][j]
    w_scale = 1.0 / -np.expm1(-0.1 / 20.0)  # Delta synapse: the held current that moves V by w
    np.testing.assert_allclose(W.data, gain * 0.05 * data["fln"][j, h] * w_scale, rtol=1e-6)
    assert abs(W.nnz - 0.1 * 1600**2) < 5 * np.sqrt(0.09 * 1600**2)
    D = sl.materialize(plan, "EE_V1_V4", what="delay")
    mean_ms = data["delay_ms"][j, h]
    low = np.floor(mean_ms / 0.1 - 5 * mean_ms)  # read offset (before the lag step) in steps
    total_ms = (D.data + low) * 0.1
    assert abs(total_ms.mean() - mean_ms) < 0.01 and abs(total_ms.std() / (0.1 * mean_ms) - 1) < 0.02
    fixed = sl.Runner(Joglekar2018("async-weak", delays="fixed", scale=2), seed=0).plan
    assert fixed.n_neurons == 116_000
    assert abs(fixed.n_synapses / plan.n_synapses - 2.0) < 1e-9  # in-degrees kept: synapses grow as K


def test_cli_json_keys_and_plot(tmp_path):
    out = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "joglekar2018", "--regime", "sync-weak",
                          "--duration", "30", "--serial", "--out", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("model", "duration_ms", "dt_ms", "n_neurons", "n_synapses", "spikes", "rate_hz", "compile_s", "run_s",
                "peak_rss_mb", "rate_hz_by_area", "peak_rate_hz_by_area"):
        assert key in summary
    assert list(summary["rate_hz_by_area"]) == load_data()["area_names"]
    assert len(summary["peak_rate_hz_by_area"]) == 29 and summary["n_neurons"] == 58_000
    assert (tmp_path / "raster.png").stat().st_size > 10_000
    bad = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "joglekar2018", "--regime", "nope"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def _run(regime, seed, onset_ms, duration_ms):
    net = Joglekar2018(regime, delays="jitter", onset_ms=onset_ms)
    res = sl.Runner(net, seed=seed, inputs=net.inputs(), parallel=False).run(duration_ms)
    return net, res


@pytest.mark.slow
def test_weak_and_strong_gba_against_the_authors_runs():
    """The acceptance checks of the paper's result, on a shortened protocol to keep CI cost down: stimulus at
    150 ms instead of 300 ms (baseline measured over 50-150 ms), record ending 50 ms after the stimulus
    (350 ms). With the authors' method the peaks then come from windows starting at 117 ms.

    After the stimulus, the strong-GBA parameter set lets the frontal and prefrontal areas ignite into a
    persistent high-rate state for some seeds, in Brian2 as here (see the model's docstring); the authors'
    saved run does not ignite within its 200 ms after the stimulus. This test's record ends 50 ms after the
    stimulus, before the ignition, and checks that up to then those areas stay in the authors' range.
    """
    names = load_data()["area_names"]
    ref_weak = dict(zip(names, REFERENCE["async_weak"]["peak_rate_hz"]))
    ref_strong = dict(zip(names, REFERENCE["async_strong"]["peak_rate_hz"]))
    net, weak = _run("async-weak", 1, 150.0, 350.0)
    pw = dict(zip(names, peak_rates(weak, net)))
    for area in ("V1", "V2", "V4", "DP", "MT", "TEO"):
        assert pw[area] > 30.0, (area, pw[area])
        assert abs(pw[area] - ref_weak[area]) < 0.25 * ref_weak[area], (area, pw[area], ref_weak[area])
    for area in FRONTAL:
        assert pw[area] < 5.0, (area, pw[area])
    base = baseline_rates(weak, net, 50.0, 150.0)
    assert np.all((base > 0.8) & (base < 2.5)), base
    net, strong = _run("async-strong", 1, 150.0, 350.0)
    ps = dict(zip(names, peak_rates(strong, net)))
    for area in ("V4", "DP", "MT", "TEO", "TEpd"):
        assert ps[area] >= 2 * pw[area], (area, ps[area], pw[area])
        assert abs(ps[area] - ref_strong[area]) < 0.25 * ref_strong[area], (area, ps[area], ref_strong[area])
    for area in ("46d", "9/46d", "8l"):
        assert ps[area] >= 2 * pw[area], (area, ps[area], pw[area])
        assert ps[area] < 3 * ref_strong[area], (area, ps[area], ref_strong[area])
    base = baseline_rates(strong, net, 50.0, 150.0)
    assert np.all((base > 0.8) & (base < 2.6)), base
