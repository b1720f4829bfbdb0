"""Quantities are accepted wherever the network description takes a number: each accepted form builds the same
plan as plain numbers in canonical units, and a quantity of the wrong dimension raises UnitError."""

import brainunit as u
import numpy as np
import pytest

import spikeloom as sl
from spikeloom._errors import UnitError
from spikeloom.network.build import build_plan


def _arrays(plan) -> dict:
    """Every number of a plan that the description decides, by a readable key."""
    out = {}
    for gi, g in enumerate(plan.groups):
        out.update({f"g{gi}.state.{k}": v for k, v in g.state.items()})
        out.update({f"g{gi}.param.{k}": v for k, v in g.params.items()})
        if g.generator_events is not None:
            out[f"g{gi}.events"] = np.concatenate(g.generator_events)
    for pi, pg in enumerate(plan.pgroups):
        out.update({f"p{pi}.{k}": getattr(pg, k) for k in ("offsets", "rowptr", "col", "weight")})
        out.update({f"p{pi}.state.{k}": v for k, v in pg.state.items()})
        if pg.operator is not None:
            out.update({f"p{pi}.block.{k}": v for k, v in pg.operator.blocks.items()})
    return out


def _same_plan(make, plain, quantity):
    """``make(values)`` built with plain numbers and with quantities gives the same plan (to float rounding)."""
    a, b = (_arrays(build_plan(make(**v), 0.1, 3, dtype=np.float64)) for v in (plain, quantity))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(np.asarray(b[k], float), np.asarray(a[k], float), rtol=1e-12, atol=0, err_msg=k)


def _lif_net(init, weight=0.5, delay=1.0, output=None, synapse=None, synapse_init=None, conn=None):
    net = sl.Network()
    net.E = sl.LIF(30, init=init)
    net.P = sl.Projection(net.E, net.E, conn or sl.FixedProb(0.2), weight, delay=delay, output=output,
                          synapse=synapse, synapse_init=synapse_init)
    return net


@pytest.mark.parametrize("quantity", [
    sl.Normal(-55 * u.mV, 2 * u.mV),
    sl.Normal(-0.055 * u.volt, 2 * u.mV),  # any unit of the dimension; mixed units convert
    sl.Normal(-55 * u.mV, 2.0),  # a plain number beside a quantity is read in its canonical unit
])
def test_initializer_quantities_equal_plain_numbers(quantity):
    _same_plan(lambda init: _lif_net({"V": init}), {"init": sl.Normal(-55.0, 2.0)}, {"init": quantity})


@pytest.mark.parametrize("plain, quantity", [
    (sl.Uniform(-70.0, -50.0), sl.Uniform(-0.07 * u.volt, -0.05 * u.volt)),
    (sl.Constant(-60.0), sl.Constant(-60 * u.mV)),
    (-60.0, -60 * u.mV),
    (np.linspace(-70.0, -50.0, 30), np.linspace(-70.0, -50.0, 30) * u.mV),
])
def test_state_values_in_any_form(plain, quantity):
    _same_plan(lambda init: _lif_net({"V": init}), {"init": plain}, {"init": quantity})


@pytest.mark.parametrize("output, synapse, plain, quantity", [
    (None, None, 0.5, 0.5 * u.nS),
    (None, None, 0.5, 0.0005 * u.uS),
    (None, None, sl.Normal(0.5, 0.1), sl.Normal(0.5 * u.nS, 0.1 * u.nS)),
    (sl.CUBA(), None, 20.0, 20 * u.pA),
    (sl.CUBA(), None, sl.Uniform(-5.0, 5.0), sl.Uniform(-5 * u.pA, 5 * u.pA)),
    (sl.CUBA(), sl.Delta(), 0.5, 0.5 * u.mV),
])
def test_weights_take_the_unit_of_synapse_and_output(output, synapse, plain, quantity):
    _same_plan(lambda weight: _lif_net(None, weight, output=output, synapse=synapse),
               {"weight": plain}, {"weight": quantity})


