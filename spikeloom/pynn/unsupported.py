"""PyNN standard models that spikeloom.pynn does not provide: each raises PyNN's ``NotImplementedError`` (through
:class:`pyNN.standardmodels.ModelNotAvailable`) with the reason, when it is created."""

from __future__ import annotations

from pyNN.standardmodels import ModelNotAvailable

_NO_MODEL = "spikeloom has no such neuron model"
_COMPOSED = "composed point neurons (PointNeuron with post-synaptic response components) are not supported"
_MULTICOMPARTMENT = "spikeloom has point neurons only"
_SYNAPSE = "spikeloom has no such plasticity rule or synapse"

REASONS = {
    "IF_cond_exp_gsfa_grr": _NO_MODEL, "IF_facets_hardware1": _NO_MODEL, "GIF_cond_exp": _NO_MODEL,
    "SpikeSourceInhGamma": "inhomogeneous gamma sources are not supported",
    "LIF": _COMPOSED, "AdExp": _COMPOSED, "PointNeuron": _COMPOSED,
    "CurrExpPostSynapticResponse": _COMPOSED, "CondExpPostSynapticResponse": _COMPOSED,
    "CondAlphaPostSynapticResponse": _COMPOSED, "CondBetaPostSynapticResponse": _COMPOSED,
    "AlphaPSR": _COMPOSED,
    "MultiCompartmentNeuron": _MULTICOMPARTMENT, "NaChannel": _MULTICOMPARTMENT, "KdrChannel": _MULTICOMPARTMENT,
    "PassiveLeak": _MULTICOMPARTMENT, "PassiveLeakHH": _MULTICOMPARTMENT,
    "ElectricalSynapse": "gap junctions are not supported",
    "SimpleStochasticSynapse": _SYNAPSE, "StochasticTsodyksMarkramSynapse": _SYNAPSE,
    "MultiQuantalSynapse": _SYNAPSE, "Vogels2011Rule": _SYNAPSE,
    "AdditivePotentiationMultiplicativeDepression": _SYNAPSE, "GutigWeightDependence": _SYNAPSE,
}


def _unavailable(name: str, reason: str) -> type:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"{name} is not available in spikeloom.pynn: {reason}")

    return type(name, (ModelNotAvailable,), {"__init__": __init__, "__doc__": f"Not available: {reason}."})


UNAVAILABLE = {name: _unavailable(name, reason) for name, reason in REASONS.items()}
