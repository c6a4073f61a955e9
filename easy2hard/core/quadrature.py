"""Gauss-Hermite quadrature for expectations over a standard Gaussian."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch


@lru_cache(maxsize=None)
def _nodes(order: int):
    x, w = np.polynomial.hermite_e.hermegauss(order)
    return x, w / w.sum()


def gauss_hermite(order: int, dtype=torch.float32, device=None):
    """Nodes ξ_k and weights ω_k (summing to 1) with Σ ω_k f(ξ_k) ≈ E_{ξ~N(0,1)} f(ξ).

    Exact for polynomials of degree < 2 * order.
    """
    x, w = _nodes(int(order))
    return (torch.as_tensor(x, dtype=dtype, device=device),
            torch.as_tensor(w, dtype=dtype, device=device))
