"""PyNN's standard cell types mapped onto spikeloom's neuron models.

Each class takes its parameter names, defaults and units from :mod:`pyNN.standardmodels.cells` and adds
``translations`` to spikeloom's names (spikeloom's units: mV, ms, pF, pA, nS, GOhm) plus three hooks the
builder (:mod:`spikeloom.pynn.simulator`) calls:

- ``sl_neuron(n, native, init)``: the spikeloom population;
- ``sl_current(native)``: a constant current (pA, per neuron) added to the population's input, or None;
- ``sl_receptor(receptor_type, native)``: ``(synapse, output, weight scale, weight unit)`` of a projection
  onto this cell type (PyNN weights are nA or uS; spikeloom's pA or nS, hence a scale of 1000);
- ``sl_state``: PyNN state variable -> (spikeloom variable, scale PyNN -> spikeloom), or a projection
  variable (``("g", receptor)``: the synapse state summed over the projections of that receptor).

Mappings (PyNN's NEST backend uses the same NEST models, so the semantics are NEST's):
``IF_curr_exp``/``IF_curr_alpha`` -> :class:`~spikeloom.IafPscExp`/:class:`~spikeloom.IafPscAlpha` (exact);
``IF_cond_exp``/``IF_cond_alpha`` -> :class:`~spikeloom.LIF` (R = tau_m / cm) with ``Exponential``/``Alpha``
conductances (peak-normalized, as NEST's) and ``COBA`` outputs; ``EIF_cond_exp_isfa_ista`` ->
:class:`~spikeloom.AdEx`; ``HH_cond_exp`` -> :class:`~spikeloom.HH` (Traub-Miles, NEST's
``hh_cond_exp_traub``); ``Izhikevich`` -> :class:`~spikeloom.Izhikevich` with C = 1 pF, k = 0.04 and v_r, v_t
the roots of 0.04 v^2 + 5 v + 140 (Izhikevich 2003 written in the 2007 form: u shifted by b v_r and a
constant current -b v_r); ``IF_curr_delta`` -> ``LIF`` with ``Delta`` synapses (weights in mV);
``SpikeSourcePoisson`` -> :class:`~spikeloom.PoissonGroup` (or trains drawn at build time when start/duration
cut a window into the run), ``SpikeSourcePoissonRefractory`` and ``SpikeSourceGamma`` -> trains drawn at
build time; ``SpikeSourceArray`` -> :class:`~spikeloom.SpikeGeneratorGroup`.
"""

from __future__ import annotations

import math

import numpy as np
from pyNN import errors
from pyNN.standardmodels import build_translations, cells

import spikeloom as sl

#: PyNN weights (nA, uS) to spikeloom's (pA, nS)
KILO = 1000.0


def _uniform(native, name: str, cell: str) -> float:
    """One value of a per-neuron parameter that spikeloom keeps per projection (a synapse time constant or
    reversal potential) over the targets of one projection (the projection is split so that it is one)."""
    values = np.atleast_1d(np.asarray(native[name], dtype=float))
    if values.size and np.ptp(values) > 0:
        raise NotImplementedError(f"{cell}: spikeloom keeps {name} per projection, not per neuron (got "
                                  f"{values.min():g} to {values.max():g} among one projection's targets)")
    return float(values.flat[0]) if values.size else 0.0


def _excitatory(receptor_type: str, cell: str) -> bool:
    if receptor_type not in ("excitatory", "inhibitory"):
        raise errors.ConnectionError(f"{cell} has receptor types 'excitatory' and 'inhibitory', not "
                                     f"{receptor_type!r}")
    return receptor_type == "excitatory"


