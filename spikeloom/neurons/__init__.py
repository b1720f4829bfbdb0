"""Neuron models, one file each (equations, units and defaults in each class docstring), and spike sources."""

from ._base import AbstractNeuron as AbstractNeuron
from .adex import AdEx as AdEx
from .hh import HH as HH
from .iaf_psc import IafPscAlpha as IafPscAlpha
from .iaf_psc import IafPscDualExp as IafPscDualExp
from .iaf_psc import IafPscExp as IafPscExp
from .izhikevich import Izhikevich as Izhikevich
from .lif import LIF as LIF
from .sources import PoissonGroup as PoissonGroup
from .sources import SpikeGeneratorGroup as SpikeGeneratorGroup
from .morris_lecar import MorrisLecar as MorrisLecar
