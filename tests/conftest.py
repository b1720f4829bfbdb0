"""Shared test helpers. Tests compile small networks with the CPU engine; compiled loops are cached on disk."""

import json
import os
import subprocess
import sys

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


def compare_in_fresh_process(test_file, timeout: float = 900) -> dict:
    """Run ``test_file compare`` in a new Python process and return the JSON of its last line. Comparisons of
    the JAX and CPU engines run there: XLA:CPU's fused multiply-adds can only be switched off before JAX
    starts its backend (see ``spikeloom/engines/jax/__init__.py``), which this process may already have done."""
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, str(test_file), "compare"], capture_output=True, text=True, env=env,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])
