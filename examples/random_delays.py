"""A balanced E/I network with stored random connectivity in NEST's terms: a fixed total number of synapses
per projection (NEST's ``fixed_total_number``), log-normal excitatory weights, and normal delays under an
explicit delay rule (rounded to the nearest step, values below dt drawn again: NEST's
``nest.math.redraw(nest.random.normal(1.5, 0.75), min=resolution)``).

Shows: ``FixedTotalNumber``, ``LogNormal``, ``delay=Normal(...)`` with ``DelayRule(below_dt="redraw")``, a delay
computed from the synapse indices, and ``runner.connections`` to read back what was built (weights and delays
as scipy.sparse). Output goes to ``$SPIKELOOM_EXAMPLE_OUT``.
"""

import os
import pathlib
import tempfile

import numpy as np

import spikeloom as sl

N_E, N_I, P = 800, 200, 0.1
J, G = 0.2, 5.0  # mean mV per excitatory spike; inhibition relative strength


def network() -> sl.Network:
    lif = dict(tau=20.0, V_rest=0.0, V_th=20.0, V_reset=10.0, tau_ref=2.0, noise_sigma=2.0,
               init={"V": sl.Uniform(0.0, 20.0)})
    E, I = sl.LIF(N_E, **lif), sl.LIF(N_I, **lif)
    net = sl.Network(E=E, I=I)
    syn = dict(synapse=sl.Delta(tau_m=20.0), output=sl.CUBA())
    redraw = sl.DelayRule(rounding="nearest", below_dt="redraw")
    for pre, name_pre in ((E, "E"), (I, "I")):
        for post, name_post in ((E, "E"), (I, "I")):
            n = int(P * pre.n * post.n)  # as many synapses as FixedProb(P) gives on average, exactly
            conn = sl.FixedTotalNumber(n, allow_self=False)
            if pre is E:
                proj = sl.Projection(pre, post, conn, sl.LogNormal(J, 0.5 * J), delay=sl.Normal(1.5, 0.75),
                                     delay_rule=redraw, **syn)
            else:
                # inhibition: delay growing with the index distance (a function of the synapse's indices)
                proj = sl.Projection(pre, post, conn, -G * J, delay=lambda i, j: 0.5 + 0.001 * np.abs(i - j),
                                     **syn)
            setattr(net, f"{name_pre}2{name_post}", proj)
    return net


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    runner = sl.Runner(network(), seed=1, inputs={"E": 22.0, "I": 22.0}, monitors=["E.spike", "I.spike"])
    weight, delay = runner.connections("E2E")
    steps = np.round(delay.data / runner.dt).astype(int)
    print(f"E2E: {weight.nnz} synapses; weight mean {weight.data.mean():.3f} mV, sd {weight.data.std():.3f} mV; "
          f"delay mean {delay.data.mean():.2f} ms, min {delay.data.min():.1f} ms (dt {runner.dt} ms), "
          f"{np.unique(steps).size} distinct delays")
    result = runner.run(300.0)
    rates = {pop: result.mean_rate(pop) for pop in ("E", "I")}
    print(f"rates: E {rates['E']:.1f} Hz, I {rates['I']:.1f} Hz; run {result.run_s:.2f} s")
    (out / "random_delays.txt").write_text(f"{rates}\n")


if __name__ == "__main__":
    main()
