"""The four DYNAP-SE synapse types as projections' synapse models.

On the chip a neuron has one DPI integrator per synapse type, shared by all its connections of that type;
its dynamics belong to :class:`~spikeloom.dynapse.dpi.DPINeuron` (written once in
:func:`~spikeloom.dynapse.dpi.dpi_synapse_rate`). A projection with one of these synapse models therefore has
no state of its own: each spike adds its weight (pA, ``I_w0 * alpha * w``) to the post-synaptic neuron's
integrator of that type.
"""

from __future__ import annotations

from ..synapses._base import IntoNeuronState


class DPISynapse(IntoNeuronState):
    """A spike adds the connection's weight (pA) to the post-synaptic DPI integrator ``spike_target``."""

    #: how the current enters the soma (documentation; the math is in DPINeuron)
    role = ""


class NMDA(DPISynapse):
    """Slow excitatory (SLOW_EXC): adds to the input, gated by the membrane current (I/(1 + I_thr/I_mem))."""

    spike_target = "Inmda"
    role = "excitatory, gated by the membrane (voltage-dependent)"


class AMPA(DPISynapse):
    """Fast excitatory (FAST_EXC): adds to the soma's input current."""

    spike_target = "Iampa"
    role = "excitatory, added to the input"


class GABA_A(DPISynapse):
    """Fast inhibitory (FAST_INH), shunting: adds to the soma's leak (subtractive and divisive)."""

    spike_target = "Igaba_a"
    role = "inhibitory, shunting (adds to the leak)"


class GABA_B(DPISynapse):
    """Slow inhibitory (SLOW_INH), subtractive: subtracts from the soma's input current."""

    spike_target = "Igaba_b"
    role = "inhibitory, subtracted from the input"


#: synapse type name (lower case, as on the command line) -> class
SYNAPSE_CLASSES = {"nmda": NMDA, "ampa": AMPA, "gaba_a": GABA_A, "gaba_b": GABA_B}
