"""The COBA E/I network (Brette et al. 2007, parameters of BrainPy's tutorial), written out in full.

Shows: LIF populations with refractoriness, Exponential synapses with conductance-based (COBA) outputs,
FixedProb(0.02) connectivity, a Runner with spike monitors and a membrane-potential trace, population
rates, and a raster saved with ``spikeloom.plot.summary_figure``. Output files go to
``$SPIKELOOM_EXAMPLE_OUT`` (default: a new temporary directory).
"""

import os
import pathlib
import tempfile

import matplotlib

matplotlib.use("Agg")

import spikeloom as sl  # noqa: E402
from spikeloom.plot import summary_figure  # noqa: E402


class EINet(sl.Network):
    def __init__(self, n_exc=3200, n_inh=800):
        super().__init__()
        lif = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0,
                   init={"V": sl.Normal(-55.0, 2.0)})
        self.E = sl.LIF(n_exc, **lif)
        self.I = sl.LIF(n_inh, **lif)
        exc = dict(synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0))  # weights in nS
        inh = dict(synapse=sl.Exponential(tau=10.0), output=sl.COBA(E=-80.0))
        self.E2E = sl.Projection(self.E, self.E, sl.FixedProb(0.02), 0.6, **exc)
        self.E2I = sl.Projection(self.E, self.I, sl.FixedProb(0.02), 0.6, **exc)
        self.I2E = sl.Projection(self.I, self.E, sl.FixedProb(0.02), 6.7, **inh)
        self.I2I = sl.Projection(self.I, self.I, sl.FixedProb(0.02), 6.7, **inh)


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    runner = sl.Runner(EINet(), dt=0.1, seed=0, inputs={"E": 20.0, "I": 20.0},  # 20 pA x 1 GOhm = 20 mV
                       monitors=["E.spike", "I.spike", ("E.V", [0, 1, 2])])
    result = runner.run(200.0)
    for pop in ("E", "I"):
        print(f"{pop}: {len(result[pop + '.spike'])} spikes, mean rate {result.mean_rate(pop):.2f} Hz")
    v = result["E.V"]
    print(f"E.V trace: {v.shape[0]} samples x {v.shape[1]} neurons, range [{v.min():.1f}, {v.max():.1f}] mV")
    print(f"build {runner.build_s:.2f} s, compile {result.compile_s:.2f} s, run {result.run_s:.2f} s")
    summary_figure(result, out / "coba_raster.png", title="COBA E/I network, 200 ms")
    print(f"raster written to {out / 'coba_raster.png'}")


if __name__ == "__main__":
    main()
