"""Bad inputs to the DYNAP-SE emulator: chips, cores, neurons, biases, CAM slots, inputs, runs."""

from __future__ import annotations

from bad_cases import ApiCase
from spikeloom import ModelDefinitionError as MDE
from spikeloom import ResourceError
from spikeloom.connectivity import FromList
from spikeloom.dynapse import DynapSE, Mismatch, register_parameter_set
from spikeloom.dynapse.protocol import poisson_inputs, run_single_neuron

NAN = float("nan")


def _neurons(n: int = 1, **chip_kw):
    chip = DynapSE(**chip_kw)
    return chip, chip.get_neurons(n, core=0)


def _connect(weight=1, synapse_type="ampa", pre=None, post=None, conn=None, **chip_kw):
    chip, post_ = _neurons(2, **chip_kw)
    pre = chip.spike_generator([1.0], n=1) if pre is None else pre(chip)
    chip.connect(pre, post if post is not None else post_, synapse_type, weight=weight, conn=conn)


def _fill_cam():
    """Two connections that together need 70 CAM slots on one neuron."""
    chip, n = _neurons(1)
    src = chip.spike_generator([1.0], n=1)
    chip.connect(src, n, "ampa", weight=40)
    chip.connect(src, n, "nmda", weight=30)


def _run(**kw):
    chip, n = _neurons(1)
    chip.run(**({"duration": 10.0} | kw))


def _generator(times, indices=None, n=None, name=None):
    DynapSE().spike_generator(times, indices, n=n, name=name)


