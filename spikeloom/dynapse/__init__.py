"""DYNAP-SE emulation: the DPI neuron and its four synapse types (written once over ``xp``), chips of 4 cores
x 256 neurons with allocation, fan-in limits, per-core biases, named parameter sets and mismatch, and the
seed's single-neuron protocol. Nothing here is generic; it builds on neurons/, synapses/, network/ and run/.
"""

from .chip import DPIStabilityError as DPIStabilityError
from .chip import ChipRecording as ChipRecording
from .chip import DynapSE as DynapSE
from .chip import Neurons as Neurons
from .dpi import DPINeuron as DPINeuron
from .parameters import PARAMETER_SETS as PARAMETER_SETS
from .parameters import Mismatch as Mismatch
from .parameters import register_parameter_set as register_parameter_set
from .synapses import AMPA as AMPA
from .synapses import GABA_A as GABA_A
from .synapses import GABA_B as GABA_B
from .synapses import NMDA as NMDA
