"""Continuous-time Ornstein-Uhlenbeck forward process (docs/science.md §2.1).

x_t = e^{-t} x_0 + sqrt(Δ_t) z,  Δ_t = 1 - e^{-2t},  z ~ N(0, I).
"""

from __future__ import annotations


import torch

from . import ou


def delta(t):
    """Δ_t = 1 - e^{-2t}, for a float, an array (``core.ou.delta``) or a tensor."""
    if isinstance(t, torch.Tensor):
        return -torch.expm1(-2 * t)
    return ou.delta(t)

