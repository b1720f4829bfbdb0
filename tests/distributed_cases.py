"""Run under ``mpiexec -n P python tests/distributed_cases.py OUT.json``: every case runs distributed over the
ranks and, on rank 0, in one process (a plain Runner); rank 0 writes what agrees to OUT.json
(tests/test_distributed.py reads it). Kept small: CI runs it on 2 cores."""

import json
import sys
import tempfile

import numpy as np

import spikeloom as sl
from spikeloom.run.distributed import DistributedRunner, world


class Stored(sl.Network):
    """E/I LIF with membrane noise, Poisson drive, Normal delays (stored connectivity), spikes of two ops."""

    def __init__(self):
        self.drive = sl.PoissonGroup(200, rate=40.0)
        self.E = sl.LIF(800, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, R=1.0, tau_ref=2.0,
                        noise_sigma=2.0, init={"V": sl.Uniform(-60.0, -50.0)})
        self.I = sl.LIF(200, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=10.0, R=1.0, tau_ref=1.0,
                        init={"V": sl.Uniform(-60.0, -50.0)})
        self.D2E = sl.Projection(self.drive, self.E, sl.FixedProb(0.1), 2.0, sl.Exponential(tau=5.0), sl.CUBA(),
                                 delay=1.0)
        self.E2E = sl.Projection(self.E, self.E, sl.FixedProb(0.05), sl.Normal(0.6, 0.1), sl.Exponential(tau=5.0),
                                 sl.CUBA(), delay=sl.Normal(1.5, 0.5),
                                 delay_rule=sl.DelayRule(below_dt="redraw"))
        self.E2I = sl.Projection(self.E, self.I, sl.FixedProb(0.1), 0.8, sl.Exponential(tau=5.0), sl.CUBA(),
                                 delay=0.5)
        self.I2E = sl.Projection(self.I, self.E, sl.FixedProb(0.1), -2.0, sl.Exponential(tau=10.0), sl.CUBA(),
                                 delay=0.8)


class ProceduralJitter(sl.Network):
    """Procedural connectivity with jittered delays (as in the multi-area model)."""

    def __init__(self):
        lif = dict(V_rest=-70.0, V_th=-50.0, V_reset=-60.0, tau=20.0, R=1.0, tau_ref=2.0)
        self.A = sl.LIF(600, **lif, init={"V": sl.Uniform(-70.0, -50.0)})
        self.B = sl.LIF(600, **lif, init={"V": sl.Uniform(-70.0, -50.0)})
        self.A2B = sl.Projection(self.A, self.B, sl.ProceduralProb(0.05), 1.5, sl.Delta(), sl.CUBA(),
                                 delay=2.0, delay_std=0.5)
        self.B2A = sl.Projection(self.B, self.A, sl.ProceduralProb(0.05), 1.2, sl.Delta(), sl.CUBA(), delay=1.0)
        self.A2A = sl.Projection(self.A, self.A, sl.ProceduralProb(0.02), -1.0, sl.Delta(), sl.CUBA(), delay=0.3)


class Plastic(sl.Network):
    """Additive STDP on Poisson -> LIF synapses with heterogeneous delays."""

    def __init__(self):
        self.src = sl.PoissonGroup(300, rate=15.0)
        self.out = sl.LIF(100, V_rest=-70.0, V_th=-54.0, V_reset=-60.0, tau=10.0, R=1.0,
                          init={"V": sl.Uniform(-70.0, -54.0)})
        self.syn = sl.Projection(self.src, self.out, sl.FixedProb(0.3), sl.Uniform(0.0, 3.0),
                                 sl.Exponential(tau=5.0), sl.CUBA(), delay=sl.Uniform(0.2, 3.0),
                                 plasticity=sl.STDP(w_max=3.0))


