"""Stored delivery reads the row bounds of up to ROW_CHUNK spikes of a bucket before adding their rows: volleys
larger than a chunk, spread over several delay buckets, still deliver every synapse once."""

import numpy as np

import spikeloom as sl
from spikeloom.engines.numba.codegen import ROW_CHUNK


def test_volleys_larger_than_a_chunk_deliver_every_synapse_once():
    rng = np.random.default_rng(11)
    n_pre, n_post, fan_out, dt, tau, steps = 2 * ROW_CHUNK + 77, 30, 3, 0.1, 2.0, 20
    # every source spikes in step 2, half of them again in step 5 (emitted by the step ending at t)
    times = np.concatenate([np.full(n_pre, 0.3), np.full(n_pre // 2, 0.6)])
    indices = np.concatenate([np.arange(n_pre), rng.permutation(n_pre)[: n_pre // 2]])
    pre = np.repeat(np.arange(n_pre), fan_out)
    post = np.concatenate([rng.choice(n_post, fan_out, replace=False) for _ in range(n_pre)])
    weight = rng.normal(1.0, 0.5, pre.size)
    delay_steps = rng.integers(1, 4, pre.size)  # three offset buckets, each reached by whole volleys
    net = sl.Network()
    net.src = sl.SpikeGeneratorGroup(n_pre, times, indices)
    net.post = sl.LIF(n_post, V_th=1e9)
    net.P = sl.Projection(net.src, net.post, sl.FromList(pre, post, weight, delay_steps * dt),
                          synapse=sl.Exponential(tau=tau), output=sl.CUBA())
    res = sl.Runner(net, dt=dt, monitors=["P.g"], precision="float64", progress=False).run(steps * dt)

    spikes = np.zeros((steps, n_pre))
    np.add.at(spikes, (np.rint(times / dt).astype(int) - 1, indices), 1.0)
    g, decay, trace = np.zeros(n_post), np.exp(-dt / tau), []
    for s in range(steps):
        for d in (1, 2, 3):  # a spike of step t with a delay of d steps is added at the start of step t + 1 + d
            if s - 1 - d >= 0:
                sel = delay_steps == d
                np.add.at(g, post[sel], spikes[s - 1 - d, pre[sel]] * weight[sel])
        g *= decay
        trace.append(g.copy())
    assert np.count_nonzero(spikes[2]) > ROW_CHUNK  # the first volley fills more than one chunk
    np.testing.assert_allclose(res["P.g"], np.array(trace), rtol=1e-12, atol=1e-12)
