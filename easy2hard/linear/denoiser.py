"""The linear denoiser and its closed forms (docs/science.md §10.2-10.3).

At each DDPM step k the denoiser predicts the noise of x_k = a_k x_0 + s_k ε
(a_k = sqrt(ᾱ_k), s_k = sqrt(1 - ᾱ_k)) linearly, after centring with the training mean m̂:
    ε_θ(x, k) = W_k (x - a_k m̂).
Per step the loss is L_k(W) = (1/N) Σ_μ E_ε ||W (a_k (x^μ - m̂) + s_k ε) - ε||² + λ ||W||²_F
= a_k² tr(W C Wᵀ) + ||s_k W - I||²_F + λ ||W||²_F, C the empirical covariance. In the
eigenbasis of C (eigenvalues c_i) every W_k that gradient flow visits from W = 0 is diagonal:
    w_{k,i}(τ) = s_k / M_{k,i} · (1 - exp(-2 τ M_{k,i})),   M_{k,i} = a_k² c_i + s_k² + λ,
with τ the gradient-flow time (dW/dτ = -∇L_k); τ = ∞ is the ridge optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.ddpm import Schedule


@dataclass(frozen=True)
class Terms:
    """Per-step numbers of a DDPM schedule, float64 numpy arrays over k = 0..T-1."""

    beta: np.ndarray
    a: np.ndarray  # sqrt(ᾱ_k)
    s: np.ndarray  # sqrt(1 - ᾱ_k)

    @property
    def T(self) -> int:
        return len(self.beta)


def terms(schedule: Schedule) -> Terms:
    abar = schedule.alpha_bar().numpy()
    return Terms(schedule.betas().numpy(), np.sqrt(abar), np.sqrt(1 - abar))


@dataclass(frozen=True)
class Fit:
    """A training set in the eigenbasis of its empirical covariance C = U diag(c) Uᵀ."""

    c: np.ndarray  # (d,) eigenvalues, exact zeros where C is rank-deficient
    U: np.ndarray  # (d, d) eigenvectors in columns
    mean: np.ndarray  # (d,) empirical mean m̂

    @property
    def d(self) -> int:
        return len(self.c)


def fit(x: np.ndarray) -> Fit:
    """Empirical mean and covariance (1/N normalisation) of ``x`` (N, d), diagonalised once.

    Eigenvalues below d·eps·max(c) are set to exactly 0: with N <= d the centred data span
    at most N - 1 directions and the rest are round-off.
    """
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(0)
    xc = x - mean
    c, U = np.linalg.eigh(xc.T @ xc / len(x))
    c = np.where(c > x.shape[1] * np.finfo(float).eps * max(c.max(), 1e-300), c, 0.0)
    return Fit(c, U, mean)


def weights(c, a, s, lam, tau):
    """Eigenvalues w of the gradient-flow denoiser W_k(τ) (broadcasting; τ may be inf)."""
    M = a * a * c + s * s + lam
    return s / M * -np.expm1(-2 * tau * M)


def error(w, a, s, var):
    """Σ_i E(w_i (a y_i + s ε_i) - ε_i)² for y_i of variance ``var`` (last axis summed):
    the denoising error of the diagonal denoiser w on data with that second moment."""
    return (w * w * (a * a * var + s * s) - 2 * s * w + 1).sum(-1)


def matrix(fit_: Fit, w: np.ndarray) -> np.ndarray:
    """W = U diag(w) Uᵀ for w (..., d)."""
    return np.einsum("ij,...j,kj->...ik", fit_.U, w, fit_.U)