class _Cell:
    """The spikeloom hooks shared by every cell type (see the module)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # a class named after a PyNN standard type takes that type's docstring, defaults, units and recordables,
        # which its bases may not give first (EIF_cond_exp_isfa_ista reuses IF_cond_exp's hooks)
        std = getattr(cells, cls.__name__, None)
        if std is None:
            return
        if cls.__dict__.get("__doc__") is None:
            cls.__doc__ = std.__doc__
        for attr in ("default_parameters", "default_initial_values", "recordable", "units"):
            if attr not in cls.__dict__ and hasattr(std, attr):
                setattr(cls, attr, getattr(std, attr))

    sl_state: dict = {}
    #: native parameters that belong to the projections onto the cell, not to the spikeloom neuron
    sl_synaptic: tuple = ()
    #: native parameters that ``sl_receptor`` reads (projections are split where they differ between targets)
    sl_receptor_parameters: tuple = ()

    def sl_params(self, native) -> dict:
        return {k: np.asarray(v, dtype=float) for k, v in native.items() if k not in self.sl_synaptic + ("i_offset",)}

    def sl_current(self, native):
        if "i_offset" not in native:
            return None
        values = np.asarray(native["i_offset"], dtype=float)
        return values if np.any(values != 0) else None

    #: integration method of the spikeloom model (None: the model's default)
    sl_method = None

    def sl_neuron(self, n: int, native, init: dict):
        method = {} if self.sl_method is None else {"method": self.sl_method}
        return self.sl_model(n, init=init, **method, **self.sl_params(native))


class _CurrentBased(_Cell):
    sl_state = {"v": ("V_m", 1.0), "isyn_exc": ("I_ex", KILO), "isyn_inh": ("I_in", KILO)}

    def sl_receptor(self, receptor_type, native):
        exc = _excitatory(receptor_type, type(self).__name__)
        synapse = self.sl_model.excitatory() if exc else self.sl_model.inhibitory()
        return synapse, None, KILO


class IF_curr_exp(_CurrentBased, cells.IF_curr_exp):
    translations = build_translations(
        ("v_rest", "E_L"), ("v_reset", "V_reset"), ("cm", "C_m", KILO), ("tau_m", "tau_m"),
        ("tau_refrac", "t_ref"), ("tau_syn_E", "tau_syn_ex"), ("tau_syn_I", "tau_syn_in"),
        ("v_thresh", "V_th"), ("i_offset", "I_e", KILO))
    sl_model = sl.IafPscExp

    def sl_current(self, native):
        return None  # i_offset is the model's own I_e


class IF_curr_alpha(IF_curr_exp):
    sl_model = sl.IafPscAlpha


class IF_curr_delta(_Cell, cells.IF_curr_delta):
    translations = build_translations(
        ("v_rest", "V_rest"), ("v_reset", "V_reset"), ("v_thresh", "V_th"), ("tau_m", "tau"),
        ("tau_refrac", "tau_ref"), ("cm", "R", "tau_m / (cm * 1000.0)", "tau / (R * 1000.0)"),
        ("i_offset", "i_offset", KILO))
    sl_model = sl.LIF
    sl_state = {"v": ("V", 1.0)}
    sl_receptor_parameters = ("tau", "R")

    def sl_receptor(self, receptor_type, native):
        _excitatory(receptor_type, type(self).__name__)
        cell = type(self).__name__
        return sl.Delta(tau_m=_uniform(native, "tau", cell), R=_uniform(native, "R", cell)), sl.CUBA(), 1.0


class IF_cond_exp(_Cell, cells.IF_cond_exp):
    translations = build_translations(
        ("v_rest", "V_rest"), ("v_reset", "V_reset"), ("v_thresh", "V_th"), ("tau_m", "tau"),
        ("tau_refrac", "tau_ref"), ("cm", "R", "tau_m / (cm * 1000.0)", "tau / (R * 1000.0)"),
        ("tau_syn_E", "tau_syn_E"), ("tau_syn_I", "tau_syn_I"), ("e_rev_E", "e_rev_E"),
        ("e_rev_I", "e_rev_I"), ("i_offset", "i_offset", KILO))
    sl_model = sl.LIF
    sl_synapse = sl.Exponential
    sl_synaptic = sl_receptor_parameters = ("tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")
    sl_state = {"v": ("V", 1.0), "gsyn_exc": ("g", "excitatory"), "gsyn_inh": ("g", "inhibitory")}

    def sl_receptor(self, receptor_type, native):
        cell = type(self).__name__
        suffix = "E" if _excitatory(receptor_type, cell) else "I"
        synapse = self.sl_synapse(tau=_uniform(native, f"tau_syn_{suffix}", cell))
        return synapse, sl.COBA(E=_uniform(native, f"e_rev_{suffix}", cell)), KILO


class IF_cond_alpha(IF_cond_exp):
    sl_synapse = sl.Alpha


class EIF_cond_exp_isfa_ista(IF_cond_exp, cells.EIF_cond_exp_isfa_ista):
    translations = build_translations(
        ("cm", "C", KILO), ("tau_refrac", "tau_ref"), ("v_spike", "V_peak"), ("v_reset", "V_reset"),
        ("v_rest", "E_L"), ("tau_m", "g_L", "cm * 1000.0 / tau_m", "C / g_L"), ("i_offset", "i_offset", KILO),
        ("a", "a"), ("b", "b", KILO), ("delta_T", "Delta_T"), ("tau_w", "tau_w"), ("v_thresh", "V_T"),
        ("e_rev_E", "e_rev_E"), ("tau_syn_E", "tau_syn_E"), ("e_rev_I", "e_rev_I"), ("tau_syn_I", "tau_syn_I"))
    sl_model = sl.AdEx
    sl_state = {**IF_cond_exp.sl_state, "w": ("w", KILO)}


class EIF_cond_alpha_isfa_ista(EIF_cond_exp_isfa_ista):
    sl_synapse = sl.Alpha


class HH_cond_exp(IF_cond_exp, cells.HH_cond_exp):
    translations = build_translations(
        ("gbar_Na", "g_Na", KILO), ("gbar_K", "g_K", KILO), ("g_leak", "g_L", KILO), ("cm", "C", KILO),
        ("v_offset", "V_T"), ("e_rev_Na", "E_Na"), ("e_rev_K", "E_K"), ("e_rev_leak", "E_L"),
        ("e_rev_E", "e_rev_E"), ("e_rev_I", "e_rev_I"), ("tau_syn_E", "tau_syn_E"), ("tau_syn_I", "tau_syn_I"),
        ("i_offset", "i_offset", KILO))
    sl_model = sl.HH
    sl_state = {**IF_cond_exp.sl_state, "m": ("m", 1.0), "h": ("h", 1.0), "n": ("n", 1.0)}


# roots of 0.04 v^2 + 5 v + 140 (mV): the 2003 quadratic as k (v - v_r)(v - v_t) with k = 0.04
_IZH_VR = (-5.0 - math.sqrt(25.0 - 4 * 0.04 * 140.0)) / (2 * 0.04)
_IZH_VT = (-5.0 + math.sqrt(25.0 - 4 * 0.04 * 140.0)) / (2 * 0.04)


class Izhikevich(_Cell, cells.Izhikevich):
    translations = build_translations(
        ("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"), ("i_offset", "i_offset", KILO))
    sl_model = sl.Izhikevich
    sl_method = "euler"  # NEST's izhikevich takes forward Euler steps of dt
    sl_state = {"v": ("v", 1.0), "u": ("u", 1.0)}

    def sl_params(self, native):
        p = super().sl_params(native)
        return dict(p, C=1.0, k=0.04, v_r=_IZH_VR, v_t=_IZH_VT, v_peak=30.0)

    def sl_current(self, native):
        # 2003 form: -u = -(u_2007 + b v_r), a constant current -b v_r (pA with C = 1 pF, as NEST's I_e)
        b = np.asarray(native["b"], dtype=float)
        return np.asarray(native["i_offset"], dtype=float) - b * _IZH_VR

    @staticmethod
    def sl_shift(native):
        """u_2007 = u_2003 - b v_r (added to PyNN's u when written, subtracted when read)."""
        return -np.asarray(native["b"], dtype=float) * _IZH_VR

    def sl_receptor(self, receptor_type, native):
        raise NotImplementedError("Izhikevich: synaptic input is not supported by spikeloom.pynn (NEST's model "
                                  "jumps v by the weight; spikeloom's Delta synapse needs a LIF membrane); "
                                  "drive it with current sources")


def _renewal_trains(n, rng, lo, hi, draw_intervals):
    """Spike trains of ``n`` renewal processes on ``[lo_i, hi_i)`` (ms), stationary from ``lo_i`` on (the
    first spike after an interval drawn like the others): ``draw_intervals(i, k)`` gives ``k`` intervals (ms)
    of train ``i``. Returns (times, indices) sorted by train."""
    times, idx = [], []
    for i in range(n):
        if hi[i] <= lo[i]:
            continue
        t, parts = lo[i], []
        while t < hi[i]:
            chunk = t + np.cumsum(draw_intervals(i, 64))
            parts.append(chunk[chunk < hi[i]])
            t = chunk[-1]
        train = np.concatenate(parts)
        times.append(train)
        idx.append(np.full(train.size, i))
    if not times:
        return np.zeros(0), np.zeros(0, int)
    return np.concatenate(times), np.concatenate(idx)


class _DrawnSource(_Cell):
    """A spike source whose trains are drawn when the network is built, from ``t_now`` to ``t_stop``, within
    each neuron's window [start, start + duration), on NEST's grid (spike times rounded to steps, at most one
    spike per step)."""

    sl_model = sl.SpikeGeneratorGroup

    def sl_window(self, n, native, t_now, t_stop):
        start = np.broadcast_to(np.asarray(native["start"], dtype=float), (n,))
        stop = start + np.broadcast_to(np.asarray(native["duration"], dtype=float), (n,))
        return np.maximum(start, t_now), np.minimum(stop, t_stop)

    def sl_neuron(self, n, native, init, rng=None, t_now=0.0, t_stop=None, dt=0.1):
        lo, hi = self.sl_window(n, native, t_now, t_stop)
        times, idx = _renewal_trains(n, rng, lo, hi, self.sl_intervals(n, native, rng))
        steps = np.maximum(np.ceil(times / dt - 1e-9).astype(np.int64), 1)
        pairs = np.unique(np.stack([steps, idx]), axis=1) if steps.size else np.zeros((2, 0), int)
        return sl.SpikeGeneratorGroup(n, times=pairs[0] * dt, indices=pairs[1])


class SpikeSourcePoisson(_DrawnSource, cells.SpikeSourcePoisson):
    translations = build_translations(("rate", "rate"), ("start", "start"), ("duration", "duration"))

    def sl_neuron(self, n, native, init, rng=None, t_now=0.0, t_stop=None, dt=0.1):
        """A PoissonGroup (drawn in the loop) when every train is on from ``t_now`` to ``t_stop``; else trains
        drawn now."""
        rate = np.broadcast_to(np.asarray(native["rate"], dtype=float), (n,))
        lo, hi = self.sl_window(n, native, t_now, t_stop)
        if np.all(lo <= t_now) and np.all(hi >= t_stop):
            return sl.PoissonGroup(n, rate=rate.copy())
        return super().sl_neuron(n, native, init, rng, t_now, t_stop, dt)

    def sl_intervals(self, n, native, rng):
        rate = np.broadcast_to(np.asarray(native["rate"], dtype=float), (n,))
        return lambda i, k: rng.exponential(1e3 / rate[i], k) if rate[i] > 0 else np.full(k, np.inf)


class SpikeSourcePoissonRefractory(_DrawnSource, cells.SpikeSourcePoissonRefractory):
    """Poisson trains with a dead time; the rate is the mean rate (intervals: ``tau_refrac`` plus an
    exponential interval of mean ``1/rate - tau_refrac``, as NEST's ``poisson_generator_ps``)."""

    translations = build_translations(("rate", "rate"), ("tau_refrac", "tau_refrac"), ("start", "start"),
                                      ("duration", "duration"))

    def sl_intervals(self, n, native, rng):
        rate = np.broadcast_to(np.asarray(native["rate"], dtype=float), (n,))
        dead = np.broadcast_to(np.asarray(native["tau_refrac"], dtype=float), (n,))

        def draw(i, k):
            if rate[i] <= 0:
                return np.full(k, np.inf)
            return dead[i] + rng.exponential(1e3 / rate[i] - dead[i], k)

        return draw


class SpikeSourceGamma(_DrawnSource, cells.SpikeSourceGamma):
    """Gamma-process trains: intervals Gamma(shape ``alpha``, rate ``beta`` Hz)."""

    translations = build_translations(("alpha", "alpha"), ("beta", "beta"), ("start", "start"),
                                      ("duration", "duration"))

    def sl_intervals(self, n, native, rng):
        alpha = np.broadcast_to(np.asarray(native["alpha"], dtype=float), (n,))
        beta = np.broadcast_to(np.asarray(native["beta"], dtype=float), (n,))
        return lambda i, k: rng.gamma(alpha[i], 1e3 / beta[i], k) if beta[i] > 0 else np.full(k, np.inf)


class SpikeSourceArray(_Cell, cells.SpikeSourceArray):
    translations = build_translations(("spike_times", "spike_times"))
    sl_model = sl.SpikeGeneratorGroup

    @staticmethod
    def sl_check(native):
        """Spike times must be in increasing order (as NEST requires)."""
        for seq in np.atleast_1d(native["spike_times"]):
            if np.any(np.diff(np.asarray(seq.value, dtype=float)) < 0):
                raise errors.InvalidParameterValueError(f"SpikeSourceArray: spike times must be in increasing "
                                                        f"order, got {seq.value}")

    def sl_neuron(self, n, native, init, dt=0.1, t_now=0.0):
        trains = [np.asarray(s.value, dtype=float) for s in np.broadcast_to(native["spike_times"], (n,))]
        times = np.concatenate(trains) if trains else np.zeros(0)
        idx = np.repeat(np.arange(n), [t.size for t in trains])
        # NEST's spike_generator: times on the grid, one spike per step (a time at 0 is never emitted)
        steps = np.rint(times / dt).astype(np.int64)
        keep = (steps >= 1) & (steps * dt > t_now + 0.5 * dt)  # spikes not yet emitted
        pairs = np.unique(np.stack([steps[keep], idx[keep]]), axis=1) if keep.any() else np.zeros((2, 0), int)
        return sl.SpikeGeneratorGroup(n, times=pairs[0] * dt, indices=pairs[1])

