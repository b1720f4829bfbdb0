"""Bad Poisson inputs (``PoissonInput``, ``PoissonGenerator``): each names the input and the argument."""

from __future__ import annotations

import brainunit as u

import spikeloom as sl
from bad_cases import ApiCase
from spikeloom import ModelDefinitionError as MDE
from spikeloom._errors import UnitError
from spikeloom.network.build import build_plan

NAN = float("nan")


def _lif():
    return sl.LIF(4)


def _build(make_input, dt=0.1):
    """Build a network of one LIF population ``L`` and the input ``make_input(L)`` named ``bg``."""
    net = sl.Network(L=_lif())
    net.bg = make_input(net.L)
    build_plan(net, dt, 0)


CASES: list[ApiCase] = [
    ApiCase("negative-rate", lambda: sl.PoissonInput(_lif(), 10, -5.0, 1.0), MDE,
            r"PoissonInput\(-> LIF\(4\)\): rate must be finite and >= 0 Hz, got -5"),
    ApiCase("nan-rate", lambda: sl.PoissonGenerator(_lif(), NAN, 1.0), MDE,
            r"PoissonGenerator\(-> LIF\(4\)\): rate must be finite"),
    ApiCase("rate-not-a-frequency", lambda: sl.PoissonInput(_lif(), 10, 5 * u.mV, 1.0), UnitError,
            r"PoissonInput\(-> LIF\(4\)\): rate' expects a quantity in Hz"),
    ApiCase("rate-a-string", lambda: sl.PoissonGenerator(_lif(), "8 Hz", 1.0), MDE,
            r"PoissonGenerator\(-> LIF\(4\)\): rate must be a number, got str"),
    ApiCase("non-integer-n-sources", lambda: sl.PoissonInput(_lif(), 2.5, 8.0, 1.0), MDE,
            r"PoissonInput\(-> LIF\(4\)\): n_sources must be a whole number, got float 2.5"),
    ApiCase("zero-n-sources", lambda: sl.PoissonInput(_lif(), 0, 8.0, 1.0), MDE,
            r"PoissonInput\(-> LIF\(4\)\): n_sources must be an integer >= 1, got 0"),
    ApiCase("target-not-a-population", lambda: sl.PoissonInput([1, 2], 10, 8.0, 1.0), MDE,
            r"PoissonInput: target must be a neuron population .*got list"),
    ApiCase("target-a-spike-source", lambda: sl.PoissonGenerator(sl.PoissonGroup(3, rate=5.0), 8.0, 1.0), MDE,
            r"PoissonGenerator: target PoissonGroup\(3\) is a spike source"),
    ApiCase("negative-conductance", lambda: sl.PoissonInput(_lif(), 10, 8.0, -1.0), MDE,
            r"PoissonInput\(-> LIF\(4\)\): weight gives a negative conductance"),
    ApiCase("weight-not-a-current", lambda: sl.PoissonInput(_lif(), 10, 8.0, 1 * u.nS, output=sl.CUBA()), UnitError,
            r"PoissonInput\(-> LIF\(4\)\): weight' expects a quantity in pA"),
    ApiCase("negative-delay", lambda: sl.PoissonGenerator(_lif(), 8.0, 1.0, delay=-1.0), MDE,
            r"PoissonGenerator\(-> LIF\(4\)\): delay must be finite and >= 0 ms, got -1"),
    ApiCase("synapse-not-a-model", lambda: sl.PoissonGenerator(_lif(), 8.0, 1.0, synapse="exp"), MDE,
            r"PoissonGenerator\(-> LIF\(4\)\): synapse must be a synapse model .*got str"),
    ApiCase("output-not-a-model", lambda: sl.PoissonGenerator(_lif(), 8.0, 1.0, output=sl.Exponential()), MDE,
            r"PoissonGenerator\(-> LIF\(4\)\): output must be CUBA\(\) or COBA\(...\), got Exponential"),
    ApiCase("receptor-the-target-lacks", lambda: sl.PoissonGenerator(_lif(), 8.0, 1.0,
                                                                     synapse=sl.IafPscExp.excitatory()), MDE,
            r"PoissonGenerator\(-> LIF\(4\)\): ExcitatoryPSC adds to the neuron variable 'I_ex', which LIF does not"),
    ApiCase("name-not-a-string", lambda: sl.PoissonGenerator(_lif(), 8.0, 1.0, name=3), MDE,
            r"PoissonGenerator: name must be a string, got int"),
    ApiCase("delay-off-grid", lambda: _build(lambda L: sl.PoissonGenerator(L, 8.0, 1.0, delay=0.25)), MDE,
            r"PoissonGenerator 'bg': delay 0.25 ms is not a multiple of dt = 0.1 ms"),
    ApiCase("mean-too-large", lambda: _build(lambda L: sl.PoissonInput(L, 10**6, 1e8, 1.0)), MDE,
            r"PoissonInput 'bg': n_sources \* rate \* dt = 1e\+10 spikes per step"),
]
