"""A plasticity rule written by the user: homeostatic scaling of the input weights towards a target output rate.

Each synapse reads ``r``, an estimate of the postsynaptic rate (Hz): it decays with ``tau_r`` and jumps by
``1000 / tau_r`` at each postsynaptic spike, so its mean is the rate. Each presynaptic spike moves the weight by
``eta (target - r)``, clipped to ``[0, w_max]``: inputs that are active while the neuron fires too much are
weakened, and strengthened while it fires too little, until the output rate sits at ``target``.

``r`` depends on the postsynaptic spikes only, so it is a postsynaptic *trace*: kept once per neuron, not per
synapse, and updated once per spike. The rule is three pure functions against ``xp`` (``decay_post``: the
trace's factor over ``elapsed`` ms, ``spike_post``: its jump, ``on_pre``: the weight change), matched by
argument name like a neuron model; both engines compile the same functions. Shows: subclassing ``sl.PlasticityRule``, the
rule on the 1000 inputs of ``Song2000``'s neuron, the weights monitored as a histogram, and the JAX engine
repeating the first 2 s with the same weights bit for bit. Output goes to ``$SPIKELOOM_EXAMPLE_OUT``.
"""

import os
import pathlib
import tempfile

import numpy as np

import spikeloom as sl
from spikeloom.core.params import Param
from spikeloom.models.song2000 import NEURON


class Homeostatic(sl.PlasticityRule):
    """dw = eta (target - r) at each presynaptic spike, r the postsynaptic rate estimate (Hz)."""

    parameters = {"eta": Param(1e-6, "1", "nonneg"), "target": Param(5.0, "Hz", "nonneg"),
                  "tau_r": Param(1000.0, "ms", "positive"), "w_max": Param(0.01, "1", "positive")}
    post_traces = {"r": 0.0}  # per postsynaptic neuron; the synapse itself keeps only w

    def weight_bounds(self):
        return 0.0, self.params["w_max"]

    @staticmethod
    def decay_post(xp):
        def f(elapsed, tau_r):
            return xp.exp(-elapsed / tau_r)

        return f

    @staticmethod
    def spike_post(xp):
        def f(r, tau_r):
            return r + 1000.0 / tau_r

        return f

    @staticmethod
    def on_pre(xp):
        def f(w, r, eta, target, w_max):
            w_new = xp.minimum(xp.maximum(w + eta * (target - r), 0.0), w_max)
            return w_new, w_new

        return f


def network(target: float) -> sl.Network:
    net = sl.Network()
    net.inputs = sl.PoissonGroup(1000, rate=15.0)
    net.neuron = sl.LIF(1, **NEURON)
    net.syn = sl.Projection(net.inputs, net.neuron, sl.AllToAll(), sl.Uniform(0.0, 0.01),
                            synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0),
                            plasticity=Homeostatic(eta=2e-6, target=target, w_max=0.01))
    return net


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    target, duration = 5.0, 20_000.0
    edges = np.linspace(0.0, 0.01, 11)
    lines = []
    monitors = [("syn.w", sl.Histogram(edges), 10_000)]
    runner = sl.Runner(network(target), seed=3, monitors=monitors)
    first = runner.run(2000.0)
    w_first = runner.connections("syn")[0].data
    last = runner.run(duration - 2000.0)
    rate_last_5s = last.mean_rate("neuron", t_from=duration - 5000.0)  # t_from: time since the start
    w = runner.connections("syn")[0].data
    hist = last.histograms["syn.w"][-1]  # weights per bin of `edges` at the last sample
    lines.append(f"output rate {first.mean_rate('neuron'):.1f} Hz in the first 2 s, {rate_last_5s:.1f} Hz in the "
                 f"last 5 s (target {target:g}); mean weight {w.mean():.2e} nS; weights per 0.001 nS bin "
                 f"{hist.astype(int).tolist()}")
    # the JAX engine compiles the same rule functions: its first 2 s end with the same weights
    jax_runner = sl.Runner(network(target), seed=3, engine="jax", monitors=monitors)
    jax_runner.run(2000.0)
    same = np.array_equal(jax_runner.connections("syn")[0].data, w_first)
    lines.append(f"engine='jax', first 2 s: weights {'identical to' if same else 'DIFFERENT from'} engine='cpu'")
    print("\n".join(lines))
    (out / "user_plasticity_rule.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
