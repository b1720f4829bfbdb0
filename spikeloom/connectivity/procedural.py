"""Procedural ("just-in-time") connectivity: synapses regenerated from a seed at every presynaptic spike.

Nothing per synapse is stored: the targets of presynaptic neuron ``i`` (its index within its population), their
weights and (optionally) their delays are pure functions of ``(seed, stream, i, counter)`` through the
counter-based hash of :mod:`spikeloom.core.random`, so every engine and :func:`materialize` obtain the same
synapses. ``stream`` is derived from the projection's name (:func:`projection_stream`): stream ``S`` draws
targets, ``S + 1`` weights and ``S + 2`` delays; ``S`` has its top bit set, so it never meets the small streams
the neuron updates use.

Sampling (exact up to the 24-bit resolution of the uniform numbers):

- :class:`ProceduralProb` ``(p)``: every (pre, post) pair independently with probability ``p``. The gaps
  between consecutive targets are geometric: gap ``c`` (counter ``c = 0, 1, ...``) is
  ``floor(log(1 - u_c) / log(1 - p))``. The uniform numbers are multiples of 2**-24, so a gap larger than
  ``16.6 / p`` cannot occur (probability below 6e-8); otherwise the Bernoulli statistics are exact.
  The logarithms are taken in float64 on every engine.
- :class:`ProceduralOutDegree` ``(k)``: every presynaptic neuron picks exactly ``k`` distinct targets,
  uniformly (Knuth's selection sampling, algorithm S: target ``t`` is taken when
  ``u_t * 2**24 * (n - t) < (k - taken) * 2**24``; integers, so the comparison is exact on every engine).
- weights: a number; :class:`~spikeloom.core.initializers.Uniform` ``(low, high)``: ``low + (high - low) u``;
  :class:`~spikeloom.core.initializers.Normal` ``(mean, std)``: ``mean + std z`` (Box-Muller), drawn per
  synapse with counter = target index.
- delay jitter (``delay_std`` of a procedural projection, ms): a synapse's delay is
  ``round(delay / dt + (delay_std / dt) z)`` steps, ``z`` normal and truncated to ``|z| <= 5``, clipped at 0.

Fixed in-degree cannot be regenerated from the presynaptic side without visiting every target, so it is
not offered procedurally (use the stored :class:`~spikeloom.connectivity.FixedInDegree`).
"""

from __future__ import annotations

import abc

import hashlib
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..core.initializers import Normal, Uniform
from ..core.random import make_random

#: connector kinds and weight kinds as stored in the plan (engine-neutral integers)
CONN_PROB, CONN_OUT_DEGREE = 0, 1
WEIGHT_CONST, WEIGHT_UNIFORM, WEIGHT_NORMAL = 0, 1, 2
#: delay jitter is truncated at this many standard deviations
JITTER_TRUNCATION = 5.0


class Procedural(abc.ABC):
    """Base class of connectivity regenerated at every spike (see the module docstring)."""

    allow_self: bool

    @abc.abstractmethod
    def plan_values(self, n_post: int) -> tuple[int, float]:
        """(kind, parameter) stored in the plan: ``log(1 - p)`` for a probability, ``k`` for a degree."""

    @abc.abstractmethod
    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        """Mean number of synapses between ``n_pre`` and ``n_post`` neurons."""


@dataclass(frozen=True)
class ProceduralProb(Procedural):
    """Every (pre, post) pair is connected independently with probability ``p``, regenerated at each spike."""

    p: float
    allow_self: bool = True

    def __post_init__(self):
        if not (0.0 < float(self.p) <= 1.0):
            raise ModelDefinitionError(f"ProceduralProb: p must be in (0, 1], got {self.p}")

    def plan_values(self, n_post):
        return CONN_PROB, float(np.log1p(-self.p)) if self.p < 1.0 else -np.inf

    def expected_synapses(self, n_pre, n_post):
        return self.p * n_pre * n_post


@dataclass(frozen=True)
class ProceduralOutDegree(Procedural):
    """Every presynaptic neuron connects to exactly ``k`` distinct post-synaptic neurons, regenerated at each
    spike."""

    k: int
    allow_self: bool = True

    def plan_values(self, n_post):
        if not (0 <= int(self.k) <= n_post):
            raise ModelDefinitionError(f"ProceduralOutDegree: k = {self.k} must be in [0, {n_post}]")
        return CONN_OUT_DEGREE, float(self.k)

    def expected_synapses(self, n_pre, n_post):
        return float(self.k) * n_pre


def weight_values(weight, owner: str) -> tuple[int, float, float]:
    """(kind, a, b) of a procedural weight: a number, ``Uniform(low, high)`` or ``Normal(mean, std)``."""
    if isinstance(weight, Uniform):
        return WEIGHT_UNIFORM, float(weight.low), float(weight.high)
    if isinstance(weight, Normal):
        return WEIGHT_NORMAL, float(weight.mean), float(weight.std)
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 0:
        raise ModelDefinitionError(f"{owner}: a procedural projection takes a number, Uniform or Normal as weight, "
                                   f"not an array of shape {w.shape} (there is no stored synapse to hold it)")
    return WEIGHT_CONST, float(w), 0.0


