"""Bad plasticity rules and plastic projections: each names the rule or projection and the argument."""

from __future__ import annotations

import numpy as np

import spikeloom as sl
from bad_cases import ApiCase
from spikeloom import ModelDefinitionError as MDE
from spikeloom.network.build import build_plan


def _proj(**kwargs):
    return sl.Projection(sl.LIF(5, name="A"), sl.LIF(5, name="B"), **kwargs)


def _built(weight):
    net = sl.Network(A=sl.LIF(5), B=sl.LIF(5))
    net.P = sl.Projection(net.A, net.B, sl.AllToAll(), weight=weight, plasticity=sl.STDP())
    build_plan(net, 0.1, 0)


CASES: list[ApiCase] = [
    ApiCase("stdp-unknown-dependence", lambda: sl.STDP(weight_dependence="linear"), MDE,
            r"STDP: weight_dependence .*linear"),
    ApiCase("stdp-unknown-interaction", lambda: sl.STDP(interaction="first"), MDE, r"STDP: interaction .*first"),
    ApiCase("stdp-negative-amplitude", lambda: sl.STDP(A_plus=-0.1), MDE, r"STDP.*A_plus"),
    ApiCase("stdp-bounds-reversed", lambda: sl.STDP(w_min=1.0, w_max=0.5), MDE, r"STDP: w_max \(0.5\) must be above"),
    ApiCase("stdp-mu-without-power-law", lambda: sl.STDP(mu_plus=0.5), MDE, r"STDP: mu_plus and mu_minus apply"),
    ApiCase("triplet-unknown-form", lambda: sl.TripletSTDP(form="full"), MDE, r"TripletSTDP: form .*full"),
    ApiCase("tm-U-above-one", lambda: sl.TsodyksMarkram(U=1.5), MDE, r"TsodyksMarkram: U must be in \(0, 1\]"),
    ApiCase("tm-negative-tau", lambda: sl.TsodyksMarkram(tau_rec=-1.0), MDE, r"TsodyksMarkram.*tau_rec"),
    ApiCase("plasticity-not-a-rule", lambda: _proj(conn=sl.AllToAll(), weight=0.5, plasticity="stdp"), MDE,
            r"plasticity must be a PlasticityRule .*got str"),
    ApiCase("plasticity-procedural", lambda: _proj(conn=sl.ProceduralProb(0.5), weight=0.5, plasticity=sl.STDP()),
            MDE, r"plasticity needs stored connectivity .*ProceduralProb"),
    ApiCase("plasticity-weight-above-w-max", lambda: _proj(conn=sl.AllToAll(), weight=2.0, plasticity=sl.STDP()),
            MDE, r"weight 2.0 reaches outside \[w_min, w_max\] = \[0, 1\] of STDP"),
    ApiCase("plasticity-negative-w-min-conductance",
            lambda: _proj(conn=sl.AllToAll(), weight=0.5, plasticity=sl.STDP(w_min=-1.0)), MDE,
            r"STDP w_min = -1 would allow negative conductances"),
    ApiCase("plasticity-drawn-weights-outside", lambda: _built(sl.LogNormal(1.0, 1.0)), MDE,
            r"projection 'P': weights drawn in \[.*\] reach outside \[w_min, w_max\]"),
    ApiCase("histogram-bad-edges", lambda: sl.Histogram(np.array([1.0, 0.5])), MDE,
            r"Histogram: edges must be at least two finite, strictly increasing"),
]
