#!/usr/bin/env python3
"""Regenerate tests/reference/song2000_brian2.npz: Song, Miller & Abbott (2000) in Brian2 cpp_standalone.

Runs ``benchmarks/peers/song2000_brian2.py --standalone`` once per seed in a fresh process, with the
interpreter given by ``--python`` (a virtual environment with ``pip install brian2``; default
``.peers/brian2`` at the repository root), and stores across seeds (one row per seed):

- ``w_hist``: final weight histogram (fraction of the 1000 synapses) on ``w_edges`` (w / w_max, 20 bins on
  [0, 1], the last bin closed);
- ``frac_low`` (w < 0.1 w_max), ``frac_high`` (w > 0.9 w_max), ``w_mean`` (final mean of w / w_max);
- ``t_s`` and ``w_mean_t``: mean weight at 0, 1, 2, ... s;
- ``rate_hz`` (output rate over the run) and ``rate_win_hz``: output rate in the windows ``rate_edges_s``
  (every 5 s);
- ``seeds``, ``duration_s``, ``brian2`` (version), ``method``, ``deliver``, ``coincident`` (the peer script's
  conventions, its defaults: those of spikeloom).

    python3 tests/reference/make_song2000_reference.py --seeds 0 1 2 3 4 5 6 7 --python /path/to/bin/python

About 25 s per seed (C++ build ~20 s, 100 s of biological time ~3.5 s). Needs numpy in this interpreter.
"""

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PEER = os.path.join(ROOT, "benchmarks", "peers", "song2000_brian2.py")
DEFAULT_PY = os.path.join(ROOT, ".peers", "brian2", "bin", "python")
DEFAULT_OUT = os.path.join(HERE, "song2000_brian2.npz")
W_EDGES = np.linspace(0.0, 1.0, 21)
RATE_WINDOW_S = 5.0


def summarise(runs: list[dict], duration_s: float) -> dict:
    """One row per seed of the quantities the tests compare (see the module docstring)."""
    rate_edges = np.arange(0.0, duration_s + 0.5 * RATE_WINDOW_S, RATE_WINDOW_S)
    every_s = [np.flatnonzero(np.isclose(np.mod(r["t_ms"], 1000.0), 0.0)) for r in runs]
    return {
        "w_edges": W_EDGES,
        "w_hist": np.array([np.histogram(r["w"], W_EDGES)[0] / r["w"].size for r in runs]),
        "frac_low": np.array([np.mean(r["w"] < 0.1) for r in runs]),
        "frac_high": np.array([np.mean(r["w"] > 0.9) for r in runs]),
        "w_mean": np.array([r["w"].mean() for r in runs]),
        "t_s": runs[0]["t_ms"][every_s[0]] / 1e3,
        "w_mean_t": np.array([r["w_mean"][k] for r, k in zip(runs, every_s)]),
        "rate_hz": np.array([float(r["rate_hz"]) for r in runs]),
        "rate_edges_s": rate_edges,
        "rate_win_hz": np.array([np.histogram(r["spike_t_ms"] / 1e3, rate_edges)[0] / RATE_WINDOW_S
                                 for r in runs]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    ap.add_argument("--duration", type=float, default=100.0, help="s (default 100)")
    ap.add_argument("--python", default=DEFAULT_PY)
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args()
    runs, facts = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds:
            path = os.path.join(tmp, f"seed{seed}.npz")
            proc = subprocess.run([a.python, PEER, "--standalone", "--duration", str(a.duration), "--seed",
                                   str(seed), "--out", path], capture_output=True, text=True, check=True, cwd=tmp)
            facts.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(facts[-1]))
            with np.load(path) as f:
                runs.append({k: f[k] for k in f.files})
    ref = summarise(runs, a.duration)
    np.savez(a.out, **ref, seeds=np.array(a.seeds), duration_s=np.float64(a.duration),
             brian2=np.str_(facts[0]["brian2"]), method=np.str_(facts[0]["method"]),
             deliver=np.str_(facts[0]["deliver"]), coincident=np.str_(facts[0]["coincident"]))
    print(f"wrote {a.out}: rate {ref['rate_hz'].mean():.2f} +- {ref['rate_hz'].std(ddof=1):.2f} Hz, "
          f"frac_low {ref['frac_low'].mean():.3f}, frac_high {ref['frac_high'].mean():.3f}, "
          f"w_mean {ref['w_mean'].mean():.3f}")


if __name__ == "__main__":
    main()
