"""Composition: projections (pre, post, connectivity, weight, synapse, output, delay), the network container
that discovers its children by attribute name, and the build step that turns a network into an
engine-neutral plan (one index space per neuron model, merged synapse states, CSR per delay)."""

from .network import Network as Network
from .projection import Projection as Projection
