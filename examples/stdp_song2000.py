"""Song, Miller & Abbott (2000): 1000 Poisson inputs onto one LIF neuron through additive STDP. The weights,
uniform at the start, split into a group near 0 and a group near w_max while the output rate falls.

Shows: the bundled model ``Song2000`` (a ``Projection(..., plasticity=sl.STDP(...))``), monitoring every
synapse's weight (``("syn.w", None, every)``) and a histogram of the weights (``("syn.w", sl.Histogram(edges),
every)``), reading the final weights with ``runner.connections``. The same run from the command line:
``spikeloom run stdp-song2000 --duration 100000 --out DIR``. Output goes to ``$SPIKELOOM_EXAMPLE_OUT``.
"""

import os
import pathlib
import tempfile

import numpy as np

import spikeloom as sl
from spikeloom.models.song2000 import Song2000


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    net = Song2000()
    edges = np.linspace(0.0, net.w_max, 11)
    every = 10_000  # steps of 0.1 ms: one sample per second
    runner = sl.Runner(net, seed=1, monitors=[("syn.w", None, every), ("syn.w", sl.Histogram(edges), every)])
    result = runner.run(30_000.0)  # the CLI runs the paper's 100 s
    w = runner.connections("syn")[0].toarray()[:, 0] / net.w_max
    mean_w = result.traces["syn.w"].mean(axis=1) / net.w_max
    print(f"output rate {result.mean_rate('neuron'):.1f} Hz over 30 s, "
          f"{result.mean_rate('neuron', t_from=20_000.0):.1f} Hz in the last 10 s")
    print(f"mean weight / w_max: {mean_w[0]:.3f} after 1 s, {mean_w[-1]:.3f} after 30 s")
    print(f"final weights below 0.1 w_max: {np.mean(w < 0.1):.1%}, above 0.9 w_max: {np.mean(w > 0.9):.1%}")
    print("final histogram (10 bins of w_max / 10):", result.histograms["syn.w"][-1].astype(int).tolist())
    np.savez(out / "stdp_song2000.npz", w=w, t_ms=result.trace_times["syn.w"], w_mean=mean_w)


if __name__ == "__main__":
    main()
