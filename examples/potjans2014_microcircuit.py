"""A published model from its paper's tables: the cortical microcircuit of Potjans & Diesmann (2014).

Shows: exact current-based LIF neurons with NEST's parameters (``IafPscExp``), ``FixedTotalNumber`` with
multapses, Normal weights and delays with NEST's delay rule (``DelayRule(below_dt="redraw")``), Poisson
background per neuron without extra source neurons (``PoissonInput``), reading the built synapses back, and
per-population rates. The model lives in ``spikeloom/models/potjans2014.py`` (about 60 lines for the network);
``benchmarks/potjans2014_vs_nest.py`` runs it next to NEST. Here at 2 % of its size (1,544 neurons, 6 million
synapses, in-degrees of the full model) for 0.4 s.
"""

import os
import pathlib
import tempfile

import spikeloom as sl
from spikeloom.models.potjans2014 import POPULATIONS, Potjans2014

net = Potjans2014(scale=0.02, background="poisson")
runner = sl.Runner(net, dt=0.1, seed=1, monitors=[f"{p}.spike" for p in POPULATIONS], progress=False)
weight, delay = runner.connections("L4E_L23E")
print(f"L4E -> L2/3E: {weight.nnz} synapses, mean weight {weight.sum() / weight.nnz:.1f} pA (doubled pathway), "
      f"delays {delay.data.min():.1f}-{delay.data.max():.1f} ms")
result = runner.run(400.0)
print(f"{runner.plan.n_synapses:.3g} synapses; rates after 100 ms (Hz):")
for pop in POPULATIONS:
    print(f"  {pop:5s} {result.mean_rate(pop, t_from=100.0):6.2f}")
out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
sl.plot.summary_figure(result, out / "potjans2014.png", title="Potjans & Diesmann 2014 at 2 %")
print("figure:", out / "potjans2014.png")
