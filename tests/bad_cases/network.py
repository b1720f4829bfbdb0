"""Bad network descriptions: initializers, connectors, procedural connectors, event operators, projections,
populations, units, and what only the build can see (drawn weights, memory, conductance stability)."""

import brainunit as u
import numpy as np
import scipy.sparse as sp

import spikeloom as sl
from bad_cases import ApiCase
from spikeloom import ModelDefinitionError as MDE
from spikeloom import ResourceError
from spikeloom._errors import UnitError
from spikeloom.network.build import build_plan

NAN, INF = float("nan"), float("inf")


def _jax_deliver(spikes, step, seed):
    """A top-level function an EventOperator accepts as its JAX kernel."""
    return spikes


def _build(dt=0.1, **children):
    """Build the plan of a network of ``children`` (no compilation)."""
    return build_plan(sl.Network(**children), dt, 0)


def _proj(conn=None, weight=1.0, n_pre=4, n_post=5, **kw):
    """A projection between two fresh LIF populations."""
    return sl.Projection(sl.LIF(n_pre), sl.LIF(n_post), sl.FixedProb(0.5) if conn is None else conn, weight, **kw)


def _built(conn=None, weight=1.0, n_pre=4, n_post=5, same=False, dt=0.1, **kw):
    """Build a network whose projection ``P`` is made from these arguments."""
    a = sl.LIF(n_pre)
    b = a if same else sl.LIF(n_post)
    return _build(dt, a=a, b=b, P=sl.Projection(a, b, sl.FixedProb(0.5) if conn is None else conn, weight, **kw))


def _case(id, call, match, error=MDE):
    return ApiCase(id, call, error, match)


INITIALIZERS = [
    _case("normal_negative_std", lambda: sl.Normal(0.0, -1.0), r"Normal: std must be >= 0"),
    _case("normal_nan_mean", lambda: sl.Normal(NAN, 1.0), r"Normal: mean must be finite"),
    _case("normal_inf_std", lambda: sl.Normal(0.0, INF), r"Normal: std must be finite"),
    _case("normal_string_mean", lambda: sl.Normal("-55", 1.0), r"Normal: mean must be a number"),
    _case("normal_array_mean", lambda: sl.Normal(np.ones(3), 1.0), r"Normal: mean must be a real number"),
    _case("uniform_reversed", lambda: sl.Uniform(1.0, 0.0), r"Uniform: high \(0\) must be >= low \(1\)"),
    _case("uniform_nan_low", lambda: sl.Uniform(NAN, 1.0), r"Uniform: low must be finite"),
    _case("uniform_none_high", lambda: sl.Uniform(0.0, None), r"Uniform: high must be a number"),
    _case("uniform_quantity_reversed", lambda: sl.Uniform(-50 * u.mV, -60 * u.mV), r"Uniform: high \(-60\)"),
    _case("uniform_mixed_dimensions", lambda: sl.Uniform(1 * u.mV, 2 * u.ms), r"Uniform: high is in ms", UnitError),
    _case("uniform_unknown_dimension", lambda: sl.Uniform(1 * u.meter, 2 * u.meter), r"Uniform: low: .*no spikeloom",
          UnitError),
    _case("constant_nan", lambda: sl.Constant(NAN), r"Constant: value must be finite"),
    _case("constant_inf_quantity", lambda: sl.Constant(INF * u.mV), r"Constant: value must be finite"),
    _case("constant_complex", lambda: sl.Constant(1j), r"Constant: value must be a real number"),
    _case("constant_bool", lambda: sl.Constant(True), r"Constant: value must be a number"),
]

