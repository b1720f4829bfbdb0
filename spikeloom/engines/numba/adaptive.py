"""Event-driven adaptive integration of independent neurons on the CPU: one compiled call for a whole batch.

The generated module binds a neuron model's ``vector_field`` and ``threshold_reset``, its input channels'
synapse ``decay``/``conductance`` and output ``current`` (all from their factories, bound to
:mod:`.mathlib`) into a right-hand side, hands it to :func:`spikeloom.integrators.adaptive.make_dp5`, and
wraps :func:`make_driver`'s per-neuron loop in one ``@njit(cache=True)`` function over the batch
(``prange`` when ``parallel``). Like the network engine, the source is written to the disk cache and
imported, so a second process with the same model classes loads the machine code; a damaged cache entry is
removed and compiled again (``engine.call_healing``).

Input channels are linear one-state synapses (``Exponential``); between events a channel's conductance is
advanced in closed form with its own propagator: ``derived(p, 1 ms)`` gives the one-millisecond factor
``c`` and the factor over ``s`` ms is ``c ** s = exp(s log c)``. Only the neuron's ODE variables are
integrated (and error-controlled).
"""

from __future__ import annotations

import time

import numpy as np

from ..._errors import ModelDefinitionError as ModelError
from ..._errors import SimulationError
from ...core import validate
from ...core.random import make_random
from ...neurons._base import argnames
from . import mathlib as xp
from .codegen import _Probe
from .engine import _import_generated, call_healing

#: status of a neuron after a call of the compiled driver
DONE, SPIKES_FULL, NONFINITE, INPUTS_FULL, STEP_UNDERFLOW, SPIKE_LOOP, PENDING = 0, 1, 2, 3, 4, 5, -1
#: random stream of the merged Poisson inputs (see ``core/random.py``)
POISSON_STREAM = 0x504F4953

_uniform, _ = make_random(xp)


@xp.function
def _uniform48(seed, count, j):
    # 48 random bits from two 24-bit draws: fine enough to pick among many sources and never exactly 1
    return _uniform(seed, POISSON_STREAM, count, 2 * j) + _uniform(seed, POISSON_STREAM, count, 2 * j + 1) * 2.0**-24


