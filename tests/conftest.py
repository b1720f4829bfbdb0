"""Shared test helpers. Tests compile small networks with the CPU engine; compiled loops are cached on disk."""

import numpy as np
import pytest

import spikeloom as sl


def single_population(pop, inputs=None, monitors=(), dt=0.1, seed=0, **kw):
    """A network of one population (named P), its runner, ready to run."""
    net = sl.Network(P=pop)
    return sl.Runner(net, dt=dt, seed=seed, monitors=monitors, inputs=inputs, **kw)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
