"""Synapses whose current is part of the post-synaptic neuron's state (NEST's ``iaf_psc_*`` receptors).

The exactly integrated neurons of :mod:`spikeloom.neurons.iaf_psc` hold their excitatory and inhibitory
synaptic currents as state variables, advanced together with the membrane by one propagator. A projection
into them therefore keeps no synapse state: each spike adds its weight (pA) to the neuron variable
``spike_target``. Take the synapse from the neuron class (``IafPscExp.excitatory()``), which knows which of
its variables receives the jumps. As in NEST, an inhibitory weight is negative (the jump is added as given).
``ExcitatoryPSC`` onto an ``IafPscAlpha`` neuron is also exact: a jump of its current ``I_ex`` decays with
``tau_syn_ex``, an exponential current on an alpha neuron.
"""

from __future__ import annotations

from ._base import IntoNeuronState


class ExcitatoryPSC(IntoNeuronState):
    """Excitatory receptor of an exponential-current neuron: a spike adds ``w`` (pA) to ``I_ex``."""

    spike_target = "I_ex"


class InhibitoryPSC(IntoNeuronState):
    """Inhibitory receptor of an exponential-current neuron: a spike adds ``w`` (pA, negative) to ``I_in``."""

    spike_target = "I_in"


class ExcitatoryRisingPSC(IntoNeuronState):
    """Excitatory receptor of a neuron whose current rises from zero (alpha, dual exponential): a spike adds
    ``w`` (pA) to the current's input ``dI_ex``, scaled so that ``I_ex`` peaks at ``w``."""

    spike_target = "dI_ex"


class InhibitoryRisingPSC(IntoNeuronState):
    """Inhibitory receptor of a neuron whose current rises from zero: a spike adds ``w`` (pA, negative) to
    ``dI_in``."""

    spike_target = "dI_in"
