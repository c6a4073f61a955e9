"""Continuous-time Ornstein-Uhlenbeck forward process (docs/science.md §2.1).

x_t = e^{-t} x_0 + sqrt(Δ_t) z,  Δ_t = 1 - e^{-2t},  z ~ N(0, I).
"""

from __future__ import annotations

import math

import torch


def delta(t):
    """Δ_t = 1 - e^{-2t}, for a float or a tensor."""
    if isinstance(t, torch.Tensor):
        return -torch.expm1(-2 * t)
    return -math.expm1(-2 * t)

