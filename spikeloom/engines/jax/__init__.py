"""The JAX engine: a plan becomes one jitted ``lax.scan`` over steps (CPU or GPU), with surrogate gradients
and ``vmap`` over parameter sets. The model math is bound from the same factories as the Numba engine.

XLA:CPU contracts ``a * b + c`` into fused multiply-adds, which round once instead of twice, so its results
would differ from the CPU engine's in the last bit and chaotic networks would then drift apart. Unless
``SPIKELOOM_XLA_FMA=1`` or ``XLA_FLAGS`` already sets ``--xla_cpu_max_isa``, importing this package before
JAX starts its CPU backend limits XLA:CPU to AVX (no FMA instructions), so both engines agree bit for bit.
GPUs are not affected.
"""

import os as _os


def _exact_cpu_arithmetic():
    if _os.environ.get("SPIKELOOM_XLA_FMA") == "1" or "xla_cpu_max_isa" in _os.environ.get("XLA_FLAGS", ""):
        return
    import sys

    bridge = sys.modules.get("jax._src.xla_bridge")
    if bridge is not None and getattr(bridge, "_backends", None):
        return  # a backend already started: too late to change its flags
    _os.environ["XLA_FLAGS"] = (_os.environ.get("XLA_FLAGS", "") + " --xla_cpu_max_isa=AVX").strip()


_exact_cpu_arithmetic()

from .program import JaxProgram, select_device  # noqa: E402
from .simulation import Simulation, descend  # noqa: E402
from .surrogate import SURROGATES, surrogate  # noqa: E402

__all__ = ["JaxProgram", "Simulation", "SURROGATES", "descend", "select_device", "surrogate"]
