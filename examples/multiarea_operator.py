"""A user-written event-driven operator: the multi-area operator of BrainPy's taichi example, on both engines.

The operator receives the spikes of one cell type of all areas and, for each spike of a neuron of area h,
regenerates its targets in every area a (probability p per pair, geometric gaps between targets drawn from a counter-based
hash keyed by (seed, stream of area a, neuron, counter)) and adds the weight ``weights[h, a]`` to them. Nothing
per synapse is stored. It is plugged into a projection with ``sl.EventOperator(numba=..., jax=..., params=...)``
(see ``spikeloom/connectivity/operators.py``): ``multi_area_deliver`` loops over the spikes for the CPU engine,
``multi_area_deliver_jax`` draws the same gaps for a bounded number of spikes at once for the JAX engine and
adds the weights in the same order, so both engines give the same spikes.

The script runs four areas of 300 E + 75 I LIF neurons whose four pathways (E->E, E->I between and within
areas, I->E and I->I within areas, as in the seed) all use this one operator with different parameters, prints
the rate of each area, checks the operator against a dense matrix rebuilt from single-spike calls, and runs
the network on the JAX engine too (``--engine jax``: that engine only).
"""

import math
import os

import numba
import numpy as np

import spikeloom as sl
from spikeloom.core.random import make_random
from spikeloom.engines.jax.mathlib import make_xp
from spikeloom.engines.numba import mathlib

uniform, _ = make_random(mathlib)
uniform64, _ = make_random(make_xp(np.float64))  # the JAX version's numbers, in float64 as mathlib's


@numba.njit
def multi_area_deliver(spikes, target, step, seed, weights, sizes, log_q, streams, post_cells):
    """Spikes of every area -> cells of every area; ``weights[source area, target area]`` (mV, in the run's
    float type); ``sizes`` = (cells per area before, after); each area holds a contiguous block of its
    population. ``post_cells`` (shaped areas x cells after) tells the JAX version its output size."""
    n = sizes[1]
    for e in range(spikes.shape[0]):
        i = spikes[e]
        h = i // sizes[0]
        for a in range(weights.shape[1]):
            w = weights[h, a]
            if w == 0.0:
                continue
            t, c = 0, 0
            while True:
                t += math.floor(math.log(1.0 - uniform(seed, streams[a], i, c)) / log_q[0])
                c += 1
                if t >= n:
                    break
                target[a * n + t] += w
                t += 1


#: the JAX version handles this many spikes per step and this many gaps per (spike, area): mean + 8 s.d.
MAX_SPIKES = 64


def multi_area_deliver_jax(spikes, step, seed, weights, sizes, log_q, streams, post_cells):
    """The same operator for the JAX engine: ``spikes`` is a boolean array over the presynaptic population;
    returns the increment of the target (all zeros but the delivered weights). Its first ``MAX_SPIKES``
    spikes of the step, each drawing a fixed number of gaps per area; a step that needs more returns NaN,
    which the engine reports as a non-finite state instead of dropping spikes."""
    import jax.numpy as jnp
    from jax import lax

    areas, n = post_cells.shape
    width = min(n + 1, int(n * P + 8.0 * math.sqrt(n * P * (1.0 - P)) + 8))
    (i,) = jnp.nonzero(spikes, size=MAX_SPIKES, fill_value=spikes.shape[0])
    ok = i < spikes.shape[0]
    h = jnp.minimum(i, spikes.shape[0] - 1) // sizes[0]
    c = jnp.arange(width, dtype=jnp.uint32)
    u = uniform64(seed, streams[None, :, None].astype(jnp.uint32), i.astype(jnp.uint32)[:, None, None], c)
    gap = jnp.minimum(jnp.floor(jnp.log(1.0 - u) / log_q[0]), float(n))
    t = lax.associative_scan(jnp.add, gap + 1.0, axis=2) - 1.0  # targets: cumulative gaps (spike, area, c)
    w = weights[h].astype(post_cells.dtype)  # (spike, area)
    keep = ok[:, None, None] & (t < n) & (w != 0.0)[:, :, None]
    slot = jnp.where(keep, jnp.arange(areas)[None, :, None] * n + jnp.where(keep, t, 0.0).astype(jnp.int32),
                     areas * n)
    inc = jnp.zeros(areas * n, post_cells.dtype).at[slot.ravel()].add(
        jnp.broadcast_to(w[:, :, None], slot.shape).ravel(), mode="drop")  # in the CPU loop's order
    overflow = (jnp.sum(spikes) > MAX_SPIKES) | jnp.any(ok[:, None] & (w != 0.0) & (t[:, :, -1] < n))
    return jnp.where(overflow, jnp.nan, inc)


