"""Plan entry of Poisson inputs (:class:`~spikeloom.inputs.poisson.PoissonInput`, ``PoissonGenerator``): one
row per input, in a projection group of its own kind (schedule operation ``"poisson"``).

The group keeps segments and synapse state as any projection group (inputs into one population with the same
synapse and output share a segment); nothing is stored per synapse or source. At step ``s`` the operation adds,
for every row and every neuron ``j`` of its population, ``weight * k`` to the target slot ``target_lo + j``,
``k`` the Poisson count of step ``s - offset`` keyed by ``(seed, stream, s - offset, j)`` (none while
``s < offset``); rows are taken in their order, so every slot adds in the same order on both engines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core.random import POISSON_INVERSION_MAX_MEAN, poisson_table, ptrs_constants

#: integer fields of a row: first target slot (a neuron index for synapses integrated by the neuron), neurons,
#: steps from drawing to delivery, random stream, and where its distribution table lies in ``cdf``
ROW_INT_FIELDS = ("lo", "n", "offset", "stream", "cdf_lo", "cdf_n")
#: float64 fields: the mean count per step and the constants of PTRS (see core.random.ptrs_constants)
ROW_FLOAT_FIELDS = ("mean", "log_mean", "a", "b", "inv_alpha", "vr")
#: draws per block of the Numba engine's inversion (core.random.make_poisson.inversion_fill)
INVERSION_BLOCK = 512


def input_stream(name: str) -> int:
    """Random stream of a Poisson input: 2 modulo 4 with the top bit set, from its name (procedural
    projections use multiples of 4, neuron groups small numbers)."""
    h = int.from_bytes(hashlib.sha256(("poisson-input:" + name).encode()).digest()[:4], "little")
    return (h | 0x80000000) & 0xFFFFFFFC | 2


@dataclass
class PoissonSources:
    rows: dict[str, np.ndarray]  # ROW_INT_FIELDS (int64) and ROW_FLOAT_FIELDS (float64) -> one value per input
    cdf: np.ndarray  # distribution tables of the rows drawn by inversion, concatenated (float64)
    weight: np.ndarray  # per row, w_scale of its segment folded in (float64)
    names: list[str]  # input of every row
    kind: ClassVar[str] = "poisson"
    n_synapses: ClassVar[int] = 0

    def engine_arrays(self, n_slots: int, dtype) -> dict[str, np.ndarray]:
        out = {f"q_{k}": v for k, v in self.rows.items()}
        out["q_w"] = self.weight.astype(dtype)
        out["q_cdf"] = self.cdf
        # the counts of one row, and the uniforms of one block of them (first-level cache: 4 kB)
        out["q_counts"] = np.zeros(int(self.rows["n"].max(initial=0)), np.float64)
        out["q_scratch"] = np.zeros(INVERSION_BLOCK, np.float64)
        return out


def build_poisson_group(members, post_g: int, pop_index: dict, dt: float, dtype):
    """The projection group of the Poisson inputs ``members`` (same target group, synapse and output models,
    same place in the schedule)."""
    from .build import ProjectionGroup, _segments  # (build imports this module)

    syn_t, out_t = type(members[0].synapse), type(members[0].output)
    proj_seg, seg_post_lo, seg_n, seg_slot_lo, seg_params, seg_values = _segments(members, pop_index, syn_t, dt, dtype)
    # a synapse integrated by the neuron adds to the neuron's own variable: its index in the post group
    target_lo = np.asarray(seg_post_lo, np.int64) if syn_t.in_post else seg_slot_lo
    rows = {k: [] for k in ROW_INT_FIELDS + ROW_FLOAT_FIELDS}
    weight, tables, n_cdf = [], [], 0
    for inp, seg in zip(members, proj_seg):
        mean = inp.mean_per_step(dt)
        table = poisson_table(mean) if mean < POISSON_INVERSION_MAX_MEAN else np.zeros(0)
        tables.append(table)
        values = {"lo": int(target_lo[seg]), "n": int(seg_n[seg]), "offset": inp.offset_steps(dt),
                  "stream": input_stream(inp.name), "cdf_lo": n_cdf, "cdf_n": table.size, "mean": mean,
                  **ptrs_constants(mean)}
        n_cdf += table.size
        for k, v in values.items():
            rows[k].append(v)
        weight.append(inp.weight * float(seg_values[seg].get("w_scale", 1.0)))
    rows = {k: np.asarray(v, np.int64 if k in ROW_INT_FIELDS else np.float64) for k, v in rows.items()}
    n_slots = int(seg_n.sum())
    return ProjectionGroup(
        synapse=syn_t, output=out_t, pre=post_g, post=post_g, seg_slot_lo=seg_slot_lo,
        seg_post_lo=np.asarray(seg_post_lo, np.int64), seg_n=seg_n, seg_params=seg_params,
        state={k: np.zeros(n_slots, dtype) for k in syn_t.state}, offsets=np.zeros(0, np.int64),
        rowptr=np.zeros((0, 1), np.int64), col=np.zeros(0, np.int32), weight=0.0,
        projections={inp.name: (seg, 0) for inp, seg in zip(members, proj_seg)},
        operator=PoissonSources(rows=rows, cdf=np.concatenate(tables), weight=np.asarray(weight, np.float64),
                                names=[p.name for p in members]))
