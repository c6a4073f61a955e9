"""The two-layer quadratic networks over patches and their two losses (docs/science.md §11.2-3).

Every function takes weights with a leading run dimension R and data of shape
(R, n, P, d): runs never mix, so R runs are R independent networks.

Diffusion (shared first and second layer, m filters w_r ∈ R^d applied to every patch):
    f_p(W, x) = m^{-a} Σ_r ⟨w_r, x⁽ᵖ⁾⟩² w_r      (a = 1/2 by default, the width exponent).
Classification (two groups of m filters, second layer fixed to 1):
    F_j(W, x) = m^{-b} Σ_r Σ_p ⟨w_{j,r}, x⁽ᵖ⁾⟩²,  f(W, x) = F_{+1} − F_{−1}   (b = 1 by default).

``scale`` is the prefactor m^{-a} (a float, or one value per run, shape (R,)); ``None`` means
the default exponent. The data may be given in coordinates of an orthonormal basis of a
subspace that holds every filter (docs/science.md §11.4): then ``dim`` is the true d.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from ..core import ou


def _h(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """⟨w_r, x⁽ᵖ⁾⟩ for every run, sample, patch and filter: (R, n, P, m)."""
    R, n, P, d = X.shape
    return torch.bmm(X.reshape(R, n * P, d), W.transpose(1, 2)).reshape(R, n, P, -1)


def _per_run(scale, W: torch.Tensor, exponent: float) -> torch.Tensor:
    """The prefactor as an (R,) tensor: m^{-exponent} when ``scale`` is None."""
    if scale is None:
        scale = W.shape[-2] ** -exponent
    return torch.as_tensor(scale, dtype=W.dtype).expand(W.shape[0])


def denoiser(W: torch.Tensor, X: torch.Tensor, scale=None) -> torch.Tensor:
    """ε̂ = f(W, X): W (R, m, d), X (R, n, P, d) -> (R, n, P, d)."""
    R, n, P, d = X.shape
    h2 = _h(W, X).square().reshape(R, n * P, -1)
    c = _per_run(scale, W, 0.5)
    return torch.bmm(h2, W).reshape(R, n, P, d) * c[:, None, None, None]


def coefficients(t: float) -> tuple[float, float]:
    """(α_t, β_t) = (e^{-t}, √(1 − e^{-2t})): x_t = α_t x_0 + β_t ε."""
    return math.exp(-t), math.sqrt(ou.delta(t))


def ddpm_loss_per_sample(W: torch.Tensor, X0: torch.Tensor, t: float, scale=None,
                         dim: int | None = None) -> torch.Tensor:
    """E_ε ‖f(W, α x_0 + β ε) − ε‖² / (P d) in closed form, per run and sample: (R, n).

    The squared error is averaged over the P·d coordinates, as a mean-squared-error loss
    does (docs/science.md §11.3: the sum is this loss times P·d, i.e. η·P·d).

    Per patch, with u_r = α⟨w_r, x_0⟩, G = W Wᵀ, a_r = u_r² + β² G_rr (Isserlis) and c the
    prefactor m^{-a}: c²[aᵀGa + 2β⁴ Σ_rs G_rs³ + 4β² uᵀ(G∘G)u] − 4βc Σ_r u_r G_rr + d.
    """
    alpha, beta = coefficients(t)
    d = W.shape[2] if dim is None else dim
    c = _per_run(scale, W, 0.5)[:, None, None]
    u = alpha * _h(W, X0)  # (R, n, P, m)
    G = torch.bmm(W, W.transpose(1, 2))  # (R, m, m)
    diag = torch.diagonal(G, dim1=1, dim2=2)  # (R, m)
    a = u.square() + beta**2 * diag[:, None, None]
    quad = (torch.einsum("rnpk,rkl->rnpl", a, G) * a).sum(-1)
    cross = (torch.einsum("rnpk,rkl->rnpl", u, G.square()) * u).sum(-1)
    const = 2 * beta**4 * G.pow(3).sum((1, 2))[:, None, None]
    linear = (u * diag[:, None, None]).sum(-1)
    per_patch = (quad + const + 4 * beta**2 * cross) * c**2 - 4 * beta * linear * c + d
    return per_patch.mean(-1) / d


def ddpm_loss(W: torch.Tensor, X0: torch.Tensor, t: float, scale=None, dim: int | None = None) -> torch.Tensor:
    """The paper's L_F: mean over samples of the closed-form expected DDPM loss, (R,)."""
    return ddpm_loss_per_sample(W, X0, t, scale, dim).mean(1)


def ddpm_loss_mc(W: torch.Tensor, X0: torch.Tensor, eps: torch.Tensor, t: float) -> torch.Tensor:
    """Monte-Carlo DDPM loss with K noises per sample, eps (K, R, n, P, d): (R,)."""
    alpha, beta = coefficients(t)
    losses = [(denoiser(W, alpha * X0 + beta * e) - e).square().mean((1, 2, 3)) for e in eps]
    return torch.stack(losses).mean(0)


def features(W: torch.Tensor, X: torch.Tensor, scale=None) -> torch.Tensor:
    """F(W, x) = m^{-b} Σ_r Σ_p ⟨w_r, x⁽ᵖ⁾⟩² (b = 1 by default), W (R, m, d): (R, n)."""
    return _h(W, X).square().sum((2, 3)) * _per_run(scale, W, 1.0)[:, None]


def classifier(W: torch.Tensor, X: torch.Tensor, scale=None) -> torch.Tensor:
    """f(W, x) = F_{+1} − F_{−1}, W (R, 2, m, d) with W[:, 0] the +1 filters: (R, n)."""
    return features(W[:, 0], X, scale) - features(W[:, 1], X, scale)


def logistic_loss(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, scale=None) -> torch.Tensor:
    """L_S = mean_i log(1 + exp(−y_i f(W, x_i))), y (R, n) = ±1: (R,)."""
    return F.softplus(-y * classifier(W, X, scale)).mean(1)
