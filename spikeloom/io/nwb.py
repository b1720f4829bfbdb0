"""Export of a :class:`~spikeloom.run.result.Result` to Neurodata Without Borders (NWB 2, through pynwb).

Layout (see ``docs/formats.md``): the ``units`` table has one row per neuron of every spike-monitored population,
silent neurons included, with the columns ``spike_times`` (s), ``population`` and ``neuron_index``; every trace
``"pop.var"`` is a ``TimeSeries`` of that name in ``acquisition`` (samples x monitored indices, stored in the
model's canonical unit with ``conversion`` to SI); the run's facts and the caller's metadata are a JSON object in
the file's ``notes``. pynwb is an optional dependency (extra ``nwb``), imported only when a file is written.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import uuid

import numpy as np

from .. import __version__
from .._errors import ModelDefinitionError, SpikeloomError
from ..units import CANONICAL
from .atomic import atomic_path

#: canonical unit -> the SI unit its values are converted to (scale in :data:`spikeloom.units.CANONICAL`)
SI_UNIT = {"mV": "V", "ms": "s", "nS": "S", "pA": "A", "pF": "F", "GOhm": "Ohm", "Hz": "Hz", "1/ms": "1/s",
           "nS/mV": "S/V", "1": "dimensionless"}
#: unit string of a trace whose variable declares no unit (a counter such as ``refractory``, or an unknown key)
NO_UNIT = "a.u."


def require(module: str, extra: str, what: str):
    """Import optional dependency ``module``, or raise a :class:`~spikeloom.SpikeloomError` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SpikeloomError(f"{what} needs the package {module!r}, which is not installed: "
                             f"pip install 'spikeloom[{extra}]'") from None


def trace_units(result, network=None) -> dict[str, str | None]:
    """Canonical unit (a key of :data:`spikeloom.units.CANONICAL`, or None) of every trace of ``result``, read
    from the declarations of ``network``'s models: a neuron's ``state_unit`` or a synapse's ``state_unit`` given
    its projection's weight unit. Without a network (or for a key it does not know) the unit is None."""
    pops = network.populations() if network is not None else {}
    projs = network.projections() if network is not None else {}
    units = {}
    for key in result.traces:
        owner, _, var = key.rpartition(".")
        if owner in pops and var in type(pops[owner]).state:
            units[key] = type(pops[owner]).state_unit(var)
        elif owner in projs and var in projs[owner].synapse.state:
            units[key] = projs[owner].synapse.state_unit(var, projs[owner].weight_unit)
        else:
            units[key] = None
    return units


def trace_every(result, key: str) -> int:
    """Steps between two samples of trace ``key``: its first sample is ``every`` steps after ``t_start``, its
    samples lie ``every * dt`` apart (raises naming the trace if its times are not that grid)."""
    times = np.asarray(result.trace_times[key], dtype=np.float64)
    if times.size == 0:
        return 1
    every = max(int(round((times[0] - result.t_start) / result.dt)), 1)
    grid = result.t_start + result.dt * every * np.arange(1, times.size + 1)
    if not np.allclose(times, grid, rtol=0.0, atol=1e-6 * result.dt):
        raise ModelDefinitionError(f"trace {key!r}: its sample times are not a regular grid of every {every} steps "
                                   f"of dt = {result.dt} ms from t_start = {result.t_start} ms")
    return every


def run_facts(result) -> dict:
    """The run's own facts, stored next to the caller's metadata."""
    return {"dt_ms": float(result.dt), "t_start_ms": float(result.t_start), "n_steps": int(result.n_steps),
            "interrupted": bool(result.interrupted), "population_sizes": {p: int(n) for p, n in result.sizes.items()},
            "spike_counts": {p: int(np.sum(c)) for p, c in result.spike_counts.items()}}