def test_connector_weights_and_per_synapse_arrays():
    pre, post = np.arange(30), (np.arange(30) * 7) % 30
    w = np.linspace(0.1, 1.0, 30)
    _same_plan(lambda conn: _lif_net(None, None, conn=conn), {"conn": sl.FromList(pre, post, w)},
               {"conn": sl.FromList(pre, post, w * 0.001 * u.uS)})
    _same_plan(lambda weight, delay: _lif_net(None, weight, delay=delay, conn=sl.OneToOne()),
               {"weight": w, "delay": np.round(w * 10) / 10}, {"weight": w * u.nS, "delay": np.round(w * 10) / 10 * u.ms})


@pytest.mark.parametrize("delay", [1 * u.ms, 1000 * u.us, 0.001 * u.second])
def test_delays_in_time_units(delay):
    _same_plan(lambda delay: _lif_net(None, delay=delay), {"delay": 1.0}, {"delay": delay})


def test_synapse_init_in_the_weight_unit():
    _same_plan(lambda synapse_init: _lif_net(None, synapse_init=synapse_init),
               {"synapse_init": {"g": sl.Normal(4.0, 1.0)}}, {"synapse_init": {"g": sl.Normal(4 * u.nS, 1 * u.nS)}})


def test_rates_and_spike_times():
    def make(rate, times):
        net = sl.Network()
        net.P = sl.PoissonGroup(5, rate=rate)
        net.G = sl.SpikeGeneratorGroup(3, times=times, indices=[0, 1, 2])
        return net

    _same_plan(make, {"rate": 12.0, "times": [0.5, 1.0, 2.0]},
               {"rate": 0.012 / u.ms, "times": [0.0005, 0.001, 0.002] * u.second})


def test_procedural_weight_laws_and_jitter():
    def make(weight, delay, delay_std):
        net = sl.Network()
        net.E = sl.LIF(40)
        net.P = sl.Projection(net.E, net.E, sl.ProceduralProb(0.1), weight, delay=delay, delay_std=delay_std)
        return net

    _same_plan(make, {"weight": sl.Uniform(0.1, 0.6), "delay": 2.0, "delay_std": 0.5},
               {"weight": sl.Uniform(0.1 * u.nS, 0.6 * u.nS), "delay": 2 * u.ms, "delay_std": 500 * u.us})


def test_gating_variables_take_dimensionless_quantities():
    def make(m):
        return sl.Network(H=sl.HH(4, init={"m": m}))

    _same_plan(make, {"m": 0.05}, {"m": 0.05 * u.UNITLESS})


@pytest.mark.parametrize("call, where", [
    (lambda: sl.LIF(3, init={"V": sl.Normal(1 * u.nS, 1 * u.nS)}), r"init\['V'\]"),
    (lambda: sl.LIF(3, init={"V": 3 * u.ms}), r"init\['V'\]"),
    (lambda: _lif_net(None, 1 * u.pA), r"weight"),
    (lambda: _lif_net(None, 1 * u.nS, output=sl.CUBA()), r"weight"),
    (lambda: _lif_net(None, sl.Normal(1 * u.mV, 1 * u.mV)), r"weight"),
    (lambda: _lif_net(None, delay=1 * u.mV), r"delay"),
    (lambda: _lif_net(None, synapse_init={"g": 1 * u.ms}), r"synapse_init\['g'\]"),
    (lambda: _lif_net(None, None, conn=sl.FromList([0], [1], [1 * u.mV])), r"FromList weight"),
    (lambda: sl.PoissonGroup(3, rate=1 * u.ms), r"rate"),
    (lambda: sl.SpikeGeneratorGroup(1, times=[1 * u.Hz], indices=[0]), r"times"),
    (lambda: sl.Uniform(1 * u.mV, 1 * u.nS), r"Uniform: high"),
])
def test_wrong_dimension_raises_unit_error_naming_the_parameter(call, where):
    with pytest.raises(UnitError, match=where):
        call()
