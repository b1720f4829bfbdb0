"""Event-driven adaptive integration: Izhikevich neurons under Poisson conductance input (seed 004, reduced).

Shows: the bundled experiment with parameters in physical units (brainunit quantities, when installed), input
spikes applied at their exact times, spike times located on the solver's dense output, a batch of independent
neurons (one seed each) in one compiled call, and the voltage trace sampled from the dense output, saved to
``$SPIKELOOM_EXAMPLE_OUT`` (default: a new temporary directory).
"""

import os
import pathlib
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from spikeloom.models.izhikevich_poisson import IzhikevichPoisson  # noqa: E402

try:
    import brainunit as u

    units = dict(C=100 * u.pF, k=0.7 * u.nS / u.mV, a=0.03 / u.ms, d=100 * u.pA, tau_s=7 * u.ms)
except ImportError:  # plain numbers are read in mV, ms, nS, pA, pF
    units = dict(C=100.0, k=0.7, a=0.03, d=100.0, tau_s=7.0)


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    batch = IzhikevichPoisson(n_exc=800, seeds=[0, 1, 2, 3], **units)  # 4 neurons, each with its own inputs
    result = batch.run(300.0, sample_dt=0.1, record_inputs=True)
    for i in range(4):
        print(f"neuron {i}: {result.input_times[i].size} input spikes applied, spikes at "
              f"{[round(float(t), 4) for t in result.spike_times(i)]} ms "
              f"({result.steps_accepted[i]} steps accepted, {result.steps_rejected[i]} rejected)")
    fig, ax = plt.subplots(figsize=(8, 3))
    for i in range(4):
        ax.plot(result.trace_times, result.traces["v"][i], lw=0.6, label=f"seed {i}")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("v (mV)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "event_driven_izhikevich.png", dpi=100)
    plt.close(fig)
    print(f"traces written to {out / 'event_driven_izhikevich.png'}")


if __name__ == "__main__":
    main()
