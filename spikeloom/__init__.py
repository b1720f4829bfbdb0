"""spikeloom: composable spiking network models compiled into one fast program per network."""

from ._errors import EngineError as EngineError
from ._errors import ModelDefinitionError as ModelDefinitionError
from ._errors import ResourceError as ResourceError
from ._errors import SimulationError as SimulationError
from ._errors import SpikeloomError as SpikeloomError
from ._errors import UnknownKeyError as UnknownKeyError
from .connectivity import AllToAll as AllToAll
from .connectivity import EventOperator as EventOperator
from .connectivity import FixedInDegree as FixedInDegree
from .connectivity import FixedOutDegree as FixedOutDegree
from .connectivity import FixedProb as FixedProb
from .connectivity import FromList as FromList
from .connectivity import FromSparse as FromSparse
from .connectivity import OneToOne as OneToOne
from .connectivity import ProceduralInDegree as ProceduralInDegree
from .connectivity import ProceduralOutDegree as ProceduralOutDegree
from .connectivity import ProceduralProb as ProceduralProb
from .connectivity import materialize as materialize
from .core.initializers import Constant as Constant
from .core.initializers import Normal as Normal
from .core.initializers import Uniform as Uniform
from .inputs import Sections as Sections
from .inputs import TimedArray as TimedArray
from . import plot as plot
from .network import Network as Network
from .network import Projection as Projection
from .neurons import HH as HH
from .neurons import LIF as LIF
from .neurons import AdEx as AdEx
from .neurons import Izhikevich as Izhikevich
from .neurons import PoissonGroup as PoissonGroup
from .neurons import SpikeGeneratorGroup as SpikeGeneratorGroup
from .run import Result as Result
from .run import Runner as Runner
from .synapses import COBA as COBA
from .synapses import CUBA as CUBA
from .synapses import Alpha as Alpha
from .synapses import Delta as Delta
from .synapses import DualExponential as DualExponential
from .synapses import Exponential as Exponential

__version__ = "0.1.0"
