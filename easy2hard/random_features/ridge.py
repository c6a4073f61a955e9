"""The exact ridge solution of random-features DSM in one spectral decomposition (§13.2).

With B = sqrt(Δ/p) A, the network predicts the noise: sqrt(Δ) s_A(x) = B φ(x), and DSM is
    L(B) = (1/d) E_emp ||B φ(x) + z||² + (λ/d) ||B||_F²,
a quadratic whose minimiser is B = -V (C + λ)^{-1} with C = E_emp[φ φᵀ], V = E_emp[z φᵀ]
(E_emp: the n m training pairs, or for m = inf the n points with z integrated out).
Writing C = Q diag(Λ) Qᵀ and P = V Q, every λ costs O(r) or O(r²): B = -(P / (Λ + λ)) Qᵀ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass
class Spectral:
    """C = Q diag(lam) Qᵀ (Q: (p, r)), P = V Q (d, r), z2 = E_emp ||z||² / d."""

    Q: torch.Tensor
    lam: torch.Tensor
    P: torch.Tensor
    z2: float

    def gains(self, lambdas: torch.Tensor) -> torch.Tensor:
        """(L, r): 1 / (Λ_r + λ) for each ridge λ."""
        return 1.0 / (self.lam + lambdas[:, None])

    def weights(self, lambdas: torch.Tensor) -> torch.Tensor:
        """(L, d, p) second layers B(λ) = -(P / (Λ + λ)) Qᵀ."""
        return -torch.einsum("lr,dr,pr->ldp", self.gains(lambdas), self.P, self.Q)

    def predict(self, phi: torch.Tensor, lambdas: torch.Tensor) -> torch.Tensor:
        """(L, d, K): B(λ) φ for features phi (p, K), i.e. sqrt(Δ) times the learned score."""
        return -torch.einsum("lr,dr,rk->ldk", self.gains(lambdas), self.P, self.Q.T @ phi)

    def train_error(self, lambdas: torch.Tensor) -> torch.Tensor:
        """(L,): (1/d) E_emp ||B(λ) φ + z||² (no penalty term)."""
        g = self.gains(lambdas)
        p2 = (self.P**2).sum(0)
        return self.z2 + ((self.lam * g * g - 2 * g) * p2).sum(1) / self.P.shape[0]

    def test_error(self, lambdas: torch.Tensor, sigma: torch.Tensor, M: torch.Tensor,
                   delta: float) -> torch.Tensor:
        """(L,): (Δ/d) E_{x~N(0,I)} ||s_A(x) - s(x)||², s(x) = -x the true score, from the
        population moments Σ_φ = E[φ φᵀ] and M = E[x φᵀ] (no sampling)."""
        g = self.gains(lambdas)
        G = self.Q.T @ sigma @ self.Q
        H = self.P.T @ self.P
        h = ((M @ self.Q) * self.P).sum(0)
        quad = torch.einsum("lr,ls,rs->l", g, g, H * G)
        d = self.P.shape[0]
        return (quad - 2 * math.sqrt(delta) * g @ h) / d + delta


def from_samples(phi: torch.Tensor, z: torch.Tensor) -> Spectral:
    """Finite m: phi (p, N) features and z (N, d) noises of the N = n m training pairs.
    One thin SVD of phi / sqrt N gives Q, Λ = S² and P = (zᵀ phiᵀ / N) Q."""
    N = phi.shape[1]
    U, S, Vh = torch.linalg.svd(phi / math.sqrt(N), full_matrices=False)
    P = (z.T / math.sqrt(N)) @ (Vh.T * S)
    return Spectral(Q=U, lam=S * S, P=P, z2=float((z * z).sum()) / z.numel())


def from_moments(U: torch.Tensor, V: torch.Tensor) -> Spectral:
    """m = inf: one eigendecomposition of the noise-averaged U = E[φ φᵀ]; E||z||²/d = 1."""
    lam, Q = torch.linalg.eigh(U)
    return Spectral(Q=Q, lam=lam.clamp_min(0.0), P=V @ Q, z2=1.0)