CONNECTORS = [
    _case("fixedprob_string", lambda: sl.FixedProb("0.5"), r"FixedProb: p must be a number, got str"),
    _case("fixedprob_above_one", lambda: sl.FixedProb(1.5), r"FixedProb: p must be finite and in \[0, 1\]"),
    _case("fixedprob_negative", lambda: sl.FixedProb(-0.1), r"FixedProb: p must be finite and in \[0, 1\]"),
    _case("fixedprob_nan", lambda: sl.FixedProb(NAN), r"FixedProb: p must be finite"),
    _case("fixedprob_none", lambda: sl.FixedProb(None), r"FixedProb: p must be a number"),
    _case("fixedprob_allow_self_string", lambda: sl.FixedProb(0.1, allow_self="no"),
          r"FixedProb: allow_self must be True or False"),
    _case("fixedprob_allow_self_int", lambda: sl.FixedProb(0.1, allow_self=0), r"FixedProb: allow_self must be True"),
    _case("outdegree_fraction", lambda: sl.FixedOutDegree(2.5), r"FixedOutDegree: k must be a whole number"),
    _case("outdegree_negative", lambda: sl.FixedOutDegree(-1), r"FixedOutDegree: k must be an integer >= 0"),
    _case("outdegree_string", lambda: sl.FixedOutDegree("3"), r"FixedOutDegree: k must be a number"),
    _case("outdegree_nan", lambda: sl.FixedOutDegree(NAN), r"FixedOutDegree: k must be a whole number"),
    _case("outdegree_above_post", lambda: _proj(sl.FixedOutDegree(50), n_post=20),
          r"Projection\(LIF\(4\) -> LIF\(20\)\): FixedOutDegree: k = 50 distinct targets .* 20 neurons of post"),
    _case("outdegree_noself_full", lambda: (lambda a: sl.Projection(a, a, sl.FixedOutDegree(6, allow_self=False),
                                                                    1.0))(sl.LIF(6)),
          r"FixedOutDegree: k = 6 .* 5 neurons of post without self-connections"),
    _case("indegree_above_pre", lambda: _proj(sl.FixedInDegree(50), n_pre=20),
          r"FixedInDegree: k = 50 distinct sources per post-synaptic neuron exceeds the 20 neurons of pre"),
    _case("indegree_fraction", lambda: sl.FixedInDegree(0.5), r"FixedInDegree: k must be a whole number"),
    _case("indegree_allow_self_none", lambda: sl.FixedInDegree(2, allow_self=None),
          r"FixedInDegree: allow_self must be True or False"),
    _case("onetoone_unequal", lambda: _proj(sl.OneToOne(), n_pre=3, n_post=4),
          r"Projection\(LIF\(3\) -> LIF\(4\)\): OneToOne needs equal sizes, got pre 3 and post 4"),
    _case("alltoall_allow_self_string", lambda: sl.AllToAll(allow_self="False"),
          r"AllToAll: allow_self must be True or False"),
    _case("fromlist_float_index", lambda: sl.FromList([0, 1.5], [0, 1]), r"FromList: pre must hold integers, got 1.5"),
    _case("fromlist_nan_index", lambda: sl.FromList([0, 1], [NAN, 1]), r"FromList: post must hold integers, got nan"),
    _case("fromlist_negative_index", lambda: sl.FromList([0, -1], [0, 1]), r"FromList: pre must be >= 0, got -1"),
    _case("fromlist_bool_index", lambda: sl.FromList([True, False], [0, 1]), r"FromList: pre must hold integers"),
    _case("fromlist_string_index", lambda: sl.FromList(["a"], [0]), r"FromList: pre must hold integers"),
    _case("fromlist_ragged", lambda: sl.FromList([[0, 1], [2]], [0, 1]), r"FromList: pre must be an array"),
    _case("fromlist_2d_index", lambda: sl.FromList(np.zeros((2, 2), int), np.zeros((2, 2), int)),
          r"FromList: pre must be one-dimensional, got shape \(2, 2\)"),
    _case("fromlist_unequal_lengths", lambda: sl.FromList([0, 1, 2], [0, 1]),
          r"FromList: pre \(3 indices\) and post \(2\) must have equal length"),
    _case("fromlist_weight_length", lambda: sl.FromList([0, 1], [0, 1], [1.0]),
          r"FromList: weight must have shape \(2,\)"),
    _case("fromlist_weight_nan", lambda: sl.FromList([0, 1], [0, 1], [1.0, NAN]), r"FromList: weight must be finite"),
    _case("fromlist_table_four_columns", lambda: sl.FromList(np.zeros((3, 4))),
          r"FromList: .*table of shape \(m, 2\).*got shape \(3, 4\)"),
    _case("fromlist_table_one_dimensional", lambda: sl.FromList(np.zeros(3)), r"FromList: .*got shape \(3,\)"),
    _case("fromlist_table_fraction", lambda: sl.FromList(np.array([[0.0, 1.5, 1.0]])),
          r"FromList: post must hold integers, got 1.5"),
    _case("fromlist_post_out_of_range", lambda: _proj(sl.FromList([0], [9]), None),
          r"Projection\(LIF\(4\) -> LIF\(5\)\): FromList post index must be in \[0, 5\), got 9"),
    _case("fromlist_pre_out_of_range", lambda: _proj(sl.FromList([4], [0]), None),
          r"FromList pre index must be in \[0, 4\), got 4"),
    _case("fromlist_no_weights", lambda: _proj(sl.FromList([0], [0]), None), r"FromList needs a weight \(in nS\)"),
    _case("fromlist_weight_wrong_dimension", lambda: _proj(sl.FromList([0], [0], [1.0] * u.mV), None),
          r"FromList weight .*expects a quantity in nS", UnitError),
    _case("fromlist_negative_conductance", lambda: _proj(sl.FromList([0, 1], [0, 1], [1.0, -2.0]), None),
          r"FromList weight gives a negative conductance \(-2 nS\)"),
    _case("fromsparse_dense", lambda: sl.FromSparse(np.eye(3)), r"FromSparse needs a scipy.sparse matrix, got ndarray"),
    _case("fromsparse_shape", lambda: _proj(sl.FromSparse(sp.eye(3, format="csr")), None),
          r"FromSparse: matrix shape \(3, 3\) != \(n_pre, n_post\) = \(4, 5\)"),
    _case("fromsparse_nan", lambda: sl.FromSparse(sp.csr_array(np.array([[NAN, 1.0]]))),
          r"FromSparse: matrix entries must be finite"),
]

