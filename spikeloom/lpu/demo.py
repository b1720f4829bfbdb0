"""The intro demo: random generic LPUs (Neurokernel's generator), run unconnected and then connected.

:func:`generic_lpu_graph` follows Neurokernel's ``gen_generic_lpu.py`` (population sizes, models,
parameters, input ports and connection probabilities of ``docs/lpu.md``); the random draws are our own
(seeded numpy), so a seed gives a different network than the original's. :func:`pulse_input` is its
stimulus. :func:`intro_demo` runs two LPUs twice, side by side in one manager: unconnected, and with a
one-way pattern from LPU 0's output ports to LPU 1's input ports.
"""

from __future__ import annotations

import random

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from ..io.atomic import writable_folder
from ..run.distributed import world
from .generic import GenericLPU
from .hdf5 import write_input
from .manager import Manager, steps_of
from .pattern import Pattern
from . import selectors as sel

LIF_PARAMS = {"Vr": -0.0675489770451, "Vt": -0.0251355161007, "R": 1.02445570216, "C": 0.0669810502993}
ML_PARAMS = {"V1": 0.03, "V2": 0.015, "V3": 0.0, "V4": 0.03, "phi": 0.025, "offset": 0.0, "initV": -0.05214,
             "initn": 0.02}
#: (pathway) -> probability that an ordered pair is connected
CONNECTION_PROB = {("sensory", "local"): 0.5, ("sensory", "proj"): 0.1, ("local", "proj"): 0.1,
                   ("proj", "local"): 0.3}


def _alpha(target_spiking: bool) -> dict:
    return dict(model="AlphaSynapse", ar=1.1e2, ad=1.9e3, conductance=True,
                reverse=0.065 if target_spiking else 0.01, gmax=3e-3 if target_spiking else 3.1e-4,
                **{"class": 0 if target_spiking else 1})


def _graded(target_spiking: bool, reverse: float) -> dict:
    return dict(model="power_gpot_gpot", slope=0.8, threshold=-0.05, power=1.0, saturation=0.03, delay=1.0,
                reverse=reverse, conductance=True, **{"class": 2 if target_spiking else 3})


def generic_lpu_graph(seed: int, name: str, sizes: tuple[int, int, int] | None = None):
    """A random generic LPU as a networkx graph; ``sizes`` (sensory, local, projection) overrides the draw.

    Sensory neurons receive the external input; projection neurons are public (output ports
    ``/<name>/out/spk/<k>`` or ``/<name>/out/gpot/<k>``); every sensory and local neuron gets an input-port
    node (``/<name>/in/spk/<id>`` or ``/<name>/in/gpot/<id>``) with a synapse onto it.
    """
    import networkx as nx

    seed = validate.integer(seed, "seed", owner="generic_lpu_graph", low=0, high=2**32 - 1)
    if not isinstance(name, str) or not name.isidentifier():
        raise ModelDefinitionError(f"generic_lpu_graph: name must be an identifier (it becomes a selector level), "
                                   f"got {name!r}")
    rng = np.random.RandomState(seed)
    drawn = [rng.randint(31, 40) for _ in range(3)]
    n_sens, n_local, n_proj = drawn if sizes is None else _sizes(sizes)
    G = nx.MultiDiGraph()
    kinds = ["sensory"] * n_sens + ["local"] * n_local + ["proj"] * n_proj
    counters = {"spk": 0, "gpot": 0}
    for nid, kind in enumerate(kinds):
        spiking = kind != "local" and rng.rand() < 0.5
        k = nid if kind == "sensory" else nid - n_sens if kind == "local" else nid - n_sens - n_local
        attrs = dict(extern=kind == "sensory", public=kind == "proj", spiking=bool(spiking),
                     circuit="proj" if kind == "proj" else "local", name=f"{kind}_{k}_{'s' if spiking else 'g'}")
        if spiking:
            attrs.update(model="LeakyIAF", V=float(rng.uniform(-0.06, -0.025)), **LIF_PARAMS)
        else:
            attrs.update(model="MorrisLecar", **ML_PARAMS)
        if kind == "proj":
            port = "spk" if spiking else "gpot"
            attrs["selector"] = f"/{name}/out/{port}/{counters[port]}"
            counters[port] += 1
        G.add_node(nid, **attrs)

    n = len(kinds)
    idx = n
    for nid in range(n):
        node = G.nodes[nid]
        if not node["public"]:
            spiking = node["spiking"]
            port = "spk" if spiking else "gpot"
            G.add_node(idx, model=f"port_in_{port}", selector=f"/{name}/in/{port}/{idx}", spiking=spiking,
                       public=False, extern=False, name=f"port_in_{port}_{idx}", circuit="input")
            syn = _alpha(True) | dict(ad=0.19 * 1000, ar=1.1 * 100) if spiking else _graded(False, -0.08)
            G.add_edge(idx, nid, name=f"port_in_{port}_{idx}-{node['name']}", circuit="input", **syn)
        idx += 1

    for pre in range(n):
        for post in range(n):
            r = CONNECTION_PROB.get((kinds[pre], kinds[post]))
            if r is None or rng.rand() > r:
                continue
            src, dst = G.nodes[pre], G.nodes[post]
            syn = _alpha(dst["spiking"]) if src["spiking"] else _graded(dst["spiking"], -0.1)
            G.add_edge(pre, post, name=f"{src['name']}-{dst['name']}", circuit=src["circuit"], **syn)
    return G


