"""Counter-based random numbers, written once against an engine's math namespace ``xp``.

A value is a pure function of ``(seed, stream, step, index)``: no generator state is carried through the
time loop, so results do not depend on chunking, threading or the engine that draws them. The mixer is
MurmurHash3's 32-bit finalizer (Appleby, public domain) applied in a chain; every intermediate value is
reduced modulo 2**32 with ``xp.mask`` (engines differ in the width of their unsigned arithmetic).

Uniform numbers are ``(h >> 8) * 2**-24``: 24 random bits, exact in float32, in [0, 1).
"""

from __future__ import annotations

import math


#: the golden-ratio increment of the chain (Weyl sequence), 2**32 / phi
GOLDEN = 0x9E3779B9


def make_mixer(xp):
    """Return ``fmix(h)``: MurmurHash3's 32-bit finalizer, a bijection of [0, 2**32) with full avalanche."""
    c1 = xp.u(0x85EBCA6B)
    c2 = xp.u(0xC2B2AE35)
    s16 = xp.u(16)
    s13 = xp.u(13)

    @xp.inline
    def fmix(h):
        h = h ^ (h >> s16)
        h = xp.mask(h * c1)
        h = h ^ (h >> s13)
        h = xp.mask(h * c2)
        return h ^ (h >> s16)

    return fmix


def make_hash(xp):
    """Return ``bits(seed, stream, step, index)``: 32 random bits (an unsigned integer below 2**32)."""
    fmix = make_mixer(xp)
    golden = xp.u(GOLDEN)

    @xp.inline
    def bits(seed, stream, step, index):
        h = fmix(xp.mask(xp.u(seed) * golden + xp.u(stream)))
        h = fmix(h ^ xp.mask(xp.u(step)))
        return fmix(xp.mask(h + xp.u(index) * golden))

    return bits


def make_random(xp):
    """Return ``(uniform, normal)``: ``uniform(seed, stream, step, index)`` in [0, 1), ``normal(...)`` ~ N(0, 1).

    Normals come in pairs by Box-Muller (Box & Muller 1958): indices ``2k`` and ``2k + 1`` share the uniforms
    ``u1`` (index ``2k``) and ``u2`` (index ``2k + 1``), ``R = sqrt(-2 log(1 - u1))``, ``theta = 2 pi u2``, and
    are ``R cos(theta)`` and ``R cos(theta - pi/2) = R sin(theta)``: two independent N(0, 1) numbers for one
    logarithm. ``1 - u1`` lies in [2**-24, 1], so ``|z| <= sqrt(48 ln 2) = 5.77``: the tail beyond 5 sd
    (probability 5.7e-7) is drawn. See :func:`make_normal_pair` for both numbers of a pair at once.
    """
    uniform, normal, _ = _make_random(xp)
    return uniform, normal


def make_normal_pair(xp):
    """Return ``normal_pair(seed, stream, step, k)``: the normals of indices ``2k`` and ``2k + 1`` of
    :func:`make_random`, bit for bit, for one logarithm (a loop over pairs fills a noise buffer)."""
    return _make_random(xp)[2]


def _make_random(xp):
    bits = make_hash(xp)
    # the engine's engine-neutral log and cos, inlined where the namespace offers that (Numba: a loop of draws
    # then has no call left and vectorizes)
    fast = getattr(xp, "inlined", xp)
    log, cos = fast.log, fast.cos
    s8 = xp.u(8)
    one = xp.u(1)
    two = xp.u(2)
    scale = 1.0 / 16777216.0
    two_pi = 2.0 * math.pi
    quarter_turn = 0.5 * math.pi

    @xp.inline
    def uniform(seed, stream, step, index):
        return xp.to_float(bits(seed, stream, step, index) >> s8) * scale

    @xp.inline
    def polar(seed, stream, step, pair):
        u1 = uniform(seed, stream, step, xp.u(pair) * two)
        u2 = uniform(seed, stream, step, xp.u(pair) * two + one)
        return xp.sqrt(-2.0 * log(1.0 - u1)), two_pi * u2

    @xp.inline
    def normal(seed, stream, step, index):
        radius, theta = polar(seed, stream, step, xp.u(index) >> one)
        # theta - 0 is theta exactly, so the even member equals normal_pair's first number
        return radius * cos(theta - quarter_turn * xp.to_float(xp.u(index) & one))

    @xp.inline
    def normal_pair(seed, stream, step, pair):
        radius, theta = polar(seed, stream, step, pair)
        return radius * cos(theta), radius * cos(theta - quarter_turn)

    return uniform, normal, normal_pair



