"""Named parameter sets ("biases") for DYNAP-SE cores, and device mismatch.

A parameter set maps :class:`~spikeloom.dynapse.dpi.DPINeuron` parameter names to values in canonical units
(pA, pF, mV, ms); names it leaves out keep the reference defaults (the spec's table, from the Brian2 DYNAP-SE
simulator). On the chip the biases are shared by the 256 neurons of a core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from .dpi import DPINeuron

#: name -> overrides of the defaults
PARAMETER_SETS: dict[str, dict[str, float]] = {
    "default": {},
    # the pure DPI soma, without spike-frequency adaptation
    "no_adaptation": {"Isoma_ahp_w": 0.0},
}

#: parameters varied by device mismatch: the bias currents that set time constants, weights and thresholds
MISMATCHED = ("Isoma_dpi_tau", "Isoma_ahp_tau", "Isoma_ahp_w", "Isoma_th", "Isoma_pfb_gain", "Isoma_pfb_th",
              "Inmda_tau", "Iampa_tau", "Igaba_a_tau", "Igaba_b_tau", "Inmda_w0", "Iampa_w0", "Igaba_a_w0",
              "Igaba_b_w0")


def register_parameter_set(name: str, values: dict) -> None:
    """Add (or replace) a named parameter set; its names and values are checked against the model's parameters."""
    if not isinstance(name, str) or not name:
        raise ModelDefinitionError(f"register_parameter_set: name must be a non-empty str, got {name!r}")
    PARAMETER_SETS[name] = check_parameters(values, f"parameter set {name!r}")


def check_parameter_names(values: dict, owner: str) -> None:
    if not isinstance(values, dict):
        raise ModelDefinitionError(f"{owner}: parameters are given as a dict name -> value, got "
                                   f"{type(values).__name__}")
    unknown = sorted(str(k) for k in set(values) - set(DPINeuron.parameters))
    if unknown:
        raise ModelDefinitionError(f"{owner}: unknown DPI parameter(s) {unknown}; known: "
                                   f"{sorted(DPINeuron.parameters)}")


def check_parameters(values: dict, owner: str) -> dict[str, float]:
    """``values`` as canonical floats, each a known DPI parameter within its bound (currents and capacitances
    > 0 or >= 0 as the model says, never NaN); quantities are converted to the parameter's unit."""
    check_parameter_names(values, owner)
    out = {}
    for k, v in values.items():
        spec = DPINeuron.parameters[k]
        low = {"any": None}.get(spec.bound, 0.0)
        out[k] = validate.real(v, k, owner=owner, unit=spec.unit, low=low, low_open=spec.bound == "positive")
    return out


def resolve_parameter_set(params: str | dict) -> dict[str, float]:
    """All parameters of a core: a set's name, or a dict of overrides of the defaults."""
    if isinstance(params, str):
        if params not in PARAMETER_SETS:
            raise ModelDefinitionError(f"unknown parameter set {params!r}; known: {sorted(PARAMETER_SETS)}")
        params = PARAMETER_SETS[params]
    if not isinstance(params, dict):
        raise ModelDefinitionError(f"parameters must be a set name or a dict, got {type(params).__name__}")
    values = {k: p.default for k, p in DPINeuron.parameters.items()}
    values.update(check_parameters(params, "parameters"))
    return values


@dataclass(frozen=True)
class Mismatch:
    """Device mismatch: every neuron's bias currents in :data:`MISMATCHED` and every connection's weight
    current are multiplied by ``exp(sigma * z)``, ``z ~ N(0, 1)`` drawn from the emulator's seed.

    Subthreshold currents depend exponentially on the transistors' threshold voltages, whose mismatch is
    Gaussian, hence a log-normal factor; ``sigma`` is about its relative standard deviation (0.1 = 10 %,
    the spread DynapSEtorch draws for its weight currents).
    """

    neuron: float = 0.1
    synapse: float = 0.1

    def __post_init__(self):
        for name in ("neuron", "synapse"):
            # sigma > 3 would scale currents by e^(3 z): factors of 1e-4 to 1e4, no longer a device's mismatch
            validate.real(getattr(self, name), name, owner="Mismatch", low=0.0, high=3.0)

    def neuron_factors(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {k: np.exp(self.neuron * rng.standard_normal(n)) for k in MISMATCHED}

    def synapse_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.exp(self.synapse * rng.standard_normal(n))
