"""Export to NWB (pynwb) and Neo: spike trains, counts and traces come back exactly, units are SI (NWB) or
quantities (Neo), nwbinspector finds nothing critical, Elephant works on the Block; missing packages, unwritable
paths and bad metadata give clear errors."""

import datetime
import json
import sys

import numpy as np
import pytest

import spikeloom as sl

pynwb = pytest.importorskip("pynwb")
neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
nwbinspector = pytest.importorskip("nwbinspector")
elephant_statistics = pytest.importorskip("elephant.statistics")


def small_network() -> sl.Network:
    net = sl.Network()
    lif = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0, init={"V": sl.Normal(-55.0, 2.0)})
    net.E = sl.LIF(40, **lif)
    net.I = sl.LIF(10, **lif)
    net.S = sl.LIF(5, **lif)
    net.E2I = sl.Projection(net.E, net.I, sl.FixedProb(0.2), 0.6, synapse=sl.Exponential(tau=5.0),
                            output=sl.COBA(E=0.0))
    return net


@pytest.fixture(scope="module")
def run():
    """The second of two runs (so t_start = 60 ms, not 0); E is driven above threshold, I by E on top of 9 pA,
    S gets no input (silent), V sampled every 2 steps at three neurons."""
    net = small_network()
    runner = sl.Runner(net, dt=0.1, seed=4, inputs={"E": 20.0, "I": 9.0},
                       monitors=["E.spike", "I.spike", "S.spike", ("E.V", [0, 7, 39], 2), "E2I.g",
                                 ("E.refractory", [1])])
    runner.run(60.0)
    result = runner.run(60.0)
    assert result.t_start == pytest.approx(60.0) and len(result.spikes["E"]) > 100
    return net, result


def test_nwb_round_trip_gives_the_same_spikes_counts_and_traces(run, tmp_path):
    net, res = run
    path = tmp_path / "results.nwb"
    res.to_nwb(path, metadata={"model": "small", "seed": np.int64(4), "w": np.array([0.6, 6.7])}, network=net)
    assert [p.name for p in tmp_path.iterdir()] == ["results.nwb"]  # no temporary file left behind
    with pynwb.NWBHDF5IO(path, "r") as io:
        f = io.read()
        units = f.units.to_dataframe()
        for pop, st in res.spikes.items():
            rows = units[units.population == pop]
            assert list(rows.neuron_index) == list(range(st.n))  # silent neurons too: one row per neuron
            assert sum(len(t) for t in rows.spike_times) == len(st) == res.spike_counts[pop].sum()
            for i, t in zip(rows.neuron_index, rows.spike_times):
                np.testing.assert_allclose(t, np.sort(st.times[st.indices == i]) * 1e-3, rtol=1e-15, atol=0)
        assert len(units[units.population == "S"]) == 5 and res.spike_counts["S"].sum() == 0
        assert f.units.resolution == pytest.approx(1e-4)

        v = f.acquisition["E.V"]
        np.testing.assert_array_equal(v.data[()], res.traces["E.V"])
        assert (v.unit, v.conversion, json.loads(v.comments)) == ("V", 1e-3, [0, 7, 39])
        assert v.rate == pytest.approx(5000.0) and v.starting_time == pytest.approx(res.trace_times["E.V"][0] * 1e-3)
        g = f.acquisition["E2I.g"]
        np.testing.assert_array_equal(g.data[()], res.traces["E2I.g"])
        assert (g.unit, g.conversion, g.rate) == ("S", 1e-9, pytest.approx(1e4))
        assert f.acquisition["E.refractory"].unit == "a.u."  # a step counter declares no unit

        notes = json.loads(f.notes)
        assert notes["metadata"] == {"model": "small", "seed": 4, "w": [0.6, 6.7]}
        assert notes["run"]["spike_counts"] == {p: int(c.sum()) for p, c in res.spike_counts.items()}
        assert notes["run"]["dt_ms"] == 0.1 and notes["run"]["population_sizes"] == {"E": 40, "I": 10, "S": 5}
        assert f.session_start_time.tzinfo is not None
    serious = list(nwbinspector.inspect_nwbfile(path, importance_threshold=nwbinspector.Importance.CRITICAL))
    assert serious == [], [(m.check_function_name, m.message) for m in serious]


