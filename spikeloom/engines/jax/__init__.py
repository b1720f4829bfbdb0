"""The JAX engine (GPU/CPU through XLA); the model math is bound from the same factories as the Numba engine."""