def make_uniform52(xp):
    """Return ``uniform52(key, step, index, c)``: uniform ``c`` of the draw keyed by ``key = bits(seed, stream,
    step, index)`` (:func:`make_hash`), 52 random bits from the two words ``fmix(key + (2c + 1) G)`` and
    ``fmix(key + (2c + 2) G)`` (``G`` the golden-ratio increment: one mixing round per word, as the key already
    carries the whole chain; ``step`` and ``index`` are kept in the signature for the callers):
    ``(m + 1/2) 2**-52`` lies in (0, 1), exact in float64 (a float64 namespace ``xp``)."""
    fmix = make_mixer(xp)
    golden = xp.u(GOLDEN)
    s6 = xp.u(6)
    two = xp.u(2)
    one = xp.u(1)

    @xp.inline
    def uniform52(key, step, index, c):
        w0 = fmix(xp.mask(key + (xp.u(c) * two + one) * golden))
        w1 = fmix(xp.mask(key + (xp.u(c) * two + two) * golden))
        return (xp.to_float(w0 >> s6) * 67108864.0 + xp.to_float(w1 >> s6) + 0.5) * 2.220446049250313e-16

    return uniform52


#: largest gap a geometric draw returns (a source that never spikes, p = 0, waits this many steps)
GEOMETRIC_MAX = float(2 ** 62)


#: ``log(1 - p)`` is kept at or above this (p = 1 then still gives a gap of 1) and, inverted, at or below -1e-300
GEOMETRIC_LOG_FLOOR = -690.0


def geometric_log(p):
    """``log(1 - p)`` of success probabilities ``p`` in [0, 1] (numpy, float64, on the host), the parameter of
    :func:`make_geometric`, floored at :data:`GEOMETRIC_LOG_FLOOR` so that it fits every float type."""
    import numpy as np

    with np.errstate(divide="ignore"):
        return np.maximum(np.log1p(-np.clip(np.asarray(p, np.float64), 0.0, 1.0)), GEOMETRIC_LOG_FLOOR)


def make_geometric(xp):
    r"""Return ``gap(seed, stream, step, index, log_q)``: the number of Bernoulli(``p``) trials up to and
    including the first success, counted from trial ``step`` on (a float64 integer >= 1), written once against
    a float64 namespace ``xp``; ``log_q = log(1 - p)`` (:func:`geometric_log`).

    With ``u = uniform52(bits(seed, stream, step, index), ...)`` in (0, 1) (:func:`make_uniform52`),
    :math:`G = 1 + \lfloor \log u / \log(1 - p) \rfloor`: :math:`P(G > k) = P(\log u < k \log(1 - p)) =
    (1 - p)^k`, the geometric law of the first success of independent trials, to the 52-bit resolution of
    ``u``. ``p = 1`` gives 1 (``log_q`` = -690, below ``log u >= -36.1``), ``p = 0`` (``log_q = 0``)
    :data:`GEOMETRIC_MAX`. The logarithm is the engine-neutral ``xp.log`` and ``log_q`` is inverted, then
    multiplied (XLA rewrites a division by a shared value into such a product, so both engines take the
    product), hence both engines draw the same gaps."""
    bits = make_hash(xp)
    uniform52 = make_uniform52(xp)

    @xp.inline
    def gap(seed, stream, step, index, log_q):
        u = uniform52(bits(seed, stream, step, index), step, index, 0)
        # log_q <= -1e-300 keeps p = 0 away from a division by zero: the product then exceeds the cap
        inv = 1.0 / xp.minimum(log_q, -1e-300)
        return 1.0 + xp.ffloor(xp.minimum(xp.log(u) * inv, GEOMETRIC_MAX))

    return gap


