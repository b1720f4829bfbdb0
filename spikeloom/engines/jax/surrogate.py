r"""Surrogate gradients for the spike nonlinearity.

The forward pass is the exact step function :math:`H(x) = [x \ge 0]` of the threshold distance
:math:`x = V - V_{th}` (mV), so simulated spikes do not change; the backward pass replaces :math:`H'(x)`
(zero almost everywhere) by a pseudo-derivative

.. math::

    \frac{\partial S_t}{\partial x_t} \;\to\; \frac{dt}{\tau}\,\sigma'_\alpha(x_t)

where :math:`\sigma'_\alpha` is one of the shapes below, each of **unit area** (so ``alpha``, in 1/mV, sets
only the width, about :math:`1/\alpha` mV), and :math:`dt/\tau` is the per-step normalisation:

==================  ==================================================  ============================================
name                shape :math:`\sigma'_\alpha(x)`                      reference
==================  ==================================================  ============================================
``sigmoid``         :math:`\alpha\, s(\alpha x)(1 - s(\alpha x))`       Zenke & Vogels (2021) Neural Comput 33:899
``fast_sigmoid``    :math:`\alpha / (2 (1 + \alpha |x|)^2)`             Zenke & Ganguli (2018) Neural Comput 30:1514
``triangle``        :math:`\alpha \max(0, 1 - \alpha |x|)`              Bellec et al. (2018) NeurIPS (LSNN)
``arctan``          :math:`\alpha / (2 (1 + (\pi \alpha x / 2)^2))`     Fang et al. (2021) ICCV
==================  ==================================================  ============================================

:math:`s` is the logistic function. Zenke & Vogels (2021) found surrogate-gradient learning robust to the
shape and sensitive to the *scale* of the pseudo-derivative. The scale matters most in recurrent networks: a
neuron spends several steps near threshold, and each of them hands :math:`\sigma'` on to every target, so an
unnormalised pseudo-derivative overstates how much a spike count moves with the membrane by about the number
of steps spent in the window. Through a recurrent loop that factor compounds every step and the gradient
diverges (1e20 and beyond, with an arbitrary sign). With the factor :math:`dt/\tau` the pseudo-derivative is
that of an escape-noise neuron firing at rate :math:`\sigma_\alpha(x)/\tau` (the reading of surrogate
gradients by Gygax & Zenke, 2025, Neural Computation), whose spike probability in a step is
:math:`dt\,\sigma_\alpha(x)/\tau`: the gradient no longer grows as ``dt`` shrinks, and ``tau`` is a time
constant of the neuron (the default suits cortical LIF models). ``docs/gradients.md`` shows the agreement
with finite differences through a recurrent E/I network.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ..._errors import ModelDefinitionError
from ...core.validate import positive


def _sigmoid(x, alpha):
    s = jax.nn.sigmoid(alpha * x)
    return alpha * s * (1.0 - s)


def _fast_sigmoid(x, alpha):
    return 0.5 * alpha / (1.0 + alpha * jnp.abs(x)) ** 2


def _triangle(x, alpha):
    return alpha * jnp.maximum(0.0, 1.0 - alpha * jnp.abs(x))


def _arctan(x, alpha):
    return alpha / (2.0 * (1.0 + (jnp.pi / 2.0 * alpha * x) ** 2))


SURROGATES = {"sigmoid": _sigmoid, "fast_sigmoid": _fast_sigmoid, "triangle": _triangle, "arctan": _arctan}

#: default width parameter (1/mV): the pseudo-derivative spans about 1 mV around threshold
DEFAULT_ALPHA = 1.0
#: default escape time constant (ms) of the per-step normalisation dt / tau (see docs/gradients.md)
DEFAULT_TAU = 10.0


@dataclass(frozen=True)
class Surrogate:
    """A spike step with a pseudo-derivative ``dt / tau * shape(x)``; ``tau=None`` leaves out ``dt / tau``.

    :class:`~.simulation.Simulation` binds the run's ``dt`` (:meth:`spike_function`). Called directly (as the
    Runner's forward pass does, which never differentiates), it is the step with the shape unscaled."""

    name: str = "fast_sigmoid"
    alpha: float = DEFAULT_ALPHA
    tau: float | None = DEFAULT_TAU

    def scale(self, dt: float | None) -> float:
        """The per-step factor ``dt / tau`` (1 without ``tau`` or ``dt``)."""
        return 1.0 if self.tau is None or dt is None else float(dt) / self.tau

    def spike_function(self, dt: float | None):
        """``spike(x)``: the step ``x >= 0`` as a float, with the pseudo-derivative for steps of ``dt`` ms."""
        shape, alpha, scale = SURROGATES[self.name], self.alpha, self.scale(dt)

        @jax.custom_jvp
        def spike(x):
            return (x >= 0).astype(x.dtype)

        @spike.defjvp
        def _jvp(primals, tangents):
            (x,), (dx,) = primals, tangents
            return spike(x), (scale * shape(x, alpha)).astype(x.dtype) * dx

        return spike

    def __call__(self, x):
        return self.spike_function(None)(x)


def surrogate(name: str = "fast_sigmoid", alpha: float = DEFAULT_ALPHA, tau: float | None = DEFAULT_TAU) -> Surrogate:
    """The surrogate ``name`` of width ``1 / alpha`` mV, normalised per step by ``dt / tau`` (``tau`` in ms;
    ``None``: no per-step normalisation, for feedforward use only)."""
    if not isinstance(name, str) or name not in SURROGATES:
        raise ModelDefinitionError(f"unknown surrogate {name!r}; choose one of {sorted(SURROGATES)}")
    alpha = positive(alpha, "alpha (1/mV)", owner=f"surrogate {name!r}")
    tau = None if tau is None else positive(tau, "tau", owner=f"surrogate {name!r}", unit="ms")
    return Surrogate(name, alpha, tau)
