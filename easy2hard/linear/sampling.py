"""Exact sampling distribution of a linear diffusion model (docs/science.md §10.4).

Every sampler step used here is affine in x_k given ε_θ:
    x_{k-1} = α_k x_k + γ_k ε_θ(x_k, k) + σ_k z,    z ~ N(0, I),   x_T ~ N(0, I),
  ddpm (ancestral, as core.ddpm.sample): α = 1/sqrt(1-β_k), γ = -β_k / (s_k sqrt(1-β_k)),
        σ = sqrt(β_k) (σ = 0 at k = 0);
  ddim (η = 0, deterministic, a discretisation of the probability-flow ODE):
        α = a_{k-1}/a_k, γ = s_{k-1} - a_{k-1} s_k / a_k, σ = 0, with a_{-1} = 1, s_{-1} = 0.
With ε_θ(x, k) = W_k (x - a_k m̂) the samples are Gaussian; mean and covariance follow
    μ ← P_k μ - γ_k a_k W_k m̂,   S ← P_k S P_kᵀ + σ_k² I,   P_k = α_k I + γ_k W_k.
"""

from __future__ import annotations

import numpy as np
import torch

from .denoiser import Terms
from .targets import Population

SAMPLERS = ("ddpm", "ddim")
VARIANCE_FLOOR = 1e-12  # a sampling variance below this is a collapsed direction (KL = ∞)


def coefficients(kind: str, t: Terms) -> np.ndarray:
    """(3, T) array of α_k, γ_k, σ_k for k = 0..T-1."""
    if kind == "ddpm":
        root = np.sqrt(1 - t.beta)
        sigma = np.sqrt(t.beta)
        sigma[0] = 0.0
        return np.stack([1 / root, -t.beta / (t.s * root), sigma])
    if kind == "ddim":
        a_prev = np.concatenate([[1.0], t.a[:-1]])
        s_prev = np.concatenate([[0.0], t.s[:-1]])
        return np.stack([a_prev / t.a, s_prev - a_prev * t.s / t.a, np.zeros(t.T)])
    raise ValueError(f"unknown sampler {kind!r}; allowed: {', '.join(SAMPLERS)}")


def gaussian_kl(pop: Population, mean: np.ndarray, trace: np.ndarray, logdet: np.ndarray):
    """KL(N(mean, S) || pop) from tr(Σ⁻¹ S) and log det S (arrays over runs; mean (..., d))."""
    e = mean - pop.mean
    quad = np.einsum("...i,ij,...j->...", e, pop.prec, e)
    return 0.5 * (trace - pop.d + pop.logdet - logdet + quad)


@torch.no_grad()
def moments(W: torch.Tensor, mhat: torch.Tensor, t: Terms, kind: str):
    """Mean (R, d) and covariance (R, d, d) of the samples of R models W (R, T, d, d)."""
    coef = torch.as_tensor(coefficients(kind, t), dtype=W.dtype, device=W.device)
    a = torch.as_tensor(t.a, dtype=W.dtype, device=W.device)
    R, T, d, _ = W.shape
    eye = torch.eye(d, dtype=W.dtype, device=W.device)
    mu = torch.zeros(R, d, dtype=W.dtype, device=W.device)
    S = eye.expand(R, d, d).clone()
    for k in range(T - 1, -1, -1):
        alpha, gamma, sigma = coef[:, k]
        P = alpha * eye + gamma * W[:, k]
        mu = (P @ mu[..., None])[..., 0] - gamma * a[k] * (W[:, k] @ mhat[..., None])[..., 0]
        S = P @ S @ P.transpose(1, 2) + sigma**2 * eye
    return mu, S


def kl_of_moments(pop: Population, mu: torch.Tensor, S: torch.Tensor) -> np.ndarray:
    """KL(N(mu, S) || pop) for each of R models; ∞ where S has a collapsed direction."""
    S = S.double().cpu().numpy()
    evals = np.linalg.eigvalsh(0.5 * (S + S.transpose(0, 2, 1)))
    trace = np.einsum("ij,rji->r", pop.prec, S)
    logdet = np.where(evals.min(1) > VARIANCE_FLOOR, np.log(np.clip(evals, 1e-300, None)).sum(1),
                      -np.inf)
    return gaussian_kl(pop, mu.double().cpu().numpy(), trace, logdet)
