"""White laws (mean 0, covariance I) of the linear stage's targets, with exact log densities
(docs/science.md §10.1): a target is x = μ + Σ^{1/2} z with z of one of these laws.

  gaussian:        z ~ N(0, I).
  student_t:       z = g sqrt((ν - 2) / χ²_ν), g ~ N(0, I): a Gaussian scale mixture, the
                   multivariate t with ν degrees of freedom (integer ν >= 5, so that fourth
                   moments exist: excess kurtosis 6 / (ν - 4) per coordinate).
  laplace_latent:  z_i iid Laplace with unit variance (scale 1/√2): a sparse latent model,
                   excess kurtosis 3 per coordinate.
"""

from __future__ import annotations

import math

import numpy as np
import torch

LAWS = ("gaussian", "student_t", "laplace_latent")


def draw_white(law: str, n: int, d: int, dof: int, gen: torch.Generator) -> np.ndarray:
    """(n, d) float64 draws of the white law from ``gen``."""
    g = torch.randn(n, d, generator=gen, dtype=torch.float64)
    if law == "gaussian":
        return g.numpy()
    if law == "student_t":
        if dof < 5:
            raise ValueError(f"student_t needs dof >= 5 (finite fourth moments), got {dof}")
        chi2 = torch.randn(n, dof, generator=gen, dtype=torch.float64).square().sum(1)
        return (g * torch.sqrt((dof - 2) / chi2)[:, None]).numpy()
    if law == "laplace_latent":
        u = torch.rand(n, d, 2, generator=gen, dtype=torch.float64)
        return (-torch.log1p(-u).diff(dim=-1)[..., 0] / math.sqrt(2)).numpy()
    raise ValueError(f"unknown law {law!r}; allowed: {', '.join(LAWS)}")


def log_density_white(law: str, z: np.ndarray, dof: int = 0) -> np.ndarray:
    """log p(z) of the white law for z (..., d)."""
    d = z.shape[-1]
    if law == "gaussian":
        return -0.5 * (z * z).sum(-1) - 0.5 * d * math.log(2 * math.pi)
    if law == "student_t":
        norm = (math.lgamma((dof + d) / 2) - math.lgamma(dof / 2)
                - 0.5 * d * math.log((dof - 2) * math.pi))
        return norm - 0.5 * (dof + d) * np.log1p((z * z).sum(-1) / (dof - 2))
    if law == "laplace_latent":
        return -0.5 * d * math.log(2) - math.sqrt(2) * np.abs(z).sum(-1)
    raise ValueError(f"unknown law {law!r}; allowed: {', '.join(LAWS)}")


def fourth_moment(law: str, d: int, dof: int = 0) -> float:
    """E ‖z‖⁴ of the white law in d dimensions: d(d + 2) for the Gaussian, (ν - 2)/(ν - 4)
    d(d + 2) for student_t (E (ν-2)²/χ⁴_ν = (ν-2)/(ν-4)), d² + 5d for laplace_latent
    (E z_i⁴ = 6)."""
    if law == "gaussian":
        return d * (d + 2.0)
    if law == "student_t":
        return (dof - 2) / (dof - 4) * d * (d + 2.0)
    if law == "laplace_latent":
        return d * d + 5.0 * d
    raise ValueError(f"unknown law {law!r}; allowed: {', '.join(LAWS)}")
