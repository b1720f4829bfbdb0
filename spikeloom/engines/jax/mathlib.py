"""The math namespace ``xp`` bound to ``jax.numpy``: the same model factories, applied to whole arrays.

Unsigned arithmetic is ``uint32``, which wraps modulo 2**32 by itself, so ``mask`` is the identity. Random
uniforms are computed in the run's float type (24 random bits are exact in float32 and float64 alike).
"""

from __future__ import annotations

from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np


def _u(x):
    return x.astype(jnp.uint32) if hasattr(x, "astype") else jnp.uint32(np.uint64(x) & np.uint64(0xFFFFFFFF))


def make_xp(dtype, spike=None) -> SimpleNamespace:
    """Namespace for float type ``dtype``; ``spike`` replaces the plain step with a surrogate-gradient one."""
    return SimpleNamespace(
        exp=jnp.exp, expm1=jnp.expm1, floor=jnp.floor, log=jnp.log, sqrt=jnp.sqrt, cos=jnp.cos, tanh=jnp.tanh,
        where=jnp.where, maximum=jnp.maximum, minimum=jnp.minimum,
        u=_u, mask=lambda x: x, to_float=lambda x: x.astype(dtype), inline=lambda fn: fn, function=lambda fn: fn,
        spike=spike or (lambda x: x >= 0),
    )
