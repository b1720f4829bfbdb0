"""Fixed-step integration methods (exact, exponential Euler, Euler, RK2, RK4) as engine-neutral source templates.

An integrator turns a model's vector field into one step function; engines compile the generated source.
"""
