"""Exact integration of LIF neurons with current synapses (NEST's ``iaf_psc_exp`` / ``iaf_psc_alpha``).

Shows: ``IafPscExp`` and ``IafPscAlpha`` with NEST's parameters, ``IafPscDualExp`` (rise and decay),
projections onto their receptors (``Model.excitatory()``), and the PSP of one 100 pA input spike against its
closed form at two steps; then the charge one pulse injects, against ``LIF`` with an ``Exponential`` current
synapse, which holds the current constant over each step (1.10x too much at tau_syn = 0.5 ms, dt = 0.1 ms).
"""

import math

import numpy as np
from scipy.special import lambertw

import spikeloom as sl

W, TAU_M, C_M = 100.0, 10.0, 250.0  # pA, ms, pF


def psp(kind: str, tau_s: float, t):
    """Closed-form PSP (mV) at ``t`` ms after the current starts (Rotter & Diesmann 1999; NEST's kernels)."""
    t = np.clip(t, 0.0, None)
    if kind == "exp":
        return W * tau_s * TAU_M / (C_M * (TAU_M - tau_s)) * (np.exp(-t / TAU_M) - np.exp(-t / tau_s))
    a = 1 / TAU_M - 1 / tau_s
    return W * math.e / (tau_s * C_M) * (np.exp(-t / TAU_M) + (a * t - 1) * np.exp(-t / tau_s)) / a**2


def psp_peak_time(kind: str, tau_s: float) -> float:
    """Time of the PSP's peak (ms): where du/dt = 0; for alpha, (1 - k a t) e^{a t} = 1 solved by Lambert W."""
    if kind == "exp":
        return TAU_M * tau_s * math.log(TAU_M / tau_s) / (TAU_M - tau_s)
    a, k = 1 / TAU_M - 1 / tau_s, TAU_M / tau_s
    z = lambertw(-math.exp(-1 / k) / k, -1 if k > 1 else 0).real
    return (z + 1 / k) / a


def simulate_psp(model, dt: float, tau_s: float, **params):
    """V_m after one spike at 1 ms (delay 1 ms: the current starts at 2 ms)."""
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(1, times=[1.0], indices=[0])
    net.post = model(1, tau_syn_ex=tau_s, **params)
    net.syn = sl.Projection(net.src, net.post, sl.AllToAll(), W, synapse=model.excitatory(), delay=1.0)
    res = sl.Runner(net, dt=dt, monitors=["post.V_m"], precision="float64", progress=False).run(62.0)
    return res.trace_times["post.V_m"] - 2.0, res["post.V_m"][:, 0] + 70.0


def charge_of_lif_pulse(dt: float, tau_s: float) -> float:
    """Charge (fC = pA x ms) one pulse of LIF + Exponential + CUBA injects, read off a near-perfect
    integrator (tau = 1e7 ms, R = tau / C_m)."""
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(1, times=[1.0], indices=[0])
    net.post = sl.LIF(1, tau=1e7, R=1e7 / C_M, V_rest=-70.0, V_th=1e9)
    net.syn = sl.Projection(net.src, net.post, sl.AllToAll(), W, synapse=sl.Exponential(tau=tau_s),
                            output=sl.CUBA(), delay=1.0)
    V = sl.Runner(net, dt=dt, monitors=["post.V"], precision="float64", progress=False).run(2.0 + 40 * tau_s)
    return C_M * (V["post.V"][-1, 0] + 70.0)


def dual_exponential_current(dt: float, tau_rise: float, tau_decay: float):
    """Largest sample of ``I_ex`` after one spike into IafPscDualExp, and its time after the spike's arrival."""
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(1, times=[1.0], indices=[0])
    net.post = sl.IafPscDualExp(1, tau_rise_ex=tau_rise, tau_decay_ex=tau_decay)
    net.syn = sl.Projection(net.src, net.post, sl.AllToAll(), W, synapse=sl.IafPscDualExp.excitatory(), delay=1.0)
    res = sl.Runner(net, dt=dt, monitors=["post.I_ex"], precision="float64", progress=False).run(20.0)
    k = int(np.argmax(res["post.I_ex"][:, 0]))
    return res["post.I_ex"][k, 0], res.trace_times["post.I_ex"][k] - 2.0


def main():
    print(f"PSP of one {W:g} pA spike, IafPsc* (NEST defaults: C_m = {C_M:g} pF, tau_m = {TAU_M:g} ms)")
    print("largest sample vs the closed form at the same time, and the continuous peak (time, value)")
    print(f"{'model':>6} {'tau_syn':>7} {'dt':>5} {'t':>5} {'sample (mV)':>18} {'closed form (mV)':>18} "
          f"{'max |diff|':>10} {'t_peak':>7} {'peak (mV)':>18}")
    for kind, model in (("exp", sl.IafPscExp), ("alpha", sl.IafPscAlpha)):
        for tau_s in (0.5, 2.0):
            t_peak = psp_peak_time(kind, tau_s)
            for dt in (0.1, 0.01):
                t, u = simulate_psp(model, dt, tau_s)
                k = int(np.argmax(u))
                worst = np.abs(u - psp(kind, tau_s, t)).max()  # over the whole trace
                print(f"{kind:>6} {tau_s:>7g} {dt:>5g} {t[k]:>5.2f} {u[k]:>18.15f} {psp(kind, tau_s, t[k]):>18.15f} "
                      f"{worst:>10.1e} {t_peak:>7.4f} {psp(kind, tau_s, t_peak):>18.15f}")

    tau_r, tau_d = 0.5, 2.0
    t_p = tau_r * tau_d * math.log(tau_d / tau_r) / (tau_d - tau_r)
    print(f"\nIafPscDualExp, tau_rise = {tau_r} ms, tau_decay = {tau_d} ms: the current peaks at w = {W:g} pA, "
          f"t = {t_p:.4f} ms")
    for dt in (0.1, 0.01):
        peak, t_peak = dual_exponential_current(dt, tau_r, tau_d)
        print(f"  dt = {dt:<5g} largest sample {peak:.6f} pA at t = {t_peak:.2f} ms")

    tau_s = 0.5
    print(f"\ncharge of one pulse, tau_syn = {tau_s} ms (exact: w tau_syn = {W * tau_s:g} fC)")
    for dt in (0.1, 0.01):
        t, u = simulate_psp(sl.IafPscExp, dt, tau_s, tau_m=1e7)
        exact = C_M * u[-1] * math.exp(t[-1] / 1e7)  # undo the leak (6e-6) of the near-perfect integrator
        lif = charge_of_lif_pulse(dt, tau_s)
        print(f"  dt = {dt:<5g} IafPscExp: {exact / (W * tau_s):.6f} x   LIF + Exponential: {lif / (W * tau_s):.6f} x")


if __name__ == "__main__":
    main()