PROCEDURAL = [
    _case("procprob_zero", lambda: sl.ProceduralProb(0.0), r"ProceduralProb: p must be finite and in \(0, 1\]"),
    _case("procprob_above_one", lambda: sl.ProceduralProb(1.5), r"ProceduralProb: p must be finite and in"),
    _case("procprob_nan", lambda: sl.ProceduralProb(NAN), r"ProceduralProb: p must be finite"),
    _case("procprob_string", lambda: sl.ProceduralProb("0.1"), r"ProceduralProb: p must be a number"),
    _case("procprob_allow_self", lambda: sl.ProceduralProb(0.1, allow_self="yes"),
          r"ProceduralProb: allow_self must be True or False"),
    _case("procout_negative", lambda: sl.ProceduralOutDegree(-1), r"ProceduralOutDegree: k must be an integer >= 0"),
    _case("procout_fraction", lambda: sl.ProceduralOutDegree(2.5), r"ProceduralOutDegree: k must be a whole number"),
    _case("procout_above_post", lambda: _proj(sl.ProceduralOutDegree(9)),
          r"ProceduralOutDegree: k = 9 distinct targets exceeds the 5 post-synaptic candidates"),
    _case("procout_noself_full", lambda: (lambda a: sl.Projection(a, a, sl.ProceduralOutDegree(3, allow_self=False),
                                                                  1.0))(sl.LIF(3)),
          r"ProceduralOutDegree: k = 3 distinct targets exceeds the 2 post-synaptic candidates"),
    _case("procin_fraction", lambda: sl.ProceduralInDegree(2.5), r"ProceduralInDegree: k must be a whole number"),
    _case("procin_negative", lambda: sl.ProceduralInDegree(-3), r"ProceduralInDegree: k must be an integer >= 0"),
    _case("procin_noself_single", lambda: (lambda a: sl.Projection(a, a, sl.ProceduralInDegree(1, allow_self=False),
                                                                   1.0))(sl.LIF(1)),
          r"ProceduralInDegree: 1 presynaptic neuron\(s\) cannot provide k = 1 sources without self-connections"),
    _case("procin_too_many_slots", lambda: _proj(sl.ProceduralInDegree(2 ** 40), n_post=2 ** 23),
          r"ProceduralInDegree: n_post \* k = \d+ slots, at most 2\*\*62"),
    _case("proc_weight_array", lambda: _proj(sl.ProceduralProb(0.5), np.ones(5)),
          r"a procedural projection takes a number, Uniform or Normal as weight, not an array"),
    _case("proc_weight_missing", lambda: _proj(sl.ProceduralProb(0.5), None),
          r"Projection\(LIF\(4\) -> LIF\(5\)\): a procedural connector needs a weight"),
    _case("proc_weight_normal_negative_conductance", lambda: _proj(sl.ProceduralProb(0.5), sl.Normal(1.0, 1.0)),
          r"weight Normal\(mean=1.0, std=1.0, unit=None\) gives a negative conductance"),
    _case("proc_weight_uniform_negative_conductance", lambda: _proj(sl.ProceduralProb(0.5), sl.Uniform(-1.0, 1.0)),
          r"gives a negative conductance \(-1 nS\)"),
    _case("proc_delay_array", lambda: _proj(sl.ProceduralProb(0.5), delay=np.ones(3)),
          r"one delay per synapse \(an array\) needs stored connectivity"),
    _case("proc_delay_std_nan", lambda: _proj(sl.ProceduralProb(0.5), delay_std=NAN), r"delay_std must be finite"),
    _case("proc_delay_std_negative", lambda: _proj(sl.ProceduralProb(0.5), delay_std=-1.0),
          r"delay_std must be finite and >= 0 ms, got -1"),
    _case("proc_delay_std_wrong_dimension", lambda: _proj(sl.ProceduralProb(0.5), delay_std=1 * u.mV),
          r"delay_std' expects a quantity in ms", UnitError),
    _case("stored_delay_std", lambda: _proj(delay_std=1.0), r"delay_std \(jitter drawn per synapse\) needs a procedural"),
]

