"""The empirical optimal score and nearest-neighbour distances (docs/science.md §13.4).

The minimiser of DSM over all functions, for the n training points a_i (m = inf), is the
score of the noised empirical measure (1/n) Σ_i N(e^{-t} a_i, Δ I):
    s_emp(x) = -(x - e^{-t} Σ_i w_i(x) a_i) / Δ,  w = softmax_i(-|x - e^{-t} a_i|² / (2Δ)).
A network that reproduces it has memorised the training set: its samples are the a_i.
"""

from __future__ import annotations

import math

import torch
from ..core import ou


def scaled_score(x: torch.Tensor, a: torch.Tensor, t: float) -> torch.Tensor:
    """sqrt(Δ) s_emp(x) for points x (K, d) and training points a (n, d): (K, d)."""
    decay, delta = math.exp(-t), ou.delta(t)
    centres = decay * a
    logits = -torch.cdist(x, centres).pow(2) / (2 * delta)
    mean = torch.softmax(logits, dim=1) @ centres
    return -(x - mean) / math.sqrt(delta)


def sq_distance(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Mean over points of |u - v|² / d for (..., d, K) arrays: the §13.4 distance."""
    return (u - v).pow(2).sum(-2).mean(-1) / u.shape[-2]


def nearest_distance(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """(K,): Euclidean distance of each point x_k to its nearest training point."""
    return torch.cdist(x, a).min(dim=1).values
