"""Local processing units (Neurokernel's model): port selectors, interfaces, patterns, LPUs and the manager.

``selectors`` parses the path-like port language; ``interface`` and ``pattern`` hold ports and the
connections between LPUs; ``lpu`` is the base class (a network with ports); ``models`` the node models of
Neurokernel's generic LPU; ``generic`` the LPU built from a GEXF graph (``gexf``); ``hdf5`` its input/output
files; ``manager`` composes connected LPUs into one network run by the Runner on either engine; ``demo``
generates random generic LPUs for the intro demo. Nothing here imports an engine.
"""

from .generic import GenericLPU as GenericLPU
from .gexf import GraphError as GraphError
from .gexf import graph_to_dicts as graph_to_dicts
from .gexf import graph_to_frames as graph_to_frames
from .gexf import read_gexf as read_gexf
from .interface import Interface as Interface
from .lpu import LPU as LPU
from .lpu import PortMapper as PortMapper
from .manager import Manager as Manager
from .models import Copy as Copy
from .models import LeakyIAF as LeakyIAF
from .models import PortRelay as PortRelay
from .pattern import Pattern as Pattern
from .selectors import count as count
from .selectors import expand as expand
from .selectors import is_ambiguous as is_ambiguous
from .selectors import select as select
