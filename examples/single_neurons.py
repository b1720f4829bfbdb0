"""Four single neurons (LIF, Izhikevich, AdEx, Hodgkin-Huxley; one population of n=1 each) under a step current.

Shows: several neuron models in one network, a step current per population given with
``spikeloom.Sections`` (a list of (value pA, duration ms); the last value holds on), state monitors of
membrane potentials, spike counts, and a plot of the traces saved to ``$SPIKELOOM_EXAMPLE_OUT`` (default: a
new temporary directory).
"""

import os
import pathlib
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import spikeloom as sl  # noqa: E402

# population -> (model, membrane variable, step amplitude in pA)
CELLS = {
    "lif": (sl.LIF(1, tau_ref=2.0), "V", 20.0),  # 20 pA x R = 1 GOhm: 20 mV above rest, threshold at 15 mV
    "izh": (sl.Izhikevich(1), "v", 100.0),  # regular spiking with adaptation (Izhikevich 2007)
    "adex": (sl.AdEx(1), "V", 800.0),  # adapting: inter-spike intervals lengthen
    "hh": (sl.HH(1), "V", 200.0),  # this Traub-Miles cell also fires slowly (~14 Hz) at 0 pA
}


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    net = sl.Network(**{name: pop for name, (pop, _, _) in CELLS.items()})
    # 0 pA for 20 ms, the step for 200 ms, then 0 pA again
    inputs = {name: sl.Sections([(0.0, 20.0), (amp, 200.0), (0.0, 80.0)]) for name, (_, _, amp) in CELLS.items()}
    monitors = [f"{name}.{var}" for name, (_, var, _) in CELLS.items()] + [f"{name}.spike" for name in CELLS]
    result = sl.Runner(net, dt=0.05, inputs=inputs, monitors=monitors).run(300.0)

    fig, axes = plt.subplots(len(CELLS), 1, figsize=(7, 8), sharex=True)
    for ax, (name, (pop, var, amp)) in zip(axes, CELLS.items()):
        key = f"{name}.{var}"
        spikes = result[f"{name}.spike"]
        print(f"{type(pop).__name__:>10}: {len(spikes):3d} spikes under {amp:g} pA "
              f"(first at {spikes.times[0] if len(spikes) else float('nan'):.2f} ms)")
        ax.plot(result.trace_times[key], result[key][:, 0], lw=0.8)
        ax.set_ylabel(f"{type(pop).__name__}\n{var} (mV)")
    axes[-1].set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(out / "single_neurons.png", dpi=100)
    plt.close(fig)
    print(f"traces written to {out / 'single_neurons.png'}")


if __name__ == "__main__":
    main()
