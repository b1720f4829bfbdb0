"""Bad connectors and random synapse parameters: FixedTotalNumber, LogNormal, DelayRule, drawn and computed
delays and weights, and reading stored synapses back (``Runner.connections``)."""

import brainunit as u
import numpy as np

import spikeloom as sl
from bad_cases import ApiCase
from spikeloom import ModelDefinitionError as MDE
from spikeloom import UnknownKeyError
from spikeloom._errors import UnitError

NAN = float("nan")


def _case(id, call, match, error=MDE):
    return ApiCase(id, call, error, match)


def _net(conn=None, weight=1.0, n_pre=4, n_post=5, same=False, **kw):
    """A network whose projection ``P`` (current-based) is made from these arguments."""
    net = sl.Network()
    net.a = sl.LIF(n_pre)
    net.b = net.a if same else sl.LIF(n_post)
    net.P = sl.Projection(net.a, net.b, sl.FixedProb(0.5) if conn is None else conn, weight,
                          output=kw.pop("output", sl.CUBA()), **kw)
    return net


def _run(**kw):
    """Build (no run) a runner of :func:`_net`."""
    return sl.Runner(_net(**kw), dt=0.1)


def _proj(conn=None, **kw):
    return sl.Projection(sl.LIF(4), sl.LIF(5), sl.FixedProb(0.5) if conn is None else conn, 1.0, **kw)


def _shared():
    """Two projections from one population onto one synapse state: the plan merges their synapses."""
    net = _net(conn=sl.OneToOne(), n_post=4)
    net.Q = sl.Projection(net.a, net.b, sl.OneToOne(), 2.0, output=sl.CUBA())
    return sl.Runner(net, dt=0.1).connections("P")


CONNECTORS = [
    _case("total_negative", lambda: sl.FixedTotalNumber(-1), r"FixedTotalNumber: n must be an integer >= 0"),
    _case("total_fraction", lambda: sl.FixedTotalNumber(2.5), r"FixedTotalNumber: n must be a whole number"),
    _case("total_string", lambda: sl.FixedTotalNumber("5"), r"FixedTotalNumber: n must be a number, got str"),
    _case("total_nan", lambda: sl.FixedTotalNumber(NAN), r"FixedTotalNumber: n must be a whole number"),
    _case("total_allow_self_string", lambda: sl.FixedTotalNumber(3, allow_self="no"),
          r"FixedTotalNumber: allow_self must be True or False"),
    _case("total_multapses_int", lambda: sl.FixedTotalNumber(3, multapses=1),
          r"FixedTotalNumber: multapses must be True or False"),
    _case("total_distinct_too_many", lambda: _proj(sl.FixedTotalNumber(21, multapses=False)),
          r"Projection\(LIF\(4\) -> LIF\(5\)\): FixedTotalNumber: n = 21 distinct synapses .* 20 \(pre, post\) pairs"),
    _case("total_distinct_noself_too_many",
          lambda: (lambda a: sl.Projection(a, a, sl.FixedTotalNumber(13, False, False), 1.0))(sl.LIF(4)),
          r"n = 13 distinct synapses .* exceeds the 12 \(pre, post\) pairs without self-connections"),
    _case("fromlist_delay_negative", lambda: sl.FromList([0, 1], [1, 0], delay=[1.0, -0.5]),
          r"FromList: delay must be >= 0 ms, got -0.5 at flat index 1"),
    _case("fromlist_delay_length", lambda: sl.FromList([0, 1], [1, 0], delay=[1.0]),
          r"FromList: delay must have shape \(2,\), got shape \(1,\)"),
    _case("fromlist_delay_wrong_dimension", lambda: sl.FromList([0, 1], [1, 0], delay=[1.0, 2.0] * u.mV),
          r"FromList: delay' expects a quantity in ms", UnitError),
    _case("fromlist_delay_twice", lambda: _proj(sl.FromList([0, 1], [1, 0], delay=[1.0, 2.0]), delay=1.0),
          r"FromList carries its own delays; give no delay"),
    _case("total_no_pair", lambda: (lambda a: sl.Projection(a, a, sl.FixedTotalNumber(3, allow_self=False), 1.0))(
        sl.LIF(1)), r"FixedTotalNumber: n = 3 synapses but there is no \(pre, post\) pair"),
]

