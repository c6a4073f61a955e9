"""Gaussian clones: the one vocabulary of the project (docs/science.md §3.6, §7.2).

A clone keeps the first one or two moments (μ, Σ) of a distribution in D dimensions:

- ``mean``:     N(μ, I)          the paper's "mean clone" (images);
- ``mean_iso``: N(μ, σ̄² I)       σ̄² = tr Σ / D, the average variance (MCM; images as an extra);
- ``meancov``:  N(μ, Σ)          through Σ = V diag(λ) Vᵀ with negative eigenvalues clipped to 0.

A clone sample is μ + factor · ζ with ζ ~ N(0, I): ``factor`` is the scalar 1 or σ̄ for the two
isotropic clones and the matrix A = V diag(√λ₊) (A Aᵀ = Σ₊) for ``meancov``. The functions take
numpy arrays (images, float64) or torch tensors (MCM) and compute in the input's library, so
each caller's random numbers and rounding are its own.
"""

from __future__ import annotations

import sys

import numpy as np

CLONES = ("mean", "mean_iso", "meancov")


def _is_tensor(x) -> bool:
    """Whether ``x`` is a torch tensor (torch is never imported here: a tensor implies it is)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def check(kind: str) -> None:
    if kind not in CLONES:
        raise ValueError(f"unknown clone {kind!r}; allowed: {', '.join(CLONES)}")


def sqrt_factor(cov):
    """A with A Aᵀ = Σ₊ (Σ with its negative eigenvalues clipped to 0), by ``eigh`` in float64."""
    if _is_tensor(cov):
        cov = cov.double()
        lam, V = sys.modules["torch"].linalg.eigh((cov + cov.T) / 2)
        return V * lam.clamp(min=0).sqrt()
    cov = np.asarray(cov, dtype=np.float64)
    lam, V = np.linalg.eigh((cov + cov.T) / 2)
    return V * np.sqrt(np.clip(lam, 0.0, None))


def iso_scale(cov):
    """σ̄ = sqrt(tr Σ / D), the standard deviation of ``mean_iso``."""
    if _is_tensor(cov):
        return cov.diagonal().mean().sqrt()
    cov = np.asarray(cov)
    return np.sqrt(np.trace(cov) / cov.shape[0])


def factor(kind: str, cov):
    """The map from standard normals to clone ``kind`` around 0: 1.0, σ̄ or the matrix A."""
    check(kind)
    if kind == "mean":
        return 1.0
    return iso_scale(cov) if kind == "mean_iso" else sqrt_factor(cov)


def apply(mean, fac, z):
    """Clone samples μ + fac · ζ for rows ζ of ``z`` (scalar ``fac`` or matrix A: ζ Aᵀ)."""
    if getattr(fac, "ndim", 0) == 2:
        return mean + z @ fac.T
    return mean + fac * z


def covariance(kind: str, cov):
    """The covariance of clone ``kind`` of a law with covariance Σ (for tests and docs)."""
    check(kind)
    eye = sys.modules["torch"].eye(cov.shape[0], dtype=cov.dtype) if _is_tensor(cov) \
        else np.eye(cov.shape[0])
    if kind == "mean":
        return eye
    if kind == "mean_iso":
        return iso_scale(cov) ** 2 * eye
    A = sqrt_factor(cov)
    return A @ A.T
