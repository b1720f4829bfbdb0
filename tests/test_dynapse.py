"""DYNAP-SE emulation: traces against Brian2, closed forms, chip constraints, stability, CLI.

Reference files: tests/reference/make_dynapse_reference.py (Brian2 2.9.0, runtime target; provenance inside).
Bound: both simulators integrate the same equations with forward Euler in float64, so they differ only by
rounding (spikeloom computes in pA and ms, Brian2 in A and s, in another order of operations), about 1e-16
per operation, amplified by the positive feedback near threshold. Measured: at most 3e-14 of each current's
peak. We require 1e-9: far below any modelling difference (one step of jump timing, a missing floor term,
a 1e-6 change of one parameter all exceed 1e-6, see test_bound_detects_a_one_step_shift), with room for
other compilers and CPUs (fused multiply-adds). Spike steps must be equal.
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from spikeloom._errors import ModelDefinitionError
from spikeloom.dynapse import DPIStabilityError, DynapSE, Mismatch
from spikeloom.dynapse.chip import MAX_FAN_IN, NEURONS_PER_CORE
from spikeloom.dynapse.protocol import CURRENTS, chip_from_workload

DATA = pathlib.Path(__file__).parent / "reference" / "data"
BOUND = 1e-9


def run_workload(ref, shift_ms=0.0, engine="cpu"):
    workload = dict(ref)
    workload["input_times_ms"] = ref["input_times_ms"] + shift_ms
    chip, cores, _ = chip_from_workload(workload, integer_weights=False)
    record = [(cores[0], v) for v in CURRENTS] + [(cores[0], "spike")]
    return chip.run(float(ref["duration_ms"]), dt=float(ref["dt_ms"]), record=record, engine=engine), cores[0]


def max_relative_error(rec, neurons, ref):
    errors = {}
    for var in CURRENTS:
        t, mine = rec.trace(neurons, var)
        theirs = ref[var].T * 1e12  # A -> pA, (steps, neurons)
        assert mine.shape == theirs.shape
        errors[var] = float(np.max(np.abs(mine - theirs)) / np.max(np.abs(theirs)))
    return errors


@pytest.fixture(scope="module", params=["protocol", "recurrent"])
def reference(request):
    ref = dict(np.load(DATA / f"dynapse_{request.param}.npz"))
    assert json.loads(str(ref["provenance"]))["brian2"] == "2.9.0"
    return ref


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_currents_and_spikes_match_brian2(reference, engine):
    rec, neurons = run_workload(reference, engine=engine)
    errors = max_relative_error(rec, neurons, reference)
    assert max(errors.values()) < BOUND, errors
    times, idx = rec.spikes(neurons)
    mine = sorted(zip(np.rint(times / reference["dt_ms"]).astype(int), idx))
    theirs = sorted(zip(np.rint(reference["spike_times"] * 1e3 / reference["dt_ms"]).astype(int),
                        reference["spike_indices"]))
    assert len(theirs) > 2 and mine == theirs


def test_bound_detects_a_one_step_shift():
    ref = dict(np.load(DATA / "dynapse_protocol.npz"))
    rec, neurons = run_workload(ref, shift_ms=float(ref["dt_ms"]))
    assert max(max_relative_error(rec, neurons, ref).values()) > 1e-3


def single(weight_ampa=1, rate=None, const=None, duration=50.0, dt=0.1, **chip_kw):
    chip = DynapSE(**chip_kw)
    n = chip.get_neurons(1, core=0)
    if const is not None:
        chip.set_bias(0, Isoma_const=const)
    if weight_ampa:
        chip.connect(chip.spike_generator([1.0], n=1), n, "ampa", weight=weight_ampa)
    rec = chip.run(duration, dt=dt, record=[(n, "Iampa"), (n, "Imem"), (n, "spike")])
    return rec, n


def test_ampa_jump_and_euler_decay():
    rec, n = single(weight_ampa=1, duration=10.0)
    t, I = rec.trace(n, "Iampa")
    k = int(round(1.0 / 0.1)) + 1  # the spike at 1 ms lands at the end of its step
    assert I[k - 1, 0] == 1.0 and I[k, 0] == pytest.approx(1.0 + 400.0, rel=1e-12)
    tau = 2.0 * 25.0 / (0.705 * 20.0)  # C U_T / (kappa I_tau) = 3.546 ms
    steps = np.arange(20)
    assert np.allclose(I[k + steps, 0], 401.0 * (1 - 0.1 / tau) ** steps, rtol=1e-12)


def test_no_input_stays_near_I0_and_silent():
    rec, n = single(weight_ampa=0, duration=200.0)
    assert rec.trace(n, "Imem")[1].max() < 10.0 and len(rec.spikes(n)[0]) == 0


def test_constant_current_adapts_and_respects_refractoriness():
    rec, n = single(weight_ampa=0, const=1000.0, duration=500.0, dt=0.02)
    times = rec.spikes(n)[0]
    isi = np.diff(times)
    assert len(times) > 10 and isi.min() >= 5.0 and isi[-1] > isi[0]


def test_allocation_and_fan_in_limits():
    chip = DynapSE()
    chip.get_neurons(200, core=2)
    with pytest.raises(ModelDefinitionError, match="core 2 of chip 0 has 56 free"):
        chip.get_neurons(57, core="Core_2")
    a = chip.get_neurons(NEURONS_PER_CORE, core=1)
    src = chip.spike_generator([1.0], n=1)
    chip.connect(src, a, "nmda", weight=MAX_FAN_IN - 1)
    with pytest.raises(ModelDefinitionError, match="CAM slots"):
        chip.connect(src, a, "gaba_b", weight=2)
    with pytest.raises(ModelDefinitionError, match="unknown synapse type"):
        chip.connect(src, a, "glutamate")
    with pytest.raises(ModelDefinitionError, match="integers"):
        chip.connect(src, a, "ampa", weight=0.5)
    with pytest.raises(ModelDefinitionError, match="unknown parameter set"):
        DynapSE(parameters="fast")
    with pytest.raises(ModelDefinitionError, match="chip must be"):
        chip.get_neurons(1, core=0, chip=1)


def test_biases_per_core_and_chips():
    chip = DynapSE(n_chips=2)
    quiet, driven = chip.get_neurons(3, core=0), chip.get_neurons(3, core=3, chip=1)
    chip.set_bias(3, chip=1, Isoma_const=1000.0)
    chip.connect(driven, quiet, "ampa", weight=20)  # across chips
    rec = chip.run(100.0, record=[(quiet, "spike"), (driven, "spike")])
    assert len(rec.spikes(driven)[0]) >= 3 * 5 and len(rec.spikes(quiet)[0]) > 0
    silent = DynapSE(n_chips=2)
    q2 = silent.get_neurons(3, core=0)
    assert len(silent.run(100.0, record=[(q2, "spike")]).spikes(q2)[0]) == 0


def test_mismatch_is_seeded_and_has_the_given_spread():
    chip = DynapSE(mismatch=Mismatch(neuron=0.2, synapse=0.1), seed=3)
    chip.get_neurons(NEURONS_PER_CORE, core=0)
    p = chip.core_parameters(0, 0)
    log_ratio = np.log(p["Iampa_tau"] / 20.0)
    assert abs(np.std(log_ratio) - 0.2) < 3 * 0.2 / np.sqrt(2 * NEURONS_PER_CORE)
    assert abs(np.mean(log_ratio)) < 3 * 0.2 / np.sqrt(NEURONS_PER_CORE)
    again = DynapSE(mismatch=Mismatch(neuron=0.2, synapse=0.1), seed=3)
    again.get_neurons(NEURONS_PER_CORE, core=0)
    assert np.array_equal(again.core_parameters(0, 0)["Iampa_tau"], p["Iampa_tau"])
    # mismatched neurons and weights run, and differ from neuron to neuron under the same input
    small = DynapSE(mismatch=Mismatch(neuron=0.2, synapse=0.2), seed=3)
    n = small.get_neurons(8, core=0)
    small.connect(small.spike_generator([1.0], n=1), n, "ampa", weight=1)
    t, I = small.run(5.0, record=[(n, "Iampa")]).trace(n, "Iampa")
    assert np.all(I[11] > 1.0) and np.std(I[11]) > 0.05 * np.mean(I[11])


def test_euler_instability_is_detected_with_the_stable_dt():
    def run(dt):
        chip = DynapSE()
        n = chip.get_neurons(1, core=0)
        chip.set_bias(0, Isoma_const=1500.0)
        chip.connect(chip.spike_generator(np.arange(0.0, 40.0, 2.0), n=1), n, "gaba_a", weight=4)
        return chip.run(40.0, dt=dt, record=[(n, "Imem")])

    with pytest.raises(DPIStabilityError, match=r"largest stable dt for this activity is ([0-9.]+) ms") as err:
        run(0.1)
    stable_dt = float(err.value.args[0].split("is ")[-1].split(" ms")[0])
    run(0.1 / np.ceil(0.1 / stable_dt))  # the largest step <= the one it names that divides 0.1 ms runs through


def test_cli_writes_traces_and_json(tmp_path):
    spikes = tmp_path / "in.npz"
    np.savez(spikes, nmda=[0.002, 0.004], ampa=[0.003], gaba_a=np.array([]), gaba_b=[0.01])
    proc = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "dynapse", "--input-spikes", str(spikes),
                           "--weights", "nmda=10,ampa=5,gaba_a=1,gaba_b=2", "--dt-us", "100", "--duration", "20",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["model"] == "dynapse" and summary["duration_ms"] == 20.0
    tr = np.load(tmp_path / "o" / "traces.npz")
    assert set(tr.files) == {"t", "Imem", "Iahp", "Inmda", "Iampa", "Igaba_a", "Igaba_b", "spike_times"}
    assert tr["t"].shape == tr["Imem"].shape == (200,) and tr["t"][1] == pytest.approx(1e-4)
    jump = np.flatnonzero(np.diff(tr["Inmda"]) > 0)[0]  # the NMDA spike at 2 ms lands at the end of its step
    assert tr["t"][jump + 1] == pytest.approx(2.1e-3) and tr["Inmda"][jump + 1] == pytest.approx(4001e-12)
    assert (tmp_path / "o" / "comparison.png").stat().st_size > 0
    bad = subprocess.run([sys.executable, "-m", "spikeloom.cli", "run", "dynapse", "--weights", "nmda=1",
                          "--out", str(tmp_path / "b")], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "missing" in bad.stderr


def test_weights_fitted_by_gradient_descent_on_the_jax_engine():
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
    try:
        from dynapse_fit_weights import fit
    finally:
        sys.path.pop(0)
    history, params, sim = fit(steps=15)
    assert history[-1] < history[0] / 100.0 and all(np.isfinite(history))


# ---- the original simulator's published equations, integrated independently ------------------------------
# A transcription of the equations as published by the Brian2 DYNAP-SE simulator ("dynapse-simulator",
# Renner, Demirag, Fodorut, Indiveri; master branch, commit 3d8dd93 of 2022-06-21: equations/dynapse_eq.py,
# parameters/dynapse_param.py), in its own SI units and variable names, stepped as Brian2 steps a network
# (state update with "unless refractory", threshold, synaptic on_pre, reset; monitors at the start of a step).
# It shares no code with spikeloom.dynapse: see docs/dynapse_reference.md for what was compared.
PUBLISHED = dict(kn=0.75, kp=0.66, Ut=25e-3, I0=1e-12, alpha=4.0, Csoma_mem=2e-12, Isoma_dpi_tau=5e-12,
                 Isoma_th=2000e-12, Isoma_reset=1.2e-12, Isoma_const=1e-12, soma_refP=5e-3, Csoma_ahp=4e-12,
                 Isoma_ahp_tau=2e-12, Isoma_ahp_w=1e-12, Isoma_pfb_gain=100e-12, Isoma_pfb_th=1000e-12,
                 Isoma_pfb_norm=20e-12, C_syn=2e-12, w0=100e-12, Inmda_thr=1e-12,
                 I_tau={"nmda": 2e-12, "ampa": 20e-12, "gaba_a": 5e-12, "gaba_b": 5e-12})


def _published_derivatives(s, p):
    """d/dt of every state (A/s) as the published model writes it; ``s`` holds Isoma_mem, Isoma_ahp, I<syn>."""
    I0, kappa = p["I0"], (p["kn"] + p["kp"]) / 2
    mem = s["Isoma_mem"]
    on = mem > I0
    low = I0 * (not on)  # I0*(Isoma_mem<=I0)
    mem_clip = min(max(mem, I0), 1.0)
    shunt = lambda x: x * on + low  # noqa: E731  every *_shunt of the soma is gated by Isoma_mem
    dpi_tau = shunt(p["Isoma_dpi_tau"])
    dpi_g = p["alpha"] * dpi_tau * on + low
    pfb = p["Isoma_pfb_gain"] / (1 + np.exp(-(mem - p["Isoma_pfb_th"]) / p["Isoma_pfb_norm"]))
    total = dpi_tau + shunt(s["Isoma_ahp"]) + shunt(s["Igaba_a"]) - shunt(pfb) - low
    nmda_dp = s["Inmda"] / (1 + p["Inmda_thr"] / mem_clip)
    Iin = min(max(nmda_dp + s["Iampa"] - s["Igaba_b"] + p["Isoma_const"], I0), 1.0)
    tau_soma = p["Csoma_mem"] * p["Ut"] / (kappa * dpi_tau)
    d = {"Isoma_mem": (p["alpha"] * (Iin - total) - (total - low) * mem_clip / dpi_tau)
         / (tau_soma * (1 + dpi_g / mem_clip))}
    ahp = s["Isoma_ahp"]
    ahp_on = ahp > I0
    ahp_tau = p["Isoma_ahp_tau"] * ahp_on + I0 * (not ahp_on)
    ahp_g = p["alpha"] * ahp_tau * ahp_on + I0 * (not ahp_on)
    tau_ahp = p["Csoma_ahp"] * p["Ut"] / (kappa * ahp_tau)
    with np.errstate(divide="ignore"):  # Brian2 divides in IEEE arithmetic: x/0 = inf, then finite/inf = 0
        d["Isoma_ahp"] = (-ahp_g - ahp + 2 * I0 * (not ahp_on)) / (tau_ahp * (1 + ahp_g / np.float64(shunt(ahp))))
        for syn, tau_current in p["I_tau"].items():
            x = s[f"I{syn}"]
            x_on = x > I0
            tau_x = tau_current * x_on + I0 * (not x_on)
            g_x = p["alpha"] * tau_current * x_on + I0 * (not x_on)
            d[f"I{syn}"] = (-x - g_x + 2 * I0 * (not x_on)) / (p["C_syn"] * p["Ut"] / (kappa * tau_x)
                                                               * (g_x / np.float64(x) + 1))
    return d


def _published_run(inputs_ms, weights, duration_ms=100.0, dt_ms=0.1):
    """States at the start of every step (A) and the spike steps of one neuron of the published model."""
    p, dt = PUBLISHED, dt_ms * 1e-3
    n_steps = int(round(duration_ms / dt_ms))
    s = {"Isoma_mem": 1.1 * p["I0"], "Isoma_ahp": 0.0, **{f"I{x}": p["I0"] for x in p["I_tau"]}}
    arrivals = {x: np.bincount(np.rint(np.asarray(t) / dt_ms).astype(int), minlength=n_steps) for x, t in
                inputs_ms.items()}
    ref_steps = int((p["soma_refP"] + 1e-3 * dt) / dt)  # Brian2's timestep(refractory, dt)
    trace, spikes, last = {k: [] for k in s}, [], None
    for k in range(n_steps):
        for name, value in s.items():
            trace[name].append(value)
        not_refractory = last is None or k - last >= ref_steps
        d = _published_derivatives(s, p)
        s = {name: value + dt * d[name] * (not_refractory or name != "Isoma_mem") for name, value in s.items()}
        if not_refractory and s["Isoma_mem"] > p["Isoma_th"]:
            spikes.append(k)
            last = k
        for x in p["I_tau"]:
            s[f"I{x}"] += p["w0"] * weights[x] * p["alpha"] * arrivals[x][k]
        if spikes and spikes[-1] == k:
            s["Isoma_ahp"] += p["Isoma_ahp_w"] * p["alpha"]
            s["Isoma_mem"] = p["Isoma_reset"]
    return {k: np.array(v) for k, v in trace.items()}, spikes


def test_currents_and_spikes_match_the_published_dynapse_simulator_equations():
    from spikeloom.dynapse.protocol import DEFAULT_WEIGHTS, poisson_inputs, run_single_neuron

    inputs = poisson_inputs(80.0, 100.0, 0.1, seed=0)
    theirs, their_spikes = _published_run(inputs, DEFAULT_WEIGHTS)
    rec, neuron = run_single_neuron(inputs)
    names = {"Imem": "Isoma_mem", "Iahp": "Isoma_ahp", "Inmda": "Inmda", "Iampa": "Iampa", "Igaba_a": "Igaba_a",
             "Igaba_b": "Igaba_b"}
    for mine_name, their_name in names.items():
        mine = rec.trace(neuron, mine_name)[1][:, 0] * 1e-12  # pA -> A
        ref = theirs[their_name]
        assert np.max(np.abs(mine - ref)) <= BOUND * np.max(np.abs(ref)), mine_name
    times, _ = rec.spikes(neuron)
    assert len(their_spikes) > 2 and np.rint(times / 0.1).astype(int).tolist() == their_spikes
