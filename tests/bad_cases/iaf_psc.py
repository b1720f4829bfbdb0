"""Bad descriptions of exactly integrated LIF neurons with current synapses (``IafPscExp``, ``IafPscAlpha``,
``IafPscDualExp``) and of projections onto their receptors."""

from __future__ import annotations

import brainunit as u
import numpy as np

import spikeloom as sl
from bad_cases import ApiCase
from spikeloom import ModelDefinitionError as MDE
from spikeloom._errors import UnitError
from spikeloom.network.build import build_plan
from spikeloom.synapses.psc import ExcitatoryPSC

NAN = float("nan")


def _onto(post, synapse, conn=None, weight=10.0):
    """Build a network where one spike source projects onto ``post`` through ``synapse``."""
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(2, times=[1.0], indices=[0])
    net.post = post
    net.P = sl.Projection(net.src, net.post, conn or sl.AllToAll(), weight, synapse=synapse)
    build_plan(net, 0.1, 0)


CASES: list[ApiCase] = []
_MODELS = ((sl.IafPscExp, "tau_syn_ex", "tau_syn_in"), (sl.IafPscAlpha, "tau_syn_ex", "tau_syn_in"),
           (sl.IafPscDualExp, "tau_rise_ex", "tau_decay_in"))  # model, an excitatory and an inhibitory tau
for _m, _tau_ex, _tau_in in _MODELS:
    _n = _m.__name__
    CASES += [
        ApiCase(f"{_n}-reset-at-threshold", lambda m=_m: m(3, V_reset=-55.0), MDE,
                rf"{_n}\(3\): V_reset must be below V_th, got V_reset = -55 mV, V_th = -55 mV"),
        ApiCase(f"{_n}-reset-above-threshold-one-neuron",
                lambda m=_m: m(3, V_reset=np.array([-70.0, -70.0, -40.0])), MDE,
                rf"{_n}\(3\): V_reset must be below V_th.*at neuron 2"),
        ApiCase(f"{_n}-zero-capacitance", lambda m=_m: m(2, C_m=0.0), MDE, r"parameter 'C_m' must be .*> 0"),
        ApiCase(f"{_n}-negative-tau-m", lambda m=_m: m(2, tau_m=-10.0), MDE, r"parameter 'tau_m' must be .*> 0"),
        ApiCase(f"{_n}-zero-{_tau_ex}", lambda m=_m, k=_tau_ex: m(2, **{k: 0.0}), MDE,
                rf"parameter '{_tau_ex}' must be .*> 0"),
        ApiCase(f"{_n}-nan-{_tau_in}", lambda m=_m, k=_tau_in: m(2, **{k: NAN}), MDE,
                rf"parameter '{_tau_in}' must be"),
        ApiCase(f"{_n}-negative-t-ref", lambda m=_m: m(2, t_ref=-1.0), MDE, r"parameter 't_ref' must be .*>= 0"),
        ApiCase(f"{_n}-infinite-I-e", lambda m=_m: m(2, I_e=float("inf")), MDE, r"parameter 'I_e' must be finite"),
        ApiCase(f"{_n}-I-e-in-mV", lambda m=_m: m(2, I_e=5.0 * u.mV), UnitError, r"I_e.* pA"),
        ApiCase(f"{_n}-C-m-wrong-shape", lambda m=_m: m(2, C_m=[250.0, 250.0, 250.0]), MDE,
                r"parameter 'C_m' must be a scalar or have shape \(2,\)"),
        ApiCase(f"{_n}-LIF-parameter-name", lambda m=_m: m(2, tau=10.0), MDE,
                r"unknown parameter\(s\) \['tau'\].*'tau_m'"),
        ApiCase(f"{_n}-euler-method", lambda m=_m: m(2, method="euler"), MDE,
                r"method 'euler' is not available for this model; choose one of \['exact'\]"),
        ApiCase(f"{_n}-unknown-init", lambda m=_m: m(2, init={"V": -60.0}), MDE,
                r"unknown state variable\(s\) \['V'\] in init.*'V_m'"),
        ApiCase(f"{_n}-string-init", lambda m=_m: m(2, init={"V_m": "rest"}), MDE, r"init\['V_m'\]"),
        ApiCase(f"{_n}-excitatory-onto-LIF", lambda m=_m: _onto(sl.LIF(2), m.excitatory()), MDE,
                rf"projection 'P': {_m.excitatory_synapse.__name__} delivers into the post-synaptic variable "
                rf"'{_m.excitatory_synapse.spike_target}', which LIF does not have"),
        ApiCase(f"{_n}-weight-in-nS", lambda m=_m: _onto(m(2), m.excitatory(), weight=1.0 * u.nS), UnitError,
                r"weight.*pA"),
        ApiCase(f"{_n}-procedural-onto-receptor",
                lambda m=_m: _onto(m(2), m.inhibitory(), conn=sl.ProceduralProb(0.5), weight=-5.0), MDE,
                r"projection 'P': .* delivers into the post-synaptic neurons and needs stored connectivity"),
    ]
CASES += [
    ApiCase("dual-has-no-tau-syn", lambda: sl.IafPscDualExp(2, tau_syn_ex=2.0), MDE,
            r"IafPscDualExp\(2\): unknown parameter\(s\) \['tau_syn_ex'\].*'tau_decay_ex'.*'tau_rise_ex'"),
    ApiCase("dual-rise-array-negative", lambda: sl.IafPscDualExp(3, tau_rise_in=np.array([0.5, -0.5, 0.5])), MDE,
            r"parameter 'tau_rise_in' must be > 0 ms, got -0.5 at flat index 1"),
    ApiCase("alpha-receptor-onto-exp", lambda: _onto(sl.IafPscExp(2), sl.IafPscAlpha.excitatory()), MDE,
            r"ExcitatoryRisingPSC delivers into the post-synaptic variable 'dI_ex', which IafPscExp does not have"),
    ApiCase("psc-synapse-takes-no-parameters", lambda: ExcitatoryPSC(tau=2.0), MDE,
            r"ExcitatoryPSC: unknown parameter\(s\) \['tau'\]"),
]
