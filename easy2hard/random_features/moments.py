"""Gaussian moments of random features, computed without sampling (docs/science.md §13.3).

For g ~ N(μ, s_k s_l ρ_kl) (means μ_k, standard deviations s_k, correlations ρ_kl), Mehler's
formula gives  E[σ(g_k) σ(g_l)] = Σ_j ρ_kl^j c_j(μ_k, s_k) c_j(μ_l, s_l),  where
c_j(μ, s) = E_ξ[σ(μ + s ξ) h_j(ξ)] are the coefficients on the orthonormal Hermite
polynomials h_j = He_j / sqrt(j!). The c_j are 1-D integrals done by Gauss-Hermite
quadrature; the series is cut at order J (error <= max|ρ|^{J+1}, see §13.3) and the diagonal
(ρ = 1) is computed exactly as E[σ(g_k)²].
"""

from __future__ import annotations

import math

import torch

from ..core import activations
from ..core.quadrature import gauss_hermite
from ..core import ou


def hermite_basis(nodes: torch.Tensor, order: int) -> torch.Tensor:
    """(Q, J+1) values h_j(ξ_q) of the orthonormal Hermite polynomials (stable recurrence)."""
    h = [torch.ones_like(nodes), nodes.clone()]
    for j in range(2, order + 1):
        h.append((nodes * h[j - 1] - math.sqrt(j - 1) * h[j - 2]) / math.sqrt(j))
    return torch.stack(h[: order + 1], dim=1)


class Coefficients:
    """Hermite coefficients of h -> σ(μ + s ξ): ``coef`` (..., p, J+1), ``second`` E[σ²] and
    ``slope`` E[σ'] (..., p), for means ``mu`` (..., p) and standard deviations ``s`` (p,)."""

    def __init__(self, activation: str, mu: torch.Tensor, s: torch.Tensor, order: int,
                 nodes: int):
        xi, w = gauss_hermite(nodes, dtype=mu.dtype, device=mu.device)
        h = mu.unsqueeze(-1) + s.unsqueeze(-1) * xi
        f, df = activations.evaluate(activation, h)
        self.coef = (f * w) @ hermite_basis(xi, order)
        self.second = (f * f) @ w
        self.slope = df @ w


def correlations(W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(s, ρ) of g = W x / sqrt d for x ~ N(0, I): s_k = |w_k| / sqrt d, ρ_kl the cosines."""
    d = W.shape[1]
    norms = W.norm(dim=1)
    rho = (W @ W.T) / torch.outer(norms, norms)
    return norms / math.sqrt(d), rho


def mehler(coef: torch.Tensor, second: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """Σ_i E[σ(g_i) σ(g_i)ᵀ] (p, p) summed over the leading axis of ``coef`` (n, p, J+1)
    and ``second`` (n, p): Σ_j ρ^j ∘ (C_jᵀ C_j), diagonal replaced by Σ_i E[σ(g_ik)²]."""
    out = torch.zeros_like(rho)
    power = torch.ones_like(rho)
    for j in range(coef.shape[-1]):
        cj = coef[..., j]
        out += power * (cj.T @ cj)
        power = power * rho
    out.diagonal().copy_(second.sum(0))
    return out


def population(W: torch.Tensor, activation: str, order: int, nodes: int):
    """Moments of φ = σ(W x / sqrt d) under the target x ~ N(0, I_d) (= p_t at every t):
    Σ_φ = E[φ φᵀ] (p, p) and M = E[x φᵀ] = Wᵀ diag(E σ'(g)) / sqrt d (d, p) (Stein)."""
    s, rho = correlations(W)
    c = Coefficients(activation, torch.zeros_like(s)[None], s, order, nodes)
    sigma = mehler(c.coef, c.second, rho)
    return sigma, W.T * c.slope[0] / math.sqrt(W.shape[1])


class ClusterMoments:
    """Noise-averaged moments over training points a_i at time t (m = inf; §13.3):
    U = (1/n) Σ_i E_z[φ φᵀ] and V = (1/n) Σ_i E_z[z φᵀ] for x = e^{-t} a_i + sqrt(Δ) z.

    ``add(a)`` folds in a block of points; U and V are then read for the points so far, so
    a sweep over n costs one pass over the largest n."""

    def __init__(self, W: torch.Tensor, activation: str, t: float, order: int, nodes: int):
        self.W, self.activation, self.order, self.nodes = W, activation, order, nodes
        self.decay, self.delta = math.exp(-t), ou.delta(t)
        s, self.rho = correlations(W)
        self.s = s * math.sqrt(self.delta)
        p = W.shape[0]
        self.sum_u = torch.zeros(p, p, dtype=W.dtype, device=W.device)
        self.sum_slope = torch.zeros(p, dtype=W.dtype, device=W.device)
        self.n = 0

    def add(self, a: torch.Tensor) -> None:
        d, p = self.W.shape[1], self.W.shape[0]
        block = max(8, 10_000_000 // (p * self.nodes))  # ~80 MB of quadrature values
        for start in range(0, a.shape[0], block):
            mu = self.decay * a[start:start + block] @ self.W.T / math.sqrt(d)
            c = Coefficients(self.activation, mu, self.s, self.order, self.nodes)
            self.sum_u += mehler(c.coef, c.second, self.rho)
            self.sum_slope += c.slope.sum(0)
            self.n += mu.shape[0]

    def moments(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(U (p, p), V (d, p)) for the points added so far."""
        d = self.W.shape[1]
        v = self.W.T * (self.sum_slope / self.n) * math.sqrt(self.delta / d)
        return self.sum_u / self.n, v
