"""Continuous-time Ornstein-Uhlenbeck forward process (SCIENCE §2).

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


def forward(x0: torch.Tensor, z: torch.Tensor, t) -> torch.Tensor:
    """Noised sample x_t given the clean x_0 and the noise z."""
    decay = torch.exp(-torch.as_tensor(t, dtype=x0.dtype))
    return decay * x0 + torch.sqrt(delta(torch.as_tensor(t, dtype=x0.dtype))) * z
