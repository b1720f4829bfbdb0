"""PyNN's standard synapse types, mapped onto spikeloom's plasticity rules.

Native parameters keep PyNN's names and units (the projection scales weights when it builds, see
:mod:`spikeloom.pynn.cells`); ``sl_rule(columns, scale)`` returns the spikeloom rule (None for static synapses)
from the connections' parameter columns, which must be equal across a projection's connections.

- ``StaticSynapse``: fixed weight and delay.
- ``TsodyksMarkramSynapse`` -> :class:`~spikeloom.TsodyksMarkram` (U, tau_rec, tau_facil; delivered weight
  u x w). The synaptic current's own time constant is the post-synaptic cell's ``tau_syn``.
- ``STDPMechanism`` with ``SpikePairRule`` and ``AdditiveWeightDependence`` /
  ``MultiplicativeWeightDependence`` -> :class:`~spikeloom.STDP` (all-to-all pairs). PyNN's amplitudes are
  fractions of ``w_max`` (NEST's ``lambda``, Brian2's ``w_max * A``), spikeloom's absolute: A x (w_max - w_min)
  (w_min = 0 in NEST). Multiplicative is spikeloom's ``power_law`` with both exponents 1 (NEST's mu = 1).
  Delays are axonal in spikeloom: pairs are timed at the spike's arrival, whatever ``dendritic_delay_fraction``.
"""

from __future__ import annotations

import numpy as np
from pyNN.standardmodels import build_translations, synapses

import spikeloom as sl

_BASE = (("weight", "weight"), ("delay", "delay"))


def _one(columns: dict, name: str, what: str) -> float:
    values = np.asarray(columns[name], dtype=float)
    if values.size and np.ptp(values) > 0:
        raise NotImplementedError(f"{what}: spikeloom keeps {name} per projection; every connection of a projection "
                                  f"needs the same {name} (got {values.min():g} to {values.max():g})")
    return float(values[0]) if values.size else 0.0


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(*_BASE)

    def _get_minimum_delay(self):
        from .simulator import state
        return state.dt

    def sl_rule(self, columns, scale):
        return None


class TsodyksMarkramSynapse(StaticSynapse, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    default_parameters = synapses.TsodyksMarkramSynapse.default_parameters
    translations = build_translations(*_BASE, ("U", "U"), ("tau_rec", "tau_rec"), ("tau_facil", "tau_facil"))

    def sl_rule(self, columns, scale):
        what = "TsodyksMarkramSynapse"
        return sl.TsodyksMarkram(U=_one(columns, "U", what), tau_rec=_one(columns, "tau_rec", what),
                                 tau_facil=_one(columns, "tau_facil", what))


class STDPMechanism(StaticSynapse, synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    default_parameters = synapses.STDPMechanism.default_parameters
    base_translations = build_translations(*_BASE, ("dendritic_delay_fraction", "dendritic_delay_fraction"))

    def __init__(self, timing_dependence=None, weight_dependence=None, voltage_dependence=None,
                 dendritic_delay_fraction=1.0, weight=0.0, delay=None):
        if voltage_dependence is not None:
            raise NotImplementedError("STDPMechanism: voltage-dependent rules are not supported by spikeloom.pynn")
        if not isinstance(timing_dependence, SpikePairRule):
            raise NotImplementedError("STDPMechanism: spikeloom.pynn supports the SpikePairRule timing dependence")
        if not isinstance(weight_dependence, (AdditiveWeightDependence, MultiplicativeWeightDependence)):
            raise NotImplementedError("STDPMechanism: spikeloom.pynn supports Additive- and "
                                      "MultiplicativeWeightDependence")
        synapses.STDPMechanism.__init__(self, timing_dependence, weight_dependence, voltage_dependence,
                                        dendritic_delay_fraction, weight, delay)

    def sl_rule(self, columns, scale):
        what = "STDPMechanism"
        w_min, w_max = (_one(columns, k, what) * scale for k in ("w_min", "w_max"))
        span = w_max - w_min
        return sl.STDP(weight_dependence=self.weight_dependence.sl_name, tau_plus=_one(columns, "tau_plus", what),
                       tau_minus=_one(columns, "tau_minus", what), A_plus=_one(columns, "A_plus", what) * span,
                       A_minus=_one(columns, "A_minus", what) * span, w_min=w_min, w_max=w_max,
                       **self.weight_dependence.sl_extra)


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(("tau_plus", "tau_plus"), ("tau_minus", "tau_minus"),
                                      ("A_plus", "A_plus"), ("A_minus", "A_minus"))


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))
    sl_name, sl_extra = "additive", {}


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))
    sl_name, sl_extra = "power_law", {"mu_plus": 1.0, "mu_minus": 1.0}

