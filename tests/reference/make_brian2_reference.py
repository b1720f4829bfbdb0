#!/usr/bin/env python3
"""Regenerate tests/reference/data/brian2_rates.json from Brian2.

The reference firing rates of the COBA (LIF) and COBAHH (Hodgkin-Huxley)
E/I networks are measured with Brian2's Cython ``runtime`` target by running
``benchmarks/peers/brian2_coba.py`` once per seed in a fresh process, with the
interpreter of the Brian2 virtual environment created by
``benchmarks/peers/setup_peers.sh`` (``.peers/brian2`` at the repository root;
``--python`` picks another one).  This script itself needs only the standard
library.

    python3 tests/reference/make_brian2_reference.py            # both models
    python3 tests/reference/make_brian2_reference.py --quick    # 2 seeds each, 200 ms (smoke test; writes nothing unless --out)

For each model the JSON holds, per seed, the mean E and I rates (Hz) over the
whole run [0, T) and over the window [200 ms, T) (excluding the onset
transient), and across seeds their mean and sample standard deviation
(ddof = 1), plus provenance.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PEER_SCRIPT = os.path.join(ROOT, "benchmarks", "peers", "brian2_coba.py")
DEFAULT_PY = os.path.join(ROOT, ".peers", "brian2", "bin", "python")
DEFAULT_OUT = os.path.join(HERE, "data", "brian2_rates.json")

COBA_PARAMS = {
    "n_exc": 3200, "n_inh": 800, "p_connect": 0.02,
    "pathways": ["E->E", "E->I", "I->E", "I->I"],
    "neuron": "LIF with refractoriness, dV/dt = (V_rest - V + I)/tau (R = 1)",
    "V_rest_mV": -60.0, "V_th_mV": -50.0, "V_reset_mV": -60.0,
    "tau_ms": 20.0, "tau_ref_ms": 5.0, "V_init": "Normal(-55 mV, 2 mV)",
    "I_ext_mV": 20.0, "E_e_mV": 0.0, "E_i_mV": -80.0,
    "tau_e_ms": 5.0, "tau_i_ms": 10.0, "w_e": 0.6, "w_i": 6.7,
    "synapse": "exponential conductance, g += w on a presynaptic spike (no delay)",
    "method": "exponential_euler",
    "dt_ms": 0.1,
}
COBAHH_PARAMS = {
    "n_exc": 3200, "n_inh": 800, "p_connect": 0.02,
    "pathways": ["E->E", "E->I", "I->E", "I->I"],
    "neuron": "Hodgkin-Huxley (Traub-Miles), Brian2 COBAHH example",
    "area_um2": 20000.0, "Cm_uF_per_cm2": 1.0, "gl_S_per_cm2": 5e-5,
    "El_mV": -60.0, "EK_mV": -90.0, "ENa_mV": 50.0,
    "g_na_mS_per_cm2": 100.0, "g_kd_mS_per_cm2": 30.0, "VT_mV": -63.0,
    "Ee_mV": 0.0, "Ei_mV": -80.0, "taue_ms": 5.0, "taui_ms": 10.0,
    "we_nS": 6.0, "wi_nS": 67.0,
    "threshold": "v > -20 mV", "refractory": "v > -20 mV",
    "v_init": "El + (randn*5 - 5) mV", "ge_init": "(randn*1.5 + 4)*10 nS",
    "gi_init": "(randn*12 + 20)*10 nS", "m_n_h_init": 0.0,
    "external_input": None,
    "method": "exponential_euler",
    "dt_ms": 0.1,
}


def run_seed(python, model, seed, duration_ms, window):
    cmd = [python, PEER_SCRIPT, "--target", "runtime", "--model", model,
           "--duration-ms", str(duration_ms), "--seed", str(seed),
           "--n", "4000", "--fan-in", "80", "--quiet",
           "--window-ms", str(window[0]), str(window[1])]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("brian2 run failed: %s" % " ".join(cmd))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarize(values):
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


def main():
    ap = argparse.ArgumentParser(description="Regenerate the Brian2 reference rates.")
    ap.add_argument("--python", default=DEFAULT_PY, help="interpreter with brian2 installed")
    ap.add_argument("--out", default=None, help="output JSON (default tests/reference/data/brian2_rates.json)")
    ap.add_argument("--quick", action="store_true", help="2 seeds, 200 ms, window 100-200 ms")
    args = ap.parse_args()

    if not os.path.exists(args.python):
        raise SystemExit("%s not found: run benchmarks/peers/setup_peers.sh first" % args.python)

    plan = [("coba", list(range(1, 11)), 1000.0, COBA_PARAMS),
            ("cobahh", list(range(1, 6)), 1000.0, COBAHH_PARAMS)]
    window = (200.0, 1000.0)
    if args.quick:
        plan = [(m, s[:2], 200.0, p) for m, s, _, p in plan]
        window = (100.0, 200.0)
    out = args.out or (None if args.quick else DEFAULT_OUT)

    wkey = "%d_%d_ms" % window
    data = {"models": {}}
    versions = {}
    for model, seeds, duration, params in plan:
        per_seed = []
        for seed in seeds:
            r = run_seed(args.python, model, seed, duration, window)
            versions = {"brian2": r["brian2_version"], "numpy": r["numpy_version"]}
            row = {
                "seed": seed,
                "n_synapses": r["n_synapses"],
                "spikes": r["spikes"],
                "rate_hz": r["rate_hz"],
                "rate_hz_window_" + wkey: r["rate_hz_window"],
            }
            per_seed.append(row)
            print("%-6s seed %2d  E %.3f Hz  I %.3f Hz  (window %s: E %.3f  I %.3f)" % (
                model, seed, r["rate_hz"]["E"], r["rate_hz"]["I"], wkey,
                r["rate_hz_window"]["E"], r["rate_hz_window"]["I"]), flush=True)
        entry = {
            "duration_ms": duration,
            "window_ms": list(window),
            "seeds": seeds,
            "parameters": params,
            "per_seed": per_seed,
        }
        for key in ("rate_hz", "rate_hz_window_" + wkey):
            for pop in ("E", "I"):
                s = summarize([row[key][pop] for row in per_seed])
                entry.setdefault("mean_" + key, {})[pop] = s["mean"]
                entry.setdefault("std_" + key, {})[pop] = s["std"]
        data["models"][model] = entry

    data["provenance"] = {
        "script": "tests/reference/make_brian2_reference.py",
        "peer_script": "benchmarks/peers/brian2_coba.py",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "simulator": "Brian2, Cython runtime target, one fresh process per seed",
        "brian2_version": versions.get("brian2"),
        "numpy_version": versions.get("numpy"),
        "python_version": "%d.%d" % sys.version_info[:2],
        "self_connections_allowed": True,
        "connectivity": "each ordered (pre, post) pair independently with p = 0.02 "
                        "(Brian2 Synapses.connect(p=0.02)); E and I are slices of one group, "
                        "so a neuron may connect to itself",
        "rate_definition": "spike count / (population size * time span); 'rate_hz' over "
                           "[0, duration), 'rate_hz_window_%s' over the window" % wkey,
        "std": "sample standard deviation across seeds (ddof = 1)",
        "seed_handling": "brian2.seed(seed) and numpy.random.seed(seed) before construction",
    }
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            f.write(text)
        print("wrote", os.path.relpath(out, ROOT))
    for model, entry in data["models"].items():
        print(model, "mean", entry["mean_rate_hz"], "std", entry["std_rate_hz"])
        print(model, "window mean", entry["mean_rate_hz_window_" + wkey],
              "std", entry["std_rate_hz_window_" + wkey])


if __name__ == "__main__":
    main()
