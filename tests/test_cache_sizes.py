"""One compile-cache entry per network structure, whatever its sizes and values.

The generated loop may depend only on the plan's structure (docs/architecture.md, "Engine"): two networks
that differ only in population sizes, connection probabilities, weights, delays, ``dt``, seeds, inputs or the
length of a monitor's index subset must generate the same source, hence share one cached module and one
compiled specialization, and the second one must load it instead of compiling. A structural change (another
neuron model) must give another entry.

Run as a script (``python test_cache_sizes.py NAME:N ...``) it builds the named networks in a fresh process,
runs one step of each (``NAME:N:build`` only builds) and prints one JSON line: per network, the compile time,
Numba's cache hits and misses of its loop, and the fingerprint of spikeloom's source that the cache key covers.
"""

import json
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

import spikeloom as sl
from spikeloom.engines.numba.engine import package_fingerprint
from spikeloom.models.coba import COBA


@numba.njit
def add_scaled(spikes, target, step, seed, w):
    """A user operator for the tests: each spike of neuron i adds ``w[0]`` to target ``i mod len(target)``."""
    for e in range(spikes.shape[0]):
        target[spikes[e] % target.shape[0]] += w[0]


def coba(n: int, v: int = 1) -> sl.Runner:
    """The bundled COBA network with ``n`` neurons; ``v`` changes every value but none of the structure."""
    net = COBA(n_exc=4 * n // 5, n_inh=n // 5, p=0.02 * v, w_e=0.6 * v)
    monitors = ["E.spike", "I.spike", ("E.V", np.arange(n // 100)), ("E2E.g", np.arange(0, n // 2, 7), 2 * v)]
    inputs = {"E": 20.0 * v, "I": sl.TimedArray(np.array([20.0, 10.0] * v), step_ms=1.0 * v)}
    return sl.Runner(net, dt=0.1 * v, seed=v, monitors=monitors, inputs=inputs)


def izhikevich(n: int, v: int = 1) -> sl.Runner:
    """COBA's structure with another neuron model."""
    e, i = sl.Izhikevich(4 * n // 5), sl.Izhikevich(n // 5)
    exc = dict(synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0))
    inh = dict(synapse=sl.Exponential(tau=10.0), output=sl.COBA(E=-80.0))
    net = sl.Network(E=e, I=i, E2E=sl.Projection(e, e, sl.FixedProb(0.02), 0.6 * v, **exc),
                     E2I=sl.Projection(e, i, sl.FixedProb(0.02), 0.6 * v, **exc),
                     I2E=sl.Projection(i, e, sl.FixedProb(0.02), 6.7, **inh),
                     I2I=sl.Projection(i, i, sl.FixedProb(0.02), 6.7, **inh))
    return sl.Runner(net, monitors=["E.spike", ("E.v", np.arange(n // 100))], inputs={"E": 10.0 * v})


def _generator(n: int, v: int) -> sl.SpikeGeneratorGroup:
    return sl.SpikeGeneratorGroup(n, times=0.1 * v * (1 + np.arange(n)), indices=np.arange(n))


def operators(n: int, v: int = 1) -> sl.Runner:
    """Spike generators into procedural connectivity and a user operator, spike and state monitor subsets."""
    gen, a = _generator(n, v), sl.LIF(2 * n, tau=10.0 * v, V_th=-50.0)
    hold = dict(synapse=sl.Exponential(tau=5.0 * v), output=sl.CUBA())
    net = sl.Network(gen=gen, a=a, P=sl.Projection(gen, a, sl.ProceduralProb(0.1 / v), 1.0 * v, delay=v, **hold),
                     U=sl.Projection(a, a, sl.EventOperator(numba=add_scaled, params=[np.array([0.2 * v])]), **hold))
    return sl.Runner(net, seed=v, monitors=["gen.spike", "a.spike", ("a.V", np.arange(0, n, 25))])


def procedural(n: int, v: int = 1) -> sl.Runner:
    """Every procedural connector, delay jitter, stored connectivity with per-synapse weights, a user operator
    and populations sharing a group, with sizes that are not multiples of each other."""
    gen, a, b = _generator(n, v), sl.LIF(2 * n, tau=10.0 * v, V_th=-50.0), sl.LIF(n + 7, tau=10.0 * v, V_th=-50.0)
    hold = dict(synapse=sl.Exponential(tau=5.0 * v), output=sl.CUBA())
    net = sl.Network(
        gen=gen, a=a, b=b,
        P1=sl.Projection(gen, a, sl.ProceduralProb(0.1 * v), 1.0 * v, **hold),
        P2=sl.Projection(a, b, sl.ProceduralOutDegree(5 * v), sl.Normal(1.0, 0.1 * v), delay=1.0 * v,
                         delay_std=0.3 * v, **hold),
        P3=sl.Projection(b, a, sl.ProceduralInDegree(4 * v), 0.5, delay=0.5 * v, **hold),
        U=sl.Projection(a, a, sl.EventOperator(numba=add_scaled, params=[np.array([0.2 * v])]), **hold),
        S=sl.Projection(gen, b, sl.FixedProb(0.1 * v), sl.Normal(1.0, 0.1), delay=2.0 * v, **hold))
    return sl.Runner(net, seed=v, monitors=["gen.spike", "b.spike", ("a.V", np.arange(n // 50)), ("P2.g", [0, v])])


BUILDERS = {"coba": coba, "izhikevich": izhikevich, "operators": operators, "procedural": procedural}


def _sizes(runner: sl.Runner) -> tuple:
    """The sizes that differ between the two networks of a pair (so that the comparison is not vacuous)."""
    return runner.plan.n_neurons, tuple(idx.size for _, _, idx, _, _ in runner.state_monitors)


def test_sizes_and_values_generate_the_same_source(monkeypatch, tmp_path):
    monkeypatch.setenv("SPIKELOOM_CACHE_DIR", str(tmp_path))
    for build, (n1, n2) in ((coba, (400, 800)), (procedural, (100, 300)), (operators, (100, 350))):
        small, large = build(n1, 1), build(n2, 2)
        assert _sizes(small) != _sizes(large)
        assert small.program.source == large.program.source, build.__name__
        assert small.program.module is large.program.module  # one module, so one compiled loop


def test_another_neuron_model_generates_another_source(monkeypatch, tmp_path):
    monkeypatch.setenv("SPIKELOOM_CACHE_DIR", str(tmp_path))
    lif, izh = coba(400), izhikevich(400)
    assert lif.program.source != izh.program.source
    assert lif.program.module.__name__ != izh.program.module.__name__


def _fresh_process(cache, *networks: str) -> list[dict]:
    proc = subprocess.run([sys.executable, __file__, *networks], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, SPIKELOOM_CACHE_DIR=str(cache)))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _entries(cache) -> dict[str, int]:
    folder = cache / "numba"
    return {"sources": len(list(folder.glob("spikeloom_gen_*.py"))),
            "indexes": len(list(folder.glob("__pycache__/spikeloom_gen_*.nbi"))),
            "machine code": len(list(folder.glob("__pycache__/spikeloom_gen_*.nbc")))}


@pytest.mark.parametrize("name, small, large", [("coba", 400, 800), ("operators", 100, 350)])
def test_a_second_size_loads_the_cached_loop(tmp_path, name, small, large):
    cache = tmp_path / "cache"
    (cold,) = _fresh_process(cache, f"{name}:{small}")
    (warm,) = _fresh_process(cache, f"{name}:{large}")
    if cold["package"] != warm["package"]:
        pytest.skip("spikeloom's source changed between the two processes, so their cache keys differ")
    # one source, one index and one compiled specialization: the new sizes compiled nothing
    assert _entries(cache) == {"sources": 1, "indexes": 1, "machine code": 1}
    assert (cold["misses"], cold["hits"]) == (1, 0), cold
    assert (warm["misses"], warm["hits"]) == (0, 1), warm
    assert warm["compile_s"] < 0.5 * cold["compile_s"], (cold, warm)
    _fresh_process(cache, "izhikevich:400:build")
    assert _entries(cache)["sources"] == 2


def main(specs: list[str]) -> None:
    out = []
    for spec in specs:
        name, n, *mode = spec.split(":")
        runner = BUILDERS[name](int(n))
        if mode == ["build"]:
            continue
        runner.run(runner.dt)
        stats = runner.program.module.run_steps.stats
        out.append({"network": spec, "compile_s": runner.compile_s, "hits": sum(stats.cache_hits.values()),
                    "misses": sum(stats.cache_misses.values()), "package": package_fingerprint()})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
