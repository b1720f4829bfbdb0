"""Analyse a spikeloom run with Elephant: export the result to Neo and to NWB.

Shows: ``Result.to_neo`` (a ``neo.Block``: one SpikeTrain per neuron in ms, grouped per population), Elephant's
coefficient of variation of inter-spike intervals, Fano factor of spike counts and a cross-correlogram of the
pooled E and I trains, and ``Result.to_nwb`` (read back with pynwb). Needs the extras ``neo``, ``elephant`` and
``nwb`` (``pip install 'spikeloom[neo,elephant,nwb]'``). Output goes to ``$SPIKELOOM_EXAMPLE_OUT``.
"""

import os
import pathlib
import tempfile

import elephant.conversion as conversion
import elephant.spike_train_correlation as correlation
import elephant.statistics as stats
import neo
import numpy as np
import pynwb
import quantities as pq

import spikeloom as sl
from spikeloom.models.coba import COBA


def main():
    out = pathlib.Path(os.environ.get("SPIKELOOM_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="spikeloom_"))
    out.mkdir(parents=True, exist_ok=True)
    # the COBA network at a quarter of its size, with the connection probability scaled up to keep 80 inputs
    net = COBA(n_exc=800, n_inh=200, p=0.08)
    runner = sl.Runner(net, dt=0.1, seed=2, inputs={"E": 20.0, "I": 20.0}, monitors=["E.spike", "I.spike"])
    result = runner.run(1000.0)

    block = result.to_neo(net)
    groups = {g.name: g.spiketrains for g in block.groups}
    for pop, trains in groups.items():
        cvs = [stats.cv(stats.isi(t)) for t in trains if len(t) >= 3]
        print(f"{pop}: {sum(map(len, trains))} spikes (run: {int(result.spike_counts[pop].sum())}), "
              f"mean rate {result.mean_rate(pop):.1f} Hz, CV of ISIs {np.mean(cvs):.2f} over {len(cvs)} neurons, "
              f"Fano factor of counts {stats.fanofactor(trains):.2f}")

    # cross-correlogram of the pooled E and I activity, 1 ms bins, lags up to +-20 ms; a spike of the last step
    # has time t_stop, which a bin [t, t + 1 ms) holds only if binning runs one bin past the end
    t0, t1 = block.segments[0].t_start, block.segments[0].t_stop + 1 * pq.ms
    pooled = {pop: neo.SpikeTrain(np.sort(np.concatenate([t.magnitude for t in trains])) * pq.ms, t_start=t0,
                                  t_stop=t1) for pop, trains in groups.items()}
    binned = {pop: conversion.BinnedSpikeTrain(t, bin_size=1 * pq.ms) for pop, t in pooled.items()}
    cch, lags = correlation.cross_correlation_histogram(binned["E"], binned["I"], window=[-20, 20])
    print(f"E-I cross-correlogram: peak at lag {lags[np.argmax(cch.magnitude[:, 0])]} ms "
          f"(positive: I spikes after E)")

    result.to_nwb(out / "results.nwb", metadata={"model": "COBA", "n_exc": 800, "n_inh": 200, "seed": 2},
                  network=net)
    with pynwb.NWBHDF5IO(out / "results.nwb", "r") as io:
        units = io.read().units.to_dataframe()
    print(f"results.nwb: {len(units)} units, spikes per population "
          f"{units.groupby('population').spike_times.apply(lambda s: sum(map(len, s))).to_dict()}")


if __name__ == "__main__":
    main()
