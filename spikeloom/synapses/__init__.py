"""Synapse dynamics (exponential, dual-exponential, alpha, delta), outputs (current- or conductance-based) and
the receptors of neurons that integrate their synaptic currents themselves (``psc``).

A synapse model is linear: its state decays by an exact propagator each step and jumps on each spike, so
the states of all projections with the same post population and parameters are merged into one.
"""

from ._base import AbstractOutput as AbstractOutput
from ._base import AbstractSynapse as AbstractSynapse
from .alpha import Alpha as Alpha
from .delta import Delta as Delta
from .dual_exponential import DualExponential as DualExponential
from .exponential import Exponential as Exponential
from .outputs import COBA as COBA
from .outputs import CUBA as CUBA
from .alpha_euler import AlphaSynapse as AlphaSynapse
from .power_gpot import PowerGpotGpot as PowerGpotGpot
from .psc import ExcitatoryPSC as ExcitatoryPSC
from .psc import ExcitatoryRisingPSC as ExcitatoryRisingPSC
from .psc import InhibitoryPSC as InhibitoryPSC
from .psc import InhibitoryRisingPSC as InhibitoryRisingPSC
