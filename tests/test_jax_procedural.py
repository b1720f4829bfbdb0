"""Procedural connectivity and user event operators on the JAX engine: the same spikes as the CPU engine.

Each connector kind (probability, fixed out-degree, with and without self-connections), weight law (constant,
uniform, normal) and delay law (fixed, per-synapse jitter) runs on both engines from the same seed, and the
spike trains must agree bit for bit; buffers forced far too small (events, pairs, candidate width) must be
redone exactly; the multi-area operator example must give the same spikes on both engines. Comparisons run
in a fresh process (see ``test_jax_engine.py``: XLA:CPU's fused multiply-adds are switched off at start).
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import spikeloom as sl

HERE = pathlib.Path(__file__).resolve()

CASES = {
    "prob_constant": (sl.ProceduralProb(0.1), 0.25, 0.0),
    "prob_uniform_jitter_noself": (sl.ProceduralProb(0.05, allow_self=False), sl.Uniform(0.1, 0.6), 0.5),
    "out_degree_normal_noself": (sl.ProceduralOutDegree(30, allow_self=False), sl.Normal(0.2, 0.1), 0.0),
}


def _net(conn, weight, delay_std):
    """E and I LIF cells with noise; E->E takes the connector under test; the other pathways are procedural
    too (E->I into another slot range, I->E into the same one as E->E, so classes mix kinds)."""
    net = sl.Network()
    lif = dict(V_rest=-70.0, V_th=-50.0, V_reset=-60.0, tau_ref=2.0, noise_sigma=2.0,
               init={"V": sl.Uniform(-70.0, -50.0)})
    net.E = sl.LIF(300, tau=20.0, **lif)
    net.I = sl.LIF(75, tau=10.0, **lif)
    to_e, to_i = dict(synapse=sl.Delta(tau_m=20.0), output=sl.CUBA()), dict(synapse=sl.Delta(tau_m=10.0),
                                                                               output=sl.CUBA())
    net.EE = sl.Projection(net.E, net.E, conn, weight, delay=1.5, delay_std=delay_std, **to_e)
    net.EI = sl.Projection(net.E, net.I, sl.ProceduralProb(0.1), 0.3, delay=2.0, **to_i)
    net.IE = sl.Projection(net.I, net.E, sl.ProceduralProb(0.2), -0.4, delay=1.0, **to_e)
    return net


def _run(case, engine, precision="float32", tiny=False):
    r = sl.Runner(_net(*CASES[case]), dt=0.1, seed=5, engine=engine, precision=precision, progress=False,
                  monitors=["E.spike", "I.spike"], inputs={"E": 21.0, "I": 19.0},
                  event_capacity=2 if tiny else None)
    sizes = r.program.operators.sizes if tiny else {}
    for key in [k for k in sizes if k[1] != "ring"]:
        sizes[key] = 8 if key[1] == "width" else 1
    first = r.run(100.0)
    second = r.run(50.0)  # continues: spikes in flight in the rings
    return (first, second), dict(sizes)


def _same(a, b) -> bool:
    return all(np.array_equal(a.spikes[p].times, b.spikes[p].times)
               and np.array_equal(a.spikes[p].indices, b.spikes[p].indices) for p in a.spikes)


def _compare_in_this_process() -> dict:
    report = {}
    for case in CASES:
        for precision in ("float32", "float64") if case == "prob_uniform_jitter_noself" else ("float32",):
            cpu, _ = _run(case, "cpu", precision)
            jax, _ = _run(case, "jax", precision)
            report[f"{case}_{precision}"] = [_same(c, j) for c, j in zip(cpu, jax)]
            report[f"{case}_{precision}_spikes"] = int(sum(len(s) for r in cpu for s in r.spikes.values()))
    cpu, _ = _run("prob_uniform_jitter_noself", "cpu")
    jax, sizes = _run("prob_uniform_jitter_noself", "jax", tiny=True)
    report["tiny"] = [_same(c, j) for c, j in zip(cpu, jax)]
    report["tiny_grown"] = {f"{k[1]}{k[2]}": v > (8 if k[1] == "width" else 1) for k, v in sizes.items() if k[1] != "ring"}
    sys.path.insert(0, str(HERE.parents[1] / "examples"))
    from multiarea_operator import simulate

    cpu, jax = simulate("cpu", 200.0)[1], simulate("jax", 200.0)[1]
    report["operator"] = _same(cpu, jax)
    report["operator_spikes"] = len(cpu.spikes["E"])
    return report


@pytest.fixture(scope="module")
def comparison():
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, str(HERE), "compare"], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", [f"{c}_float32" for c in CASES] + ["prob_uniform_jitter_noself_float64"])
def test_procedural_spikes_identical_to_cpu_engine(comparison, case):
    assert comparison[f"{case}_spikes"] > 500  # an active network: a real test
    assert comparison[case] == [True, True]


def test_too_small_buffers_are_redone_exactly(comparison):
    assert comparison["tiny"] == [True, True]
    assert len(comparison["tiny_grown"]) == 5 and all(comparison["tiny_grown"].values())  # all had to grow


def test_user_operator_example_identical_on_both_engines(comparison):
    assert comparison["operator_spikes"] > 100
    assert comparison["operator"] is True


def test_unknown_kinds_and_missing_functions_are_refused():
    net = _net(*CASES["prob_constant"])
    plan_runner = sl.Runner(net, engine="cpu")
    plan = plan_runner.plan
    plan.pgroups[0].operator.blocks["kind"][0] = 7  # a connector kind this engine has no kernel for
    from spikeloom.engines.jax import JaxProgram
    from spikeloom.engines.jax.program import JaxLayout

    with pytest.raises(sl.EngineError, match=r"kind \[7\] has no JAX kernel"):
        JaxProgram(plan, JaxLayout())
    sys.path.insert(0, str(HERE.parents[1] / "examples"))
    try:
        from multiarea_operator import multi_area_deliver, operator_params
    finally:
        sys.path.pop(0)
    e = sl.LIF(1200)
    cpu_only = sl.Network(E=e, P=sl.Projection(e, e, sl.EventOperator(
        numba=multi_area_deliver, params=operator_params(np.eye(4), 300, 300, 0)), synapse=sl.Delta(), output=sl.CUBA()))
    with pytest.raises(sl.EngineError, match="no jax function"):
        sl.Runner(cpu_only, engine="jax")


if __name__ == "__main__" and sys.argv[1:] == ["compare"]:
    print(json.dumps(_compare_in_this_process()))
