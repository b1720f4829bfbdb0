"""Plastic projections on the JAX engine: the same weights, rule state, monitors and spikes as the CPU engine,
bit for bit in float64 and float32, for every built-in rule and a user rule, with random delays and a recurrent
network whose spikes depend on the learned weights; set_weights, connections and checkpoints on JAX."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")
import spikeloom.engines.jax  # noqa: E402,F401  (before anything starts JAX: no fused multiply-adds)

import spikeloom as sl  # noqa: E402
from spikeloom._errors import EngineError  # noqa: E402
from spikeloom.core.params import Param  # noqa: E402
from spikeloom.engines.jax import Simulation, surrogate  # noqa: E402

DT = 0.1
EDGES = np.linspace(0.0, 0.1, 11)


class Leaky(sl.PlasticityRule):
    """A user rule: ``w`` relaxes to ``w0`` with ``tau`` between events, moves with the neurons' voltages."""

    parameters = {"tau": Param(30.0, "ms", "positive"), "w0": Param(0.5, "1"), "eta": Param(2e-3, "1")}
    state = {"n": 0.0}

    @staticmethod
    def decay(xp):
        def f(w, n, elapsed, tau, w0):
            return w0 + (w - w0) * xp.exp(-elapsed / tau), n

        return f

    @staticmethod
    def on_pre(xp):
        def f(w, n, eta, post_V, pre_V):
            w_new = xp.minimum(xp.maximum(w + eta * (post_V - pre_V) / 10.0, 0.0), 1.0)
            return w_new, n + 1.0, w_new

        return f

    @staticmethod
    def on_post(xp):
        def f(w, n, eta):
            return xp.minimum(w + eta, 1.0), n - 1.0

        return f


RULES = {
    "all_add": lambda: sl.STDP(A_plus=0.02, A_minus=0.021),
    "triplet": lambda: sl.TripletSTDP(),
    "tm": lambda: sl.TsodyksMarkram(U=0.2, tau_rec=150.0, tau_facil=300.0),
}


class Plastic(sl.Network):
    """Poisson inputs onto recurrent LIFs through one plastic projection per rule (random weights and delays); the
    LIFs also excite each other through power-law STDP with nearest-spike traces and the user rule, so their
    spikes follow the learned weights."""

    def __init__(self):
        super().__init__()
        self.inp = sl.PoissonGroup(60, rate=20.0)
        self.E = sl.LIF(20, tau_ref=2.0)
        for name, rule in RULES.items():
            setattr(self, name, sl.Projection(self.inp, self.E, sl.FixedProb(0.3), weight=sl.Uniform(0.02, 0.12),
                                              delay=sl.Uniform(0.1, 3.0), synapse=sl.Exponential(tau=5.0),
                                              output=sl.COBA(E=0.0), plasticity=rule()))
        self.rec = sl.Projection(self.E, self.E, sl.FixedProb(0.3), weight=sl.Uniform(0.0, 0.1),
                                 delay=sl.Uniform(0.5, 2.0), synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0),
                                 plasticity=sl.STDP(A_plus=0.01, A_minus=0.01, weight_dependence="power_law",
                                                    mu_plus=0.4, mu_minus=0.6, interaction="nearest", w_max=0.1))
        self.user = sl.Projection(self.E, self.E, sl.FixedProb(0.2), weight=sl.Uniform(0.0, 0.1),
                                  delay=sl.Uniform(0.1, 1.0), synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0),
                                  plasticity=Leaky(w0=0.05, eta=2e-4))


MONITORS = ["E.spike", ("all_add.w", [0, 3, 7], 10), ("rec.w", sl.Histogram(EDGES), 500), ("tm.u", None, 250),
            ("user.n", [1, 2], 1000)]


def _state(runner):
    out = {name: runner.connections(name).weight.toarray() for name in [*RULES, "rec", "user"]}
    x = f"pg{runner.plan.proj_index['tm']}_r_x"  # a variable of the rule besides w
    out["tm.x"] = np.asarray(runner.carry[x] if runner.engine == "jax" else runner.arrays[x])
    return out


def _runners(precision, **jax_options):
    return [sl.Runner(Plastic(), dt=DT, seed=5, precision=precision, engine=engine, monitors=MONITORS,
                      **(jax_options if engine == "jax" else {})) for engine in ("cpu", "jax")]


def _assert_same(res_cpu, res_jax):
    assert res_cpu.spikes["E"].times.size > 50
    np.testing.assert_array_equal(res_jax.spikes["E"].times, res_cpu.spikes["E"].times)
    np.testing.assert_array_equal(res_jax.spikes["E"].indices, res_cpu.spikes["E"].indices)
    for key in res_cpu.traces:
        np.testing.assert_array_equal(res_jax.traces[key], res_cpu.traces[key], err_msg=key)
        np.testing.assert_array_equal(res_jax.trace_times[key], res_cpu.trace_times[key])
    np.testing.assert_array_equal(res_jax.histograms["rec.w"], res_cpu.histograms["rec.w"])
    np.testing.assert_array_equal(res_jax.histogram_times["rec.w"], res_cpu.histogram_times["rec.w"])


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_weights_and_monitors_identical_across_engines(precision, tmp_path):
    # event buffers that hold every neuron: no chunk is redone (each redo recompiles, slow for CI)
    cpu, jax_runner = _runners(precision, event_capacity=64)
    res = [r.run(250.0) for r in (cpu, jax_runner)]
    _assert_same(*res)
    assert res[0].histograms["rec.w"].shape == (5, 10)
    before, after = _state(cpu), _state(jax_runner)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)
    assert np.ptp(before["tm.x"]) > 0.1  # the rules did act
    if precision == "float32":
        return
    # set_weights on both engines, then a second run from there; a JAX checkpoint continues the same way
    jax_runner.save_checkpoint(tmp_path / "ck.h5")
    new = np.linspace(0.0, 0.1, cpu.connections("rec").weight.nnz)
    for r in (cpu, jax_runner):
        r.set_weights("rec", new)
        np.testing.assert_array_equal(r.connections("rec").weight.data, new)
    res = [r.run(100.0) for r in (cpu, jax_runner)]
    _assert_same(*res)
    resumed = sl.Runner.from_checkpoint(tmp_path / "ck.h5", Plastic(), monitors=MONITORS)
    assert resumed.engine == "jax"
    resumed.set_weights("rec", new)
    again = resumed.run(100.0)
    np.testing.assert_array_equal(again.spikes["E"].times, res[1].spikes["E"].times)
    for key, value in _state(jax_runner).items():
        np.testing.assert_array_equal(_state(resumed)[key], value, err_msg=key)
        np.testing.assert_array_equal(_state(cpu)[key], value, err_msg=key)


def test_simulation_and_surrogate_refuse_plastic_projections():
    net = sl.Network(A=sl.LIF(10), B=sl.LIF(10))
    net.P = sl.Projection(net.A, net.B, sl.FixedProb(0.5), weight=0.5, plasticity=sl.STDP())
    with pytest.raises(EngineError, match=r"Simulation does not take plastic projections \['P'\]"):
        Simulation(net, duration=10.0)
    with pytest.raises(EngineError, match=r"\['P'\] have plasticity.*no surrogate gradient"):
        Simulation(net, duration=10.0, surrogate=surrogate())
