"""A translation-invariant 1-D data model with controlled amplitudes and phases
(docs/science.md §12.3).

A signal of length N is x = F⁻¹(A e^{iθ}) with a fixed even amplitude

    A(k) = c |k|^{-α},  |k| = min(k, N − k) for k ≠ 0,  A(0) = 0,

normalised so that every signal has ‖x‖² = N (Σ_k A(k)² = N², numpy's DFT convention).
Its phases θ are

- ``data``:  the DFT phases of a sparse signal s, round(density·N) (at least one) unit
             spikes at uniform random positions with random (±1) or positive signs (a
             uniform phase where the spikes cancel, S(k) = 0): the data are the sparse
             signal with its spectrum replaced by A (for one spike, a translate of F⁻¹A);
- ``clone``: uniform Hermitian random phases (spectra.hermitian_phases), the amplitude-
             matched clone. Both have the covariance F⁻¹ diag(A²/N) F, a circulant: uniform
             spike positions make the data's phases shift by 2πkτ/N under a uniform τ, so
             E[X(k) conj X(k')] = 0 for k ≠ k'. They differ only in higher-order statistics.
"""

from __future__ import annotations

import math

import torch

from .spectra import hermitian_phases, synthesize
from ..core import ou

KINDS = ("data", "clone")
SIGNS = ("random", "positive")


def spectrum(N: int, alpha: float, dtype=torch.float64) -> torch.Tensor:
    """Amplitude A (N,) with A(k) ∝ |k|^-α, A(0) = 0 and Σ A² = N²."""
    k = torch.arange(N, dtype=dtype)
    k = torch.minimum(k, N - k)
    A = torch.zeros(N, dtype=dtype)
    A[1:] = k[1:] ** (-float(alpha))
    return A * (N / A.square().sum().sqrt())


def eigenvalues(N: int, alpha: float) -> torch.Tensor:
    """Eigenvalues A(k)²/N of the covariance (on the Fourier modes); they sum to N."""
    return spectrum(N, alpha).square() / N


def spike_count(N: int, density: float) -> int:
    """Spikes per sparse signal: round(density · N), at least one."""
    return max(1, round(density * N))


def sparse_phases(n: int, N: int, spikes: int, signs: str, generator) -> torch.Tensor:
    """(n, N) DFT phases of n sparse signals of ``spikes`` unit spikes each."""
    if signs not in SIGNS:
        raise ValueError(f"unknown spike signs {signs!r}; allowed: {', '.join(SIGNS)}")
    pos = torch.randint(0, N, (n, spikes), generator=generator)
    val = torch.ones(n, spikes, dtype=torch.float64)
    if signs == "random":
        val = 2.0 * torch.randint(0, 2, (n, spikes), generator=generator).double() - 1.0
    S = torch.fft.fft(torch.zeros(n, N, dtype=torch.float64).scatter_add_(1, pos, val), dim=-1)
    # Where spikes cancel (S(k) = 0) the phase is undefined; a uniform one keeps the law
    # translation-invariant (arg 0 would not be) and, the zeros being even in k, odd phases.
    free = hermitian_phases((n, N), (-1,), generator)
    return torch.where(S.abs() > 1e-9 * spikes, S.angle(), free)


def sample(kind: str, n: int, N: int, alpha: float, density: float, signs: str,
           generator) -> torch.Tensor:
    """(n, N) float64 signals of the model (``data``) or of its random-phase ``clone``."""
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic set {kind!r}; allowed: {', '.join(KINDS)}")
    theta = (sparse_phases(n, N, spike_count(N, density), signs, generator) if kind == "data"
             else hermitian_phases((n, N), (-1,), generator))
    return synthesize(spectrum(N, alpha).expand(n, N), theta, (-1,))


def linear_loss(N: int, alpha: float, t: float) -> float:
    """Noise-prediction loss per coordinate of the best linear denoiser at time t.

    With x_t = e^{-t} x₀ + √Δ_t z and covariance eigenvalues λ_k, the best linear estimate
    of z has mean squared error (1/N) Σ_k e^{-2t} λ_k / (e^{-2t} λ_k + Δ_t) per coordinate;
    data and clone share it (same covariance).
    """
    lam = eigenvalues(N, alpha)
    s = math.exp(-2 * t) * lam
    return float((s / (s + ou.delta(t))).mean())


def one_spike_templates(N: int, alpha: float) -> torch.Tensor:
    """(2N, N) every signal of the model with one spike: ±(translates of F⁻¹A)."""
    base = synthesize(spectrum(N, alpha), torch.zeros(N, dtype=torch.float64), (-1,))
    shifts = torch.stack([torch.roll(base, p) for p in range(N)])
    return torch.cat([shifts, -shifts])


def bayes_loss(N: int, alpha: float, t: float, n: int, generator) -> tuple[float, float]:
    """Monte Carlo noise-prediction loss per coordinate of the Bayes-optimal denoiser, and its
    standard error, for the one-spike model (spike_count = 1, either sign convention).

    The prior is uniform on the 2N templates T (one_spike_templates; with positive signs
    half of them, which changes the posterior only where the sign is uncertain: use it as
    the random-sign value). With x_t = e^{-t} x₀ + √Δ z the posterior weight of T is
    ∝ exp(e^{-t} T·x_t / Δ) (all ‖T‖² = N), E[x₀|x_t] the weighted mean, and
    ẑ = (x_t − e^{-t} E[x₀|x_t]) / √Δ.
    """
    T = one_spike_templates(N, alpha)
    d = ou.delta(t)
    x0 = T[torch.randint(0, len(T), (n,), generator=generator)]
    z = torch.randn(n, N, generator=generator, dtype=torch.float64)
    xt = math.exp(-t) * x0 + math.sqrt(d) * z
    post = torch.softmax(math.exp(-t) * xt @ T.T / d, dim=1)
    zhat = (xt - math.exp(-t) * post @ T) / math.sqrt(d)
    per = (zhat - z).square().mean(1)
    return float(per.mean()), float(per.std() / math.sqrt(n))


def reference_losses(N: int, alpha: float, t: float, density: float, n: int = 20000,
                     seed: int = 0) -> dict:
    """The linear and (for one spike per signal; NaN otherwise) the Bayes-optimal
    noise-prediction losses per coordinate: the bounds a trained denoiser is measured by."""
    bayes = math.nan
    if spike_count(N, density) == 1:
        bayes = bayes_loss(N, alpha, t, n, torch.Generator().manual_seed(seed))[0]
    return {"loss_linear": linear_loss(N, alpha, t), "loss_bayes": bayes}


def wiener_noise_map(N: int, alpha: float, t: float) -> torch.Tensor:
    """(N, N) matrix L of the best linear noise predictor ẑ = L x_t at time t.

    x_t = e^{-t} x₀ + √Δ z has covariance e^{-2t} C + Δ I and cross-covariance √Δ I with z,
    so L = √Δ (e^{-2t} C + Δ I)⁻¹: the circulant with multiplier √Δ / (e^{-2t} λ_k + Δ) on
    frequency k (λ_k the covariance eigenvalues). Its loss per coordinate is linear_loss.
    """
    d = ou.delta(t)
    m = math.sqrt(d) / (math.exp(-2 * t) * eigenvalues(N, alpha) + d)
    eye = torch.eye(N, dtype=torch.float64)
    return torch.fft.ifft(torch.fft.fft(eye, dim=0) * m[:, None], dim=0).real