LAWS = [
    _case("lognormal_zero_mean", lambda: sl.LogNormal(0.0, 1.0), r"LogNormal: mean must be > 0"),
    _case("lognormal_negative_std", lambda: sl.LogNormal(1.0, -0.1), r"LogNormal: std must be >= 0"),
    _case("lognormal_nan_mean", lambda: sl.LogNormal(NAN, 1.0), r"LogNormal: mean must be finite"),
    _case("lognormal_string_std", lambda: sl.LogNormal(1.0, "1"), r"LogNormal: std must be a number"),
    _case("lognormal_mixed_dimensions", lambda: sl.LogNormal(1 * u.ms, 1 * u.mV), r"LogNormal: std is in mV",
          UnitError),
    _case("lognormal_from_log_nan", lambda: sl.LogNormal.from_log(NAN, 1.0), r"LogNormal.from_log: mu must be finite"),
    _case("lognormal_from_log_negative_sigma", lambda: sl.LogNormal.from_log(0.0, -1.0),
          r"LogNormal.from_log: sigma must be finite and >= 0"),
    _case("lognormal_delay_in_mv", lambda: _proj(delay=sl.LogNormal(1 * u.mV, 1 * u.mV)), r"delay.*LogNormal",
          UnitError),
]

RULES = [
    _case("rule_rounding_unknown", lambda: sl.DelayRule(rounding="up"),
          r"DelayRule: rounding must be one of \['nearest', 'exact'\], got 'up'"),
    _case("rule_below_dt_unknown", lambda: sl.DelayRule(below_dt="drop"),
          r"DelayRule: below_dt must be one of \['error', 'redraw', 'clip', 'keep'\]"),
    _case("rule_min_steps_below_half", lambda: sl.DelayRule(min_steps=0.2),
          r"DelayRule: min_steps must be a number in \[0.5, 1\] \(steps of dt\) under rounding='nearest', got 0.2"),
    _case("rule_min_steps_exact_below_one", lambda: sl.DelayRule(rounding="exact", min_steps=0.5),
          r"DelayRule: min_steps must be a number in \[1, 1\] .* rounding='exact', got 0.5"),
    _case("rule_min_steps_text", lambda: sl.DelayRule(min_steps="half"), r"DelayRule: min_steps must be a number"),
    _case("rule_min_steps_nan", lambda: sl.DelayRule(min_steps=float("nan")), r"DelayRule: min_steps .* got nan"),
    _case("rule_min_steps_bool", lambda: sl.DelayRule(min_steps=True), r"DelayRule: min_steps .* got True"),
    _case("rule_rounding_number", lambda: sl.DelayRule(rounding=1), r"DelayRule: rounding must be one of"),
    _case("rule_not_a_rule", lambda: _proj(delay_rule="nearest"),
          r"delay_rule must be a DelayRule\(rounding=..., below_dt=...\), got str"),
    _case("rule_redraw_number", lambda: _proj(delay=1.0, delay_rule=sl.DelayRule(below_dt="redraw")),
          r"below_dt='redraw' needs a random delay law .*got float"),
    _case("rule_redraw_function", lambda: _proj(delay=lambda i, j: i * 0.1, delay_rule=sl.DelayRule(below_dt="redraw")),
          r"below_dt='redraw' needs a random delay law .*got function"),
    _case("rule_exact_with_law", lambda: _proj(delay=sl.Normal(1.0, 0.1), delay_rule=sl.DelayRule(rounding="exact")),
          r"rounding='exact' cannot hold delays drawn from Normal"),
    _case("rule_procedural", lambda: _proj(sl.ProceduralProb(0.5), delay_rule=sl.DelayRule()),
          r"delay_rule applies to stored connectivity"),
    _case("law_delay_procedural", lambda: _proj(sl.ProceduralProb(0.5), delay=sl.Uniform(1.0, 2.0)),
          r"a delay drawn per synapse .* needs stored connectivity"),
    _case("function_weight_procedural", lambda: sl.Projection(sl.LIF(4), sl.LIF(5), sl.ProceduralProb(0.5),
                                                               lambda i, j: i * 1.0),
          r"a weight function of \(pre_idx, post_idx\) needs stored connectivity"),
]

