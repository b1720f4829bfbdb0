"""Neurokernel's intro demo in small: two random generic LPUs, unconnected then connected one way.

LPU 0's output is identical in both runs (nothing feeds it); LPU 1's changes once LPU 0 drives it.
"""

import os

import numpy as np

from spikeloom import lpu
from spikeloom.lpu.demo import intro_demo

out = os.environ.get("SPIKELOOM_EXAMPLE_OUT", "out_lpu_intro")
print(lpu.expand("/med/[L1,L2].+[0:2]"), lpu.count("/med/L1[0:10]"))
runs = intro_demo(out, duration=0.1, sizes=(8, 8, 8))
(u0, u1), (c0, c1) = runs["unconnected"]["lpus"], runs["connected"]["lpus"]
print("LPU 0 identical:", np.array_equal(u0.recorded["gpot"], c0.recorded["gpot"]))
print("LPU 1 changed:", not np.array_equal(u1.recorded["gpot"], c1.recorded["gpot"]))
assert np.array_equal(u0.recorded["spike"], c0.recorded["spike"])
