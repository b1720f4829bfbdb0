"""External inputs: currents (constant, arrays over time, piecewise-constant sections). Spike inputs are
populations: see :class:`~spikeloom.neurons.PoissonGroup` and :class:`~spikeloom.neurons.SpikeGeneratorGroup`."""

from .currents import Sections as Sections
from .currents import TimedArray as TimedArray
