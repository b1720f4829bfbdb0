"""Neuron models, one file each (equations, units and defaults in each class docstring), and spike sources."""

from ._base import AbstractNeuron as AbstractNeuron
from .adex import AdEx as AdEx
from .hh import HH as HH
from .izhikevich import Izhikevich as Izhikevich
from .lif import LIF as LIF
from .sources import PoissonGroup as PoissonGroup
from .sources import SpikeGeneratorGroup as SpikeGeneratorGroup
from .morris_lecar import MorrisLecar as MorrisLecar
