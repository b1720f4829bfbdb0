"""Local processing units (Neurokernel's model): port selectors, interfaces, patterns, LPUs and the manager.

``selectors`` parses the path-like port language; ``interface`` and ``pattern`` hold ports and the
connections between LPUs; ``lpu`` is the base class; ``generic`` the LPU built from a GEXF graph
(``gexf``); ``hdf5`` its input/output files; ``manager`` compiles connected LPUs into one program;
``demo`` generates random generic LPUs for the intro demo. Nothing here imports an engine at import time.
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
from .pattern import Pattern as Pattern
from .selectors import count as count
from .selectors import expand as expand
from .selectors import is_ambiguous as is_ambiguous
from .selectors import select as select
