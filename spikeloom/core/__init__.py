"""Engine-neutral foundations: parameter declarations, initializers, model base classes, counter-based random
numbers. Nothing here imports an engine (numba, jax)."""