BUILT = [
    _case("law_below_dt_error", lambda: _run(conn=sl.AllToAll(), delay=sl.Normal(0.5, 0.5)),
          r"projection 'P': delay -?[0-9.e-]+ ms of synapse pre \d+ -> post \d+ is below dt = 0.1 ms .*"
          r"below_dt='redraw'"),
    _case("function_below_dt_error", lambda: _run(conn=sl.OneToOne(), n_post=4, delay=lambda i, j: 0.05 + 0 * i),
          r"projection 'P': delay 0.05 ms of synapse pre 0 -> post 0 is below dt"),
    _case("array_negative_keep", lambda: _run(conn=sl.OneToOne(), n_post=4, delay=lambda i, j: -0.1 * i,
                                              delay_rule=sl.DelayRule(below_dt="keep")),
          r"delay -0.1 ms of synapse pre 1 -> post 1 is negative"),
    _case("redraw_never_reaches", lambda: _run(delay=sl.Uniform(0.0, 0.05), delay_rule=sl.DelayRule(below_dt="redraw")),
          r"projection 'P': delay law Uniform\(low=0.0, high=0.05.* almost never reaches dt"),
    _case("function_delay_wrong_shape", lambda: _run(delay=lambda i, j: np.ones(3)),
          r"projection 'P': delay function <lambda>\(pre_idx, post_idx\) must have shape \(\d+,\), got shape \(3,\)"),
    _case("function_delay_nan", lambda: _run(delay=lambda i, j: np.full(i.size, NAN)),
          r"projection 'P': delay function .* must be finite"),
    _case("function_delay_wrong_dimension", lambda: _run(delay=lambda i, j: np.ones(i.size) * u.mV),
          r"delay function .* expects a quantity in ms", UnitError),
    _case("function_weight_strings", lambda: _run(weight=lambda i, j: np.array(["a"] * i.size)),
          r"projection 'P': weight function <lambda>\(pre_idx, post_idx\) must hold real numbers"),
    _case("function_weight_negative_conductance",
          lambda: _run(weight=lambda i, j: -np.ones(i.size), output=sl.COBA(E=0.0)),
          r"projection 'P': weight function gives a negative conductance"),
    _case("exact_off_grid_array", lambda: _run(conn=sl.OneToOne(), n_post=4, delay=np.array([0.1, 0.2, 0.25, 0.3])),
          r"projection 'P': delay 0.25 ms is not a multiple of dt = 0.1 ms; round it with "
          r"delay_rule=DelayRule\(rounding='nearest'\)"),
]

READBACK = [
    _case("connections_unknown", lambda: _run().connections("Q"), r"connections\('Q'\): no projection named 'Q'.*"
          r"known: \['P'\]", UnknownKeyError),
    _case("connections_procedural", lambda: _run(conn=sl.ProceduralProb(0.5)).connections("P"),
          r"connections\('P'\): a procedural projection stores no synapses; .*spikeloom.materialize"),
    _case("connections_merged", _shared, r"connections\('P'\): the plan merged its synapses with those of \['Q'\]"),
]

CASES = CONNECTORS + LAWS + RULES + BUILT + READBACK