OPERATORS = [
    _case("operator_no_function", lambda: sl.EventOperator(), r"EventOperator needs a function"),
    _case("operator_numba_not_compiled", lambda: sl.EventOperator(numba=_jax_deliver),
          r"EventOperator: numba=.* must be compiled with @numba.njit"),
    _case("operator_jax_not_callable", lambda: sl.EventOperator(jax=3), r"EventOperator: jax must be a function"),
    _case("operator_lambda", lambda: sl.EventOperator(jax=lambda s, t, k: s), r"EventOperator: <lambda>.* must be a named function"),
    _case("operator_params_not_sequence", lambda: sl.EventOperator(jax=_jax_deliver, params=5),
          r"EventOperator: params must be a sequence of arrays, got int"),
    _case("operator_params_strings", lambda: sl.EventOperator(jax=_jax_deliver, params=[np.array(["a"])]),
          r"EventOperator: params\[0\] must hold numbers"),
    _case("operator_params_ragged", lambda: sl.EventOperator(jax=_jax_deliver, params=[[[1, 2], [3]]]),
          r"EventOperator: params\[0\] is not an array"),
    _case("operator_n_synapses_negative", lambda: sl.EventOperator(jax=_jax_deliver, n_synapses=-1),
          r"EventOperator: n_synapses must be finite and >= 0"),
    _case("operator_n_synapses_nan", lambda: sl.EventOperator(jax=_jax_deliver, n_synapses=NAN),
          r"EventOperator: n_synapses must be finite"),
    _case("operator_with_weight", lambda: _proj(sl.EventOperator(jax=_jax_deliver), 1.0),
          r"an EventOperator carries its own weights"),
]

