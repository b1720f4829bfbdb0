r"""Surrogate gradients for the spike nonlinearity.

The forward pass is the exact step function :math:`H(x) = [x \ge 0]` of the threshold distance
:math:`x = V - V_{th}` (mV), so simulated spikes do not change; the backward pass replaces :math:`H'(x)`
(zero almost everywhere) by a smooth pseudo-derivative of width set by ``alpha`` (1/mV):

==================  ===============================================  ============================================
name                pseudo-derivative :math:`\sigma'(x)`             reference
==================  ===============================================  ============================================
``sigmoid``         :math:`\alpha\, s(\alpha x)(1 - s(\alpha x))`    Zenke & Vogels (2021) Neural Comput 33:899
``fast_sigmoid``    :math:`1 / (1 + \alpha |x|)^2`                   Zenke & Ganguli (2018) Neural Comput 30:1514
``triangle``        :math:`\max(0, 1 - \alpha |x|)`                  Bellec et al. (2018) NeurIPS (LSNN)
``arctan``          :math:`\alpha / (2 (1 + (\pi \alpha x / 2)^2))`  Fang et al. (2021) ICCV
==================  ===============================================  ============================================

:math:`s` is the logistic function. Zenke & Vogels found learning robust to the shape and sensitive mostly
to the scale; ``alpha`` should make the pseudo-derivative cover the typical membrane excursion in one step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..._errors import ModelDefinitionError


def _sigmoid(x, alpha):
    s = jax.nn.sigmoid(alpha * x)
    return alpha * s * (1.0 - s)


def _fast_sigmoid(x, alpha):
    return 1.0 / (1.0 + alpha * jnp.abs(x)) ** 2


def _triangle(x, alpha):
    return jnp.maximum(0.0, 1.0 - alpha * jnp.abs(x))


def _arctan(x, alpha):
    return alpha / (2.0 * (1.0 + (jnp.pi / 2.0 * alpha * x) ** 2))


SURROGATES = {"sigmoid": _sigmoid, "fast_sigmoid": _fast_sigmoid, "triangle": _triangle, "arctan": _arctan}


def surrogate(name: str = "fast_sigmoid", alpha: float = 1.0):
    """Return ``spike(x)``: the step ``x >= 0`` as a float, with the pseudo-derivative ``name`` for gradients."""
    if name not in SURROGATES:
        raise ModelDefinitionError(f"unknown surrogate {name!r}; choose one of {sorted(SURROGATES)}")
    if not alpha > 0:
        raise ModelDefinitionError(f"surrogate {name!r}: alpha must be > 0, got {alpha}")
    derivative = SURROGATES[name]

    @jax.custom_jvp
    def spike(x):
        return (x >= 0).astype(x.dtype)

    @spike.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return spike(x), derivative(x, alpha).astype(x.dtype) * dx

    return spike
