"""The seed's single-neuron protocol: one DPI neuron driven by four input neurons, one per synapse type.

Defaults: 80 Hz Bernoulli-per-step ("Poisson") inputs for 100 ms at dt = 100 us, weights NMDA 10, AMPA 5,
GABA_A 1, GABA_B 2 (the comparison of the Brian2 DYNAP-SE simulator with DynapSEtorch).
"""

from __future__ import annotations

import numpy as np

from .._errors import ModelDefinitionError
from ..core import validate
from .chip import ChipRecording, DynapSE

SYNAPSE_ORDER = ("nmda", "ampa", "gaba_a", "gaba_b")
DEFAULT_WEIGHTS = {"nmda": 10, "ampa": 5, "gaba_a": 1, "gaba_b": 2}
#: monitored currents: state variable -> name in traces.npz
CURRENTS = {"Imem": "Imem", "Iahp": "Iahp", "Inmda": "Inmda", "Iampa": "Iampa", "Igaba_a": "Igaba_a",
            "Igaba_b": "Igaba_b"}


def poisson_inputs(rate_hz: float = 80.0, duration_ms: float = 100.0, dt_ms: float = 0.1,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """One spike train per synapse type (ms): in each step a spike with probability rate x dt, as the seed
    draws them; times are step starts ``k dt``."""
    owner = "poisson_inputs"
    dt_ms = validate.positive(dt_ms, "dt_ms", owner=owner)
    rate_hz = validate.real(rate_hz, "rate_hz", owner=owner, low=0.0, high=1e3 / dt_ms)  # at most one spike a step
    duration_ms = validate.positive(duration_ms, "duration_ms", owner=owner)
    seed = validate.integer(seed, "seed", owner=owner, low=0)
    n_steps = int(round(duration_ms / dt_ms))
    validate.memory(8.0 * len(SYNAPSE_ORDER) * n_steps, f"{owner}: {n_steps} steps of 4 trains",
                    fix="use a shorter duration or a larger dt")
    draws = np.random.default_rng(seed).random((len(SYNAPSE_ORDER), n_steps))
    return {k: np.flatnonzero(draws[i] < rate_hz * dt_ms * 1e-3) * dt_ms for i, k in enumerate(SYNAPSE_ORDER)}


def run_single_neuron(inputs: dict[str, np.ndarray], weights: dict | None = None, duration_ms: float = 100.0,
                      dt_ms: float = 0.1, precision: str = "float64") -> tuple[ChipRecording, object]:
    """Run the protocol; return the recording and the neuron handle (all six currents and spikes recorded)."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    for what, given in (("weights", weights), ("inputs", inputs)):
        if not isinstance(given, dict) or set(given) != set(SYNAPSE_ORDER):
            keys = sorted(map(str, given)) if isinstance(given, dict) else type(given).__name__
            raise ModelDefinitionError(f"run_single_neuron: {what} need exactly the keys {list(SYNAPSE_ORDER)}, "
                                       f"got {keys}")
    chip = DynapSE(integer_weights=False)
    neuron = chip.get_neurons(1, core=1)
    for kind in SYNAPSE_ORDER:
        times = validate.real_array(inputs[kind], f"inputs[{kind!r}] (ms)", owner="run_single_neuron", low=0.0).ravel()
        chip.connect(chip.spike_generator(times, n=1, name=f"input_{kind}"), neuron, kind, weight=weights[kind])
    record = [(neuron, var) for var in CURRENTS] + [(neuron, "spike")]
    return chip.run(duration_ms, dt=dt_ms, record=record, precision=precision), neuron


def chip_from_workload(workload: dict, **chip_options):
    """A :class:`DynapSE` from explicit lists (the format of ``benchmarks/peers/brian2_dynapse.py``):
    ``n_neurons`` DPI neurons filling cores and chips in order, ``n_inputs`` generator inputs at
    ``input_times_ms``/``input_indices``, synapses ``pre``, ``post``, ``type`` (index into
    :data:`SYNAPSE_ORDER`), ``weight``, ``from_input``. Returns ``(chip, neurons per core, inputs)``."""
    from .chip import NEURONS_PER_CORE, NUM_CORES

    n = int(workload["n_neurons"])
    per_chip = NEURONS_PER_CORE * NUM_CORES
    chip = DynapSE(n_chips=-(-n // per_chip), **chip_options)
    cores = [chip.get_neurons(min(NEURONS_PER_CORE, n - lo), core=(lo % per_chip) // NEURONS_PER_CORE,
                              chip=lo // per_chip) for lo in range(0, n, NEURONS_PER_CORE)]
    inputs = chip.spike_generator(workload["input_times_ms"], workload["input_indices"],
                                  n=int(workload["n_inputs"]), name="inputs")
    pre, post, kind = (np.asarray(workload[k], dtype=np.int64) for k in ("pre", "post", "type"))
    weight, from_input = np.asarray(workload["weight"], dtype=np.float64), np.asarray(workload["from_input"], bool)
    from ..connectivity import FromList

    post_core = post // NEURONS_PER_CORE
    pre_core = np.where(from_input, -1, pre // NEURONS_PER_CORE)
    for t, kind_name in enumerate(SYNAPSE_ORDER):
        for pc in np.unique(pre_core[kind == t]):
            for qc in np.unique(post_core[(kind == t) & (pre_core == pc)]):
                sel = (kind == t) & (pre_core == pc) & (post_core == qc)
                source = inputs if pc < 0 else cores[pc]
                pre_local = pre[sel] - (0 if pc < 0 else pc * NEURONS_PER_CORE)
                post_local = post[sel] - qc * NEURONS_PER_CORE
                order = np.lexsort((post_local, pre_local))  # the connector's (CSR) order, for the weights
                chip.connect(source, cores[qc], kind_name, weight=weight[sel][order],
                             conn=FromList(pre_local, post_local))
    return chip, cores, inputs