def _json(value, where: str):
    """``value`` with numpy scalars and arrays as Python numbers and lists; anything else not JSON raises."""
    if isinstance(value, dict):
        return {str(k): _json(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise ModelDefinitionError(f"Result.to_nwb: {where} is a {type(value).__name__} ({value!r:.60}); metadata "
                               "must hold numbers, strings, booleans, None, lists and dicts (it is stored as JSON)")


def _simulation_subject(pynwb):
    """NWB expects a subject (nwbinspector rates its absence critical); a simulation has none, so the subject
    says so: sex unknown, age the open range "at least 0 days" (true of anything), no species."""
    return pynwb.file.Subject(subject_id="simulation", sex="U", age="P0D/",
                              description="no animal: the data come from a simulated network (spikeloom)")


def _units_table(result, pynwb):
    """One row per neuron of each spike-monitored population, built column by column (no per-row calls)."""
    from hdmf.common import VectorData, VectorIndex

    times, ends, pops, neurons = [], [], [], []
    end = 0
    for pop, st in result.spikes.items():
        t, idx, n = np.asarray(st.times, np.float64), np.asarray(st.indices, np.int64), int(st.n)
        order = np.lexsort((t, idx))  # by neuron, then time: every unit's train ascends
        times.append(t[order] * 1e-3)
        ends.append(end + np.cumsum(np.bincount(idx, minlength=n)))
        end += idx.size
        pops += [pop] * n
        neurons.append(np.arange(n, dtype=np.int64))
    spike_times = VectorData(name="spike_times", description="spike times (s) of each unit, ascending",
                             data=np.concatenate(times))
    columns = [spike_times,
               VectorIndex(name="spike_times_index", data=np.concatenate(ends).astype(np.int64), target=spike_times),
               VectorData(name="population", description="name of the spikeloom population of the neuron",
                          data=pops),
               VectorData(name="neuron_index", description="index of the neuron within its population",
                          data=np.concatenate(neurons))]
    return pynwb.misc.Units(name="units", columns=columns, id=np.arange(len(pops)),
                            description="simulated neurons: one unit per neuron of every spike-monitored population",
                            resolution=result.dt * 1e-3)


def _trace_series(result, key: str, unit: str | None, pynwb):
    owner, _, var = key.rpartition(".")
    every = trace_every(result, key)
    indices = np.asarray(result.trace_indices[key]).tolist()
    first = result.trace_times[key][0] if len(result.trace_times[key]) else result.t_start + every * result.dt
    return pynwb.TimeSeries(
        name=key, data=np.asarray(result.traces[key]),
        unit=SI_UNIT[unit] if unit is not None else NO_UNIT,
        conversion=CANONICAL[unit][1] if unit is not None else 1.0,
        starting_time=float(first) * 1e-3, rate=1e3 / (every * result.dt),
        description=f"state variable {var!r} of {owner!r} (samples x monitored indices), sampled at the end of "
                    f"every {every} step(s); 'comments' holds the JSON list of the monitored indices, one per column",
        comments=json.dumps(indices))


def to_nwb(result, path, metadata: dict | None = None, network=None, session_start_time=None) -> None:
    """Write ``result`` to the NWB file ``path`` (see the module docstring for the layout).

    ``metadata`` (JSON-like: numbers, strings, lists, dicts) is stored with the run's facts as JSON in the
    file's ``notes``. ``network`` (the simulated :class:`~spikeloom.Network`) gives traces their units; without
    it they are stored unconverted with unit ``"a.u."``. ``session_start_time`` (a timezone-aware datetime)
    defaults to now. The file is written under a temporary name and moved over ``path`` when complete."""
    pynwb = require("pynwb", "nwb", "Result.to_nwb")
    notes = json.dumps({"run": run_facts(result), "metadata": _json(metadata or {}, "metadata")})
    start = session_start_time or datetime.datetime.now().astimezone()
    if not isinstance(start, datetime.datetime) or start.tzinfo is None:
        raise ModelDefinitionError(f"Result.to_nwb: session_start_time must be a timezone-aware datetime, got "
                                   f"{start!r:.80}")
    nwbfile = pynwb.NWBFile(
        session_description=f"spikeloom simulation: {result.n_steps} steps of dt = {result.dt} ms "
                            f"from t = {result.t_start} ms",
        identifier=str(uuid.uuid4()), session_start_time=start, notes=notes,
        was_generated_by=[["spikeloom", __version__]], subject=_simulation_subject(pynwb),
        keywords=["simulation", "spiking neural network"])
    if result.spikes:
        nwbfile.units = _units_table(result, pynwb)
    for key, unit in trace_units(result, network).items():
        nwbfile.add_acquisition(_trace_series(result, key, unit, pynwb))
    try:
        with atomic_path(path) as tmp, pynwb.NWBHDF5IO(tmp, "w") as io:
            io.write(nwbfile)
    except OSError as err:
        raise ModelDefinitionError(f"Result.to_nwb: cannot write {os.fspath(path)!r} ({err.strerror or err})") from None
