"""The d -> inf learning curves of random-features DSM at m = 1 (docs/science.md §13.7).

At m = 1 the training pairs are i.i.d. and, given x, the label -z splits into the true
(scaled) score -sqrt(Δ) x plus noise -sqrt(1 - Δ) ξ independent of x: each output
coordinate is random-features ridge regression of a linear target with label noise
e^{-2t}. By Gaussian equivalence the features σ(W x / sqrt d) act, given W, as Gaussian
features with covariance Σ = μ1² S + μ*² I (S = W Wᵀ / d, spectrum Marchenko-Pastur of ratio
ψ_p), and the ridge deterministic equivalent gives the errors from one effective ridge κ:

    λ = κ (1 - df1(κ)/n),   df1 = tr Σ (Σ + κ)^{-1},   df2 = tr Σ² (Σ + κ)^{-2},
    excess = (κ² θᵀ Σ (Σ + κ)^{-2} θ + σ_ε² df2/n) / (1 - df2/n),
    E_test = excess + E r²,   E_train = (λ/κ)² (E_test + e^{-2t}),

where θ = Σ^{-1} E[φ f*] is the best linear fit of f* = -sqrt(Δ) x_k on the features, r its
residual and σ_ε² = E r² + e^{-2t}. Every trace over p is an integral against the
Marchenko-Pastur law, done here by quadrature; κ solves a monotone scalar equation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq

import torch

from ..core import activations
from ..core.quadrature import gauss_hermite
from ..core import ou


@lru_cache(maxsize=None)
def gaussian_constants(activation: str, nodes: int = 150) -> tuple[float, float, float]:
    """(μ0, μ1, μ*²) of σ under g ~ N(0, 1): E σ, E g σ, E σ² - μ0² - μ1². ReLU in closed form
    (its kink spoils Gauss-Hermite quadrature)."""
    if activation == "relu":
        mu0, mu1, second = 1 / math.sqrt(2 * math.pi), 0.5, 0.5
    else:
        xi, w = gauss_hermite(nodes, dtype=torch.float64)
        f = activations.evaluate(activation, xi)[0]
        mu0, mu1, second = (float(w @ f), float(w @ (xi * f)), float(w @ (f * f)))
    return mu0, mu1, second - mu0**2 - mu1**2


@lru_cache(maxsize=None)
def _legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(nodes)


@lru_cache(maxsize=None)
def marchenko_pastur(ratio: float, nodes: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ℓ and weights of ∫ f dμ for μ the limit spectrum of S = W Wᵀ/d (W: p x d
    standard Gaussian, ratio = p/d): an atom 1 - 1/ratio at 0 when ratio > 1, and the density
    sqrt((b - ℓ)(ℓ - a)) / (2π ratio ℓ) on [a, b] = [(1 ∓ sqrt ratio)²], integrated in the
    angle ℓ = c + h cos θ (which removes the square-root edges)."""
    a, b = (1 - math.sqrt(ratio)) ** 2, (1 + math.sqrt(ratio)) ** 2
    c, h = (a + b) / 2, (b - a) / 2
    x, w = _legendre(nodes)
    theta = (x + 1) * math.pi / 2
    ell = c + h * np.cos(theta)
    weight = w * (math.pi / 2) * h**2 * np.sin(theta) ** 2 / (2 * math.pi * ratio * ell)
    if ratio > 1:
        ell, weight = np.append(ell, 0.0), np.append(weight, 1 - 1 / ratio)
    return ell, weight / weight.sum()


@dataclass(frozen=True)
class Problem:
    """m = 1 in regression terms: features of ratio psi_p, samples psi_n, ridge lam, signal
    |f*|² = Δ and label noise e^{-2t} per output coordinate."""

    psi_n: float
    psi_p: float
    lam: float
    t: float
    activation: str

    @property
    def delta(self) -> float:
        return ou.delta(self.t)

    def spectrum(self):
        """(s, ℓ, w): eigenvalues s = μ1² ℓ + μ*² of Σ at the MP nodes ℓ, with weights w."""
        _, mu1, mu_star2 = gaussian_constants(self.activation)
        ell, w = marchenko_pastur(float(self.psi_p))
        return mu1**2 * ell + mu_star2, ell, w


def effective_ridge(prob: Problem) -> float:
    """κ > λ solving λ = κ (1 - df1(κ)/n), with df1/n = (ψ_p/ψ_n) ∫ s/(s + κ) dμ."""
    s, _, w = prob.spectrum()
    ratio = prob.psi_p / prob.psi_n

    def f(kappa):
        return kappa * (1 - ratio * w @ (s / (s + kappa))) - prob.lam

    hi = prob.lam + ratio * (w @ s) + 1.0
    return brentq(f, prob.lam, hi, xtol=1e-15, rtol=1e-13, maxiter=500)


def errors(prob: Problem) -> dict:
    """The d -> inf test and train errors of m = 1 (module docstring), with κ and df2/n."""
    s, ell, w = prob.spectrum()
    _, mu1, _ = gaussian_constants(prob.activation)
    kappa = effective_ridge(prob)
    ratio = prob.psi_p / prob.psi_n
    df2 = ratio * w @ (s**2 / (s + kappa) ** 2)
    align = prob.delta * mu1**2 * prob.psi_p  # θᵀ A θ = align ∫ ℓ a(s) / s² dμ for A = a(Σ)
    explained = align * w @ (ell / s)
    residual = prob.delta - explained
    bias = kappa**2 * align * w @ (ell / (s * (s + kappa) ** 2))
    noise = residual + math.exp(-2 * prob.t)
    test = (bias + noise * df2) / (1 - df2) + residual
    train = (prob.lam / kappa) ** 2 * (test + math.exp(-2 * prob.t))
    return {"test_error": test, "train_error": train, "kappa": kappa, "df2": df2}
