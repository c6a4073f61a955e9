"""Gauss-Hermite quadrature for expectations over a standard Gaussian."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=None)
def _nodes(order: int):
    x, w = np.polynomial.hermite_e.hermegauss(order)
    return x, w / w.sum()


def gauss_hermite_numpy(order: int) -> tuple[np.ndarray, np.ndarray]:
    """``gauss_hermite``'s nodes and weights as float64 numpy arrays (fresh copies, no torch)."""
    x, w = _nodes(int(order))
    return x.copy(), w.copy()


def gauss_hermite(order: int, dtype=None, device=None):
    """Nodes ξ_k and weights ω_k (summing to 1) with Σ ω_k f(ξ_k) ≈ E_{ξ~N(0,1)} f(ξ),
    as torch tensors (``dtype`` default float32).

    Exact for polynomials of degree < 2 * order.
    """
    import torch

    dtype = torch.float32 if dtype is None else dtype
    x, w = _nodes(int(order))
    return (torch.as_tensor(x, dtype=dtype, device=device),
            torch.as_tensor(w, dtype=dtype, device=device))
