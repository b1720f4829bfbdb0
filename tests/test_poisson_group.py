"""PoissonGroup: each source draws the step of its next spike (a geometric gap), which must give the statistics
of a Bernoulli trial per step with p = rate x dt, the same trains on both engines, and trains that do not
depend on how the run is cut into chunks, runs or checkpoints.

Engine comparisons run in a fresh process (``conftest.compare_in_fresh_process``, see test_engine_identity).
"""

import json
import pathlib
import sys

import numpy as np
import pytest
from scipy import stats

import spikeloom as sl
from conftest import compare_in_fresh_process

HERE = pathlib.Path(__file__).resolve()
DT = 0.1  # ms


def _trains(net, duration, seed=3, engine="cpu", precision="float32", pieces=(1.0,)):
    """{population: (steps, indices)} of a run of ``duration`` ms cut into runs of the given fractions."""
    r = sl.Runner(net, dt=DT, seed=seed, engine=engine, precision=precision, progress=False,
                  monitors=[f"{p}.spike" for p in net.populations()])
    steps, idx = {p: [] for p in net.populations()}, {p: [] for p in net.populations()}
    for part in pieces:
        res = r.run(round(duration * part / DT) * DT)
        for p in steps:
            steps[p].append(np.rint(res.spikes[p].times / DT).astype(np.int64) - 1)  # a spike's time ends its step
            idx[p].append(res.spikes[p].indices)
    return {p: (np.concatenate(steps[p]), np.concatenate(idx[p])) for p in steps}


def _stats_network():
    net = sl.Network()
    net.P = sl.PoissonGroup(2000, rate=40.0)
    # per-neuron rates: 500 sources at 5 Hz, 500 at 200 Hz
    net.Q = sl.PoissonGroup(1000, rate=np.repeat([5.0, 200.0], 500))
    return net


def _chi2_pvalue(observed, expected):
    """Pearson's test of counts in bins; bins expecting fewer than 5 are pooled into one."""
    keep = expected >= 5
    obs, exp = observed[keep], expected[keep]
    if (~keep).any():
        obs, exp = np.append(obs, observed[~keep].sum()), np.append(exp, expected[~keep].sum())
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


@pytest.fixture(scope="module")
def trains():
    return _trains(_stats_network(), 2000.0)


def test_counts_are_binomial(trains):
    """Counts per source over 20 000 steps: Binomial(20 000, p); their dispersion (chi-square with n - 1
    degrees of freedom) and their mean, per rate."""
    n_steps = int(round(2000.0 / DT))
    for pop, n, rates in (("P", 2000, np.full(2000, 40.0)), ("Q", 1000, np.repeat([5.0, 200.0], 500))):
        counts = np.bincount(trains[pop][1], minlength=n)
        for rate in np.unique(rates):
            c = counts[rates == rate]
            p = rate * DT * 1e-3
            mean, var = n_steps * p, n_steps * p * (1 - p)
            # the mean of len(c) counts: within 4 standard errors
            assert abs(c.mean() - mean) < 4 * np.sqrt(var / c.size), (pop, rate, c.mean(), mean)
            chi2 = np.sum((c - mean) ** 2) / var
            lo, hi = stats.chi2.ppf([1e-4, 1 - 1e-4], c.size)
            assert lo < chi2 < hi, (pop, rate, chi2, lo, hi)


def test_spikes_per_step_are_binomial(trains):
    """The number of the 2000 sources of P spiking in one step: Binomial(2000, 0.004) (chi-square test over
    the 20 000 steps)."""
    steps = trains["P"][0]
    per_step = np.bincount(steps, minlength=20000)
    k = np.arange(0, 20)
    expected = stats.binom.pmf(k, 2000, 0.004) * per_step.size
    expected[-1] += stats.binom.sf(k[-1], 2000, 0.004) * per_step.size
    observed = np.bincount(np.minimum(per_step, k[-1]), minlength=k.size)
    assert _chi2_pvalue(observed, expected) > 1e-4


