"""Connectivity: generators (fixed probability, fixed in/out-degree, fixed total number, one-to-one, all-to-all,
explicit lists, scipy.sparse) that build compact CSR matrices (32-bit column indices) from a seeded random generator;
procedural connectors regenerated at every spike; user-written event operators."""

from .csr import CSR as CSR
from .generators import AllToAll as AllToAll
from .generators import Connector as Connector
from .generators import FixedInDegree as FixedInDegree
from .generators import FixedOutDegree as FixedOutDegree
from .generators import FixedProb as FixedProb
from .generators import FixedTotalNumber as FixedTotalNumber
from .generators import FromList as FromList
from .generators import FromSparse as FromSparse
from .generators import OneToOne as OneToOne
from .operators import EventOperator as EventOperator
from .procedural import ProceduralInDegree as ProceduralInDegree
from .procedural import ProceduralOutDegree as ProceduralOutDegree
from .procedural import ProceduralProb as ProceduralProb