def make_driver(rhs, solver, reset, decay_channels):
    """The per-neuron event loop over a bound solver; returns ``advance(i, ...) -> status`` (plain Python).

    ``rhs``, ``reset`` and ``decay_channels(g, lam, s)`` are the generated bindings; ``solver`` is what
    :func:`~spikeloom.integrators.adaptive.make_dp5` returned for them.
    """
    step, error_norm, step_factor, dense, locate = solver

    @xp.function
    def sample(t, h, t_to, sample_dt, y, k, tr_y, tr_n, i, out):
        # trace samples on the grid k * sample_dt that fall in (t, t_to], read from the dense output
        while tr_n[i] < tr_y.shape[1] and tr_n[i] * sample_dt <= t_to:
            dense((tr_n[i] * sample_dt - t) / h, h, y, k, out)
            tr_y[i, tr_n[i], :] = out
            tr_n[i] += 1

    def advance(i, t_end, atol, rtol, dtmin, dtmax, event_tol, sample_dt,
                P, LAM, OUT, src_chan, src_w, cum_rate, seeds, ex_ptr, ex_t, ex_src,
                T, Y, G, H, pois_m, pois_next, ex_pos, counts, sp_t, sp_n, rec_t, rec_src, rec_n, tr_y, tr_n):
        n = Y.shape[1]
        y, g = Y[i], G[i]
        ctx = (P[i], g, LAM, OUT)
        k = np.empty((7, n))
        y_new, y_err, tmp, scratch = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        total_rate = cum_rate[i, cum_rate.shape[1] - 1]
        seed = seeds[i]
        t, h = T[i], H[i]
        m, t_pois, e = pois_m[i], pois_next[i], ex_pos[i]
        e_end = ex_ptr[i + 1]
        record = rec_t.shape[1] > 0
        n_samples = tr_y.shape[1]
        if t_pois != t_pois:  # NaN: first call, draw the first merged Poisson event
            t_pois = np.inf if total_rate <= 0.0 else -np.log(1.0 - _uniform48(seed, m, 0)) / total_rate
        if n_samples > 0 and tr_n[i] == 0:
            tr_y[i, 0, :] = y
            tr_n[i] = 1
        status = DONE
        while True:
            # ---- scheduled events at t: every input spike with this time, whatever its source ----------
            while t_pois <= t and status == DONE:
                if record and rec_n[i] == rec_t.shape[1]:
                    status = INPUTS_FULL
                    break
                s = np.searchsorted(cum_rate[i], _uniform48(seed, m, 1) * total_rate, side="right")
                s = min(s, cum_rate.shape[1] - 1)
                g[src_chan[s]] += src_w[s]
                if record:
                    rec_t[i, rec_n[i]] = t_pois
                    rec_src[i, rec_n[i]] = s
                    rec_n[i] += 1
                m += 1
                t_pois += -np.log(1.0 - _uniform48(seed, m, 0)) / total_rate
            while e < e_end and ex_t[e] <= t and status == DONE:
                if record and rec_n[i] == rec_t.shape[1]:
                    status = INPUTS_FULL
                    break
                g[src_chan[ex_src[e]]] += src_w[ex_src[e]]
                if record:
                    rec_t[i, rec_n[i]] = ex_t[e]
                    rec_src[i, rec_n[i]] = ex_src[e]
                    rec_n[i] += 1
                e += 1
            if status != DONE or t >= t_end:
                break
            t_stop = min(t_end, t_pois)
            if e < e_end:
                t_stop = min(t_stop, ex_t[e])
            # ---- adaptive steps up to the next scheduled event ----------------------------------------------
            fresh = True
            while t < t_stop:
                if sp_n[i] == sp_t.shape[1]:
                    status = SPIKES_FULL
                    break
                if fresh:  # start, or after a jump: the first stage cannot be reused from the last step
                    rhs(0.0, y, ctx, k[0])
                    fresh = False
                h_try = min(h, dtmax)
                last = t + 1.01 * h_try >= t_stop
                if last:
                    h_try = t_stop - t
                step(h_try, y, k, ctx, y_new, y_err, tmp)
                err = error_norm(y, y_new, y_err, atol, rtol)
                if not (err <= 1.0) and h_try > dtmin:
                    counts[i, 1] += 1
                    h = max(dtmin, h_try * step_factor(err))
                    if h <= 1e-12 * max(1.0, t):
                        status = STEP_UNDERFLOW
                        break
                    continue
                counts[i, 0] += 1
                if not (err <= 1.0):
                    counts[i, 2] += 1
                h_next = h_try * step_factor(err)
                if last:  # a step cut short by an event says little about the next one
                    h_next = max(h_next, h)
                h = min(max(h_next, dtmin), dtmax)
                if reset(y, y_new, ctx, scratch):
                    theta = locate(h_try, y, k, ctx, event_tol, tmp, scratch)
                    t_spike = t + theta * h_try
                    sample(t, h_try, t_spike, sample_dt, y, k, tr_y, tr_n, i, scratch)
                    if sp_n[i] > 0 and t_spike - sp_t[i, sp_n[i] - 1] <= event_tol:
                        status = SPIKE_LOOP
                        break
                    reset(y, tmp, ctx, scratch)
                    y[:] = scratch
                    decay_channels(g, LAM, theta * h_try)
                    t = t_spike
                    sp_t[i, sp_n[i]] = t
                    sp_n[i] += 1
                    fresh = True
                else:
                    sample(t, h_try, t + h_try, sample_dt, y, k, tr_y, tr_n, i, scratch)
                    decay_channels(g, LAM, h_try)
                    t = t_stop if last else t + h_try
                    y[:] = y_new
                    k[0, :] = k[6, :]
                if not np.all(np.isfinite(y)):
                    status = NONFINITE
                    break
            if status != DONE:
                break
        T[i], H[i] = t, h
        pois_m[i], pois_next[i], ex_pos[i] = m, t_pois, e
        return status

    return advance


