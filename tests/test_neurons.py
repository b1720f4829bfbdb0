"""Neuron models against analytic solutions and a high-precision ODE reference."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import spikeloom as sl
from conftest import single_population


@pytest.mark.parametrize("method, tol", [("exact", 1e-4), ("exp_euler", 1e-4), ("rk4", 1e-4), ("rk2", 2e-3),
                                         ("euler", 0.05)])
def test_lif_subthreshold_matches_analytic(method, tol):
    # tau dV/dt = V_rest - V + R I with I constant: V(t) = V_inf + (V0 - V_inf) exp(-t / tau)
    tau, R, I, V0, V_rest = 10.0, 2.0, 5.0, -70.0, -65.0
    pop = sl.LIF(3, V_rest=V_rest, V_th=0.0, tau=tau, R=R, method=method, init={"V": V0})
    runner = single_population(pop, inputs={"P": I}, monitors=["P.V"], precision="float64")
    res = runner.run(50.0)
    t = res.trace_times["P.V"]
    expected = V_rest + R * I + (V0 - V_rest - R * I) * np.exp(-t / tau)
    np.testing.assert_allclose(res["P.V"][:, 0], expected, atol=tol)


def lif_rate(I, tau, tau_ref, R, V_th, V_reset, V_rest):
    """Analytic f-I curve (Hz): T = tau_ref + tau ln((R I + V_rest - V_reset) / (R I + V_rest - V_th))."""
    drive = V_rest + R * I
    if drive <= V_th:
        return 0.0
    return 1e3 / (tau_ref + tau * np.log((drive - V_reset) / (drive - V_th)))


def test_lif_refractory_fi_curve_within_one_percent():
    currents = np.array([12.0, 15.0, 20.0, 30.0, 50.0, 80.0])
    pars = dict(tau=20.0, tau_ref=5.0, R=1.0, V_th=-50.0, V_reset=-60.0, V_rest=-60.0)
    pop = sl.LIF(currents.size, **pars, init={"V": -60.0})
    runner = single_population(pop, inputs={"P": currents}, monitors=["P.spike"], dt=0.01, precision="float64")
    res = runner.run(2000.0)
    # rate from the mean inter-spike interval (the first spike has no predecessor)
    st = res.spikes["P"]
    for i, current in enumerate(currents):
        times = st.times[st.indices == i]
        measured = 1e3 / np.mean(np.diff(times))
        expected = lif_rate(current, **pars)
        assert measured == pytest.approx(expected, rel=0.01), (current, measured, expected)
    assert lif_rate(9.0, **pars) == 0.0


def test_lif_noise_has_the_stationary_standard_deviation():
    sigma = 2.0
    pop = sl.LIF(2000, V_rest=-65.0, V_th=100.0, tau=10.0, noise_sigma=sigma, init={"V": -65.0})
    runner = single_population(pop, monitors=[("P.V", np.arange(2000), 100)], seed=3)
    res = runner.run(200.0)
    late = res["P.V"][5:]  # after five time constants
    # 2000 neurons x 15 samples: the sample std is within 3 % of sigma with overwhelming probability
    assert late.std() == pytest.approx(sigma, rel=0.03)
    assert late.mean() == pytest.approx(-65.0, abs=0.1)


def test_izhikevich_regular_spiking_matches_scipy_reference():
    p = dict(C=100.0, k=0.7, v_r=-60.0, v_t=-40.0, a=0.03, b=-2.0, c=-50.0, d=100.0, v_peak=35.0)
    I = 150.0
    res = single_population(sl.Izhikevich(1, method="rk4"), inputs={"P": I}, monitors=["P.spike"], dt=0.005,
                            precision="float64").run(300.0)
    ref = _reference_spike_times(
        lambda t, y: [(p["k"] * (y[0] - p["v_r"]) * (y[0] - p["v_t"]) - y[1] + I) / p["C"],
                      p["a"] * (p["b"] * (y[0] - p["v_r"]) - y[1])],
        [p["v_r"], 0.0], 300.0, lambda y: y[0] - p["v_peak"], lambda y: [p["c"], y[1] + p["d"]])
    got = res.spikes["P"].times
    assert got.size == ref.size >= 3
    np.testing.assert_allclose(got, ref, atol=0.02)  # a spike is reported at the end of its step (dt 0.005)


def _reference_spike_times(rhs, y0, t_end, crossing, reset):
    """Integrate with solve_ivp (rtol 1e-10), locating threshold events exactly and applying the reset."""
    t, y, spikes = 0.0, list(y0), []
    event = lambda t, y: crossing(y)  # noqa: E731
    event.terminal, event.direction = True, 1
    while t < t_end:
        sol = solve_ivp(rhs, (t, t_end), y, events=event, rtol=1e-10, atol=1e-10, method="DOP853")
        if sol.status != 1:
            break
        t = float(sol.t_events[0][0])
        spikes.append(t)
        y = reset(sol.y_events[0][0])
    return np.array(spikes)


def _hh_reference(I_ext, t_end=100.0):
    """Spike times of one HH neuron under constant current, from solve_ivp (DOP853, rtol 1e-10)."""
    p = sl.HH(1).params

    def rhs(t, y):
        V, m, h, n = y
        u = V - p["V_T"]
        am = 0.32 * (13 - u) / np.expm1((13 - u) / 4)
        bm = 0.28 * (u - 40) / np.expm1((u - 40) / 5)
        ah = 0.128 * np.exp((17 - u) / 18)
        bh = 4 / (1 + np.exp((40 - u) / 5))
        an = 0.032 * (15 - u) / np.expm1((15 - u) / 5)
        bn = 0.5 * np.exp((10 - u) / 40)
        dV = (p["g_L"] * (p["E_L"] - V) - p["g_Na"] * m**3 * h * (V - p["E_Na"]) - p["g_K"] * n**4 * (V - p["E_K"])
              + I_ext) / p["C"]
        return [dV, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]

    sol = solve_ivp(rhs, (0, t_end), [-65.0, 0.0, 1.0, 0.0], rtol=1e-10, atol=1e-10, method="DOP853",
                    dense_output=True)
    tt = np.arange(0, t_end, 0.0005)
    V = sol.sol(tt)[0]
    return tt[1:][(V[:-1] < -20) & (V[1:] >= -20)]


def _hh_spikes(method, dt, I_ext=500.0):
    hh = sl.HH(1, method=method, init={"V": -65.0})
    res = single_population(hh, inputs={"P": I_ext}, monitors=["P.spike"], dt=dt, precision="float64").run(100.0)
    return res.spikes["P"].times


def test_hh_rk4_matches_scipy_reference():
    ref = _hh_reference(500.0)
    got = _hh_spikes("rk4", 0.005)
    assert got.size == ref.size >= 5
    np.testing.assert_allclose(got, ref, atol=0.006)  # within about one step


def test_hh_exponential_euler_converges_at_first_order():
    ref = _hh_reference(500.0)
    errors = []
    for dt in (0.01, 0.005):
        got = _hh_spikes("exp_euler", dt)
        assert got.size == ref.size
        errors.append(np.abs(got - ref).max())
    assert errors[1] < 0.01 * ref[-1]
    assert 1.5 < errors[0] / errors[1] < 2.6  # first order: halving dt halves the error


class _HHWithoutLinearForm(sl.HH):
    linear_form = None  # exp_euler falls back to finite-difference slopes of the same vector field


def test_exp_euler_from_linear_form_equals_finite_differences():
    # for equations affine in their own variable both paths compute the same A + B x step
    traces = []
    for model in (sl.HH, _HHWithoutLinearForm):
        res = single_population(model(1, init={"V": -65.0}), inputs={"P": 500.0}, monitors=["P.spike", "P.V"],
                                dt=0.01, precision="float64").run(50.0)
        traces.append((res.spikes["P"].times, res["P.V"][:, 0]))
    assert traces[0][0].size >= 2
    np.testing.assert_array_equal(traces[0][0], traces[1][0])
    np.testing.assert_allclose(traces[0][1], traces[1][1], rtol=0, atol=1e-6)


def test_adex_adaptation_lengthens_intervals():
    res = single_population(sl.AdEx(1, method="rk4"), inputs={"P": 800.0}, monitors=["P.spike", "P.w"], dt=0.01,
                            precision="float64").run(500.0)
    isi = np.diff(res.spikes["P"].times)
    assert isi.size >= 5
    assert isi[-1] > 1.5 * isi[0]  # spike-frequency adaptation (b = 80.5 pA per spike)
    assert res["P.w"].max() > 80.0


def test_rk_methods_converge_to_the_same_izhikevich_trace():
    traces = {}
    for method, dt in (("euler", 0.001), ("rk2", 0.01), ("rk4", 0.01)):
        res = single_population(sl.Izhikevich(1, method=method), inputs={"P": 60.0}, monitors=[("P.v", [0], int(1 / dt))],
                                dt=dt, precision="float64").run(50.0)
        traces[method] = res["P.v"][:, 0]
    np.testing.assert_allclose(traces["rk2"], traces["rk4"], atol=0.05)
    np.testing.assert_allclose(traces["euler"], traces["rk4"], atol=0.5)
