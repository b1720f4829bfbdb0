"""The JAX engine: a plan becomes one jitted ``lax.scan`` over steps (CPU or GPU), with surrogate gradients
and ``vmap`` over parameter sets. The model math is bound from the same factories as the Numba engine.

XLA:CPU contracts ``a * b + c`` into fused multiply-adds, which round once instead of twice, so its results
would differ from the CPU engine's in the last bit and chaotic networks would then drift apart. The only
switch is process-wide and read once, when JAX starts its CPU backend: ``--xla_cpu_max_isa=AVX`` in
``XLA_FLAGS`` (no FMA instructions). Importing this package therefore starts the backends itself with that
flag, unless ``SPIKELOOM_XLA_FMA=1`` or ``XLA_FLAGS`` already names a maximum ISA, and then restores
``XLA_FLAGS`` so child processes do not inherit it. If JAX's backends had already started, it is too late:
:func:`exact_cpu_arithmetic` tells (``JaxProgram`` warns once, on CPU). GPUs are not affected.
"""

import os as _os

from ..._errors import EngineError

try:
    import jax as _jax
except ModuleNotFoundError as _err:
    raise EngineError("the JAX engine needs JAX, which is not installed: pip install 'spikeloom[jax]' "
                      "(or use engine='cpu')") from _err

#: ``XLA_FLAGS`` entry that keeps XLA:CPU from fusing multiplies and adds
NO_FMA_FLAG = "--xla_cpu_max_isa=AVX"


def _backends_started() -> bool:
    import sys

    bridge = sys.modules.get("jax._src.xla_bridge")
    return bool(bridge is not None and getattr(bridge, "_backends", None))


def _start_backends_without_fma():
    """Start JAX's backends with :data:`NO_FMA_FLAG`, leaving ``XLA_FLAGS`` as it was for everything else."""
    flags = _os.environ.get("XLA_FLAGS")
    if _os.environ.get("SPIKELOOM_XLA_FMA") == "1" or "xla_cpu_max_isa" in (flags or "") or _backends_started():
        return
    _os.environ["XLA_FLAGS"] = f"{flags or ''} {NO_FMA_FLAG}".strip()
    try:
        _jax.devices()
    finally:
        if flags is None:
            del _os.environ["XLA_FLAGS"]
        else:
            _os.environ["XLA_FLAGS"] = flags


def exact_cpu_arithmetic() -> bool:
    """Whether XLA:CPU rounds ``a * b + c`` twice, as the CPU engine does (a measurement, not a guess)."""
    import numpy as np

    # a * a = 1 + 2**-11 + 2**-24 rounds to 1 + 2**-11 in float32, so a * a + c is 0 unless fused (2**-24)
    a, c = np.float32(1.0 + 2.0**-12), np.float32(-(1.0 + 2.0**-11))
    with _jax.default_device(_jax.devices("cpu")[0]):
        return float(_jax.jit(lambda x, y, z: x * y + z)(a, a, c)) == 0.0


_start_backends_without_fma()

from .program import JaxProgram, select_device  # noqa: E402
from .simulation import Simulation, descend  # noqa: E402
from .surrogate import SURROGATES, surrogate  # noqa: E402

__all__ = ["JaxProgram", "NO_FMA_FLAG", "Simulation", "SURROGATES", "descend", "exact_cpu_arithmetic",
           "select_device", "surrogate"]
