"""Engine errors: unknown engines and devices, options of the wrong engine, procedural synapses with a surrogate,
and states that become non-finite (the same rule and message on both engines)."""

import numpy as np

import spikeloom as sl
from spikeloom.engines.jax import surrogate

from . import ApiCase


def _lif():
    return sl.Network(P=sl.LIF(3))


def _runner(engine="cpu", **kw):
    return lambda: sl.Runner(_lif(), engine=engine, progress=False, **kw)


def _blow_up(make, current, engine, precision):
    """A one-population run driven by ``current`` at neuron 1 (of 3), which must stop with SimulationError."""
    def call():
        r = sl.Runner(sl.Network(P=make()), engine=engine, precision=precision, progress=False,
                      inputs={"P": np.array([0.0, current, current])})
        r.run(20.0)

    return call


def _procedural_with_surrogate():
    e = sl.LIF(20)
    net = sl.Network(E=e, P=sl.Projection(e, e, sl.ProceduralProb(0.1), 0.5, synapse=sl.Delta(), output=sl.CUBA()))
    sl.Runner(net, engine="jax", surrogate=surrogate("sigmoid"), progress=False)


CASES = [
    ApiCase("engine_unknown", _runner("gpu"), sl.EngineError, r"unknown engine 'gpu'.*'cpu', 'jax'"),
    ApiCase("engine_numba_name", _runner("numba"), sl.EngineError, r"unknown engine 'numba'"),
    ApiCase("engine_upper_case", _runner("JAX"), sl.EngineError, r"unknown engine 'JAX'"),
    ApiCase("device_on_cpu_engine", _runner("cpu", device="cpu"), sl.EngineError, r"engine='jax' only"),
    ApiCase("event_capacity_on_cpu_engine", _runner("cpu", event_capacity=8), sl.EngineError, r"engine='jax' only"),
    ApiCase("surrogate_on_cpu_engine", _runner("cpu", surrogate=surrogate("sigmoid")), sl.EngineError,
            r"engine='jax' only"),
    ApiCase("device_unknown", _runner("jax", device="tpu"), sl.EngineError, r"device must be 'cpu' or 'gpu'.*'tpu'"),
    ApiCase("surrogate_unknown", lambda: surrogate("step"), sl.ModelDefinitionError, r"unknown surrogate.*'step'"),
    ApiCase("procedural_with_surrogate", _procedural_with_surrogate, sl.EngineError,
            r"procedural connectivity.*surrogate"),
]

#: blow-ups: both engines stop at the same step and name population P, neuron 1 and the variable
_BLOW_UPS = [("hh_minus_1e35", lambda: sl.HH(3), -1e35), ("hh_plus_1e35", lambda: sl.HH(3), 1e35)]
CASES += [ApiCase(f"nonfinite_{name}_{engine}_{precision}", _blow_up(make, current, engine, precision),
                  sl.SimulationError, r"population 'P' became non-finite at step \d+ .*neuron 1, variable")
          for name, make, current in _BLOW_UPS for engine in ("cpu", "jax") for precision in ("float32", "float64")]
