"""Conversion of a :class:`~spikeloom.run.result.Result` to a Neo ``Block``, the data model Elephant analyses.

One ``Block`` with one ``Segment``: a ``SpikeTrain`` (ms) per neuron of every spike-monitored population, silent
neurons included, annotated with ``population`` and ``neuron_index`` and gathered per population in a ``Group``
of that name; an ``AnalogSignal`` per trace ``"pop.var"`` (samples x monitored indices, sampling period
``every * dt``) whose array annotation ``index`` names the neuron (or synapse slot) of each channel. neo and
quantities are optional dependencies (extra ``neo``), imported only here.
"""

from __future__ import annotations

import numpy as np

from ..units import CANONICAL
from .nwb import SI_UNIT, require, run_facts, trace_every, trace_units


def _quantity_unit(unit: str | None, pq):
    """The quantities unit of canonical ``unit``: its own name where quantities knows it (mV, pA, ...), else the
    SI unit with the scale (GOhm); dimensionless when the variable declares no unit."""
    if unit is None or unit == "1":
        return pq.dimensionless
    try:
        return pq.Quantity(1.0, unit).units
    except (LookupError, ValueError):
        return pq.CompoundUnit(f"{CANONICAL[unit][1]!r}*{SI_UNIT[unit]}")


def _spike_trains(result, pop: str, neo, pq) -> list:
    """One train per neuron of ``pop``, ascending times; ``t_stop`` is the end of the run (widened to the last
    spike, so the rounding of ``t_start + n_steps * dt`` cannot put a spike of the last step past it)."""
    st = result.spikes[pop]
    t, idx = np.asarray(st.times, np.float64), np.asarray(st.indices, np.int64)
    order = np.lexsort((t, idx))
    per_neuron = np.split(t[order], np.cumsum(np.bincount(idx, minlength=st.n))[:-1])
    t_stop = max(result.t_start + result.n_steps * result.dt, float(t.max()) if t.size else result.t_start)
    return [neo.SpikeTrain(times, units=pq.ms, t_start=result.t_start * pq.ms, t_stop=t_stop * pq.ms,
                           name=f"{pop}[{i}]", population=pop, neuron_index=i) for i, times in enumerate(per_neuron)]


def _analog_signal(result, key: str, unit: str | None, neo, pq):
    owner, _, var = key.rpartition(".")
    every = trace_every(result, key)
    return neo.AnalogSignal(np.asarray(result.traces[key]), units=_quantity_unit(unit, pq),
                            sampling_period=every * result.dt * pq.ms,
                            t_start=(result.t_start + every * result.dt) * pq.ms, name=key,
                            population=owner, variable=var, unit_declared=unit is not None,
                            array_annotations={"index": np.asarray(result.trace_indices[key], np.int64)})


def to_neo(result, network=None):
    """``result`` as a ``neo.Block`` (see the module docstring); ``network`` (the simulated
    :class:`~spikeloom.Network`) gives the traces their units, without it they are dimensionless."""
    neo = require("neo", "neo", "Result.to_neo")
    pq = require("quantities", "neo", "Result.to_neo")
    block = neo.Block(name="spikeloom result", **run_facts(result))
    seg = neo.Segment(name="run", index=0)
    block.segments.append(seg)
    groups = {pop: _spike_trains(result, pop, neo, pq) for pop in result.spikes}
    # neo checks each added object against the list's current items, so each list is filled by one ``extend``
    # while empty (linear) rather than object by object (quadratic: minutes at 10^5 neurons)
    seg.spiketrains.extend([t for trains in groups.values() for t in trains])
    for pop, trains in groups.items():
        group = neo.Group(name=pop, allowed_types=[neo.SpikeTrain])
        group.spiketrains.extend(trains)
        block.groups.append(group)
    for key, unit in trace_units(result, network).items():
        seg.analogsignals.append(_analog_signal(result, key, unit, neo, pq))
    return block