def projection_stream(name: str) -> int:
    """Random stream of a procedural projection: a multiple of 4 with the top bit set, from its name."""
    h = int.from_bytes(hashlib.sha256(("procedural:" + name).encode()).digest()[:4], "little")
    return (h | 0x80000000) & 0xFFFFFFFC


def make_procedural(xp):
    """Return ``(targets, weight, delay)`` written against ``xp`` (see the module docstring).

    - ``targets(seed, stream, i, kind, value, n, noself, out) -> count`` writes the target indices
      (in [0, n), increasing) of presynaptic neuron ``i`` into ``out``; ``noself`` >= 0 excludes that target;
    - ``weight(seed, stream, i, t, kind, a, b)``;
    - ``delay(seed, stream, i, t, mean, std, limit)``: delay in steps (``std`` = 0: ``mean`` rounded).
    """
    uniform, normal = make_random(xp)
    two24 = 16777216.0

    @xp.inline
    def targets(seed, stream, i, kind, value, n, noself, out):
        choices = n - 1 if noself >= 0 else n
        count = 0
        if kind == CONN_PROB:
            c = 0
            t = 0
            while True:
                t += xp.floor(xp.log(1.0 - uniform(seed, stream, i, c)) / value)
                c += 1
                if t >= choices:
                    break
                out[count] = t + 1 if (noself >= 0 and t >= noself) else t
                count += 1
                t += 1
        else:
            k = int(value)
            for t in range(choices):
                if count >= k:
                    break
                if uniform(seed, stream, i, t) * two24 * (choices - t) < (k - count) * two24:
                    out[count] = t + 1 if (noself >= 0 and t >= noself) else t
                    count += 1
        return count

    @xp.inline
    def weight(seed, stream, i, t, kind, a, b):
        if kind == WEIGHT_CONST:
            return a
        if kind == WEIGHT_UNIFORM:
            return a + (b - a) * uniform(seed, stream + 1, i, t)
        return a + b * normal(seed, stream + 1, i, t)

    @xp.inline
    def delay(seed, stream, i, t, mean, std, limit):
        if std == 0.0:
            return xp.floor(mean + 0.5)
        z = xp.maximum(-JITTER_TRUNCATION, xp.minimum(JITTER_TRUNCATION, normal(seed, stream + 2, i, t)))
        return xp.maximum(0, xp.minimum(limit, xp.floor(mean + std * z + 0.5)))

    return targets, weight, delay



def materialize(plan, name: str, what: str = "weight"):
    """The synapses of procedural projection ``name`` of a built plan (``Runner(...).plan``) as a
    ``scipy.sparse.csr_array`` of shape (n_pre, n_post), generated by the same code the CPU engine runs at
    every spike. ``what="weight"``: entries are the weights as applied to the synapse state (the projection's
    weight times its synapse's ``w_scale``); ``what="delay"``: the delay of each synapse in steps counted from
    the step its spike is read (non-zero with jitter only; zeros are stored as explicit entries)."""
    import scipy.sparse as sp

    if what not in ("weight", "delay"):
        raise ModelDefinitionError(f"materialize: what must be 'weight' or 'delay', got {what!r}")
    for pg in plan.pgroups:
        op = pg.operator
        if op is None or not hasattr(op, "names") or name not in op.names:
            continue
        q = op.names.index(name)
        b = {k: v[q] for k, v in op.blocks.items()}
        _, lo, hi, _ = plan.pop_index[op.pre_names[q]]
        rows, cols, vals = _block_kernel()(
            hi - lo, b["n_post"], plan.seed, b["stream"], b["kind"], b["value"], b["noself"], b["w_kind"],
            b["w_a"], b["w_b"], b["d_mean"], b["d_std"], b["d_limit"], what == "delay")
        return sp.csr_array((vals, (rows, cols)), shape=(hi - lo, int(b["n_post"])))
    raise ModelDefinitionError(f"materialize: no procedural projection named {name!r} in this plan")


_KERNEL = []


def _block_kernel():
    """Numba function listing every synapse of one block (compiled on first use)."""
    if _KERNEL:
        return _KERNEL[0]
    import numba

    from ..engines.numba import mathlib

    targets, weight, delay = make_procedural(mathlib)

    @numba.njit(cache=True)
    def block(n_pre, n_post, seed, stream, kind, value, noself, w_kind, w_a, w_b, d_mean, d_std, d_limit, delays):
        scratch = np.zeros(max(n_post, 1), np.int64)
        rows, cols, vals = [np.int64(0)][:0], [np.int64(0)][:0], [0.0][:0]
        for i in range(n_pre):
            m = targets(seed, stream, i, kind, value, n_post, i if noself else -1, scratch)
            for c in range(m):
                t = scratch[c]
                rows.append(i)
                cols.append(t)
                if delays:
                    vals.append(float(delay(seed, stream, i, t, d_mean, d_std, d_limit)) if d_std > 0.0 else 0.0)
                else:
                    vals.append(weight(seed, stream, i, t, w_kind, w_a, w_b))
        return np.array(rows), np.array(cols), np.array(vals)

    _KERNEL.append(block)
    return block