PROJECTIONS = [
    _case("pre_not_population", lambda: sl.Projection(3, sl.LIF(2), sl.OneToOne(), 1.0),
          r"Projection : pre must be a neuron population, got int"),
    _case("post_not_population", lambda: sl.Projection(sl.LIF(2), "E", sl.OneToOne(), 1.0, name="E2E"),
          r"Projection E2E: post must be a neuron population, got str"),
    _case("conn_not_connector", lambda: _proj(0.5), r"Projection\(LIF\(4\) -> LIF\(5\)\): conn must be a Connector"),
    _case("synapse_wrong_type", lambda: _proj(synapse=sl.COBA()), r"synapse must be a synapse model .* got COBA"),
    _case("output_wrong_type", lambda: _proj(output=sl.Exponential()), r"output must be CUBA\(\) or COBA\(...\), got"),
    _case("name_not_string", lambda: _proj(name=3), r"Projection: name must be a string, got int"),
    _case("weight_nan", lambda: _proj(weight=NAN), r"Projection\(LIF\(4\) -> LIF\(5\)\): weight must be finite"),
    _case("weight_inf", lambda: _proj(weight=INF, name="E2I"), r"projection 'E2I': weight must be finite"),
    _case("weight_array_nan", lambda: _proj(sl.OneToOne(), np.array([1.0, NAN, 1.0, 1.0]), n_post=4),
          r"weight must be finite, got nan at flat index 1"),
    _case("weight_string", lambda: _proj(weight="1.0"), r"weight must be a number, got str"),
    _case("weight_complex", lambda: _proj(weight=1 + 1j), r"weight must be a real number"),
    _case("weight_2d", lambda: _proj(weight=np.ones((2, 2))), r"weight must be a number or one value per synapse"),
    _case("weight_ragged", lambda: _proj(weight=[[1.0], [1.0, 2.0]]), r"weight must be an array of numbers"),
    _case("weight_coba_negative", lambda: _proj(weight=-1.0),
          r"weight gives a negative conductance \(-1 nS\); COBA weights are conductances >= 0"),
    _case("weight_coba_negative_array", lambda: _proj(sl.OneToOne(), np.array([1.0, -0.5, 1.0, 1.0]), n_post=4),
          r"negative conductance \(-0.5 nS\)"),
    _case("weight_coba_negative_uniform", lambda: _proj(weight=sl.Uniform(-1.0, 1.0)), r"negative conductance"),
    _case("weight_coba_negative_constant", lambda: _proj(weight=sl.Constant(-2.0)), r"negative conductance \(-2 nS\)"),
    _case("weight_coba_drawn_negative", lambda: _built(sl.AllToAll(), sl.Normal(0.0, 1.0), name="P"),
          r"projection 'P': weight drawn from Normal\(.*\) gives a negative conductance"),
    _case("weight_quantity_coba_in_pa", lambda: _proj(weight=1 * u.pA), r"weight' expects a quantity in nS", UnitError),
    _case("weight_quantity_cuba_in_ns", lambda: _proj(weight=1 * u.nS, output=sl.CUBA()),
          r"weight' expects a quantity in pA", UnitError),
    _case("weight_quantity_delta_in_pa", lambda: _proj(weight=1 * u.pA, synapse=sl.Delta(), output=sl.CUBA()),
          r"weight' expects a quantity in mV", UnitError),
    _case("weight_initializer_wrong_dimension", lambda: _proj(weight=sl.Normal(1 * u.mV, 0.1 * u.mV)),
          r"weight \(Normal\(.*\)\) expects a quantity in nS", UnitError),
    _case("weight_array_wrong_length", lambda: _built(sl.OneToOne(), np.ones(3), n_post=4),
          r"projection 'P': weight array has shape \(3,\), the connectivity has 4 synapses"),
    _case("delay_nan", lambda: _proj(delay=NAN), r"delay must be finite"),
    _case("delay_inf", lambda: _proj(delay=INF), r"delay must be finite"),
    _case("delay_negative", lambda: _proj(delay=-1.0), r"delay must be finite and >= 0 ms, got -1"),
    _case("delay_string", lambda: _proj(delay="1"), r"delay must be a number, got str"),
    _case("delay_2d", lambda: _proj(delay=np.ones((2, 2))), r"one delay per synapse .*got shape \(2, 2\)"),
    _case("delay_array_negative", lambda: _proj(delay=np.array([1.0, -1.0])), r"delay must be >= 0 ms, got -1"),
    _case("delay_quantity_wrong_dimension", lambda: _proj(delay=1 * u.mV), r"delay' expects a quantity in ms",
          UnitError),
    _case("delay_array_wrong_length", lambda: _built(sl.OneToOne(), delay=np.ones(3), n_post=4),
          r"projection 'P': 3 delays given for 4 synapses"),
    _case("delay_not_multiple_of_dt", lambda: _built(delay=0.25, dt=0.1), r"projection 'P': delay 0.25 ms is not a"),
    _case("synapse_init_not_dict", lambda: _proj(synapse_init=[1.0]), r"synapse_init must be a dict"),
    _case("synapse_init_unknown", lambda: _proj(synapse_init={"x": 1.0}), r"synapse_init names \['x'\], but Exponential"),
    _case("synapse_init_nan", lambda: _proj(synapse_init={"g": NAN}), r"synapse_init\['g'\] must be finite"),
    _case("synapse_init_shape", lambda: _proj(synapse_init={"g": np.ones(3)}),
          r"synapse_init\['g'\] must be a number or have shape \(5,\)"),
    _case("synapse_init_wrong_dimension", lambda: _proj(synapse_init={"g": sl.Normal(1 * u.mV, 1 * u.mV)}),
          r"synapse_init\['g'\] \(Normal.*\) expects a quantity in nS", UnitError),
    _case("synapse_init_object", lambda: _proj(synapse_init={"g": object()}), r"synapse_init\['g'\] must hold real numbers"),
    _case("synapse_init_function", lambda: _proj(synapse_init={"g": np.random.normal}),
          r"synapse_init\['g'\] must be a number, an array .* or an initializer"),
]

