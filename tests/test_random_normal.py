"""The counter-based normal sampler (core/random.py): a correct N(0, 1), its pairs bit for bit equal to the
numbers of single indices, the same numbers on both engines, and the noise buffer of the generated loop."""

import functools
import math

import numba
import numpy as np
import pytest
from scipy import stats

from spikeloom.core.random import make_normal_pair, make_random
from spikeloom.engines.numba import mathlib

N = 1 << 20


@functools.cache
def _filler(dtype):
    _, normal = make_random(mathlib.namespace(dtype))

    @numba.njit
    def fill(out, seed, stream, step):
        for j in range(out.shape[0]):
            out[j] = normal(seed, stream, step, j)

    return fill


def _draws(dtype, seed, stream=0, step=3, n=N):
    out = np.empty(n, dtype)
    _filler(dtype)(out, seed, stream, step)
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", [0, 7])
def test_moments_and_ks_against_scipy(dtype, seed):
    z = _draws(dtype, seed).astype(np.float64)
    se = 1.0 / math.sqrt(N)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1.0) < 5 * math.sqrt(2.0) * se
    assert abs(stats.skew(z)) < 5 * math.sqrt(6.0) * se
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24.0) * se
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # the even and odd members of the pairs are each N(0, 1), and uncorrelated
    assert stats.kstest(z[0::2], "norm").pvalue > 1e-3 and stats.kstest(z[1::2], "norm").pvalue > 1e-3
    assert abs(np.corrcoef(z[0::2], z[1::2])[0, 1]) < 5 * math.sqrt(2.0) * se


def test_tails_beyond_five_sd():
    """Counts beyond 3, 4 and 5 sd match 2 (1 - Phi(x)) within 5 binomial sd (16 M draws)."""
    z = np.concatenate([_draws("float32", s, n=1 << 22) for s in range(4)]).astype(np.float64)
    for x in (3.0, 4.0, 5.0):
        p = 2.0 * stats.norm.sf(x)
        k = np.count_nonzero(np.abs(z) > x)
        assert abs(k - z.size * p) < 5 * math.sqrt(z.size * p) + 1, (x, k, z.size * p)
    # the largest value a 24-bit uniform allows: sqrt(-2 log 2**-24)
    assert np.abs(z).max() <= math.sqrt(48.0 * math.log(2.0)) + 1e-5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pairs_equal_single_draws(dtype):
    xp = mathlib.namespace(dtype)
    _, normal = make_random(xp)
    pair = make_normal_pair(xp)

    @numba.njit
    def both(n):
        single, paired = np.empty(2 * n), np.empty(2 * n)
        for k in range(n):
            single[2 * k], single[2 * k + 1] = normal(11, 4, 9, 2 * k), normal(11, 4, 9, 2 * k + 1)
            paired[2 * k], paired[2 * k + 1] = pair(11, 4, 9, k)
        return single, paired

    single, paired = both(5000)
    assert np.array_equal(single, paired)


def test_fill_normal_of_the_generated_loop_at_any_offset():
    """The noise buffer of the Numba engine (drawn by pairs) equals the single draws for odd and even starts
    and lengths."""
    from spikeloom.engines.numba import codegen

    xp = mathlib.namespace("float32")
    _, normal = make_random(xp)
    ns = {"numba": numba, "np": np, "xp": xp, "make_normal_pair": make_normal_pair, "_normal": normal}
    exec(codegen.FILL_NORMAL, ns)
    ref = _draws("float32", 5, stream=2, step=17, n=100)
    for first in (0, 1, 2, 7):
        for n in (0, 1, 2, 5, 60):
            out = np.full(n, np.nan, np.float32)
            ns["_fill_normal"](out, 5, 2, 17, first)
            assert np.array_equal(out, ref[first:first + n])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_numbers_on_the_jax_engine(dtype):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from spikeloom.engines.jax.program import elementary_xp

    _, normal = make_random(elementary_xp(np.dtype(dtype)))
    index = jnp.arange(4096, dtype=jnp.uint32)
    got = np.asarray(jax.jit(lambda i: normal(jnp.uint32(3), 0, jnp.uint32(3), i))(index))
    assert np.array_equal(got, _draws(dtype, 3, n=4096))
