"""Plasticity of stored projections: per-synapse state changed by presynaptic and postsynaptic spikes
(``Projection(..., plasticity=rule)``). Rules are written once against ``xp`` (see :mod:`._base`)."""

from ._base import PlasticityRule as PlasticityRule
from .histogram import Histogram as Histogram
from .stdp import STDP as STDP
from .stp import TsodyksMarkram as TsodyksMarkram
from .triplet import TripletSTDP as TripletSTDP