POPULATIONS = [
    _case("lif_zero", lambda: sl.LIF(0), r"LIF: the number of neurons n must be an integer >= 1, got 0"),
    _case("lif_negative", lambda: sl.LIF(-3), r"LIF: the number of neurons n must be an integer >= 1"),
    _case("lif_fraction", lambda: sl.LIF(2.5), r"LIF: the number of neurons n must be a whole number, got float 2.5"),
    _case("lif_bool", lambda: sl.LIF(True), r"LIF: the number of neurons n must be a number, got bool"),
    _case("lif_string", lambda: sl.LIF("10"), r"LIF: the number of neurons n must be a number, got str"),
    _case("lif_none", lambda: sl.LIF(None), r"LIF: the number of neurons n must be a number"),
    _case("lif_nan", lambda: sl.LIF(NAN), r"LIF: the number of neurons n must be a whole number"),
    _case("lif_huge", lambda: sl.LIF(10 ** 12), r"LIF\(1000000000000\) needs .* of memory", ResourceError),
    _case("hh_huge", lambda: sl.HH(10 ** 13), r"HH\(10000000000000\) needs", ResourceError),
    _case("poisson_huge", lambda: sl.PoissonGroup(10 ** 15), r"PoissonGroup\(\d+\) needs", ResourceError),
    _case("lif_method_unknown", lambda: sl.LIF(3, method="rk9"), r"LIF\(3\): method 'rk9' is not available"),
    _case("lif_method_number", lambda: sl.LIF(3, method=3), r"LIF\(3\): method 3 is not available"),
    _case("adex_method_exact", lambda: sl.AdEx(3, method="exact"), r"AdEx\(3\): method 'exact' is not available"),
    _case("init_not_dict", lambda: sl.LIF(3, init=[1.0]), r"LIF\(3\): init must be a dict"),
    _case("init_unknown_name", lambda: sl.LIF(3, init={"U": 1.0}), r"LIF\(3\): unknown state variable\(s\) \['U'\]"),
    _case("init_nan", lambda: sl.LIF(3, init={"V": NAN}), r"LIF\(3\): init\['V'\] must be finite"),
    _case("init_array_nan", lambda: sl.LIF(3, init={"V": [0.0, NAN, 0.0]}), r"init\['V'\] must be finite, got nan"),
    _case("init_wrong_shape", lambda: sl.LIF(3, init={"V": np.zeros(4)}),
          r"LIF\(3\): init\['V'\] must be a number or have shape \(3,\), got shape \(4,\)"),
    _case("init_object", lambda: sl.LIF(3, init={"V": object()}), r"LIF\(3\): init\['V'\] must hold real numbers"),
    _case("init_string", lambda: sl.LIF(3, init={"V": "-60"}), r"init\['V'\] must be a number, got str"),
    _case("init_function", lambda: sl.LIF(3, init={"V": np.random.normal}),
          r"init\['V'\] must be a number, an array of shape \(3,\) or an initializer"),
    _case("init_quantity_wrong_dimension", lambda: sl.LIF(3, init={"V": sl.Normal(1 * u.ms, 1 * u.ms)}),
          r"init\['V'\] \(Normal.*\) expects a quantity in mV", UnitError),
    _case("init_plain_quantity_wrong_dimension", lambda: sl.LIF(3, init={"V": -60 * u.nS}),
          r"init\['V'\]\" expects a quantity in mV", UnitError),
    _case("init_unitless_state_quantity", lambda: sl.LIF(3, init={"refractory": sl.Constant(1 * u.ms)}),
          r"init\['refractory'\] .* takes a plain number", UnitError),
    _case("init_gating_in_mv", lambda: sl.HH(3, init={"m": sl.Uniform(0 * u.mV, 1 * u.mV)}),
          r"HH\(3\): init\['m'\] .* expects a quantity in 1", UnitError),
    _case("param_nan", lambda: sl.LIF(3, tau=NAN), r"LIF\(3\).*'?tau'? must be finite"),
    _case("param_wrong_dimension", lambda: sl.LIF(3, tau=10 * u.mV), r"tau' expects a quantity in ms", UnitError),
    _case("noise_negative", lambda: sl.LIF(3, noise_sigma=-1.0), r"LIF\(3\).*noise_sigma'? must be >= 0"),
    _case("noise_with_euler", lambda: sl.LIF(3, noise_sigma=1.0, method="euler"),
          r"LIF\(3\): noise_sigma > 0 needs method='exact'"),
    _case("poisson_rate_negative", lambda: sl.PoissonGroup(3, rate=-1.0), r"PoissonGroup\(3\).*rate'? must be >= 0"),
    _case("poisson_rate_nan", lambda: sl.PoissonGroup(3, rate=NAN), r"PoissonGroup\(3\).*rate'? must be finite"),
    _case("poisson_rate_wrong_dimension", lambda: sl.PoissonGroup(3, rate=5 * u.mV), r"rate' expects a quantity in Hz",
          UnitError),
    _case("poisson_rate_above_step", lambda: _build(0.1, P=sl.PoissonGroup(3, rate=2e4)),
          r"population 'P': rate x dt = 20000 Hz x 0.1 ms = 2 > 1 spike per step; use dt <= 0.05 ms"),
    _case("generator_time_nan", lambda: sl.SpikeGeneratorGroup(2, [1.0, NAN], [0, 1]),
          r"SpikeGeneratorGroup\(2\): times must be finite"),
    _case("generator_time_negative", lambda: sl.SpikeGeneratorGroup(2, [-1.0], [0]),
          r"SpikeGeneratorGroup\(2\): times must be >= 0 ms, got -1"),
    _case("generator_time_wrong_dimension", lambda: sl.SpikeGeneratorGroup(2, [1.0] * u.mV, [0]),
          r"times' expects a quantity in ms", UnitError),
    _case("generator_times_2d", lambda: sl.SpikeGeneratorGroup(2, np.ones((2, 2)), [0, 1, 0, 1]),
          r"SpikeGeneratorGroup\(2\): times must be one-dimensional"),
    _case("generator_index_out_of_range", lambda: sl.SpikeGeneratorGroup(2, [1.0], [2]),
          r"SpikeGeneratorGroup\(2\): indices must be in \[0, 2\), got 2"),
    _case("generator_index_fraction", lambda: sl.SpikeGeneratorGroup(2, [1.0], [0.5]),
          r"SpikeGeneratorGroup\(2\): indices must hold integers, got 0.5"),
    _case("generator_index_nan", lambda: sl.SpikeGeneratorGroup(2, [1.0], [NAN]), r"indices must hold integers, got nan"),
    _case("generator_lengths", lambda: sl.SpikeGeneratorGroup(2, [1.0, 2.0], [0]),
          r"SpikeGeneratorGroup\(2\): times \(2\) and indices \(1\) must have the same length"),
    _case("generator_index_strings", lambda: sl.SpikeGeneratorGroup(2, [1.0], ["0"]), r"indices must hold integers"),
    _case("generator_two_spikes_one_step", lambda: _build(0.1, G=sl.SpikeGeneratorGroup(2, [1.0, 1.01], [0, 0])),
          r"SpikeGeneratorGroup G: neuron 0 has spikes at 1 and 1.01 ms"),
    _case("explicit_method_unstable_dt", lambda: _build(1.0, E=sl.LIF(3, tau=0.4, method="euler")),
          r"population 'E': dt = 1.0 ms is unstable for method 'euler'"),
]