class Graded(sl.Network):
    """Gap junctions along a chain and a delayed graded synapse, driven by a constant current."""

    def __init__(self):
        lif = dict(V_rest=-65.0, V_th=-50.0, V_reset=-65.0, tau=10.0, R=1.0)
        self.A = sl.LIF(40, **lif, init={"V": sl.Uniform(-65.0, -50.0)})
        self.B = sl.LIF(40, **lif, init={"V": sl.Uniform(-65.0, -50.0)})
        self.gap = sl.GapJunction(self.A, self.B, sl.FromList([(i, (7 * i) % 40) for i in range(40)]), weight=0.05)
        self.graded = sl.GradedProjection(self.A, self.B, sl.FixedProb(0.2),
                                          sl.PowerGpot(threshold=-60.0, slope=0.02, power=1.0, saturation=0.5,
                                                       E=0.0), delay=0.3)


CASES = {
    "stored": (Stored, ["E.spike", "I.spike", "drive.spike", ("E.V", [0, 399, 400, 799]), ("E2E.g", [3, 500])],
               {"E": 0.0, "I": 5.0}),
    "procedural": (ProceduralJitter, ["A.spike", "B.spike", ("B.V", [0, 300, 599])], {"A": 22.0, "B": 19.0}),
    "plastic": (Plastic, ["out.spike", ("syn.w", [0, 10, 5000], 10)], {"out": 9.0}),
    "graded": (Graded, ["A.spike", "B.spike", ("B.V", [0, 20, 39])], {"A": 16.0, "B": 14.0}),
}


def outcome(res, runner, case):
    """What must agree, as plain lists."""
    _, monitors, _ = CASES[case]
    out = {"spikes": {p: [res.spikes[p].times.tolist(), res.spikes[p].indices.tolist()] for p in res.spikes},
           "counts": {p: res.spike_counts[p].tolist() for p in res.spike_counts},
           "traces": {k: np.asarray(v).tolist() for k, v in res.traces.items()}}
    first = monitors[0].split(".")[0]
    out["state"] = runner[f"{first}.V"].tolist() if first != "drive" else None
    return out


def main(path):
    comm = world()
    rank = 0 if comm is None else comm.Get_rank()
    report = {"ranks": 1 if comm is None else comm.Get_size(), "cases": {}}
    tmp = tempfile.mkdtemp() if rank == 0 else None
    tmp = tmp if comm is None else comm.bcast(tmp)
    for case, (cls, monitors, inputs) in CASES.items():
        kw = dict(dt=0.1, seed=7, monitors=monitors, inputs=inputs, precision="float64" if case == "graded" else
                  "float32")
        dist = DistributedRunner(cls(), comm=comm, **kw)
        got = outcome(dist.run(60.0), dist, case)
        # continued through per-rank checkpoints and per-rank record files, merged into one file
        dist.save_checkpoint(f"{tmp}/{case}.h5")
        again = DistributedRunner.from_checkpoint(f"{tmp}/{case}.h5", cls(), comm=comm,
                                                  record_to=f"{tmp}/{case}_rec.h5", **kw)
        later = outcome(again.run(40.0), again, case)
        # stored synapses held by each rank (those onto its own neurons)
        stored = dist.comm.allgather(sum(pg.col.size for pg in dist.plan.pgroups if pg.kind == "projections"))
        if rank == 0:
            one = sl.Runner(cls(), **kw)
            want = outcome(one.run(60.0), one, case)
            want_later = outcome(one.run(40.0), one, case)
            merged = sl.Result.from_hdf5(f"{tmp}/{case}_rec.h5")
            report["cases"][case] = {
                "n_spikes": sum(len(v[0]) for v in want["spikes"].values()),
                "interval": dist.interval, "ranges": [[int(lo), int(hi)] for lo, hi in dist.ranges],
                "same_first": got == want, "same_after_checkpoint": later == want_later,
                "same_file": {p: [merged.spikes[p].times.tolist(), merged.spikes[p].indices.tolist()]
                              for p in merged.spikes} == want_later["spikes"],
                "synapses": [one.n_synapses, dist.n_synapses, stored],
            }
    if rank == 0:
        with open(path, "w") as f:
            json.dump(report, f)


if __name__ == "__main__":
    main(sys.argv[1])
