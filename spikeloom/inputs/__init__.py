"""External inputs: currents (constant, arrays over time, piecewise-constant sections) and Poisson input per
target neuron (``PoissonInput``, ``PoissonGenerator``: counts drawn per step, no source neurons). Spike
sources that are populations: see :class:`~spikeloom.neurons.PoissonGroup` and
:class:`~spikeloom.neurons.SpikeGeneratorGroup`."""

from .currents import Sections as Sections
from .currents import TimedArray as TimedArray
from .poisson import PoissonGenerator as PoissonGenerator
from .poisson import PoissonInput as PoissonInput
