"""Bundled models by name: what ``spikeloom run <name>`` simulates, with its inputs and monitors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .._errors import ModelDefinitionError


@dataclass(frozen=True)
class BundledModel:
    """A network factory ``build(n_total, fan_in) -> Network`` plus its standard inputs and a description."""

    build: Callable
    inputs: dict
    description: str
    n_default: int = 4000


def _coba(n_total, fan_in):
    from .coba import COBA

    n_exc = int(round(0.8 * n_total))
    return COBA(n_exc, n_total - n_exc, p=min(1.0, fan_in / n_total))


def _cobahh(n_total, fan_in):
    from .cobahh import COBAHH

    n_exc = int(round(0.8 * n_total))
    return COBAHH(n_exc, n_total - n_exc, p=min(1.0, fan_in / n_total))


MODELS: dict[str, BundledModel] = {
    "coba": BundledModel(_coba, {"E": 20.0, "I": 20.0},
                         "COBA E/I network: 3200 + 800 LIF neurons, exponential conductance synapses (Brette 2007)"),
    "cobahh": BundledModel(_cobahh, {},
                           "COBAHH: 3200 + 800 Hodgkin-Huxley neurons, exponential conductance synapses (Brette 2007)"),
}


def get_model(name: str) -> BundledModel:
    if name not in MODELS:
        raise ModelDefinitionError(f"unknown model {name!r}; bundled models: {sorted(MODELS)}")
    return MODELS[name]
