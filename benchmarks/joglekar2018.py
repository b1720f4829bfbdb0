#!/usr/bin/env python3
"""Benchmark: the 29-area model of Joglekar et al. (2018), the seed's protocol (950 ms, dt 0.1 ms, 9500 steps).

Runs ``spikeloom run joglekar2018`` (asynchronous weak GBA, fixed per-pair delays as BrainPy's example, and
the authors' per-synapse jitter) in fresh processes, BrainPy's just-in-time-connectivity version of the same
model side by side (``peers/brainpy_joglekar2018.py``, if its virtual environment exists), and the scale-up
rows ``--scale K`` (neurons x K, in-degree kept) with their peak memory. Prints a markdown table.

    python benchmarks/joglekar2018.py [--scales 1,10] [--scale-duration 100] [--no-peer] [--jax-duration 100]
        [--repeats 3]

``--repeats N`` runs each K = 1 protocol N times (fresh processes, cached compile) and keeps the fastest run;
the jittered row is the default protocol of ``spikeloom run joglekar2018`` (950 ms, per-synapse delays).

``--jax-duration MS`` adds the JAX engine (CPU) with fixed delays for that many ms (0: skipped; it is slow on CPU).

Large scales run ``--scale-duration`` ms only and BrainPy ``--peer-duration`` ms (steps/s compare the speeds).
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
BRAINPY = ROOT / ".peers" / "brainpy" / "bin" / "python"


def spikeloom_run(duration, scale=1, delays="fixed", serial=False, engine="cpu"):
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "spikeloom.cli", "run", "joglekar2018", "--duration", str(duration), "--scale",
               str(scale), "--delays", delays, "--out", out, "--no-plot", "--engine", engine]
        proc = subprocess.run(cmd + (["--serial"] if serial else []), capture_output=True, text=True, check=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=950.0)
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--scale-duration", type=float, default=100.0)
    ap.add_argument("--peer-duration", type=float, default=100.0, help="BrainPy runs this many ms (it is slow)")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--jax-duration", type=float, default=0.0, help="also run the JAX engine (CPU) this many ms")
    ap.add_argument("--serial", action="store_true", help="one thread (better on a loaded machine)")
    ap.add_argument("--repeats", type=int, default=1, help="best of this many runs for the K = 1 rows")
    args = ap.parse_args()
    rows = []
    for delays in ("fixed", "jitter"):
        r = min((spikeloom_run(args.duration, 1, delays, args.serial) for _ in range(args.repeats)),
                key=lambda x: x["run_s"])
        steps = args.duration / r["dt_ms"]
        rows.append((f"spikeloom, K = 1, {delays} delays", r["n_neurons"], r["n_synapses"], args.duration,
                     r["compile_s"], r["run_s"], steps / r["run_s"], r["peak_rss_mb"], r["rate_hz_by_area"]["V1"]))
    if args.jax_duration > 0:
        r = spikeloom_run(args.jax_duration, 1, "fixed", args.serial, engine="jax")
        rows.append(("spikeloom JAX engine (CPU), K = 1, fixed delays", r["n_neurons"], r["n_synapses"],
                     args.jax_duration, r["compile_s"], r["run_s"], args.jax_duration / r["dt_ms"] / r["run_s"],
                     r["peak_rss_mb"], r["rate_hz_by_area"]["V1"]))
    peer = None
    python = os.environ.get("BRAINPY_PYTHON", str(BRAINPY))
    if not args.no_peer and pathlib.Path(python).exists():
        proc = subprocess.run([python, str(ROOT / "benchmarks" / "peers" / "brainpy_joglekar2018.py"),
                               "--duration-ms", str(args.peer_duration)], capture_output=True, text=True)
        if proc.returncode == 0:
            peer = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append((f"BrainPy {peer['version']} jitconn, fixed delays", 58000, 0, args.peer_duration, peer["compile_s"],
                         peer["run_s"], peer["steps_per_s"], peer["peak_rss_mb"], peer["rate_hz_V1"]))
        else:
            print("BrainPy peer failed:", proc.stderr[-2000:], file=sys.stderr)
    for k in [int(s) for s in args.scales.split(",") if int(s) > 1]:
        r = spikeloom_run(args.scale_duration, k, "fixed", args.serial)
        rows.append((f"spikeloom, K = {k}, fixed delays", r["n_neurons"], r["n_synapses"], args.scale_duration,
                     r["compile_s"], r["run_s"], args.scale_duration / r["dt_ms"] / r["run_s"], r["peak_rss_mb"],
                     r["rate_hz_by_area"]["V1"]))
    print("| run | neurons | synapses | ms simulated | compile s | run s | steps/s | peak RSS MiB | V1 E rate Hz |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n, syn, dur, comp, run, sps, rss, rate in rows:
        print(f"| {name} | {n:,} | {syn:,} | {dur:g} | {comp:.1f} | {run:.1f} | {sps:.0f} | {rss:.0f} | {rate:.2f} |")
    if peer:
        base = rows[0]
        print(f"\nspikeloom (fixed delays) runs {base[6] / peer['steps_per_s']:.1f}x the steps/s of BrainPy on this CPU")


if __name__ == "__main__":
    main()
