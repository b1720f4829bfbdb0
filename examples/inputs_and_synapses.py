"""Spike inputs driving LIF neurons through every synapse model, with current and conductance outputs and delays.

Shows: a SpikeGeneratorGroup (spikes at given times) and a PoissonGroup as presynaptic populations;
Exponential, DualExponential and Alpha synapses; CUBA (weights in pA) and COBA (weights in nS) outputs; a
transmission delay; and monitors of synapse states ("<projection>.g", one value per post-synaptic neuron),
whose peaks are printed. DualExponential and Alpha are normalized so that one spike of weight w peaks at g = w.
"""

import numpy as np

import spikeloom as sl


class Inputs(sl.Network):
    def __init__(self):
        super().__init__()
        self.gen = sl.SpikeGeneratorGroup(1, times=[10.0, 100.0], indices=[0, 0])
        self.noise = sl.PoissonGroup(50, rate=40.0)
        self.A, self.B, self.C = sl.LIF(3), sl.LIF(3), sl.LIF(3)
        one = sl.AllToAll()
        self.gen2A = sl.Projection(self.gen, self.A, one, 12.0, sl.Exponential(tau=5.0), sl.CUBA())
        self.gen2B = sl.Projection(self.gen, self.B, one, 1.0, sl.DualExponential(tau_rise=1.0, tau_decay=8.0),
                                   sl.COBA(E=0.0), delay=3.0)
        self.gen2C = sl.Projection(self.gen, self.C, one, 15.0, sl.Alpha(tau=3.0), sl.CUBA())
        self.noise2A = sl.Projection(self.noise, self.A, sl.FixedProb(0.5), 0.3, sl.Exponential(tau=10.0),
                                     sl.COBA(E=-80.0))
        self.noise2C = sl.Projection(self.noise, self.C, sl.FixedProb(0.5), 0.05, sl.Alpha(tau=2.0),
                                     sl.COBA(E=0.0), delay=1.0)


def main():
    projections = ["gen2A", "gen2B", "gen2C", "noise2A", "noise2C"]
    monitors = [f"{p}.g" for p in projections] + ["gen.spike", "A.spike", "B.spike", "C.spike"]
    runner = sl.Runner(Inputs(), dt=0.1, seed=1, monitors=monitors)
    result = runner.run(200.0)
    print(f"generator spikes at {result['gen.spike'].times} ms; "
          f"Poisson rate {result.mean_rate('noise'):.1f} Hz (target 40 Hz)")
    # A trace sample is the state at the end of its step. After the generator spike at t = 10 ms the
    # Exponential g is w at t = 10 and first sampled at 10.1 ms (w * exp(-0.1 / 5)); the DualExponential
    # peaks ln(8) * 8 / 7 = 2.38 ms after arrival (10 + 3 ms delay), the Alpha tau = 3 ms after arrival.
    for p in projections:
        g, t = result[f"{p}.g"], result.trace_times[f"{p}.g"]
        k = int(np.argmax(g[:, 0]))  # first sample where neuron 0 reaches its maximum
        proj = runner.net.projections()[p]
        print(f"{p:>8} ({type(proj.synapse).__name__}, {type(proj.output).__name__}, delay {proj.delay:g} ms, "
              f"w {float(proj.weight):g}): peak g = {g.max():.3f} (neuron 0: max at {t[k]:.1f} ms)")
    print("rates of the LIF targets (Hz):", {p: round(result.mean_rate(p), 1) for p in "ABC"})


if __name__ == "__main__":
    main()
