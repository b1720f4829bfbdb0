"""Procedural connectivity and user event operators on the JAX engine: the same spikes as the CPU engine.

Each connector kind (probability, fixed out-degree, fixed in-degree, with and without self-connections), weight
law (constant, uniform, normal) and delay law (fixed, per-synapse jitter) runs on both engines from the same
seed, and the spike trains must agree bit for bit; the in-degree kernel must regenerate the CPU engine's slots
of every neuron in its order (also past 32 bits of slots); buffers forced far too small (events, pairs,
candidate width) must be redone exactly; the multi-area operator example must give the same spikes on both
engines. Comparisons run in a fresh process (see ``test_jax_engine.py``: XLA:CPU's fused multiply-adds are
switched off at start).
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import spikeloom as sl
from conftest import compare_in_fresh_process

HERE = pathlib.Path(__file__).resolve()

CASES = {
    "prob_constant": (sl.ProceduralProb(0.1), 0.25, 0.0),
    "prob_uniform_jitter_noself": (sl.ProceduralProb(0.05, allow_self=False), sl.Uniform(0.1, 0.6), 0.5),
    "out_degree_normal_noself": (sl.ProceduralOutDegree(30, allow_self=False), sl.Normal(0.2, 0.1), 0.0),
    "in_degree_constant": (sl.ProceduralInDegree(30), 0.25, 0.0),
    "in_degree_normal_noself": (sl.ProceduralInDegree(30, allow_self=False), sl.Normal(0.2, 0.1), 0.0),
    "in_degree_uniform_jitter_noself": (sl.ProceduralInDegree(20, allow_self=False), sl.Uniform(0.1, 0.6), 0.5),
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


def _in_degree_kernel() -> dict:
    """The slots the JAX kernel regenerates for every presynaptic neuron of the in-degree projections, against
    the CPU engine's ``targets`` (same slots, same order, same targets), and the 64-bit Feistel walk (more than
    2**32 slots) against the CPU engine's ``permute``."""
    import jax.numpy as jnp

    from spikeloom.connectivity.procedural import CONN_IN_DEGREE, make_feistel, make_procedural
    from spikeloom.engines.jax.procedural import permute_slots
    from spikeloom.engines.numba import mathlib

    targets = make_procedural(mathlib)[0]
    report = {"synapses": 0, "same": True}
    for case in ("in_degree_constant", "in_degree_normal_noself"):
        r = sl.Runner(_net(*CASES[case]), dt=0.1, seed=5, engine="jax", progress=False)
        ops, plan = r.program.operators, r.plan
        for pi in ops.groups:
            op = plan.pgroups[pi].operator
            a = {k: jnp.asarray(v) for k, v in ops.static_args().items()}
            a["seed"] = jnp.uint32(plan.seed)
            for klass in ops.classes[pi]:
                for q in klass.blocks[op.blocks["kind"][klass.blocks] == CONN_IN_DEGREE]:
                    b = {f: v[q] for f, v in op.blocks.items()}
                    n_pre = plan.pop_index[op.pre_names[q]][2] - plan.pop_index[op.pre_names[q]][1]
                    post, slot, kept = (np.asarray(x) for x in ops._in_degree(
                        a, pi, klass, jnp.full(n_pre, q), jnp.arange(n_pre, dtype=jnp.int64)[:, None],
                        jnp.ones(n_pre, bool)))
                    scratch = np.zeros(op.max_row, np.int64)
                    for il in range(n_pre):
                        m = targets(plan.seed, b["stream"], il, b["kind"], b["value"], b["n_post"],
                                    il if b["noself"] else -1, op.cum, b["cum_lo"], np.zeros(0, np.int64), scratch)
                        report["same"] &= (np.array_equal(slot[il][kept[il]], scratch[:m].astype(np.uint32))
                                           and np.array_equal(post[il][kept[il]], scratch[:m] // int(b["value"])))
                    report["synapses"] += int(kept.sum())
    halves, _, permute = make_feistel(mathlib)
    m, stream = 2**33 + 12345, 0x80000004
    lo_bits, hi_bits = halves(m)
    pos = np.array([0, 1, 2, 77, 2**32 - 1, 2**32, 2**32 + 1, 5_000_000_000, m - 2, m - 1], np.uint64)
    wide = permute_slots(r.program.operators.feistel[True], jnp.uint32(5), jnp.uint32(stream), jnp.asarray(pos),
                         jnp.uint64(m), lo_bits, hi_bits, jnp.ones(pos.size, bool))
    report["wide"] = np.asarray(wide).tolist() == [int(permute(5, stream, p, m, lo_bits, hi_bits)) for p in pos]
    report["wide_beyond_32_bits"] = int(np.asarray(wide).max()) >= 2**32
    return report


def _compare_in_this_process() -> dict:
    report = {"in_degree_kernel": _in_degree_kernel()}
    for case in CASES:
        for precision in ("float32", "float64") if case == "prob_uniform_jitter_noself" else ("float32",):
            cpu, _ = _run(case, "cpu", precision)
            jax, _ = _run(case, "jax", precision)
            report[f"{case}_{precision}"] = [_same(c, j) for c, j in zip(cpu, jax)]
            report[f"{case}_{precision}_spikes"] = int(sum(len(s) for r in cpu for s in r.spikes.values()))
    for case in ("prob_uniform_jitter_noself", "in_degree_uniform_jitter_noself"):
        cpu, _ = _run(case, "cpu")
        jax, sizes = _run(case, "jax", tiny=True)
        report[f"tiny_{case}"] = [_same(c, j) for c, j in zip(cpu, jax)]
        report[f"tiny_grown_{case}"] = {f"{k[1]}{k[2]}": v > (8 if k[1] == "width" else 1)
                                        for k, v in sizes.items() if k[1] != "ring"}
    sys.path.insert(0, str(HERE.parents[1] / "examples"))
    from multiarea_operator import simulate

    cpu, jax = simulate("cpu", 200.0)[1], simulate("jax", 200.0)[1]
    report["operator"] = _same(cpu, jax)
    report["operator_spikes"] = len(cpu.spikes["E"])
    return report


@pytest.fixture(scope="module")
def comparison():
    return compare_in_fresh_process(HERE)


@pytest.mark.parametrize("case", [f"{c}_float32" for c in CASES] + ["prob_uniform_jitter_noself_float64"])
def test_procedural_spikes_identical_to_cpu_engine(comparison, case):
    assert comparison[f"{case}_spikes"] > 500  # an active network: a real test
    assert comparison[case] == [True, True]


def test_in_degree_kernel_regenerates_the_cpu_engines_slots_in_order(comparison):
    kernel = comparison["in_degree_kernel"]
    assert kernel["synapses"] == 2 * 300 * 30  # E->E of two networks: n_post x k slots each, none lost
    assert kernel["same"] is True
    assert kernel["wide"] is True and kernel["wide_beyond_32_bits"] is True


@pytest.mark.parametrize("case", ["prob_uniform_jitter_noself", "in_degree_uniform_jitter_noself"])
def test_too_small_buffers_are_redone_exactly(comparison, case):
    assert comparison[f"tiny_{case}"] == [True, True]
    grown = comparison[f"tiny_grown_{case}"]
    assert len(grown) == 5 and all(grown.values())  # all had to grow


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
