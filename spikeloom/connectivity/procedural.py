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
  The logarithms are taken in float64 on every engine. Where that support is small (``p >= 0.005``: at most
  :data:`GAP_TABLE_MAX` gaps) the gap is drawn instead from the alias table of the same geometric law
  (:func:`gap_table`, the tail beyond the support lumped into its last gap), like the jittered delays below:
  2.6 against 5.7 ns per target at ``p = 0.1``.
- :class:`ProceduralOutDegree` ``(k)``: every presynaptic neuron picks exactly ``k`` distinct targets,
  uniformly (Knuth's selection sampling, algorithm S: target ``t`` is taken when
  ``u_t * 2**24 * (n - t) < (k - taken) * 2**24``; integers, so the comparison is exact on every engine).
- :class:`ProceduralInDegree` ``(k)``: NEST's ``fixed_indegree`` with multapses: every post-synaptic neuron
  draws exactly ``k`` presynaptic neurons uniformly *with replacement* (a pair may be drawn more than once).
  It is generated from the presynaptic side without visiting every target: the ``M = n_post * k`` slots
  (post ``j``, draw ``d``) are numbered ``q = j * k + d``. The number of slots owned by each presynaptic
  neuron is Multinomial(M, uniform), drawn once at build time with numpy (``default_rng([seed, stream])``);
  the plan keeps only its prefix sums ``C`` (``n_pre + 1`` integers: memory independent of the number of
  synapses). Given these counts, which slots each neuron owns is a uniformly random assignment, i.e. a
  random permutation of the slots cut into consecutive blocks: neuron ``i`` owns the slots
  ``q = perm(C_i), ..., perm(C_{i+1} - 1)`` and targets ``q // k``, unsorted and possibly repeated. ``perm``
  is a keyed pseudo-random bijection of [0, M) (:func:`make_feistel`): a Feistel network of 4 rounds on the
  ``b`` bits of the smallest power of two ``2**b >= M`` (halves of ``b // 2`` and ``b - b // 2`` bits, round
  function the counter-based hash keyed by seed and stream ``S``), with cycle walking: a value ``>= M`` is
  permuted again until it falls in [0, M) (fewer than 2 passes on average, since ``2**b < 2 M``). Without
  self-connections (``allow_self=False``, pre and post the same population) post ``j`` draws ``r`` from the
  ``n - 1`` others and takes ``r + (r >= j)``: the counts are drawn over ``n - 1`` values of ``r``, and
  neuron ``i`` collects the slots of block ``r = i`` whose post is above ``i`` and those of block ``r = i - 1``
  whose post is below ``i`` (exact, at the cost of visiting about twice as many slots). In-degrees are
  exactly ``k`` and out-degrees exactly multinomial by construction; which slots a neuron owns is as random
  as the Feistel permutation, a pseudo-random one (tests: a bijection, configurations uniform over keys).
- weights: a number; :class:`~spikeloom.core.initializers.Uniform` ``(low, high)``: ``low + (high - low) u``;
  :class:`~spikeloom.core.initializers.Normal` ``(mean, std)``: ``mean + std z`` (Box-Muller), drawn per
  synapse with a *counter*: the target index for a probability or out-degree, the slot ``q`` for an
  in-degree (so the synapses of a multapse have independent weights).
