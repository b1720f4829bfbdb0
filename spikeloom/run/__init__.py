"""Running: the Runner (build once, compile once, chunked runs that continue), results and their HDF5 form."""

from .result import Result as Result
from .result import SpikeTrains as SpikeTrains
from .runner import Runner as Runner