#: below this mean a Poisson count is drawn by inversion (a table of its distribution), from it on by PTRS
POISSON_INVERSION_MAX_MEAN = 10.0


def make_poisson(xp):
    """Counter-based Poisson counts, written once against a float64 namespace ``xp``.

    A count is keyed by ``(seed, stream, step, index)``: ``key = bits(seed, stream, step, index)``, and the
    draw's ``c``-th uniform is ``uniform52(key, step, index, c)`` (:func:`make_uniform52`), in (0, 1) with 52
    random bits.

    - Mean below :data:`POISSON_INVERSION_MAX_MEAN`: inversion on uniform 0 against the distribution function
      ``F_0 .. F_K`` of the mean (:func:`poisson_table`, computed once on the host): ``v = u F_K`` and
      ``k = #{t : F_t < v}``.
    - From it on: PTRS, transformed rejection with squeeze (Hörmann W. (1993) The transformed rejection method
      for generating Poisson random variables. Insurance: Mathematics and Economics 12:39-45), attempt ``j``
      on uniforms ``2j`` and ``2j + 1`` (``ptrs_candidate``, ``ptrs_accept``; constants from
      :func:`ptrs_constants`); ``log k!`` by Stirling's series shifted by ten (``log_factorial``, truncation
      error below 2e-16).

    ``inversion_fill`` (a whole population) and ``ptrs_count`` (one count) are the Numba engine's; the JAX
    engine runs ``key``, ``uniform52`` and the PTRS pieces, which are loop-free, on whole arrays with its own
    loops. All use only IEEE operations, ``floor`` (``xp.ffloor``, a float) and ``xp.log``
    (the engine-neutral logarithm), so both engines draw the same counts.
    """
    from types import SimpleNamespace

    bits = make_hash(xp)
    uniform52 = make_uniform52(xp)
    half_log_2pi = 0.5 * math.log(2.0 * math.pi)
    # Stirling's series of log Gamma(z): 1/(12 z) - 1/(360 z^3) + 1/(1260 z^5) - 1/(1680 z^7) + 1/(1188 z^9)
    # - 691/(360360 z^11); for z >= 11 the next term is below 2e-16
    c1, c3, c5, c7, c9, c11 = 1.0 / 12.0, -1.0 / 360.0, 1.0 / 1260.0, -1.0 / 1680.0, 1.0 / 1188.0, -691.0 / 360360.0

    @xp.inline
    def log_factorial(k):
        """log(k!) for an integer-valued float k >= 0: Stirling at z = k + 11, minus log((k + 1) ... (k + 10))."""
        x = k + 1.0
        z = x + 10.0
        prod = x * (x + 1.0) * (x + 2.0) * (x + 3.0) * (x + 4.0) * (x + 5.0) * (x + 6.0) * (x + 7.0) * (x + 8.0) \
            * (x + 9.0)
        r = 1.0 / z
        r2 = r * r
        series = r * (c1 + r2 * (c3 + r2 * (c5 + r2 * (c7 + r2 * (c9 + r2 * c11)))))
        return (z - 0.5) * xp.log(z) - z + half_log_2pi + series - xp.log(prod)

    @xp.inline
    def ptrs_candidate(key, step, index, j, mean, a, b, vr):
        """Attempt ``j`` of PTRS: ``(k, us, v, quick, admissible)``; ``k`` is accepted at once if ``quick``,
        never unless ``admissible``, else if ``ptrs_accept``."""
        big_u = uniform52(key, step, index, 2 * j) - 0.5
        v = uniform52(key, step, index, 2 * j + 1)
        us = 0.5 - xp.maximum(big_u, -big_u)
        k = xp.ffloor((2.0 * a / us + b) * big_u + mean + 0.43)
        return k, us, v, (us >= 0.07) & (v <= vr), (k >= 0.0) & ((us >= 0.013) | (v <= us))

    @xp.inline
    def ptrs_accept(k, us, v, mean, log_mean, a, b, inv_alpha):
        """The acceptance test of an admissible candidate: ``log(v inv_alpha / (a / us**2 + b)) <= log p(k)``."""
        return xp.log(v * inv_alpha / (a / (us * us) + b)) <= k * log_mean - mean - log_factorial(xp.maximum(k, 0.0))

    kernel = getattr(xp, "kernel", xp.inline)

    @kernel
    def inversion_fill(counts, scratch, seed, stream, step, cdf):
        """The counts (floats) of indices ``0 .. len(counts) - 1`` by inversion against the table ``cdf``
        (Numba): per block of ``len(scratch)`` draws, the uniforms fill ``scratch``, then each pass over the
        block adds ``v > F_t`` for one ``t``, until no draw of the block exceeds ``F_t`` (a count of ``k`` needs
        ``k + 1`` passes). Block and table stay in the first-level cache, every loop vectorizes."""
        n, block = counts.shape[0], scratch.shape[0]
        top = cdf[cdf.shape[0] - 1]
        for lo in range(0, n, block):
            m = min(n - lo, block)
            v, k = scratch[:m], counts[lo:lo + m]
            for j in range(m):
                v[j] = uniform52(bits(seed, stream, step, lo + j), step, lo + j, 0) * top
                k[j] = 0.0
            for t in range(cdf.shape[0]):
                f, hit = cdf[t], 0
                for j in range(m):
                    above = v[j] > f
                    k[j] += xp.to_float(above)
                    hit |= above
                if not hit:
                    break

    @xp.inline
    def ptrs_count(seed, stream, step, index, mean, log_mean, a, b, inv_alpha, vr):
        """The count of one draw by PTRS (scalar): the logarithms only for candidates that need them."""
        key = bits(seed, stream, step, index)
        j = 0
        while True:
            k, us, v, quick, admissible = ptrs_candidate(key, step, index, j, mean, a, b, vr)
            if quick or (admissible and ptrs_accept(k, us, v, mean, log_mean, a, b, inv_alpha)):
                return k
            j += 1

    return SimpleNamespace(key=bits, uniform52=uniform52, log_factorial=log_factorial, ptrs_candidate=ptrs_candidate,
                           ptrs_accept=ptrs_accept, inversion_fill=inversion_fill, ptrs_count=ptrs_count)


