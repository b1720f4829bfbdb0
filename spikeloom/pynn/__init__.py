"""PyNN 0.13 backend: ``import spikeloom.pynn as sim`` runs PyNN scripts on spikeloom.

Built on PyNN's own base classes (:mod:`pyNN.common`, :mod:`pyNN.standardmodels`, :mod:`pyNN.recording`,
:mod:`pyNN.connectors`, :mod:`pyNN.random`, :mod:`pyNN.space`), as PyNN's NEST and Brian2 backends are, so
names, defaults, units and connectors are PyNN's. The model is collected while the script builds it and
compiled into one spikeloom Runner at the first ``run`` (:mod:`spikeloom.pynn.simulator`). Needs the extra
``pynn`` (``pip install 'spikeloom[pynn]'``). What is supported and what is not: ``docs/pynn.md``.

``setup(timestep=0.1, min_delay='auto', max_delay='auto', rng_seed=0, precision='float64')``: ``rng_seed``
seeds spikeloom's random numbers (Poisson sources, noise), ``precision`` is the Runner's float type.
"""

from pyNN import common, errors, random, space  # noqa: F401
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.connectors import (  # noqa: F401
    AllToAllConnector, ArrayConnector, CloneConnector, CSAConnector, DisplacementDependentProbabilityConnector,
    DistanceDependentProbabilityConnector, FixedNumberPostConnector, FixedNumberPreConnector,
    FixedProbabilityConnector, FixedTotalNumberConnector, FromFileConnector, FromListConnector,
    IndexBasedProbabilityConnector, OneToOneConnector, SmallWorldConnector)
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import get_io
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from . import simulator
from .cells import (  # noqa: F401
    EIF_cond_alpha_isfa_ista, EIF_cond_exp_isfa_ista, HH_cond_exp, IF_cond_alpha, IF_cond_exp, IF_curr_alpha,
    IF_curr_delta, IF_curr_exp, Izhikevich, SpikeSourceArray, SpikeSourceGamma, SpikeSourcePoisson,
    SpikeSourcePoissonRefractory)
from .electrodes import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource  # noqa: F401
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .projections import Projection  # noqa: F401
from .synapses import (  # noqa: F401
    AdditiveWeightDependence, MultiplicativeWeightDependence, SpikePairRule, StaticSynapse, STDPMechanism,
    TsodyksMarkramSynapse)
from .unsupported import UNAVAILABLE

globals().update(UNAVAILABLE)  # PyNN's other standard models: NotImplementedError, with the reason


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start afresh: forget any model built so far; return the MPI rank (always 0)."""
    common.setup(timestep, min_delay, **extra_params)
    if extra_params.get("spike_precision", "on_grid") != "on_grid":
        raise NotImplementedError("spikeloom.pynn: spikes are on the time grid (spike_precision='on_grid')")
    state = simulator.state
    state.clear()
    state.dt = float(timestep)
    state.min_delay_auto = min_delay == "auto"
    state.min_delay = state.dt if state.min_delay_auto else float(min_delay)
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    state.max_delay = 1e12 if max_delay == "auto" else float(max_delay)
    state.seed = int(extra_params.get("rng_seed", 0))
    state.precision = extra_params.get("precision", "float64")
    return 0


def end(compatible_output=True):
    """Write the data asked for with ``record(..., to_file=...)``; forget the model."""
    state = simulator.state
    for population, variables, filename in state.write_on_end:
        population.write_data(get_io(filename), variables)
    state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)

create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)


def list_standard_models():
    """Names of the standard cell types this backend provides."""
    return [name for name, obj in globals().items()
            if isinstance(obj, type) and issubclass(obj, StandardCellType) and obj is not StandardCellType
            and name not in UNAVAILABLE]
