"""State access between runs: runner.get / runner.set (and runner[...]) round trip on both engines, a set
value is what the next run starts from, and bad keys or values are refused naming the culprit."""

import numpy as np
import pytest

import spikeloom as sl
from spikeloom.models.coba import COBA


def runner(engine="cpu", **kw):
    return sl.Runner(COBA(80, 20, p=0.1), seed=1, engine=engine, **kw)


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_get_set_round_trip(engine):
    if engine == "jax":
        pytest.importorskip("jax")
    r = runner(engine)
    v = np.linspace(-70.0, -55.0, 80)
    r.set("E.V", v)
    assert np.array_equal(r.get("E.V"), v.astype(np.float32))
    r["I.V"] = -60.0
    assert np.array_equal(r["I.V"], np.full(20, -60.0, np.float32))
    g = r.get("E2I.g")
    assert g.shape == (20,)
    r.set("E2I.g", np.arange(20.0))
    assert np.array_equal(r.get("E2I.g"), np.arange(20.0, dtype=np.float32))
    got = r.get("E.V")
    got[:] = 0.0  # a copy: the runner's state is not changed through it
    assert np.array_equal(r.get("E.V"), v.astype(np.float32))


@pytest.mark.parametrize("engine", ["cpu", "jax"])
def test_the_next_run_starts_from_the_set_state(engine):
    """Neurons set above threshold (-50 mV) spike in the first step, the others (at rest, no input) never."""
    if engine == "jax":
        pytest.importorskip("jax")
    r = runner(engine, monitors=["E.spike"])
    r.set("E.V", -60.0)
    r.set("I.V", -60.0)
    high = np.zeros(80, bool)
    high[[3, 17, 42]] = True
    r.set("E.V", np.where(high, -40.0, -60.0))
    res = r.run(1.0)
    assert res.spikes["E"].indices.tolist() == [3, 17, 42]
    assert np.allclose(res.spikes["E"].times, 0.1)


def test_bad_keys_and_values_are_refused():
    r = runner()
    with pytest.raises(sl.UnknownKeyError, match="no population or projection named 'X'"):
        r.get("X.V")
    with pytest.raises(sl.UnknownKeyError, match="population 'E' has no variable 'W'"):
        r.set("E.W", 0.0)
    with pytest.raises(sl.UnknownKeyError, match="projection 'E2I' has no variable 'h'"):
        r.get("E2I.h")
    with pytest.raises(sl.ModelDefinitionError, match=r"one number or 80 values .* got shape \(3,\)"):
        r.set("E.V", [1.0, 2.0, 3.0])
    with pytest.raises(sl.ModelDefinitionError, match="values"):
        r.set("E.V", np.nan)
    assert np.all(np.isfinite(r.get("E.V")))


def test_connections_read_back_weights_and_delays():
    r = runner()
    weight, delay = r.connections("E2I")
    assert weight.shape == (80, 20) and weight.nnz == delay.nnz > 0
    assert np.allclose(weight.data, weight.data[0]) and weight.data[0] > 0


def test_state_arrays_start_on_page_boundaries_and_stay_the_plans_own():
    # the CPU engine moves neuron and synapse state onto page boundaries (vector loads then never straddle
    # cache lines); the plan and the runner must still hold one and the same array, which set() writes into
    r = sl.Runner(COBA(1600, 400, p=0.02), seed=1)
    plan, a = r.plan, r.arrays
    for gi, g in enumerate(plan.groups):
        for k, v in g.state.items():
            assert a[f"g{gi}_{k}"] is v
            assert v.nbytes < 4096 or v.ctypes.data % 4096 == 0, k
        for k in ("Isyn", "Iext", "spk"):  # arrays under a page are left where NumPy put them
            v = a[f"g{gi}_{k}"]
            assert v.nbytes < 4096 or v.ctypes.data % 4096 == 0, k
    for pi, pg in enumerate(plan.pgroups):
        for k, v in pg.state.items():
            assert a[f"pg{pi}_{k}"] is v and v.ctypes.data % 4096 == 0, k
    r["E.V"] = -60.0
    assert np.all(plan.groups[0].state["V"][:1600] == -60.0)
    r.run(1.0)
    assert np.array_equal(r.get("E.V"), plan.groups[0].state["V"][:1600])