CASES = [
    # ---- chips ---------------------------------------------------------------------------------------------
    ApiCase("chips-zero", lambda: DynapSE(n_chips=0), MDE, r"DynapSE: n_chips must be an integer >= 1, got 0"),
    ApiCase("chips-fraction", lambda: DynapSE(n_chips=1.5), MDE, r"n_chips must be a whole number, got float 1.5"),
    ApiCase("chips-str", lambda: DynapSE(n_chips="2"), MDE, r"n_chips must be a number, got str"),
    ApiCase("chips-huge", lambda: DynapSE(n_chips=10**12), ResourceError, r"DynapSE: 1000000000000 chips needs"),
    ApiCase("seed-negative", lambda: DynapSE(seed=-1), MDE, r"DynapSE: seed must be an integer"),
    ApiCase("integer-weights-str", lambda: DynapSE(integer_weights="yes"), MDE,
            r"integer_weights must be True or False"),
    ApiCase("mismatch-float", lambda: DynapSE(mismatch=0.1), MDE, r"mismatch must be a Mismatch or None, got float"),
    ApiCase("mismatch-negative", lambda: Mismatch(neuron=-0.1), MDE,
            r"Mismatch: neuron must be finite and in \[0, 3\]"),
    ApiCase("mismatch-nan", lambda: Mismatch(synapse=NAN), MDE, r"Mismatch: synapse must be finite"),
    # ---- parameters (biases) -------------------------------------------------------------------------------
    ApiCase("params-unknown-set", lambda: DynapSE(parameters="nope"), MDE, r"unknown parameter set 'nope'"),
    ApiCase("params-not-dict", lambda: DynapSE(parameters=42), MDE,
            r"parameters must be a set name or a dict, got int"),
    ApiCase("params-unknown-name", lambda: DynapSE(parameters={"Itypo": 1.0}), MDE,
            r"unknown DPI parameter\(s\) \['Itypo'\]"),
    ApiCase("params-nan-threshold", lambda: DynapSE(parameters={"Isoma_th": NAN}), MDE,
            r"parameters: Isoma_th must be finite and > 0 pA, got nan"),
    ApiCase("params-negative-capacitance", lambda: DynapSE(parameters={"Csoma_mem": -2.0}), MDE,
            r"Csoma_mem must be finite and > 0 pF, got -2.0"),
    ApiCase("params-zero-tau-current", lambda: DynapSE(parameters={"Isoma_dpi_tau": 0.0}), MDE,
            r"Isoma_dpi_tau must be finite and > 0 pA, got 0.0"),
    ApiCase("params-negative-weight-current", lambda: DynapSE(parameters={"Iampa_w0": -100.0}), MDE,
            r"Iampa_w0 must be finite and >= 0 pA"),
    ApiCase("params-text", lambda: DynapSE(parameters={"Isoma_th": "2000"}), MDE,
            r"Isoma_th must be a number, got str"),
    ApiCase("register-set-nan", lambda: register_parameter_set("bad", {"Isoma_reset": NAN}), MDE,
            r"parameter set 'bad': Isoma_reset must be finite"),
    ApiCase("register-set-name", lambda: register_parameter_set(3, {}), MDE, r"name must be a non-empty str, got 3"),
    ApiCase("set-bias-nan", lambda: _neurons()[0].set_bias(0, Isoma_th=NAN), MDE,
            r"set_bias\(core 0, chip 0\): Isoma_th must be finite"),
    ApiCase("set-bias-negative-current", lambda: _neurons()[0].set_bias(0, Iampa_tau=-5.0), MDE,
            r"set_bias\(core 0, chip 0\): Iampa_tau must be finite and > 0 pA, got -5.0"),
    ApiCase("set-bias-unknown", lambda: _neurons()[0].set_bias(1, Ifoo=1.0), MDE,
            r"unknown DPI parameter\(s\) \['Ifoo'\]"),
    ApiCase("set-bias-core-out-of-range", lambda: _neurons()[0].set_bias(4, Isoma_th=100.0), MDE,
            r"core must be 0..3 or 'Core_0'..'Core_3', got 4"),
    # ---- chip, core and neuron indices ---------------------------------------------------------------------
    ApiCase("core-4", lambda: DynapSE().get_neurons(1, core=4), MDE, r"core must be 0..3 .*got 4"),
    ApiCase("core-negative", lambda: DynapSE().get_neurons(1, core=-1), MDE, r"core must be 0..3 .*got -1"),
    ApiCase("core-name", lambda: DynapSE().get_neurons(1, core="Core_9"), MDE, r"got 'Core_9'"),
    ApiCase("core-bool", lambda: DynapSE().get_neurons(1, core=True), MDE, r"core must be 0..3 .*got True"),
    ApiCase("chip-out-of-range", lambda: DynapSE().get_neurons(1, chip=1), MDE,
            r"chip must be an int in \[0, 1\) \(this DynapSE has 1 chip\(s\)\), got 1"),
    ApiCase("neurons-zero", lambda: DynapSE().get_neurons(0), MDE, r"get_neurons: n must be an integer >= 1, got 0"),
    ApiCase("neurons-fraction", lambda: DynapSE().get_neurons(2.5), MDE, r"get_neurons: n must be a whole number"),
    ApiCase("neurons-too-many", lambda: DynapSE().get_neurons(257), MDE,
            r"core 0 of chip 0 has 256 free neuron\(s\) of 256; cannot allocate 257"),
    ApiCase("neurons-core-full", lambda: (lambda c: (c.get_neurons(200), c.get_neurons(100)))(DynapSE()), MDE,
            r"has 56 free neuron\(s\)"),
    # ---- connections and CAM slots -------------------------------------------------------------------------
    ApiCase("cam-overflow-one", lambda: _connect(weight=65), MDE,
            r"neuron 0 of core 0, chip 0 would need 65 CAM slots \(fan-in\); a DYNAP-SE neuron has 64"),
    ApiCase("cam-overflow-sum", _fill_cam, MDE, r"would need 70 CAM slots"),
    ApiCase("weight-nan", lambda: _connect(weight=NAN), MDE, r"connect \(ampa\): weight must be finite"),
    ApiCase("weight-negative", lambda: _connect(weight=-1), MDE, r"connect \(ampa\): weight must be >= 0"),
    ApiCase("weight-fraction", lambda: _connect(weight=1.5), MDE, r"weights count CAM slots and must be integers"),
    ApiCase("weight-shape", lambda: _connect(weight=[1, 2, 3]), MDE,
            r"weight has shape \(3,\), the connectivity has 2"),
    ApiCase("weight-text", lambda: _connect(weight="2"), MDE, r"weight must be a number, got str"),
    ApiCase("synapse-type-unknown", lambda: _connect(synapse_type="glutamate"), MDE,
            r"unknown synapse type 'glutamate'; known: \['ampa', 'gaba_a', 'gaba_b', 'nmda'\]"),
    ApiCase("synapse-type-none", lambda: _connect(synapse_type=None), MDE, r"unknown synapse type None"),
    ApiCase("post-is-input", lambda: _connect(post=DynapSE().spike_generator([1.0])), MDE,
            r"post must be Neurons"),
    ApiCase("pre-other-chip", lambda: _connect(pre=lambda chip: DynapSE().get_neurons(1)), MDE,
            r"Neurons\(chip 0, core 0, \[0, 1\)\) was not allocated by this DynapSE"),
    ApiCase("conn-not-connector", lambda: _connect(conn=[(0, 0)]), MDE, r"conn must be a connector .*got list"),
    ApiCase("conn-index-out-of-range", lambda: _connect(conn=FromList([0], [5])), MDE,
            r"FromList post index must be in \[0, 2\), got 5"),
    # ---- inputs --------------------------------------------------------------------------------------------
    ApiCase("generator-nan-time", lambda: _generator([1.0, NAN]), MDE, r"spike_generator: times \(ms\) must be finite"),
    ApiCase("generator-negative-time", lambda: _generator([-1.0]), MDE, r"times \(ms\) must be >= 0"),
    ApiCase("generator-text-times", lambda: _generator(["a"]), MDE,
            r"times \(ms\) must hold real numbers, got strings"),
    ApiCase("generator-fraction-index", lambda: _generator([1.0], [0.5]), MDE, r"indices must be whole numbers"),
    ApiCase("generator-index-count", lambda: _generator([1.0, 2.0], [0]), MDE,
            r"one per spike time \(2\), got 1 value"),
    ApiCase("generator-n-too-small", lambda: _generator([1.0, 2.0], [0, 4], n=3), MDE,
            r"spike_generator: n must be an integer >= 5, got 3"),
    ApiCase("generator-reserved-name", lambda: _generator([1.0], name="chip0"), MDE, r"input name 'chip0'"),
    ApiCase("poisson-zero", lambda: DynapSE().poisson(0, 10.0), MDE, r"poisson: n must be an integer >= 1"),
    ApiCase("poisson-negative-rate", lambda: DynapSE().poisson(2, -5.0), MDE,
            r"poisson: rate_hz must be finite and >= 0"),
    ApiCase("poisson-nan-rate", lambda: DynapSE().poisson(2, NAN, name="p"), MDE,
            r"poisson 'p': rate_hz must be finite"),
    ApiCase("poisson-inputs-nan-rate", lambda: poisson_inputs(NAN), MDE, r"poisson_inputs: rate_hz must be finite"),
    ApiCase("poisson-inputs-dt", lambda: poisson_inputs(80.0, 100.0, 0.0), MDE,
            r"poisson_inputs: dt_ms must be finite"),
    ApiCase("protocol-missing-key", lambda: run_single_neuron({"ampa": [1.0]}), MDE,
            r"run_single_neuron: inputs need exactly the keys \['nmda', 'ampa', 'gaba_a', 'gaba_b'\], got \['ampa'\]"),
    ApiCase("protocol-nan-time", lambda: run_single_neuron({k: [NAN] for k in ("nmda", "ampa", "gaba_a", "gaba_b")}),
            MDE, r"inputs\['nmda'\] \(ms\) must be finite"),
    # ---- runs ----------------------------------------------------------------------------------------------
    ApiCase("run-dt-zero", lambda: _run(dt=0.0), MDE, r"DynapSE.run: dt \(ms\) must be finite and > 0, got 0.0"),
    ApiCase("run-dt-nan", lambda: _run(dt=NAN), MDE, r"DynapSE.run: dt \(ms\) must be finite"),
    ApiCase("run-dt-text", lambda: _run(dt="0.1"), MDE, r"dt \(ms\) must be a number, got str"),
    ApiCase("run-duration-negative", lambda: _run(duration=-1.0), MDE,
            r"DynapSE.run: duration \(ms\) must be finite and > 0"),
    ApiCase("run-record-unknown-variable", lambda: (lambda c, n: c.run(10.0, record=[(n, "Vmem")]))(*_neurons()), MDE,
            r"has no variable 'Vmem'; choose from \['spike', 'Imem'"),
    ApiCase("run-record-not-pairs", lambda: (lambda c, n: c.run(10.0, record=[n]))(*_neurons()), MDE,
            r"record must be a list of \(neurons or input, variable\) pairs"),
    ApiCase("run-record-foreign", lambda: _neurons()[0].run(10.0, record=[(DynapSE().get_neurons(1), "Imem")]), MDE,
            r"record: Neurons\(chip 0, core 0, \[0, 1\)\) is not neurons or an input of this DynapSE"),
    ApiCase("run-no-neurons", lambda: DynapSE().run(10.0), MDE, r"no neurons allocated; call get_neurons first"),
]
