"""Expected KL of the ideal linear diffusion model on Gaussian data (docs/science.md §10.5).

An exact sampler with the λ = 0, τ = ∞ denoiser draws from N(m̂, C). For Gaussian data
N C̃ (C̃ = Σ^{-1/2} C Σ^{-1/2}) is Wishart(d, N - 1, I) whatever Σ is, so for N > d
    E KL(N(m̂, C) || N(μ, Σ)) = ½ [d ln(N/2) - Σ_{i=0}^{d-1} ψ((N - 1 - i)/2)]
                              = d(d + 3) / (4N) + O(d³/N²),
and ∞ for N <= d. Pure Python (the figure environment has no torch or scipy).
"""

from __future__ import annotations

import math


def digamma(x: float) -> float:
    """ψ(x) for x > 0: recurrence up to x >= 10, then the asymptotic series (error < 1e-13)."""
    if x <= 0:
        raise ValueError(f"digamma needs x > 0, got {x}")
    acc = 0.0
    while x < 10:
        acc -= 1 / x
        x += 1
    inv2 = 1 / (x * x)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return acc + math.log(x) - 0.5 / x - series


def kl_wishart(d: int, N: int) -> float:
    """E KL of the ideal sampler for Gaussian data (∞ when N <= d)."""
    if N <= d:
        return math.inf
    return 0.5 * (d * math.log(N / 2) - sum(digamma((N - 1 - i) / 2) for i in range(d)))


def kl_asymptote(d: int, N: int) -> float:
    """Leading order of kl_wishart for N >> d: d (d + 3) / (4N)."""
    return d * (d + 3) / (4 * N)


def kl_moment_matched(d: int, N: int, fourth_moment: float) -> float:
    """Leading order for N >> d of E KL(N(m̂, C) ‖ N(μ, Σ)) for any law with E ‖z‖⁴ =
    ``fourth_moment`` (z = Σ^{-1/2}(x - μ)): (E ‖z‖⁴ + d) / (4N); d(d + 3)/(4N) for Gaussians
    (docs/science.md §10.8)."""
    return (fourth_moment + d) / (4 * N)
