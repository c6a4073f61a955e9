"""Discrete DDPM (Ho et al. 2020; docs/science.md §2): T steps, linear β, ε-prediction, ancestral sampling.

x_k = sqrt(ᾱ_k) x_0 + sqrt(1 - ᾱ_k) ε,  ᾱ_k = Π_{j<=k} (1 - β_j),  k in {0, …, T-1},
loss = mean over pixels of (ε_θ(x_k, k) - ε)², with k uniform for training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Schedule:
    T: int = 1000
    beta_min: float = 1e-4
    beta_max: float = 2e-2

    def betas(self, device=None) -> torch.Tensor:
        return torch.linspace(self.beta_min, self.beta_max, self.T, dtype=torch.float64, device=device)

    def alpha_bar(self, device=None) -> torch.Tensor:
        return torch.cumprod(1 - self.betas(device), dim=0)


def noisy(x0: torch.Tensor, k: torch.Tensor, eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """x_k for each image: sqrt(ᾱ_k) x_0 + sqrt(1 - ᾱ_k) ε (``k`` has one entry per image)."""
    ab = alpha_bar.to(x0.device)[k].to(x0.dtype).view(-1, *([1] * (x0.dim() - 1)))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def per_image_loss(model, x0: torch.Tensor, k: torch.Tensor, eps: torch.Tensor,
                   alpha_bar: torch.Tensor) -> torch.Tensor:
    """(B,) mean squared error of the noise prediction, per image."""
    pred = model(noisy(x0, k, eps, alpha_bar), k)
    return (pred.float() - eps.float()).pow(2).flatten(1).mean(1)


@torch.no_grad()
def sample(model, n: int, shape, schedule: Schedule, generator: torch.Generator | None = None,
           device=None, progress=None) -> torch.Tensor:
    """Ancestral sampling from pure noise with σ_k² = β_k; returns (n, *shape) float32.

    x_{k-1} = (x_k - β_k / sqrt(1 - ᾱ_k) ε_θ(x_k, k)) / sqrt(1 - β_k) + σ_k z  (z = 0 at k = 0).
    """
    betas = schedule.betas().float()
    alpha_bar = schedule.alpha_bar().float()
    x = torch.randn((n, *shape), generator=generator).to(device)
    steps = range(schedule.T - 1, -1, -1)
    for k in (progress(steps) if progress else steps):
        kk = torch.full((n,), k, device=device, dtype=torch.long)
        eps = model(x, kk).float()
        x = (x - betas[k] / (1 - alpha_bar[k]).sqrt() * eps) / (1 - betas[k]).sqrt()
        if k > 0:
            x = x + betas[k].sqrt() * torch.randn(x.shape, generator=generator).to(device)
    return x.cpu()
