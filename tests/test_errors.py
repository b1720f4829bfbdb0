"""Bad input is rejected before compiling, with a message naming the culprit; NaN stops a run."""

import numpy as np
import pytest

import spikeloom as sl
from spikeloom._errors import EngineError, ModelDefinitionError, SimulationError, UnitError
from conftest import single_population


def test_bad_parameters_name_the_culprit():
    with pytest.raises(ModelDefinitionError, match="'tau' must be > 0"):
        sl.LIF(10, tau=-1.0)
    with pytest.raises(ModelDefinitionError, match="'V_th' must be finite"):
        sl.LIF(10, V_th=np.nan)
    with pytest.raises(ModelDefinitionError, match=r"unknown parameter\(s\) \['taum'\]"):
        sl.LIF(10, taum=5.0)
    with pytest.raises(ModelDefinitionError, match=r"shape \(10,\), got shape \(3,\)"):
        sl.LIF(10, V_rest=np.zeros(3))
    with pytest.raises(ModelDefinitionError, match="method 'rk9'"):
        sl.LIF(10, method="rk9")
    with pytest.raises(ModelDefinitionError, match="number of neurons n must be"):
        sl.LIF(0)


def test_units_are_checked():
    u = pytest.importorskip("brainunit")
    pop = sl.LIF(2, tau=20 * u.ms, V_th=-0.05 * u.volt)
    assert pop.params["tau"] == pytest.approx(20.0) and pop.params["V_th"] == pytest.approx(-50.0)
    with pytest.raises(UnitError, match="expects a quantity in ms"):
        sl.LIF(2, tau=20 * u.mV)


def test_unstable_dt_for_explicit_method():
    with pytest.raises(ModelDefinitionError, match="unstable for method 'euler'"):
        single_population(sl.LIF(3, tau=1.0, method="euler"), dt=2.5)
    single_population(sl.LIF(3, tau=1.0, method="exact"), dt=2.5)  # exact is unconditionally stable


def test_unknown_monitor_input_model_and_engine():
    with pytest.raises(ModelDefinitionError, match="has no variable 'U'"):
        single_population(sl.LIF(3), monitors=["P.U"])
    with pytest.raises(ModelDefinitionError, match="no population or projection named 'Q'"):
        single_population(sl.LIF(3), monitors=["Q.V"])
    with pytest.raises(ModelDefinitionError, match="input target 'X'"):
        single_population(sl.LIF(3), inputs={"X": 1.0})
    with pytest.raises(ModelDefinitionError, match=r"shape \(3,\)"):
        single_population(sl.LIF(3), inputs={"P": np.ones(4)}).run(1.0)
    with pytest.raises(EngineError, match="unknown engine"):
        single_population(sl.LIF(3), engine="gpu")
    from spikeloom.models.registry import get_model

    with pytest.raises(ModelDefinitionError, match="unknown model 'cobb'"):
        get_model("cobb")


def test_projection_errors():
    a, b = sl.LIF(3), sl.LIF(4)
    with pytest.raises(ModelDefinitionError, match="delay must be"):
        sl.Projection(a, b, sl.FixedProb(0.5), 1.0, delay=-1.0)
    with pytest.raises(ModelDefinitionError, match="not part of the network"):
        sl.Runner(sl.Network(a=a, p=sl.Projection(a, b, sl.FixedProb(0.5), 1.0)))
    net = sl.Network(a=a, b=b, p=sl.Projection(a, b, sl.FixedProb(0.5), np.ones(2)))
    with pytest.raises(ModelDefinitionError, match="weight array has shape"):
        sl.Runner(net)


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "threads"])
def test_nan_state_stops_the_run_naming_population_and_step(parallel):
    with pytest.raises(ModelDefinitionError, match="must be finite"):
        sl.Sections([(0.0, 1.0), (np.array([0, 0, np.inf, 0]), 1.0)])
    # a huge hyperpolarizing current drives HH's gating rates to overflow (inf - inf = NaN)
    net = sl.Network(P=sl.HH(2))
    runner = sl.Runner(net, inputs={"P": np.array([0.0, -1e35])}, dt=0.1, parallel=parallel)
    with pytest.raises(SimulationError, match=r"population 'P' became non-finite at step \d+ .* neuron 1"):
        runner.run(10.0)


def test_two_generator_spikes_of_one_neuron_in_one_step_are_refused():
    net = sl.Network(P=sl.LIF(2))
    net.G = sl.SpikeGeneratorGroup(2, times=[1.0, 1.02, 3.0], indices=[1, 1, 1])
    with pytest.raises(ModelDefinitionError, match=r"neuron 1 has spikes at 1 and 1.02 ms, both in step 9"):
        sl.Runner(net, dt=0.1)


def test_coba_volley_beyond_the_stability_limit_warns_and_one_synapse_beyond_it_is_refused():
    """A synchronous volley above the limit of the LIF step may never happen in a run: warned. One synapse above
    it destabilises the first spike: refused (both name the projection and a stable dt)."""
    def net(w):
        a, b = sl.LIF(20), sl.LIF(3)
        return sl.Network(a=a, b=b, P=sl.Projection(a, b, sl.AllToAll(), w, output=sl.COBA(E=0.0)))

    with pytest.warns(UserWarning, match=r"projection 'P' .* 2000 nS if all its inputs spike in one step"):
        sl.Runner(net(100.0), dt=0.1)
    with pytest.raises(ModelDefinitionError, match=r"projection 'P': one synapse of 500 nS .* use dt <= 0\.0"):
        sl.Runner(net(500.0), dt=0.1)