def poisson_table(mean: float) -> np.ndarray:
    """Distribution function ``F_0 .. F_K`` of Poisson(``mean``) in float64 (``mean`` below
    :data:`POISSON_INVERSION_MAX_MEAN`), for :func:`make_poisson`'s inversion: each term
    ``exp(k log(mean) - mean - log k!)`` to an ulp, each ``F_k`` their correctly rounded sum (``math.fsum``), up
    to the first ``F_K`` that later terms no longer change (the tail beyond is below 1e-20)."""
    terms, cdf, k = [], [], 0
    while True:
        term = math.exp(k * math.log(mean) - mean - math.lgamma(k + 1.0)) if mean > 0 else float(k == 0)
        terms.append(term)
        cdf.append(math.fsum(terms))
        if k > mean and term < 1e-20:
            break
        k += 1
    import numpy as np

    return np.asarray(cdf[:cdf.index(cdf[-1]) + 1], np.float64)


def ptrs_constants(mean: float) -> dict:
    """Constants of the PTRS method for ``mean`` >= :data:`POISSON_INVERSION_MAX_MEAN` (Hörmann 1993):
    ``b = 0.931 + 2.53 sqrt(mean)``, ``a = -0.059 + 0.02483 b``, ``inv_alpha = 1.1239 + 1.1328 / (b - 3.4)``,
    ``vr = 0.9277 - 3.6224 / (b - 2)``, and ``log_mean``; zeros below (unused there)."""
    if mean < POISSON_INVERSION_MAX_MEAN:
        return dict.fromkeys(("log_mean", "a", "b", "inv_alpha", "vr"), 0.0)
    b = 0.931 + 2.53 * math.sqrt(mean)
    return {"log_mean": math.log(mean), "a": -0.059 + 0.02483 * b, "b": b, "inv_alpha": 1.1239 + 1.1328 / (b - 3.4),
            "vr": 0.9277 - 3.6224 / (b - 2.0)}
