"""Counter-based random numbers, written once against an engine's math namespace ``xp``.

A value is a pure function of ``(seed, stream, step, index)``: no generator state is carried through the
time loop, so results do not depend on chunking, threading or the engine that draws them. The mixer is
MurmurHash3's 32-bit finalizer (Appleby, public domain) applied in a chain; every intermediate value is
reduced modulo 2**32 with ``xp.mask`` (engines differ in the width of their unsigned arithmetic).

Uniform numbers are ``(h >> 8) * 2**-24``: 24 random bits, exact in float32, in [0, 1).
"""

from __future__ import annotations

import math


def make_hash(xp):
    """Return ``bits(seed, stream, step, index)``: 32 random bits (an unsigned integer below 2**32)."""
    c1 = xp.u(0x85EBCA6B)
    c2 = xp.u(0xC2B2AE35)
    golden = xp.u(0x9E3779B9)
    s16 = xp.u(16)
    s13 = xp.u(13)

    @xp.inline
    def fmix(h):
        h = h ^ (h >> s16)
        h = xp.mask(h * c1)
        h = h ^ (h >> s13)
        h = xp.mask(h * c2)
        return h ^ (h >> s16)

    @xp.inline
    def bits(seed, stream, step, index):
        h = fmix(xp.mask(xp.u(seed) * golden + xp.u(stream)))
        h = fmix(h ^ xp.mask(xp.u(step)))
        return fmix(xp.mask(h + xp.u(index) * golden))

    return bits


def make_random(xp):
    """Return ``(uniform, normal)``: ``uniform(seed, stream, step, index)`` in [0, 1), ``normal(...)`` ~ N(0, 1)."""
    bits = make_hash(xp)
    s8 = xp.u(8)
    one = xp.u(1)
    two = xp.u(2)
    scale = 1.0 / 16777216.0
    two_pi = 2.0 * math.pi

    @xp.inline
    def uniform(seed, stream, step, index):
        return xp.to_float(bits(seed, stream, step, index) >> s8) * scale

    @xp.inline
    def normal(seed, stream, step, index):
        # Box-Muller on two uniforms drawn at indices 2i and 2i+1; 1 - u1 lies in (0, 1]
        u1 = uniform(seed, stream, step, xp.u(index) * two)
        u2 = uniform(seed, stream, step, xp.u(index) * two + one)
        return xp.sqrt(-2.0 * xp.log(1.0 - u1)) * xp.cos(two_pi * u2)

    return uniform, normal
