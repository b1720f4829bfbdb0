"""The cost of plasticity: Song, Miller & Abbott (2000) on spikeloom, Brian2 cpp_standalone and NEST side by side,
and the COBA network with additive STDP on E -> E against the same network with static weights.

- Song 2000 (``spikeloom.models.song2000``; peers ``benchmarks/peers/song2000_brian2.py`` and
  ``song2000_nest.py``): 1000 Poisson inputs at 15 Hz onto one LIF neuron, additive all-to-all STDP, dt 0.1 ms,
  ``--song-duration`` s (default the published 100 s), no monitor but the final weights. Simulation time is
  the loop alone, compared on the same measure: process CPU time against Brian2 (its binary reports
  ``std::clock`` around its run loop; spikeloom's ``time.process_time`` around ``run``), wall time against NEST
  (its ``Simulate``; spikeloom's ``run_s``); build is everything before it (spikeloom: network, plan and
  compile; Brian2: code generation and the C++ build).
- COBA (``spikeloom.models.coba``, 3200 + 800 LIF, 2 % connectivity, 20 mV drive): the static network and
  the same network whose E -> E projection (about 205 000 synapses) carries additive STDP
  (:data:`COBA_STDP`), ``--coba-duration`` ms, same seed; the ratio of their simulation times (CPU and wall)
  is the cost of plasticity.

Each system runs in its own process, one after the other (peers from the interpreters given by
``--brian-python`` / ``--nest-python``, skipped when not given), ``--repeats`` times; the table shows the
range over the repeats (fastest-slowest) and the ratios of the fastest runs.

    python benchmarks/plasticity.py --brian-python /path/to/brian2venv/bin/python \\
        --nest-python /path/to/nestvenv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEERS = ROOT / "benchmarks" / "peers"
#: STDP on COBA's E -> E weights (nS): bounds [0, 2 w_e], steps 1 % of w_max, depression 5 % stronger
COBA_STDP = dict(tau_plus=20.0, tau_minus=20.0, A_plus=0.012, A_minus=0.0126, w_min=0.0, w_max=1.2)

SONG = r"""
import json, sys, time
import numpy as np
import spikeloom as sl
from spikeloom.models.song2000 import Song2000
duration_s, seed = float(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
net = Song2000()
runner = sl.Runner(net, seed=seed, progress=False)
res = runner.run(0.1)  # one step: compiles
build_s = time.perf_counter() - t0
c0 = time.process_time()
res = runner.run(duration_s * 1e3 - 0.1)
cpu_s = time.process_time() - c0
w = runner.connections("syn")[0].data / net.w_max
print(json.dumps({"build_s": build_s, "sim_s": res.run_s, "cpu_s": cpu_s, "rate_hz": res.mean_rate("neuron"),
                  "w_mean": float(w.mean()), "frac_low": float(np.mean(w < 0.1)),
                  "frac_high": float(np.mean(w > 0.9))}))
"""

COBA = r"""
import json, sys, time
import spikeloom as sl
from spikeloom.models.coba import COBA
from spikeloom.models.registry import MODELS
duration, seed, plastic = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "stdp"
stdp = json.loads(sys.argv[4])
t0 = time.perf_counter()
net = COBA()
if plastic:  # the same E -> E connectivity, weights and synapse, now plastic
    net.E2E = sl.Projection(net.E, net.E, sl.FixedProb(0.02), 0.6, synapse=sl.Exponential(tau=5.0),
                            output=sl.COBA(E=0.0), plasticity=sl.STDP(**stdp))
runner = sl.Runner(net, seed=seed, inputs=MODELS["coba"].inputs, progress=False)
res = runner.run(0.1)  # one step: compiles
build_s = time.perf_counter() - t0
c0 = time.process_time()
res = runner.run(duration - 0.1)
cpu_s = time.process_time() - c0
w = runner.connections("E2E")[0].data
print(json.dumps({"build_s": build_s, "sim_s": res.run_s, "cpu_s": cpu_s, "rate_hz": res.mean_rate("E"),
                  "w_mean": float(w.mean()), "synapses": int(runner.plan.n_synapses)}))
"""


def run(cmd: list[str]) -> dict | None:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        print(f"{cmd[0]} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def repeated(cmd: list[str], repeats: int) -> list[dict]:
    return [r for r in (run(cmd) for _ in range(repeats)) if r]


def span(runs: list[dict], key: str, fmt: str = ".3f") -> str:
    """``min-max`` of ``key`` over ``runs`` ("" where a run lacks it)."""
    values = [r[key] for r in runs if key in r]
    if not values:
        return ""
    lo, hi = min(values), max(values)
    return f"{lo:{fmt}}" if f"{lo:{fmt}}" == f"{hi:{fmt}}" else f"{lo:{fmt}}-{hi:{fmt}}"


def ratio(runs: list[dict], base: list[dict], key: str) -> str:
    """Fastest of ``runs`` over fastest of ``base`` on measure ``key`` ("" where either lacks it)."""
    a, b = [r[key] for r in runs if key in r], [r[key] for r in base if key in r]
    return f"{min(a) / min(b):.2f}" if a and b else ""


def brian_cpu(r: dict) -> dict:
    """A Brian2 standalone result with its loop time as ``cpu_s``: its binary measures it with ``std::clock``,
    the process CPU time (it reports no wall time of the loop)."""
    return {**{k: v for k, v in r.items() if k != "sim_s"}, "cpu_s": r["sim_s"]}


#: the measure each peer reports for its loop: Brian2 standalone std::clock (process CPU time), NEST wall time
PEER_MEASURE = {"Brian2 cpp_standalone": "cpu_s", "NEST stdp_synapse": "sim_s"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--song-duration", type=float, default=100.0, help="s (default 100)")
    ap.add_argument("--coba-duration", type=float, default=1000.0, help="ms (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--brian-python", default=os.environ.get("BRIAN_PYTHON"))
    ap.add_argument("--nest-python", default=os.environ.get("NEST_PYTHON"))
    a = ap.parse_args()
    seed, song_s = str(a.seed), str(a.song_duration)
    song = {"spikeloom (cpu)": repeated([sys.executable, "-c", SONG, song_s, seed], a.repeats)}
    if a.brian_python:
        runs = repeated([a.brian_python, str(PEERS / "song2000_brian2.py"), "--standalone", "--no-monitor",
                         "--duration", song_s, "--seed", seed], a.repeats)
        song["Brian2 cpp_standalone"] = [brian_cpu(r) for r in runs]
    if a.nest_python:
        song["NEST stdp_synapse"] = repeated([a.nest_python, str(PEERS / "song2000_nest.py"), "--no-monitor",
                                              "--duration", song_s, "--seed", seed], a.repeats)
    song = {k: v for k, v in song.items() if v}
    base = song.get("spikeloom (cpu)", [])
    print(f"\nSong et al. 2000, {a.song_duration:g} s, 1000 inputs, dt 0.1 ms, seed {a.seed}, {a.repeats} run(s) "
          "each: simulate CPU = process CPU time of the loop, wall = its wall time\n")
    print("| system | build (s) | simulate CPU (s) | simulate wall (s) | peer / spikeloom (same measure) | "
          "rate (Hz) | w_mean | frac_low | frac_high |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, runs in song.items():
        measure = PEER_MEASURE.get(name)
        vs = f"{ratio(runs, base, measure)} ({'CPU' if measure == 'cpu_s' else 'wall'})" if measure else "1"
        best = runs[0]  # the same model and seed: the same results in every run
        print(f"| {name} | {span(runs, 'build_s', '.2f')} | {span(runs, 'cpu_s')} | {span(runs, 'sim_s')} | {vs} | "
              f"{best['rate_hz']:.1f} | {best['w_mean']:.3f} | {best['frac_low']:.3f} | {best['frac_high']:.3f} |")
    coba_ms = str(a.coba_duration)
    rows = {}
    for _ in range(a.repeats):  # static and plastic alternate, so both see the same machine load
        for kind in ("static", "stdp"):
            rows.setdefault(("spikeloom (cpu)", kind), []).extend(
                repeated([sys.executable, "-c", COBA, coba_ms, seed, kind, json.dumps(COBA_STDP)], 1))
    if a.brian_python:
        for kind in ("static", "stdp"):
            runs = repeated([a.brian_python, str(PEERS / "coba_stdp_brian2.py"), "--duration", coba_ms, "--seed",
                             seed, *(["--stdp"] if kind == "stdp" else [])], a.repeats)
            rows[("Brian2 cpp_standalone", kind)] = [brian_cpu(r) for r in runs]
    print(f"\nCOBA 3200 + 800 LIF, {a.coba_duration:g} ms, dt 0.1 ms, seed {a.seed}: static vs STDP on E -> E, "
          f"{a.repeats} run(s) each\n")
    print("| system | E -> E | synapses | build (s) | simulate CPU (s) | simulate wall (s) | cost / static CPU | "
          "cost / static wall | E rate (Hz) | E -> E w_mean (nS) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (name, kind), runs in rows.items():
        if runs:
            static = rows.get((name, "static"), [])
            print(f"| {name} | {kind} | {runs[0]['synapses']} | {span(runs, 'build_s', '.2f')} | "
                  f"{span(runs, 'cpu_s')} | {span(runs, 'sim_s')} | {ratio(runs, static, 'cpu_s')} | "
                  f"{ratio(runs, static, 'sim_s')} | {runs[0]['rate_hz']:.1f} | {runs[0]['w_mean']:.3f} |")


if __name__ == "__main__":
    main()