def _sizes(sizes) -> tuple[int, int, int]:
    """(sensory, local, projection) population sizes: three whole numbers >= 0, not all 0."""
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 3:
        raise ModelDefinitionError(f"generic_lpu_graph: sizes must be (sensory, local, projection), got {sizes!r}")
    out = tuple(validate.integer(n, f"sizes[{k}]", owner="generic_lpu_graph", low=0, high=10**6)
                for k, n in enumerate(sizes))
    if not any(out):
        raise ModelDefinitionError("generic_lpu_graph: sizes are all 0; an LPU needs at least one neuron")
    return out


def pulse_input(n_columns: int, dt: float = 1e-4, dur: float = 1.0, start: float = 0.3, stop: float = 0.6,
                I_max: float = 0.6) -> np.ndarray:
    """Input rows (steps, n_columns): ``I_max`` where ``start < t < stop`` (t = k dt), else 0."""
    n_steps = steps_of(dur, dt, "pulse_input")
    n_columns = validate.integer(n_columns, "n_columns", owner="pulse_input", low=0)
    validate.memory(8.0 * n_steps * n_columns, f"pulse_input: {n_steps} steps x {n_columns} inputs",
                    fix="use a shorter duration or a larger dt")
    t = np.arange(n_steps) * dt
    rows = np.zeros((n_steps, n_columns))
    rows[(t > start) & (t < stop)] = I_max
    return rows


def one_way_pattern(lpu_0: GenericLPU, lpu_1: GenericLPU, seed: int = 0) -> Pattern:
    """Random one-to-one connections from ``lpu_0``'s output ports to ``lpu_1``'s input ports, per type."""
    pick = random.Random(seed)
    pattern = Pattern(lpu_0.interface.to_selector(), lpu_1.interface.to_selector())
    for typ in ("spike", "gpot"):
        outs = lpu_0.interface.out_ports().__getattribute__(f"{typ}_ports")().to_tuples()
        ins = lpu_1.interface.in_ports().__getattribute__(f"{typ}_ports")().to_tuples()
        n = min(len(outs), len(ins))
        pattern.interface[outs + ins, "type"] = [typ]
        pairs = zip(pick.sample(outs, n), pick.sample(ins, n))
        pattern.connect(list(pairs))
    return pattern


def intro_demo(out_dir, duration: float = 1.0, dt: float = 1e-4, seeds: tuple[int, int] = (0, 1),
               sizes=None, engine: str = "cpu") -> dict:
    """Generate two LPUs, run them unconnected and connected; return outputs and timings per run.

    Writes ``generic_lpu_<i>.gexf.gz``, ``generic_lpu_<i>_input.h5`` and, per run (``unconnected``,
    ``connected``), ``<run>_lpu_<i>_spike.h5`` / ``_gpot.h5`` into ``out_dir``. Both runs are LPUs of one
    manager (ids ``<run>_lpu_<i>``), so one network is compiled, not two: LPUs interact only through patterns,
    so each run's LPUs compute what they would alone; the runs share their ``timings``.
    """
    from .gexf import write_gexf

    n_steps = steps_of(duration, dt, "lpu demo")
    out = writable_folder(out_dir, "lpu demo output folder")
    files = {}
    comm = world()
    for i, seed in enumerate(seeds):
        files[i] = (out / f"generic_lpu_{i}.gexf.gz", out / f"generic_lpu_{i}_input.h5")
        if comm is not None and comm.Get_rank() != 0:
            continue  # under mpiexec, rank 0 writes the files every rank reads
        graph = generic_lpu_graph(seed, f"lpu_{i}", sizes)
        write_gexf(graph, files[i][0])
        n_sensory = sum(1 for _, a in graph.nodes(data=True) if a.get("extern"))
        write_input(files[i][1], pulse_input(n_sensory, dt, duration))
    if comm is not None:
        comm.Barrier()
    manager = Manager(dt)
    runs = {}
    for run in ("unconnected", "connected"):
        lpus = [manager.add(GenericLPU(files[i][0], dt, f"{run}_lpu_{i}", input_file=files[i][1],
                                       output_file=out / f"{run}_lpu_{i}.h5")) for i in range(len(seeds))]
        n_routes = 0
        if run == "connected":
            pattern = one_way_pattern(lpus[0], lpus[1])
            manager.connect(lpus[0], lpus[1], pattern)
            n_routes = len(pattern)
        runs[run] = {"lpus": lpus, "routes": n_routes}
    timings = manager.run(n_steps, engine=engine)
    for r in runs.values():
        r["timings"] = timings
    return runs


def describe_ports(lpu: GenericLPU) -> dict:
    return {f"{io}_{t}": len(getattr(lpu.interface, f"{io}_ports")().__getattribute__(f"{t}_ports")())
            for io in ("in", "out") for t in ("spike", "gpot")} | {"selector_count": sel.count(
                lpu.interface.to_selector())}
