#!/usr/bin/env python3
"""DYNAP-SE DPI neurons in Brian2: the reference for spikeloom.dynapse (tests) and its benchmark peer.

The equations are those of ``spikeloom.dynapse.DPINeuron`` (spec: the Brian2 DYNAP-SE simulator's model),
written here in Brian2's own equation language, SI units, ``method='euler'``. The only liberty: the
adaptation's division by the soma-gated AHP current is guarded where that current is zero (the spec's edge
case, where the derivative is 0 either way): ``ahp_on`` = [I_ahp_s > 0], since l_mem = I0 > 0.

A *workload* (.npz) describes the network: ``n_neurons``; inputs ``input_times_ms`` / ``input_indices``
(``n_inputs`` spike-generator neurons); synapses ``pre``, ``post``, ``type`` (0 nmda, 1 ampa, 2 gaba_a,
3 gaba_b), ``weight`` and ``from_input`` (pre is an input, else a DPI neuron).

    .peers/brian2/bin/python benchmarks/peers/brian2_dynapse.py WORKLOAD.npz --target runtime --duration-ms 1000
    ... --record-out traces.npz   # all six currents of every neuron, every step, and the spikes

The last line printed is one JSON object (build_s, run_s, n_spikes, ...).
"""

import argparse
import json
import shutil
import sys
import tempfile
import time

import numpy as np

TYPES = ("nmda", "ampa", "gaba_a", "gaba_b")
CURRENTS = ("Imem", "Iahp", "Inmda", "Iampa", "Igaba_a", "Igaba_b")

EQUATIONS = """
dImem/dt = (alpha_soma*(I_in - I_sum) - (I_sum - l_mem)*I_clip/Itau_s) / (tau_soma*(1 + Ig_s/I_clip)) : amp (unless refractory)
dIahp/dt = ahp_on * (-Ig_a - Iahp + 2*l_ahp) / (tau_ahp*(1 + Ig_a/(I_ahp_s + (1 - ahp_on)*amp))) : amp
dInmda/dt = (-Inmda - Ig_nmda + 2*l_nmda) / (Cnmda*Ut/(kappa*Itau_nmda) * (Ig_nmda/Inmda + 1)) : amp
dIampa/dt = (-Iampa - Ig_ampa + 2*l_ampa) / (Campa*Ut/(kappa*Itau_ampa) * (Ig_ampa/Iampa + 1)) : amp
dIgaba_a/dt = (-Igaba_a - Ig_gaba_a + 2*l_gaba_a) / (Cgaba_a*Ut/(kappa*Itau_gaba_a) * (Ig_gaba_a/Igaba_a + 1)) : amp
dIgaba_b/dt = (-Igaba_b - Ig_gaba_b + 2*l_gaba_b) / (Cgaba_b*Ut/(kappa*Itau_gaba_b) * (Ig_gaba_b/Igaba_b + 1)) : amp
m_mem = int(Imem > I0) : 1
l_mem = I0*(1 - m_mem) : amp
I_clip = clip(Imem, I0, 1*amp) : amp
I_nmda_gated = Inmda / (1 + Inmda_thr/I_clip) : amp
I_in = clip(I_nmda_gated + Iampa - Igaba_b + Isoma_const, I0, 1*amp) : amp
I_pfb = Isoma_pfb_gain / (1 + exp(-(Imem - Isoma_pfb_th)/Isoma_pfb_norm)) : amp
Itau_s = Isoma_dpi_tau*m_mem + l_mem : amp
Ig_s = alpha_soma*Itau_s*m_mem + l_mem : amp
I_ahp_s = Iahp*m_mem + l_mem : amp
ahp_on = 1 - m_mem*int(Iahp <= 0*amp) : 1
I_sum = Itau_s + I_ahp_s + (Igaba_a*m_mem + l_mem) - (I_pfb*m_mem + l_mem) - l_mem : amp
tau_soma = Csoma_mem*Ut/(kappa*Itau_s) : second
m_ahp = int(Iahp > I0) : 1
l_ahp = I0*(1 - m_ahp) : amp
Ig_a = alpha_ahp*Isoma_ahp_tau*m_ahp + l_ahp : amp
tau_ahp = Csoma_ahp*Ut/(kappa*(Isoma_ahp_tau*m_ahp + l_ahp)) : second
""" + "".join(f"""
m_{x} = int(I{x} > I0) : 1
l_{x} = I0*(1 - m_{x}) : amp
Itau_{x} = I{x}_tau*m_{x} + l_{x} : amp
Ig_{x} = alpha_{x}*I{x}_tau*m_{x} + l_{x} : amp
""" for x in TYPES)