def test_intervals_are_geometric(trains):
    """Inter-spike intervals (and the first spike step, counted from step 0) in steps: geometric with
    P(k) = (1 - p)^(k - 1) p; in continuous time that is the exponential law of a Poisson process: a
    Kolmogorov-Smirnov test of the intervals, jittered uniformly within their step, against Exp(rate)."""
    steps, idx = trains["P"]
    order = np.lexsort((steps, idx))
    steps, idx = steps[order], idx[order]
    same = idx[1:] == idx[:-1]
    isi = np.diff(steps)[same]
    first = steps[np.r_[True, ~same]] + 1
    p = 40.0 * DT * 1e-3
    for x in (isi, first):
        k = np.arange(1, 1500)
        expected = stats.geom.pmf(k, p) * x.size
        observed = np.bincount(x, minlength=k[-1] + 1)[1:k[-1] + 1]
        bins = np.r_[np.arange(0, 1000, 10), k.size]  # bins of 10 steps up to 1000, then the tail
        obs = np.add.reduceat(observed, bins[:-1])
        exp = np.add.reduceat(expected, bins[:-1])
        obs[-1] += np.sum(x > k[-1])
        exp[-1] += stats.geom.sf(k[-1], p) * x.size
        assert _chi2_pvalue(obs, exp) > 1e-4
    jittered = (isi - np.random.default_rng(0).uniform(0, 1, isi.size)) * DT * 1e-3  # s
    # geometric steps minus U(0, 1) are exponential with the rate -log(1 - p) / dt
    assert stats.kstest(jittered, "expon", args=(0, 1 / (-np.log1p(-p) / (DT * 1e-3)))).pvalue > 1e-4


def test_edge_rates():
    """Rate 0: no spike; rate x dt = 1: a spike in every step."""
    net = sl.Network()
    net.P = sl.PoissonGroup(3, rate=np.array([0.0, 1e4, 0.0]))
    steps, idx = _trains(net, 5.0)["P"]
    assert np.array_equal(idx, np.ones(50, np.int64)) and np.array_equal(steps, np.arange(50))


def _small_network():
    """Two PoissonGroup populations in one group, updated one at a time (the second before the first), with
    per-neuron rates, driving a LIF population."""

    class Net(sl.Network):
        def __init__(self):
            super().__init__()
            self.A = sl.PoissonGroup(300, rate=np.linspace(1.0, 300.0, 300))
            self.B = sl.PoissonGroup(200, rate=50.0)
            self.E = sl.LIF(50, tau_ref=2.0)
            self.AE = sl.Projection(self.A, self.E, sl.FixedProb(0.2), 20.0, output=sl.CUBA())
            self.BE = sl.Projection(self.B, self.E, sl.FixedProb(0.2), 20.0, output=sl.CUBA())

        def update(self):
            self.B()
            self.A()
            self.AE()
            self.BE()
            self.E()

    return Net()


def test_trains_do_not_depend_on_chunking():
    """One run of 200 ms and the same 200 ms in 5 runs of other lengths give the same spikes."""
    whole = _trains(_small_network(), 200.0)
    assert whole["A"][0].size > 1000 and whole["E"][0].size > 0
    pieces = _trains(_small_network(), 200.0, pieces=(0.0005, 0.2, 0.0995, 0.4, 0.3))
    for p in whole:
        assert np.array_equal(whole[p][0], pieces[p][0]) and np.array_equal(whole[p][1], pieces[p][1]), p


def test_checkpoint_resumes_the_trains(tmp_path):
    net = _small_network()
    mon = [f"{p}.spike" for p in net.populations()]
    r = sl.Runner(net, dt=DT, seed=3, progress=False, monitors=mon)
    r.run(80.0)
    r.save_checkpoint(tmp_path / "c.h5")
    tail = r.run(120.0)
    again = sl.Runner.from_checkpoint(tmp_path / "c.h5", _small_network(), progress=False, monitors=mon).run(120.0)
    for p in ("A", "B", "E"):
        assert np.array_equal(tail.spikes[p].times, again.spikes[p].times), p
        assert np.array_equal(tail.spikes[p].indices, again.spikes[p].indices), p
    assert tail.spikes["A"].times.size > 100


def _compare_in_this_process() -> dict:
    out = {}
    for precision in ("float32",):  # gaps are drawn in float64 whatever the precision
        cpu = _trains(_small_network(), 200.0, precision=precision)
        jax = _trains(_small_network(), 200.0, precision=precision, engine="jax", pieces=(0.5, 0.5))
        out[precision] = {p: [int(cpu[p][0].size), bool(np.array_equal(cpu[p][0], jax[p][0])
                                                         and np.array_equal(cpu[p][1], jax[p][1]))] for p in cpu}
    return out


def test_both_engines_draw_the_same_trains():
    pytest.importorskip("jax")
    report = compare_in_fresh_process(HERE)
    for precision, pops in report.items():
        for pop, (n, same) in pops.items():
            assert n > 0 and same, (precision, pop, report)


if __name__ == "__main__" and sys.argv[1:] == ["compare"]:
    print(json.dumps(_compare_in_this_process()))
