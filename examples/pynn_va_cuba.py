"""A PyNN script on spikeloom: the Vogels-Abbott CUBA network (Brette et al. 2007, benchmark 2), reduced.

Shows: ``import spikeloom.pynn as sim`` (needs the extra ``pynn``); PyNN's populations, views, connectors with
a seeded NumpyRNG, ``RandomDistribution`` initial values, recording and Neo output; the same script runs on
any PyNN backend by changing the import. 1000 IF_curr_exp neurons (80 % excitatory) with the full model's
in-degree (80 inputs), total PSPs of 0.405 mV (excitatory) and -4.5 mV (inhibitory), 500 ms.
"""

import numpy as np

import spikeloom.pynn as sim

N, N_EXC, T_STOP = 1000, 800, 500.0


def main():
    sim.setup(timestep=0.1)
    rng = sim.NumpyRNG(seed=11)
    cell = sim.IF_curr_exp(cm=0.2, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=-49.0, v_reset=-60.0,
                           v_thresh=-50.0, tau_refrac=5.0)
    cells = sim.Population(N, cell, label="CUBA",
                           initial_values={"v": sim.RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng)})
    exc, inh = cells[:N_EXC], cells[N_EXC:]
    connector = sim.FixedProbabilityConnector(80 / N, rng=rng)
    sim.Projection(exc, cells, connector, sim.StaticSynapse(weight=0.0162, delay=0.1), receptor_type="excitatory")
    sim.Projection(inh, cells, connector, sim.StaticSynapse(weight=-0.09, delay=0.1), receptor_type="inhibitory")
    exc.record("spikes")
    cells[0:2].record("v")
    sim.run(T_STOP)

    block = exc.get_data()
    trains = block.segments[0].spiketrains
    rates = np.array([st.size for st in trains]) / (T_STOP / 1000.0)
    isis = [np.diff(st.magnitude) for st in trains if st.size > 2]
    cv = np.mean([isi.std() / isi.mean() for isi in isis])
    v = cells.get_data().segments[0].filter(name="v")[0]
    print(f"excitatory rate {rates.mean():.1f} Hz (s.d. {rates.std():.1f}), mean ISI CV {cv:.2f}")
    print(f"Neo: {len(trains)} spike trains ({trains[0].units.dimensionality}), v {v.shape} in "
          f"{v.units.dimensionality}, sampled every {v.sampling_period}")
    sim.end()


if __name__ == "__main__":
    main()
