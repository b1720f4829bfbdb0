"""Checkpoints: every piece of a runner's state in one HDF5 file, so that a new process continues a run exactly.

What a run carries from step to step is the arrays its compiled loop mutates (neuron and synapse state, spike
rings, generator and delay-ring positions, operator state, weights, plastic state) and the step. Random numbers
are pure functions of (seed, stream, step, index) (``core/random.py``), so no generator state exists beyond the
step. A checkpoint stores those arrays (CPU engine: every array of ``Runner.arrays`` except the plan's
constants listed in :data:`CONSTANT` and a run's own records and input tables; JAX engine: the whole carry),
the step, seed, dt, precision, engine, a fingerprint of the network's structure, the step at which the inputs
of the run in progress started, and the rows of the record file at that moment. It is written atomically
(``io/atomic.py``): a crash leaves the previous checkpoint or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass

import numpy as np

from .._errors import ModelDefinitionError
from ..io.atomic import atomic_path

FILE_FORMAT = "spikeloom.Checkpoint"
VERSION = 1
#: CPU-engine arrays that are not state: the plan's parameters, connectivity and operator tables (rebuilt from
#: the network and seed), scratch space, and what belongs to one run (records, input sections)
CONSTANT = re.compile(r"(g\d+_(p_.*|pop_ids|ev_step|ev_idx|.*scratch)"
                      r"|pg\d+_(sp_.*|seg_n|seg_slot_lo|seg_post_lo|offsets|rowptr|col|b_.*|cum|alias_tables"
                      r"|cp\d+|c_range"
                      r"|q_(?!counts).*|.*scratch|q_counts)"
                      r"|op_lo|op_hi|pop_counts|[sh]?mon\d+_.*|[sh]mon_every|in\d+_.*)")
#: carry entries of the JAX engine that belong to one run
RUN_CARRY = ("nan",)


def fingerprint(plan) -> str:
    """A digest of the network's structure: populations (names, sizes, models, methods), projection groups
    (kinds, models, ends, delays in steps, synapse counts) and the float type. Two networks with the same
    fingerprint, seed and dt build the same plan."""
    desc = {
        "dtype": np.dtype(plan.dtype).name,
        "pops": sorted((name, *map(int, v)) for name, v in plan.pop_index.items()),
        "groups": [[g.model.__module__ + "." + g.model.__qualname__, g.method, bool(g.uses_noise),
                    int(g.ring_depth), sorted(g.state), g.generator_events is not None] for g in plan.groups],
        "pgroups": [[pg.kind, pg.synapse.__qualname__, pg.output.__qualname__, int(pg.pre), int(pg.post),
                     np.asarray(pg.offsets).tolist(), int(np.size(pg.col)), sorted(pg.state),
                     sorted(pg.projections)] for pg in plan.pgroups],
        "schedule": [[str(x) for x in op] for op in plan.schedule],
    }
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:32]


def describe(plan) -> str:
    """The populations and their sizes, for messages about a checkpoint of another network."""
    return ", ".join(f"{name} ({hi - lo})" for name, (_, lo, hi, _) in plan.pop_index.items())


def cpu_state(arrays: dict) -> dict[str, np.ndarray]:
    """The CPU engine's state arrays (see :data:`CONSTANT`)."""
    return {k: v for k, v in arrays.items() if not CONSTANT.fullmatch(k)}


@dataclass
class Checkpoint:
    """A checkpoint as read back: run facts (``attrs``), state arrays, record positions and metadata."""

    path: str
    attrs: dict
    arrays: dict[str, np.ndarray]
    positions: dict[str, int]
    metadata: dict


def write(path, attrs: dict, arrays: dict, positions: dict[str, int], metadata: dict | None) -> None:
    """Write a checkpoint atomically. ``metadata``: JSON-serializable facts of the caller (the CLI's options)."""
    import h5py

    try:
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            f.attrs.update(format=FILE_FORMAT, version=VERSION, metadata=json.dumps(metadata or {}),
                           positions=json.dumps(positions), **attrs)
            state = f.create_group("state")
            for k, v in arrays.items():
                state.create_dataset(k, data=np.asarray(v))
    except OSError as err:
        raise ModelDefinitionError(f"save_checkpoint: cannot write {os.fspath(path)!r} ({err.strerror or err})"
                                   ) from None
    except TypeError as err:
        raise ModelDefinitionError(f"save_checkpoint: metadata must be JSON-serializable ({err})") from None


def read(path, state: bool = True) -> Checkpoint:
    """Read a checkpoint (without its state arrays if not ``state``); a missing, damaged or foreign file is a
    ModelDefinitionError naming it."""
    import h5py

    name = repr(os.fspath(path))
    if not os.path.isfile(path):
        raise ModelDefinitionError(f"checkpoint {name} {'is not a file' if os.path.exists(path) else 'does not exist'}")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FILE_FORMAT:
                raise ModelDefinitionError(f"{name} is not a spikeloom checkpoint (write one with "
                                           "Runner.save_checkpoint)")
            if int(f.attrs["version"]) != VERSION:
                raise ModelDefinitionError(f"checkpoint {name} has version {int(f.attrs['version'])}; this "
                                           f"spikeloom reads version {VERSION}")
            attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in f.attrs.items()}
            arrays = {k: ds[()] for k, ds in f["state"].items()} if state else {}
            positions = {k: int(v) for k, v in json.loads(attrs.pop("positions")).items()}
            metadata = json.loads(attrs.pop("metadata"))
    except (OSError, KeyError, ValueError) as err:
        if isinstance(err, ModelDefinitionError):
            raise
        raise ModelDefinitionError(f"checkpoint {name} is damaged or incomplete ({err})") from None
    return Checkpoint(os.fspath(path), attrs, arrays, positions, metadata)
