"""Threads change nothing: the CPU engine's threaded loop (delivery by target ranges, neurons by blocks) gives
the same spikes and final state bit for bit with 1 and 2 threads (and, by construction, those of the serial
loop: every slot receives its additions in the serial order; checked once by hand, too slow to compile here).

Each thread count runs in a fresh process (Numba fixes the number of threads when its pool starts); the
processes share one compile cache, so the threaded loop is compiled once.
"""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import hashlib, json, sys
import numpy as np
import spikeloom as sl
from spikeloom.engines.numba.codegen import rows_post_ordered, rows_sorted
from spikeloom.models.coba import COBA


def delays():
    # heterogeneous delays: per-synapse normal delays (many offset buckets), sorted FixedProb rows
    net = sl.Network()  # the structure of examples/random_delays.py, with FixedProb
    lif = dict(tau=20.0, V_rest=0.0, V_th=20.0, V_reset=10.0, tau_ref=2.0, noise_sigma=2.0,
               init={"V": sl.Uniform(0.0, 20.0)})
    net.E, net.I = sl.LIF(4000, **lif), sl.LIF(1000, **lif)
    syn = dict(synapse=sl.Delta(tau_m=20.0), output=sl.CUBA())
    net.EE = sl.Projection(net.E, net.E, sl.FixedProb(0.02), sl.LogNormal(0.2, 0.1), delay=sl.Normal(1.5, 0.75),
                           delay_rule=sl.DelayRule(below_dt="redraw"), **syn)
    net.EI = sl.Projection(net.E, net.I, sl.FixedProb(0.02), 0.2, delay=2.0, **syn)
    net.IE = sl.Projection(net.I, net.E, sl.FixedProb(0.02), -1.0, delay=lambda i, j: 0.5 + 0.001 * np.abs(i - j),
                           **syn)
    # two kinds of exponential synapses from E onto E: rows of two segments of slots onto the same neurons, not
    # in post-neuron order, so their threaded delivery is cut per segment
    for name, tau in (("fast", 2.0), ("slow", 8.0)):
        setattr(net, name, sl.Projection(net.E, net.E, sl.FixedProb(0.01), 0.05, synapse=sl.Exponential(tau=tau)))
    return net


net = sl.Network()
net.coba = COBA(n_exc=4000, n_inh=1000, p=0.016)
net.delays = delays()
pops = ("coba.E", "coba.I", "delays.E", "delays.I")
runner = sl.Runner(net, dt=0.1, seed=3, parallel=sys.argv[1] == "1", inputs={"delays.E": 22.0, "delays.I": 22.0},
                   monitors=[p + ".spike" for p in pops])
result = runner.run(150.0)
out = {"parallel": runner.program.parallel, "sorted": all(rows_sorted(pg) for pg in runner.plan.pgroups),
       "post_ordered": sorted({rows_post_ordered(pg) for pg in runner.plan.pgroups})}
for pop in pops:
    trains = result.spikes[pop]
    out[pop] = {"spikes": len(trains), "hash": hashlib.sha256(
        trains.times.tobytes() + trains.indices.tobytes() + runner.get(pop + ".V").tobytes()).hexdigest()}
print(json.dumps(out))
"""


def run(parallel: bool, threads: int, cache) -> dict:
    """The script's result in a fresh process with ``threads`` threads."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), SPIKELOOM_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "1" if parallel else "0"], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_two_threads_give_the_one_thread_results_bit_for_bit(tmp_path):
    one, two = run(True, 1, tmp_path), run(True, 2, tmp_path)
    assert one["parallel"] and two["parallel"]
    assert two["sorted"]  # so the threaded delivery (target ranges) is the one compared
    assert two["post_ordered"] == [False, True]  # both layouts of thread_splits
    for pop in ("coba.E", "coba.I", "delays.E", "delays.I"):
        assert one[pop]["spikes"] > 100, one  # every population is active
        assert one[pop] == two[pop], pop


