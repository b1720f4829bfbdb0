"""Engines turn a built network (an engine-neutral plan) into one compiled program.

One sub-package per engine; they are the only places that import numba or jax.
"""