- delay jitter (``delay_std`` of a procedural projection, ms): a synapse's delay is
  ``round(delay / dt + (delay_std / dt) z)`` steps, ``z`` normal and truncated to ``|z| <= 5``, clipped at 0.
  That is a distribution over a few hundred integers at most, drawn exactly (to 2**-24) from its alias
  table (Walker 1977; Vose 1991; :func:`jitter_table`, built once per block): one 24-bit uniform ``u24``
  keyed by the synapse's *position* in its presynaptic neuron's row (0, 1, ... in the order of the counters
  above), ``x = u24 * n`` over the ``n`` possible delays, column ``x >> 24``, kept if ``x mod 2**24`` is
  below its threshold, else its alias: a hash, a product and one table read per delay (1.4 ns), where a
  Box-Muller normal cost a logarithm, a square root and a cosine (4.8 ns; the delays were 46 % of the
  Joglekar model's delivery).
"""

from __future__ import annotations

import abc

import hashlib
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..core.initializers import Constant, Initializer, Normal, Uniform
from ..core.random import make_hash, make_random
from .generators import _degree_fields, _who, flag

#: connector kinds and weight kinds as stored in the plan (engine-neutral integers)
CONN_PROB, CONN_OUT_DEGREE, CONN_IN_DEGREE = 0, 1, 2
WEIGHT_CONST, WEIGHT_UNIFORM, WEIGHT_NORMAL = 0, 1, 2
#: delay jitter is truncated at this many standard deviations
JITTER_TRUNCATION = 5.0
#: rounds of the Feistel network that permutes the slots of a fixed in-degree
FEISTEL_ROUNDS = 4
#: largest number of slots (n_post * k) of a fixed in-degree: two halves of at most 31 bits each
MAX_SLOTS = 2 ** 62


class Procedural(abc.ABC):
    """Base class of connectivity regenerated at every spike (see the module docstring)."""

    allow_self: bool

    @abc.abstractmethod
    def plan_values(self, n_post: int) -> tuple[int, float]:
        """(kind, parameter) stored in the plan: ``log(1 - p)`` for a probability, ``k`` for a degree."""

    @abc.abstractmethod
    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        """Mean number of synapses between ``n_pre`` and ``n_post`` neurons."""

    def check(self, n_pre: int, n_post: int, same_population: bool, owner: str | None = None) -> None:
        """Refuse population sizes this connector cannot serve (called when a projection is made)."""

    def prefix_sums(self, n_pre: int, n_post: int, noself: bool, rng) -> np.ndarray | None:
        """Per-presynaptic data drawn once at build time (see :class:`ProceduralInDegree`); None: nothing."""
        return None


@dataclass(frozen=True)
class ProceduralProb(Procedural):
    """Every (pre, post) pair is connected independently with probability ``p``, regenerated at each spike."""

    p: float
    allow_self: bool = True

    def __post_init__(self):
        object.__setattr__(self, "p", validate.real(self.p, "p", owner="ProceduralProb", low=0.0, high=1.0,
                                                    low_open=True))
        object.__setattr__(self, "allow_self", flag(self.allow_self, "allow_self", "ProceduralProb"))

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

    def __post_init__(self):
        _degree_fields(self)

    def check(self, n_pre, n_post, same_population, owner=None):
        choices = n_post - int(same_population and not self.allow_self)
        if self.k > choices:
            raise ModelDefinitionError(_who(owner, f"ProceduralOutDegree: k = {self.k} distinct targets exceeds the "
                                                   f"{choices} post-synaptic candidates; use k <= {choices}"))

    def plan_values(self, n_post):
        return CONN_OUT_DEGREE, float(self.k)

    def expected_synapses(self, n_pre, n_post):
        return float(self.k) * n_pre


@dataclass(frozen=True)
class ProceduralInDegree(Procedural):
    """Every post-synaptic neuron draws exactly ``k`` presynaptic neurons uniformly with replacement (NEST's
    ``fixed_indegree`` with multapses), regenerated at each spike from per-neuron counts drawn at build time
    (see the module docstring). Unlike the stored :class:`~spikeloom.connectivity.FixedInDegree`, a pair
    can be connected more than once."""

    k: int
    allow_self: bool = True

    def __post_init__(self):
        _degree_fields(self)

    def check(self, n_pre, n_post, same_population, owner=None):
        noself = same_population and not self.allow_self
        slots, n_src = self.k * n_post, n_pre - int(noself)
        if slots >= MAX_SLOTS:
            raise ModelDefinitionError(_who(owner, f"ProceduralInDegree: n_post * k = {slots} slots, at most 2**62 "
                                                   "supported"))
        if slots and n_src < 1:
            raise ModelDefinitionError(_who(owner, f"ProceduralInDegree: {n_pre} presynaptic neuron(s) cannot "
                                                   f"provide k = {self.k} sources"
                                                   + (" without self-connections" if noself else "")))

    def plan_values(self, n_post):
        return CONN_IN_DEGREE, float(self.k)

    def expected_synapses(self, n_pre, n_post):
        return float(self.k) * n_post

    def prefix_sums(self, n_pre, n_post, noself, rng):
        """Prefix sums (int64, length ``n_src + 1``) of the Multinomial(n_post * k, uniform) slot counts of the
        ``n_src = n_pre - noself`` source indices."""
        self.check(n_pre, n_post, noself)
        slots, n_src = int(self.k) * n_post, n_pre - int(noself)
        counts = rng.multinomial(slots, np.full(n_src, 1.0 / n_src)) if n_src else np.zeros(0, np.int64)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def weight_values(weight, owner: str) -> tuple[int, float, float]:
    """(kind, a, b) of a procedural weight (already in canonical units): a number, ``Constant(value)``,
    ``Uniform(low, high)`` or ``Normal(mean, std)``."""
    if isinstance(weight, Uniform):
        return WEIGHT_UNIFORM, weight.low, weight.high
    if isinstance(weight, Normal):
        return WEIGHT_NORMAL, weight.mean, weight.std
    if isinstance(weight, Constant):
        return WEIGHT_CONST, weight.value, 0.0
    if isinstance(weight, Initializer) or np.ndim(weight) != 0:
        what = type(weight).__name__ if isinstance(weight, Initializer) else f"an array of shape {np.shape(weight)}"
        raise ModelDefinitionError(f"{owner}: a procedural projection takes a number, Uniform or Normal as weight, "
                                   f"not {what} (there is no stored synapse to hold it)")
    return WEIGHT_CONST, float(weight), 0.0


def projection_stream(name: str) -> int:
    """Random stream of a procedural projection: a multiple of 4 with the top bit set, from its name."""
    h = int.from_bytes(hashlib.sha256(("procedural:" + name).encode()).digest()[:4], "little")
    return (h | 0x80000000) & 0xFFFFFFFC


def make_feistel(xp):
    """Return ``(halves, feistel, permute)``, the keyed bijection of the slots of a fixed in-degree (integer
    math only).

    - ``halves(m) -> (lo_bits, hi_bits)``: the smallest power of two ``2**b >= m``, split into two halves;
    - ``feistel(seed, stream, y, lo_bits, hi_bits)``: one pass of the Feistel network on [0, 2**(lo_bits +
      hi_bits)): ``y = hi * 2**lo_bits + lo``; rounds alternately xor ``hi`` with the hash of ``lo`` and
      ``lo`` with the hash of ``hi`` (each round is its own inverse given the other half, so the pass is a
      bijection), round ``r`` hashing with ``bits(seed, stream, r, half)``; halves of at most 32 bits;
    - ``permute(seed, stream, x, m, lo_bits, hi_bits)``: ``feistel`` applied to ``x`` until the value falls
      below ``m`` (cycle walking: a bijection of [0, m) with ``halves(m)``). A vectorized engine runs the
      same walk as a while loop over ``feistel``.
    """
    bits = make_hash(xp)
    one = xp.u(1)

    @xp.inline
    def halves(m):
        width = 0
        while (1 << width) < m:
            width += 1
        return width // 2, width - width // 2

    @xp.inline
    def feistel(seed, stream, y, lo_bits, hi_bits):
        lo_mask = (one << xp.u(lo_bits)) - one
        hi_mask = (one << xp.u(hi_bits)) - one
        lo = y & lo_mask
        hi = y >> xp.u(lo_bits)
        for r in range(FEISTEL_ROUNDS):
            # consecutive inputs differ in lo: the first round spreads them over hi
            if r % 2 == 0:
                hi = hi ^ (bits(seed, stream, r, lo) & hi_mask)
            else:
                lo = lo ^ (bits(seed, stream, r, hi) & lo_mask)
        return (hi << xp.u(lo_bits)) | lo

    @xp.inline
    def permute(seed, stream, x, m, lo_bits, hi_bits):
        y = feistel(seed, stream, xp.u(x), lo_bits, hi_bits)
        while y >= xp.u(m):
            y = feistel(seed, stream, y, lo_bits, hi_bits)
        return y

    return halves, feistel, permute


#: geometric gaps of a probability connector are drawn this many at a time (a loop that vectorizes)
GAP_CHUNK = 64
#: resolution of the uniform numbers (24 bits) that alias tables are drawn with
UNIT24 = 1 << 24
#: a probability connector whose geometric gaps take at most this many values draws them from a table
GAP_TABLE_MAX = 4096


def alias_table(pmf: np.ndarray) -> np.ndarray:
    """Alias table (Walker 1977; Vose's construction, 1991) of the law ``pmf`` over ``0 .. n - 1``: ``n`` int64
    entries ``threshold << 32 | alias``, one entry so that a draw reads memory once. With ``x = u24 * n``,
    ``u24`` uniform in ``[0, 2**24)``, the draw is ``x >> 24`` if ``x mod 2**24 < threshold[x >> 24]``, else
    ``alias[x >> 24]`` (exact to 2**-24 per entry)."""
    n = pmf.size
    scaled = np.asarray(pmf, np.float64) * n  # column j keeps scaled[j] of its 1/n share
    threshold, alias = np.full(n, UNIT24, np.int64), np.arange(n, dtype=np.int64)
    small = [j for j in range(n) if scaled[j] < 1.0]
    large = [j for j in range(n) if scaled[j] >= 1.0]
    while small and large:
        j, big = small.pop(), large[-1]
        threshold[j], alias[j] = int(round(scaled[j] * UNIT24)), big
        scaled[big] -= 1.0 - scaled[j]
        if scaled[big] < 1.0:
            small.append(large.pop())
    return threshold << 32 | alias  # columns left over keep their whole share (rounding)


def gap_table(log_q: float) -> np.ndarray:
    """Alias table of the gap between consecutive targets of a probability ``p = 1 - exp(log_q)``: the law of
    ``floor(log(1 - u) / log_q)`` for ``u`` uniform, ``P(g = k) = (1 - p)**k p``, over the gaps that 24-bit
    uniform numbers reach (``k <= log(2**-24) / log_q``; the tail beyond lumped into the last). An empty table
    where there would be more than :data:`GAP_TABLE_MAX` entries (the logarithm is used instead)."""
    if log_q == -np.inf:  # p = 1: every gap is 0
        return alias_table(np.ones(1))
    n = int(np.floor(np.log(2.0 ** -24) / log_q)) + 1
    if n > GAP_TABLE_MAX:
        return np.zeros(0, np.int64)
    k = np.arange(n)
    pmf = -np.expm1(log_q) * np.exp(k * log_q)
    pmf[-1] = np.exp((n - 1) * log_q)  # P(g >= n - 1)
    return alias_table(pmf)


def jitter_table(mean: float, std: float, limit: int) -> np.ndarray:
    """Alias table of a jittered delay (steps): ``D = clip(floor(mean + std zc + 0.5), 0, limit)``, ``zc`` a
    standard normal clipped to ``[-JITTER_TRUNCATION, JITTER_TRUNCATION]``.

    ``P(D <= k) = P(zc < (k + 0.5 - mean) / std)``, which is ``Phi`` of that inside the truncation, 0 below and
    1 above it, and 1 at ``k = limit``: its :func:`alias_table`, ``limit + 1`` entries."""
    from scipy.special import ndtr

    y = (np.arange(int(limit) + 1) + 0.5 - mean) / std
    cdf = np.where(y > JITTER_TRUNCATION, 1.0, np.where(y <= -JITTER_TRUNCATION, 0.0, ndtr(y)))
    cdf[-1] = 1.0
    return alias_table(np.diff(cdf, prepend=0.0))


def make_procedural(xp):
    """Return ``(targets, weight, delay, delays)`` written against a Numba namespace ``xp`` (see the module
    docstring; the JAX engine has kernels of its own that draw the same numbers).

    - ``targets(seed, stream, i, kind, value, n, noself, cum, cum_lo, gaps, out) -> count`` writes the
      *counters* of the synapses of presynaptic neuron ``i`` into ``out``: for a probability or out-degree the
      target indices (in [0, n), increasing), for an in-degree (``value = k``) the slots ``q``, whose target
      is ``q // k`` (unsorted, repeats possible), using the prefix sums ``cum[cum_lo:]``; ``noself`` >= 0
      excludes that target; ``gaps`` is the probability's :func:`gap_table` (empty: the logarithm);
    - ``weight(seed, stream, i, counter, kind, a, b)``;
    - ``delay(seed, stream, i, position, table)``: jittered delay in steps of the synapse at ``position`` in
      the row of ``i`` (the order ``targets`` writes them), from the block's alias table (:func:`jitter_table`);
    - ``delays(seed, stream, i, m, table, out)``: ``out[c]`` = ``delay`` of position ``c`` for ``c < m``.

    ``targets`` and ``delays`` are compiled apart (``xp.kernel``): the gaps of a probability are drawn
    :data:`GAP_CHUNK` at a time into ``out`` ahead of the targets already written (each gap gives at most one
    target, so no gap is overwritten before it is read), and that loop, like the one of ``delays``, vectorizes.
    """
    uniform, normal = make_random(xp)
    bits = make_hash(xp)
    s8, low24, low32 = xp.u(8), UNIT24 - 1, 0xFFFFFFFF
    halves, _, permute = make_feistel(xp)
    log = getattr(xp, "inlined", xp).log
    two24 = 16777216.0

    @xp.inline
    def alias_draw(h, table):
        # the alias table's entry of the 24 high bits of the 32-bit hash h (see alias_table)
        x = np.int64(h >> s8) * table.shape[0]
        column = x >> 24
        entry = table[column]
        return xp.where((x & low24) < (entry >> 32), column, entry & low32)

    @xp.kernel
    def targets(seed, stream, i, kind, value, n, noself, cum, cum_lo, table, out):
        choices = n - 1 if noself >= 0 else n
        count = 0
        if kind == CONN_PROB:
            c = 0
            t = 0
            while t < choices and count < out.shape[0]:
                room = min(GAP_CHUNK, out.shape[0] - count)
                gaps = out[count:count + room]
                if table.shape[0] > 0:
                    for j in range(room):
                        gaps[j] = alias_draw(bits(seed, stream, i, c + j), table)
                else:
                    for j in range(room):
                        gaps[j] = int(xp.floor(log(1.0 - uniform(seed, stream, i, c + j)) / value))
                c += room
                for j in range(room):
                    t += gaps[j]
                    if t >= choices:
                        break
                    out[count] = t + 1 if (noself >= 0 and t >= noself) else t
                    count += 1
                    t += 1
        elif kind == CONN_OUT_DEGREE:
            k = int(value)
            for t in range(choices):
                if count >= k:
                    break
                if uniform(seed, stream, i, t) * two24 * (choices - t) < (k - count) * two24:
                    out[count] = t + 1 if (noself >= 0 and t >= noself) else t
                    count += 1
        else:
            k = int(value)
            slots = n * k
            lo_bits, hi_bits = halves(slots)
            # block r = i: every slot (with self-connections), else those whose post lies above i
            if noself < 0 or i < choices:
                for pos in range(cum[cum_lo + i], cum[cum_lo + i + 1]):
                    q = permute(seed, stream, pos, slots, lo_bits, hi_bits)
                    if noself < 0 or q // xp.u(k) > xp.u(i):
                        out[count] = q
                        count += 1
            # block r = i - 1 without self-connections: the slots whose post lies below i
            if noself >= 0 and i > 0:
                for pos in range(cum[cum_lo + i - 1], cum[cum_lo + i]):
                    q = permute(seed, stream, pos, slots, lo_bits, hi_bits)
                    if q // xp.u(k) < xp.u(i):
                        out[count] = q
                        count += 1
        return count

    @xp.inline
    def weight(seed, stream, i, counter, kind, a, b):
        if kind == WEIGHT_CONST:
            return a
        if kind == WEIGHT_UNIFORM:
            return a + (b - a) * uniform(seed, stream + 1, i, counter)
        return a + b * normal(seed, stream + 1, i, counter)

    @xp.inline
    def delay(seed, stream, i, position, table):
        return alias_draw(bits(seed, stream + 2, i, position), table)

    @xp.kernel
    def delays(seed, stream, i, m, table, out):
        days = out[:m]
        for c in range(m):
            days[c] = delay(seed, stream, i, c, table)

    return targets, weight, delay, delays