def test_nwb_without_network_stores_traces_unconverted(run, tmp_path):
    _, res = run
    res.to_nwb(tmp_path / "r.nwb")
    with pynwb.NWBHDF5IO(tmp_path / "r.nwb", "r") as io:
        v = io.read().acquisition["E.V"]
        assert (v.unit, v.conversion) == ("a.u.", 1.0)


def test_neo_block_has_the_runs_spikes_and_traces(run):
    net, res = run
    block = res.to_neo(net)
    assert len(block.segments) == 1 and [g.name for g in block.groups] == ["E", "I", "S"]
    seg = block.segments[0]
    for group in block.groups:
        st = res.spikes[group.name]
        assert len(group.spiketrains) == st.n and sum(len(t) for t in group.spiketrains) == res.spike_counts[
            group.name].sum()
        for train in group.spiketrains:
            i = train.annotations["neuron_index"]
            assert train.annotations["population"] == group.name and train.units == pq.ms
            np.testing.assert_array_equal(train.magnitude, np.sort(st.times[st.indices == i]))
            assert train.t_start == 60.0 * pq.ms and train.t_stop >= 120.0 * pq.ms - 1e-9 * pq.ms
    assert len(seg.spiketrains) == 55
    sig = {s.name: s for s in seg.analogsignals}
    v = sig["E.V"]
    np.testing.assert_array_equal(v.magnitude, res.traces["E.V"])
    assert v.units == pq.mV and v.sampling_period == 0.2 * pq.ms
    np.testing.assert_allclose(v.times.rescale("ms").magnitude, res.trace_times["E.V"], rtol=1e-12)
    assert list(v.array_annotations["index"]) == [0, 7, 39]
    assert sig["E2I.g"].units == pq.nS and sig["E.refractory"].units == pq.dimensionless


def test_elephant_statistics_work_on_the_blocks_trains(run):
    _, res = run
    trains = [t for t in res.to_neo().segments[0].spiketrains if t.annotations["population"] == "E"]
    isi = elephant_statistics.isi(trains[0])
    assert isi.units == pq.ms
    expected = np.diff(np.sort(res.spikes["E"].times[res.spikes["E"].indices == 0]))
    assert elephant_statistics.cv(isi) == pytest.approx(np.std(expected) / np.mean(expected))
    counts = np.array([len(t) for t in trains])
    assert elephant_statistics.fanofactor(trains) == pytest.approx(counts.var() / counts.mean())


@pytest.mark.parametrize("module, call, extra", [("pynwb", lambda r, p: r.to_nwb(p / "x.nwb"), "nwb"),
                                                  ("neo", lambda r, p: r.to_neo(), "neo"),
                                                  ("quantities", lambda r, p: r.to_neo(), "neo")])
def test_a_missing_package_names_the_extra(run, tmp_path, monkeypatch, module, call, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import then raises ImportError
    with pytest.raises(sl.SpikeloomError, match=rf"{module!r}.*pip install 'spikeloom\[{extra}\]'"):
        call(run[1], tmp_path)


def test_bad_paths_and_metadata_are_refused_and_leave_no_file(run, tmp_path):
    _, res = run
    with pytest.raises(sl.ModelDefinitionError, match="cannot write .*missing.*No such file"):
        res.to_nwb(tmp_path / "missing" / "r.nwb")
    with pytest.raises(sl.ModelDefinitionError, match=r"metadata\['opts'\]\['f'\] is a builtin"):
        res.to_nwb(tmp_path / "r.nwb", metadata={"opts": {"f": print}})
    with pytest.raises(sl.ModelDefinitionError, match="timezone-aware"):
        res.to_nwb(tmp_path / "r.nwb", session_start_time=datetime.datetime(2024, 1, 1))
    assert list(tmp_path.iterdir()) == []


def test_a_result_read_lazily_from_hdf5_exports_the_same_spikes(run, tmp_path):
    _, res = run
    res.to_hdf5(tmp_path / "r.h5")
    lazy = sl.Result.from_hdf5(tmp_path / "r.h5", lazy=True)
    lazy.to_nwb(tmp_path / "r.nwb")
    with pynwb.NWBHDF5IO(tmp_path / "r.nwb", "r") as io:
        units = io.read().units.to_dataframe()
    for pop, st in res.spikes.items():
        assert sum(map(len, units[units.population == pop].spike_times)) == len(st)
    block = lazy.to_neo()
    assert sum(len(t) for t in block.segments[0].spiketrains) == sum(len(st) for st in res.spikes.values())
    np.testing.assert_array_equal(block.segments[0].analogsignals[0].magnitude, res.traces["E.V"])