#: arguments of the compiled ``run_batch(status, ...)`` after ``status``, in order
ARG_NAMES = ("t_end", "atol", "rtol", "dtmin", "dtmax", "event_tol", "sample_dt",
             "P", "LAM", "OUT", "src_chan", "src_w", "cum_rate", "seeds", "ex_ptr", "ex_t", "ex_src",
             "T", "Y", "G", "H", "pois_m", "pois_next", "ex_pos", "counts", "sp_t", "sp_n",
             "rec_t", "rec_src", "rec_n", "tr_y", "tr_n")


def _call(fn: str, args: list[str], names: dict[str, str], what: str) -> str:
    missing = [a for a in args if a not in names]
    if missing:
        raise ModelError(f"{what} needs {missing}, which an event-driven run cannot provide "
                         f"(it provides {sorted(names)})")
    return f"{fn}({', '.join(names[a] for a in args)})"


def generate(neuron_cls, synapse_cls, output_cls, parallel: bool) -> str:
    """Source of the module that defines ``run_batch`` for these model classes."""
    ode = list(neuron_cls.ode_vars)
    if set(neuron_cls.state) != set(ode):
        raise ModelError(f"{neuron_cls.__name__}: event-driven integration needs every state variable to be an "
                         f"ODE variable; {sorted(set(neuron_cls.state) - set(ode))} are counted in time steps")
    if len(synapse_cls.state) != 1:
        raise ModelError(f"{synapse_cls.__name__}: input channels must be one-state linear synapses "
                         f"(state {list(synapse_cls.state)})")
    params = {p: f"P[{j}]" for j, p in enumerate(neuron_cls.parameters)}
    vf_names = {**params, **{v: f"y[{j}]" for j, v in enumerate(ode)}, "I": "I"}
    tr_names = {**params, **{v: f"y0[{j}]" for j, v in enumerate(ode)},
                **{f"{v}_new": f"y1[{j}]" for j, v in enumerate(ode)}}
    (g_var,) = synapse_cls.state
    decay_args = argnames(synapse_cls.decay(_Probe))
    decay_names = {g_var: "G[c]", **{a: "math.exp(LAM[c] * s)" for a in decay_args if a != g_var}}
    out_names = {"g": "_cond(gs)", "V": "y[0]", **{p: f"OUT[{j}, c]" for j, p in enumerate(output_cls.parameters)}}
    n = len(ode)
    lines = [
        '"""Generated by spikeloom for one event-driven model structure; do not edit (it is regenerated)."""',
        "import math",
        "import numba",
        "import numpy as np",
        "from spikeloom.engines.numba import mathlib as xp",
        "from spikeloom.engines.numba.adaptive import make_driver",
        "from spikeloom.integrators.adaptive import make_dp5",
        f"from {neuron_cls.__module__} import {neuron_cls.__qualname__} as _N",
        f"from {synapse_cls.__module__} import {synapse_cls.__qualname__} as _S",
        f"from {output_cls.__module__} import {output_cls.__qualname__} as _O",
        "_inline = numba.njit(inline='always')",
        "_vf = _inline(_N.vector_field(xp))",
        "_tr = _inline(_N.threshold_reset(xp))",
        "_decay = _inline(_S.decay(xp))",
        "_cond = _inline(_S.conductance(xp))",
        "_out = _inline(_O.current(xp))",
        "",
        "",
        "@numba.njit",
        "def _decay_channels(G, LAM, s):",
        "    for c in range(G.shape[0]):",
        f"        G[c] = {_call('_decay', decay_args, decay_names, synapse_cls.__name__ + '.decay')}[0]",
        "",
        "",
        "@_inline",
        "def _rhs(s, y, ctx, out):",
        "    P, G, LAM, OUT = ctx",
        "    I = 0.0",
        "    for c in range(G.shape[0]):",
        f"        gs = {_call('_decay', decay_args, decay_names, synapse_cls.__name__ + '.decay')}[0]",
        f"        I += {_call('_out', argnames(output_cls.current(_Probe)), out_names, output_cls.__name__ + '.current')}",
        f"    d = {_call('_vf', argnames(neuron_cls.vector_field(_Probe)), vf_names, neuron_cls.__name__ + '.vector_field')}",
        *(f"    out[{j}] = d[{j}]" for j in range(n)),
        "",
        "",
        "@numba.njit",
        "def _reset(y0, y1, ctx, out):",
        "    P = ctx[0]",
        f"    r = {_call('_tr', argnames(neuron_cls.threshold_reset(_Probe)), tr_names, neuron_cls.__name__ + '.threshold_reset')}",
        *(f"    out[{j}] = r[{j}]" for j in range(n)),
        f"    return r[{n}]",
        "",
        "",
        "_advance = numba.njit(make_driver(_rhs, make_dp5(xp, _rhs, _reset), _reset, _decay_channels))",
        "",
        "",
        f"@numba.njit(cache=True, nogil=True, parallel={parallel})",
        f"def run_batch(status, {', '.join(ARG_NAMES)}):",
        f"    for i in {'numba.prange' if parallel else 'range'}(status.shape[0]):",
        "        if status[i] == -1:",
        f"            status[i] = _advance(i, {', '.join(ARG_NAMES)})",
    ]
    return "\n".join(lines) + "\n"


