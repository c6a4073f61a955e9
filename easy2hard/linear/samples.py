"""Samples of linear diffusion models, drawn with the project's DDPM sampler (docs/science.md §10.4)."""

from __future__ import annotations

import numpy as np
import torch

from ..core import ddpm, streams
from . import denoiser


class ClosedFormDenoiser(torch.nn.Module):
    """ε_θ(x, k) = W_k (x - a_k m̂) with W_k = U diag(w_k) Uᵀ at ridge λ and τ = ∞."""

    def __init__(self, fit_: denoiser.Fit, t: denoiser.Terms, ridge: float):
        super().__init__()
        w = denoiser.weights(fit_.c[None, :], t.a[:, None], t.s[:, None], ridge, np.inf)
        self.W = torch.as_tensor(denoiser.matrix(fit_, w), dtype=torch.float32)  # (T, d, d)
        self.shift = torch.as_tensor(t.a[:, None] * fit_.mean[None, :], dtype=torch.float32)

    def forward(self, x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nij,nj->ni", self.W[k], x - self.shift[k])


def draw(fit_: denoiser.Fit, schedule: ddpm.Schedule, ridge: float, n: int, seed: int,
         *tags) -> np.ndarray:
    """(n, d) ancestral DDPM samples of the closed-form linear model of ``fit_``."""
    model = ClosedFormDenoiser(fit_, denoiser.terms(schedule), ridge)
    gen = streams.generator(seed, "linear", "samples", *tags)
    return ddpm.sample(model, n, (fit_.d,), schedule, generator=gen).double().numpy()
