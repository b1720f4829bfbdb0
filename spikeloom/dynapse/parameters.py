"""Named parameter sets ("biases") for DYNAP-SE cores, and device mismatch.

A parameter set maps :class:`~spikeloom.dynapse.dpi.DPINeuron` parameter names to values in canonical units
(pA, pF, mV, ms); names it leaves out keep the reference defaults (the spec's table, from the Brian2 DYNAP-SE
simulator). On the chip the biases are shared by the 256 neurons of a core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
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
    """Add (or replace) a named parameter set; its names are checked against the model's parameters."""
    check_parameter_names(values, f"parameter set {name!r}")
    PARAMETER_SETS[name] = {k: float(v) for k, v in values.items()}


def check_parameter_names(values: dict, owner: str) -> None:
    unknown = sorted(set(values) - set(DPINeuron.parameters))
    if unknown:
        raise ModelDefinitionError(f"{owner}: unknown DPI parameter(s) {unknown}; known: {sorted(DPINeuron.parameters)}")


def resolve_parameter_set(params: str | dict) -> dict[str, float]:
    """All parameters of a core: a set's name, or a dict of overrides of the defaults."""
    if isinstance(params, str):
        if params not in PARAMETER_SETS:
            raise ModelDefinitionError(f"unknown parameter set {params!r}; known: {sorted(PARAMETER_SETS)}")
        params = PARAMETER_SETS[params]
    if not isinstance(params, dict):
        raise ModelDefinitionError(f"parameters must be a set name or a dict, got {type(params).__name__}")
    check_parameter_names(params, "parameters")
    values = {k: p.default for k, p in DPINeuron.parameters.items()}
    values.update({k: float(v) for k, v in params.items()})
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
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ModelDefinitionError(f"Mismatch.{name} must be a finite number >= 0, got {value!r}")

    def neuron_factors(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {k: np.exp(self.neuron * rng.standard_normal(n)) for k in MISMATCHED}

    def synapse_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.exp(self.synapse * rng.standard_normal(n))
