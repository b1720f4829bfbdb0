"""The CPU engine: a network's whole time loop as one generated Numba function, cached on disk by structure."""

from .engine import NumbaProgram as NumbaProgram
