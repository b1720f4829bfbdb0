"""Files spikeloom writes: atomic replacement and early checks of output folders."""

from .atomic import atomic_path as atomic_path
from .atomic import writable_folder as writable_folder
