"""DYNAP-SE emulation: the seed's single neuron (four synapse types) and a small recurrent chip network.

Writes dynapse_currents.png into $SPIKELOOM_EXAMPLE_OUT (default: the current folder).
"""

import os
import pathlib

import numpy as np

from spikeloom import FixedProb
from spikeloom.cli.dynapse import plot_currents
from spikeloom.dynapse import DynapSE, Mismatch
from spikeloom.dynapse.protocol import CURRENTS, poisson_inputs, run_single_neuron

out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT", "."))

# 1. one DPI neuron, 80 Hz inputs on NMDA (weight 10), AMPA (5), GABA_A (1), GABA_B (2), 100 ms at 100 us
rec, neuron = run_single_neuron(poisson_inputs(seed=0))
traces = {var: rec.trace(neuron, var)[1][:, 0] * 1e-12 for var in CURRENTS}
t = rec.trace(neuron, "Imem")[0] * 1e-3
spikes = rec.spikes(neuron)[0]
plot_currents(traces, t, spikes * 1e-3, out / "dynapse_currents.png")
print(f"single neuron: {spikes.size} spikes at {np.round(spikes, 1)} ms")

# 2. two cores with their own biases and 10 % mismatch, a Poisson drive, recurrent excitation and inhibition
chip = DynapSE(mismatch=Mismatch(neuron=0.1, synapse=0.1), seed=1)
exc, inh = chip.get_neurons(40, core=0), chip.get_neurons(10, core=1)
chip.set_bias(1, Iampa_tau=40.0)  # core 1: faster AMPA synapses (tau = C U_T / (kappa I_tau))
drive = chip.poisson(20, rate_hz=50.0, name="drive")
chip.connect(drive, exc, "ampa", weight=3, conn=FixedProb(0.3))
chip.connect(exc, exc, "nmda", weight=1, conn=FixedProb(0.1))
chip.connect(exc, inh, "ampa", weight=2, conn=FixedProb(0.3))
chip.connect(inh, exc, "gaba_b", weight=2, conn=FixedProb(0.3))
net = chip.run(200.0, record=[(exc, "spike"), (inh, "spike")])
for name, pop in (("excitatory", exc), ("inhibitory", inh)):
    print(f"{name}: {len(net.spikes(pop)[0]) / pop.n / 0.2:.1f} Hz")
