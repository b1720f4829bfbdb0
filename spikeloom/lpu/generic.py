"""The generic LPU: LeakyIAF and Morris-Lecar neurons joined by alpha and graded-potential synapses.

Built from a graph (GEXF schema, ``spikeloom.lpu.gexf``). Units are Neurokernel's: volts and seconds,
with Morris-Lecar's vector field in milliseconds. One step (Neurokernel's ``run_step``; nothing is
integrated at step 0, so output row 0 is the initial state):

1. copy the input ports into their pseudo-neurons, and take input row ``s`` for the ``extern`` nodes;
2. (steps >= 1) for every neuron, ``I = external + sum of currents - sum g (V - reverse)`` from the synapse
   states of the previous step; integrate LeakyIAF exactly (``LIF`` with rest 0, ``tau = R C``) and
   Morris-Lecar by forward Euler in sub-steps of at most 0.01 ms; store V of graded nodes in the delay
   buffer; update every synapse (alpha from this step's spikes, graded from the delayed V);
3. copy the public neurons to the output ports and record the spike flags and graded potentials.

A state that becomes NaN or infinite (checked where it is computed, before a reset could hide it) is noted in
the ``fault`` array (first step, kind, index); after the chunk the LPU keeps the outputs of the steps before
it and raises :class:`~spikeloom.SimulationError` naming the LPU, node or edge, variable and step.
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError, SimulationError
from ..core import validate
from ..neurons.lif import LIF
from ..neurons.morris_lecar import MorrisLecar
from ..synapses.alpha_euler import AlphaSynapse
from ..synapses.outputs import COBA
from ..synapses.power_gpot import PowerGpotGpot
from .gexf import nodes_and_edges, read_gexf
from .hdf5 import InputReader, OutputWriter
from .lpu import LPU

#: Morris-Lecar constants fixed in Neurokernel's kernel (V, and conductances per unit capacitance in 1/ms)
ML_CONSTANTS = {"C": 1.0, "g_L": 0.5, "g_K": 2.0, "g_Ca": 1.1, "V_L": -0.05, "V_K": -0.07, "V_Ca": 0.1}
#: Morris-Lecar sub-step of Neurokernel's kernel (s)
ML_SUBSTEP = 1e-5
#: largest finite float64: ``not abs(x) <= FMAX`` is true exactly for NaN and infinities
FMAX = float(np.finfo(np.float64).max)
#: ``fault[1]`` codes: what became non-finite (the index in ``fault[2]`` is a slot, ML neuron or edge)
FAULT_KINDS = ("V of a spiking node", "V of a graded node", "n of a Morris-Lecar node", "g of an edge")


def _kernel(xp):
    """The generic LPU step, binding the model factories to the math namespace ``xp``."""
    lif_step = xp.inline(LIF.exact(xp))
    lif_fire = xp.inline(LIF.threshold_reset(xp))
    ml_field = xp.inline(MorrisLecar.vector_field(xp))
    alpha_step = xp.inline(AlphaSynapse.step(xp))
    alpha_g = xp.inline(AlphaSynapse.conductance(xp))
    power_g = xp.inline(PowerGpotGpot.conductance(xp))
    conductance_current = xp.inline(COBA.current(xp))
    C, g_L, g_K, g_Ca = ML_CONSTANTS["C"], ML_CONSTANTS["g_L"], ML_CONSTANTS["g_K"], ML_CONSTANTS["g_Ca"]
    V_L, V_K, V_Ca = ML_CONSTANTS["V_L"], ML_CONSTANTS["V_K"], ML_CONSTANTS["V_Ca"]

    def step(s, r, seed, dt, in_gpot, in_spike, out_gpot, out_spike,
             V_spk, spk, V_gpot, I_spk, I_gpot, in_gpot_slot, in_spike_slot, out_gpot_slot, out_spike_slot,
             ext_rows, ext_spiking, ext_slot,
             lif_slot, lif_Vr, lif_Vt, lif_R, lif_decay,
             ml_slot, ml_n, ml_V1, ml_V2, ml_V3, ml_V4, ml_phi, ml_offset, ml_sub,
             syn_g, syn_E, syn_cond, syn_post_spiking, syn_post,
             al_syn, al_pre, al_a0, al_a1, al_a2, al_ar, al_ad, al_gmax,
             pw_syn, pw_pre, pw_delay, pw_threshold, pw_slope, pw_power, pw_saturation,
             buf, buf_ptr, rec_spike, rec_gpot, fault):
        for k in range(in_gpot_slot.shape[0]):
            V_gpot[in_gpot_slot[k]] = in_gpot[k]
        for k in range(in_spike_slot.shape[0]):
            spk[in_spike_slot[k]] = in_spike[k]
        if s > 0:
            I_spk[:] = 0.0
            I_gpot[:] = 0.0
            for k in range(ext_slot.shape[0]):
                if ext_spiking[k]:
                    I_spk[ext_slot[k]] += ext_rows[r, k]
                else:
                    I_gpot[ext_slot[k]] += ext_rows[r, k]
            for k in range(syn_g.shape[0]):
                j = syn_post[k]
                if syn_post_spiking[k]:
                    I_spk[j] += conductance_current(syn_g[k], V_spk[j], syn_E[k]) if syn_cond[k] else syn_g[k]
                else:
                    I_gpot[j] += conductance_current(syn_g[k], V_gpot[j], syn_E[k]) if syn_cond[k] else syn_g[k]
            for k in range(lif_slot.shape[0]):
                j = lif_slot[k]
                (V_new,) = lif_step(V_spk[j], I_spk[j], 0.0, lif_R[k], lif_decay[k], 0.0, 0.0)
                if fault[0] == 0 and not abs(V_new) <= FMAX:
                    fault[0], fault[1], fault[2] = s + 1, 0, j
                V_out, _, fired = lif_fire(V_spk[j], 0.0, V_new, lif_Vt[k], lif_Vr[k], 0.0)
                V_spk[j] = V_out
                spk[j] = 1 if fired else 0
            ddt_ms = dt * 1000.0 / ml_sub[0]
            for k in range(ml_slot.shape[0]):
                j = ml_slot[k]
                V, n, I = V_gpot[j], ml_n[k], I_gpot[j]
                for _ in range(ml_sub[0]):
                    dV, dn = ml_field(V, n, I, ml_V1[k], ml_V2[k], ml_V3[k], ml_V4[k], ml_phi[k], ml_offset[k],
                                      C, g_L, g_K, g_Ca, V_L, V_K, V_Ca)
                    V, n = V + ddt_ms * dV, n + ddt_ms * dn
                V_gpot[j], ml_n[k] = V, n
                if fault[0] == 0 and not abs(V) <= FMAX:
                    fault[0], fault[1], fault[2] = s + 1, 1, j
                if fault[0] == 0 and not abs(n) <= FMAX:
                    fault[0], fault[1], fault[2] = s + 1, 2, k
            p = buf_ptr[0]
            depth = buf.shape[0]
            for j in range(V_gpot.shape[0]):
                buf[p, j] = V_gpot[j]
            for k in range(al_syn.shape[0]):
                al_a0[k], al_a1[k], al_a2[k] = alpha_step(al_a0[k], al_a1[k], al_a2[k], spk[al_pre[k]] != 0,
                                                          al_ar[k], al_ad[k], dt)
                syn_g[al_syn[k]] = alpha_g(al_a0[k], al_gmax[k])
            for k in range(pw_syn.shape[0]):
                V_pre = buf[(p - pw_delay[k] + depth) % depth, pw_pre[k]]
                syn_g[pw_syn[k]] = power_g(V_pre, pw_threshold[k], pw_slope[k], pw_power[k], pw_saturation[k])
            for k in range(syn_g.shape[0]):
                if fault[0] == 0 and not abs(syn_g[k]) <= FMAX:
                    fault[0], fault[1], fault[2] = s + 1, 3, k
            buf_ptr[0] = (p + 1) % depth
        for k in range(out_gpot_slot.shape[0]):
            out_gpot[k] = V_gpot[out_gpot_slot[k]]
        for k in range(out_spike_slot.shape[0]):
            out_spike[k] = spk[out_spike_slot[k]]
        for j in range(spk.shape[0]):
            rec_spike[r, j] = spk[j]
        for j in range(V_gpot.shape[0]):
            rec_gpot[r, j] = V_gpot[j]

    return step


class GenericLPU(LPU):
    """An LPU built from a graph of LeakyIAF / MorrisLecar nodes and AlphaSynapse / power_gpot_gpot edges.

    ``graph``: a networkx graph with the node and edge attributes of the GEXF schema (``docs/lpu.md``), or
    the path of a GEXF file. ``dt`` in seconds. ``input_file``: HDF5 with ``array`` (steps, extern nodes).
    ``output_file='name.h5'`` writes ``name_spike.h5`` and ``name_gpot.h5`` incrementally; with
    ``record=True`` the rows are also kept in :attr:`recorded` (``'spike'``, ``'gpot'``).
    """

    def __init__(self, graph, dt: float, id: str, *, input_file=None, output_file=None, record: bool = True):
        self.dt = validate.positive(dt, "dt (s)", owner=f"LPU {id!r}")
        source = None
        if isinstance(graph, (str, bytes)) or hasattr(graph, "__fspath__"):
            source = graph.decode() if isinstance(graph, bytes) else graph
            graph = read_gexf(source)
        nodes, edges = nodes_and_edges(graph, source)
        self.nodes, self.edges = nodes, edges
        spiking_ids = [r["id"] for r in nodes if r["spiking"]]
        gpot_ids = [r["id"] for r in nodes if not r["spiking"]]
        self.spike_ids, self.gpot_ids = np.array(spiking_ids, np.int64), np.array(gpot_ids, np.int64)
        spiking_of = {r["id"]: r["spiking"] for r in nodes}
        slot = {i: k for k, i in enumerate(spiking_ids)}
        slot.update({i: k for k, i in enumerate(gpot_ids)})

        port_nodes = {kind: [r for r in nodes if r["model"] == f"port_in_{kind}"] for kind in ("gpot", "spk")}
        public = {kind: [r for r in nodes if r["public"] and r["spiking"] == (kind == "spk")]
                  for kind in ("gpot", "spk")}
        where = f"GEXF file {str(source)!r}: " if source is not None else ""
        owners: dict[tuple, int] = {}
        ports = {name: [_port_of(r, where, owners) for r in group] for name, group in
                 (("in_gpot", port_nodes["gpot"]), ("in_spike", port_nodes["spk"]),
                  ("out_gpot", public["gpot"]), ("out_spike", public["spk"]))}
        super().__init__(id, **ports)

        i64 = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
        f64 = lambda xs: np.asarray(xs, dtype=np.float64)  # noqa: E731
        lif = [r for r in nodes if r["model"] == "LeakyIAF"]
        ml = [r for r in nodes if r["model"] == "MorrisLecar"]
        extern = [r for r in nodes if r["extern"]]
        V_spk = np.zeros(len(spiking_ids))
        V_gpot = np.zeros(len(gpot_ids))
        for r in lif:
            V_spk[slot[r["id"]]] = float(r["V"])
        for r in ml:
            V_gpot[slot[r["id"]]] = float(r["initV"])
        alpha = [(k, e) for k, e in enumerate(edges) if e["model"] == "AlphaSynapse"]
        power = [(k, e) for k, e in enumerate(edges) if e["model"] == "power_gpot_gpot"]
        # delays (ms, >= 0 by the graph check) round to whole steps, as in Neurokernel
        delays = [int(round(e["delay"] * 1e-3 / self.dt)) for _, e in power]
        depth = max(delays, default=0) + 1
        if depth > 1:
            longest = power[int(np.argmax(delays))][1]
            validate.memory(8.0 * depth * len(gpot_ids), f"LPU {id!r}: the delay buffer of edge {longest['pre']}->"
                            f"{longest['post']} (delay {longest['delay']:g} ms = {depth - 1} steps)",
                            fix="check the edge's 'delay' attribute (ms) and dt (s)")
        RC = f64([float(r["R"]) * float(r["C"]) for r in lif])
        self._arrays = {
            "V_spk": V_spk, "spk": np.zeros(len(spiking_ids), np.int32), "V_gpot": V_gpot,
            "I_spk": np.zeros(len(spiking_ids)), "I_gpot": np.zeros(len(gpot_ids)),
            "in_gpot_slot": i64([slot[r["id"]] for r in port_nodes["gpot"]]),
            "in_spike_slot": i64([slot[r["id"]] for r in port_nodes["spk"]]),
            "out_gpot_slot": i64([slot[r["id"]] for r in public["gpot"]]),
            "out_spike_slot": i64([slot[r["id"]] for r in public["spk"]]),
            "ext_rows": np.zeros((1, len(extern))), "ext_spiking": np.array([r["spiking"] for r in extern], bool),
            "ext_slot": i64([slot[r["id"]] for r in extern]),
            "lif_slot": i64([slot[r["id"]] for r in lif]), "lif_Vr": f64([r["Vr"] for r in lif]),
            "lif_Vt": f64([r["Vt"] for r in lif]), "lif_R": f64([r["R"] for r in lif]),
            "lif_decay": np.exp(-self.dt / RC) if lif else f64([]),
            "ml_slot": i64([slot[r["id"]] for r in ml]), "ml_n": f64([r["initn"] for r in ml]),
            **{f"ml_{k}": f64([r[k] for r in ml]) for k in ("V1", "V2", "V3", "V4", "phi", "offset")},
            "ml_sub": i64([max(int(round(self.dt / ML_SUBSTEP)), 1)]),
            "syn_g": np.zeros(len(edges)), "syn_E": f64([e.get("reverse", 0.0) for e in edges]),
            "syn_cond": np.array([e["conductance"] for e in edges], bool),
            "syn_post_spiking": np.array([spiking_of[e["post"]] for e in edges], bool),
            "syn_post": i64([slot[e["post"]] for e in edges]),
            "al_syn": i64([k for k, _ in alpha]), "al_pre": i64([slot[e["pre"]] for _, e in alpha]),
            "al_a0": np.zeros(len(alpha)), "al_a1": np.zeros(len(alpha)), "al_a2": np.zeros(len(alpha)),
            **{f"al_{k}": f64([e[k] for _, e in alpha]) for k in ("ar", "ad", "gmax")},
            "pw_syn": i64([k for k, _ in power]), "pw_pre": i64([slot[e["pre"]] for _, e in power]),
            "pw_delay": i64(delays),
            **{f"pw_{k}": f64([e[k] for _, e in power]) for k in ("threshold", "slope", "power", "saturation")},
            "buf": np.tile(V_gpot, (depth, 1)), "buf_ptr": np.zeros(1, np.int64),
            "rec_spike": np.zeros((1, len(spiking_ids))), "rec_gpot": np.zeros((1, len(gpot_ids))),
            "fault": np.zeros(3, np.int64),
        }
        self.n_extern = len(extern)
        self.input_file, self.output_file, self.record = input_file, output_file, record
        self._reader = None
        self._writers: dict[str, OutputWriter] = {}
        self.recorded: dict[str, np.ndarray] = {}
        self._rows: dict[str, list] = {}

    kernel = staticmethod(_kernel)

    def arrays(self) -> dict[str, np.ndarray]:
        return self._arrays

    @property
    def n_neurons(self) -> int:
        return sum(1 for r in self.nodes if not r["model"].startswith("port_in_"))

    # ---- inputs and outputs around the compiled chunks -----------------------------------------------
    def prepare(self, start: int, n_steps: int, dt: float, chunk: int) -> None:
        """Check dt, memory and the input file, then open the outputs (nothing is opened if a check fails)."""
        if abs(dt - self.dt) > 1e-12 * self.dt:
            raise ModelDefinitionError(f"LPU {self.id!r} was built for dt = {self.dt:g} s but the manager runs "
                                       f"dt = {dt:g} s; build the LPU and the Manager with the same dt")
        a = self._arrays
        width = a["spk"].size + a["V_gpot"].size
        kept = n_steps if self.record else 0
        validate.memory(8.0 * (chunk * (width + self.n_extern) + kept * width),
                        f"LPU {self.id!r}: {n_steps} steps of {width} recorded node(s)",
                        fix="run fewer steps, or pass record=False and write output_file instead")
        a["rec_spike"] = np.zeros((chunk, a["spk"].size))
        a["rec_gpot"] = np.zeros((chunk, a["V_gpot"].size))
        a["ext_rows"] = np.zeros((chunk, self.n_extern))
        a["fault"][:] = 0
        if self.input_file is not None:
            labels = [f"column {k} (node {r['id']})" for k, r in enumerate(r for r in self.nodes if r["extern"])]
            reader = InputReader(self.input_file, self.n_extern, f"LPU {self.id!r}", labels)
            if reader.n_rows < start + n_steps:
                reader.close()
                raise ModelDefinitionError(
                    f"LPU {self.id!r}: input file {str(self.input_file)!r} has {reader.n_rows} rows, the run needs "
                    f"{start + n_steps} (row s drives step s)")
            self._reader = reader
        if self.output_file is not None:
            stem = str(self.output_file)
            stem = stem[:-3] if stem.endswith(".h5") else stem
            for kind, n in (("spike", a["spk"].size), ("gpot", a["V_gpot"].size)):
                self._writers[kind] = OutputWriter(f"{stem}_{kind}.h5", n, chunk)
        self._rows = {"spike": [], "gpot": []}

    def before_chunk(self, s0: int, n: int) -> None:
        if self._reader is not None:
            self._arrays["ext_rows"][:n] = self._reader.rows(s0, n)

    def after_chunk(self, s0: int, n: int) -> None:
        """Keep the chunk's rows; if a state became non-finite, keep only the rows before that step and raise."""
        fault = self._arrays["fault"]
        done = n if fault[0] == 0 else int(fault[0]) - 1 - s0
        for kind in ("spike", "gpot"):
            rows = self._arrays[f"rec_{kind}"][:done]
            if kind in self._writers and done:
                self._writers[kind].append(rows)
            if self.record:
                self._rows[kind].append(rows.copy())
        if fault[0]:
            raise SimulationError(self._fault_message(int(fault[0]) - 1, int(fault[1]), int(fault[2])))

    def _fault_message(self, step: int, kind: int, index: int) -> str:
        """Name the node or edge and the variable that became non-finite at ``step``."""
        if kind == 3:
            e = self.edges[index]
            what = f"edge {e['pre']}->{e['post']} ({e.get('name', 'unnamed')}), variable 'g'"
        else:
            ids = self.spike_ids if kind == 0 else self.gpot_ids
            slot = index if kind < 2 else int(self._arrays["ml_slot"][index])
            node = next(r for r in self.nodes if r["id"] == ids[slot])
            what = f"node {node['id']} ({node.get('name', 'unnamed')}), variable {'n' if kind == 2 else 'V'!r}"
        return (f"LPU {self.id!r}: the state became non-finite at step {step} (t = {step * self.dt:g} s), {what}; "
                f"the outputs keep the steps before it. Check the parameters, the inputs and dt")

    def finish(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        for w in self._writers.values():
            w.close()
        self._writers = {}
        if self.record:
            self.recorded = {k: np.concatenate(v) if v else np.zeros((0, self._arrays[f"rec_{k}"].shape[1]))
                             for k, v in self._rows.items()}


def _port_of(node: dict, where: str, owners: dict) -> tuple:
    """The one port a port or public node's selector names; ``owners`` (port -> node id) catches a port named
    by two nodes."""
    from . import selectors as sel

    label = f"{where}node {node['id']} ({node.get('name', 'unnamed')}), attribute 'selector'"
    try:
        ports = [p for p in sel.expand(node["selector"]) if p]
    except ModelDefinitionError as err:
        raise ModelDefinitionError(f"{label}: {err}") from None
    if len(ports) != 1:
        raise ModelDefinitionError(f"{label}: {node['selector']!r} must name exactly one port, names {len(ports)}")
    other = owners.setdefault(ports[0], node["id"])
    if other != node["id"]:
        raise ModelDefinitionError(f"{label}: port {node['selector']!r} is already the port of node {other}")
    return ports[0]
