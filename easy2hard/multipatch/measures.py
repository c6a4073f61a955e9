"""What the filters learnt (docs/science.md §11.4, §11.6): alignments, input gradients,
denoised images."""

from __future__ import annotations

import torch

from . import model


def filters(W: torch.Tensor) -> torch.Tensor:
    """Every filter of a run as rows, (R, M, d): the diffusion W (R, m, d) as it is, the
    classifier's W (R, 2, m, d) with both groups together."""
    return W if W.dim() == 3 else W.reshape(W.shape[0], -1, W.shape[-1])


def max_alignment(W: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """max_r |⟨w_r, v⟩| over every filter, for vectors (R, ..., d): (R, ...)."""
    V = vectors.reshape(vectors.shape[0], -1, vectors.shape[-1])
    dots = torch.bmm(V, filters(W).transpose(1, 2)).abs().amax(-1)
    return dots.reshape(vectors.shape[:-1])


def signal_alignment(W: torch.Tensor, mus: torch.Tensor) -> torch.Tensor:
    """Signal learning per signal patch: mean over j = ±1 of max_r |⟨w_r, μ_{p,j}⟩|, mus
    (R, S, 2, d): (R, S)."""
    return max_alignment(W, mus).mean(-1)


def sample_alignment(W: torch.Tensor, patches: torch.Tensor) -> torch.Tensor:
    """Mean over samples i (and patches) of max_r |⟨w_r, v_i⟩|, patches (R, n, Q, d): (R,).
    On the noise patches ξ_i this is the noise memorisation; on the digits' signal patches
    μ_i it is their signal learning (the paper's §5.2 measures)."""
    return max_alignment(W, patches).mean((1, 2))


def input_gradient(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """∇_x F(W, x) = (2/m) Σ_r ⟨w_r, x⁽ᵖ⁾⟩ w_r per patch, W (R, m, d), X (R, n, P, d)."""
    X = X.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model.features(W, X).sum(), X)
    return grad


def denoised(W: torch.Tensor, X0: torch.Tensor, eps: torch.Tensor, t: float) -> torch.Tensor:
    """x̂_0 = (x_t − β ε̂(x_t)) / α with x_t = α x_0 + β ε (the paper's Fig. 3, third row)."""
    alpha, beta = model.coefficients(t)
    xt = alpha * X0 + beta * eps
    return (xt - beta * model.denoiser(W, xt)) / alpha