class EventDrivenProgram:
    """The compiled batch driver for one (neuron, synapse, output) class triple."""

    def __init__(self, neuron_cls, synapse_cls, output_cls, parallel: bool):
        self.source = generate(neuron_cls, synapse_cls, output_cls, parallel)
        self.module = _import_generated(self.source)

    def __call__(self, status: np.ndarray, args: dict) -> None:
        call_healing(self.module.run_batch, status, *(args[name] for name in ARG_NAMES))


def run_batch(program: EventDrivenProgram, args: dict, spike_capacity: int, input_capacity: int) -> dict:
    """Run every neuron of ``args`` to ``args["t_end"]``, growing the spike and input buffers when they fill.

    Returns ``args`` with the buffers filled, plus ``compile_s`` (compiling or loading the cached code, by a
    call in which every neuron is already done) and ``run_s``.
    """
    n = args["Y"].shape[0]
    args["sp_t"], args["sp_n"] = np.zeros((n, spike_capacity)), np.zeros(n, np.int64)
    args["rec_t"], args["rec_src"] = np.zeros((n, input_capacity)), np.zeros((n, input_capacity), np.int64)
    args["rec_n"] = np.zeros(n, np.int64)
    status = np.full(n, DONE, np.int64)
    t0 = time.perf_counter()
    program(status, args)
    compile_s = time.perf_counter() - t0
    status[:] = PENDING
    t0 = time.perf_counter()
    while True:
        program(status, args)
        for code, buf in ((SPIKES_FULL, ("sp_t",)), (INPUTS_FULL, ("rec_t", "rec_src"))):
            if np.any(status == code):
                grown = sum(2.0 * args[name].nbytes for name in buf)
                validate.memory(grown, f"event-driven run: the {'spike' if code == SPIKES_FULL else 'input'} "
                                f"buffers of {n} neurons", fix="record fewer inputs or run for less time")
                for name in buf:
                    old = args[name]
                    args[name] = np.zeros((n, 2 * old.shape[1]), old.dtype)
                    args[name][:, :old.shape[1]] = old
                status[status == code] = PENDING
        bad = np.flatnonzero(status > 0)
        if bad.size:
            i = int(bad[0])
            raise SimulationError(f"event-driven run: neuron {i} stopped at t = {args['T'][i]:.6g} ms: "
                                  f"{_FAILURES[int(status[i])]}; state {args['Y'][i]}")
        if np.all(status == DONE):
            break
    return dict(args, compile_s=compile_s, run_s=time.perf_counter() - t0)


_FAILURES = {
    NONFINITE: "a state variable became NaN or infinite",
    STEP_UNDERFLOW: "the step size fell below 1e-12 ms (set dtmin, or check the model for a blow-up)",
    SPIKE_LOOP: "the state after the reset crosses the threshold again at once (check the reset parameters)",
}
