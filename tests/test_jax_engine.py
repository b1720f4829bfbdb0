"""The JAX engine: identical spikes to the CPU engine, exact event-buffer overflow handling, vmap batches,
surrogate gradients, device selection and errors.

Comparisons with the CPU engine run in a fresh process, where the JAX engine can still switch XLA:CPU off
fused multiply-adds before JAX starts (see ``spikeloom/engines/jax/__init__.py``).
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import spikeloom as sl
from conftest import compare_in_fresh_process

HERE = pathlib.Path(__file__).resolve()


def _coba_both(precision: str, duration: float) -> dict:
    from spikeloom.models.coba import COBA

    out = {}
    for engine in ("cpu", "jax"):
        r = sl.Runner(COBA(3200, 800), dt=0.1, seed=7, engine=engine, precision=precision, progress=False,
                      monitors=["E.spike", "I.spike", ("E.V", [0, 17, 1450]), ("E2E.g", [3, 99], 10)],
                      inputs={"E": 20.0, "I": 20.0})
        out[engine] = r.run(duration)
    return out


class Features(sl.Network):
    """Poisson input, a spike generator, a 1.5 ms delay, alpha and dual-exponential synapses, two models,
    a time-varying input and a user-written update order."""

    def __init__(self):
        super().__init__()
        self.P = sl.PoissonGroup(50, rate=40.0)
        self.G = sl.SpikeGeneratorGroup(3, times=[1.0, 1.0, 2.5, 7.0], indices=[0, 2, 1, 0])
        self.E = sl.LIF(30, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=10.0, tau_ref=2.0,
                        init={"V": sl.Uniform(-60.0, -50.0)})
        self.Z = sl.Izhikevich(10)
        self.PE = sl.Projection(self.P, self.E, sl.FixedProb(0.3), 1.5, delay=1.5, synapse=sl.Alpha(tau=2.0),
                                output=sl.CUBA())
        self.GE = sl.Projection(self.G, self.E, sl.AllToAll(), 3.0, synapse=sl.Exponential(tau=3.0),
                                output=sl.COBA(E=0.0))
        self.EZ = sl.Projection(self.E, self.Z, sl.FixedProb(0.5), 2.0,
                                synapse=sl.DualExponential(tau_rise=1.0, tau_decay=4.0), output=sl.CUBA())

    def update(self, inp):
        self.P()
        self.G()
        self.GE()
        self.E(inp)
        self.PE()
        self.EZ()
        self.Z(5.0)


def _features(engine: str, **kw):
    r = sl.Runner(Features(), dt=0.1, seed=3, engine=engine, progress=False, **kw,
                  monitors=["E.spike", "Z.spike", "P.spike", "G.spike", ("Z.v", [0, 4]), "PE.g"])
    first = r.run(30.0, inputs=np.linspace(0.0, 15.0, 300))
    second = r.run(20.0, inputs=np.full(200, 10.0))  # continues: delayed spikes in flight, state kept
    return first, second


def _same(a, b, traces_rtol: float) -> list:
    problems = []
    for pop in a.spikes:
        if not (np.array_equal(a.spikes[pop].times, b.spikes[pop].times)
                and np.array_equal(a.spikes[pop].indices, b.spikes[pop].indices)):
            problems.append(f"spikes of {pop} differ: {len(a.spikes[pop])} vs {len(b.spikes[pop])}")
    for key in a.traces:
        if not np.allclose(a.traces[key], b.traces[key], rtol=traces_rtol, atol=1e-6):
            problems.append(f"trace {key} differs by {np.abs(a.traces[key] - b.traces[key]).max()}")
    return problems


def _compare_in_this_process() -> dict:
    report = {}
    for precision in ("float32", "float64"):
        res = _coba_both(precision, 1000.0)
        report[f"coba_{precision}"] = _same(res["cpu"], res["jax"], 1e-6)
        report[f"coba_{precision}_spikes"] = int(sum(len(s) for s in res["cpu"].spikes.values()))
    from spikeloom.engines.jax import program

    program.MONITOR_BITMAP_MAX_NEURONS = 0  # spike monitors through index buffers (as large groups are)
    program.ROW_LOOP_PLATFORMS = ()  # delivery by one padded scatter, as on a GPU
    cpu, jax = _features("cpu"), _features("jax", event_capacity=8)
    report["features"] = _same(cpu[0], jax[0], 1e-5) + _same(cpu[1], jax[1], 1e-5)
    report["features_spikes"] = int(sum(len(s) for s in cpu[0].spikes.values()))
    return report


@pytest.fixture(scope="module")
def comparison():
    return compare_in_fresh_process(HERE)


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_coba_spikes_identical_to_cpu_engine_over_one_second(comparison, precision):
    assert comparison[f"coba_{precision}_spikes"] > 50_000  # ~20 Hz x 4000 neurons: a real test
    assert comparison[f"coba_{precision}"] == []


def test_delays_generators_poisson_inputs_and_custom_order_identical_with_a_tiny_event_buffer(comparison):
    assert comparison["features_spikes"] > 100
    assert comparison["features"] == []


def test_vmap_over_input_current_equals_separate_runs():
    import jax
    import jax.numpy as jnp

    from spikeloom.engines.jax import Simulation

    def net():
        n = sl.Network()
        n.E = sl.LIF(40, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=2.0,
                     init={"V": sl.Uniform(-60.0, -50.0)})
        n.EE = sl.Projection(n.E, n.E, sl.FixedProb(0.2), 0.3, synapse=sl.Exponential(tau=5.0),
                             output=sl.COBA(E=0.0))
        return n

    sim = Simulation(net(), duration=100.0, inputs={"E": 10.0}, seed=2)
    currents = [9.0, 11.0, 13.0, 15.0]
    batch = jax.jit(jax.vmap(lambda i: sim({"E.I_ext": i})["counts"]["E"]))(jnp.asarray(currents)[:, None])
    for row, current in zip(np.asarray(batch), currents):
        alone = sl.Runner(net(), seed=2, engine="jax", inputs={"E": current}, progress=False).run(100.0)
        np.testing.assert_array_equal(row, alone.spike_counts["E"])
    assert len({int(r.sum()) for r in np.asarray(batch)}) == len(currents)


def test_simulation_applies_every_spike_of_a_crowded_step():
    # all 40 neurons spike in the same steps, five times the default event buffer: a pure function cannot
    # redo a chunk, so Simulation must deliver them all (the Runner does, by redoing the chunk)
    from spikeloom.engines.jax import Simulation

    def net():
        n = sl.Network()
        n.E = sl.LIF(40, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=2.0, init={"V": -50.5})
        n.EE = sl.Projection(n.E, n.E, sl.FixedProb(0.5), 0.05, synapse=sl.Exponential(tau=5.0),
                             output=sl.COBA(E=0.0), delay=0.5)
        return n

    sim = Simulation(net(), duration=50.0, inputs={"E": 10.5}, seed=4)
    got = np.asarray(sim()["counts"]["E"])
    ref = sl.Runner(net(), seed=4, engine="jax", inputs={"E": 10.5}, progress=False).run(50.0).spike_counts["E"]
    assert ref.max() == 40
    np.testing.assert_array_equal(got, ref)


def test_fitting_example_reduces_the_loss():
    sys.path.insert(0, str(HERE.parents[1] / "examples"))
    try:
        from jax_fit_rate import fit
    finally:
        sys.path.pop(0)
    history, params, sim = fit(steps=20)
    assert history[-1] < history[0] / 50.0
    assert all(np.isfinite(history))


def test_surrogate_gradient_is_finite_and_points_uphill_for_the_rate():
    import jax

    from spikeloom.engines.jax import Simulation, surrogate

    net = sl.Network()
    net.E = sl.LIF(5, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, init={"V": sl.Uniform(-60.0, -50.0)})
    for name in ("sigmoid", "fast_sigmoid", "triangle", "arctan"):
        sim = Simulation(net, duration=50.0, inputs={"E": 9.0}, surrogate=surrogate(name, 0.5))
        grad = jax.grad(lambda p: sim(p)["rates"]["E"])({"E.I_ext": sim.params["E.I_ext"]})["E.I_ext"]
        assert np.all(np.isfinite(grad)) and float(grad.sum()) > 0.0, name


def test_errors_name_the_problem():
    import jax

    from spikeloom.engines.jax import surrogate

    net = sl.Network()
    net.E = sl.LIF(3)
    if not any(d.platform == "gpu" for d in jax.devices()):
        with pytest.raises(sl.EngineError, match="no GPU"):
            sl.Runner(net, engine="jax", device="gpu")
    with pytest.raises(sl.EngineError, match="engine='jax' only"):
        sl.Runner(net, engine="cpu", device="cpu")
    with pytest.raises(sl.ModelDefinitionError, match="unknown surrogate"):
        surrogate("step")
    # a huge hyperpolarizing current drives HH's gating rates to overflow (inf - inf = NaN)
    r = sl.Runner(sl.Network(P=sl.HH(2)), engine="jax", inputs={"P": np.array([0.0, -1e35])}, progress=False)
    with pytest.raises(sl.SimulationError, match=r"population 'P' became non-finite at step \d+ .* neuron 1"):
        r.run(10.0)


if __name__ == "__main__" and sys.argv[1:] == ["compare"]:
    print(json.dumps(_compare_in_this_process()))