BUILD = [
    _case("memory_of_stored_synapses", lambda: (lambda a, b: _build(0.1, a=a, b=b, P=sl.Projection(
        a, b, sl.FixedProb(0.5), 1.0)))(sl.LIF(10 ** 6), sl.LIF(10 ** 6)),
          r"projection 'P' \(5e\+11 synapses\) needs .*procedural connector", ResourceError),
    _case("memory_of_all_to_all", lambda: (lambda a: _build(0.1, a=a, small=sl.Projection(a, a, sl.OneToOne(), 1.0),
                                                           big=sl.Projection(a, a, sl.AllToAll(), 1.0)))(
        sl.LIF(3 * 10 ** 6)), r"projection 'big' \(9e\+12 synapses of 9e\+12 stored in all\)", ResourceError),
    _case("coba_unstable_exact", lambda: _built(sl.AllToAll(), 500.0, n_pre=20, n_post=3),
          r"projection 'P': one synapse of 500 nS already exceeds what method 'exact' integrates stably at "
          r"dt = 0.1 ms into population 'b' \(below .* nS\); use dt <= 0.0\d+ ms"),
    _case("coba_unstable_names_largest_input", lambda: (lambda a, b: _build(
        0.5, a=a, b=b, small=sl.Projection(a, b, sl.AllToAll(), 0.1),
        large=sl.Projection(a, b, sl.AllToAll(), 100.0, output=sl.COBA(E=-80.0))))(sl.LIF(10), sl.LIF(2)),
          r"projection 'large': one synapse of 100 nS"),
    _case("coba_unstable_euler", lambda: (lambda a, b: _build(0.1, a=a, b=b, P=sl.Projection(a, b, sl.OneToOne(),
                                                                                             500.0)))(
        sl.LIF(3), sl.LIF(3, method="euler", tau=20.0)),
          r"projection 'P': one synapse of 500 nS .* method 'euler' .* \(below 399 nS\); use dt <= 0.0798 ms"),
    _case("coba_unstable_procedural", lambda: _built(sl.ProceduralOutDegree(20), 500.0, n_pre=20, n_post=20),
          r"projection 'P': one synapse of 500 nS"),
    _case("self_projection_not_in_network", lambda: (lambda a, b: _build(0.1, a=a, P=sl.Projection(a, b, sl.OneToOne(),
                                                                                                  1.0)))(
        sl.LIF(2), sl.LIF(2)), r"projection 'P': its post population is not part of the network"),
]

CASES = INITIALIZERS + CONNECTORS + PROCEDURAL + OPERATORS + PROJECTIONS + POPULATIONS + BUILD
