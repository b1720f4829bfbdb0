"""Surrogate gradients that mean something (docs/gradients.md): through a recurrent E/I network the gradient
of the mean rate agrees in sign (and within a small factor) with a smoothed finite-difference slope; the
unnormalised pseudo-derivative diverges there; ``tau`` is differentiable and matches the analytic derivative
of a single neuron; keys that cannot receive a gradient raise."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spikeloom as sl
from spikeloom.engines.jax import Simulation, surrogate


class EINetwork(sl.Network):
    """160 excitatory and 40 inhibitory LIF neurons, FixedProb(0.1) COBA synapses, constant drive: 15-20 Hz
    (docs/gradients.md)."""

    def __init__(self, n_e=160, n_i=40, p=0.1, w_e=0.1, w_i=1.0):
        super().__init__()
        kw = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=2.0, init={"V": sl.Uniform(-60.0, -50.0)})
        self.E = sl.LIF(n_e, **kw)
        self.I = sl.LIF(n_i, **kw)
        exc = dict(synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0))
        inh = dict(synapse=sl.Exponential(tau=10.0), output=sl.COBA(E=-80.0))
        self.EE = sl.Projection(self.E, self.E, sl.FixedProb(p), w_e, **exc)
        self.EI = sl.Projection(self.E, self.I, sl.FixedProb(p), w_e, **exc)
        self.IE = sl.Projection(self.I, self.E, sl.FixedProb(p), w_i, **inh)
        self.II = sl.Projection(self.I, self.I, sl.FixedProb(p), w_i, **inh)


def gradients_and_slopes(projections, seed: int, spike, duration=200.0, rel_step=0.3):
    """For each projection, d(mean E rate)/d(common change of its weights): the surrogate gradient, and the
    slope of a line fitted to the rate at 5 weights spanning +-``rel_step`` of the weight (the smoothed
    finite-difference estimate)."""
    sim = Simulation(EINetwork(), duration=duration, seed=seed, inputs={"E": 12.0, "I": 12.0}, surrogate=spike)
    key = next(k for k in sim.params if k.endswith(".weight"))
    w = sim.params[key]
    rate = jax.jit(lambda d, mask: sim({key: w + d * mask})["rates"]["E"])
    grad = jax.jit(jax.grad(rate))
    out = []
    for proj in projections:
        mask = sim.weight_mask(proj)
        w0 = float(w[mask > 0][0])
        steps = np.linspace(-rel_step * w0, rel_step * w0, 5)
        slope = np.polyfit(steps, [float(rate(jnp.asarray(d, w.dtype), mask)) for d in steps], 1)[0]
        out.append((float(grad(jnp.asarray(0.0, w.dtype), mask)), slope))
    return out


def check_agreement(projections, seeds):
    pairs = np.array([gradients_and_slopes(projections, seed, surrogate()) for seed in seeds])
    assert np.all(np.isfinite(pairs)), pairs
    grads, slopes = pairs.mean(axis=0).T
    for proj, grad, slope in zip(projections, grads, slopes):
        print(f"{proj}: smoothed FD {slope:9.2f} Hz/nS, surrogate gradient {grad:9.2f} Hz/nS, ratio {grad / slope:.2f}")
    for proj, grad, slope in zip(projections, grads, slopes):
        assert np.sign(grad) == np.sign(slope) and 0.1 < grad / slope < 10.0, (proj, slope, grad)


def test_recurrent_gradient_agrees_with_smoothed_finite_differences():
    check_agreement(["EE", "EI"], seeds=[0, 1])


@pytest.mark.slow
def test_recurrent_gradient_agrees_for_every_projection():
    check_agreement(["EE", "EI", "IE", "II"], seeds=[0, 1, 2, 3])


def test_unnormalised_pseudo_derivative_diverges_through_the_recurrent_loop():
    # the finding of issue 13: without the per-step factor dt / tau the gradient is astronomically large
    [(grad, slope)] = gradients_and_slopes(["EE"], 0, surrogate(tau=None))
    assert not np.isfinite(grad) or abs(grad) > 1e6 * abs(slope)


def test_tau_gradient_matches_the_analytic_derivative():
    # a subthreshold LIF relaxing from V_rest to V_inf: V(t) = V_inf + (V_rest - V_inf) exp(-t / tau) exactly
    net = sl.Network()
    net.E = sl.LIF(1, V_rest=-65.0, V_th=-50.0, tau=20.0)
    sim = Simulation(net, duration=30.0, inputs={"E": 5.0}, monitors=[("E.V", [0])], precision="float64",
                     surrogate=surrogate())

    def v_end(tau):
        return sim({"E.tau": tau})["traces"]["E.V"][-1, 0]

    tau, t, v_inf = 20.0, 30.0, -60.0
    expected = (-65.0 - v_inf) * np.exp(-t / tau) * t / tau**2
    assert float(v_end(jnp.float64(tau))) == pytest.approx(v_inf + (-65.0 - v_inf) * np.exp(-t / tau), abs=1e-9)
    assert float(jax.grad(v_end)(jnp.float64(tau))) == pytest.approx(expected, rel=1e-5)
    # a changed tau changes the run (the decay factor is recomputed inside the traced function)
    assert float(v_end(jnp.float64(10.0))) == pytest.approx(v_inf + (-65.0 - v_inf) * np.exp(-t / 10.0), abs=1e-9)


def small_simulation(**kw):
    net = sl.Network()
    net.E = sl.LIF(4, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=2.0)
    return Simulation(net, duration=20.0, inputs={"E": 12.0}, **kw)


@pytest.mark.parametrize("key, match", [
    ("E.tau_ref", r"'E.tau_ref'.*whole number of steps"),
    ("E.ref_steps", r"'E.ref_steps'.*whole number of steps"),
    ("E.noise_sigma", r"'E.noise_sigma'.*noise is off in 'E'"),
    ("E.noise_scale", r"'E.noise_scale'.*noise, which is off"),
])
def test_parameters_without_a_gradient_raise(key, match):
    sim = small_simulation(surrogate=surrogate())
    assert key not in sim.params and key not in sim.differentiable()
    value = jnp.asarray(sim._args[sim._names[key][0]])
    with pytest.raises(sl.EngineError, match=match + r".*differentiable keys: \[.*'E.tau'"):
        jax.grad(lambda v: sim({key: v})["rates"]["E"])(value)
    sim({key: value})  # a plain call still takes it


def test_gradients_without_a_surrogate_raise():
    sim = small_simulation()
    with pytest.raises(sl.EngineError, match=r"'E.I_ext'.*no surrogate.*surrogate=surrogate\(\)"):
        jax.grad(lambda p: sim(p)["rates"]["E"])({"E.I_ext": sim.params["E.I_ext"]})


def test_spike_sources_have_no_gradient():
    net = sl.Network()
    net.P = sl.PoissonGroup(5, rate=50.0)
    net.E = sl.LIF(3)
    net.PE = sl.Projection(net.P, net.E, sl.AllToAll(), 1.0)
    sim = Simulation(net, duration=10.0, surrogate=surrogate())
    with pytest.raises(sl.EngineError, match=r"'P.rate'.*spike source"):
        jax.grad(lambda r: sim({"P.rate": r})["rates"]["E"])(jnp.float32(50.0))


def test_derived_constants_and_their_parameters_are_not_given_together():
    sim = small_simulation(surrogate=surrogate())
    with pytest.raises(sl.ModelDefinitionError, match=r"\['E.decay'\] are computed from \['E.tau'\]"):
        sim({"E.tau": 20.0, "E.decay": 0.99})