def parameters(b2):
    """The reference defaults (spec table), as Brian2 quantities."""
    pA, pF, mV, ms = b2.pA, b2.pF, b2.mV, b2.ms
    p = dict(I0=1 * pA, Ut=25 * mV, kappa=(0.75 + 0.66) / 2, Csoma_mem=2 * pF, Isoma_dpi_tau=5 * pA,
             Isoma_th=2000 * pA, Isoma_reset=1.2 * pA, Isoma_const=1 * pA, soma_refP=5 * ms, Csoma_ahp=4 * pF,
             Isoma_ahp_tau=2 * pA, Isoma_ahp_w=1 * pA, Isoma_pfb_gain=100 * pA, Isoma_pfb_th=1000 * pA,
             Isoma_pfb_norm=20 * pA, Cnmda=2 * pF, Inmda_tau=2 * pA, Inmda_w0=100 * pA, Inmda_thr=1 * pA,
             Campa=2 * pF, Iampa_tau=20 * pA, Iampa_w0=100 * pA, Cgaba_a=2 * pF, Igaba_a_tau=5 * pA,
             Igaba_a_w0=100 * pA, Cgaba_b=2 * pF, Igaba_b_tau=5 * pA, Igaba_b_w0=100 * pA)
    p.update({f"alpha_{x}": 4.0 for x in ("soma", "ahp") + TYPES})
    return p


def build_and_run(workload, target="runtime", duration_ms=100.0, dt_us=100.0, record=False, build_dir=None):
    import brian2 as b2

    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        b2.prefs.codegen.target = "cython" if target == "runtime" else "numpy"
    b2.BrianLogger.suppress_name("base")
    t0 = time.perf_counter()
    b2.defaultclock.dt = dt_us * b2.us
    ns = parameters(b2)
    n = int(workload["n_neurons"])
    neurons = b2.NeuronGroup(n, EQUATIONS, threshold="Imem > Isoma_th",
                             reset="Iahp += Isoma_ahp_w*alpha_ahp\nImem = Isoma_reset",
                             refractory="soma_refP", method="euler", namespace=ns, name="dpi")
    neurons.Imem = 1.1 * ns["I0"]
    neurons.Iahp = 0 * b2.amp
    for x in TYPES:
        setattr(neurons, f"I{x}", ns["I0"])
    n_inputs = int(workload["n_inputs"])
    inputs = b2.SpikeGeneratorGroup(n_inputs, np.asarray(workload["input_indices"], dtype=int),
                                    np.asarray(workload["input_times_ms"]) * b2.ms, name="inputs")
    objects = [neurons, inputs]
    pre, post, kind = (np.asarray(workload[k], dtype=int) for k in ("pre", "post", "type"))
    weights, from_input = np.asarray(workload["weight"], dtype=float), np.asarray(workload["from_input"], dtype=bool)
    for t, x in enumerate(TYPES):
        for src, is_input in ((inputs, True), (neurons, False)):
            sel = (kind == t) & (from_input == is_input)
            if not sel.any():
                continue
            syn = b2.Synapses(src, neurons, "weight : 1", on_pre=f"I{x}_post += I{x}_w0*weight*alpha_{x}",
                              namespace=ns, name=f"{x}_{'in' if is_input else 'rec'}")
            syn.connect(i=pre[sel], j=post[sel])
            syn.weight = weights[sel]
            objects.append(syn)
    spikes = b2.SpikeMonitor(neurons, name="spikes")
    objects.append(spikes)
    state = b2.StateMonitor(neurons, list(CURRENTS), record=True, name="state") if record else None
    if state is not None:
        objects.append(state)
    net = b2.Network(*objects)
    if target == "runtime":
        net.run(0 * b2.ms)  # code generation and compilation, outside the timed run
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    net.run(duration_ms * b2.ms)
    if target == "cpp_standalone":
        b2.device.build(directory=build_dir, compile=True, run=True, debug=False)
        run_s = float(b2.device._last_run_time)
        build_s += time.perf_counter() - t1 - run_s
    else:
        run_s = time.perf_counter() - t1
    out = {"target": target, "n_neurons": n, "n_synapses": int(pre.size), "duration_ms": duration_ms,
           "dt_us": dt_us, "build_s": build_s, "run_s": run_s, "n_spikes": int(spikes.num_spikes),
           "brian2": b2.__version__}
    recording = None
    if record:
        recording = {k: np.asarray(getattr(state, k) / b2.amp) for k in CURRENTS}  # (neurons, steps), A
        recording["t"] = np.asarray(state.t / b2.second)
        recording["spike_times"] = np.asarray(spikes.t / b2.second)
        recording["spike_indices"] = np.asarray(spikes.i[:], dtype=np.int64)
    return out, recording


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workload")
    ap.add_argument("--target", choices=["runtime", "cpp_standalone", "numpy"], default="runtime")
    ap.add_argument("--duration-ms", type=float, default=100.0)
    ap.add_argument("--dt-us", type=float, default=100.0)
    ap.add_argument("--record-out", default=None, help="write every current and the spikes to this .npz")
    args = ap.parse_args(argv)
    workload = dict(np.load(args.workload))
    build_dir = tempfile.mkdtemp(prefix="b2dynapse_") if args.target == "cpp_standalone" else None
    try:
        out, rec = build_and_run(workload, args.target, args.duration_ms, args.dt_us, args.record_out is not None,
                                 build_dir)
    finally:
        if build_dir:
            shutil.rmtree(build_dir, ignore_errors=True)
    if rec is not None:
        np.savez_compressed(args.record_out, **rec)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