@pytest.mark.parametrize("second_excitatory", [False, True])
def test_each_delivery_part_holds_exactly_the_synapses_onto_its_update_part(second_excitatory):
    # thread_parts deals blocks of neurons to the parts; thread_splits cuts every row at the same neurons, so
    # part t of the delivery fills only the slots that part t of the update reads (they share one loop). Rows
    # in post-neuron order are cut once; a second E -> E projection of other time constants puts a second
    # segment of slots onto the same neurons into E's rows, which are then cut per segment
    import numpy as np
    import spikeloom as sl
    from spikeloom.engines.numba.codegen import (THREAD_ALIGN, THREAD_BLOCK, THREAD_HEAD_START, rows_post_ordered,
                                                 thread_parts, thread_splits)
    from spikeloom.network.build import build_plan

    net = sl.Network(E=sl.LIF(3 * THREAD_BLOCK + 100), I=sl.LIF(THREAD_BLOCK // 2))
    net.EE = sl.Projection(net.E, net.E, sl.FixedProb(0.01), 0.5, delay=sl.Uniform(0.1, 2.0))
    net.IE = sl.Projection(net.I, net.E, sl.FixedProb(0.02), 1.0, output=sl.COBA(E=-80.0))
    net.EI = sl.Projection(net.E, net.I, sl.FixedProb(0.01), 0.5)
    if second_excitatory:
        net.EE2 = sl.Projection(net.E, net.E, sl.FixedProb(0.01), 0.2, synapse=sl.Exponential(tau=10.0))
    plan = build_plan(net, 0.1, 4, np.float64)
    for pg in plan.pgroups:
        assert rows_post_ordered(pg) is not second_excitatory
        n_post = plan.groups[pg.post].n
        post_of_slot = np.empty(int(pg.seg_n.sum()), np.int64)
        for slot_lo, post_lo, n in zip(pg.seg_slot_lo, pg.seg_post_lo, pg.seg_n):
            post_of_slot[slot_lo:slot_lo + n] = post_lo + np.arange(n)
        for parts in (2, 3, 5):
            first, blocks, edges = thread_parts(0, n_post, n_post, parts, THREAD_HEAD_START)
            assert first[0] == 0 and first[-1] == len(blocks) - 1 and np.all(np.diff(first) >= 1)
            assert blocks[0] == 0 and blocks[-1] == n_post and np.all(np.diff(blocks) >= 1)
            assert np.diff(blocks).max() <= THREAD_BLOCK + THREAD_ALIGN and np.all(blocks[:-1] % THREAD_ALIGN == 0)
            assert np.array_equal(edges[1:-1], blocks[first[1:-1]])  # a part's neurons are its blocks
            sizes = np.diff(edges)
            assert sizes[1:].max() - sizes[1:].min() <= 2 * THREAD_ALIGN  # equal shares, to the alignment
            assert -THREAD_ALIGN <= sizes[0] - sizes[1:].mean() <= THREAD_HEAD_START + 2 * THREAD_ALIGN  # head start
            split = thread_splits(pg, edges)
            assert split.shape[0] == parts and split.shape[3] == (len(pg.seg_n) if second_excitatory else 1)
            seen = np.zeros(pg.col.size, np.int64)
            for t in range(parts):
                inside = np.zeros(pg.col.size + 1, np.int64)  # +1 where a piece starts, -1 where it ends
                for q in range(split.shape[3]):
                    np.add.at(inside, split[t, :, :, q, 0].ravel().astype(np.int64), 1)
                    np.add.at(inside, split[t, :, :, q, 1].ravel().astype(np.int64), -1)
                mine = np.cumsum(inside)[:-1] > 0
                post = post_of_slot[pg.col[mine]]
                assert np.all((post >= edges[t]) & (post < edges[t + 1]))
                seen += mine
            assert np.all(seen == 1)  # every synapse in exactly one piece



def test_a_group_updated_in_two_operations_gives_the_serial_results_on_threads():
    # a user's update() that calls a projection between two populations of one group updates that group in
    # two operations, each with its own neurons, blocks and spikes; the threaded loop once dealt both the
    # blocks of the last one and updated only 4 096 of A's 5 000 neurons
    import numpy as np
    import spikeloom as sl

    class TwoOperations(sl.Network):
        def __init__(self):
            super().__init__()
            self.A = sl.LIF(5000, tau_ref=2.0, init={"V": sl.Uniform(-65.0, -50.0)})
            self.B = sl.LIF(3000, tau_ref=2.0, init={"V": sl.Uniform(-65.0, -50.0)})
            self.AB = sl.Projection(self.A, self.B, sl.FixedProb(0.02), 2.0, sl.Exponential(), sl.CUBA())
            self.BA = sl.Projection(self.B, self.A, sl.FixedProb(0.02), -1.0, sl.Exponential(), sl.CUBA())

        def update(self):
            self.A(30.0)
            self.AB()
            self.B(30.0)
            self.BA()

    results = []
    for parallel in (False, True):
        runner = sl.Runner(TwoOperations(), dt=0.1, seed=3, parallel=parallel, progress=False,
                           monitors=["A.spike", "B.spike"])
        assert [op[0] for op in runner.plan.schedule].count("neurons") == 2
        assert len({op[1] for op in runner.plan.schedule if op[0] == "neurons"}) == 1  # one group
        assert runner.program.parallel is parallel
        results.append((runner.run(40.0), runner.get("A.V"), runner.get("B.V")))
    (serial, a_serial, b_serial), (threaded, a_threaded, b_threaded) = results
    for pop in ("A", "B"):
        assert len(serial.spikes[pop]) > 300
        assert np.array_equal(serial.spikes[pop].times, threaded.spikes[pop].times)
        assert np.array_equal(serial.spikes[pop].indices, threaded.spikes[pop].indices)
    assert np.array_equal(a_serial, a_threaded) and np.array_equal(b_serial, b_threaded)



def test_threads_that_live_for_a_chunk_give_the_serial_results():
    # without monitors an E/I network runs on threads that meet at a barrier once per step, each recording its
    # spikes into its own region of the ring (engines/numba/persistent.py): the final state, the per-step
    # counts, the rings carried into the next run and input sections that change during the run (applied by
    # each thread to its own neurons, one value per neuron here) are the serial loop's, bit for bit. Weights
    # differ per synapse, so that adding a slot's inputs in another order would change the sums
    import numba
    import numpy as np
    import spikeloom as sl

    def network():
        net = sl.Network()
        pars = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0, init={"V": sl.Normal(-55.0, 2.0)})
        net.E, net.I = sl.LIF(4000, **pars), sl.LIF(1000, **pars)
        exc = dict(synapse=sl.Exponential(tau=5.0), output=sl.COBA(E=0.0))
        inh = dict(synapse=sl.Exponential(tau=10.0), output=sl.COBA(E=-80.0))
        net.EE = sl.Projection(net.E, net.E, sl.FixedProb(0.016), sl.Uniform(0.3, 0.9), **exc)
        net.EI = sl.Projection(net.E, net.I, sl.FixedProb(0.016), sl.Uniform(0.3, 0.9), **exc)
        net.IE = sl.Projection(net.I, net.E, sl.FixedProb(0.016), sl.Uniform(4.0, 9.0), **inh)
        net.II = sl.Projection(net.I, net.I, sl.FixedProb(0.016), sl.Uniform(4.0, 9.0), **inh)
        return net

    ramp = np.linspace(18.0, 24.0, 4000)
    results = []
    threads = numba.get_num_threads()
    # serial; threaded with Numba's threads (two or more parts, one thread each); with one thread (two parts,
    # one after the other on it)
    for parallel, use in ((False, threads), (True, threads), (True, 1)):
        numba.set_num_threads(use)
        try:
            runner = sl.Runner(network(), dt=0.1, seed=3, parallel=parallel, progress=False,
                               inputs={"E": sl.Sections([(20.0, 7.3), (ramp, 11.0), (21.0, 5.0)]), "I": 20.0})
            assert runner.program.parallel is parallel and runner.program.persistent is parallel
            runs = [runner.run(15.0), runner.run(20.0)]
        finally:
            numba.set_num_threads(threads)
        results.append(([np.concatenate([r.spike_counts[p] for r in runs]) for p in ("E", "I")],
                        runner.get("E.V"), runner.get("I.V"), runner.get("EI.g")))
    serial_counts, *serial_state = results[0]
    assert serial_counts[0].sum() > 500 and serial_counts[1].sum() > 100
    for threaded_counts, *threaded_state in results[1:]:
        for a, b in zip(serial_counts + serial_state, threaded_counts + threaded_state):
            assert np.array_equal(a, b)
    monitored = sl.Runner(network(), dt=0.1, parallel=True, monitors=["E.spike"])
    assert monitored.program.parallel and not monitored.program.persistent  # monitors: fork/join per step

IDLE_SCRIPT = r"""
import time
import spikeloom as sl
runner = sl.Runner(sl.Network(P=sl.LIF(3000, tau_ref=2.0)), dt=0.1, seed=1, parallel=True, inputs={"P": 30.0})
runner.run(20.0)
t0 = time.process_time()
time.sleep(1.0)
print(time.process_time() - t0)
"""


def test_threads_stop_spinning_when_the_run_is_over(tmp_path):
    # the OpenMP workers wait actively between the steps of a run, but not for long after it: an idle process
    # must not keep a core busy
    env = dict(os.environ, NUMBA_NUM_THREADS="2", SPIKELOOM_CACHE_DIR=str(tmp_path))
    env.pop("GOMP_SPINCOUNT", None)
    env.pop("OMP_WAIT_POLICY", None)
    proc = subprocess.run([sys.executable, "-c", IDLE_SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert float(proc.stdout.strip().splitlines()[-1]) < 0.3  # CPU seconds used while sleeping 1 s


def test_automatic_choice_needs_a_core_free_now_and_lately(monkeypatch):
    # threads only with half a core free both in the load average and among the tasks runnable right now (a
    # job started a second ago is not in the load average yet)
    import numba

    from spikeloom.engines.numba import engine

    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    cases = {(0.3, 1): True, (0.3, 2): False, (1.8, 1): False, (1.4, 1): True}
    for (load, runnable), expected in cases.items():
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load))
        monkeypatch.setattr(engine, "runnable_now", lambda runnable=runnable: runnable)
        assert engine.default_parallel(50_000) is expected, (load, runnable)
        assert engine.default_parallel(engine.PARALLEL_THRESHOLD - 1) is False
    assert engine.runnable_now() >= (1 if os.path.exists("/proc/loadavg") else 0)  # this process runs