N_AREA, N_E, N_I, P = 4, 300, 75, 0.1


class MultiArea(sl.Network):
    def __init__(self, weights, dtype=np.float32):
        super().__init__()
        lif = dict(V_rest=-70.0, V_th=-50.0, V_reset=-60.0, tau_ref=2.0, noise_sigma=3.0 / np.sqrt(2.0),
                   init={"V": sl.Uniform(-70.0, -50.0)})
        self.E = sl.LIF(N_AREA * N_E, tau=20.0, **lif)  # area a owns E cells [a N_E, (a + 1) N_E)
        self.I = sl.LIF(N_AREA * N_I, tau=10.0, **lif)
        local = np.eye(N_AREA)
        to_e = dict(synapse=sl.Delta(tau_m=20.0), output=sl.CUBA())
        to_i = dict(synapse=sl.Delta(tau_m=10.0), output=sl.CUBA())
        self.E2E = sl.Projection(self.E, self.E, operator(weights, N_E, N_E, 1000, dtype), delay=2.0, **to_e)
        self.E2I = sl.Projection(self.E, self.I, operator(1.5 * weights, N_E, N_I, 2000, dtype), delay=2.0, **to_i)
        self.I2E = sl.Projection(self.I, self.E, operator(-0.0375 * local, N_I, N_E, 3000, dtype), delay=2.0, **to_e)
        self.I2I = sl.Projection(self.I, self.I, operator(-0.075 * local, N_I, N_I, 4000, dtype), delay=2.0, **to_i)


def operator_params(weights, n_pre, n_post, stream, dtype=np.float64):
    # weights in the run's float type: each addition then rounds once, the same on both engines
    return (weights.astype(dtype), np.array([n_pre, n_post]), np.array([math.log1p(-P)]),
            np.arange(N_AREA, dtype=np.int64) + stream, np.zeros((N_AREA, n_post), dtype))


def operator(weights, n_pre, n_post, stream, dtype):
    return sl.EventOperator(numba=multi_area_deliver, jax=multi_area_deliver_jax,
                            params=operator_params(weights, n_pre, n_post, stream, dtype),
                            n_synapses=P * N_AREA * n_pre * N_AREA * n_post)


def dense_reference(weights, seed):
    """The operator's matrix, one presynaptic neuron at a time (column sums of single-spike calls)."""
    n = N_AREA * N_E
    dense = np.zeros((n, n))
    for i in range(n):
        multi_area_deliver(np.array([i], np.int32), dense[i], 0, seed, *operator_params(weights, N_E, N_E, 1000))
    return dense


def simulate(engine: str, duration: float = 300.0, precision: str = "float32"):
    rng = np.random.default_rng(0)
    weights = np.where(np.eye(N_AREA) > 0, 0.03, rng.uniform(0.0, 0.02, (N_AREA, N_AREA)))
    runner = sl.Runner(MultiArea(weights, np.dtype(precision)), seed=4, monitors=["E.spike"], engine=engine,
                       precision=precision, inputs={"E": 14.2, "I": 14.7}, progress=False)
    return weights, runner.run(duration)


def main():
    rng = np.random.default_rng(0)
    weights, result = simulate("cpu")
    spikes = result.spikes["E"]
    for a in range(N_AREA):
        rate = np.sum(spikes.indices // N_E == a) / (N_E * 0.3)
        print(f"area {a}: E rate {rate:.2f} Hz")
    jax_spikes = simulate("jax")[1].spikes["E"]
    same = np.array_equal(spikes.times, jax_spikes.times) and np.array_equal(spikes.indices, jax_spikes.indices)
    print(f"JAX engine: {len(jax_spikes)} E spikes, identical to the CPU engine: {same}")
    assert same
    dense = dense_reference(weights, 4)
    frac = (dense != 0).mean()
    print(f"connected fraction {frac:.4f} (p = {P})")
    assert abs(frac - P) < 0.005
    # linearity: one call with many spikes equals the dense matrix times the spike vector
    some = np.unique(rng.integers(0, N_AREA * N_E, 200)).astype(np.int32)
    out = np.zeros(N_AREA * N_E)
    multi_area_deliver(some, out, 0, 4, *operator_params(weights, N_E, N_E, 1000))
    np.testing.assert_allclose(out, dense[some].sum(axis=0), rtol=1e-12)
    assert 0.2 < len(spikes) / (N_AREA * N_E * 0.3) < 20.0
    out_dir = os.environ.get("SPIKELOOM_EXAMPLE_OUT")
    if out_dir:
        sl.plot.summary_figure(result, os.path.join(out_dir, "multiarea_operator.png"), title="user operator")


if __name__ == "__main__":
    main()
